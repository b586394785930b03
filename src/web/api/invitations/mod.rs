//! `/api/v1/invitations`, shaped like Microsoft Graph's invitation resource so that an
//! integration written for Graph ports with little change. Creating one calls the same
//! flow as Admin → Invite (`flows::invite`), with the same rules. The resource's shape is
//! in `schema`.

mod schema;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use uuid::Uuid;

use super::idempotency::{self, Answer};
use super::problem_doc::{BodyRefusals, ProblemDoc, Refusals};
use super::{ApiCaller, ApiResult, Problem, id_of, json_body, ok_json, to_json};
use crate::db::invitations::{self, Listed};
use crate::db::users::User;
use crate::db::{Conn, Tx};
use crate::domain::audit::Actor;
use crate::domain::invitation::InvitationStatus;
use crate::domain::user::MAX_SPONSORS;
use crate::flows::invitations as invitation_flows;
use crate::flows::invite::{self, IfPending, InviteRefused};
use crate::state::AppState;
use schema::{
    Invitation, InvitationList, ListQuery, NewInvitation, api_field, cursor_of, read_cursor, resource, status_of_word,
    status_word,
};
pub use schema::{MessageInfo, StatusWord};

pub const SCOPE: &str = "invitations:write";
const PAGE_MAX: i64 = 200;
const PAGE_DEFAULT: i64 = 50;

async fn listed(state: &AppState, id: Uuid) -> ApiResult<Listed> {
    let mut c = state.db.acquire().await?;
    listed_in(c.conn(), id).await
}

async fn listed_in(c: Conn<'_>, id: Uuid) -> ApiResult<Listed> {
    invitations::find_listed(c, id).await?.ok_or_else(Problem::not_found)
}

/// A guest's pending invitation just (re)sent with a new `link`, as JSON, read in the
/// transaction that sent it.
async fn pending_with_link(tx: &mut Tx, user_id: Uuid, link: &str) -> ApiResult<Value> {
    let pending = invitations::pending_for_user(tx.conn(), user_id).await?.ok_or_else(Problem::not_found)?;
    to_json(&resource(&listed_in(tx.conn(), pending.id).await?, Some(link), Some(true)))
}

fn refused(r: InviteRefused) -> Problem {
    let status = match r {
        InviteRefused::IsMember(_)
        | InviteRefused::AlreadyGuest(_)
        | InviteRefused::IsGuest(_)
        | InviteRefused::Pending(_)
        | InviteRefused::InvitedByOther { .. } => StatusCode::CONFLICT,
        InviteRefused::TooSoon(_) => StatusCode::TOO_MANY_REQUESTS,
        // Not a rate: waiting does not help, revoking and checking the address does.
        InviteRefused::TooManySends(_) => StatusCode::CONFLICT,
        InviteRefused::NotAllowed | InviteRefused::AppsNeedAdmin => StatusCode::FORBIDDEN,
        InviteRefused::UnknownApp
        | InviteRefused::UnknownGroup
        | InviteRefused::NotASponsor(_)
        | InviteRefused::UnknownPackage
        | InviteRefused::PackageRefusesDomain(..)
        | InviteRefused::DomainNotAllowed(_)
        | InviteRefused::DoNotInvite(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut p = Problem::new(status, "Invitation refused", r.to_string());
    if let InviteRefused::TooSoon(secs) = &r {
        p.retry_after = u64::try_from(*secs).ok();
    }
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        let field = match r {
            InviteRefused::UnknownApp => "apps",
            InviteRefused::UnknownGroup => "groups",
            InviteRefused::NotASponsor(_) => "sponsors",
            _ => "invitedUserEmailAddress",
        };
        p.errors.push((field.into(), r.to_string()));
    }
    p
}

#[utoipa::path(
    post,
    path = "/api/v1/invitations",
    tag = "invitations",
    summary = "Invite a guest",
    description = "Makes the guest's account (pending acceptance) and an invitation, as Admin → Invite a guest does, with the same rules: the partner domain policy, who may be invited again, the apps. Inviting a pending guest again sends a new link. With `sendInvitationMessage` the guest is mailed; otherwise pass `inviteRedeemUrl` on yourself.",
    request_body = NewInvitation,
    security(("api_key" = ["invitations:write"])),
    responses(
        (status = 201, description = "Invited", body = Invitation),
        (status = 404, description = "No such guest (resetRedemption)", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "A member, or a guest already", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = ProblemDoc, content_type = "application/problem+json"),
        BodyRefusals,
        Refusals,
    )
)]
/// `POST /api/v1/invitations`: 201 with the invitation and its `inviteRedeemUrl`.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let state = state.get_ref();
    let actor = caller.actor(&req);
    let inviter = &caller.0.user;
    let prepare = || async {
        let new: NewInvitation = json_body(&req, &body)?;
        if let Some(info) = &new.invited_user_message_info {
            info.check("invitedUserMessageInfo")?;
        }
        if new.invited_user_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("guest")) {
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid fields",
                "The API invites guests; add members from Admin → Members.",
            );
            p.errors.push(("invitedUserType".into(), "Only Guest is supported.".into()));
            return Err(p);
        }
        if new.reset_redemption {
            let user_id = new
                .invited_user
                .as_ref()
                .map(|u| u.id)
                .ok_or_else(|| Problem::invalid_field("invitedUser.id", "resetRedemption needs the guest's id."))?;
            // The redirect, message and Cc are checked as for any invitation.
            let input = invite::read(state, &new.fields(inviter.id))
                .await?
                .map_err(|errors| Problem::invalid(&errors, api_field))?;
            return Ok(Asked::ResetRedemption(user_id, Box::new(input)));
        }
        if new.sponsors.len() as i64 >= MAX_SPONSORS {
            let why = format!("A guest has at most {MAX_SPONSORS} sponsors, the inviter among them.");
            return Err(Problem::invalid_field("sponsors", why));
        }
        let fields = new.fields(inviter.id);
        let input = invite::read(state, &fields).await?.map_err(|errors| Problem::invalid(&errors, api_field))?;
        Ok(Asked::Invite(Box::new(input)))
    };
    let change = |mut tx: Tx, asked: Asked| async move {
        let answer = match asked {
            Asked::ResetRedemption(user_id, input) => reset_in(state, &mut tx, user_id, &input, inviter, &actor).await,
            Asked::Invite(input) => invite_in(state, &mut tx, inviter, &input, &actor).await,
        };
        (tx, answer)
    };
    idempotency::once(&req, state, &caller, &body, prepare, change).await
}

