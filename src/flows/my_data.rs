//! "Download your data" (F12, GDPR access): what the portal holds about the signed-in
//! person, as one JSON document — profile, sign-in identities (issuer and subject), apps,
//! groups, sponsors, the terms they accepted and their sign-in history.

use serde_json::{Value, json};

use crate::db::users::User;
use crate::db::{identities, sponsors};
use crate::error::AppResult;
use crate::state::AppState;

/// Sign-ins listed, newest first (the audit log keeps them as long as its retention says).
const SIGN_INS: i64 = 1000;

pub async fn of(state: &AppState, user: &User) -> AppResult<Value> {
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    let ids = identities::for_user(c.conn(), user.id).await?;
    let (app_names, group_names) = super::leaving::access_names(c.conn(), user.id, now).await?;
    let sponsors = sponsors::of(c.conn(), user.id).await?;
    drop(c);
    // As the profile lists them, as far back as the audit log keeps them.
    let sign_ins = super::sign_in_history::read(state, user.id, None, SIGN_INS).await?;
    Ok(json!({
        "exportedAt": now,
        "organization": super::settings::current(state).await?.org_name,
        "profile": {
            "id": user.id,
            "email": user.email,
            "displayName": user.display_name,
            "company": user.company,
            "userType": user.user_type,
            "state": user.state.as_str(),
            "createdAt": user.created_at,
            "acceptedAt": user.accepted_at,
            "lastSignInAt": user.last_sign_in_at,
            "accessExpiresAt": user.expires_at,
        },
        "acceptedTerms": user.terms_version.as_ref().map(|v| json!({ "version": v, "acceptedAt": user.accepted_at })),
        "identities": ids.iter().map(|i| json!({
            "provider": i.provider, "issuer": i.issuer, "subject": i.subject, "email": i.email, "linkedAt": i.created_at,
        })).collect::<Vec<_>>(),
        "apps": app_names,
        "groups": group_names,
        "sponsors": sponsors.iter().map(|s| json!({ "displayName": s.display_name, "email": s.email })).collect::<Vec<_>>(),
        "signIns": sign_ins.iter().map(|e| json!({ "at": e.at, "how": e.how, "acceptedInvitation": e.redeemed, "ip": e.ip })).collect::<Vec<_>>(),
    }))
}
