//! The sign-up request's states (F4/F5): email_unverified → pending_approval → approved |
//! denied | expired | withdrawn. One place for their stored names and their words.

use chrono::{DateTime, Utc};

stored_states! {
    pub enum RequestStatus {
        EmailUnverified = "email_unverified",
        PendingApproval = "pending_approval",
        Approved = "approved",
        Denied = "denied",
        Expired = "expired",
        Withdrawn = "withdrawn",
    }
}

impl RequestStatus {
    /// As a list or a heading shows it: "Waiting for approval".
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::EmailUnverified => "Email not confirmed",
            RequestStatus::PendingApproval => "Waiting for approval",
            RequestStatus::Approved => "Approved",
            RequestStatus::Denied => "Denied",
            RequestStatus::Expired => "Expired",
            RequestStatus::Withdrawn => "Withdrawn",
        }
    }

    /// Inside a sentence: "this request was already {}".
    pub fn in_sentence(self) -> &'static str {
        match self {
            RequestStatus::EmailUnverified => "waiting for the email address to be confirmed",
            RequestStatus::PendingApproval => "waiting for approval",
            RequestStatus::Approved => "approved",
            RequestStatus::Denied => "denied",
            RequestStatus::Expired => "expired",
            RequestStatus::Withdrawn => "withdrawn",
        }
    }

    /// Still waiting for someone: the partner's code, or a decision.
    pub fn is_open(self) -> bool {
        matches!(self, RequestStatus::EmailUnverified | RequestStatus::PendingApproval)
    }

    /// The status as a person should see it: an open request past its date is expired even
    /// before the worker marks it.
    pub fn effective(self, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> RequestStatus {
        if self.is_open() && expires_at <= now { RequestStatus::Expired } else { self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_open_requests_expire_on_time() {
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(RequestStatus::parse("maybe"), None);
        let now = Utc::now();
        assert_eq!(RequestStatus::PendingApproval.effective(now, now), RequestStatus::Expired);
        assert_eq!(RequestStatus::Approved.effective(now, now), RequestStatus::Approved);
    }
}
