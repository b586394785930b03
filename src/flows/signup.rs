//! F4 self-service sign-up and F5 sponsor approval. A partner's request starts unverified;
//! the email code moves it to the approvers (or grants it at once); each approver decides
//! through their own link, and every decision is a conditional update under the request's
//! row lock, so concurrent clicks give exactly one outcome.

use chrono::Duration;
use uuid::Uuid;

use super::codes::{self, Checked, CodeFor, Issued};
use crate::db::audit::{self, Event};
use crate::db::links::{self, PACKAGE_APPROVERS, PACKAGE_APPS, PACKAGE_GROUPS};
use crate::db::packages::{self, Package};
use crate::db::requests::{self, Request};
use crate::db::users::{self, User};
use crate::db::{Conn, Tx, assignments, groups};
use crate::domain::audit::Actor;
use crate::domain::package::{Outcome, outcome, package_admits};
use crate::domain::settings::PortalSettings;
use crate::domain::user::{GUEST, PENDING, SignInVerdict, may_sign_in};
use crate::domain::{BoundedText, DisplayName, EmailAddress, FieldErrors, InputError};
use crate::error::AppResult;
use crate::mail;
use crate::secrets::{Token, TokenHash};
use crate::state::AppState;

pub const PURPOSE: &str = "signup";
/// New requests from one IP address in an hour (the bot brake, with the honeypot).
pub const PER_IP_PER_HOUR: i64 = 10;
/// Requests for more access one signed-in user may send in an hour.
pub const REQUESTS_PER_USER_HOUR: i64 = 5;
const STATUS_PURPOSE: &str = "signup-status";
const APPROVAL_PURPOSE: &str = "approval-link";

fn status_token(state: &AppState, request_id: Uuid) -> Token {
    Token::derived(&state.key, STATUS_PURPOSE, &request_id)
}

/// The partner's status page, `/signup/status/{token}`.
pub fn status_path(state: &AppState, request_id: Uuid) -> String {
    format!("/signup/status/{}", status_token(state, request_id).expose())
}

fn approval_link(state: &AppState, approval_id: Uuid) -> String {
    let token = Token::derived(&state.key, APPROVAL_PURPOSE, &approval_id);
    state.url(&format!("/approve/{}", token.expose()))
}

pub struct SignupInput {
    pub name: DisplayName,
    pub email: EmailAddress,
    pub company: String,
    pub reason: String,
    pub package_id: Uuid,
}

pub struct RawSignup<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub company: &'a str,
    pub reason: &'a str,
    pub package: &'a str,
    pub accept_terms: bool,
}

impl RawSignup<'_> {
    pub fn parse(&self) -> Result<SignupInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.take("name", DisplayName::parse(self.name));
        let email = e.take("email", EmailAddress::parse(self.email));
        let company = e.take("company", BoundedText::required(self.company, "Your company", 120));
        let reason = e.take("reason", BoundedText::parse(self.reason, "The reason", 1000, true));
        let package = e.take(
            "package",
            Uuid::parse_str(self.package).map_err(|_| InputError::new("Choose what you need access to.")),
        );
        if !self.accept_terms {
            e.add("accept_terms", "Accept the terms of use to send the request.");
        }
        match (name, email, company, reason, package) {
            (Some(name), Some(email), Some(company), Some(reason), Some(package_id)) if e.is_empty() => {
                Ok(SignupInput {
                    name,
                    email,
                    company: company.into_string(),
                    reason: reason.into_string(),
                    package_id,
                })
            }
            _ => Err(e),
        }
    }
}

/// A package the partner may ask for, with the domain rules checked.
async fn requestable(
    state: &AppState,
    portal: &PortalSettings,
    package_id: Uuid,
    email: &EmailAddress,
) -> AppResult<Result<Package, FieldErrors>> {
    let mut c = state.db.acquire().await?;
    let mut e = FieldErrors::default();
    let Some(package) = packages::find(c.conn(), package_id).await?.filter(|p| p.published) else {
        e.add("package", "This access package is not offered any more. Choose another.");
        return Ok(Err(e));
    };
    if !portal.admits_domain(email.domain()) || !package_admits(&package.domains, email.domain()) {
        e.add("email", format!("Requests from addresses at {} are not accepted for this access.", email.domain()));
        return Ok(Err(e));
    }
    Ok(Ok(package))
}

