//! Bulk invitations: a job's states and what became of each row, with the words people
//! read for them and the codes they are stored (and given in the API and the result CSV) as.

stored_states! {
    /// A bulk job: its rows checked and stored, then invited by the worker, then done.
    pub enum JobStatus {
        Checked = "checked",
        Running = "running",
        Done = "done",
    }
}

/// What inviting a row will do (before the job runs) or did (after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// To be invited when the job runs.
    WillInvite,
    Invited,
    /// A guest whose invitation is still pending: not invited twice (a re-run of a file
    /// reports its done rows so).
    AlreadyInvited,
    AlreadyGuest,
    IsMember,
    /// The same address is on an earlier row (its number).
    Duplicate(usize),
    /// The partner domain policy refuses the address's domain.
    DomainRefused,
    /// The address's owner asked for no more invitations (the do-not-invite list).
    DoNotInvite,
    /// A field is wrong: which and why.
    Invalid(String),
    /// The invitation was refused when the job ran (why), e.g. the inviter may no longer invite.
    Refused(String),
}

impl Outcome {
    pub fn label(&self) -> String {
        match self {
            Outcome::WillInvite => "Will invite".into(),
            Outcome::Invited => "Invited".into(),
            Outcome::AlreadyInvited => "Invited already (pending): skipped".into(),
            Outcome::AlreadyGuest => "Already a guest: skipped".into(),
            Outcome::IsMember => "A member of the organization: skipped".into(),
            Outcome::Duplicate(row) => format!("Same address as row {row}: skipped"),
            Outcome::DomainRefused => "Refused by the partner domain policy".into(),
            Outcome::DoNotInvite => "On the do-not-invite list: its owner asked for no more invitations".into(),
            Outcome::Invalid(why) | Outcome::Refused(why) => why.clone(),
        }
    }

    /// The stored code, also the API's and the result file's word for it.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::WillInvite => "will_invite",
            Outcome::Invited => "invited",
            Outcome::AlreadyInvited => "already_invited",
            Outcome::AlreadyGuest => "already_guest",
            Outcome::IsMember => "member",
            Outcome::Duplicate(_) => "duplicate",
            Outcome::DomainRefused => "domain_refused",
            Outcome::DoNotInvite => "do_not_invite",
            Outcome::Invalid(_) => "invalid",
            Outcome::Refused(_) => "refused",
        }
    }

    /// What the code alone does not say: the earlier row, or why.
    pub fn detail(&self) -> String {
        match self {
            Outcome::Duplicate(row) => row.to_string(),
            Outcome::Invalid(why) | Outcome::Refused(why) => why.clone(),
            _ => String::new(),
        }
    }

    pub fn parse(code: &str, detail: &str) -> Option<Outcome> {
        Some(match code {
            "will_invite" => Outcome::WillInvite,
            "invited" => Outcome::Invited,
            "already_invited" => Outcome::AlreadyInvited,
            "already_guest" => Outcome::AlreadyGuest,
            "member" => Outcome::IsMember,
            "duplicate" => Outcome::Duplicate(detail.parse().ok()?),
            "domain_refused" => Outcome::DomainRefused,
            "do_not_invite" => Outcome::DoNotInvite,
            "invalid" => Outcome::Invalid(detail.to_string()),
            "refused" => Outcome::Refused(detail.to_string()),
            _ => return None,
        })
    }

    /// Skipped on purpose: the person is in already, or listed twice.
    pub fn is_skip(&self) -> bool {
        matches!(self, Outcome::AlreadyInvited | Outcome::AlreadyGuest | Outcome::IsMember | Outcome::Duplicate(_))
    }

    /// Not invited because something is wrong with the row.
    pub fn is_problem(&self) -> bool {
        matches!(self, Outcome::DomainRefused | Outcome::DoNotInvite | Outcome::Invalid(_) | Outcome::Refused(_))
    }

    /// The stored codes of the outcomes `is_problem` names.
    pub const PROBLEM_CODES: [&'static str; 4] = ["domain_refused", "do_not_invite", "invalid", "refused"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_reads_back_from_its_code_and_detail() {
        let all = [
            Outcome::WillInvite,
            Outcome::Invited,
            Outcome::AlreadyInvited,
            Outcome::AlreadyGuest,
            Outcome::IsMember,
            Outcome::Duplicate(7),
            Outcome::DomainRefused,
            Outcome::DoNotInvite,
            Outcome::Invalid("That is not an email address.".into()),
            Outcome::Refused("You may not invite guests.".into()),
        ];
        for o in all {
            assert_eq!(Outcome::parse(o.code(), &o.detail()), Some(o.clone()), "{o:?}");
        }
        assert_eq!(Outcome::parse("duplicate", "x"), None);
    }
}