/// What `POST /api/v1/invitations` asks for, once read.
enum Asked {
    /// The guest, and what the new invitation says and where it lands (else where the
    /// last one did).
    ResetRedemption(Uuid, Box<invite::InviteInput>),
    Invite(Box<invite::InviteInput>),
}

async fn reset_in(
    state: &AppState,
    tx: &mut Tx,
    user_id: Uuid,
    input: &invite::InviteInput,
    inviter: &User,
    actor: &Actor,
) -> Answer {
    let redirect = input.redirect.as_ref().map(|r| r.as_str());
    let note = invitation_flows::Note::of(input);
    let link = invitation_flows::reset_redemption_within(state, tx, user_id, inviter, redirect, note, actor)
        .await?
        .map_err(refused)?;
    let mut answer = pending_with_link(tx, user_id, &link).await?;
    // Graph echoes what was asked.
    answer["resetRedemption"] = Value::Bool(true);
    Ok((StatusCode::CREATED, answer))
}

async fn invite_in(
    state: &AppState,
    tx: &mut Tx,
    inviter: &User,
    input: &invite::InviteInput,
    actor: &Actor,
) -> Answer {
    let done = invite::invite_in(state, tx, inviter, input, actor, IfPending::Resend).await?.map_err(refused)?;
    let invitation = listed_in(tx.conn(), done.invitation_id).await?;
    Ok((StatusCode::CREATED, to_json(&resource(&invitation, Some(&done.link), Some(done.sent)))?))
}

