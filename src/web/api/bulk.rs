//! `/api/v1/invitations/bulk`: many invitations as one job — the same job as Admin →
//! Invite many (`flows::bulk`): the rows are checked, stored and invited by the worker,
//! each once, however often the same list is sent.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::idempotency::{self, Answer};
use super::invitations::MessageInfo;
use super::problem_doc::{BodyRefusals, ProblemDoc, Refusals};
use super::{ApiCaller, ApiResult, Problem, id_of, json_body, ok_json, to_json};
use crate::db::users::User;
use crate::db::{Conn, Tx};
use crate::domain::audit::Actor;
use crate::domain::bulk::JobStatus;
use crate::domain::invite::InviteFields;
use crate::flows::bulk::job::{self, Report};
use crate::flows::bulk::{self, DryRun, RowInput};
use crate::state::AppState;

/// The largest list body accepted: 10,000 rows of addresses, names and notes.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// A list of guests to invite.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewBulk {
    /// At most 10,000.
    #[schema(min_items = 1, max_items = 10000)]
    invitations: Vec<BulkRow>,
    /// Mail each guest their invitation (default false, as for one invitation).
    #[serde(default)]
    send_invitation_message: bool,
    /// A name for the list, shown on Admin → Invite many.
    #[serde(default)]
    #[schema(max_length = 200)]
    name: Option<String>,
}

/// One guest of the list: the fields of one invitation. Each row is checked on its own: a
/// bad field does not refuse the list, it is reported as the row's outcome (`invalid`).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkRow {
    /// Checked as for one invitation; a bad address makes the row `invalid`.
    #[schema(example = "ana@fabrikam.example")]
    invited_user_email_address: String,
    #[serde(default)]
    invited_user_display_name: Option<String>,
    #[serde(default)]
    invite_redirect_url: Option<String>,
    #[serde(default, deserialize_with = "super::object_or_null")]
    invited_user_message_info: Option<MessageInfo>,
    #[serde(default)]
    apps: Vec<Uuid>,
}

impl BulkRow {
    /// The row's fields as the invite flow reads them (`domain::invite`).
    fn fields(self) -> InviteFields {
        InviteFields {
            email: self.invited_user_email_address,
            display_name: self.invited_user_display_name.unwrap_or_default(),
            redirect_url: self.invite_redirect_url.unwrap_or_default(),
            app_ids: self.apps,
            ..MessageInfo::fields(self.invited_user_message_info.as_ref())
        }
    }
}

/// A bulk job and what became of each of its rows.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkJob {
    id: Uuid,
    /// `running` while rows are being invited, then `done`.
    #[schema(example = "running")]
    status: &'static str,
    total: i64,
    /// Rows not invited yet.
    to_do: i64,
    invited: i64,
    skipped: i64,
    not_invited: i64,
    created_date_time: DateTime<Utc>,
    finished_date_time: Option<DateTime<Utc>>,
    rows: Vec<BulkRowResult>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkRowResult {
    /// The row's place in the list, from 1.
    row: i64,
    invited_user_email_address: String,
    /// `pending` until the row is done; then `invited`, `already_invited`, `already_guest`,
    /// `member`, `duplicate`, `domain_refused`, `invalid` or `refused`.
    #[schema(example = "invited")]
    outcome: &'static str,
    /// In words.
    detail: String,
    invitation_id: Option<Uuid>,
}

async fn resource(state: &AppState, report: Report) -> ApiResult<BulkJob> {
    let mut c = state.db.acquire().await?;
    resource_in(c.conn(), report).await
}

