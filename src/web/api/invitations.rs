//! `/api/v1/invitations`, shaped like Microsoft Graph's invitation resource so that an
//! integration written for Graph ports with little change. Creating one calls the same
//! flow as Admin → Invite (`flows::invite`), with the same rules.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{ApiCaller, ApiResult, Problem, idempotency, json_body};
use crate::db::invitations::{self, Listed};
use crate::domain::invitation::InvitationStatus;
use crate::flows::invite::{self, InviteRefused, RawInvite};
use crate::state::AppState;

pub const SCOPE: &str = "invitations:write";
const PAGE_MAX: i64 = 200;
const PAGE_DEFAULT: i64 = 50;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewInvitation {
    invited_user_email_address: String,
    #[serde(default)]
    invite_redirect_url: Option<String>,
    #[serde(default)]
    invited_user_display_name: Option<String>,
    /// As in Graph, no mail unless asked for.
    #[serde(default)]
    send_invitation_message: bool,
    #[serde(default)]
    invited_user_message_info: Option<MessageInfo>,
    #[serde(default)]
    invited_user_type: Option<String>,
    #[serde(default)]
    reset_redemption: bool,
    #[serde(default)]
    invited_user: Option<UserRef>,
    /// Vestibule's own: apps the guest gets on redeeming.
    #[serde(default)]
    apps: Vec<Uuid>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageInfo {
    #[serde(default)]
    customized_message_body: Option<String>,
}

#[derive(Deserialize)]
pub struct UserRef {
    id: Uuid,
}

/// The flow's field names as the API names them.
fn api_field(field: &str) -> &str {
    match field {
        "email" => "invitedUserEmailAddress",
        "display_name" => "invitedUserDisplayName",
        "redirect_url" => "inviteRedirectUrl",
        "message" => "invitedUserMessageInfo.customizedMessageBody",
        other => other,
    }
}

/// Graph's words for an invitation's state (`Revoked` and `Expired` are Vestibule's).
fn status_word(s: InvitationStatus) -> &'static str {
    match s {
        InvitationStatus::Pending => "PendingAcceptance",
        InvitationStatus::Redeemed => "Completed",
        InvitationStatus::Revoked => "Revoked",
        InvitationStatus::Expired => "Expired",
    }
}

/// The resource. The redemption link exists only in the answer that made it (it is kept
/// hashed), as `inviteRedeemUrl`; elsewhere it is null.
fn resource(l: &Listed, redeem_url: Option<&str>, sent: Option<bool>) -> Value {
    let i = &l.invitation;
    json!({
        "id": i.id,
        "invitedUserEmailAddress": i.email,
        "invitedUserDisplayName": l.display_name,
        "invitedUserType": if l.user_type == crate::domain::user::GUEST { "Guest" } else { "Member" },
        "inviteRedirectUrl": i.redirect_url,
        "inviteRedeemUrl": redeem_url,
        "sendInvitationMessage": sent.unwrap_or(i.sent_count > 0),
        "invitedUserMessageInfo": { "customizedMessageBody": i.message },
        "invitedUser": { "id": i.user_id },
        "status": status_word(i.status),
        "createdDateTime": i.created_at,
        "expiresDateTime": i.expires_at,
    })
}

async fn listed(state: &AppState, id: Uuid) -> ApiResult<Listed> {
    let mut c = state.db.acquire().await?;
    invitations::find_listed(c.conn(), id).await?.ok_or_else(Problem::not_found)
}

fn refused(r: InviteRefused) -> Problem {
    let status = match r {
        InviteRefused::IsMember(_) | InviteRefused::AlreadyGuest(_) | InviteRefused::IsGuest(_) => StatusCode::CONFLICT,
        InviteRefused::TooSoon | InviteRefused::TooManySends(_) => StatusCode::TOO_MANY_REQUESTS,
        InviteRefused::NotAllowed | InviteRefused::AppsNeedAdmin => StatusCode::FORBIDDEN,
        InviteRefused::UnknownApp | InviteRefused::DomainNotAllowed(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut p = Problem::new(status, "Invitation refused", r.to_string());
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        let field = if matches!(r, InviteRefused::UnknownApp) { "apps" } else { "invitedUserEmailAddress" };
        p.errors.push((field.into(), r.to_string()));
    }
    p
}

/// `POST /api/v1/invitations`: 201 with the invitation and its `inviteRedeemUrl`.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    caller.require(SCOPE)?;
    idempotency::once(&req, &state, &caller, &body, || async {
        let new: NewInvitation = json_body(&req, &body)?;
        if new.invited_user_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("guest")) {
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid fields",
                "The API invites guests; add members from Admin → Members.",
            );
            p.errors.push(("invitedUserType".into(), "Only Guest is supported.".into()));
            return Err(p);
        }
        let actor = caller.actor(&req);
        if new.reset_redemption {
            let user_id = new.invited_user.as_ref().map(|u| u.id).ok_or_else(|| {
                let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid fields", "Say whose redemption.");
                p.errors.push(("invitedUser.id".into(), "resetRedemption needs the guest's id.".into()));
                p
            })?;
            let link = invite::reset_redemption(&state, user_id, &caller.0.user, &actor).await?.map_err(refused)?;
            let pending = {
                let mut c = state.db.acquire().await?;
                invitations::pending_for_user(c.conn(), user_id).await?.ok_or_else(Problem::not_found)?
            };
            return Ok((StatusCode::CREATED, resource(&listed(&state, pending.id).await?, Some(&link), Some(true))));
        }
        let message = new.invited_user_message_info.as_ref().and_then(|m| m.customized_message_body.as_deref());
        let raw = RawInvite {
            email: &new.invited_user_email_address,
            display_name: new.invited_user_display_name.as_deref().unwrap_or(""),
            redirect_url: new.invite_redirect_url.as_deref().unwrap_or(""),
            message: message.unwrap_or(""),
            app_ids: crate::web::chosen(&new.apps),
            send_email: new.send_invitation_message,
        };
        let input = invite::read(&state, &raw).await?.map_err(|errors| Problem::invalid(&errors, api_field))?;
        let done = invite::invite(&state, &caller.0.user, &input, &actor).await?.map_err(refused)?;
        let invitation = listed(&state, done.invitation_id).await?;
        Ok((StatusCode::CREATED, resource(&invitation, Some(&done.link), Some(done.sent))))
    })
    .await
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default, rename = "$top")]
    top: Option<String>,
    #[serde(default, rename = "$skiptoken")]
    skiptoken: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

