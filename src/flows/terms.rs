//! Terms of use accepted again (F12): when an admin saves a new terms version, each guest
//! accepts it before going on — at their next sign-in, or at their next page if a session
//! was open — or leaves instead. Who is asked is `PortalSettings::asks_terms`; the session
//! check (`auth::session`) and the OpenID Provider's decision (`provider::access`) ask it.

use crate::db::audit::{self, Event};
use crate::db::users::{self, User};
use crate::domain::audit::{Action, Actor};
use crate::domain::audit_details::pair;
use crate::error::AppResult;
use crate::state::AppState;

/// Records that `user` accepted the current terms now, audited. Nothing happens for
/// someone not asked (a member, or a second click).
pub async fn accept(state: &AppState, user: &User, actor: &Actor) -> AppResult<()> {
    let portal = super::settings::current(state).await?;
    if !portal.asks_terms(&user.user_type, user.terms_version.as_deref()) {
        return Ok(());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    users::accept_terms(tx.conn(), user.id, &portal.terms_version, now).await?;
    let mut details = pair("version", &portal.terms_version);
    if let Some(before) = &user.terms_version {
        details.push(' ');
        details.push_str(&pair("previous", before));
    }
    let ev = Event::new(Action::UserTermsAccepted, "user", user.id, &user.email).details(details);
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(())
}
