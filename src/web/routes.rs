//! The route table: every address of the portal, whom it serves (its `Audience`, enforced
//! by `audience::enforce` before any handler runs) and its handler, in one place. A route
//! cannot be added without an audience. Routes are grouped by path into one resource each,
//! so a method a path does not serve gets 405 with an `Allow` header (actix's resource
//! default) rather than a 404. HEAD is answered as GET without a body by `head_as_get`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, Handler, Responder, Route, web};

use std::rc::Rc;

use actix_web::middleware::from_fn;

use super::audience::{self, Audience, Audience::*, Audiences};
use super::{admin, api, health, images, language, mfa, oauth2, panel, public, static_files};
use crate::error::AppError;

pub fn table(cfg: &mut web::ServiceConfig) {
    routes().register(cfg);
    cfg.default_service(web::to(|req: actix_web::HttpRequest| async move {
        if req.path().starts_with("/api/") { Ok(api::no_route().await) } else { Err(AppError::NotFound) }
    }));
}

/// Every route's method, path and audience (the route-matrix test calls each of them).
pub fn declared() -> Vec<(Method, &'static str, Audience)> {
    routes().audiences.0
}

fn routes() -> Routes {
    let mut t = Routes::default();
    t.get("/healthz", Anyone, health::healthz)
        .get("/readyz", Anyone, health::readyz)
        .get("/metrics", Scraper, health::metrics)
        .get("/static/{file}", Anyone, static_files::serve)
        .get("/brand.css", Anyone, static_files::brand_css)
        // Uploaded icons and the logo: the logo is on the sign-in page, and an image's id
        // is a random UUID, new with each upload.
        .get("/images/{id}", Anyone, images::serve)
        // People who are not signed in: sign-in, redemption, sign-up, approval.
        .get("/", Anyone, public::home)
        .get("/language", Anyone, language::switch)
        .get("/signin", Anyone, public::signin::form)
        .post("/signin", Anyone, public::signin::request_code)
        .get("/signin/code", Anyone, public::signin::code_form)
        .post("/signin/code", Anyone, public::signin::verify_code)
        .get("/signin/passkey", Anyone, public::passkey_signin::form)
        .post("/signin/passkey", Anyone, public::passkey_signin::sign_in)
        .get("/signin/link/{token}", LinkHolder, public::signin::link_page)
        .post("/signin/link/{token}", LinkHolder, public::signin::use_link)
        .post("/signout", Anyone, public::signin::sign_out)
        .post("/auth/{slug}/start", Anyone, public::federation::start)
        .get("/auth/{slug}/callback", Anyone, public::federation::callback)
        .get("/auth/{slug}/saml/metadata", Anyone, public::saml::metadata)
        .post("/auth/{slug}/saml/acs", Anyone, public::saml::acs)
        .get("/auth/{slug}/saml/done", Anyone, public::saml::done)
        .get("/redeem/{token}", LinkHolder, public::redeem::landing)
        .post("/redeem/{token}/code", LinkHolder, public::redeem::send_code)
        .get("/redeem/{token}/code", LinkHolder, public::redeem::code_form)
        .post("/redeem/{token}/verify", LinkHolder, public::redeem::verify_code)
        .get("/redeem/{token}/consent", LinkHolder, public::redeem::consent)
        .post("/redeem/{token}/accept", LinkHolder, public::redeem::accept)
        .post("/redeem/{token}/decline", LinkHolder, public::redeem::decline)
        .get("/signup", Anyone, public::signup::form)
        .post("/signup", Anyone, public::signup::submit)
        .get("/signup/verify", Anyone, public::signup::code_form)
        .post("/signup/verify", Anyone, public::signup::verify)
        .get("/signup/status/{token}", LinkHolder, public::signup::status)
        .post("/signup/status/{token}/withdraw", LinkHolder, public::signup::withdraw)
        // An invitation mail's "Block future invitations": GET asks, POST lists (F12).
        .get("/unsubscribe/{token}", LinkHolder, public::unsubscribe::show)
        .post("/unsubscribe/{token}", LinkHolder, public::unsubscribe::block)
        .get("/approve/{token}", LinkHolder, public::approve::show)
        .post("/approve/{token}", LinkHolder, public::approve::decide)
        .get("/review/{token}", LinkHolder, public::review::show)
        .post("/review/{token}", LinkHolder, public::review::decide)
        // The second factor (F8): right after the first one, and from the profile.
        .get("/mfa", SecondStep, mfa::prompt)
        .post("/mfa", SecondStep, mfa::verify)
        .get("/mfa/setup", Enrollment, mfa::setup_form)
        .post("/mfa/setup", Enrollment, mfa::confirm_setup)
        .post("/mfa/passkey", SecondStep, mfa::use_passkey)
        .post("/mfa/passkey/register", Enrollment, mfa::register_passkey)
        .post("/profile/mfa/recovery-codes", RecentSecondStep, mfa::new_recovery_codes)
        .post("/profile/mfa/{id}/remove", RecentSecondStep, mfa::remove_method)
        // The OpenID Provider of the host's apps (F9).
        .get("/.well-known/openid-configuration", Anyone, oauth2::discovery_document)
        .get("/oauth2/jwks", Anyone, oauth2::jwks)
        .get("/oauth2/authorize", AppSignIn, oauth2::authorize::authorize)
        .post("/oauth2/authorize", AppSignIn, oauth2::authorize::authorize)
        .post("/oauth2/authorize/consent", AppSignIn, oauth2::authorize::consent)
        .post("/oauth2/token", App, oauth2::token::token)
        .post("/oauth2/revoke", App, oauth2::token::revoke)
        .get("/oauth2/userinfo", App, oauth2::token::userinfo)
        .post("/oauth2/userinfo", App, oauth2::token::userinfo)
        .get("/oauth2/end_session", Anyone, oauth2::logout::end_session)
        .post("/oauth2/end_session", Anyone, oauth2::logout::end_session)
        .post("/oauth2/end_session/confirm", Anyone, oauth2::logout::confirm)
        // The Access Panel (F6).
        .get("/apps", SignedIn, panel::apps_page)
        .get("/apps/{id}/launch", SignedIn, panel::launch)
        .get("/apps/request", SignedIn, panel::request::form)
        .post("/apps/request", SignedIn, panel::request::submit)
        .get("/apps/requests", SignedIn, panel::request::list)
        .post("/apps/requests/{id}/withdraw", SignedIn, panel::request::withdraw)
        .get("/invite", Inviter, panel::invite::form)
        .post("/invite", Inviter, panel::invite::submit)
        .get("/approvals", SignedIn, panel::approvals::list)
        .post("/approvals/{id}", ApproverOfRequest, panel::approvals::decide)
        .get("/reviews", SignedIn, panel::reviews::list)
        .get("/reviews/{id}", ReviewerOfReview, panel::reviews::show)
        .post("/reviews/{id}", ReviewerOfReview, panel::reviews::decide)
        .get("/guests", SignedIn, panel::guests::list)
        .get("/guests/{id}", SponsorOfGuest, panel::guests::show)
        .post("/guests/{id}/sponsors/{sponsor}/remove", SponsorOfGuest, panel::guests::remove_sponsor)
        .post("/guests/{id}/{action}", SponsorOfGuest, panel::guests::act)
        .get("/profile", SignedIn, panel::profile)
        .post("/profile", SignedIn, panel::rename)
        .post("/profile/sessions/{id}/end", SignedIn, panel::end_session)
        .post("/profile/sign-out-everywhere", SignedIn, panel::sign_out_everywhere)
        .get("/profile/data", SignedInBeforeTerms, panel::leaving::my_data)
        .get("/profile/leave", SignedInBeforeTerms, panel::leaving::form)
        .post("/profile/leave", SignedInBeforeTerms, panel::leaving::leave)
        // New terms of use (F12): accepted before any other page, or leave instead.
        .get("/terms", SignedInBeforeTerms, panel::terms::show)
        .post("/terms", SignedInBeforeTerms, panel::terms::accept)
        // The admin portal (F7): every handler takes AdminUser.
        .get("/admin", Admin, admin::dashboard)
        .get("/admin/users", Admin, admin::users::list)
        .get("/admin/users/{id}", Admin, admin::users::show)
        .post("/admin/users/{id}/resend", Admin, admin::users::resend)
        .post("/admin/users/{id}/revoke", Admin, admin::users::revoke)
        .post("/admin/users/{id}/block", Admin, admin::users::account_action)
        .post("/admin/users/{id}/reset-redemption", Admin, admin::users::reset_redemption)
        .post("/admin/users/{id}/unblock", Admin, admin::users::account_action)
        .post("/admin/users/{id}/restore", Admin, admin::users::account_action)
        .post("/admin/users/{id}/make-admin", Admin, admin::users::account_action)
        .post("/admin/users/{id}/remove-admin", Admin, admin::users::account_action)
        .post("/admin/users/{id}/make-inviter", Admin, admin::users::account_action)
        .post("/admin/users/{id}/remove-inviter", Admin, admin::users::account_action)
        .post("/admin/users/{id}/mfa/{action}", AdminRecentSecondStep, admin::users::mfa_action)
        .post("/admin/users/{id}/apps", Admin, admin::users::assign_app)
        .post("/admin/users/{id}/apps/{app_id}/remove", Admin, admin::users::unassign_app)
        .get("/admin/members/new", Admin, admin::members::form)
        .post("/admin/members", Admin, admin::members::create)
        .get("/admin/invitations/new", Admin, admin::invitations::form)
        .get("/admin/invitations/bulk", Admin, admin::bulk::form)
        .post("/admin/invitations/bulk", Admin, admin::bulk::check)
        .get("/admin/invitations/bulk/template.csv", Admin, admin::bulk::template)
        .get("/admin/invitations/bulk/{id}", Admin, admin::bulk::show)
        .post("/admin/invitations/bulk/{id}/start", Admin, admin::bulk::start)
        .get("/admin/invitations/bulk/{id}/result.csv", Admin, admin::bulk::result)
        .post("/admin/invitations", Admin, admin::invitations::create)
        .get("/admin/apps", Admin, admin::apps::list)
        .post("/admin/apps", Admin, admin::apps::create)
        .get("/admin/apps/new", Admin, admin::apps::new_form)
        .get("/admin/apps/{id}", Admin, admin::apps::edit_form)
        .post("/admin/apps/{id}", Admin, admin::apps::update)
        .post("/admin/apps/{id}/delete", Admin, admin::apps::delete)
        .post("/admin/apps/{id}/secret", Admin, admin::apps::regenerate_secret)
        .post("/admin/apps/{id}/secret/previous/remove", Admin, admin::apps::drop_previous_secret)
        .post("/admin/apps/{id}/users", Admin, admin::app_access::add_person)
        .post("/admin/apps/{id}/users/{user_id}/remove", Admin, admin::app_access::remove_person)
        .post("/admin/apps/{id}/groups", Admin, admin::app_access::add_group)
        .post("/admin/apps/{id}/groups/{group_id}/remove", Admin, admin::app_access::remove_group)
        .post("/admin/apps/{id}/icon", Admin, admin::apps::upload_icon)
        .post("/admin/apps/{id}/icon/remove", Admin, admin::apps::remove_icon)
        .post("/admin/signing-keys/rotate", Admin, admin::apps::rotate_keys)
        .get("/admin/audit", Admin, admin::audit::list)
        .get("/admin/audit.csv", Admin, admin::audit::export)
        .get("/admin/outbox", Admin, admin::outbox::list)
        .post("/admin/outbox/{id}/retry", Admin, admin::outbox::retry)
        .get("/admin/groups", Admin, admin::groups::list)
        .post("/admin/groups", Admin, admin::groups::create)
        .get("/admin/groups/new", Admin, admin::groups::new_form)
        .get("/admin/groups/{id}", Admin, admin::groups::edit_form)
        .post("/admin/groups/{id}", Admin, admin::groups::update)
        .post("/admin/groups/{id}/delete", Admin, admin::groups::delete)
        .post("/admin/groups/{id}/members", Admin, admin::groups::add_member)
        .post("/admin/groups/{id}/members/{user}/remove", Admin, admin::groups::remove_member)
        .get("/admin/packages", Admin, admin::packages::list)
        .post("/admin/packages", Admin, admin::packages::create)
        .get("/admin/packages/new", Admin, admin::packages::new_form)
        .get("/admin/packages/{id}", Admin, admin::packages::edit_form)
        .post("/admin/packages/{id}", Admin, admin::packages::update)
        .post("/admin/packages/{id}/delete", Admin, admin::packages::delete)
        .get("/admin/reviews", Admin, admin::reviews::list)
        .post("/admin/reviews", Admin, admin::reviews::create)
        .get("/admin/reviews/new", Admin, admin::reviews::new_form)
        .get("/admin/reviews/{id}", Admin, admin::reviews::show)
        .post("/admin/reviews/{id}/stop", Admin, admin::reviews::stop)
        .get("/admin/reviews/{id}/result.csv", Admin, admin::reviews::result)
        .get("/admin/requests", Admin, admin::requests::list)
        .get("/admin/requests/{id}", Admin, admin::requests::show)
        .post("/admin/requests/{id}/decide", Admin, admin::requests::decide)
        .get("/admin/settings", Admin, admin::settings::show)
        .post("/admin/settings", Admin, admin::settings::save)
        .post("/admin/settings/logo", Admin, admin::settings::upload_logo)
        .post("/admin/settings/logo/remove", Admin, admin::settings::remove_logo)
        .get("/admin/do-not-invite", Admin, admin::do_not_invite::list)
        .post("/admin/do-not-invite/lift", Admin, admin::do_not_invite::lift)
        .get("/admin/identity-providers", Admin, admin::idps::list)
        .post("/admin/identity-providers", Admin, admin::idps::create)
        .get("/admin/identity-providers/new", Admin, admin::idps::new_form)
        .get("/admin/identity-providers/new-saml", Admin, admin::saml_idps::new_form)
        .post("/admin/identity-providers/saml", Admin, admin::saml_idps::create)
        .get("/admin/identity-providers/{id}", Admin, admin::idps::edit_form)
        .post("/admin/identity-providers/{id}", Admin, admin::idps::update)
        .post("/admin/identity-providers/{id}/saml", Admin, admin::saml_idps::update)
        .post("/admin/identity-providers/{id}/delete", Admin, admin::idps::delete)
        .get("/admin/api-keys", Admin, admin::api_keys::list)
        .post("/admin/api-keys", Admin, admin::api_keys::create)
        .get("/admin/api-keys/new", Admin, admin::api_keys::new_form)
        .post("/admin/api-keys/{id}/revoke", Admin, admin::api_keys::revoke)
        // The API (F10): JSON, API keys, problem+json errors.
        .get("/api/v1/openapi.json", Anyone, api::openapi::json)
        .get("/api/v1/docs", Anyone, api::openapi::reference)
        .get("/api/v1/audit", Api(api::audit::SCOPE), api::audit::list)
        .post("/api/v1/invitations", Api(api::invitations::SCOPE), api::invitations::create)
        .get("/api/v1/invitations", Api(api::invitations::SCOPE), api::invitations::list)
        .post("/api/v1/invitations/bulk", Api(api::invitations::SCOPE), api::bulk::create)
        .body_limit("/api/v1/invitations/bulk", api::bulk::MAX_BODY)
        .get("/api/v1/invitations/bulk/{id}", Api(api::invitations::SCOPE), api::bulk::show)
        .get("/api/v1/invitations/{id}", Api(api::invitations::SCOPE), api::invitations::show)
        .post("/api/v1/invitations/{id}/resend", Api(api::invitations::SCOPE), api::invitations::resend)
        .post("/api/v1/invitations/{id}/revoke", Api(api::invitations::SCOPE), api::invitations::revoke)
        .get("/api/v1/apps", Api(api::users::READ), api::apps::list)
        .get("/api/v1/groups", Api(api::groups::SCOPE), api::groups::list)
        .post("/api/v1/groups", Api(api::groups::SCOPE), api::group_changes::create)
        .get("/api/v1/groups/{id}", Api(api::groups::SCOPE), api::group_changes::show)
        .patch("/api/v1/groups/{id}", Api(api::groups::SCOPE), api::group_changes::update)
        .delete("/api/v1/groups/{id}", Api(api::groups::SCOPE), api::group_changes::delete)
        .get("/api/v1/groups/{id}/members", Api(api::groups::SCOPE), api::groups::list_members)
        .post("/api/v1/groups/{id}/members", Api(api::groups::SCOPE), api::groups::add_member)
        // Graph's references: before `…/members/{userId}`, which would take `$ref` as an id.
        .post("/api/v1/groups/{id}/members/$ref", Api(api::groups::SCOPE), api::group_changes::add_member_ref)
        .delete(
            "/api/v1/groups/{id}/members/{userId}/$ref",
            Api(api::groups::SCOPE),
            api::group_changes::remove_member_ref,
        )
        .delete("/api/v1/groups/{id}/members/{userId}", Api(api::groups::SCOPE), api::groups::remove_member)
        .get("/api/v1/requests", Api(api::requests::READ), api::requests::list)
        .get("/api/v1/requests/{id}", Api(api::requests::READ), api::requests::show)
        .post("/api/v1/requests/{id}/decision", Api(api::requests::WRITE), api::requests::decide)
        .get("/api/v1/accessReviews", Api(api::reviews::READ), api::reviews::list)
        .get("/api/v1/accessReviews/{id}", Api(api::reviews::READ), api::reviews::show)
        .get("/api/v1/accessReviews/{id}/decisions", Api(api::reviews::READ), api::reviews::decisions)
        .get("/api/v1/directoryObjects/{id}", Api(api::users::READ), api::directory::show)
        .get("/api/v1/users", Api(api::users::READ), api::users::list)
        .get("/api/v1/users/{id}", Api(api::users::READ), api::users::show)
        .patch("/api/v1/users/{id}", Api(api::users::WRITE), api::users::update)
        .delete("/api/v1/users/{id}", Api(api::users::WRITE), api::users::remove)
        .post("/api/v1/users/{id}/block", Api(api::users::WRITE), api::users::block)
        .post("/api/v1/users/{id}/unblock", Api(api::users::WRITE), api::users::unblock)
        .post("/api/v1/users/{id}/extend", Api(api::users::WRITE), api::users::extend)
        .post("/api/v1/users/{id}/apps", Api(api::users::WRITE), api::apps::assign)
        .delete("/api/v1/users/{id}/apps/{appId}", Api(api::users::WRITE), api::apps::unassign);
    t
}

