//! The words of the plain notice mails (a heading, a paragraph, maybe a button): one
//! function per mail, so that flows decide *that* a mail goes, never *what it says*.

/// Someone's words in quotes, ending a sentence: one full stop, not `“… together.”.`.
fn quoted(words: &str) -> String {
    let words = words.trim();
    let stop = if words.ends_with(['.', '!', '?', '…']) { "" } else { "." };
    format!("“{words}”{stop}")
}

pub struct Notice {
    pub subject: String,
    pub heading: String,
    pub paragraph: String,
    /// The button's words and address.
    pub button: Option<(&'static str, String)>,
}

/// To the partner, when their verified request reaches the approvers.
pub fn request_received(org: &str, name: &str, package: &str, status_url: String) -> Notice {
    Notice {
        subject: format!("Your request for {package} at {org}"),
        heading: "We received your request".into(),
        paragraph: format!(
            "Thank you, {name}. Your request for {package} is with the people who approve it. You will get a mail \
             when they decide. You can follow it, or withdraw it, on its status page."
        ),
        button: Some(("See your request", status_url)),
    }
}

/// Who asks, as an approver reads it.
pub struct Requester<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub company: &'a str,
    pub reason: &'a str,
}

/// To one approver: the request and their own link (and once more as a reminder).
pub fn approval_request(approver: &str, who: &Requester<'_>, package: &str, link: String, reminder: bool) -> Notice {
    let person = if who.company.is_empty() {
        format!("{} ({})", who.name, who.email)
    } else {
        format!("{} ({}, {})", who.name, who.email, who.company)
    };
    let reason = if who.reason.is_empty() { String::new() } else { format!(" Their reason: {}", quoted(who.reason)) };
    Notice {
        subject: if reminder {
            format!("Reminder: {} is waiting for your decision", who.name)
        } else {
            format!("{} asks for access to {package}", who.name)
        },
        heading: format!("A request for {package}"),
        paragraph: format!(
            "Hello {approver}, {person} asks for access to {package}.{reason} The link below shows the request; \
             nothing is decided until you press Approve or Deny there."
        ),
        button: Some(("Review the request", link)),
    }
}

/// To the partner, politely, with the approver's note.
pub fn request_denied(org: &str, name: &str, package: &str, note: &str) -> Notice {
    let note = if note.is_empty() { String::new() } else { format!(" The note from the approver: {}", quoted(note)) };
    Notice {
        subject: format!("Your request for {package}"),
        heading: "Your request was not approved".into(),
        paragraph: format!(
            "Thank you for your interest, {name}. Your request for {package} was not approved this time.{note} \
             If you think this is a mistake, ask your contact at {org}."
        ),
        button: None,
    }
}

/// To the partner who withdrew their request.
pub fn request_withdrawn(signup_url: String) -> Notice {
    Notice {
        subject: "You withdrew your request".into(),
        heading: "Your request was withdrawn".into(),
        paragraph: "As you asked, your request was withdrawn and nobody will decide on it. You can send a new one \
                    at any time."
            .into(),
        button: Some(("Ask again", signup_url)),
    }
}

/// To the partner whose request nobody decided in time.
pub fn request_expired(org: &str, signup_url: String) -> Notice {
    Notice {
        subject: "Your request has expired".into(),
        heading: "Your request has expired".into(),
        paragraph: format!(
            "Nobody decided on your request for access to {org} in time, so it has expired and no access was \
             given. You can send a new request."
        ),
        button: Some(("Ask again", signup_url)),
    }
}

/// To a member who asked for an email code where the workforce IdP is required.
pub fn workforce_signin(org: &str, signin_url: String) -> Notice {
    Notice {
        subject: format!("Sign in to {org} with your work account"),
        heading: "Use your organization's sign-in".into(),
        paragraph: format!(
            "Someone asked for a sign-in code for this address. Members of {org} sign in through their \
             organization's own sign-in page instead: enter your work address on the sign-in page and you will be \
             sent there."
        ),
        button: Some(("Go to sign-in", signin_url)),
    }
}