pub enum Started {
    /// The code is on its way; the request waits for it.
    Verify {
        request_id: Uuid,
        code_id: Uuid,
    },
    RateLimited,
    Refused(FieldErrors),
}

pub async fn start(state: &AppState, input: &SignupInput, ip: &str) -> AppResult<Started> {
    let portal = super::settings::current(state).await?;
    let package = match requestable(state, &portal, input.package_id, &input.email).await? {
        Ok(p) => p,
        Err(e) => return Ok(Started::Refused(e)),
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if requests::count_from_ip_since(tx.conn(), ip, now - Duration::hours(1)).await? >= PER_IP_PER_HOUR {
        return Ok(Started::RateLimited);
    }
    // The id is chosen here: the status link is derived from it.
    let id = Uuid::new_v4();
    let row = requests::NewRequest {
        id,
        package_id: package.id,
        user_id: None,
        email: input.email.as_str(),
        name: input.name.as_str(),
        company: &input.company,
        reason: &input.reason,
        status: "email_unverified",
        status_token_hash: &status_token(state, id).hash().0,
        ip,
        terms_version: &portal.terms_version,
        expires_at: now + Duration::days(portal.signup_ttl_days),
        email_verified_at: None,
    };
    let request = requests::insert(tx.conn(), &row, now).await?;
    let spec = CodeFor {
        purpose: PURPOSE,
        email: input.email.as_str(),
        user_id: None,
        invitation_id: None,
        deliver: true,
        use_text: &format!("confirm your request for access to {}", portal.org_name),
        client_ip: ip,
    };
    let code_id = match codes::issue(state, &mut tx, &spec).await? {
        Issued::Sent(id) => id,
        Issued::RateLimited => return Ok(Started::RateLimited),
    };
    let ev = Event::new("signup.started", "signup_request", request.id, &request.email).details(package.name.clone());
    audit::record(tx.conn(), &Actor::anonymous(ip), &ev, now).await?;
    tx.commit().await?;
    Ok(Started::Verify { request_id: request.id, code_id })
}

pub enum Verified {
    /// The request went on (to approvers, or granted); the partner's status page.
    Done(String),
    Wrong {
        tries_left: i64,
    },
    /// Code dead, or the request ended meanwhile.
    Dead,
}

pub async fn verify(state: &AppState, request_id: Uuid, code_id: Uuid, typed: &str, ip: &str) -> AppResult<Verified> {
    let mut tx = state.db.begin().await?;
    let code = match codes::check(state, tx.conn(), code_id, PURPOSE, typed).await? {
        Checked::Wrong { tries_left } => {
            tx.commit().await?;
            return Ok(Verified::Wrong { tries_left });
        }
        Checked::Dead => {
            tx.commit().await?;
            return Ok(Verified::Dead);
        }
        Checked::Valid(code) => code,
    };
    let now = state.clock.now();
    let Some(request) = requests::find(tx.conn(), request_id).await?.filter(|r| r.email == code.email) else {
        return Ok(Verified::Dead);
    };
    if !requests::transition(tx.conn(), request.id, "email_unverified", "pending_approval", now).await? {
        tx.commit().await?;
        return Ok(Verified::Dead);
    }
    let request = Request { status: "pending_approval".into(), email_verified_at: Some(now), ..request };
    route(state, &mut tx, &request, &Actor::anonymous(ip)).await?;
    tx.commit().await?;
    Ok(Verified::Done(status_path(state, request.id)))
}

/// A verified request: granted at once when its package needs no approval, else one link
/// per approver. The partner is mailed their status link either way.
async fn route(state: &AppState, tx: &mut Tx, request: &Request, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let Some(package) = packages::find(tx.conn(), request.package_id).await? else { return Ok(()) };
    let org = super::settings::current(state).await?.org_name.clone();
    let status = state.url(&status_path(state, request.id));
    super::queue_notice(
        state,
        tx.conn(),
        &request.email,
        &format!("Your request for {} at {org}", package.name),
        "We received your request",
        &format!(
            "Thank you, {}. Your request for {} is with the people who approve it. You will get a mail when \
             they decide. You can follow it, or withdraw it, on its status page.",
            request.name, package.name
        ),
        Some(("See your request", &status)),
    )
    .await?;
    let ev = Event::new("signup.submitted", "signup_request", request.id, &request.email).details(package.name.clone());
    audit::record(tx.conn(), actor, &ev, now).await?;
    if package.approval_mode == "none" {
        if requests::decide(tx.conn(), request.id, "approved", "automatic", "", now).await? {
            grant(state, tx, request, &package, None).await?;
        }
        return Ok(());
    }
    for approver_id in links::items(tx.conn(), &PACKAGE_APPROVERS, package.id).await? {
        let Some(approver) = users::find(tx.conn(), approver_id).await? else { continue };
        // Nobody approves their own request.
        if approver.email == request.email {
            continue;
        }
        let approval_id = Uuid::new_v4();
        let token = Token::derived(&state.key, APPROVAL_PURPOSE, &approval_id);
        requests::insert_approval(tx.conn(), approval_id, request.id, approver.id, &token.hash().0, now).await?;
        let letter = approval_letter(state, request, &package, &approver, approval_id, false).await?;
        mail::queue(tx.conn(), &approver.email, &letter, now).await?;
    }
    Ok(())
}

pub(crate) async fn approval_letter(
    state: &AppState,
    request: &Request,
    package: &Package,
    approver: &User,
    approval_id: Uuid,
    reminder: bool,
) -> AppResult<mail::Letter> {
    let brand = crate::flows::settings::branding(state).await?;
    let link = approval_link(state, approval_id);
    let who = if request.company.is_empty() {
        format!("{} ({})", request.name, request.email)
    } else {
        format!("{} ({}, {})", request.name, request.email, request.company)
    };
    let reason =
        if request.reason.is_empty() { String::new() } else { format!(" Their reason: “{}”.", request.reason) };
    let subject = if reminder {
        format!("Reminder: {} is waiting for your decision", request.name)
    } else {
        format!("{} asks for access to {}", request.name, package.name)
    };
    Ok(mail::letters::notice(
        &brand,
        &subject,
        &format!("A request for {}", package.name),
        &format!(
            "Hello {}, {who} asks for access to {}.{reason} The link below shows the request; nothing is decided \
             until you press Approve or Deny there.",
            approver.display_name, package.name
        ),
        Some(("Review the request", &link)),
    )?)
}

/// Approval: the guest gets the package's apps and groups (expiring after its duration) and
/// an invitation to redeem, or — when they can sign in already — a mail saying so.
async fn grant(
    state: &AppState,
    tx: &mut Tx,
    request: &Request,
    package: &Package,
    by: Option<&User>,
) -> AppResult<()> {
    let now = state.clock.now();
    let user = match request.user_id {
        Some(id) => users::find(tx.conn(), id).await?,
        None => users::find_by_email(tx.conn(), &request.email).await?,
    };
    let user = match user {
        Some(u) => u,
        None => {
            let new = users::NewUser {
                email: &request.email,
                display_name: &request.name,
                user_type: GUEST,
                state: PENDING,
                created_via: "self_service",
                is_admin: false,
            };
            let u = users::insert(tx.conn(), &new, now).await?;
            users::set_company(tx.conn(), u.id, &request.company).await?;
            u
        }
    };
    let expires = package.duration_days.map(|d| now + Duration::days(d));
    for app_id in links::items(tx.conn(), &PACKAGE_APPS, package.id).await? {
        assignments::assign_from_package(tx.conn(), app_id, user.id, expires, now).await?;
    }
    for group_id in links::items(tx.conn(), &PACKAGE_GROUPS, package.id).await? {
        groups::add_member(tx.conn(), group_id, user.id, expires, now).await?;
    }
    if let Some(sponsor) = by {
        users::add_sponsor(tx.conn(), user.id, sponsor.id).await?;
    }
    if user.state == PENDING {
        super::invite::issue_invitation(state, tx, &user, by, None, "", true).await?;
    } else {
        super::queue_notice(
            state,
            tx.conn(),
            &user.email,
            &format!("You now have access to {}", package.name),
            "Your request was approved",
            &format!("Your request for {} was approved. Its apps are in your Access Panel.", package.name),
            Some(("Open your apps", &state.url("/apps"))),
        )
        .await?;
    }
    let ev = Event::new("signup.approved", "signup_request", request.id, &request.email).details(package.name.clone());
    audit::record(tx.conn(), &Actor::system("approval"), &ev, now).await?;
    Ok(())
}

async fn deny(state: &AppState, tx: &mut Tx, request: &Request, package_name: &str, note: &str) -> AppResult<()> {
    let now = state.clock.now();
    let org = super::settings::current(state).await?.org_name.clone();
    let note_text = if note.is_empty() { String::new() } else { format!(" The note from the approver: “{note}”.") };
    super::queue_notice(
        state,
        tx.conn(),
        &request.email,
        &format!("Your request for {package_name}"),
        "Your request was not approved",
        &format!(
            "Thank you for your interest, {}. Your request for {package_name} was not approved this time.{note_text} \
             If you think this is a mistake, contact your partner at {org}.",
            request.name
        ),
        None,
    )
    .await?;
    let ev = Event::new("signup.denied", "signup_request", request.id, &request.email).details(note.to_string());
    audit::record(tx.conn(), &Actor::system("approval"), &ev, now).await?;
    Ok(())
}

/// What an approval link shows: the request, and whether this approver may still decide.
pub struct ApprovalView {
    pub request: Request,
    pub package: Package,
    pub approver: User,
    pub own_decision: Option<String>,
    /// False once the approver left the package, can no longer sign in, or is the
    /// requester: the link then decides nothing.
    pub entitled: bool,
}

/// Whether `approver` may still decide `request` now: still one of the package's approvers,
/// able to sign in, and not the person asking (nobody approves their own request).
async fn still_entitled(
    c: Conn<'_>,
    package: &Package,
    approver: &User,
    request: &Request,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<bool> {
    let approvers = links::items(c, &PACKAGE_APPROVERS, package.id).await?;
    Ok(approvers.contains(&approver.id)
        && may_sign_in(&approver.state, approver.expires_at, now) == SignInVerdict::Allowed
        && !is_requester(approver, request))
}

/// The requester, by address: a guest's own "Request access" carries their account's email.
fn is_requester(user: &User, request: &Request) -> bool {
    user.email.eq_ignore_ascii_case(&request.email)
}

/// Opening an approval link: changes nothing. `None` for a link that does not exist.
pub async fn view_approval(state: &AppState, token: &str) -> AppResult<Option<ApprovalView>> {
    let hash = TokenHash::of(token);
    let mut c = state.db.acquire().await?;
    let Some(approval) = requests::approval_by_token(c.conn(), &hash.0).await?.filter(|a| hash.matches(&a.token_hash))
    else {
        return Ok(None);
    };
    let (Some(request), Some(approver)) =
        (requests::find(c.conn(), approval.request_id).await?, users::find(c.conn(), approval.approver_id).await?)
    else {
        return Ok(None);
    };
    let Some(package) = packages::find(c.conn(), request.package_id).await? else { return Ok(None) };
    let entitled = still_entitled(c.conn(), &package, &approver, &request, state.clock.now()).await?;
    Ok(Some(ApprovalView { request, package, approver, own_decision: approval.decision, entitled }))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decided {
    /// This decision counted; the request's status now.
    Recorded(String),
    /// The request was decided or ended before (the other approver was first, or it expired).
    AlreadyClosed(String),
    /// The link's approver may no longer decide (removed from the package, blocked, or
    /// the requester); nothing was changed.
    NotEntitled,
    /// An approval refused because the partner domain policy no longer admits the
    /// requester's domain; nothing was changed (a denial still works).
    DomainRefused,
}

/// An approver's POST. Under the request's row lock: record this approver's decision once,
/// then settle the request if the mode says it is settled.
pub async fn decide(state: &AppState, token: &str, approve: bool, note: &str, ip: &str) -> AppResult<Option<Decided>> {
    let hash = TokenHash::of(token);
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(approval) = requests::approval_by_token(tx.conn(), &hash.0).await?.filter(|a| hash.matches(&a.token_hash))
    else {
        return Ok(None);
    };
    requests::lock(tx.conn(), approval.request_id).await?;
    let Some(request) = requests::find(tx.conn(), approval.request_id).await? else { return Ok(None) };
    let Some(package) = packages::find(tx.conn(), request.package_id).await? else { return Ok(None) };
    let approver = users::find(tx.conn(), approval.approver_id).await?;
    let entitled = match &approver {
        Some(a) => still_entitled(tx.conn(), &package, a, &request, now).await?,
        None => false,
    };
    if !entitled {
        let actor = match &approver {
            Some(a) => Actor::user(a.id, &a.email, ip),
            None => Actor::anonymous(ip),
        };
        let ev = Event::new("signup.approval_refused", "signup_request", request.id, &request.email)
            .details("the link's approver may no longer decide");
        audit::record(tx.conn(), &actor, &ev, now).await?;
        tx.commit().await?;
        return Ok(Some(Decided::NotEntitled));
    }
    let open = request.status == "pending_approval" && request.expires_at > now;
    if open && approve && !super::settings::current(state).await?.admits_email(&request.email) {
        return Ok(Some(Decided::DomainRefused));
    }
    let decision = if approve { "approved" } else { "denied" };
    if !open || !requests::record_decision(tx.conn(), approval.id, decision, note, now).await? {
        let status = if open { "pending_approval".to_string() } else { effective_status(&request, now) };
        tx.commit().await?;
        return Ok(Some(Decided::AlreadyClosed(status)));
    }
    let actor = match &approver {
        Some(a) => Actor::user(a.id, &a.email, ip),
        None => Actor::anonymous(ip),
    };
    let ev = Event::new("signup.approval_recorded", "signup_request", request.id, &request.email)
        .details(format!("{decision}{}", if note.is_empty() { String::new() } else { format!(": {note}") }));
    audit::record(tx.conn(), &actor, &ev, now).await?;
    let decisions: Vec<Option<String>> =
        requests::approvals_of(tx.conn(), request.id).await?.into_iter().map(|a| a.decision).collect();
    let decisions: Vec<Option<&str>> = decisions.iter().map(Option::as_deref).collect();
    let by = approver.as_ref().map(|a| a.email.as_str()).unwrap_or("");
    let status = match outcome(&package.approval_mode, &decisions) {
        Outcome::Approved => {
            if requests::decide(tx.conn(), request.id, "approved", by, note, now).await? {
                grant(state, &mut tx, &request, &package, approver.as_ref()).await?;
            }
            "approved"
        }
        Outcome::Denied => {
            if requests::decide(tx.conn(), request.id, "denied", by, note, now).await? {
                deny(state, &mut tx, &request, &package.name, note).await?;
            }
            "denied"
        }
        Outcome::Waiting => "pending_approval",
    };
    tx.commit().await?;
    Ok(Some(Decided::Recorded(status.to_string())))
}

/// An admin decides a pending request outright, whatever the approval mode.
pub async fn admin_decide(
    state: &AppState,
    request_id: Uuid,
    approve: bool,
    note: &str,
    admin: &User,
    actor: &Actor,
) -> AppResult<Option<Decided>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    requests::lock(tx.conn(), request_id).await?;
    let Some(request) = requests::find(tx.conn(), request_id).await? else { return Ok(None) };
    let Some(package) = packages::find(tx.conn(), request.package_id).await? else { return Ok(None) };
    if is_requester(admin, &request) {
        return Ok(Some(Decided::NotEntitled));
    }
    if approve && !super::settings::current(state).await?.admits_email(&request.email) {
        return Ok(Some(Decided::DomainRefused));
    }
    let status = if approve { "approved" } else { "denied" };
    if !requests::decide(tx.conn(), request.id, status, &admin.email, note, now).await? {
        tx.commit().await?;
        return Ok(Some(Decided::AlreadyClosed(effective_status(&request, now))));
    }
    let ev = Event::new("signup.decided_by_admin", "signup_request", request.id, &request.email).details(status);
    audit::record(tx.conn(), actor, &ev, now).await?;
    if approve {
        grant(state, &mut tx, &request, &package, Some(admin)).await?;
    } else {
        deny(state, &mut tx, &request, &package.name, note).await?;
    }
    tx.commit().await?;
    Ok(Some(Decided::Recorded(status.into())))
}

/// The status as a person should see it: a request past its date is expired even before
/// the worker marks it.
pub fn effective_status(r: &Request, now: chrono::DateTime<chrono::Utc>) -> String {
    let open = matches!(r.status.as_str(), "email_unverified" | "pending_approval");
    if open && r.expires_at <= now { "expired".into() } else { r.status.clone() }
}

/// The partner's status page; `None` for a link that does not exist.
pub async fn by_status_token(state: &AppState, token: &str) -> AppResult<Option<(Request, Package)>> {
    let hash = TokenHash::of(token);
    let mut c = state.db.acquire().await?;
    let Some(request) =
        requests::find_by_status_token(c.conn(), &hash.0).await?.filter(|r| hash.matches(&r.status_token_hash))
    else {
        return Ok(None);
    };
    let Some(package) = packages::find(c.conn(), request.package_id).await? else { return Ok(None) };
    Ok(Some((request, package)))
}

/// The partner withdraws; `false` when the request was no longer open.
pub async fn withdraw(state: &AppState, request: &Request, ip: &str) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    requests::lock(tx.conn(), request.id).await?;
    let mut done = false;
    for from in ["pending_approval", "email_unverified"] {
        done = done || requests::transition(tx.conn(), request.id, from, "withdrawn", now).await?;
    }
    if done {
        let ev = Event::new("signup.withdrawn", "signup_request", request.id, &request.email);
        audit::record(tx.conn(), &Actor::anonymous(ip), &ev, now).await?;
        super::queue_notice(
            state,
            tx.conn(),
            &request.email,
            "You withdrew your request",
            "Your request was withdrawn",
            "As you asked, your request was withdrawn and nobody will decide on it. You can send a new one at any time.",
            Some(("Ask again", &state.url("/signup"))),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// A signed-in user asks for a package from the Access Panel: their address is verified
/// already, so the request goes straight to the approvers. Returns its status page.
pub async fn request_more(
    state: &AppState,
    user: &User,
    package_id: Uuid,
    reason: &str,
    ip: &str,
) -> AppResult<Result<String, FieldErrors>> {
    let portal = super::settings::current(state).await?;
    let email = EmailAddress::parse(&user.email).map_err(|e| crate::error::AppError::BadRequest(e.to_string()))?;
    if let Err(e) = requestable(state, &portal, package_id, &email).await? {
        return Ok(Err(e));
    }
    let mut e = FieldErrors::default();
    let Some(reason) = e.take("reason", BoundedText::parse(reason, "The reason", 1000, true)) else {
        return Ok(Err(e));
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // The user's row lock queues two presses of one person (PostgreSQL; SQLite is serial).
    users::lock(tx.conn(), user.id).await?;
    // One open request per user and package: a second press shows the first.
    if let Some(open) = requests::open_for(tx.conn(), user.id, package_id, now).await? {
        return Ok(Ok(status_path(state, open.id)));
    }
    if requests::count_by_user_since(tx.conn(), user.id, now - Duration::hours(1)).await? >= REQUESTS_PER_USER_HOUR {
        let mut e = FieldErrors::default();
        e.add("package", "You have sent many requests in the last hour. Wait a while before sending another.");
        return Ok(Err(e));
    }
    let id = Uuid::new_v4();
    let row = requests::NewRequest {
        id,
        package_id,
        user_id: Some(user.id),
        email: &user.email,
        name: &user.display_name,
        company: &user.company,
        reason: reason.as_str(),
        status: "pending_approval",
        status_token_hash: &status_token(state, id).hash().0,
        ip,
        terms_version: "",
        expires_at: now + Duration::days(portal.signup_ttl_days),
        email_verified_at: Some(now),
    };
    let request = requests::insert(tx.conn(), &row, now).await?;
    route(state, &mut tx, &request, &Actor::user(user.id, &user.email, ip)).await?;
    tx.commit().await?;
    Ok(Ok(status_path(state, request.id)))
}
