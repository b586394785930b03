//! The invitation resource as the API shows and takes it: Microsoft Graph's field names,
//! Graph's status words, the list's query and its page cursor. The handlers beside it
//! (`super`) call the flows.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::invitations::Listed;
use crate::domain::invitation::InvitationStatus;
use crate::domain::invite::InviteFields;

/// A new invitation: Microsoft Graph's invitation fields, plus Vestibule's `apps`, `groups`
/// and `sponsors`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewInvitation {
    /// The guest's address.
    #[schema(example = "ana@fabrikam.example", format = Email)]
    pub(super) invited_user_email_address: String,
    /// Where the guest lands after redeeming: this portal or an app's address. Default:
    /// the Access Panel.
    #[serde(default)]
    pub(super) invite_redirect_url: Option<String>,
    #[serde(default)]
    pub(super) invited_user_display_name: Option<String>,
    /// As in Graph, no mail unless asked for: pass `inviteRedeemUrl` on yourself.
    #[serde(default)]
    pub(super) send_invitation_message: bool,
    #[serde(default, deserialize_with = "crate::web::api::object_or_null")]
    pub(super) invited_user_message_info: Option<MessageInfo>,
    /// `Guest` (the default) is the only type the API invites.
    #[serde(default)]
    #[schema(example = "Guest")]
    pub(super) invited_user_type: Option<String>,
    /// Start the guest's redemption again (a new link); needs `invitedUser.id`.
    #[serde(default)]
    pub(super) reset_redemption: bool,
    #[serde(default, deserialize_with = "crate::web::api::object_or_null")]
    pub(super) invited_user: Option<UserRef>,
    /// Vestibule's own: apps the guest gets on redeeming.
    #[serde(default)]
    pub(super) apps: Vec<Uuid>,
    /// Vestibule's own: groups the guest joins (and so their apps).
    #[serde(default)]
    pub(super) groups: Vec<Uuid>,
    /// Vestibule's own: members who sponsor the guest besides the key's admin (at most 4).
    #[serde(default)]
    #[schema(max_items = 4)]
    pub(super) sponsors: Vec<Uuid>,
}

impl NewInvitation {
    /// The invitation's fields as the invite flow reads them (`domain::invite`): the one
    /// adapter from Graph's names. The key's admin is the inviter, so not a sponsor twice.
    pub(super) fn fields(&self, inviter: Uuid) -> InviteFields {
        InviteFields {
            email: self.invited_user_email_address.clone(),
            display_name: self.invited_user_display_name.clone().unwrap_or_default(),
            redirect_url: self.invite_redirect_url.clone().unwrap_or_default(),
            app_ids: self.apps.clone(),
            group_ids: self.groups.clone(),
            sponsor_ids: self.sponsors.iter().copied().filter(|id| *id != inviter).collect(),
            package_id: None,
            send_email: self.send_invitation_message,
            ..MessageInfo::fields(self.invited_user_message_info.as_ref())
        }
    }
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageInfo {
    /// A personal note in the invitation mail (at most 2,000 characters).
    #[serde(default)]
    pub customized_message_body: Option<String>,
    /// The mail's language, and the guest's: `en`, `de`, `fr` or `es`, with or without a
    /// region (`fr-FR`); another is refused (400) rather than ignored.
    #[serde(default)]
    #[schema(example = "en-US")]
    pub message_language: Option<String>,
    /// Who gets a copy of the invitation mail: one recipient, as in Graph.
    #[serde(default, deserialize_with = "crate::web::api::list_or_null")]
    #[schema(value_type = Option<Vec<Recipient>>)]
    pub cc_recipients: Vec<Recipient>,
}

/// A mail recipient, as Graph writes one.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recipient {
    pub email_address: RecipientAddress,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientAddress {
    /// A mail address: refused by name (422) when it is not one, or, in a bulk list, the
    /// row's outcome.
    #[schema(example = "lead@fabrikam.example")]
    pub address: String,
    /// Accepted for Graph's sake; the copy goes to the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl MessageInfo {
    /// What the portal cannot do as asked, refused by name: a language it has no mail in,
    /// more than one Cc.
    pub fn check(&self, path: &str) -> Result<(), super::super::Problem> {
        if self.cc_recipients.len() > 1 {
            return Err(super::super::Problem::bad_field(
                &format!("{path}.ccRecipients"),
                "At most one Cc recipient, as in Microsoft Graph.",
            ));
        }
        match self.message_language.as_deref() {
            None => Ok(()),
            Some(tag) if crate::i18n::is_shipped_tag(tag) => Ok(()),
            Some(_) => Err(super::super::Problem::bad_field(
                &format!("{path}.messageLanguage"),
                format!("The portal writes its mail in {}.", crate::i18n::Lang::shipped_tags()),
            )),
        }
    }

    /// The message, its Cc and its language as the invite flow reads them (the rest empty).
    pub fn fields(info: Option<&MessageInfo>) -> InviteFields {
        let Some(m) = info else { return InviteFields::default() };
        InviteFields {
            message: m.customized_message_body.clone().unwrap_or_default(),
            cc: m.cc(),
            language: m.message_language.clone().unwrap_or_default(),
            ..InviteFields::default()
        }
    }

    /// The Cc's address (empty: none), once `check` passed.
    pub fn cc(&self) -> String {
        self.cc_recipients.first().map(|r| r.email_address.address.clone()).unwrap_or_default()
    }

    /// As an invitation shows it.
    fn shown(message: &str, cc: &str) -> MessageInfo {
        let cc_recipients = if cc.is_empty() {
            Vec::new()
        } else {
            vec![Recipient { email_address: RecipientAddress { address: cc.to_string(), name: None } }]
        };
        MessageInfo { customized_message_body: Some(message.to_string()), message_language: None, cc_recipients }
    }
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRef {
    pub(super) id: Uuid,
}

/// An invitation, as Graph shows one.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    id: Uuid,
    invited_user_email_address: String,
    invited_user_display_name: String,
    #[schema(example = "Guest")]
    invited_user_type: &'static str,
    invite_redirect_url: Option<String>,
    /// The redemption link: only in the answer that made it (Vestibule keeps its hash).
    invite_redeem_url: Option<String>,
    send_invitation_message: bool,
    invited_user_message_info: MessageInfo,
    invited_user: UserRef,
    /// True in the answer to a `resetRedemption` request.
    reset_redemption: bool,
    #[schema(value_type = StatusWord)]
    status: &'static str,
    created_date_time: DateTime<Utc>,
    expires_date_time: DateTime<Utc>,
}

/// A page of invitations, newest first.
#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    pub(super) value: Vec<Invitation>,
    /// The next page, while there is one.
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    pub(super) next_link: Option<String>,
}

