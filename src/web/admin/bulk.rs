//! Admin → Invite many: a partner's CSV uploaded and checked (the dry run, nothing sent),
//! then started as a job the worker invites row by row, with a page that follows it
//! (refreshing itself while it runs) and the per-row result as a table and a CSV.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::bulk::{Job, Row};
use crate::error::{AppError, AppResult};
use crate::flows::bulk::job::{self, Report};
use crate::flows::bulk::{self, Outcome};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfUpload, NoFields, UploadRefused};
use crate::web::csv_download::CsvFile;
use crate::web::page::{PageCtx, flash_refused, render, render_with_status};
use crate::web::{actor, see_other};

/// The most rows a job's page lists (the counts and the CSV cover every row).
const LISTED: i64 = 1000;
/// Seconds between two refreshes of a running job's page.
const REFRESH_SECS: u32 = 2;

#[derive(Template)]
#[template(path = "admin/bulk.html")]
struct UploadPage {
    ctx: PageCtx,
    error: Option<String>,
    max_rows: usize,
    jobs: Vec<Job>,
}

/// A file that could not be read: the form again, with why next to the field.
const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The form; with an error, answered with `status` (422, or 413/400 for a body over the
/// limits).
async fn upload_page(
    state: &AppState,
    ctx: PageCtx,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let jobs = job::recent(state, 10).await?;
    let page = UploadPage { ctx, error, max_rows: bulk::MAX_ROWS, jobs };
    Ok(render_with_status(status, &page))
}

pub async fn form(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    upload_page(&state, ctx, None, StatusCode::OK).await
}

pub async fn template(_a: AdminUser) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"partners.csv\""))
        .body(bulk::template())
}

/// `POST /admin/invitations/bulk`: the file checked and kept as a job to start, or the
/// form again with why the file could not be read.
pub async fn check(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    AdminUser(admin): AdminUser,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let upload = match CsrfUpload::read(&req, payload, bulk::MAX_BYTES).await? {
        Ok(u) => u,
        Err(refused @ UploadRefused::FileTooLarge(_)) => {
            let why = format!("{refused} Split it into smaller files.");
            return upload_page(&state, ctx, Some(why), refused.status()).await;
        }
        Err(refused) => return upload_page(&state, ctx, Some(refused.to_string()), refused.status()).await,
    };
    let run = match bulk::dry_run(&state, &upload.bytes).await? {
        Ok(run) => run,
        Err(refused) => return upload_page(&state, ctx, Some(refused.to_string()), INVALID).await,
    };
    let send_mail = upload.field("send_mail").is_some();
    let id = job::store(&state, &admin, &actor(&req, &admin), &upload.file_name, send_mail, &run).await?;
    Ok(see_other(&format!("/admin/invitations/bulk/{id}")))
}

#[derive(Template)]
#[template(path = "admin/bulk_job.html")]
struct JobPage {
    ctx: PageCtx,
    report: Report,
    rows: Vec<(Row, Outcome)>,
    listed: i64,
    refresh: u32,
    /// Only the rows with a problem are listed (`?show=problems`).
    problems_only: bool,
}

impl JobPage {
    fn more(&self) -> bool {
        self.report.tally.total > self.listed
    }

    /// Rows the check found to invite: what Start will do.
    fn to_invite(&self) -> i64 {
        self.report.tally.to_do
    }
}

#[derive(Deserialize)]
pub struct Show {
    #[serde(default)]
    show: String,
}

pub async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<Uuid>,
    q: web::Query<Show>,
) -> AppResult<HttpResponse> {
    let report = job::report(&state, *id).await?.ok_or(AppError::NotFound)?;
    let problems_only = q.show == "problems";
    let rows = job::rows_shown(&state, *id, problems_only, LISTED).await?;
    Ok(render(&JobPage { ctx, report, rows, listed: LISTED, refresh: REFRESH_SECS, problems_only }))
}

/// `POST …/{id}/start`: a second click finds the job started and only shows it.
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    if !job::start(&state, *id, &actor(&req, &admin)).await? {
        job::report(&state, *id).await?.ok_or(AppError::NotFound)?;
        flash_refused(&session, "Nothing was started: this list was started already.");
    }
    Ok(see_other(&format!("/admin/invitations/bulk/{id}")))
}

/// `GET …/{id}/result.csv`: every row and what became of it.
pub async fn result(state: web::Data<AppState>, _a: AdminUser, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let report = job::report(&state, *id).await?.ok_or(AppError::NotFound)?;
    let mut out = CsvFile::new(&["row", "email", "display_name", "outcome", "detail", "invitation_id"])?;
    let mut after = 0;
    loop {
        let rows = job::rows(&state, report.job.id, after, 1000).await?;
        let Some(last) = rows.last().map(|(r, _)| r.number) else { break };
        for (r, outcome) in &rows {
            let code = if r.done { outcome.code() } else { "pending" };
            let id = r.invitation_id.map(|i| i.to_string()).unwrap_or_default();
            out.row(&[&r.number.to_string(), &r.email, &r.display_name, code, &outcome.label(), &id])?;
        }
        after = last;
    }
    out.download("invitations-result.csv")
}
