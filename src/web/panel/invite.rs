//! "Invite a guest" for people who are not admins, when Settings let them (F1 for
//! colleagues): the same invitation flow as the admin's, without apps — an admin gives those.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::packages::Package;
use crate::domain::FieldErrors;
use crate::error::AppResult;
use crate::flows::invite::{self, InviteFields};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{Notice, PageCtx, flash, render, render_invalid, render_with_status};
use crate::web::{actor, kept, see_other};

#[derive(Template)]
#[template(path = "panel/invite.html")]
struct InvitePage {
    ctx: PageCtx,
    email: String,
    display_name: String,
    message: String,
    /// The published access packages an inviter may offer, and the one chosen (its id).
    packages: Vec<Package>,
    package: String,
    errors: FieldErrors,
}

async fn published(state: &AppState) -> AppResult<Vec<Package>> {
    let mut c = state.db.acquire().await?;
    Ok(crate::db::packages::published(c.conn()).await?)
}

fn not_open(ctx: PageCtx) -> HttpResponse {
    render_with_status(
        StatusCode::FORBIDDEN,
        &Notice {
            ctx,
            title: "Inviting guests is not open to you".into(),
            message: "The organization's settings say who may invite guests. Ask an admin to invite them, \
                      or to let you."
                .into(),
            link: Some(("/apps".into(), "Go to your apps".into())),
        },
    )
}

pub async fn form(ctx: PageCtx, state: web::Data<AppState>, CurrentUser(user): CurrentUser) -> AppResult<HttpResponse> {
    let portal = crate::flows::settings::current(&state).await?;
    if !portal.may_invite(&user.user_type, user.is_admin, user.is_inviter) {
        return Ok(not_open(ctx));
    }
    Ok(render(&InvitePage {
        ctx,
        email: String::new(),
        display_name: String::new(),
        message: String::new(),
        packages: published(&state).await?,
        package: String::new(),
        errors: FieldErrors::default(),
    }))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    package: String,
}

pub async fn submit(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    f: CsrfForm<InviteForm>,
) -> AppResult<HttpResponse> {
    let form = &f.form;
    // The same read as the admin's form and the API: this form just has fewer fields.
    let mut early = FieldErrors::default();
    let package_id = crate::web::chosen_package(&form.package).unwrap_or_else(|e| {
        early.add("package", e);
        None
    });
    let fields = InviteFields {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        message: form.message.clone(),
        package_id,
        send_email: true,
        ..InviteFields::default()
    };
    let (input, mut errors) = match invite::read(&state, &fields).await? {
        Ok(input) => (Some(input), FieldErrors::default()),
        Err(errors) => (None, errors),
    };
    for (field, e) in early.iter() {
        errors.add(field, e.to_string());
    }
    if let Some(input) = input.filter(|_| errors.is_empty()) {
        match invite::invite(&state, &user, &input, &actor(&req, &user)).await? {
            Ok(done) => {
                let msg = if done.resent {
                    format!("{} had a pending invitation: a new link was sent.", input.email)
                } else {
                    format!("Invitation sent to {}.", input.email)
                };
                flash(&session, msg);
                return Ok(see_other("/guests"));
            }
            Err(invite::InviteRefused::NotAllowed) => return Ok(not_open(ctx)),
            Err(refused) => errors.add(refused.field(), refused.to_string()),
        }
    }
    Ok(render_invalid(&InvitePage {
        ctx,
        email: kept(&form.email, 300),
        display_name: kept(&form.display_name, 200),
        message: kept(&form.message, 4000),
        packages: published(&state).await?,
        package: kept(&form.package, 40),
        errors,
    }))
}
