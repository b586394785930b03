//! Admin: access reviews (F12) — the list with each running review's progress, a new
//! review, one review's reviewers and decisions, stopping it early, and its result as CSV.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::Page;
use crate::db::groups::{self, Group};
use crate::db::packages::{self, Package};
use crate::db::reviews::{Progress, Show};
use crate::domain::FieldErrors;
use crate::domain::review::{self, Recurrence, ReviewForm, ReviewStatus, Reviewers, Undecided};
use crate::error::{AppError, AppResult};
use crate::flows::reviews::{self as flow, Overview, Stopped};
use crate::state::AppState;
use crate::web::admin::{Pager, filtered};
use crate::web::csrf::CsrfForm;
use crate::web::csv_download::CsvFile;
use crate::web::page::{PageCtx, flash, flash_refused, render, render_invalid};
use crate::web::{actor, see_other};

const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "admin/reviews.html")]
struct ListPage {
    ctx: PageCtx,
    reviews: Vec<Progress>,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    Ok(render(&ListPage { ctx, reviews: flow::all(&state).await? }))
}

#[derive(Template)]
#[template(path = "admin/review_form.html")]
struct FormPage {
    ctx: PageCtx,
    f: ReviewForm,
    packages: Vec<Package>,
    groups: Vec<Group>,
    errors: FieldErrors,
}

impl FormPage {
    fn reviewer_choices(&self) -> &'static [Reviewers] {
        Reviewers::ALL
    }
    fn recurrences(&self) -> &'static [Recurrence] {
        Recurrence::ALL
    }
    fn undecided_choices(&self) -> &'static [Undecided] {
        Undecided::ALL
    }
}

async fn form_page(ctx: PageCtx, state: &AppState, f: ReviewForm, errors: FieldErrors) -> AppResult<FormPage> {
    let mut c = state.db.acquire().await?;
    let packages = packages::all(c.conn()).await?;
    let groups = groups::all(c.conn()).await?;
    Ok(FormPage { ctx, f, packages, groups, errors })
}

pub async fn new_form(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    let f = ReviewForm {
        scope: "all".into(),
        reviewers: "sponsors".into(),
        duration_days: review::DEFAULT_DAYS.to_string(),
        recurrence: "quarterly".into(),
        undecided: "recommendation".into(),
        ..ReviewForm::default()
    };
    Ok(render(&form_page(ctx, &state, f, FieldErrors::default()).await?))
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<ReviewForm>,
) -> AppResult<HttpResponse> {
    let f = f.form;
    let mut errors = FieldErrors::default();
    match f.parse() {
        Err(refused) => errors.add(refused.field(), refused.to_string()),
        Ok(new) => match flow::create(&state, &new, &actor(&req, &admin)).await? {
            Ok(id) => {
                flash(&session, format!("The review “{}” has started: its reviewers were mailed.", new.name));
                return Ok(see_other(&format!("/admin/reviews/{id}")));
            }
            Err(flow::CreateRefused::NoScope) => errors.add("scope", flow::CreateRefused::NoScope.to_string()),
            Err(refused) => errors.add("fallback", refused.to_string()),
        },
    }
    Ok(render_invalid(&form_page(ctx, &state, f, errors).await?))
}

#[derive(Template)]
#[template(path = "admin/review.html")]
struct ShowPage {
    ctx: PageCtx,
    o: Overview,
    show: String,
    pager: Pager,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    show: String,
    page: Option<i64>,
}

pub async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<Uuid>,
    q: web::Query<ShowQuery>,
) -> AppResult<HttpResponse> {
    let (show, name) = match q.show.as_str() {
        "undecided" => (Show::Undecided, "undecided"),
        "removed" => (Show::Removed, "removed"),
        _ => (Show::All, ""),
    };
    let page = Page::new(q.page.unwrap_or(1), PAGE_SIZE);
    let o = flow::overview(&state, *id, show, page).await?.ok_or(AppError::NotFound)?;
    let total = match show {
        Show::All => o.progress.guests,
        Show::Undecided => o.progress.guests - o.progress.decided,
        Show::Removed => o.progress.removed,
    };
    let pager = Pager::new(&filtered(&format!("/admin/reviews/{id}"), &[("show", name)]), page, total);
    Ok(render(&ShowPage { ctx, o, show: name.to_string(), pager }))
}

#[derive(Deserialize)]
pub struct StopForm {
    /// The status the page showed (`running` or `scheduled`).
    #[serde(default)]
    status: String,
}

pub async fn stop(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<StopForm>,
) -> AppResult<HttpResponse> {
    let seen = ReviewStatus::parse(&f.form.status)
        .ok_or_else(|| AppError::BadRequest("Stop a review from its page.".into()))?;
    match flow::stop(&state, *id, seen, &actor(&req, &admin)).await? {
        Stopped::Applied => flash(
            &session,
            "The review was stopped and its decisions applied. If it repeats, its next occurrence is still scheduled: cancel it from the list if it should not run.",
        ),
        Stopped::Cancelled => flash(&session, "The scheduled review was cancelled; it will not run again."),
        Stopped::NotRunning => flash_refused(&session, "Nothing was changed: this review had ended already."),
        Stopped::Moved => flash_refused(
            &session,
            "Nothing was changed: this review moved on since the page was shown (it started or ended). Look again.",
        ),
    }
    Ok(see_other(&format!("/admin/reviews/{id}")))
}

/// Every guest of the review: the decision, who made it and when, and what was done.
pub async fn result(state: web::Data<AppState>, _a: AdminUser, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let (review, items) = flow::result(&state, *id).await?.ok_or(AppError::NotFound)?;
    let mut csv = CsvFile::new(&[
        "name",
        "email",
        "last_sign_in_utc",
        "recommendation",
        "decision",
        "reason",
        "decided_by",
        "decided_at_utc",
        "outcome",
    ])?;
    let utc = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string());
    for i in items {
        csv.row(&[
            i.name,
            i.email,
            utc(i.last_sign_in_at).unwrap_or_default(),
            i.recommendation.as_str().to_string(),
            i.decision.map(|d| d.as_str().to_string()).unwrap_or_default(),
            i.reason,
            i.decided_by_label,
            utc(i.decided_at).unwrap_or_default(),
            i.outcome.unwrap_or_default(),
        ])?;
    }
    let slug: String = review.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    csv.download(&format!("review-{}-{}.csv", slug.trim_matches('-'), review.starts_at.format("%Y-%m-%d")))
}
