//! A reviewer's page of an access review (F12), shared by the mailed link
//! (`/review/{token}`) and the Access Panel (`/reviews/{id}`): the guests with their
//! recommendation, Keep / Remove with a reason one by one or for all shown. Opening it
//! changes nothing; each POST decides and comes back here (303) with what was done.

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::db::Page;
use crate::db::reviews::{Item, Review, Reviewer, Show};
use crate::domain::review::{self, Decision, ReviewStatus};
use crate::error::{AppError, AppResult};
use crate::flows::reviews::{self as flow, Choice, Touch};
use crate::state::AppState;
use crate::web::page::{Notice, PageCtx, flash_said, render, render_with_status};
use crate::web::see_other;

const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "panel/review.html")]
struct ReviewPage {
    ctx: PageCtx,
    review: Review,
    reviewer: Reviewer,
    items: Vec<Item>,
    /// Where the page is and its forms post.
    here: String,
    undecided_only: bool,
    prev: Option<String>,
    next: Option<String>,
    /// The guests review themselves.
    own: bool,
    open: bool,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    show: String,
    page: Option<i64>,
}

/// The page at `here` for this reviewer.
pub async fn show(
    ctx: PageCtx,
    state: &AppState,
    (review, reviewer): (Review, Reviewer),
    here: String,
    q: &Shown,
) -> AppResult<HttpResponse> {
    if !reviewer.active {
        return Ok(no_longer_yours(ctx));
    }
    let undecided_only = q.show == "undecided";
    let show = if undecided_only { Show::Undecided } else { Show::All };
    let total = if undecided_only { reviewer.undecided } else { reviewer.guests };
    let number = q.page.unwrap_or(1);
    let page = Page::new(number, PAGE_SIZE);
    let open = review.status == ReviewStatus::Running && review.ends_at > state.clock.now();
    // Once it has ended the link shows no one: the decisions are the admin's record now.
    let items = if open { flow::items(state, &reviewer, show, page).await? } else { Vec::new() };
    let link = |n: i64| format!("{here}?show={}&page={n}", if undecided_only { "undecided" } else { "all" });
    let prev = (open && page.number > 1).then(|| link(page.number - 1));
    let next = (open && page.offset() + PAGE_SIZE < total).then(|| link(page.number + 1));
    let own = review.reviewers == review::Reviewers::Guests;
    Ok(render(&ReviewPage { ctx, review, reviewer, items, here, undecided_only, prev, next, own, open }))
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    guest: Vec<Uuid>,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    /// The listing to come back to.
    #[serde(default)]
    back: String,
    /// `undecided`: the buttons for all shown, which leave decisions already made standing.
    #[serde(default)]
    only: String,
}

/// The reviewer can no longer sign in here (blocked, deleted): their link decides nothing.
fn no_longer_yours(ctx: PageCtx) -> HttpResponse {
    render_with_status(
        StatusCode::FORBIDDEN,
        &Notice {
            ctx,
            title: "This link is no longer yours to use".into(),
            message: "Your account can no longer sign in here, so this review link cannot decide. If you think it should, ask an administrator of the organization.".into(),
            link: None,
        },
    )
}

/// Records the decision and goes back to the page with what was done.
pub async fn decide(
    ctx: PageCtx,
    state: &AppState,
    session: &Session,
    reviewer: &Reviewer,
    here: &str,
    f: &DecideForm,
    ip: &str,
) -> AppResult<HttpResponse> {
    if !reviewer.active {
        return Ok(no_longer_yours(ctx));
    }
    let touch = if f.only == "undecided" { Touch::Undecided } else { Touch::All };
    let choice = match f.decision.as_str() {
        "keep" => Choice::Decide(Decision::Keep),
        "remove" => Choice::Decide(Decision::Remove),
        "recommended" => Choice::Recommended,
        _ => return Err(AppError::BadRequest("Choose Keep or Remove.".into())),
    };
    let back = match f.back.as_str() {
        b if b.starts_with("?show=") && b.len() < 60 && !b.contains(['/', '\\', '#']) => format!("{here}{b}"),
        _ => here.to_string(),
    };
    let said = match review::reason(&f.reason) {
        Err(e) => Err(format!("Nothing was decided: {e}")),
        Ok(reason) => match flow::decide(state, reviewer, &f.guest, (choice, touch), &reason, ip).await? {
            Ok(0) if touch == Touch::Undecided => {
                Err("Nothing was decided: every guest shown has a decision already.".into())
            }
            Ok(0) => Err("Nothing was decided: those guests are not yours to review.".into()),
            Ok(n) => Ok(decided_words(choice, n)),
            Err(refused) => Err(refused.to_string()),
        },
    };
    flash_said(session, said);
    Ok(see_other(&back))
}

fn decided_words(choice: Choice, n: usize) -> String {
    let whom = if n == 1 { "1 guest".to_string() } else { format!("{n} guests") };
    match choice {
        Choice::Decide(Decision::Keep) => format!("Saved: keep {whom}. You can change this until the review ends."),
        Choice::Decide(Decision::Remove) => {
            format!("Saved: remove {whom} when the review ends. You can change this until then.")
        }
        Choice::Recommended => format!("Saved: {whom} as recommended. You can change this until the review ends."),
    }
}
