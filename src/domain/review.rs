//! Access reviews (F12): who is reviewed, by whom, how often, and what becomes of guests
//! nobody decided on — the words and rules, no I/O.

use chrono::{DateTime, Duration, Months, Utc};

use super::text::BoundedText;

/// Whose access a review asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every guest who can sign in.
    All,
    /// Guests without a sign-in for the inactivity period Settings give.
    Inactive,
    /// The guests an access package was granted to (its apps and groups are what goes).
    Package,
    /// The guests in a group (their membership is what goes).
    Group,
}

/// Who decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reviewers {
    /// Each guest's sponsors; the named fallback members for guests without one.
    Sponsors,
    /// The package's approvers (a package's review only).
    Approvers,
    /// The guests themselves attest that they still need access.
    Guests,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recurrence {
    Once,
    Monthly,
    Quarterly,
    Yearly,
}

/// What happens to guests nobody decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undecided {
    Keep,
    Remove,
    Recommendation,
}

/// A reviewer's decision, and the portal's recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Keep,
    Remove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStatus {
    /// A recurring review's next occurrence, waiting for its start.
    Scheduled,
    Running,
    Applied,
    /// A scheduled occurrence an admin cancelled (the series ends).
    Cancelled,
}

macro_rules! words {
    ($t:ty { $($v:ident = $s:literal : $w:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }
            /// How pages and mails name it.
            pub fn words(self) -> &'static str {
                match self { $(<$t>::$v => $w),+ }
            }
            pub fn parse(s: &str) -> Option<$t> {
                match s { $($s => Some(<$t>::$v),)+ _ => None }
            }
        }
    };
}

words!(Scope {
    All = "all": "All guests",
    Inactive = "inactive": "Inactive guests",
    Package = "package": "Guests of an access package",
    Group = "group": "Guests in a group",
});
words!(Reviewers {
    Sponsors = "sponsors": "Each guest's sponsors",
    Approvers = "approvers": "The package's approvers",
    Guests = "guests": "The guests themselves",
});
words!(Recurrence {
    Once = "once": "Once",
    Monthly = "monthly": "Every month",
    Quarterly = "quarterly": "Every three months",
    Yearly = "yearly": "Every year",
});
words!(Undecided {
    Keep = "keep": "Keep their access",
    Remove = "remove": "Remove their access",
    Recommendation = "recommendation": "Follow the recommendation",
});
words!(Decision {
    Keep = "keep": "Keep",
    Remove = "remove": "Remove",
});
words!(ReviewStatus {
    Scheduled = "scheduled": "Scheduled",
    Running = "running": "In progress",
    Applied = "applied": "Completed",
    Cancelled = "cancelled": "Cancelled",
});

impl Recurrence {
    /// The longest a repeating review may last: less than its shortest period.
    pub fn longest_duration(self) -> Option<i64> {
        match self {
            Recurrence::Once => None,
            Recurrence::Monthly => Some(27),
            Recurrence::Quarterly => Some(88),
            Recurrence::Yearly => Some(MAX_DAYS),
        }
    }

    /// When the occurrence after one starting at `start` starts; none for a one-off.
    pub fn next(self, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let months = match self {
            Recurrence::Once => return None,
            Recurrence::Monthly => 1,
            Recurrence::Quarterly => 3,
            Recurrence::Yearly => 12,
        };
        start.checked_add_months(Months::new(months))
    }
}

/// The portal's advice for one guest: remove after the inactivity period without a
/// sign-in (counted from redemption when they never signed in since), keep otherwise.
pub fn recommend(last_active: DateTime<Utc>, now: DateTime<Utc>, inactive_after_days: i64) -> Decision {
    if now - last_active >= Duration::days(inactive_after_days) { Decision::Remove } else { Decision::Keep }
}