#[utoipa::path(
    get,
    path = "/api/v1/invitations",
    tag = "invitations",
    summary = "List invitations",
    description = "Newest first, a page at a time: follow `@odata.nextLink` for the next.",
    params(ListQuery),
    security(("api_key" = ["invitations:write"])),
    responses(
        (status = 200, description = "A page of invitations", body = InvitationList),
        (status = 400, description = "A bad query parameter", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
/// `GET /api/v1/invitations?$top=50&status=PendingAcceptance`: newest first, with an
/// `@odata.nextLink` while there are more.
pub async fn list(state: web::Data<AppState>, _caller: ApiCaller, q: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    let top = super::page_size(q.top.as_deref(), PAGE_DEFAULT, PAGE_MAX)?;
    let after = match q.skiptoken.as_deref() {
        None => None,
        Some(t) => Some(read_cursor(t).ok_or_else(|| Problem::bad_request("$skiptoken is not one this API gave."))?),
    };
    let status =
        match q.status.as_deref() {
            None => None,
            Some(word) => Some(status_of_word(word).ok_or_else(|| {
                Problem::bad_request("status must be PendingAcceptance, Completed, Revoked or Expired.")
            })?),
        };
    let mut rows = {
        let mut c = state.db.acquire().await?;
        invitations::page(c.conn(), status, after, top + 1).await?
    };
    let more = rows.len() as i64 > top;
    rows.truncate(top as usize);
    let status_filter = status.map(status_word);
    let next_link = match (more, rows.last()) {
        (true, Some(last)) => {
            let filters = [("status", status_filter)];
            Some(super::next_link(&state, "/api/v1/invitations", &filters, top, &cursor_of(last)))
        }
        _ => None,
    };
    ok_json(&InvitationList { value: rows.iter().map(|l| resource(l, None, None)).collect(), next_link })
}

#[utoipa::path(
    get,
    path = "/api/v1/invitations/{id}",
    tag = "invitations",
    summary = "Read an invitation",
    params(("id" = Uuid, Path, description = "The invitation's id")),
    security(("api_key" = ["invitations:write"])),
    responses(
        (status = 200, description = "The invitation", body = Invitation),
        (status = 404, description = "No such invitation", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
/// `GET /api/v1/invitations/{id}`.
pub async fn show(state: web::Data<AppState>, _caller: ApiCaller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    ok_json(&resource(&listed(&state, id_of(&id)?).await?, None, None))
}

#[utoipa::path(
    post,
    path = "/api/v1/invitations/{id}/resend",
    tag = "invitations",
    summary = "Send an invitation again",
    description = "Mails the guest a new link; the old one stops working. At most once a minute, and five times in all.",
    params(("id" = Uuid, Path, description = "The invitation's id")),
    security(("api_key" = ["invitations:write"])),
    responses(
        (status = 200, description = "Sent again, with the new link", body = Invitation),
        (status = 400, description = "A malformed Idempotency-Key", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such invitation", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Not pending", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
/// `POST /api/v1/invitations/{id}/resend`: mails a new link (the old one stops working).
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let id = id_of(&id)?;
    let state = state.get_ref();
    let actor = caller.actor(&req);
    let change = |mut tx: Tx, ()| async move {
        let answer = resend_in(state, &mut tx, id, &actor).await;
        (tx, answer)
    };
    idempotency::once(&req, state, &caller, &body, || async { Ok(()) }, change).await
}

async fn resend_in(state: &AppState, tx: &mut Tx, id: Uuid, actor: &Actor) -> Answer {
    let invitation = listed_in(tx.conn(), id).await?;
    if invitation.invitation.status != InvitationStatus::Pending {
        return Err(Problem::new(StatusCode::CONFLICT, "Not pending", "Only a pending invitation can be resent."));
    }
    let user_id = invitation.invitation.user_id;
    let link = invitation_flows::resend_within(state, tx, user_id, actor).await?.map_err(refused)?;
    Ok((StatusCode::OK, pending_with_link(tx, user_id, &link).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/invitations/{id}/revoke",
    tag = "invitations",
    summary = "Revoke an invitation",
    description = "Its link stops working; the invitation stays on record with the status `Revoked`.",
    params(("id" = Uuid, Path, description = "The invitation's id")),
    security(("api_key" = ["invitations:write"])),
    responses(
        (status = 200, description = "Revoked: its link no longer works", body = Invitation),
        (status = 404, description = "No such invitation", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Not pending", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
/// `POST /api/v1/invitations/{id}/revoke`: revokes a pending invitation: its link stops
/// working, as with Revoke on the admin's user page. The invitation stays, `Revoked`.
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id_of(&id)?;
    let invitation = listed(&state, id).await?;
    if invitation.invitation.status != InvitationStatus::Pending
        || !invitation_flows::revoke(&state, invitation.invitation.user_id, &caller.actor(&req)).await?
    {
        return Err(Problem::new(StatusCode::CONFLICT, "Not pending", "Only a pending invitation can be revoked."));
    }
    ok_json(&resource(&listed(&state, id).await?, None, None))
}
