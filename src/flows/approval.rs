//! F5 sponsor approval. A verified request goes to the package's approvers, one link
//! each (or is granted at once when the package needs no approval). Opening a link changes
//! nothing; the POST decides, as a conditional update under the request's row lock, so
//! concurrent clicks give exactly one outcome. The link works only while its approver may
//! still decide.

use chrono::Duration;
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::links::{self, GROUP_APPS, PACKAGE_APPROVERS, PACKAGE_APPS, PACKAGE_GROUPS};
use crate::db::packages::{self, Package};
use crate::db::requests::{self, Request};
use crate::db::users::{self, User};
use crate::db::{Conn, Tx, assignments, groups, sponsors};
use crate::domain::audit::{Action, Actor};
use crate::domain::package::{Outcome, outcome};
use crate::domain::request::RequestStatus;
use crate::domain::user::{GUEST, SignInVerdict, UserState, may_sign_in};
use crate::error::AppResult;
use crate::mail;
use crate::mail::notices::{self, Requester};
use crate::secrets::{Token, TokenHash};
use crate::state::AppState;

const APPROVAL_PURPOSE: &str = "approval-link";

fn approval_link(state: &AppState, approval_id: Uuid) -> String {
    state.links().approve(Token::derived(&state.key, APPROVAL_PURPOSE, &approval_id).expose())
}

/// A verified request: granted at once when its package needs no approval, else one link
/// per approver. (The partner has been told where to follow it: `signup`.)
pub(super) async fn route(state: &AppState, tx: &mut Tx, request: &Request, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let Some(package) = packages::find(tx.conn(), request.package_id).await? else { return Ok(()) };
    let ev =
        Event::new(Action::SignupSubmitted, "signup_request", request.id, &request.email).details(package.name.clone());
    audit::record(tx.conn(), actor, &ev, now).await?;
    if package.approval_mode == "none" {
        if requests::decide(tx.conn(), request.id, RequestStatus::Approved, "automatic", "", now).await? {
            grant(state, tx, request, &package, None, "").await?;
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

/// The mail to one approver (and, `reminder`, once more after a few days).
pub(crate) async fn approval_letter(
    state: &AppState,
    request: &Request,
    package: &Package,
    approver: &User,
    approval_id: Uuid,
    reminder: bool,
) -> AppResult<mail::Letter> {
    let who =
        Requester { name: &request.name, email: &request.email, company: &request.company, reason: &request.reason };
    let n = notices::approval_request(
        &approver.display_name,
        &who,
        &package.name,
        approval_link(state, approval_id),
        reminder,
    );
    let button = n.button.as_ref().map(|(w, u)| (*w, u.as_str()));
    let brand = crate::flows::settings::branding(state).await?;
    Ok(mail::letters::notice(&brand, &n.subject, &n.heading, &n.paragraph, button)?)
}

/// What an approval gave, for the words of the person who decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// The partner's name.
    pub guest: String,
    pub package: String,
    /// The partner could not sign in yet and was mailed an invitation to redeem; else they
    /// were mailed that the access is in their Access Panel.
    pub invited: bool,
    /// The mail carried the approver's note.
    pub with_note: bool,
}

/// Approval: the guest gets the package's apps and groups (expiring after its duration) and
/// an invitation to redeem, or — when they can sign in already — a mail saying so. Either
/// mail carries the approver's note, the apps and the end date.
async fn grant(
    state: &AppState,
    tx: &mut Tx,
    request: &Request,
    package: &Package,
    by: Option<&User>,
    note: &str,
) -> AppResult<Granted> {
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
                state: UserState::PendingAcceptance,
                created_via: "self_service",
                is_admin: false,
            };
            let u = users::insert(tx.conn(), &new, now).await?;
            users::set_company(tx.conn(), u.id, &request.company).await?;
            u
        }
    };
    let expires = package.duration_days.map(|d| now + Duration::days(d));
    // The apps the partner gets, directly or through a group, named in their mail.
    let mut app_ids = Vec::new();
    for app_id in links::items(tx.conn(), &PACKAGE_APPS, package.id).await? {
        assignments::assign_from_package(tx.conn(), app_id, user.id, expires, now).await?;
        app_ids.push(app_id);
    }
    for group_id in links::items(tx.conn(), &PACKAGE_GROUPS, package.id).await? {
        groups::add_member(tx.conn(), group_id, user.id, expires, now).await?;
        app_ids.extend(links::items(tx.conn(), &GROUP_APPS, group_id).await?);
    }
    assignments::record_grant(tx.conn(), package.id, user.id, expires, now).await?;
    let mut apps = Vec::new();
    for app_id in app_ids {
        if let Some(app) = crate::db::apps::find(tx.conn(), app_id).await?
            && !apps.contains(&app.name)
        {
            apps.push(app.name);
        }
    }
    if let Some(sponsor) = by {
        sponsors::add(tx.conn(), user.id, sponsor.id).await?;
    }
    let until = expires.map(super::human_date).unwrap_or_default();
    let approved = mail::letters::Approved {
        package: &package.name,
        by: by.map(|b| b.display_name.as_str()).unwrap_or(""),
        note,
        apps: &apps,
        until: &until,
    };
    let invited = user.state == UserState::PendingAcceptance;
    if invited {
        let mail_with = super::invitations::InvitationMail::Approval(&approved);
        super::invitations::issue_invitation(state, tx, &user, by, None, Default::default(), mail_with).await?;
    } else {
        let brand = super::settings::branding(state).await?;
        let letter = mail::letters::approved_access(&brand, &approved, &state.links().apps())?;
        // Replies reach the person who decided.
        let letter = match by {
            Some(b) => letter.replying_to(&b.display_name, &b.email),
            None => letter,
        };
        mail::queue(tx.conn(), &user.email, &letter, now).await?;
    }
    let ev =
        Event::new(Action::SignupApproved, "signup_request", request.id, &request.email).details(package.name.clone());
    audit::record(tx.conn(), &Actor::system("approval"), &ev, now).await?;
    Ok(Granted {
        guest: user.display_name.clone(),
        package: package.name.clone(),
        invited,
        with_note: !note.is_empty(),
    })
}