/// A change to a person's second factors, as the flow that made it names it; the words
/// are written here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityChange<'a> {
    AppAdded { name: &'a str },
    PasskeyAdded { name: &'a str },
    AppRemoved { name: &'a str },
    PasskeyRemoved { name: &'a str },
    RecoveryCodeUsed { left: i64 },
    RecoveryCodesRenewed,
    ResetByAdmin,
}

/// The name an authenticator app gets when its owner gives none.
pub const DEFAULT_APP_NAME: &str = "Authenticator app";

impl SecurityChange<'_> {
    /// The sentence the mail opens with.
    pub fn words(self) -> String {
        match self {
            // The default name is the kind itself: "Authenticator app “Authenticator app”" no more.
            SecurityChange::AppAdded { name } if name == DEFAULT_APP_NAME => {
                "An authenticator app was added to your account.".to_string()
            }
            SecurityChange::AppAdded { name } => format!("The authenticator app “{name}” was added to your account."),
            SecurityChange::PasskeyAdded { name } => format!("Passkey “{name}” was added to your account."),
            SecurityChange::AppRemoved { name } if name == DEFAULT_APP_NAME => {
                "An authenticator app was removed from your account.".to_string()
            }
            SecurityChange::AppRemoved { name } => {
                format!("The authenticator app “{name}” was removed from your account.")
            }
            SecurityChange::PasskeyRemoved { name } => format!("The passkey “{name}” was removed from your account."),
            SecurityChange::RecoveryCodeUsed { left } => {
                format!("A recovery code was used to sign in; {left} are left.")
            }
            SecurityChange::RecoveryCodesRenewed => {
                "New recovery codes were made; the old ones no longer work.".to_string()
            }
            SecurityChange::ResetByAdmin => {
                "An admin reset your second factors: set up an authenticator app at your next sign-in.".to_string()
            }
        }
    }
}

/// To the person, when their second factors change or a recovery code is used: if it was
/// not them, they should know at once.
pub fn security_change(org: &str, change: SecurityChange<'_>, profile_url: String) -> Notice {
    let what = change.words();
    Notice {
        subject: format!("Your sign-in methods at {org} changed"),
        heading: "Your sign-in methods changed".into(),
        paragraph: format!(
            "{what} If this was you, there is nothing to do. If it was not, sign in and look at your profile's \
             security section, and tell an admin of {org} at once."
        ),
        button: Some(("See your profile", profile_url)),
    }
}

/// To each sponsor, a few days before their guest's access ends.
pub fn guest_access_ending(sponsor: &str, guest: &str, guest_email: &str, ends: &str, page: String) -> Notice {
    Notice {
        subject: format!("Access for {guest} ends on {ends}"),
        heading: format!("{guest}'s access ends soon"),
        paragraph: format!(
            "Hello {sponsor}, you sponsor {guest} ({guest_email}). Their access ends on {ends}. If they still \
             work with you, extend it on their page; if not, there is nothing to do and they lose access then."
        ),
        button: Some(("Look after this guest", page)),
    }
}

/// To each sponsor, when their guest leaves the organization.
pub fn guest_left(sponsor: &str, guest: &str, guest_email: &str, org: &str, purge_day: &str) -> Notice {
    Notice {
        subject: format!("{guest} left {org}"),
        heading: format!("{guest} left {org}"),
        paragraph: format!(
            "Hello {sponsor}, {guest} ({guest_email}), whom you sponsored, left {org}: their sessions ended and \
             they can no longer sign in or open any app. An admin can restore the account until {purge_day}; \
             after that their personal data is deleted. There is nothing you need to do."
        ),
        button: None,
    }
}

/// To each sponsor, when their guest asks for more access from their Access Panel.
pub fn guest_asked(sponsor: &str, guest: &str, guest_email: &str, package: &str, page: String) -> Notice {
    Notice {
        subject: format!("{guest} asked for access to {package}"),
        heading: format!("Your guest asked for {package}"),
        paragraph: format!(
            "Hello {sponsor}, {guest} ({guest_email}), whom you sponsor, asked for access to {package}. The \
             package's approvers decide; if that is you, the request waits on your Approvals page. You can see \
             your guest's access on their page."
        ),
        button: Some(("See your guest", page)),
    }
}

/// To a person an admin adds as a member: the invitation that makes them one.
pub fn member_invitation(org: &str, by: &str, link: String, expires: &str) -> Notice {
    Notice {
        subject: format!("{by} added you to {org}'s portal"),
        heading: format!("Join {org}'s portal"),
        paragraph: format!(
            "{by} added you as a member of {org} on its guest access portal, where you can invite and look after \
             your own guests and approve their requests. Open the link to sign in for the first time; it works once, \
             until {expires}."
        ),
        button: Some(("Accept", link)),
    }
}

/// What an access review asks of one reviewer, as their mail says it.
pub struct ReviewAsk<'a> {
    pub reviewer: &'a str,
    pub review: &'a str,
    pub org: &'a str,
    /// The guests left for them to decide on.
    pub guests: i64,
    /// The guests review themselves.
    pub own: bool,
    pub ends: &'a str,
}

/// To a reviewer when a review starts (and, with `reminder`, at half time and two days
/// before its end): their one link.
pub fn review_request(ask: &ReviewAsk<'_>, link: String, reminder: bool) -> Notice {
    let ReviewAsk { reviewer, review, org, guests, own, ends } = *ask;
    if own {
        return Notice {
            subject: if reminder {
                format!("Reminder: do you still need access to {org}?")
            } else {
                format!("Do you still need access to {org}?")
            },
            heading: "Do you still need access?".into(),
            paragraph: format!(
                "Hello {reviewer}, {org} reviews who still needs access to its apps (“{review}”). Please tell us \
                 by {ends} whether you still need yours. Opening the link changes nothing; you answer on the page."
            ),
            button: Some(("Answer the review", link)),
        };
    }
    let whom = if guests == 1 { "1 guest".to_string() } else { format!("{guests} guests") };
    Notice {
        subject: if reminder {
            format!("Reminder: {whom} {} for your review by {ends}", if guests == 1 { "waits" } else { "wait" })
        } else {
            format!("Please review the access of {whom}")
        },
        heading: format!("Access review: {review}"),
        paragraph: format!(
            "Hello {reviewer}, {org} asks you to review whether {whom} still need their access, by {ends}. The \
             page lists each guest with a recommendation; keep or remove them one by one or all at once, with a \
             reason. Nothing is decided until you press a button there."
        ),
        button: Some(("Review access", link)),
    }
}

/// To a guest whose access an access review removed.
pub fn access_removed(guest: &str, org: &str, what: &str, reason: &str) -> Notice {
    let reason = if reason.is_empty() { String::new() } else { format!(" The reviewer's reason: {}", quoted(reason)) };
    Notice {
        subject: format!("Your access to {what} has ended"),
        heading: "Your access has ended".into(),
        paragraph: format!(
            "Hello {guest}, {org} reviewed who still needs access, and your access to {what} has ended.{reason} \
             If you still need it, ask your contact at {org}."
        ),
        button: None,
    }
}

/// To each sponsor of a guest an access review removed.
pub fn guest_removed_by_review(sponsor: &str, guest: &str, guest_email: &str, what: &str, review: &str) -> Notice {
    Notice {
        subject: format!("{guest} no longer has access to {what}"),
        heading: format!("{guest}'s access has ended"),
        paragraph: format!(
            "Hello {sponsor}, the access review “{review}” removed the access of {guest} ({guest_email}), whom you \
             sponsor, to {what}. They were told. An admin can give access again if it is needed."
        ),
        button: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_words_end_with_one_full_stop() {
        assert_eq!(quoted("See you there."), "“See you there.”");
        assert_eq!(quoted("Welcome"), "“Welcome”.");
        let n = request_denied("Contoso", "Pat", "Atlas", "Not this quarter.");
        assert!(n.paragraph.contains("“Not this quarter.” If"), "{}", n.paragraph);
        assert!(n.paragraph.contains("ask your contact at Contoso"), "{}", n.paragraph);
    }
}
