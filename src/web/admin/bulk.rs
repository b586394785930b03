//! Admin: a CSV of partners checked before inviting them (the dry run of bulk invitations):
//! the upload form, a template to start from, and the row-by-row outcome.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::AdminUser;
use crate::error::{AppError, AppResult};
use crate::flows::bulk::{self, DryRun, Outcome};
use crate::state::AppState;
use crate::web::csrf::CsrfUpload;
use crate::web::page::{PageCtx, render, render_invalid};

/// The most rows the outcome page lists (the counts cover every row).
const LISTED: usize = 1000;

#[derive(Template)]
#[template(path = "admin/bulk.html")]
struct UploadPage {
    ctx: PageCtx,
    error: Option<String>,
    max_rows: usize,
}

pub async fn form(ctx: PageCtx, _a: AdminUser) -> HttpResponse {
    render(&UploadPage { ctx, error: None, max_rows: bulk::MAX_ROWS })
}

pub async fn template(_a: AdminUser) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"partners.csv\""))
        .body(bulk::template())
}

#[derive(Template)]
#[template(path = "admin/bulk_checked.html")]
struct CheckedPage {
    ctx: PageCtx,
    file_name: String,
    run: DryRun,
    listed: usize,
}

impl CheckedPage {
    fn shown(&self) -> impl Iterator<Item = &bulk::Row> {
        self.run.rows.iter().take(self.listed)
    }

    fn more(&self) -> bool {
        self.run.rows.len() > self.listed
    }

    fn n(&self, kind: &str) -> usize {
        self.run.count(|o| match kind {
            "send" => o.will_send(),
            "skip" => matches!(o, Outcome::AlreadyGuest | Outcome::IsMember | Outcome::Duplicate(_)),
            _ => matches!(o, Outcome::Invalid(_) | Outcome::DomainRefused),
        })
    }
}

pub async fn check(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let upload = match CsrfUpload::read(&req, payload, bulk::MAX_BYTES).await {
        Ok(u) => u,
        Err(AppError::BadRequest(why)) => {
            return Ok(render_invalid(&UploadPage { ctx, error: Some(why), max_rows: bulk::MAX_ROWS }));
        }
        Err(other) => return Err(other),
    };
    match bulk::dry_run(&state, &upload.bytes).await? {
        Ok(run) => Ok(render(&CheckedPage { ctx, file_name: upload.file_name, run, listed: LISTED })),
        Err(refused) => {
            Ok(render_invalid(&UploadPage { ctx, error: Some(refused.to_string()), max_rows: bulk::MAX_ROWS }))
        }
    }
}
