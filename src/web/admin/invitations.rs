//! Admin: inviting a guest (F1, single).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::apps::{self, App};
use crate::domain::FieldErrors;
use crate::error::AppResult;
use crate::flows::invite;
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{PageCtx, flash, render, render_invalid};
use crate::web::{actor, kept, see_other};

#[derive(Template)]
#[template(path = "admin/invite.html")]
struct InvitePage {
    ctx: PageCtx,
    apps: Vec<App>,
    chosen: Vec<Uuid>,
    email: String,
    display_name: String,
    redirect_url: String,
    message: String,
    send_email: bool,
    errors: FieldErrors,
}

impl InvitePage {
    fn is_chosen(&self, id: &Uuid) -> bool {
        self.chosen.contains(id)
    }
}

pub async fn form(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    let mut c = state.db.acquire().await?;
    let apps = apps::all(c.conn()).await?;
    Ok(render(&InvitePage {
        ctx,
        apps,
        chosen: Vec::new(),
        email: String::new(),
        display_name: String::new(),
        redirect_url: String::new(),
        message: String::new(),
        send_email: true,
        errors: FieldErrors::default(),
    }))
}

#[derive(Deserialize)]
pub struct InviteForm {
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    redirect_url: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    send_email: Option<String>,
    /// The apps ticked.
    #[serde(default)]
    app: Vec<Uuid>,
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<InviteForm>,
) -> AppResult<HttpResponse> {
    let all_apps = {
        let mut c = state.db.acquire().await?;
        apps::all(c.conn()).await?
    };
    let app_ids = crate::web::chosen(&f.form.app);
    let form = &f.form;
    let send_email = form.send_email.is_some();
    let fields = invite::InviteFields {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        redirect_url: form.redirect_url.clone(),
        message: form.message.clone(),
        app_ids: app_ids.clone(),
        send_email,
        ..invite::InviteFields::default()
    };
    let (input, mut errors) = match invite::read(&state, &fields).await? {
        Ok(input) => (Some(input), FieldErrors::default()),
        Err(errors) => (None, errors),
    };
    if let Some(input) = input {
        match invite::invite(&state, &admin, &input, &actor(&req, &admin)).await? {
            Ok(done) => {
                let msg = match (done.sent, done.resent) {
                    (true, false) => format!("Invitation sent to {}.", input.email),
                    (true, true) => format!("{} had a pending invitation: a new link was sent.", input.email),
                    (false, _) => {
                        format!("Invitation created. No mail was sent: give {} this link: {}", input.email, done.link)
                    }
                };
                flash(&session, msg);
                return Ok(see_other(&format!("/admin/users/{}", done.user_id)));
            }
            Err(refused) => errors.add("email", refused.to_string()),
        }
    }
    Ok(render_invalid(&InvitePage {
        ctx,
        apps: all_apps,
        chosen: app_ids,
        email: kept(&form.email, 300),
        display_name: kept(&form.display_name, 200),
        redirect_url: kept(&form.redirect_url, 2100),
        message: kept(&form.message, 4000),
        send_email,
        errors,
    }))
}
