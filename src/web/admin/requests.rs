//! Admin: sign-up requests — list by state, see one with its approvals, decide as admin.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::packages::{self, Package};
use crate::db::requests::{self, Request};
use crate::db::users;
use crate::domain::request::RequestStatus;
use crate::error::{AppError, AppResult};
use crate::flows::approval::{self, Decided};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::decision::{DOMAIN_REFUSED, DecisionForm, approved_words};
use crate::web::page::{PageCtx, flash_said, render, render_with_status};
use crate::web::{actor, see_other};

/// The filter tabs: the states worth looking at, then all of them.
const TABS: [Option<RequestStatus>; 6] = [
    Some(RequestStatus::PendingApproval),
    Some(RequestStatus::Approved),
    Some(RequestStatus::Denied),
    Some(RequestStatus::Expired),
    Some(RequestStatus::Withdrawn),
    None,
];

pub struct Tab {
    status: Option<RequestStatus>,
    current: bool,
}

impl Tab {
    fn query(&self) -> &'static str {
        self.status.map_or("", RequestStatus::as_str)
    }

    fn label(&self) -> &'static str {
        self.status.map_or("All", RequestStatus::label)
    }
}

#[derive(Deserialize)]
pub struct Query {
    status: Option<String>,
}

pub struct Row {
    pub r: Request,
    pub package: String,
    pub status: RequestStatus,
}

#[derive(Template)]
#[template(path = "admin/requests.html")]
struct ListPage {
    ctx: PageCtx,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
}

pub async fn list(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    q: web::Query<Query>,
) -> AppResult<HttpResponse> {
    // No filter given: what waits for a decision. `?status=` (empty): all.
    let filter = match q.status.as_deref() {
        None => Some(RequestStatus::PendingApproval),
        Some(s) => RequestStatus::parse(s),
    };
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    let all_packages = packages::all(c.conn()).await?;
    let rows = requests::list(c.conn(), filter, 200)
        .await?
        .into_iter()
        .map(|r| Row {
            package: all_packages.iter().find(|p| p.id == r.package_id).map(|p| p.name.clone()).unwrap_or_default(),
            status: r.status.effective(r.expires_at, now),
            r,
        })
        .collect();
    let tabs = TABS.into_iter().map(|status| Tab { status, current: status == filter }).collect();
    Ok(render(&ListPage { ctx, tabs, rows }))
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
    status: RequestStatus,
    approvals: Vec<ApprovalRow>,
    error: Option<String>,
}

async fn show_page(ctx: PageCtx, state: &AppState, id: Uuid, error: Option<String>) -> AppResult<ShowPage> {
    let mut c = state.db.acquire().await?;
    let r = requests::find(c.conn(), id).await?.ok_or(AppError::NotFound)?;
    let package = packages::find(c.conn(), r.package_id).await?.ok_or(AppError::NotFound)?;
    let mut approvals = Vec::new();
    for a in requests::approvals_of(c.conn(), r.id).await? {
        let approver = users::find(c.conn(), a.approver_id).await?.map(|u| u.email).unwrap_or_default();
        approvals.push(ApprovalRow { approver, decision: a.decision, note: a.note });
    }
    let status = r.status.effective(r.expires_at, state.clock.now());
    Ok(ShowPage { ctx, r, package, status, approvals, error })
}

impl ShowPage {
    fn pending(&self) -> bool {
        self.status == RequestStatus::PendingApproval
    }
}

pub async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(render(&show_page(ctx, &state, *id, None).await?))
}

pub async fn decide(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<DecisionForm>,
) -> AppResult<HttpResponse> {
    let request_id = *id;
    let (approve, note) = match f.form.parse()? {
        Ok(decision) => decision,
        Err(e) => {
            let page = show_page(ctx, &state, request_id, Some(e.to_string())).await?;
            return Ok(render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let message = match approval::admin_decide(&state, request_id, approve, &note, &admin, &actor(&req, &admin)).await?
    {
        None => return Err(AppError::NotFound),
        Some(Decided::Approved(granted)) => Ok(approved_words(&granted)),
        Some(Decided::Recorded(status)) => Ok(format!("The request is {}.", status.in_sentence())),
        Some(Decided::AlreadyClosed(status)) => {
            Err(format!("Nothing was changed: the request was already {}.", status.in_sentence()))
        }
        Some(Decided::DomainRefused) => Err(DOMAIN_REFUSED.to_string()),
        Some(Decided::NotEntitled) => {
            Err("Nothing was changed: nobody decides their own request. Another admin or approver must.".to_string())
        }
    };
    flash_said(&session, message);
    Ok(see_other(&format!("/admin/requests/{request_id}")))
}
