//! Admin: sign-up requests — list by state, see one with its approvals, decide as admin.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::db::packages::{self, Package};
use crate::db::requests::{self, Request};
use crate::db::users;
use crate::error::{AppError, AppResult};
use crate::flows::signup::{self, Decided, effective_status};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::decision::{DOMAIN_REFUSED, DecisionForm, human_status};
use crate::web::page::{PageCtx, flash, render};
use crate::web::{actor, parse_id, see_other};

pub const STATES: &[(&str, &str)] = &[
    ("pending_approval", "Waiting for approval"),
    ("approved", "Approved"),
    ("denied", "Denied"),
    ("expired", "Expired"),
    ("withdrawn", "Withdrawn"),
    ("", "All"),
];

#[derive(Deserialize)]
pub struct Query {
    #[serde(default = "pending")]
    status: String,
}

fn pending() -> String {
    "pending_approval".into()
}

pub struct Row {
    pub r: Request,
    pub package: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "admin/requests.html")]
struct ListPage {
    ctx: PageCtx,
    status: String,
    states: &'static [(&'static str, &'static str)],
    rows: Vec<Row>,
}

impl ListPage {
    fn human(&self, s: &str) -> &'static str {
        human_status(s)
    }
}

pub async fn list(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    q: web::Query<Query>,
) -> AppResult<HttpResponse> {
    let status = STATES.iter().map(|(s, _)| *s).find(|s| *s == q.status).unwrap_or("pending_approval").to_string();
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    let all_packages = packages::all(c.conn()).await?;
    let rows = requests::list(c.conn(), &status, 200)
        .await?
        .into_iter()
        .map(|r| Row {
            package: all_packages.iter().find(|p| p.id == r.package_id).map(|p| p.name.clone()).unwrap_or_default(),
            status: effective_status(&r, now),
            r,
        })
        .collect();
    Ok(render(&ListPage { ctx, status, states: STATES, rows }))
}

pub struct ApprovalRow {
    pub approver: String,
    pub decision: Option<String>,
    pub note: String,
}

#[derive(Template)]
#[template(path = "admin/request.html")]
struct ShowPage {
    ctx: PageCtx,
    r: Request,
    package: Package,
    status: String,
    approvals: Vec<ApprovalRow>,
    error: Option<String>,
}

async fn show_page(ctx: PageCtx, state: &AppState, id: &str, error: Option<String>) -> AppResult<ShowPage> {
    let id = parse_id(id)?;
    let mut c = state.db.acquire().await?;
    let r = requests::find(c.conn(), id).await?.ok_or(AppError::NotFound)?;
    let package = packages::find(c.conn(), r.package_id).await?.ok_or(AppError::NotFound)?;
    let mut approvals = Vec::new();
    for a in requests::approvals_of(c.conn(), r.id).await? {
        let approver = users::find(c.conn(), a.approver_id).await?.map(|u| u.email).unwrap_or_default();
        approvals.push(ApprovalRow { approver, decision: a.decision, note: a.note });
    }
    let status = effective_status(&r, state.clock.now());
    Ok(ShowPage { ctx, r, package, status, approvals, error })
}

impl ShowPage {
    /// The state as a heading-case label ("Waiting for approval"), as the filter tabs name it.
    fn status_label(&self) -> String {
        match STATES.iter().find(|(s, _)| *s == self.status) {
            Some((_, label)) => (*label).to_string(),
            None => {
                let human = human_status(&self.status);
                human[..1].to_uppercase() + &human[1..]
            }
        }
    }
}

pub async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(render(&show_page(ctx, &state, &id, None).await?))
}

pub async fn decide(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<String>,
    f: CsrfForm<DecisionForm>,
) -> AppResult<HttpResponse> {
    let request_id = parse_id(&id)?;
    let (approve, note) = match f.form.parse()? {
        Ok(decision) => decision,
        Err(e) => {
            let page = show_page(ctx, &state, &id, Some(e.to_string())).await?;
            return Ok(crate::web::page::render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    match signup::admin_decide(&state, request_id, approve, &note, &admin, &actor(&req, &admin)).await? {
        None => Err(AppError::NotFound),
        Some(Decided::Recorded(status)) => {
            flash(&session, format!("The request is {}.", human_status(&status)));
            Ok(see_other(&format!("/admin/requests/{request_id}")))
        }
        Some(Decided::AlreadyClosed(status)) => {
            flash(&session, format!("Nothing was changed: the request was already {}.", human_status(&status)));
            Ok(see_other(&format!("/admin/requests/{request_id}")))
        }
        Some(Decided::DomainRefused) => {
            flash(&session, DOMAIN_REFUSED);
            Ok(see_other(&format!("/admin/requests/{request_id}")))
        }
        Some(Decided::NotEntitled) => {
            flash(&session, "Nothing was changed: nobody decides their own request. Another admin or approver must.");
            Ok(see_other(&format!("/admin/requests/{request_id}")))
        }
    }
}