/// An outcome in words, for the result page and CSV.
pub fn outcome_words(outcome: &str) -> &'static str {
    match outcome {
        "kept" => "Kept",
        "removed" => "Removed",
        "kept_by_default" => "Kept (nobody decided)",
        "removed_by_default" => "Removed (nobody decided)",
        "gone" => "No longer a guest",
        _ => "",
    }
}

pub const MAX_NAME: usize = 120;
pub const MAX_REASON: usize = 500;
pub const DEFAULT_DAYS: i64 = 14;
pub const MAX_DAYS: i64 = 180;

/// A review as an admin asked for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    pub name: String,
    pub scope: Scope,
    /// The package or group of a package's or group's review.
    pub scope_id: Option<uuid::Uuid>,
    pub reviewers: Reviewers,
    /// Members' addresses, checked against the directory by the flow.
    pub fallback: Vec<super::EmailAddress>,
    pub duration_days: i64,
    pub recurrence: Recurrence,
    pub undecided: Undecided,
}

impl ReviewRefused {
    /// The form field the refusal is about.
    pub fn field(&self) -> &'static str {
        match self {
            ReviewRefused::Name => "name",
            ReviewRefused::Scope => "scope",
            ReviewRefused::Reviewers | ReviewRefused::ApproversNeedPackage => "reviewers",
            ReviewRefused::Duration | ReviewRefused::LongerThanPeriod(_) => "duration_days",
            ReviewRefused::Recurrence => "recurrence",
            ReviewRefused::Undecided => "undecided",
            ReviewRefused::Fallback(_) => "fallback",
            ReviewRefused::Reason => "reason",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewRefused {
    #[error("Give the review a name (at most {MAX_NAME} characters).")]
    Name,
    #[error("Choose whose access is reviewed.")]
    Scope,
    #[error("Choose who reviews.")]
    Reviewers,
    #[error("A package's approvers can review only the guests of that package: choose the package as the scope.")]
    ApproversNeedPackage,
    #[error("The duration is a number of days from 1 to {MAX_DAYS}.")]
    Duration,
    #[error("A review that repeats must end before the next one starts: at most {0} days for this rhythm.")]
    LongerThanPeriod(i64),
    #[error("Choose how often the review runs.")]
    Recurrence,
    #[error("Choose what happens to guests nobody decides on.")]
    Undecided,
    #[error("“{0}” is not an email address.")]
    Fallback(String),
    #[error("A reason has at most {MAX_REASON} characters.")]
    Reason,
}

/// The form's fields as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    pub name: String,
    /// `all`, `inactive`, `package:<id>` or `group:<id>`.
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub reviewers: String,
    #[serde(default)]
    pub fallback: String,
    #[serde(default)]
    pub duration_days: String,
    #[serde(default)]
    pub recurrence: String,
    #[serde(default)]
    pub undecided: String,
}

impl ReviewForm {
    pub fn parse(&self) -> Result<NewReview, ReviewRefused> {
        let name = BoundedText::required(&self.name, "Name", MAX_NAME).map_err(|_| ReviewRefused::Name)?.into_string();
        let (scope, scope_id) = match self.scope.split_once(':') {
            Some((kind, id)) => {
                let id = uuid::Uuid::parse_str(id).map_err(|_| ReviewRefused::Scope)?;
                match Scope::parse(kind) {
                    Some(s @ (Scope::Package | Scope::Group)) => (s, Some(id)),
                    _ => return Err(ReviewRefused::Scope),
                }
            }
            None => match Scope::parse(&self.scope) {
                Some(s @ (Scope::All | Scope::Inactive)) => (s, None),
                _ => return Err(ReviewRefused::Scope),
            },
        };
        let reviewers = Reviewers::parse(&self.reviewers).ok_or(ReviewRefused::Reviewers)?;
        if reviewers == Reviewers::Approvers && scope != Scope::Package {
            return Err(ReviewRefused::ApproversNeedPackage);
        }
        let duration_days = match self.duration_days.trim() {
            "" => DEFAULT_DAYS,
            d => d.parse::<i64>().ok().filter(|d| (1..=MAX_DAYS).contains(d)).ok_or(ReviewRefused::Duration)?,
        };
        let recurrence = Recurrence::parse(&self.recurrence).ok_or(ReviewRefused::Recurrence)?;
        if let Some(max) = recurrence.longest_duration().filter(|max| duration_days > *max) {
            return Err(ReviewRefused::LongerThanPeriod(max));
        }
        let undecided = Undecided::parse(&self.undecided).ok_or(ReviewRefused::Undecided)?;
        let mut fallback = Vec::new();
        for word in self.fallback.split([',', ';', '\n', ' ', '\r', '\t']).filter(|w| !w.is_empty()) {
            let email = super::EmailAddress::parse(word).map_err(|_| ReviewRefused::Fallback(kept_short(word)))?;
            if !fallback.contains(&email) {
                fallback.push(email);
            }
        }
        Ok(NewReview { name, scope, scope_id, reviewers, fallback, duration_days, recurrence, undecided })
    }
}

fn kept_short(word: &str) -> String {
    word.chars().take(80).collect()
}

/// A reviewer's reason, checked.
pub fn reason(typed: &str) -> Result<String, ReviewRefused> {
    BoundedText::parse(typed, "Reason", MAX_REASON, false)
        .map(BoundedText::into_string)
        .map_err(|_| ReviewRefused::Reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn form(scope: &str, reviewers: &str) -> ReviewForm {
        ReviewForm {
            name: "Quarterly partner review".into(),
            scope: scope.into(),
            reviewers: reviewers.into(),
            fallback: "".into(),
            duration_days: "".into(),
            recurrence: "quarterly".into(),
            undecided: "recommendation".into(),
        }
    }

    #[test]
    fn a_form_becomes_a_review_with_defaults() {
        let r = form("all", "sponsors").parse().unwrap();
        assert_eq!((r.scope, r.reviewers, r.duration_days), (Scope::All, Reviewers::Sponsors, 14));
        let id = uuid::Uuid::new_v4();
        let r = form(&format!("package:{id}"), "approvers").parse().unwrap();
        assert_eq!((r.scope, r.scope_id), (Scope::Package, Some(id)));
    }

    #[test]
    fn bad_forms_are_refused_with_the_reason() {
        assert_eq!(form("all", "approvers").parse(), Err(ReviewRefused::ApproversNeedPackage));
        assert_eq!(form("package:nope", "sponsors").parse(), Err(ReviewRefused::Scope));
        assert_eq!(form(&format!("all:{}", uuid::Uuid::nil()), "sponsors").parse(), Err(ReviewRefused::Scope));
        assert_eq!(
            ReviewForm { duration_days: "0".into(), ..form("all", "guests") }.parse(),
            Err(ReviewRefused::Duration)
        );
        assert_eq!(ReviewForm { name: " ".into(), ..form("all", "guests") }.parse(), Err(ReviewRefused::Name));
        let f = ReviewForm { duration_days: "30".into(), recurrence: "monthly".into(), ..form("all", "guests") };
        assert_eq!(f.parse(), Err(ReviewRefused::LongerThanPeriod(27)), "it would overlap the next");
        let f = ReviewForm { fallback: "ana@contoso.example, nope".into(), ..form("all", "sponsors") };
        assert_eq!(f.parse(), Err(ReviewRefused::Fallback("nope".into())));
    }

    #[test]
    fn recommendations_follow_the_inactivity_period() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        assert_eq!(recommend(now - Duration::days(97), now, 90), Decision::Remove);
        assert_eq!(recommend(now - Duration::days(7), now, 90), Decision::Keep);
    }

    #[test]
    fn recurrences_step_by_calendar_months() {
        let start = Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap();
        assert_eq!(Recurrence::Quarterly.next(start), Some(Utc.with_ymd_and_hms(2026, 4, 30, 9, 0, 0).unwrap()));
        assert_eq!(Recurrence::Once.next(start), None);
    }
}
