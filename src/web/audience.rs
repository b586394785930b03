//! Who may call a route. Every route in `routes.rs` declares its audience beside its path,
//! and `enforce` checks it before any handler runs: a handler never decides on its own
//! whom it serves (a second factor was once skipped because one did). Object-level
//! audiences ("sponsor of this guest", "approver of this request") are checked here as far
//! as the session goes; the flow then answers 404 to anyone not on the object.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use std::rc::Rc;

use actix_web::{Error, HttpMessage, HttpRequest, web};

use crate::auth::session::{Signed, current_session};
use crate::domain::user::MEMBER;
use crate::error::AppError;
use crate::state::AppState;

/// The kinds of caller a route serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Anyone, signed in or not: public pages, sign-in, sign-up, static files, health.
    Anyone,
    /// Whoever holds the link's token, which the flow checks (redemption, approval links,
    /// a sign-up's status page).
    LinkHolder,
    /// A person signing in to an app: the OpenID Provider's one decision
    /// (`provider::access::app_access`) answers, in OIDC's terms (errors go to the app).
    AppSignIn,
    /// An app of the OpenID Provider, authenticating itself (client secret, bearer token).
    App,
    /// The metrics scraper, with its bearer token.
    Scraper,
    /// Any session, its second step passed or still to come: the second-step pages.
    SecondStep,
    /// Setting up a second factor: the first one from any session (even one waiting for
    /// its second step); another only after a recent second step.
    Enrollment,
    /// Signed in, second step passed where wanted, and the current terms of use accepted
    /// where asked (else to `/terms`).
    SignedIn,
    /// Signed in, second step passed where wanted, whether or not new terms of use are still
    /// to accept: the terms page itself, and leaving instead (with one's data first).
    SignedInBeforeTerms,
    /// Signed in, and a second step within the last ten minutes when the person has a
    /// factor: removing a factor, new recovery codes.
    RecentSecondStep,
    /// A signed-in member of the organization.
    Member,
    /// Whoever the invitation policy lets invite guests.
    Inviter,
    /// A signed-in sponsor of the guest in the path (others get 404 from the flow).
    SponsorOfGuest,
    /// A signed-in approver of the request in the path (others get 404 from the flow).
    ApproverOfRequest,
    /// A signed-in reviewer of the access review in the path (others get 404 from the flow).
    ReviewerOfReview,
    Admin,
    /// An admin who passed their second step within the last ten minutes.
    AdminRecentSecondStep,
    /// An API key with this scope.
    Api(&'static str),
}

/// The declared audience of each (method, route pattern): the route table's record, read
/// by the route-matrix test and the input tests.
#[derive(Default, Clone)]
pub struct Audiences(pub Vec<(Method, &'static str, Audience)>);

/// The middleware around each resource of the route table, with that resource's audiences
/// by method. It runs after routing, on the resource the router chose (so an encoded path
/// like `/mfa/s%65tup` meets the same check as `/mfa/setup`), and before its handler. A
/// method the resource does not serve has no audience and goes on to the resource's 405.
pub async fn enforce(
    audiences: Rc<[(Method, Audience)]>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let audience = audiences.iter().find(|(m, _)| m == req.method()).map(|(_, a)| *a);
    if let Some(audience) = audience
        && let Err(refusal) = admit(req.request(), audience).await
    {
        return Ok(match refusal {
            Refusal::Page(e) => req.error_response(e),
            Refusal::Api(problem) => req.error_response(problem),
        });
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

enum Refusal {
    Page(AppError),
    Api(crate::web::api::Problem),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::Page(e)
    }
}

/// Where a refused GET comes back to; a refused POST returns to the landing page.
fn here(req: &HttpRequest) -> String {
    match req.uri().path_and_query() {
        Some(pq) if req.method() == Method::GET => pq.as_str().to_string(),
        _ => "/".into(),
    }
}

/// A session whose second step is done where wanted (else to `/mfa`), or to `/signin`.
async fn before_terms(req: &HttpRequest) -> Result<Signed, AppError> {
    match current_session(req).await? {
        Some(s) if s.mfa_pending => Err(AppError::MfaRequired { next: here(req) }),
        Some(s) => Ok(s),
        None => Err(AppError::SignInRequired { next: here(req) }),
    }
}

/// `before_terms`, with the current terms of use accepted where asked (else to `/terms`).
async fn signed_in(req: &HttpRequest) -> Result<Signed, AppError> {
    match before_terms(req).await? {
        s if s.terms_pending => Err(AppError::TermsRequired { next: here(req) }),
        s => Ok(s),
    }
}

fn state(req: &HttpRequest) -> Result<&AppState, AppError> {
    req.app_data::<web::Data<AppState>>()
        .map(|d| d.get_ref())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))
}

fn now(req: &HttpRequest) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    Ok(state(req)?.clock.now())
}

