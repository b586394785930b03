//! Admin: adding a colleague as a member by address (an invitation that makes a member).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::domain::{DisplayName, EmailAddress, FieldErrors};
use crate::error::AppResult;
use crate::flows::invite;
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{PageCtx, flash, render, render_invalid};
use crate::web::{actor, kept, see_other};

#[derive(Template)]
#[template(path = "admin/member_form.html")]
struct MemberPage {
    ctx: PageCtx,
    email: String,
    display_name: String,
    errors: FieldErrors,
}

pub async fn form(ctx: PageCtx, _a: AdminUser) -> AppResult<HttpResponse> {
    Ok(render(&MemberPage { ctx, email: String::new(), display_name: String::new(), errors: FieldErrors::default() }))
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<MemberForm>,
) -> AppResult<HttpResponse> {
    let form = &f.form;
    let mut errors = FieldErrors::default();
    let email = errors.take("email", EmailAddress::parse(&form.email));
    let name = errors.take("display_name", DisplayName::parse_optional(&form.display_name));
    if let (Some(email), Some(name)) = (email, name)
        && errors.is_empty()
    {
        match invite::add_member(&state, &admin, &email, name.as_ref(), &actor(&req, &admin)).await? {
            Ok(done) => {
                flash(&session, format!("{email} was added as a member and mailed a link to sign in."));
                return Ok(see_other(&format!("/admin/users/{}", done.user_id)));
            }
            Err(refused) => errors.add("email", refused.to_string()),
        }
    }
    Ok(render_invalid(&MemberPage {
        ctx,
        email: kept(&form.email, 300),
        display_name: kept(&form.display_name, 200),
        errors,
    }))
}
