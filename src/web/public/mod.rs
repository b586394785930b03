//! Pages for people who are not signed in: sign-in and invitation redemption.

pub mod approve;
pub mod federation;
pub mod redeem;
pub mod signin;
pub mod signup;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppResult;

pub fn routes(cfg: &mut crate::web::routes::Routes) {
    cfg.route("/", web::get().to(home))
        .route("/signin", web::get().to(signin::form))
        .route("/signin", web::post().to(signin::request_code))
        .route("/signin/code", web::get().to(signin::code_form))
        .route("/signin/code", web::post().to(signin::verify_code))
        .route("/signin/link/{token}", web::get().to(signin::link_page))
        .route("/signin/link/{token}", web::post().to(signin::use_link))
        .route("/signout", web::post().to(signin::sign_out))
        .route("/auth/{slug}/start", web::post().to(federation::start))
        .route("/auth/{slug}/callback", web::get().to(federation::callback))
        .route("/redeem/{token}", web::get().to(redeem::landing))
        .route("/redeem/{token}/code", web::post().to(redeem::send_code))
        .route("/redeem/{token}/code", web::get().to(redeem::code_form))
        .route("/redeem/{token}/verify", web::post().to(redeem::verify_code))
        .route("/redeem/{token}/consent", web::get().to(redeem::consent))
        .route("/redeem/{token}/accept", web::post().to(redeem::accept))
        .route("/signup", web::get().to(signup::form))
        .route("/signup", web::post().to(signup::submit))
        .route("/signup/verify", web::get().to(signup::code_form))
        .route("/signup/verify", web::post().to(signup::verify))
        .route("/signup/status/{token}", web::get().to(signup::status))
        .route("/signup/status/{token}/withdraw", web::post().to(signup::withdraw))
        .route("/approve/{token}", web::get().to(approve::show))
        .route("/approve/{token}", web::post().to(approve::decide));
}

async fn home(req: HttpRequest) -> AppResult<HttpResponse> {
    Ok(match crate::auth::session::current(&req).await? {
        Some(u) if u.is_admin => super::see_other("/admin"),
        Some(_) => super::see_other("/apps"),
        None => super::see_other("/signin"),
    })
}

/// Where a signed-in user lands when no page asked for them.
pub fn landing_for(user: &crate::db::users::User) -> &'static str {
    if user.is_admin { "/admin" } else { "/apps" }
}
