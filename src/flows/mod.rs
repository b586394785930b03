//! The flows of the spec (F1 invite, F2 redeem, F3 sign in, …): each public function makes
//! one change in one transaction, with its audit event and any mail queued alongside.

pub mod apps;
pub mod bootstrap;
pub mod codes;
pub mod federated;
pub mod idps;
pub mod invite;
pub mod redeem;
pub mod signin;
pub mod users;

/// The issuer recorded for identities proven by an email one-time code.
pub fn email_issuer(public_url: &str) -> String {
    format!("{public_url}/email-code")
}

/// A date as people read it in mail and pages.
pub fn human_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %B %Y, %H:%M UTC").to_string()
}