/// The flow's field names as the API names them.
pub(super) fn api_field(field: &str) -> &str {
    match field {
        "email" => "invitedUserEmailAddress",
        "display_name" => "invitedUserDisplayName",
        "redirect_url" => "inviteRedirectUrl",
        "message" => "invitedUserMessageInfo.customizedMessageBody",
        "cc" => "invitedUserMessageInfo.ccRecipients[0].emailAddress.address",
        other => other,
    }
}

/// Graph's words for an invitation's state (`Revoked` and `Expired` are Vestibule's).
pub(super) fn status_word(s: InvitationStatus) -> &'static str {
    match s {
        InvitationStatus::Pending => "PendingAcceptance",
        InvitationStatus::Redeemed => "Completed",
        InvitationStatus::Revoked => "Revoked",
        InvitationStatus::Expired => "Expired",
    }
}

/// The resource. The redemption link exists only in the answer that made it (it is kept
/// hashed), as `inviteRedeemUrl`; elsewhere it is null.
pub(super) fn resource(l: &Listed, redeem_url: Option<&str>, sent: Option<bool>) -> Invitation {
    let i = &l.invitation;
    Invitation {
        id: i.id,
        invited_user_email_address: i.email.clone(),
        invited_user_display_name: l.display_name.clone(),
        invited_user_type: if l.user_type == crate::domain::user::GUEST { "Guest" } else { "Member" },
        invite_redirect_url: i.redirect_url.clone(),
        invite_redeem_url: redeem_url.map(str::to_string),
        send_invitation_message: sent.unwrap_or(i.sent_count > 0),
        invited_user_message_info: MessageInfo::shown(&i.message, &i.cc),
        invited_user: UserRef { id: i.user_id },
        reset_redemption: false,
        status: status_word(i.status),
        created_date_time: i.created_at,
        expires_date_time: i.expires_at,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many on a page: 1 to 200 (default 50).
    #[serde(default, rename = "$top")]
    #[param(rename = "$top", value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub(super) top: Option<String>,
    /// Where the page starts: from the previous page's `@odata.nextLink`.
    #[serde(default, rename = "$skiptoken")]
    #[param(rename = "$skiptoken")]
    pub(super) skiptoken: Option<String>,
    /// Only invitations in this state.
    #[serde(default)]
    #[param(value_type = Option<StatusWord>)]
    pub(super) status: Option<String>,
}

/// An invitation's state, in Graph's words (`Revoked` and `Expired` are Vestibule's).
#[derive(ToSchema)]
#[allow(dead_code)] // only its schema is used: `status_word` writes the words
pub enum StatusWord {
    PendingAcceptance,
    Completed,
    Revoked,
    Expired,
}

pub(super) fn cursor_of(l: &Listed) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", l.invitation.created_at.to_rfc3339(), l.invitation.id))
}

pub(super) fn read_cursor(token: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let (at, id) = text.split_once('|')?;
    Some((DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc), Uuid::parse_str(id).ok()?))
}
/// The status a `status=` word names (any case), if any.
pub(super) fn status_of_word(word: &str) -> Option<InvitationStatus> {
    [InvitationStatus::Pending, InvitationStatus::Redeemed, InvitationStatus::Revoked, InvitationStatus::Expired]
        .into_iter()
        .find(|s| status_word(*s).eq_ignore_ascii_case(word))
}