fn cursor_of(l: &Listed) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", l.invitation.created_at.to_rfc3339(), l.invitation.id))
}

fn read_cursor(token: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let (at, id) = text.split_once('|')?;
    Some((DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc), Uuid::parse_str(id).ok()?))
}

/// `GET /api/v1/invitations?$top=50&status=PendingAcceptance`: newest first, with an
/// `@odata.nextLink` while there are more.
pub async fn list(state: web::Data<AppState>, caller: ApiCaller, q: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    caller.require(SCOPE)?;
    let top = match q.top.as_deref() {
        None => PAGE_DEFAULT,
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=PAGE_MAX).contains(n))
            .ok_or_else(|| Problem::bad_request(format!("$top must be a number from 1 to {PAGE_MAX}.")))?,
    };
    let after = match q.skiptoken.as_deref() {
        None => None,
        Some(t) => Some(read_cursor(t).ok_or_else(|| Problem::bad_request("$skiptoken is not one this API gave."))?),
    };
    let status = match q.status.as_deref() {
        None => None,
        Some(word) => Some(
            [
                InvitationStatus::Pending,
                InvitationStatus::Redeemed,
                InvitationStatus::Revoked,
                InvitationStatus::Expired,
            ]
            .into_iter()
            .find(|s| status_word(*s).eq_ignore_ascii_case(word))
            .ok_or_else(|| Problem::bad_request("status must be PendingAcceptance, Completed, Revoked or Expired."))?,
        ),
    };
    let mut rows = {
        let mut c = state.db.acquire().await?;
        invitations::page(c.conn(), status, after, top + 1).await?
    };
    let more = rows.len() as i64 > top;
    rows.truncate(top as usize);
    let mut body = json!({ "value": rows.iter().map(|l| resource(l, None, None)).collect::<Vec<_>>() });
    if let (true, Some(last)) = (more, rows.last()) {
        let mut next =
            format!("{}/api/v1/invitations?$top={top}&$skiptoken={}", state.settings.public_url, cursor_of(last));
        if let Some(s) = status {
            next.push_str(&format!("&status={}", status_word(s)));
        }
        body["@odata.nextLink"] = json!(next);
    }
    Ok(super::json(StatusCode::OK, &body))
}

fn id_of(path: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(path).map_err(|_| Problem::not_found())
}

/// `GET /api/v1/invitations/{id}`.
pub async fn show(state: web::Data<AppState>, caller: ApiCaller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    caller.require(SCOPE)?;
    Ok(super::json(StatusCode::OK, &resource(&listed(&state, id_of(&id)?).await?, None, None)))
}

/// `POST /api/v1/invitations/{id}/resend`: mails a new link (the old one stops working).
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    caller.require(SCOPE)?;
    let id = id_of(&id)?;
    idempotency::once(&req, &state, &caller, &body, || async {
        let invitation = listed(&state, id).await?;
        if invitation.invitation.status != InvitationStatus::Pending {
            return Err(Problem::new(StatusCode::CONFLICT, "Not pending", "Only a pending invitation can be resent."));
        }
        let user_id = invitation.invitation.user_id;
        let link = invite::resend(&state, user_id, &caller.actor(&req)).await?.map_err(refused)?;
        let pending = {
            let mut c = state.db.acquire().await?;
            invitations::pending_for_user(c.conn(), user_id).await?.ok_or_else(Problem::not_found)?
        };
        Ok((StatusCode::OK, resource(&listed(&state, pending.id).await?, Some(&link), Some(true))))
    })
    .await
}

/// `DELETE /api/v1/invitations/{id}`: revokes a pending invitation (204): its link stops
/// working, as with Revoke on the admin's user page.
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(SCOPE)?;
    let invitation = listed(&state, id_of(&id)?).await?;
    if invitation.invitation.status != InvitationStatus::Pending
        || !invite::revoke(&state, invitation.invitation.user_id, &caller.actor(&req)).await?
    {
        return Err(Problem::new(StatusCode::CONFLICT, "Not pending", "Only a pending invitation can be revoked."));
    }
    Ok(HttpResponse::NoContent().finish())
}
