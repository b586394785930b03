//! What an audit event says to a person: "Bob Member invited carol@fabrikam.example to
//! Project Atlas". Each action words itself (an exhaustive match: a new action does not
//! compile without its sentence); the actor and the target are placeholders the page fills
//! (the actor's current name needs the database). Details are read where they say something
//! a person wants — which app, until when, why — and otherwise left to the CSV export.

use super::audit::Action;
use super::audit_details::{number, value, values};
use super::dates::stored_day_words;

/// A piece of a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Who did it.
    Actor,
    /// What it was done to (the event's target label).
    Target,
    Words(String),
}

impl Part {
    pub fn is_actor(&self) -> bool {
        matches!(self, Part::Actor)
    }

    pub fn is_target(&self) -> bool {
        matches!(self, Part::Target)
    }

    pub fn words(&self) -> &str {
        match self {
            Part::Words(w) => w,
            Part::Actor | Part::Target => "",
        }
    }
}

/// A sentence being written: it starts with the actor.
struct Say(Vec<Part>);

/// The actor, then `words`.
fn actor(words: impl Into<String>) -> Say {
    Say(vec![Part::Actor, Part::Words(format!(" {}", words.into()))])
}

impl Say {
    fn target(mut self) -> Say {
        self.0.push(Part::Target);
        self
    }

    fn and(mut self, words: &str) -> Say {
        self.0.push(Part::Words(words.to_string()));
        self
    }

    /// More words, if any (none when `None` or empty).
    fn then(mut self, words: impl Into<Option<String>>) -> Say {
        if let Some(w) = words.into().filter(|w| !w.is_empty()) {
            self.0.push(Part::Words(w));
        }
        self
    }
}

/// Free words, when they are words (no `key=value` among them).
fn worded(details: &str) -> Option<&str> {
    let d = details.trim();
    (!d.is_empty() && !d.contains('=')).then_some(d)
}