async fn resource_in(c: Conn<'_>, report: Report) -> ApiResult<BulkJob> {
    let rows = job::rows_in(c, report.job.id, 0, bulk::MAX_ROWS as i64).await?;
    let t = report.tally;
    Ok(BulkJob {
        id: report.job.id,
        status: if report.job.status == JobStatus::Done { "done" } else { "running" },
        total: t.total,
        to_do: t.to_do,
        invited: t.invited,
        skipped: t.skipped,
        not_invited: t.problems,
        created_date_time: report.job.created_at,
        finished_date_time: report.job.finished_at,
        rows: rows
            .into_iter()
            .map(|(r, o)| BulkRowResult {
                row: r.number,
                invited_user_email_address: r.email,
                outcome: if r.done { o.code() } else { "pending" },
                detail: o.label(),
                invitation_id: r.invitation_id,
            })
            .collect(),
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/invitations/bulk",
    tag = "invitations",
    summary = "Invite a list of guests",
    description = "Each row is checked as one invitation would be, then the rows are invited in the background: 202 with the job; `GET /api/v1/invitations/bulk/{id}` tells how it is going. A row with a bad field is reported (`invalid`), not refused with the list. A guest invited already (pending) is skipped, so sending the same list again invites nobody twice. The body may hold up to 8 MB.",
    request_body = NewBulk,
    security(("api_key" = ["invitations:write"])),
    responses(
        (status = 202, description = "Accepted: the rows are being invited", body = BulkJob),
        (status = 422, description = "No rows, more than 10,000, or a name over 200 characters", body = ProblemDoc, content_type = "application/problem+json"),
        BodyRefusals,
        Refusals,
    )
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let state = state.get_ref();
    let actor = caller.actor(&req);
    let inviter = &caller.0.user;
    // Checking the rows reads a lot and writes nothing: it happens before the transaction.
    let prepare = || async {
        let new: NewBulk = json_body(&req, &body)?;
        for (i, row) in new.invitations.iter().enumerate() {
            if let Some(info) = &row.invited_user_message_info {
                info.check(&format!("invitations[{i}].invitedUserMessageInfo"))?;
            }
        }
        let name = new.name.unwrap_or_default();
        let mut errors = Vec::new();
        if new.invitations.is_empty() || new.invitations.len() > bulk::MAX_ROWS {
            errors.push(("invitations", format!("{} rows: send 1 to 10,000.", new.invitations.len())));
        }
        if name.chars().count() > 200 {
            errors.push(("name", "At most 200 characters.".to_string()));
        }
        if !errors.is_empty() {
            let mut p =
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid fields", "Some fields were not accepted.");
            p.errors.extend(errors.into_iter().map(|(field, why)| (field.to_string(), why)));
            return Err(p);
        }
        let rows = new
            .invitations
            .into_iter()
            .enumerate()
            .map(|(i, r)| RowInput { number: i + 1, fields: r.fields(), unknown_app: None })
            .collect();
        let run = bulk::check(state, rows).await?;
        let name: String = name.chars().filter(|c| !c.is_control()).collect();
        Ok((name, new.send_invitation_message, run))
    };
    let change = |mut tx: Tx, (name, send, run): (String, bool, DryRun)| async move {
        let answer = store_and_start(state, &mut tx, inviter, &actor, &name, send, &run).await;
        (tx, answer)
    };
    let answer = idempotency::once(&req, state, &caller, &body, prepare, change).await;
    job::wake_worker(state);
    answer
}

async fn store_and_start(
    state: &AppState,
    tx: &mut Tx,
    inviter: &User,
    actor: &Actor,
    name: &str,
    send: bool,
    run: &DryRun,
) -> Answer {
    let id = job::store_within(state, tx, inviter, actor, name, send, run).await?;
    job::start_within(state, tx, id, actor).await?;
    let report = job::report_in(tx.conn(), id).await?.ok_or_else(Problem::not_found)?;
    Ok((StatusCode::ACCEPTED, to_json(&resource_in(tx.conn(), report).await?)?))
}

#[utoipa::path(
    get,
    path = "/api/v1/invitations/bulk/{id}",
    tag = "invitations",
    summary = "How a list is going",
    description = "The job's counts and every row's outcome so far.",
    params(("id" = Uuid, Path, description = "The job's id")),
    security(("api_key" = ["invitations:write"])),
    responses(
        (status = 200, description = "The job", body = BulkJob),
        (status = 404, description = "No such job", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn show(state: web::Data<AppState>, _caller: ApiCaller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id_of(&id)?;
    let report = job::report(&state, id).await?.filter(|r| !r.is_checked()).ok_or_else(Problem::not_found)?;
    ok_json(&resource(&state, report).await?)
}
