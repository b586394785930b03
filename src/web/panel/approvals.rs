//! Approvals: the sign-up requests waiting for the signed-in member's decision (F5 from the
//! portal rather than the mail link; both decide through the same flow).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::db::requests::Waiting;
use crate::domain::request::RequestStatus;
use crate::error::{AppError, AppResult};
use crate::flows::approval::{self, Decided};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::decision::{DOMAIN_REFUSED, DecisionForm, approved_words};
use crate::web::page::{PageCtx, flash_refused, flash_said, render};
use crate::web::{client_ip, see_other};

#[derive(Template)]
#[template(path = "panel/approvals.html")]
struct ApprovalsPage {
    ctx: PageCtx,
    waiting: Vec<Waiting>,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, CurrentUser(user): CurrentUser) -> AppResult<HttpResponse> {
    let waiting = approval::waiting_for(&state, &user).await?;
    Ok(render(&ApprovalsPage { ctx, waiting }))
}

/// Approve or deny one waiting request; the outcome shows once, in the flash.
pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<Uuid>,
    f: CsrfForm<DecisionForm>,
) -> AppResult<HttpResponse> {
    let (approve, note) = match f.form.parse()? {
        Ok(decision) => decision,
        Err(e) => {
            flash_refused(&session, format!("Nothing was decided: {e}"));
            return Ok(see_other("/approvals"));
        }
    };
    let decided = approval::decide_as(&state, &user, id.into_inner(), approve, &note, &client_ip(&req))
        .await?
        .ok_or(AppError::NotFound)?;
    let said: Result<String, String> = match decided {
        Decided::Approved(granted) => Ok(approved_words(&granted)),
        Decided::Recorded(RequestStatus::Approved) => Ok("The request is approved.".to_string()),
        Decided::Recorded(RequestStatus::Denied) => Ok("Denied: the partner is told politely, with your note.".into()),
        Decided::Recorded(_) => Ok("Your approval is recorded; the request waits for the other approvers.".into()),
        Decided::AlreadyClosed(RequestStatus::PendingApproval) => {
            Err("You decided on this request already; your first decision counts.".into())
        }
        Decided::AlreadyClosed(other) => {
            Err(format!("Nothing was changed: this request was already {}.", other.in_sentence()))
        }
        Decided::NotEntitled => Err("Nothing was changed: you are no longer an approver of this request.".into()),
        Decided::DomainRefused => Err(DOMAIN_REFUSED.into()),
    };
    flash_said(&session, said);
    Ok(see_other("/approvals"))
}
