//! The flows of the spec (F1 invite, F2 redeem, F3 sign in, …): each public function makes
//! one change in one transaction, with its audit event and any mail queued alongside.

pub mod api_keys;
pub mod app_access;
pub mod approval;
pub mod apps;
pub mod bootstrap;
pub mod bulk;
pub mod client_secrets;
pub mod codes;
pub mod dev_seed;
pub mod do_not_invite;
pub mod end_of_access;
pub mod federated;
pub mod groups;
pub mod housekeeping;
pub mod idps;
pub mod images;
pub mod invitations;
pub mod invite;
pub mod invite_input;
pub mod leaving;
pub mod metrics;
pub mod mfa;
pub mod my_data;
pub mod outbox;
pub mod packages;
pub mod passkeys;
pub mod redeem;
pub mod reviews;
pub mod saml;
pub mod saml_idps;
pub mod saml_metadata;
pub mod settings;
pub mod sign_in_history;
pub mod signin;
pub mod signup;
pub mod sponsors;
pub mod terms;
pub mod users;

/// Queues a plain notice mail (its words from `mail::notices`) in the caller's
/// transaction, branded as the settings say now.
pub(crate) async fn queue_notice(
    state: &crate::state::AppState,
    c: crate::db::Conn<'_>,
    to: &str,
    notice: &crate::mail::notices::Notice,
) -> crate::error::AppResult<()> {
    queue_notice_replying(state, c, to, notice, None).await
}

/// As `queue_notice`, with replies going to a person (`(name, address)`) when given.
pub(crate) async fn queue_notice_replying(
    state: &crate::state::AppState,
    c: crate::db::Conn<'_>,
    to: &str,
    notice: &crate::mail::notices::Notice,
    reply_to: Option<(&str, &str)>,
) -> crate::error::AppResult<()> {
    let button = notice.button.as_ref().map(|(words, url)| (*words, url.as_str()));
    let letter = crate::mail::letters::notice(
        &crate::flows::settings::branding(state).await?,
        &notice.subject,
        &notice.heading,
        &notice.paragraph,
        button,
    )?;
    let letter = match reply_to {
        Some((name, address)) => letter.replying_to(name, address),
        None => letter,
    };
    crate::mail::queue(c, to, &letter, state.clock.now()).await?;
    Ok(())
}

/// The issuer recorded for identities proven by an email one-time code.
pub fn email_issuer(public_url: &str) -> String {
    format!("{public_url}/email-code")
}

/// A moment in mail, and in plain text on a page (a flash, a refusal): "7 Dec 2026, 14:32
/// UTC". Mail runs no script, so it says the zone; pages show dates with `web::dates`.
pub fn human_date(t: chrono::DateTime<chrono::Utc>) -> String {
    crate::domain::dates::moment_words(t)
}
