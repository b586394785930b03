//! An invitation as typed in the form or sent to the API, and the rules its fields must
//! meet (`read`), the same for both and for each row of a partner's CSV.

use uuid::Uuid;

use crate::db::apps;
use crate::domain::url::RedirectTarget;
use crate::domain::{BoundedText, DisplayName, EmailAddress, FieldErrors};
use crate::error::AppResult;
use crate::state::AppState;

pub struct InviteInput {
    pub email: EmailAddress,
    pub display_name: Option<DisplayName>,
    pub redirect: Option<RedirectTarget>,
    pub message: BoundedText,
    pub app_ids: Vec<Uuid>,
    /// Groups the guest joins now (the API's `groups`; admins only).
    pub group_ids: Vec<Uuid>,
    /// Members who sponsor the guest besides the inviter (the API's `sponsors`).
    pub sponsor_ids: Vec<Uuid>,
    pub send_email: bool,
}

/// An invitation as it was typed in the form or sent to the API, before any rule is
/// checked; `read` applies the same rules to both.
pub struct RawInvite<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub redirect_url: &'a str,
    pub message: &'a str,
    pub app_ids: Vec<Uuid>,
    pub send_email: bool,
}

/// Reads an invitation's fields; each error under its field's name (`email`,
/// `display_name`, `redirect_url`, `message`). Redirects may go to this portal or an app.
pub async fn read(state: &AppState, raw: &RawInvite<'_>) -> AppResult<Result<InviteInput, FieldErrors>> {
    let origins = if raw.redirect_url.trim().is_empty() {
        Vec::new()
    } else {
        let mut c = state.db.acquire().await?;
        apps::origins(&apps::all(c.conn()).await?)
    };
    Ok(read_with(raw, &state.settings.public_origin(), &origins))
}

/// `read`, with the origins a redirect may go to already known (many rows at once).
pub fn read_with(raw: &RawInvite<'_>, public_origin: &str, app_origins: &[String]) -> Result<InviteInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let email = errors.take("email", EmailAddress::parse(raw.email));
    let display_name = errors.take("display_name", DisplayName::parse_optional(raw.display_name));
    let redirect = if raw.redirect_url.trim().is_empty() {
        Some(None)
    } else {
        errors.take("redirect_url", RedirectTarget::parse(raw.redirect_url, public_origin, app_origins).map(Some))
    };
    let message = errors.take("message", BoundedText::parse(raw.message, "The message", 2000, true));
    match (email, display_name, redirect, message) {
        (Some(email), Some(display_name), Some(redirect), Some(message)) if errors.is_empty() => Ok(InviteInput {
            email,
            display_name,
            redirect,
            message,
            app_ids: raw.app_ids.clone(),
            group_ids: Vec::new(),
            sponsor_ids: Vec::new(),
            send_email: raw.send_email,
        }),
        _ => Err(errors),
    }
}
