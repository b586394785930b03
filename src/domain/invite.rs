//! One invitation, whatever brought it: the admin's form, the Access Panel's form, the
//! API's JSON (one invitation or a bulk row) or a row of a partner's CSV. Each of those is
//! a thin adapter that fills `InviteFields` with what was given; `InviteFields::read`
//! applies the rules once and gives an `InviteInput`. A bulk job stores each row's fields
//! as given (JSON) and reads them again when the row's turn comes, so a new field of an
//! invitation is added here, in its adapters, and nowhere in between.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::url::RedirectTarget;
use super::{BoundedText, DisplayName, EmailAddress, FieldErrors};

/// The longest personal message an invitation carries.
pub const MESSAGE_MAX: usize = 2000;

/// An invitation as given, before any rule is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteFields {
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub redirect_url: String,
    #[serde(default)]
    pub message: String,
    /// An address the invitation mail is copied to (the API's `ccRecipients`).
    #[serde(default)]
    pub cc: String,
    /// The language of the invitation's mail, and the guest's (a tag, `de-DE` → German).
    #[serde(default)]
    pub language: String,
    /// Apps the guest gets at redemption.
    #[serde(default)]
    pub app_ids: Vec<Uuid>,
    /// Groups the guest joins now (the API's `groups`).
    #[serde(default)]
    pub group_ids: Vec<Uuid>,
    /// Members who sponsor the guest besides the inviter (the API's `sponsors`).
    #[serde(default)]
    pub sponsor_ids: Vec<Uuid>,
    /// A published access package the guest asks for on redemption.
    #[serde(default)]
    pub package_id: Option<Uuid>,
    #[serde(default)]
    pub send_email: bool,
}

/// An invitation whose fields met the rules.
#[derive(Debug, Clone)]
pub struct InviteInput {
    pub email: EmailAddress,
    pub display_name: Option<DisplayName>,
    pub redirect: Option<RedirectTarget>,
    pub message: BoundedText,
    pub cc: Option<EmailAddress>,
    pub language: Option<crate::i18n::Lang>,
    pub app_ids: Vec<Uuid>,
    pub group_ids: Vec<Uuid>,
    pub sponsor_ids: Vec<Uuid>,
    pub package_id: Option<Uuid>,
    pub send_email: bool,
}

impl InviteFields {
    /// Applies the rules; each error under its field's name (`email`, `display_name`,
    /// `redirect_url`, `message`). A redirect may go to this portal (`public_origin`) or to
    /// one of the apps (`app_origins`). Ids are kept each once, in a stable order.
    pub fn read(&self, public_origin: &str, app_origins: &[String]) -> Result<InviteInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = errors.take("email", EmailAddress::parse(&self.email));
        let display_name = errors.take("display_name", DisplayName::parse_optional(&self.display_name));
        let redirect = if self.redirect_url.trim().is_empty() {
            Some(None)
        } else {
            errors.take("redirect_url", RedirectTarget::parse(&self.redirect_url, public_origin, app_origins).map(Some))
        };
        let message = errors.take("message", BoundedText::parse(&self.message, "The message", MESSAGE_MAX, true));
        let cc = if self.cc.trim().is_empty() {
            Some(None)
        } else {
            errors.take("cc", EmailAddress::parse(&self.cc).map(Some))
        };
        let language = if self.language.trim().is_empty() {
            Some(None)
        } else {
            let named = crate::i18n::Lang::shipped_of(&self.language);
            let why = || super::form::InputError::new(format!("Choose one of {}.", crate::i18n::Lang::shipped_tags()));
            errors.take("language", named.map(Some).ok_or_else(why))
        };
        match (email, display_name, redirect, message, cc, language) {
            (Some(email), Some(display_name), Some(redirect), Some(message), Some(cc), Some(language))
                if errors.is_empty() =>
            {
                Ok(InviteInput {
                    email,
                    display_name,
                    redirect,
                    message,
                    cc,
                    language,
                    app_ids: each_once(&self.app_ids),
                    group_ids: each_once(&self.group_ids),
                    sponsor_ids: each_once(&self.sponsor_ids),
                    package_id: self.package_id,
                    send_email: self.send_email,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The ids, each once, in a stable order.
fn each_once(ids: &[Uuid]) -> Vec<Uuid> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_read_with_its_own_error() {
        let fields = InviteFields {
            email: "not an address".into(),
            redirect_url: "https://elsewhere.example/".into(),
            message: "x".repeat(MESSAGE_MAX + 1),
            ..InviteFields::default()
        };
        let errors = fields.read("https://portal.example", &[]).unwrap_err();
        let named: Vec<&str> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(named, ["email", "message", "redirect_url"], "each field with its own error");
    }

    #[test]
    fn good_fields_read_and_survive_a_round_trip_through_storage() {
        let app = Uuid::new_v4();
        let fields = InviteFields {
            email: " Ana@Partner.Example ".into(),
            display_name: "Ana".into(),
            redirect_url: "https://portal.example/apps".into(),
            app_ids: vec![app, app],
            send_email: true,
            ..InviteFields::default()
        };
        let stored = serde_json::to_string(&fields).unwrap();
        let back: InviteFields = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, fields);
        let input = back.read("https://portal.example", &[]).unwrap();
        assert_eq!(input.email.as_str(), "ana@partner.example");
        assert_eq!(input.app_ids, [app]);
        assert!(input.send_email);
    }
}
