//! Whether a session may receive a code or a token for an app: one decision, called by
//! every endpoint that issues one — authorize, its consent step, the token endpoint's code
//! exchange and refresh, and UserInfo (SPEC §4). A check written into one endpoint and not
//! another once let the consent step hand out codes without an app's required MFA.

use chrono::{DateTime, Utc};

use crate::db::apps::App;
use crate::db::oauth::LiveGrant;
use crate::db::users::User;
use crate::domain::mfa::{required_for, second_step_passed, wants_second_step};
use crate::domain::settings::PortalSettings;
use crate::domain::user::{SignInVerdict, may_sign_in};
use crate::error::AppResult;
use crate::state::AppState;

/// The answer for one session and one app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppAccess {
    Allowed,
    /// A second step first (set up or used), then the same request again.
    SecondStepFirst,
    /// A guest accepts the new terms of use first (or leaves), then the same request again.
    TermsFirst,
    /// Blocked, expired, not redeemed, or not assigned to the app.
    Refused,
}

/// What the decision reads of the session asking.
pub struct Asking<'a> {
    pub user: &'a User,
    /// How the session signed in (RFC 8176 values, space-separated).
    pub amr: &'a str,
    /// Whether the person has a second factor of their own (then it is always asked).
    pub has_factor: bool,
    /// When the session last passed a second step with one of the person's own factors.
    pub second_step_at: Option<DateTime<Utc>>,
    /// Whether the person is given the app now (directly, by group or by package).
    pub assigned: bool,
}

impl<'a> Asking<'a> {
    /// The session behind a live grant (code exchange, refresh, UserInfo).
    pub fn grant(live: &'a LiveGrant) -> Self {
        Asking {
            user: &live.user,
            amr: &live.amr,
            has_factor: live.has_factor,
            second_step_at: live.second_step_at,
            assigned: live.assigned,
        }
    }
}

/// The one decision. `mfa_asked`: the app's request asked for a second factor
/// (`acr_values=2`) on top of what the app and the policies require.
pub fn app_access(
    portal: &PortalSettings,
    app: &App,
    mfa_asked: bool,
    who: &Asking<'_>,
    now: DateTime<Utc>,
) -> AppAccess {
    let user = who.user;
    match may_sign_in(user.state, user.expires_at, now) {
        SignInVerdict::Allowed => {}
        SignInVerdict::NotRedeemed
        | SignInVerdict::Blocked
        | SignInVerdict::Expired
        | SignInVerdict::WorkforceOnly
        | SignInVerdict::DomainRefused => return AppAccess::Refused,
    }
    let person_wants =
        wants_second_step(required_for(portal, &user.user_type, user.is_admin, user.mfa_required), who.has_factor);
    if (person_wants || app.mfa_required || mfa_asked)
        && !second_step_passed(who.amr, who.has_factor, who.second_step_at)
    {
        return AppAccess::SecondStepFirst;
    }
    // No app is reached before new terms are accepted (F12): a grant's refresh and UserInfo
    // wait for them too.
    if portal.asks_terms(&user.user_type, user.terms_version.as_deref()) {
        return AppAccess::TermsFirst;
    }
    if !who.assigned {
        return AppAccess::Refused;
    }
    AppAccess::Allowed
}

/// The one decision for the session behind a grant (code exchange, refresh, UserInfo).
pub async fn may_receive(state: &AppState, app: &App, live: &LiveGrant, now: DateTime<Utc>) -> AppResult<bool> {
    let portal = state.portal_settings().await?;
    Ok(app_access(&portal, app, false, &Asking::grant(live), now) == AppAccess::Allowed)
}