async fn admit(req: &HttpRequest, audience: Audience) -> Result<(), Refusal> {
    match audience {
        Audience::Anyone | Audience::LinkHolder | Audience::AppSignIn | Audience::App | Audience::Scraper => Ok(()),
        Audience::SecondStep => match current_session(req).await? {
            Some(_) => Ok(()),
            None => Err(AppError::SignInRequired { next: here(req) }.into()),
        },
        Audience::Enrollment => {
            let Some(s) = current_session(req).await? else {
                return Err(AppError::SignInRequired { next: here(req) }.into());
            };
            if s.may_change_factors(now(req)?) {
                Ok(())
            } else if s.mfa_pending {
                Err(AppError::MfaRequired { next: here(req) }.into())
            } else {
                Err(AppError::RecentSecondStepRequired { next: here(req) }.into())
            }
        }
        Audience::SignedIn | Audience::SponsorOfGuest | Audience::ApproverOfRequest | Audience::ReviewerOfReview => {
            signed_in(req).await.map(|_| ()).map_err(Refusal::from)
        }
        Audience::SignedInBeforeTerms => before_terms(req).await.map(|_| ()).map_err(Refusal::from),
        Audience::RecentSecondStep => {
            let s = signed_in(req).await?;
            if s.may_change_factors(now(req)?) {
                Ok(())
            } else {
                Err(AppError::RecentSecondStepRequired { next: back_to(req, "/profile") }.into())
            }
        }
        Audience::Member => match signed_in(req).await? {
            s if s.user.user_type == MEMBER => Ok(()),
            _ => Err(AppError::Forbidden.into()),
        },
        Audience::Inviter => {
            let s = signed_in(req).await?;
            let portal = state(req)?.portal_settings().await?;
            if portal.may_invite(&s.user.user_type, s.user.is_admin, s.user.is_inviter) {
                Ok(())
            } else {
                Err(AppError::Forbidden.into())
            }
        }
        Audience::Admin => match signed_in(req).await? {
            s if s.user.is_admin => Ok(()),
            _ => Err(AppError::Forbidden.into()),
        },
        Audience::AdminRecentSecondStep => {
            let s = signed_in(req).await?;
            if !s.user.is_admin {
                return Err(AppError::Forbidden.into());
            }
            if s.second_step_is_recent(now(req)?) {
                Ok(())
            } else {
                Err(AppError::RecentSecondStepRequired { next: back_to(req, "/admin") }.into())
            }
        }
        Audience::Api(scope) => {
            let caller = crate::web::api::authenticate(req).await.map_err(Refusal::Api)?;
            caller.require(scope).map_err(Refusal::Api)?;
            req.extensions_mut().insert(caller);
            Ok(())
        }
    }
}

/// Where to come back to after a fresh second step: this page for a GET; after a form,
/// `fallback` (the portal sends no Referer, so the form's page is not known).
fn back_to(req: &HttpRequest, fallback: &str) -> String {
    if req.method() == Method::GET { here(req) } else { fallback.to_string() }
}
