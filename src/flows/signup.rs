//! F4 self-service sign-up: a partner's request starts unverified, and the email code moves
//! it on to approval (`flows::approval`). The partner follows it on a status page and can
//! withdraw it; a signed-in user asks for more access the same way.

use chrono::Duration;
use uuid::Uuid;

use super::codes::{self, Checked, CodeFor, Issued};
use crate::db::Tx;
use crate::db::audit::{self, Event};
use crate::db::packages::{self, Package};
use crate::db::requests::{self, Request};
use crate::db::users::{self, User};
use crate::domain::audit::{Action, Actor};
use crate::domain::package::package_admits;
use crate::domain::request::RequestStatus;
use crate::domain::settings::PortalSettings;
use crate::domain::{BoundedText, DisplayName, EmailAddress, FieldErrors, InputError};
use crate::error::AppResult;
use crate::mail::letters::CodeUse;
use crate::secrets::{Token, TokenHash};
use crate::state::AppState;

pub const PURPOSE: &str = "signup";
/// New requests from one IP address in an hour (the bot brake, with the honeypot).
pub const PER_IP_PER_HOUR: i64 = 10;
/// Requests for more access one signed-in user may send in an hour.
pub const REQUESTS_PER_USER_HOUR: i64 = 5;
const STATUS_PURPOSE: &str = "signup-status";

/// The secret of a request's status page (derived, so reminder mails can carry it again).
fn status_token(state: &AppState, request_id: Uuid) -> Token {
    Token::derived(&state.key, STATUS_PURPOSE, &request_id)
}

/// A verified request goes on to approval; the partner is mailed where to follow it.
async fn send_on(state: &AppState, tx: &mut Tx, request: &Request, actor: &Actor) -> AppResult<()> {
    let org = super::settings::current(state).await?.org_name.clone();
    // A package that needs no approval is granted at once, and that mail says so.
    if let Some(package) = packages::find(tx.conn(), request.package_id).await?.filter(|p| p.approval_mode != "none") {
        // A signed-in user follows their requests on their own page; a partner on the
        // status page their secret link opens.
        let status = match request.user_id {
            Some(_) => format!("{}/requests", state.links().apps()),
            None => state.links().signup_status(status_token(state, request.id).expose()),
        };
        let notice = crate::mail::notices::request_received(&org, &request.name, &package.name, status);
        super::queue_notice(state, tx.conn(), &request.email, &notice).await?;
    }
    super::approval::route(state, tx, request, actor).await
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
        status: RequestStatus::EmailUnverified,
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
        code_use: CodeUse::ConfirmRequest,
        client_ip: ip,
        // Device cookies count at sign-in only.
        device_id: None,
    };
    let code_id = match codes::issue(state, &mut tx, &spec).await? {
        Issued::Sent(id) => id,
        Issued::RateLimited => return Ok(Started::RateLimited),
    };
    let ev =
        Event::new(Action::SignupStarted, "signup_request", request.id, &request.email).details(package.name.clone());
    audit::record(tx.conn(), &Actor::anonymous(ip), &ev, now).await?;
    tx.commit().await?;
    Ok(Started::Verify { request_id: request.id, code_id })
}

pub enum Verified {
    /// The request went on (to approvers, or granted); the secret of its status page.
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
    let (from, to) = (RequestStatus::EmailUnverified, RequestStatus::PendingApproval);
    if !requests::transition(tx.conn(), request.id, from, to, now).await? {
        tx.commit().await?;
        return Ok(Verified::Dead);
    }
    let request = Request { status: to, email_verified_at: Some(now), ..request };
    send_on(state, &mut tx, &request, &Actor::anonymous(ip)).await?;
    tx.commit().await?;
    Ok(Verified::Done(status_token(state, request.id).expose().to_string()))
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
    for from in [RequestStatus::PendingApproval, RequestStatus::EmailUnverified] {
        done = done || requests::transition(tx.conn(), request.id, from, RequestStatus::Withdrawn, now).await?;
    }
    if done {
        let ev = Event::new(Action::SignupWithdrawn, "signup_request", request.id, &request.email);
        audit::record(tx.conn(), &Actor::anonymous(ip), &ev, now).await?;
        let notice = crate::mail::notices::request_withdrawn(state.links().signup());
        super::queue_notice(state, tx.conn(), &request.email, &notice).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// One of a signed-in user's own requests, as their requests page lists it.
pub struct OwnRequest {
    pub request: Request,
    pub package: String,
    /// The status now (a request past its date reads as expired).
    pub status: RequestStatus,
}

/// A signed-in user's requests (from the Access Panel or offered with their invitation),
/// newest first: they follow them on their own page, not on the public status page.
pub async fn own_requests(state: &AppState, user: &User) -> AppResult<Vec<OwnRequest>> {
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    let mut out = Vec::new();
    for request in requests::of_user(c.conn(), user.id, 100).await? {
        let package = packages::find(c.conn(), request.package_id).await?.map(|p| p.name).unwrap_or_default();
        let status = request.status.effective(request.expires_at, now);
        out.push(OwnRequest { request, package, status });
    }
    Ok(out)
}

/// A signed-in user withdraws one of their own requests: `None` when it is not theirs,
/// else whether it was still waiting.
pub async fn withdraw_own(state: &AppState, user: &User, request_id: Uuid, ip: &str) -> AppResult<Option<bool>> {
    let request = {
        let mut c = state.db.acquire().await?;
        requests::find(c.conn(), request_id).await?
    };
    match request {
        Some(r) if r.user_id == Some(user.id) => Ok(Some(withdraw(state, &r, ip).await?)),
        _ => Ok(None),
    }
}

/// A signed-in user asks for a package from the Access Panel: their address is verified
/// already, so the request goes straight to the approvers. Returns the secret of its
/// status page.
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
        return Ok(Ok(status_token(state, open.id).expose().to_string()));
    }
    if requests::count_by_user_since(tx.conn(), user.id, now - Duration::hours(1)).await? >= REQUESTS_PER_USER_HOUR {
        let mut e = FieldErrors::default();
        e.add("package", "You have sent many requests in the last hour. Wait a while before sending another.");
        return Ok(Err(e));
    }
    let request = ask_in(state, &mut tx, user, package_id, reason.as_str(), ip).await?;
    if let Some(package) = packages::find(tx.conn(), package_id).await? {
        super::sponsors::tell_of_request(state, tx.conn(), user, &package).await?;
    }
    tx.commit().await?;
    Ok(Ok(status_token(state, request.id).expose().to_string()))
}

/// A request of a signed-in user (their address is proven) for a package, in `tx`: told to
/// them and routed to the approvers, or granted at once when the package needs no approval.
pub(super) async fn ask_in(
    state: &AppState,
    tx: &mut Tx,
    user: &User,
    package_id: Uuid,
    reason: &str,
    ip: &str,
) -> AppResult<Request> {
    let now = state.clock.now();
    let portal = super::settings::current(state).await?;
    let id = Uuid::new_v4();
    let row = requests::NewRequest {
        id,
        package_id,
        user_id: Some(user.id),
        email: &user.email,
        name: &user.display_name,
        company: &user.company,
        reason,
        status: RequestStatus::PendingApproval,
        status_token_hash: &status_token(state, id).hash().0,
        ip,
        terms_version: "",
        expires_at: now + Duration::days(portal.signup_ttl_days),
        email_verified_at: Some(now),
    };
    let request = requests::insert(tx.conn(), &row, now).await?;
    send_on(state, tx, &request, &Actor::user(user.id, &user.email, ip)).await?;
    Ok(request)
}