async fn deny(state: &AppState, tx: &mut Tx, request: &Request, package_name: &str, note: &str) -> AppResult<()> {
    let now = state.clock.now();
    let org = super::settings::current(state).await?.org_name.clone();
    let notice = notices::request_denied(&org, &request.name, package_name, note);
    super::queue_notice(state, tx.conn(), &request.email, &notice).await?;
    let ev = Event::new(Action::SignupDenied, "signup_request", request.id, &request.email).details(note.to_string());
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
        && may_sign_in(approver.state, approver.expires_at, now) == SignInVerdict::Allowed
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
    /// This decision counted; the request's status now (approved requests say `Approved`).
    Recorded(RequestStatus),
    /// This decision approved the request, which gave what `Granted` says.
    Approved(Granted),
    /// The request was decided or ended before (the other approver was first, or it expired).
    AlreadyClosed(RequestStatus),
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
    let mut tx = state.db.begin().await?;
    let Some(approval) = requests::approval_by_token(tx.conn(), &hash.0).await?.filter(|a| hash.matches(&a.token_hash))
    else {
        return Ok(None);
    };
    record(state, tx, approval, approve, note, ip).await
}

/// A member decides from their Approvals page; `None` unless the approval is theirs.
pub async fn decide_as(
    state: &AppState,
    approver: &User,
    approval_id: Uuid,
    approve: bool,
    note: &str,
    ip: &str,
) -> AppResult<Option<Decided>> {
    let mut tx = state.db.begin().await?;
    let Some(approval) =
        requests::find_approval(tx.conn(), approval_id).await?.filter(|a| a.approver_id == approver.id)
    else {
        return Ok(None);
    };
    record(state, tx, approval, approve, note, ip).await
}

/// The requests waiting for `approver`'s decision, oldest first: their approval is undecided,
/// the request still open, and they may still decide it.
pub async fn waiting_for(state: &AppState, approver: &User) -> AppResult<Vec<requests::Waiting>> {
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    let mut out = Vec::new();
    for w in requests::waiting_for(c.conn(), approver.id, now).await? {
        let Some(package) = packages::find(c.conn(), w.request.package_id).await? else { continue };
        if still_entitled(c.conn(), &package, approver, &w.request, now).await? {
            out.push(w);
        }
    }
    Ok(out)
}

