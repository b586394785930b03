//! The invitation state machine: pending → redeemed | revoked | expired.

use chrono::{DateTime, Utc};

stored_states! {
    /// An invitation's stored status.
    pub enum InvitationStatus {
        Pending = "pending",
        Redeemed = "redeemed",
        Revoked = "revoked",
        Expired = "expired",
    }
}

impl InvitationStatus {
    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Redeemed => "accepted",
            InvitationStatus::Revoked => "revoked",
            InvitationStatus::Expired => "expired",
        }
    }
}

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

pub fn link_state(status: InvitationStatus, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> LinkState {
    match status {
        InvitationStatus::Redeemed => LinkState::Redeemed,
        InvitationStatus::Revoked => LinkState::Revoked,
        InvitationStatus::Expired => LinkState::Expired,
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
        use InvitationStatus::{Pending, Redeemed, Revoked};
        assert_eq!(link_state(Pending, now + Duration::days(1), now), LinkState::Open);
        assert_eq!(link_state(Pending, now, now), LinkState::Expired);
        assert_eq!(link_state(Redeemed, now + Duration::days(1), now), LinkState::Redeemed);
        assert_eq!(link_state(Revoked, now + Duration::days(1), now), LinkState::Revoked);
    }
}
