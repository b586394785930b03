//! The invitation state machine: pending → redeemed | revoked | expired.

use chrono::{DateTime, Utc};

/// An invitation's stored status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    Redeemed,
    Revoked,
    Expired,
}

impl InvitationStatus {
    pub const ALL: [InvitationStatus; 4] =
        [InvitationStatus::Pending, InvitationStatus::Redeemed, InvitationStatus::Revoked, InvitationStatus::Expired];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Redeemed => "redeemed",
            InvitationStatus::Revoked => "revoked",
            InvitationStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<InvitationStatus> {
        Self::ALL.into_iter().find(|i| i.as_str() == s)
    }

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

impl std::fmt::Display for InvitationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
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