/// "1 invitation", "3 invitations".
fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// "A", "A and B", "A, B and C".
fn listed(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// An address in the details (as some events keep one), when it looks like one.
fn address(s: &str) -> Option<&str> {
    let s = s.trim();
    (s.contains('@') && !s.contains(char::is_whitespace) && !s.contains('=')).then_some(s)
}

/// `<uuid> (<name>)` or `app=<uuid> (<name>)`: the name.
fn name_in_parentheses(details: &str) -> Option<&str> {
    let (_, rest) = details.split_once(" (")?;
    rest.strip_suffix(')').filter(|n| !n.is_empty())
}

impl Action {
    /// The sentence for this action with these details.
    pub fn sentence(self, details: &str) -> Vec<Part> {
        use Action::*;
        let d = details.trim();
        let say = match self {
            UserInvited => {
                let apps = values(d, "app");
                let again = (d == "again after a revocation").then(|| " again after a revocation".to_string());
                actor("invited ")
                    .target()
                    .then(again)
                    .then((!apps.is_empty()).then(|| format!(" to {}", listed(&apps))))
            }
            InvitationResent => actor("sent ").target().and(" their invitation again"),
            InvitationRevoked => actor("revoked the invitation of ").target(),
            InvitationRedeemed => {
                actor("accepted their invitation").then(value(d, "via").map(|via| match via.as_str() {
                    "email" => ", signing in with a code sent by email".to_string(),
                    other => format!(", signing in through {other}"),
                }))
            }
            InvitationDeclined => actor("declined their invitation"),
            InvitationRedemptionRefused => actor("could not accept their invitation").then(match d {
                "blocked" => Some(": the account is blocked".to_string()),
                "domain not admitted" => Some(": their domain is not admitted".to_string()),
                _ => None,
            }),
            InvitationsExpired => match number(d, "count") {
                Some(n) => actor(format!("marked {} as expired", count(n, "invitation", "invitations"))),
                None => actor("marked invitations as expired"),
            },
            UserRedemptionReset => actor("reset the redemption of ").target().then(
                number(d, "identities_unlinked")
                    .filter(|n| *n > 0)
                    .map(|n| format!(", unlinking {}", count(n, "sign-in identity", "sign-in identities"))),
            ),
            BulkStarted => match number(d, "rows") {
                Some(n) => actor(format!("started inviting {} from ", count(n, "person", "people"))).target(),
                None => actor("started a bulk invitation from ").target(),
            },
            BulkFinished => actor("finished the bulk invitation from ").target().then(
                match (number(d, "invited"), number(d, "skipped"), number(d, "not_invited")) {
                    (Some(i), Some(s), Some(n)) => Some(format!(": {i} invited, {s} skipped, {n} not invited")),
                    _ => None,
                },
            ),
            DoNotInviteAdded => actor("blocked future invitations to ")
                .target()
                .and(" from an invitation mail")
                .then(number(d, "revoked").filter(|n| *n > 0).map(|_| ", revoking the pending one".to_string())),
            DoNotInviteLifted => actor("lifted the do-not-invite entry of ").target(),

            UserMemberAdded => actor("added ").target().and(" as a member"),
            UserCreatedAdmin => actor("created the admin ").target(),
            UserCreatedMember => match d.strip_prefix("just in time, through ") {
                Some(idp) => actor(format!("signed in through {idp} for the first time, as the new member ")).target(),
                None => actor("created the member ").target().and(" at their first sign-in"),
            },
            UserRenamed => actor("renamed ")
                .target()
                .then(d.split_once(" -> ").map(|(from, to)| format!(" from “{from}” to “{to}”"))),
            UserCompanyChanged => {
                actor("changed the company of ").target().then(value(d, "company").map(|c| format!(" to “{c}”")))
            }
            UserMadeAdmin => actor("made ").target().and(" an admin"),
            UserAdminRemoved => actor("removed the admin rights of ").target(),
            UserMadeInviter => actor("gave ").target().and(" the inviter role"),
            UserInviterRemoved => actor("removed the inviter role from ").target(),
            UserBlocked => actor("blocked sign-in for ").target(),
            UserUnblocked => actor("unblocked sign-in for ").target(),
            UserRemoved => actor("removed the guest ").target(),
            UserLeft => actor("left the organization"),
            UserTermsAccepted => {
                actor("accepted the terms of use").then(value(d, "version").map(|v| format!(", version “{v}”")))
            }
            UserRestored => actor("restored the account of ").target(),
            UserAccessEnded => {
                actor("found every assignment of ").target().and(" ended").then(value(d, "policy").map(|p| {
                    match p.as_str() {
                        "block" => ": sign-in blocked".to_string(),
                        "block_then_delete" => {
                            ": sign-in blocked and the account deleted, to be purged in 30 days".into()
                        }
                        _ => ": the account was left as it is".into(),
                    }
                }))
            }
            UserPurged => actor("purged the personal data of ").target().and(", 30 days after the account was deleted"),
            UserAccessExtended => actor("extended the access of ")
                .target()
                .then(value(d, "until").map(|day| format!(" until {}", stored_day_words(&day)))),
            UserSponsorAdded => match address(d) {
                Some(sponsor) => actor(format!("made {sponsor} a sponsor of ")).target(),
                None => actor("added a sponsor to ").target(),
            },
            UserSponsorRemoved => match address(d) {
                Some(sponsor) => actor(format!("removed {sponsor} as a sponsor of ")).target(),
                None => actor("removed a sponsor of ").target(),
            },

            ReviewCreated => actor("created the access review ").target(),
            ReviewStarted => actor("started the access review ")
                .target()
                .then(number(d, "guests").map(|n| format!(" of {n} guests"))),
            ReviewDecided => actor(match value(d, "decision").as_deref() {
                Some("remove") => "decided to remove the access of ",
                _ => "decided to keep the access of ",
            })
            .target()
            .then(value(d, "review").map(|r| format!(" in the review “{r}”")))
            .then(value(d, "reason").map(|r| format!(": “{r}”"))),
            ReviewStopped => actor("stopped the access review ").target().and(" before its end"),
            ReviewCancelled => actor("cancelled the scheduled access review ").target(),
            ReviewApplied => actor("applied the access review ")
                .target()
                .then(number(d, "kept").zip(number(d, "removed")).map(|(k, r)| format!(": {k} kept, {r} removed"))),
            ReviewRemovedAccess => actor("removed the access of ")
                .target()
                .then(value(d, "review").map(|r| format!(" after the review “{r}”"))),

            UserSignedIn => match d.split_once(": ") {
                Some(("email", _)) => actor("signed in with a code sent by email"),
                Some((provider, _)) => actor(format!("signed in through {provider}")),
                None => actor("signed in"),
            },
            UserSignInRefused => match d {
                _ if d.starts_with("no account linked") => {
                    actor("could not sign in through ").target().and(": no account is linked to that identity")
                }
                "Blocked" => actor("was refused sign-in: the account is blocked"),
                "Expired" => actor("was refused sign-in: their access has ended"),
                "NotRedeemed" => actor("was refused sign-in: the invitation is not accepted yet"),
                "WorkforceOnly" => {
                    actor("was refused sign-in: members sign in through the workforce identity provider")
                }
                "DomainRefused" => actor("was refused sign-in: their domain is not admitted"),
                _ => actor("was refused sign-in"),
            },
            FederationFailed => {
                actor("could not sign in through ").target().then(worded(d).map(|why| format!(": {why}")))
            }
            UserSignedOutEverywhere => actor("signed ").target().and(" out everywhere"),
            UserSessionEnded => actor("ended a session of ").target(),
            SigninLinkCreated => actor("made a sign-in link for ").target(),

            MfaEnrolled => match d.split_once(" “") {
                Some(("authenticator app", name)) => {
                    actor("set up an authenticator app").then(name.strip_suffix('”').map(|n| format!(" “{n}”")))
                }
                Some(("passkey", name)) => {
                    actor("set up a passkey").then(name.strip_suffix('”').map(|n| format!(" “{n}”")))
                }
                _ => actor("set up a second factor"),
            },
            MfaRecoveryCodesRenewed => actor("made new recovery codes"),
            MfaRemoved => match worded(d) {
                Some(name) => actor(format!("removed the second factor “{name}”")),
                None => actor("removed a second factor"),
            },
            MfaReset => actor("reset the second factors of ").target().then(
                number(d, "methods_removed")
                    .filter(|n| *n > 0)
                    .map(|n| format!(", removing {}", count(n, "method", "methods"))),
            ),
            MfaVerified => actor("passed the second step").then(match d {
                _ if d.starts_with("authenticator app") => Some(" with an authenticator app".to_string()),
                _ if d.starts_with("recovery code") => Some(format!(" with a {d}")),
                _ if d.starts_with("passkey") => Some(" with a passkey".to_string()),
                _ => None,
            }),
            MfaPaused => actor("had second-step attempts paused").then(worded(d).map(|why| format!(" after {why}"))),
            MfaMetByPartner => actor("had the second step met by their home organization")
                .then(d.split(':').next().and_then(worded).map(|idp| format!(" ({idp})"))),
            UserMfaRequired => actor("required MFA for ").target(),
            UserMfaNotRequired => actor("lifted the MFA requirement of ").target(),

            AppCreated => actor("added the app ").target(),
            AppUpdated => actor("changed the app ").target(),
            AppConfigured => actor("set up the app ").target().and(" from the configuration file"),
            AppDeleted => actor("deleted the app ").target(),
            AppSecretRegenerated => actor("made a new client secret for ")
                .target()
                .then(value(d, "until").map(|u| format!(", working until {}", stored_day_words(&u))))
                .then(
                    value(d, "previous_until")
                        .map(|u| format!("; the previous one works until {}", stored_day_words(&u))),
                ),
            AppIconUploaded => actor("uploaded an icon for ").target(),
            AppIconRemoved => actor("removed the icon of ").target(),
            AppPreviousSecretRemoved => actor("stopped the previous client secret of ").target(),
            AppAssigned => actor("gave ").target().then(match name_in_parentheses(d) {
                Some(app) => format!(" access to {app}"),
                None => " access to an app".to_string(),
            }),
            AppUnassigned => match name_in_parentheses(d) {
                Some(app) => actor(format!("took away access to {app} from ")).target(),
                None => actor("took away an app from ").target(),
            },
            AppAccessRefused => actor("was refused access to ").target(),
            AppConsentGiven => actor("agreed to share their details with ").target(),

            GroupCreated => actor("created the group ").target(),
            GroupUpdated => actor("changed the group ").target(),
            GroupAppAdded => {
                actor("gave the group ").target().then(name_in_parentheses(d).map(|app| format!(" the app {app}")))
            }
            GroupAppRemoved => match name_in_parentheses(d) {
                Some(app) => actor(format!("took the app {app} from the group ")).target(),
                None => actor("took an app from the group ").target(),
            },
            GroupDeleted => actor("deleted the group ").target(),
            GroupMemberAdded => match address(d) {
                Some(member) => actor(format!("added {member} to the group ")).target(),
                None => actor("added a member to the group ").target(),
            },
            GroupMemberRemoved => match name_in_parentheses(d).and_then(address) {
                Some(member) => actor(format!("removed {member} from the group ")).target(),
                None => actor("removed a member from the group ").target(),
            },

            AccessPackageCreated => actor("created the access package ").target(),
            AccessPackageUpdated => actor("changed the access package ").target(),
            AccessPackageDeleted => actor("deleted the access package ").target(),
            SignupStarted => actor("started a sign-up as ").target().then(worded(d).map(|p| format!(" for {p}"))),
            SignupSubmitted => actor("sent a request as ").target().then(worded(d).map(|p| format!(" for {p}"))),
            SignupWithdrawn => actor("withdrew the request of ").target(),
            SignupApproved => actor("granted the request of ").target().then(worded(d).map(|p| format!(" for {p}"))),
            // The note is the approver's own words: quoted, whatever they hold.
            SignupDenied => {
                actor("turned down the request of ").target().then((!d.is_empty()).then(|| format!(": “{d}”")))
            }
            SignupExpired => match number(d, "count") {
                Some(n) => actor(format!("marked {} as expired", count(n, "sign-up request", "sign-up requests"))),
                None => actor("marked sign-up requests as expired"),
            },
            SignupApprovalRefused => {
                actor("could not decide the request of ").target().and(": they may no longer decide it")
            }
            SignupApprovalRecorded => {
                let (decision, note) = d.split_once(": ").unwrap_or((d, ""));
                match decision {
                    "approved" => actor("approved the request of "),
                    "denied" => actor("turned down the request of "),
                    _ => actor("decided on the request of "),
                }
                .target()
                // The note is the approver's own words: quoted, whatever they hold.
                .then((matches!(decision, "approved" | "denied") && !note.is_empty()).then(|| format!(": “{note}”")))
            }
            SignupDecidedByAdmin => {
                let verb = if d == "denied" { "turned down the request of " } else { "approved the request of " };
                actor(verb).target().and(" as an admin")
            }

            IdentityProviderCreated => actor("added the identity provider ")
                .target()
                .then(d.starts_with("SAML 2.0").then(|| " (SAML 2.0)".to_string())),
            IdentityProviderUpdated => actor("changed the identity provider ").target(),
            IdentityProviderConfigured => {
                actor("set up the identity provider ").target().and(" from the configuration file")
            }
            IdentityProviderDeleted => actor("deleted the identity provider ").target(),
            IdentityProviderMetadataChanged => {
                actor("took new metadata from ").target().and(": its signing certificates or sign-on address changed")
            }
            IdentityProviderMetadataFailed => {
                actor("could not refresh the metadata of ").target().then(worded(d).map(|why| format!(": {why}")))
            }

            SettingsUpdated => actor("changed the settings"),
            SettingsLogoUploaded => actor("uploaded the organization's logo"),
            SettingsLogoRemoved => actor("removed the organization's logo"),
            ApiKeyCreated => actor("made the API key ")
                .target()
                .then(number(d, "days").map(|n| format!(", valid for {}", count(n, "day", "days")))),
            ApiKeyRevoked => actor("revoked the API key ").target().then(match d.split_once(": ") {
                Some(("creator blocked", who)) => Some(format!(": its creator {who} was blocked")),
                Some(("creator no longer an admin", who)) => Some(format!(": its creator {who} is no longer an admin")),
                _ => None,
            }),
            SigningKeysRotated => actor("rotated the signing keys"),
            OutboxRetried => actor("queued the mail to ").target().and(" again"),
            RecordsPurged => {
                let what: Vec<String> =
                    [("audit_events", "audit event", "audit events"), ("mails", "sent mail", "sent mails")]
                        .into_iter()
                        .filter_map(|(key, one, many)| number(d, key).filter(|n| *n > 0).map(|n| count(n, one, many)))
                        .collect();
                match what.is_empty() {
                    true => actor("deleted old audit events and sent mail"),
                    false => actor(format!("deleted {} past their retention", listed(&what))),
                }
            }
        };
        say.0
    }
}

#[cfg(test)]
mod tests {
    use super::{Part, listed};
    use crate::domain::audit::Action;

    fn text(parts: &[Part]) -> String {
        parts
            .iter()
            .map(|p| match p {
                Part::Actor => "Bob Member",
                Part::Target => "carol@fabrikam.example",
                Part::Words(w) => w,
            })
            .collect()
    }

    /// Details as the code writes them, and as older rows hold them.
    const DETAILS: &[&str] = &[
        "",
        "apps=2 groups=0 sponsors=1 mail=true app=\"Project Atlas\" app=Wiki",
        "apps=1 groups=0 sponsors=1 mail=true",
        "again after a revocation",
        "invitation=0190 via=email terms=1",
        "count=3",
        "rows=12",
        "invited=10 skipped=1 not_invited=1",
        "identities_unlinked=2",
        "methods_removed=2",
        "Ann -> Anna",
        "until=2026-12-01",
        "bob@contoso.example",
        "email: carol@fabrikam.example",
        "Blocked",
        "no account linked; issuer=https://idp.example",
        "authenticator app “Phone”",
        "passkey “YubiKey”",
        "recovery code (3 left)",
        "contoso: amr=mfa acr=",
        "app=0190 (Project Atlas)",
        "app=0190",
        "0190 (carol@fabrikam.example)",
        "scopes=users:read days=90",
        "creator blocked: bob@contoso.example",
        "scope=openid email",
        "user=0190 (carol@fabrikam.example)",
        "algorithms=2",
        "session=0190",
        "approved: fine by me",
        "org_name, accent",
    ];

    #[test]
    fn every_action_has_a_sentence_naming_who_did_it() {
        for a in Action::ALL {
            for d in DETAILS {
                let parts = a.sentence(d);
                assert_eq!(parts.first(), Some(&Part::Actor), "{a:?} starts with its actor");
                let said = text(&parts);
                assert!(said.len() > "Bob Member ".len() + 3, "{a:?}: {said}");
                // Only words the action wrote itself, or details it quoted, are shown.
                let own: String = parts.iter().map(Part::words).collect();
                let quoted = [Action::SignupDenied, Action::SignupApprovalRecorded].contains(a);
                assert!(!own.contains('=') || quoted, "{a:?} with {d:?}: {said}");
            }
        }
    }

    #[test]
    fn sentences_read_as_people_write() {
        let invited = Action::UserInvited.sentence(DETAILS[1]);
        assert_eq!(text(&invited), "Bob Member invited carol@fabrikam.example to Project Atlas and Wiki");
        assert_eq!(text(&Action::UserInvited.sentence(DETAILS[2])), "Bob Member invited carol@fabrikam.example");
        assert_eq!(
            text(&Action::MfaEnrolled.sentence("authenticator app “Phone”")),
            "Bob Member set up an authenticator app “Phone”"
        );
        assert_eq!(
            text(&Action::AppAssigned.sentence("app=0190 (Wiki)")),
            "Bob Member gave carol@fabrikam.example access to Wiki"
        );
        assert_eq!(text(&Action::InvitationsExpired.sentence("count=1")), "Bob Member marked 1 invitation as expired");
        assert_eq!(
            text(&Action::RecordsPurged.sentence("audit_events=2 mails=1")),
            "Bob Member deleted 2 audit events and 1 sent mail past their retention"
        );
        assert_eq!(
            text(&Action::RecordsPurged.sentence("audit_events=0 mails=3")),
            "Bob Member deleted 3 sent mails past their retention"
        );
        assert_eq!(listed(&["A".into(), "B".into(), "C".into()]), "A, B and C");
        // A stored day reads as every date does.
        assert_eq!(
            text(&Action::UserAccessExtended.sentence("until=2026-12-01")),
            "Bob Member extended the access of carol@fabrikam.example until 1 Dec 2026"
        );
    }
}
