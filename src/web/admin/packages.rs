//! Admin: access packages — list, create, edit (apps, groups, approvers, mode), delete.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::Page;
use crate::db::apps::{self, App};
use crate::db::groups::{self, Group};
use crate::db::packages::{self, Package};
use crate::db::users::{self, User};
use crate::domain::FieldErrors;
use crate::domain::package::{MODES, RawPackage};
use crate::domain::user::{MEMBER, UserState};
use crate::error::{AppError, AppResult};
use crate::flows::packages::{self as flow, Contents};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, render, render_invalid};
use crate::web::{actor, chosen, kept, see_other};

/// How many members one search offers.
const FOUND_MEMBERS: i64 = 10;

#[derive(Template)]
#[template(path = "admin/packages.html")]
struct ListPage {
    ctx: PageCtx,
    packages: Vec<Package>,
    signup_url: String,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    let mut c = state.db.acquire().await?;
    Ok(render(&ListPage { ctx, packages: packages::all(c.conn()).await?, signup_url: state.links().signup() }))
}

#[derive(Deserialize, Default)]
pub struct PackageForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    approval_mode: String,
    #[serde(default)]
    duration_days: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    published: Option<String>,
    /// The apps, groups and approvers ticked.
    #[serde(default)]
    app: Vec<Uuid>,
    #[serde(default)]
    group: Vec<Uuid>,
    #[serde(default)]
    approver: Vec<Uuid>,
    /// A name or address to find members by, to tick as approvers.
    #[serde(default)]
    approver_q: String,
    /// Set when "Find members" was pressed: show the matches, save nothing.
    #[serde(default)]
    find: Option<String>,
}

impl PackageForm {
    fn kept(self) -> PackageForm {
        PackageForm {
            name: kept(&self.name, 200),
            description: kept(&self.description, 1200),
            approval_mode: kept(&self.approval_mode, 10),
            duration_days: kept(&self.duration_days, 10),
            domains: kept(&self.domains, 3000),
            approver_q: kept(&self.approver_q, 200),
            ..self
        }
    }
}

#[derive(Template)]
#[template(path = "admin/package_form.html")]
struct FormPage {
    ctx: PageCtx,
    id: Option<Uuid>,
    f: PackageForm,
    modes: &'static [(&'static str, &'static str)],
    apps: Vec<App>,
    groups: Vec<Group>,
    /// The approvers ticked, then the members the search found.
    members: Vec<User>,
    /// A search was made (its words are in `f.approver_q`).
    searched: bool,
    c: Contents,
    errors: FieldErrors,
}

async fn form_page(
    ctx: PageCtx,
    state: &AppState,
    id: Option<Uuid>,
    f: PackageForm,
    c: Contents,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let mut conn = state.db.acquire().await?;
    let mut members = Vec::new();
    for id in &c.approver_ids {
        members.extend(users::find(conn.conn(), *id).await?);
    }
    let query = f.approver_q.trim().to_string();
    let searched = f.find.is_some() && !query.is_empty();
    if searched {
        let email_query = crate::domain::email::ascii_for_search(&query);
        let filter =
            users::Filter { query: &query, email_query: &email_query, user_type: MEMBER, ..Default::default() };
        let (found, _) = users::search(conn.conn(), &filter, Page::new(1, FOUND_MEMBERS)).await?;
        let fresh: Vec<User> = found
            .into_iter()
            .filter(|u| u.state != UserState::Blocked && !members.iter().any(|m| m.id == u.id))
            .collect();
        members.extend(fresh);
    }
    Ok(FormPage {
        ctx,
        id,
        f: f.kept(),
        modes: MODES,
        apps: apps::all(conn.conn()).await?,
        groups: groups::all(conn.conn()).await?,
        members,
        searched,
        c,
        errors,
    })
}

fn contents_of(f: &PackageForm) -> Contents {
    Contents { app_ids: chosen(&f.app), group_ids: chosen(&f.group), approver_ids: chosen(&f.approver) }
}

fn raw<'a>(f: &'a PackageForm, c: &Contents) -> RawPackage<'a> {
    RawPackage {
        name: &f.name,
        description: &f.description,
        approval_mode: &f.approval_mode,
        duration_days: &f.duration_days,
        domains: &f.domains,
        published: f.published.is_some(),
        approvers: c.approver_ids.len(),
    }
}

pub async fn new_form(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    let f = PackageForm { approval_mode: "any".into(), published: None, ..PackageForm::default() };
    let c = Contents { app_ids: vec![], group_ids: vec![], approver_ids: vec![] };
    Ok(render(&form_page(ctx, &state, None, f, c, FieldErrors::default()).await?))
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<PackageForm>,
) -> AppResult<HttpResponse> {
    let c = contents_of(&f.form);
    if f.form.find.is_some() {
        return Ok(render(&form_page(ctx, &state, None, f.form, c, FieldErrors::default()).await?));
    }
    let errors = match raw(&f.form, &c).parse() {
        Ok(input) => match flow::create(&state, &input, &c, &actor(&req, &admin)).await? {
            Ok(p) => {
                flash(&session, format!("The access package {} was created.", p.name));
                return Ok(see_other("/admin/packages"));
            }
            Err(e) => e,
        },
        Err(e) => e,
    };
    Ok(render_invalid(&form_page(ctx, &state, None, f.form, c, errors).await?))
}

async fn find(state: &AppState, id: Uuid) -> AppResult<Package> {
    let mut c = state.db.acquire().await?;
    packages::find(c.conn(), id).await?.ok_or(AppError::NotFound)
}

pub async fn edit_form(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let p = find(&state, *id).await?;
    let c = flow::contents(&state, p.id).await?;
    let f = PackageForm {
        name: p.name,
        description: p.description,
        approval_mode: p.approval_mode,
        duration_days: p.duration_days.map(|d| d.to_string()).unwrap_or_default(),
        domains: p.domains.split_whitespace().collect::<Vec<_>>().join("\n"),
        published: p.published.then(|| "yes".into()),
        ..PackageForm::default()
    };
    Ok(render(&form_page(ctx, &state, Some(p.id), f, c, FieldErrors::default()).await?))
}

pub async fn update(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<PackageForm>,
) -> AppResult<HttpResponse> {
    let p = find(&state, *id).await?;
    let c = contents_of(&f.form);
    if f.form.find.is_some() {
        return Ok(render(&form_page(ctx, &state, Some(p.id), f.form, c, FieldErrors::default()).await?));
    }
    let errors = match raw(&f.form, &c).parse() {
        Ok(input) => match flow::update(&state, p.id, &input, &c, &actor(&req, &admin)).await? {
            Ok(()) => {
                flash(&session, format!("The access package {} was saved.", input.name));
                return Ok(see_other("/admin/packages"));
            }
            Err(e) => e,
        },
        Err(e) => e,
    };
    Ok(render_invalid(&form_page(ctx, &state, Some(p.id), f.form, c, errors).await?))
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let p = find(&state, *id).await?;
    flow::delete(&state, &p, &actor(&req, &admin)).await?;
    flash(&session, format!("The access package {} was deleted, with its open requests.", p.name));
    Ok(see_other("/admin/packages"))
}
