//! The route table: every address of the portal and its handler, in one place. Routes are
//! grouped by path into one resource each, so a method a path does not serve gets 405 with
//! an `Allow` header (actix's resource default) rather than a 404. HEAD is answered as GET
//! without a body by `head_as_get`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, Route, web};

use super::{admin, api, health, mfa, oauth2, panel, public, static_files};
use crate::error::AppError;

pub fn table(cfg: &mut web::ServiceConfig) {
    let mut t = Routes::default();
    t.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/static/{file}", web::get().to(static_files::serve))
        .route("/brand.css", web::get().to(static_files::brand_css))
        // People who are not signed in: sign-in, redemption, sign-up, approval.
        .route("/", web::get().to(public::home))
        .route("/signin", web::get().to(public::signin::form))
        .route("/signin", web::post().to(public::signin::request_code))
        .route("/signin/code", web::get().to(public::signin::code_form))
        .route("/signin/code", web::post().to(public::signin::verify_code))
        .route("/signin/passkey", web::get().to(public::passkey_signin::form))
        .route("/signin/passkey", web::post().to(public::passkey_signin::sign_in))
        .route("/signin/link/{token}", web::get().to(public::signin::link_page))
        .route("/signin/link/{token}", web::post().to(public::signin::use_link))
        .route("/signout", web::post().to(public::signin::sign_out))
        .route("/auth/{slug}/start", web::post().to(public::federation::start))
        .route("/auth/{slug}/callback", web::get().to(public::federation::callback))
        .route("/redeem/{token}", web::get().to(public::redeem::landing))
        .route("/redeem/{token}/code", web::post().to(public::redeem::send_code))
        .route("/redeem/{token}/code", web::get().to(public::redeem::code_form))
        .route("/redeem/{token}/verify", web::post().to(public::redeem::verify_code))
        .route("/redeem/{token}/consent", web::get().to(public::redeem::consent))
        .route("/redeem/{token}/accept", web::post().to(public::redeem::accept))
        .route("/signup", web::get().to(public::signup::form))
        .route("/signup", web::post().to(public::signup::submit))
        .route("/signup/verify", web::get().to(public::signup::code_form))
        .route("/signup/verify", web::post().to(public::signup::verify))
        .route("/signup/status/{token}", web::get().to(public::signup::status))
        .route("/signup/status/{token}/withdraw", web::post().to(public::signup::withdraw))
        .route("/approve/{token}", web::get().to(public::approve::show))
        .route("/approve/{token}", web::post().to(public::approve::decide))
        // The second factor (F8): right after the first one, and from the profile.
        .route("/mfa", web::get().to(mfa::prompt))
        .route("/mfa", web::post().to(mfa::verify))
        .route("/mfa/setup", web::get().to(mfa::setup_form))
        .route("/mfa/setup", web::post().to(mfa::confirm_setup))
        .route("/mfa/passkey", web::post().to(mfa::use_passkey))
        .route("/mfa/passkey/register", web::post().to(mfa::register_passkey))
        .route("/profile/mfa/recovery-codes", web::post().to(mfa::new_recovery_codes))
        .route("/profile/mfa/{id}/remove", web::post().to(mfa::remove_method))
        // The OpenID Provider of the host's apps (F9).
        .route("/.well-known/openid-configuration", web::get().to(oauth2::discovery_document))
        .route("/oauth2/jwks", web::get().to(oauth2::jwks))
        .route("/oauth2/authorize", web::get().to(oauth2::authorize::authorize))
        .route("/oauth2/authorize", web::post().to(oauth2::authorize::authorize))
        .route("/oauth2/authorize/consent", web::post().to(oauth2::authorize::consent))
        .route("/oauth2/token", web::post().to(oauth2::token::token))
        .route("/oauth2/revoke", web::post().to(oauth2::token::revoke))
        .route("/oauth2/userinfo", web::get().to(oauth2::token::userinfo))
        .route("/oauth2/userinfo", web::post().to(oauth2::token::userinfo))
        .route("/oauth2/end_session", web::get().to(oauth2::logout::end_session))
        .route("/oauth2/end_session", web::post().to(oauth2::logout::end_session))
        .route("/oauth2/end_session/confirm", web::post().to(oauth2::logout::confirm))
        // The Access Panel (F6).
        .route("/apps", web::get().to(panel::apps_page))
        .route("/apps/{id}/launch", web::get().to(panel::launch))
        .route("/apps/request", web::get().to(panel::request::form))
        .route("/apps/request", web::post().to(panel::request::submit))
        .route("/invite", web::get().to(panel::invite::form))
        .route("/invite", web::post().to(panel::invite::submit))
        .route("/approvals", web::get().to(panel::approvals::list))
        .route("/approvals/{id}", web::post().to(panel::approvals::decide))
        .route("/guests", web::get().to(panel::guests::list))
        .route("/guests/{id}", web::get().to(panel::guests::show))
        .route("/guests/{id}/sponsors/{sponsor}/remove", web::post().to(panel::guests::remove_sponsor))
        .route("/guests/{id}/{action}", web::post().to(panel::guests::act))
        .route("/profile", web::get().to(panel::profile))
        .route("/profile", web::post().to(panel::rename))
        .route("/profile/sessions/{id}/end", web::post().to(panel::end_session))
        .route("/profile/sign-out-everywhere", web::post().to(panel::sign_out_everywhere))
        // The admin portal (F7): every handler takes AdminUser.
        .route("/admin", web::get().to(admin::dashboard))
        .route("/admin/users", web::get().to(admin::users::list))
        .route("/admin/users/{id}", web::get().to(admin::users::show))
        .route("/admin/users/{id}/resend", web::post().to(admin::users::resend))
        .route("/admin/users/{id}/revoke", web::post().to(admin::users::revoke))
        .route("/admin/users/{id}/block", web::post().to(admin::users::account_action))
        .route("/admin/users/{id}/reset-redemption", web::post().to(admin::users::reset_redemption))
        .route("/admin/users/{id}/unblock", web::post().to(admin::users::account_action))
        .route("/admin/users/{id}/make-admin", web::post().to(admin::users::account_action))
        .route("/admin/users/{id}/remove-admin", web::post().to(admin::users::account_action))
        .route("/admin/users/{id}/make-inviter", web::post().to(admin::users::account_action))
        .route("/admin/users/{id}/remove-inviter", web::post().to(admin::users::account_action))
        .route("/admin/users/{id}/mfa/{action}", web::post().to(admin::users::mfa_action))
        .route("/admin/users/{id}/apps", web::post().to(admin::users::assign_app))
        .route("/admin/users/{id}/apps/{app_id}/remove", web::post().to(admin::users::unassign_app))
        .route("/admin/members/new", web::get().to(admin::members::form))
        .route("/admin/members", web::post().to(admin::members::create))
        .route("/admin/invitations/new", web::get().to(admin::invitations::form))
        .route("/admin/invitations/bulk", web::get().to(admin::bulk::form))
        .route("/admin/invitations/bulk", web::post().to(admin::bulk::check))
        .route("/admin/invitations/bulk/template.csv", web::get().to(admin::bulk::template))
        .route("/admin/invitations/bulk/{id}", web::get().to(admin::bulk::show))
        .route("/admin/invitations/bulk/{id}/start", web::post().to(admin::bulk::start))
        .route("/admin/invitations/bulk/{id}/result.csv", web::get().to(admin::bulk::result))
        .route("/admin/invitations", web::post().to(admin::invitations::create))
        .route("/admin/apps", web::get().to(admin::apps::list))
        .route("/admin/apps", web::post().to(admin::apps::create))
        .route("/admin/apps/new", web::get().to(admin::apps::new_form))
        .route("/admin/apps/{id}", web::get().to(admin::apps::edit_form))
        .route("/admin/apps/{id}", web::post().to(admin::apps::update))
        .route("/admin/apps/{id}/delete", web::post().to(admin::apps::delete))
        .route("/admin/apps/{id}/secret", web::post().to(admin::apps::regenerate_secret))
        .route("/admin/signing-keys/rotate", web::post().to(admin::apps::rotate_keys))
        .route("/admin/audit", web::get().to(admin::audit::list))
        .route("/admin/audit.csv", web::get().to(admin::audit::export))
        .route("/admin/outbox", web::get().to(admin::outbox::list))
        .route("/admin/outbox/{id}/retry", web::post().to(admin::outbox::retry))
        .route("/admin/groups", web::get().to(admin::groups::list))
        .route("/admin/groups", web::post().to(admin::groups::create))
        .route("/admin/groups/new", web::get().to(admin::groups::new_form))
        .route("/admin/groups/{id}", web::get().to(admin::groups::edit_form))
        .route("/admin/groups/{id}", web::post().to(admin::groups::update))
        .route("/admin/groups/{id}/delete", web::post().to(admin::groups::delete))
        .route("/admin/groups/{id}/members", web::post().to(admin::groups::add_member))
        .route("/admin/groups/{id}/members/{user}/remove", web::post().to(admin::groups::remove_member))
        .route("/admin/packages", web::get().to(admin::packages::list))
        .route("/admin/packages", web::post().to(admin::packages::create))
        .route("/admin/packages/new", web::get().to(admin::packages::new_form))
        .route("/admin/packages/{id}", web::get().to(admin::packages::edit_form))
        .route("/admin/packages/{id}", web::post().to(admin::packages::update))
        .route("/admin/packages/{id}/delete", web::post().to(admin::packages::delete))
        .route("/admin/requests", web::get().to(admin::requests::list))
        .route("/admin/requests/{id}", web::get().to(admin::requests::show))
        .route("/admin/requests/{id}/decide", web::post().to(admin::requests::decide))
        .route("/admin/settings", web::get().to(admin::settings::show))
        .route("/admin/settings", web::post().to(admin::settings::save))
        .route("/admin/identity-providers", web::get().to(admin::idps::list))
        .route("/admin/identity-providers", web::post().to(admin::idps::create))
        .route("/admin/identity-providers/new", web::get().to(admin::idps::new_form))
        .route("/admin/identity-providers/{id}", web::get().to(admin::idps::edit_form))
        .route("/admin/identity-providers/{id}", web::post().to(admin::idps::update))
        .route("/admin/identity-providers/{id}/delete", web::post().to(admin::idps::delete))
        .route("/admin/api-keys", web::get().to(admin::api_keys::list))
        .route("/admin/api-keys", web::post().to(admin::api_keys::create))
        .route("/admin/api-keys/new", web::get().to(admin::api_keys::new_form))
        .route("/admin/api-keys/{id}/revoke", web::post().to(admin::api_keys::revoke))
        // The API (F10): JSON, API keys, problem+json errors.
        .route("/api/v1/openapi.json", web::get().to(api::openapi::json))
        .route("/api/v1/docs", web::get().to(api::openapi::reference))
        .route("/api/v1/audit", web::get().to(api::audit::list))
        .route("/api/v1/invitations", web::post().to(api::invitations::create))
        .route("/api/v1/invitations", web::get().to(api::invitations::list))
        .route("/api/v1/invitations/bulk", web::post().to(api::bulk::create))
        .body_limit("/api/v1/invitations/bulk", api::bulk::MAX_BODY)
        .route("/api/v1/invitations/bulk/{id}", web::get().to(api::bulk::show))
        .route("/api/v1/invitations/{id}", web::get().to(api::invitations::show))
        .route("/api/v1/invitations/{id}/resend", web::post().to(api::invitations::resend))
        .route("/api/v1/invitations/{id}/revoke", web::post().to(api::invitations::revoke))
        .route("/api/v1/apps", web::get().to(api::apps::list))
        .route("/api/v1/groups", web::get().to(api::groups::list))
        .route("/api/v1/groups/{id}/members", web::get().to(api::groups::list_members))
        .route("/api/v1/groups/{id}/members", web::post().to(api::groups::add_member))
        .route("/api/v1/groups/{id}/members/{userId}", web::delete().to(api::groups::remove_member))
        .route("/api/v1/requests", web::get().to(api::requests::list))
        .route("/api/v1/requests/{id}", web::get().to(api::requests::show))
        .route("/api/v1/requests/{id}/decision", web::post().to(api::requests::decide))
        .route("/api/v1/users", web::get().to(api::users::list))
        .route("/api/v1/users/{id}", web::get().to(api::users::show))
        .route("/api/v1/users/{id}", web::delete().to(api::users::remove))
        .route("/api/v1/users/{id}/block", web::post().to(api::users::block))
        .route("/api/v1/users/{id}/unblock", web::post().to(api::users::unblock))
        .route("/api/v1/users/{id}/extend", web::post().to(api::users::extend))
        .route("/api/v1/users/{id}/apps", web::post().to(api::apps::assign))
        .route("/api/v1/users/{id}/apps/{appId}", web::delete().to(api::apps::unassign));
    t.register(cfg);
    cfg.default_service(web::to(|req: actix_web::HttpRequest| async move {
        if req.path().starts_with("/api/") { Ok(api::no_route().await) } else { Err(AppError::NotFound) }
    }));
}

#[derive(Default)]
struct Routes {
    /// Paths in the order first added: actix tries resources in registration order.
    paths: Vec<(&'static str, Vec<Route>)>,
    /// Paths whose bodies may be larger than the app's default limit.
    body_limits: Vec<(&'static str, usize)>,
}

impl Routes {
    fn route(&mut self, path: &'static str, route: Route) -> &mut Self {
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
