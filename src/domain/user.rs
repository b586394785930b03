//! Users' kinds and states, and who may sign in.

use chrono::{DateTime, Utc};

pub const MEMBER: &str = "member";
pub const GUEST: &str = "guest";

pub const PENDING: &str = "pending_acceptance";
pub const ACCEPTED: &str = "accepted";
pub const BLOCKED: &str = "blocked";

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
}

pub fn may_sign_in(state: &str, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> SignInVerdict {
    match state {
        BLOCKED => SignInVerdict::Blocked,
        PENDING => SignInVerdict::NotRedeemed,
        _ if expires_at.is_some_and(|e| e <= now) => SignInVerdict::Expired,
        _ => SignInVerdict::Allowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn expired_and_blocked_accounts_cannot_sign_in() {
        let now = Utc::now();
        assert_eq!(may_sign_in(ACCEPTED, None, now), SignInVerdict::Allowed);
        assert_eq!(may_sign_in(ACCEPTED, Some(now - Duration::seconds(1)), now), SignInVerdict::Expired);
        assert_eq!(may_sign_in(BLOCKED, None, now), SignInVerdict::Blocked);
        assert_eq!(may_sign_in(PENDING, None, now), SignInVerdict::NotRedeemed);
    }
}
