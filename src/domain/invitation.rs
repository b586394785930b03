//! The invitation state machine: pending → redeemed | revoked | expired.

use chrono::{DateTime, Utc};

pub const PENDING: &str = "pending";
pub const REDEEMED: &str = "redeemed";
pub const REVOKED: &str = "revoked";
pub const EXPIRED: &str = "expired";

/// What a redemption link leads to, judged from the stored invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Open,
    Redeemed,
    Revoked,
    Expired,
    /// Still pending, but its guest may not redeem now: blocked, or their domain is no
    /// longer admitted by the partner domain policy.
    Refused,
}

pub fn link_state(status: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> LinkState {
    match status {
        REDEEMED => LinkState::Redeemed,
        REVOKED => LinkState::Revoked,
        EXPIRED => LinkState::Expired,
        _ if expires_at <= now => LinkState::Expired,
        _ => LinkState::Open,
    }
}

/// Resends are rate limited: at least this long between two mails of one invitation…
pub const RESEND_INTERVAL_SECS: i64 = 60;
/// …and at most this many mails for one invitation in all.
pub const MAX_SENDS: i64 = 20;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_pending_invitation_past_its_date_is_expired() {
        let now = Utc::now();
        assert_eq!(link_state(PENDING, now + Duration::days(1), now), LinkState::Open);
        assert_eq!(link_state(PENDING, now, now), LinkState::Expired);
        assert_eq!(link_state(REDEEMED, now + Duration::days(1), now), LinkState::Redeemed);
        assert_eq!(link_state(REVOKED, now + Duration::days(1), now), LinkState::Revoked);
    }
}
