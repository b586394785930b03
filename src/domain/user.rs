//! Users' kinds and states, and who may sign in.

use chrono::{DateTime, Utc};

pub const MEMBER: &str = "member";
pub const GUEST: &str = "guest";
/// A guest has one to five sponsors (SPEC §2).
pub const MAX_SPONSORS: i64 = 5;
/// Sponsors hear this many days before a guest's access ends.
pub const EXPIRY_NOTICE_DAYS: i64 = 7;

stored_states! {
    /// A user's state: invited and not yet redeemed, accepted, or blocked by an admin.
    pub enum UserState {
        PendingAcceptance = "pending_acceptance",
        Accepted = "accepted",
        Blocked = "blocked",
    }
}

impl UserState {
    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            UserState::PendingAcceptance => "pending acceptance",
            UserState::Accepted => "accepted",
            UserState::Blocked => "blocked",
        }
    }
}

/// Whether an account may start a session now, and if not, what to tell the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInVerdict {
    Allowed,
    /// Invited but not redeemed: they must open their invitation first.
    NotRedeemed,
    Blocked,
    Expired,
    /// A member tried an email code where members must use the workforce IdP.
    WorkforceOnly,
    /// A guest whose email domain the partner domain policy no longer admits.
    DomainRefused,
}

/// How a person proved who they are, for the session and the ID token's `amr` (RFC 8176;
/// `fed` as Microsoft Entra uses it for a federated sign-in, `email` for a mailed code; a
/// second factor adds `otp` or `kba` and `mfa`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    /// A one-time code mailed to them, or a one-time sign-in link.
    OneTimeCode,
    /// Their home identity provider.
    Federated,
    /// Their home identity provider, whose MFA this portal accepts (per IdP).
    FederatedWithPartnerMfa,
    /// A passkey alone: possession plus the device's PIN or biometrics, so multi-factor;
    /// `synced` when it may live on several devices.
    Passkey { synced: bool },
}

impl SignInMethod {
    pub fn amr(self) -> &'static str {
        match self {
            SignInMethod::OneTimeCode => "email",
            SignInMethod::Federated => "fed",
            SignInMethod::FederatedWithPartnerMfa => "fed mfa",
            SignInMethod::Passkey { synced: true } => "swk mfa",
            SignInMethod::Passkey { synced: false } => "hwk mfa",
        }
    }
}

pub fn may_sign_in(state: UserState, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> SignInVerdict {
    // Every state is named, no wildcard: a new state does not compile until its answer is
    // written here (the one gate for sessions, tokens, UserInfo and API keys).
    match state {
        UserState::Blocked => SignInVerdict::Blocked,
        UserState::PendingAcceptance => SignInVerdict::NotRedeemed,
        UserState::Accepted if expires_at.is_some_and(|e| e <= now) => SignInVerdict::Expired,
        UserState::Accepted => SignInVerdict::Allowed,
    }
}

/// "Firefox on Linux": a person's name for a browser, from its user agent; enough to tell
/// one's phone from one's laptop on the profile page.
pub fn device_name(user_agent: &str) -> String {
    let ua = user_agent.to_ascii_lowercase();
    let browser = [
        ("edg/", "Edge"),
        ("firefox/", "Firefox"),
        ("chrome/", "Chrome"),
        ("chromium/", "Chromium"),
        ("safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let system = [
        ("android", "Android"),
        ("iphone", "iPhone"),
        ("ipad", "iPad"),
        ("windows", "Windows"),
        ("mac os", "macOS"),
        ("linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) => "An unknown browser".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn browsers_are_named_for_people() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
        assert_eq!(device_name(chrome), "Chrome on Linux");
        assert_eq!(
            device_name("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"),
            "Safari on iPhone"
        );
        assert_eq!(device_name(""), "An unknown browser");
    }

    #[test]
    fn expired_and_blocked_accounts_cannot_sign_in() {
        let now = Utc::now();
        assert_eq!(may_sign_in(UserState::Accepted, None, now), SignInVerdict::Allowed);
        assert_eq!(may_sign_in(UserState::Accepted, Some(now - Duration::seconds(1)), now), SignInVerdict::Expired);
        assert_eq!(may_sign_in(UserState::Blocked, None, now), SignInVerdict::Blocked);
        assert_eq!(may_sign_in(UserState::PendingAcceptance, None, now), SignInVerdict::NotRedeemed);
    }
}
