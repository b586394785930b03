//! Admin: inviting a guest (F1, single).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::apps::{self, App};
use crate::db::groups::{self, Group};
use crate::db::packages::{self, Package};
use crate::domain::{EmailAddress, FieldErrors};
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
    groups: Vec<Group>,
    packages: Vec<Package>,
    chosen: Vec<Uuid>,
    chosen_groups: Vec<Uuid>,
    /// The package chosen (its id), or empty.
    package: String,
    email: String,
    display_name: String,
    redirect_url: String,
    message: String,
    /// The language chosen for the mail and the guest (a tag), or empty.
    language: String,
    /// Further sponsors' addresses as typed; the inviting admin sponsors the guest anyway.
    sponsors: String,
    send_email: bool,
    errors: FieldErrors,
}

impl InvitePage {
    fn is_chosen(&self, id: &Uuid) -> bool {
        self.chosen.contains(id)
    }

    fn is_chosen_group(&self, id: &Uuid) -> bool {
        self.chosen_groups.contains(id)
    }

    /// The page with what can be chosen, and nothing chosen or typed yet.
    async fn blank(ctx: PageCtx, state: &AppState) -> AppResult<InvitePage> {
        let mut c = state.db.acquire().await?;
        Ok(InvitePage {
            ctx,
            apps: apps::all(c.conn()).await?,
            groups: groups::all(c.conn()).await?,
            packages: packages::published(c.conn()).await?,
            chosen: Vec::new(),
            chosen_groups: Vec::new(),
            package: String::new(),
            email: String::new(),
            display_name: String::new(),
            redirect_url: String::new(),
            message: String::new(),
            language: String::new(),
            sponsors: String::new(),
            send_email: true,
            errors: FieldErrors::default(),
        })
    }
}

pub async fn form(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    Ok(render(&InvitePage::blank(ctx, &state).await?))
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
    language: String,
    #[serde(default)]
    send_email: Option<String>,
    /// The apps ticked.
    #[serde(default)]
    app: Vec<Uuid>,
    /// The groups ticked.
    #[serde(default)]
    group: Vec<Uuid>,
    #[serde(default)]
    package: String,
    /// Further sponsors' addresses, separated by commas or spaces.
    #[serde(default)]
    sponsors: String,
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<InviteForm>,
) -> AppResult<HttpResponse> {
    let form = &f.form;
    let app_ids = crate::web::chosen(&form.app);
    let group_ids = crate::web::chosen(&form.group);
    let send_email = form.send_email.is_some();
    let mut early = FieldErrors::default();
    let package_id = crate::web::chosen_package(&form.package).unwrap_or_else(|e| {
        early.add("package", e);
        None
    });
    let sponsor_ids = match sponsor_addresses(&form.sponsors) {
        Err(e) => {
            early.add("sponsors", e);
            Vec::new()
        }
        Ok(emails) => match invite::sponsors_named(&state, &emails).await? {
            Ok(ids) => ids,
            Err(e) => {
                early.add("sponsors", e);
                Vec::new()
            }
        },
    };
    let fields = invite::InviteFields {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        redirect_url: form.redirect_url.clone(),
        message: form.message.clone(),
        cc: String::new(),
        language: form.language.clone(),
        app_ids: app_ids.clone(),
        group_ids: group_ids.clone(),
        sponsor_ids,
        package_id,
        send_email,
    };
    let (input, mut errors) = match invite::read(&state, &fields).await? {
        Ok(input) => (Some(input), FieldErrors::default()),
        Err(errors) => (None, errors),
    };
    for (field, e) in early.iter() {
        errors.add(field, e.to_string());
    }
    if let Some(input) = input.filter(|_| errors.is_empty()) {
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
            Err(refused) => errors.add(refused.field(), refused.to_string()),
        }
    }
    Ok(render_invalid(&InvitePage {
        chosen: app_ids,
        chosen_groups: group_ids,
        package: kept(&form.package, 40),
        email: kept(&form.email, 300),
        display_name: kept(&form.display_name, 200),
        redirect_url: kept(&form.redirect_url, 2100),
        message: kept(&form.message, 4000),
        language: kept(&form.language, 20),
        sponsors: kept(&form.sponsors, 2000),
        send_email,
        errors,
        ..InvitePage::blank(ctx, &state).await?
    }))
}

/// The addresses typed as further sponsors (commas, semicolons or spaces between them).
fn sponsor_addresses(typed: &str) -> Result<Vec<EmailAddress>, String> {
    typed
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .take(20)
        .map(|s| EmailAddress::parse(s).map_err(|e| e.to_string()))
        .collect()
}
