//! Time is injected: the app asks the `Clock`, so tests move time instead of sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, DurationRound, Utc};

#[derive(Clone, Default)]
pub struct Clock {
    /// `None`: the system clock. `Some`: a clock the tests set and advance.
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock { manual: Some(Arc::new(Mutex::new(start))) }
    }

    /// Now, to the microsecond: both databases keep that precision, so a value read back
    /// compares equal to the one written.
    pub fn now(&self) -> DateTime<Utc> {
        let now = match &self.manual {
            Some(m) => *m.lock().unwrap_or_else(|p| p.into_inner()),
            None => Utc::now(),
        };
        now.duration_trunc(Duration::microseconds(1)).unwrap_or(now)
    }

    /// Moves a manual clock forward; a system clock ignores it.
    pub fn advance(&self, by: Duration) {
        if let Some(m) = &self.manual {
            let mut t = m.lock().unwrap_or_else(|p| p.into_inner());
            *t += by;
        }
    }
}