#[derive(Default)]
struct Routes {
    /// Paths in the order first added: actix tries resources in registration order.
    paths: Vec<(&'static str, Vec<Route>)>,
    /// Paths whose bodies may be larger than the app's default limit.
    body_limits: Vec<(&'static str, usize)>,
    audiences: Audiences,
}

impl Routes {
    fn get<F, Args>(&mut self, path: &'static str, audience: Audience, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, audience, web::get().to(handler))
    }

    fn post<F, Args>(&mut self, path: &'static str, audience: Audience, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, audience, web::post().to(handler))
    }

    fn patch<F, Args>(&mut self, path: &'static str, audience: Audience, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PATCH, path, audience, web::patch().to(handler))
    }

    fn delete<F, Args>(&mut self, path: &'static str, audience: Audience, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::DELETE, path, audience, web::delete().to(handler))
    }

    fn add(&mut self, method: Method, path: &'static str, audience: Audience, route: Route) -> &mut Self {
        self.audiences.0.push((method, path, audience));
        match self.paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, routes)) => routes.push(route),
            None => self.paths.push((path, vec![route])),
        }
        self
    }

    fn body_limit(&mut self, path: &'static str, bytes: usize) -> &mut Self {
        self.body_limits.push((path, bytes));
        self
    }

    fn register(self, cfg: &mut web::ServiceConfig) {
        for (path, routes) in self.paths {
            let mut resource = web::resource(path);
            if let Some((_, bytes)) = self.body_limits.iter().find(|(p, _)| *p == path) {
                resource = resource.app_data(web::PayloadConfig::new(*bytes));
            }
            let resource = routes.into_iter().fold(resource, |r, route| r.route(route));
            // The audience check sits on the resource itself: it runs for exactly the
            // resource the router picked, however the path was spelled.
            let audiences: Rc<[(Method, Audience)]> =
                self.audiences.0.iter().filter(|(_, p, _)| *p == path).map(|(m, _, a)| (m.clone(), *a)).collect();
            let resource = resource.wrap(from_fn(move |req, next| audience::enforce(audiences.clone(), req, next)));
            cfg.service(resource);
        }
    }
}

/// HEAD is routed as GET; the HTTP layer still knows the request was HEAD and sends the
/// headers without the body (RFC 9110 §9.3.2).
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
