//! Pages for people who are not signed in: sign-in, invitation redemption, sign-up and
//! the approver's link.

pub mod approve;
pub mod code_step;
pub mod federation;
pub mod idp_choices;
pub mod outcomes;
pub mod passkey_signin;
pub mod redeem;
pub mod review;
pub mod saml;
pub mod signin;
pub mod signup;
pub mod unsubscribe;

use actix_web::{HttpRequest, HttpResponse};

use crate::error::AppResult;

pub async fn home(req: HttpRequest) -> AppResult<HttpResponse> {
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