/// One approver's decision, under the request's row lock, then the request settled when
/// its mode says so.
async fn record(
    state: &AppState,
    mut tx: Tx,
    approval: requests::Approval,
    approve: bool,
    note: &str,
    ip: &str,
) -> AppResult<Option<Decided>> {
    let now = state.clock.now();
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
        let ev = Event::new(Action::SignupApprovalRefused, "signup_request", request.id, &request.email)
            .details("the link's approver may no longer decide");
        audit::record(tx.conn(), &actor, &ev, now).await?;
        tx.commit().await?;
        return Ok(Some(Decided::NotEntitled));
    }
    let open = request.status == RequestStatus::PendingApproval && request.expires_at > now;
    if open && approve && !super::settings::current(state).await?.admits_email(&request.email) {
        return Ok(Some(Decided::DomainRefused));
    }
    let decision = if approve { RequestStatus::Approved } else { RequestStatus::Denied };
    if !open || !requests::record_decision(tx.conn(), approval.id, decision.as_str(), note, now).await? {
        let status =
            if open { RequestStatus::PendingApproval } else { request.status.effective(request.expires_at, now) };
        tx.commit().await?;
        return Ok(Some(Decided::AlreadyClosed(status)));
    }
    let actor = match &approver {
        Some(a) => Actor::user(a.id, &a.email, ip),
        None => Actor::anonymous(ip),
    };
    let ev = Event::new(Action::SignupApprovalRecorded, "signup_request", request.id, &request.email)
        .details(format!("{decision}{}", if note.is_empty() { String::new() } else { format!(": {note}") }));
    audit::record(tx.conn(), &actor, &ev, now).await?;
    // Only the approvers who may still decide count: in "all" mode, one who left the
    // package (or was blocked) would otherwise hold the request until it expires.
    let mut decisions: Vec<Option<String>> = Vec::new();
    for a in requests::approvals_of(tx.conn(), request.id).await? {
        let counts = match users::find(tx.conn(), a.approver_id).await? {
            Some(u) => still_entitled(tx.conn(), &package, &u, &request, now).await?,
            None => false,
        };
        if counts {
            decisions.push(a.decision);
        }
    }
    let decisions: Vec<Option<&str>> = decisions.iter().map(Option::as_deref).collect();
    let by = approver.as_ref().map(|a| a.email.as_str()).unwrap_or("");
    let decided = match outcome(&package.approval_mode, &decisions) {
        Outcome::Approved => {
            if requests::decide(tx.conn(), request.id, RequestStatus::Approved, by, note, now).await? {
                Decided::Approved(grant(state, &mut tx, &request, &package, approver.as_ref(), note).await?)
            } else {
                Decided::Recorded(RequestStatus::Approved)
            }
        }
        Outcome::Denied => {
            if requests::decide(tx.conn(), request.id, RequestStatus::Denied, by, note, now).await? {
                deny(state, &mut tx, &request, &package.name, note).await?;
            }
            Decided::Recorded(RequestStatus::Denied)
        }
        Outcome::Waiting => Decided::Recorded(RequestStatus::PendingApproval),
    };
    tx.commit().await?;
    Ok(Some(decided))
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
    let mut tx = state.db.begin().await?;
    let decided = admin_decide_within(state, &mut tx, request_id, approve, note, admin, actor).await?;
    tx.commit().await?;
    Ok(decided)
}

/// `admin_decide`, inside the caller's transaction (the API keeps its answer in it).
pub async fn admin_decide_within(
    state: &AppState,
    tx: &mut Tx,
    request_id: Uuid,
    approve: bool,
    note: &str,
    admin: &User,
    actor: &Actor,
) -> AppResult<Option<Decided>> {
    let now = state.clock.now();
    requests::lock(tx.conn(), request_id).await?;
    let Some(request) = requests::find(tx.conn(), request_id).await? else { return Ok(None) };
    let Some(package) = packages::find(tx.conn(), request.package_id).await? else { return Ok(None) };
    if is_requester(admin, &request) {
        return Ok(Some(Decided::NotEntitled));
    }
    if approve && !super::settings::current(state).await?.admits_email(&request.email) {
        return Ok(Some(Decided::DomainRefused));
    }
    let status = if approve { RequestStatus::Approved } else { RequestStatus::Denied };
    if !requests::decide(tx.conn(), request.id, status, &admin.email, note, now).await? {
        return Ok(Some(Decided::AlreadyClosed(request.status.effective(request.expires_at, now))));
    }
    let ev =
        Event::new(Action::SignupDecidedByAdmin, "signup_request", request.id, &request.email).details(status.as_str());
    audit::record(tx.conn(), actor, &ev, now).await?;
    let decided = if approve {
        Decided::Approved(grant(state, tx, &request, &package, Some(admin), note).await?)
    } else {
        deny(state, tx, &request, &package.name, note).await?;
        Decided::Recorded(status)
    };
    Ok(Some(decided))
}
