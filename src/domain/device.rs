//! Device cookies (OWASP, "Blocking brute force attacks": device cookies): a browser that
//! completed a sign-in for an address carries a cookie, MACed with the instance key, that
//! names the address. With it the browser is counted on its own, so that strangers who use
//! up an address's allowance of codes, or pause its second step, do not lock its person
//! out. The cookie grants nothing else: it is no sign-in, only a separate count.

use chrono::{DateTime, Duration, Utc};

/// How long a device cookie counts after its sign-in.
pub const LIFETIME: Duration = Duration::days(180);

/// A device cookie whose MAC was checked: the address it signed in for, when, and the
/// browser's own random id (what its counts are kept under).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub email: String,
    pub issued_at: DateTime<Utc>,
    pub id: String,
}

impl Device {
    /// Whether it still counts: made in the last `LIFETIME`.
    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        now - self.issued_at < LIFETIME
    }
}

/// The current device cookies one request carries (a browser may keep one per person who
/// signed in on it).
#[derive(Debug, Clone, Default)]
pub struct Devices(Vec<Device>);

impl Devices {
    /// The ones of `checked` still current at `now`.
    pub fn current(checked: impl IntoIterator<Item = Device>, now: DateTime<Utc>) -> Devices {
        Devices(checked.into_iter().filter(|d| d.is_current(now)).collect())
    }

    /// None: a browser that never signed in (or a caller with no browser).
    pub fn none() -> Devices {
        Devices::default()
    }

    /// This browser's device cookie for `email`, if it has one: a cookie counts only for
    /// the address it was made for.
    pub fn for_address(&self, email: &str) -> Option<&Device> {
        self.0.iter().find(|d| d.email == email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(email: &str, issued_at: DateTime<Utc>) -> Device {
        Device { email: email.into(), issued_at, id: "id".into() }
    }

    #[test]
    fn a_cookie_counts_for_its_own_address_for_180_days() {
        let now = Utc::now();
        let all = Devices::current(
            [
                device("ana@example.com", now - Duration::days(179)),
                device("old@example.com", now - Duration::days(181)),
            ],
            now,
        );
        assert!(all.for_address("ana@example.com").is_some());
        assert!(all.for_address("bob@example.com").is_none(), "another address");
        assert!(all.for_address("old@example.com").is_none(), "past its lifetime");
        assert!(Devices::none().for_address("ana@example.com").is_none());
    }
}
