//! The audit log's words with no I/O: who did something (`Actor`), and the catalogue of
//! what they can do (`Action`), each with its stored code, its category and its name in the
//! log's Activity filter. Sentences are `audit_sentence`; the details' format `audit_details`.

use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Actor {
    /// `user`, `api_key`, `system` or `anonymous`.
    pub kind: &'static str,
    pub id: Option<Uuid>,
    /// The email (or name) shown in the log, kept even if the user is deleted.
    pub label: String,
    pub ip: String,
}

impl Actor {
    pub fn user(id: Uuid, email: &str, ip: &str) -> Actor {
        Actor { kind: "user", id: Some(id), label: email.to_string(), ip: ip.to_string() }
    }

    pub fn anonymous(ip: &str) -> Actor {
        Actor { kind: "anonymous", id: None, label: "anonymous".into(), ip: ip.to_string() }
    }

    /// An API key (F10), named as the admin named it.
    pub fn api_key(id: Uuid, name: &str, ip: &str) -> Actor {
        Actor { kind: "api_key", id: Some(id), label: format!("API key “{name}”"), ip: ip.to_string() }
    }

    pub fn system(what: &str) -> Actor {
        Actor { kind: "system", id: None, label: what.to_string(), ip: String::new() }
    }
}

stored_states! {
    /// What part of the portal an action belongs to (the log's Category filter).
    pub enum Category {
        Invitations = "invitations",
        Users = "users",
        SignIn = "sign_in",
        Mfa = "mfa",
        Apps = "apps",
        Groups = "groups",
        Requests = "requests",
        Reviews = "reviews",
        IdentityProviders = "identity_providers",
        Portal = "portal",
    }
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::Invitations => "Invitations",
            Category::Users => "People and roles",
            Category::SignIn => "Sign-in",
            Category::Mfa => "Second step (MFA)",
            Category::Apps => "Apps",
            Category::Groups => "Groups",
            Category::Requests => "Access packages and requests",
            Category::Reviews => "Access reviews",
            Category::IdentityProviders => "Identity providers",
            Category::Portal => "Settings, API keys and mail",
        }
    }

    /// Its actions, in the catalogue's order.
    pub fn actions(self) -> impl Iterator<Item = Action> {
        Action::ALL.iter().copied().filter(move |a| a.category() == self)
    }
}

/// The catalogue: one row per action — variant, the code stored in `audit_events.action`
/// (read by the CSV export and `/api/v1/audit`: never change one), its category and its
/// name in the Activity filter. Every row must have all four, so no action can be written
/// without them; its sentence is an exhaustive match in `audit_sentence`.
macro_rules! catalogue {
    ($($variant:ident = $code:literal in $category:ident, $activity:literal;)+) => {
        /// Something that can happen, as the audit log records it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($variant,)+
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)+];

            /// The stored code, e.g. `user.invited`.
            pub fn code(self) -> &'static str {
                match self {
                    $(Action::$variant => $code,)+
                }
            }

            pub fn category(self) -> Category {
                match self {
                    $(Action::$variant => Category::$category,)+
                }
            }

            /// Its name in the Activity filter, e.g. “Guest invited”.
            pub fn activity(self) -> &'static str {
                match self {
                    $(Action::$variant => $activity,)+
                }
            }
        }
    };
}

