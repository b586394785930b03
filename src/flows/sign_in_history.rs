//! A person's recent sign-ins, for their profile (F12): read from the audit log (the
//! sign-ins and the redemption that signed them in first), so no sign-in writes anything
//! more. Sign-ins into apps through the OpenID Provider are not audited one by one (a
//! write on every token call); the portal sign-in that led to them is.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::db::audit::{self, Filter};
use crate::db::identity_providers;
use crate::domain::audit::Action;
use crate::domain::audit_details::value;
use crate::error::AppResult;
use crate::state::AppState;

/// How far back the profile looks.
pub const DAYS: i64 = 30;
/// At most this many are listed on the profile.
const LIMIT: i64 = 200;

pub struct SignInEntry {
    pub at: DateTime<Utc>,
    /// How, in words: "Email code", an identity provider's name, "Passkey or sign-in link".
    pub how: String,
    /// Accepting the invitation (the first sign-in).
    pub redeemed: bool,
    /// The address it came from; empty when not known.
    pub ip: String,
}

/// The person's sign-ins of the last `DAYS` days, newest first.
pub async fn recent(state: &AppState, user_id: Uuid) -> AppResult<Vec<SignInEntry>> {
    let since = state.clock.now() - Duration::days(DAYS);
    read(state, user_id, Some(since), LIMIT).await
}

/// Up to `limit` of the person's sign-ins since `since` (all the audit log keeps: `None`),
/// newest first.
pub async fn read(
    state: &AppState,
    user_id: Uuid,
    since: Option<DateTime<Utc>>,
    limit: i64,
) -> AppResult<Vec<SignInEntry>> {
    let id = user_id.to_string();
    let actions = [Action::UserSignedIn, Action::InvitationRedeemed];
    let filter = Filter { target_id: &id, actions: Some(&actions), since, ..Default::default() };
    let mut c = state.db.acquire().await?;
    let events = audit::batch(c.conn(), &filter, limit).await?;
    let idps = identity_providers::all(c.conn()).await?;
    let named = |slug: &str| match slug {
        "email" => "Email code".to_string(),
        slug => idps.iter().find(|i| i.slug == slug).map_or_else(|| slug.to_string(), |i| i.display_name.clone()),
    };
    Ok(events
        .into_iter()
        .map(|e| {
            let redeemed = e.action == Action::InvitationRedeemed.code();
            let provider = if redeemed {
                value(&e.details, "via")
            } else {
                e.details.split_once(": ").map(|(provider, _)| provider.to_string())
            };
            let how = provider.map_or_else(|| "Passkey or sign-in link".to_string(), |p| named(&p));
            SignInEntry { at: e.at, how, redeemed, ip: e.ip }
        })
        .collect())
}
