//! F5: an approver's link. Opening it changes nothing (mail scanners open links); the POST
//! decides. The link is the approver's own: a browser signed in as someone else is refused.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::request::RequestStatus;
use crate::error::{AppError, AppResult};
use crate::flows::approval::{self, ApprovalView, Decided};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::decision::{DOMAIN_REFUSED, DecisionForm, approved_words};
use crate::web::page::{Notice, PageCtx, link_of_another, render, render_with_status};
use crate::web::{client_ip, kept};

#[derive(Template)]
#[template(path = "public/approve.html")]
struct ApprovePage {
    ctx: PageCtx,
    token: String,
    v: ApprovalView,
    status: RequestStatus,
    /// The note as typed, when it was refused.
    note: String,
    error: Option<String>,
    /// Set after a POST: what happened.
    outcome: Option<String>,
}

/// The link belongs to another person than the one signed in here.
async fn someone_else(req: &HttpRequest, v: &ApprovalView) -> AppResult<Option<String>> {
    Ok(crate::auth::session::current(req).await?.filter(|u| u.id != v.approver.id).map(|u| u.email))
}

fn not_yours(ctx: PageCtx, v: &ApprovalView, signed_in: &str) -> HttpResponse {
    link_of_another(ctx, "approver", "approval link", &v.approver.email, signed_in)
}

/// The link's approver may no longer decide: removed from the package, blocked, or the
/// requester themself.
fn no_longer_yours(ctx: PageCtx) -> HttpResponse {
    render_with_status(
        StatusCode::FORBIDDEN,
        &Notice {
            ctx,
            title: "This link is no longer yours to use".into(),
            message: "You are no longer an approver of this request, so this link cannot decide it. If you think you should be, ask an administrator of the organization.".into(),
            link: None,
        },
    )
}

pub async fn show(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let v = approval::view_approval(&state, &token).await?.ok_or(AppError::NotFound)?;
    if let Some(other) = someone_else(&req, &v).await? {
        return Ok(not_yours(ctx, &v, &other));
    }
    if !v.entitled {
        return Ok(no_longer_yours(ctx));
    }
    let status = v.request.status.effective(v.request.expires_at, state.clock.now());
    Ok(render(&ApprovePage {
        ctx,
        token: token.into_inner(),
        v,
        status,
        note: String::new(),
        error: None,
        outcome: None,
    }))
}

pub async fn decide(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    token: web::Path<String>,
    f: CsrfForm<DecisionForm>,
) -> AppResult<HttpResponse> {
    let v = approval::view_approval(&state, &token).await?.ok_or(AppError::NotFound)?;
    if let Some(other) = someone_else(&req, &v).await? {
        return Ok(not_yours(ctx, &v, &other));
    }
    let (approve, note) = match f.form.parse()? {
        Ok(decision) => decision,
        Err(e) => {
            let status = v.request.status.effective(v.request.expires_at, state.clock.now());
            let note = kept(&f.form.note, 1200);
            let page = ApprovePage {
                ctx,
                token: token.into_inner(),
                v,
                status,
                note,
                error: Some(e.to_string()),
                outcome: None,
            };
            return Ok(render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let decided =
        approval::decide(&state, &token, approve, &note, &client_ip(&req)).await?.ok_or(AppError::NotFound)?;
    let v = approval::view_approval(&state, &token).await?.ok_or(AppError::NotFound)?;
    let (http, outcome) = match decided {
        Decided::Approved(granted) => (StatusCode::OK, format!("Thank you. {}", approved_words(&granted))),
        Decided::Recorded(status) => (
            StatusCode::OK,
            match status {
                RequestStatus::Approved => "Thank you. The request is approved.".to_string(),
                RequestStatus::Denied => {
                    "Thank you. The request is denied: the partner is told politely, with your note.".to_string()
                }
                _ => "Thank you. Your approval is recorded; the request waits for the other approvers.".to_string(),
            },
        ),
        Decided::AlreadyClosed(status) => (
            StatusCode::CONFLICT,
            match status {
                RequestStatus::PendingApproval => {
                    "You decided on this request already; your first decision counts.".to_string()
                }
                other => format!("Nothing was changed: this request was already {}.", other.in_sentence()),
            },
        ),
        Decided::NotEntitled => return Ok(no_longer_yours(ctx)),
        Decided::DomainRefused => (StatusCode::CONFLICT, DOMAIN_REFUSED.to_string()),
    };
    let status = v.request.status.effective(v.request.expires_at, state.clock.now());
    let page = ApprovePage {
        ctx,
        token: token.into_inner(),
        v,
        status,
        note: String::new(),
        error: None,
        outcome: Some(outcome),
    };
    Ok(render_with_status(http, &page))
}