catalogue! {
    UserInvited = "user.invited" in Invitations, "Guest invited";
    InvitationResent = "invitation.resent" in Invitations, "Invitation sent again";
    InvitationRevoked = "invitation.revoked" in Invitations, "Invitation revoked";
    InvitationRedeemed = "invitation.redeemed" in Invitations, "Invitation accepted";
    InvitationRedemptionRefused = "invitation.redemption_refused" in Invitations, "Acceptance refused";
    InvitationDeclined = "invitation.declined" in Invitations, "Invitation declined";
    InvitationsExpired = "invitations.expired" in Invitations, "Invitations expired";
    UserRedemptionReset = "user.redemption_reset" in Invitations, "Redemption reset";
    BulkStarted = "bulk.started" in Invitations, "Bulk invitation started";
    BulkFinished = "bulk.finished" in Invitations, "Bulk invitation finished";
    DoNotInviteAdded = "do_not_invite.added" in Invitations, "Invitations blocked by their recipient";
    DoNotInviteLifted = "do_not_invite.lifted" in Invitations, "Do-not-invite entry lifted";

    UserMemberAdded = "user.member_added" in Users, "Member added";
    UserCreatedAdmin = "user.created_admin" in Users, "Admin created";
    UserCreatedMember = "user.created_member" in Users, "Member created at first sign-in";
    UserRenamed = "user.renamed" in Users, "Person renamed";
    UserCompanyChanged = "user.company_changed" in Users, "Company changed";
    UserMadeAdmin = "user.made_admin" in Users, "Admin rights given";
    UserAdminRemoved = "user.admin_removed" in Users, "Admin rights removed";
    UserMadeInviter = "user.made_inviter" in Users, "Inviter role given";
    UserInviterRemoved = "user.inviter_removed" in Users, "Inviter role removed";
    UserBlocked = "user.blocked" in Users, "Sign-in blocked";
    UserUnblocked = "user.unblocked" in Users, "Sign-in unblocked";
    UserRemoved = "user.removed" in Users, "Guest removed";
    UserLeft = "user.left" in Users, "Guest left the organization";
    UserRestored = "user.restored" in Users, "Account restored";
    UserPurged = "user.purged" in Users, "Personal data purged";
    UserAccessEnded = "user.access_ended" in Users, "End-of-access policy applied";
    UserAccessExtended = "user.access_extended" in Users, "Access extended";
    UserSponsorAdded = "user.sponsor_added" in Users, "Sponsor added";
    UserSponsorRemoved = "user.sponsor_removed" in Users, "Sponsor removed";
    UserTermsAccepted = "user.terms_accepted" in Users, "New terms of use accepted";

    UserSignedIn = "user.signed_in" in SignIn, "Signed in";
    UserSignInRefused = "user.sign_in_refused" in SignIn, "Sign-in refused";
    FederationFailed = "federation.failed" in SignIn, "Sign-in through an identity provider failed";
    UserSignedOutEverywhere = "user.signed_out_everywhere" in SignIn, "Signed out everywhere";
    UserSessionEnded = "user.session_ended" in SignIn, "Session ended";
    SigninLinkCreated = "signin_link.created" in SignIn, "Sign-in link made";

    MfaEnrolled = "mfa.enrolled" in Mfa, "Second factor set up";
    MfaRecoveryCodesRenewed = "mfa.recovery_codes_renewed" in Mfa, "Recovery codes renewed";
    MfaRemoved = "mfa.removed" in Mfa, "Second factor removed";
    MfaReset = "mfa.reset" in Mfa, "Second factors reset";
    MfaVerified = "mfa.verified" in Mfa, "Second step passed";
    MfaPaused = "mfa.paused" in Mfa, "Second step paused";
    MfaMetByPartner = "mfa.met_by_partner" in Mfa, "Second step met by the partner";
    UserMfaRequired = "user.mfa_required" in Mfa, "MFA required for a person";
    UserMfaNotRequired = "user.mfa_not_required" in Mfa, "MFA requirement lifted";

    AppCreated = "app.created" in Apps, "App added";
    AppUpdated = "app.updated" in Apps, "App changed";
    AppConfigured = "app.configured" in Apps, "App set up from the configuration file";
    AppDeleted = "app.deleted" in Apps, "App deleted";
    AppSecretRegenerated = "app.secret_regenerated" in Apps, "Client secret renewed";
    AppIconUploaded = "app.icon_uploaded" in Apps, "App icon uploaded";
    AppIconRemoved = "app.icon_removed" in Apps, "App icon removed";
    AppPreviousSecretRemoved = "app.previous_secret_removed" in Apps, "Previous client secret stopped";
    AppAssigned = "app.assigned" in Apps, "App assigned";
    AppUnassigned = "app.unassigned" in Apps, "App unassigned";
    AppAccessRefused = "app.access_refused" in Apps, "App access refused";
    AppConsentGiven = "app.consent_given" in Apps, "Consent given";

    GroupCreated = "group.created" in Groups, "Group created";
    GroupUpdated = "group.updated" in Groups, "Group changed";
    GroupAppAdded = "group.app_added" in Groups, "App given to a group";
    GroupAppRemoved = "group.app_removed" in Groups, "App taken from a group";
    GroupDeleted = "group.deleted" in Groups, "Group deleted";
    GroupMemberAdded = "group.member_added" in Groups, "Group member added";
    GroupMemberRemoved = "group.member_removed" in Groups, "Group member removed";

    AccessPackageCreated = "access_package.created" in Requests, "Access package created";
    AccessPackageUpdated = "access_package.updated" in Requests, "Access package changed";
    AccessPackageDeleted = "access_package.deleted" in Requests, "Access package deleted";
    SignupStarted = "signup.started" in Requests, "Sign-up started";
    SignupSubmitted = "signup.submitted" in Requests, "Request sent";
    SignupWithdrawn = "signup.withdrawn" in Requests, "Request withdrawn";
    SignupApproved = "signup.approved" in Requests, "Request granted";
    SignupDenied = "signup.denied" in Requests, "Request turned down";
    SignupExpired = "signup.expired" in Requests, "Requests expired";
    SignupApprovalRefused = "signup.approval_refused" in Requests, "Approver refused";
    SignupApprovalRecorded = "signup.approval_recorded" in Requests, "Approver decided";
    SignupDecidedByAdmin = "signup.decided_by_admin" in Requests, "Request decided by an admin";

    ReviewCreated = "review.created" in Reviews, "Access review created";
    ReviewStarted = "review.started" in Reviews, "Access review started";
    ReviewDecided = "review.decided" in Reviews, "Reviewer decided";
    ReviewStopped = "review.stopped" in Reviews, "Access review stopped early";
    ReviewCancelled = "review.cancelled" in Reviews, "Scheduled access review cancelled";
    ReviewApplied = "review.applied" in Reviews, "Access review applied";
    ReviewRemovedAccess = "review.removed_access" in Reviews, "Access removed by a review";

    IdentityProviderCreated = "identity_provider.created" in IdentityProviders, "Identity provider added";
    IdentityProviderUpdated = "identity_provider.updated" in IdentityProviders, "Identity provider changed";
    IdentityProviderConfigured = "identity_provider.configured" in IdentityProviders,
        "Identity provider set up from the configuration file";
    IdentityProviderDeleted = "identity_provider.deleted" in IdentityProviders, "Identity provider deleted";
    IdentityProviderMetadataChanged = "identity_provider.metadata_changed" in IdentityProviders, "Metadata changed";
    IdentityProviderMetadataFailed = "identity_provider.metadata_failed" in IdentityProviders,
        "Metadata refresh failed";

    SettingsUpdated = "settings.updated" in Portal, "Settings changed";
    SettingsLogoUploaded = "settings.logo_uploaded" in Portal, "Logo uploaded";
    SettingsLogoRemoved = "settings.logo_removed" in Portal, "Logo removed";
    ApiKeyCreated = "api_key.created" in Portal, "API key made";
    ApiKeyRevoked = "api_key.revoked" in Portal, "API key revoked";
    SigningKeysRotated = "signing_keys.rotated" in Portal, "Signing keys rotated";
    OutboxRetried = "outbox.retried" in Portal, "Mail queued again";
    RecordsPurged = "records.purged" in Portal, "Old records deleted";
}

impl Action {
    /// The action stored as `code`; `None` for a code this version does not know.
    pub fn parse(code: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.code() == code)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{Action, Category};

    #[test]
    fn every_code_reads_back_as_its_action() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.code()), Some(*a), "{a:?}");
        }
        assert_eq!(Action::parse("user.nonsense"), None);
        let codes: HashSet<&str> = Action::ALL.iter().map(|a| a.code()).collect();
        assert_eq!(codes.len(), Action::ALL.len(), "no two actions share a code");
    }

    #[test]
    fn every_action_has_a_category_and_an_activity_name() {
        let names: HashSet<&str> = Action::ALL.iter().map(|a| a.activity()).collect();
        assert_eq!(names.len(), Action::ALL.len(), "no two activities share a name");
        for a in Action::ALL {
            assert!(!a.activity().trim().is_empty(), "{a:?}");
            assert!(Category::ALL.contains(&a.category()) && a.category().actions().any(|x| x == *a), "{a:?}");
        }
        for c in Category::ALL {
            assert!(c.actions().next().is_some() && !c.label().is_empty(), "{c:?} is used");
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
    }
}
