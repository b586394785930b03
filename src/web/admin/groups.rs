//! Admin: groups — list, create, edit (name, description, apps), members, delete.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::apps::{self, App};
use crate::db::groups::{self, Group, Member};
use crate::db::links::{self, GROUP_APPS};
use crate::domain::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::flows::groups::{self as flow, GroupInput};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, render, render_invalid};
use crate::web::{actor, chosen, kept, see_other};

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct ListPage {
    ctx: PageCtx,
    groups: Vec<Group>,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    let mut c = state.db.acquire().await?;
    Ok(render(&ListPage { ctx, groups: groups::all(c.conn()).await? }))
}

#[derive(Template)]
#[template(path = "admin/group_form.html")]
struct FormPage {
    ctx: PageCtx,
    id: Option<Uuid>,
    name: String,
    description: String,
    apps: Vec<App>,
    chosen: Vec<Uuid>,
    members: Vec<Member>,
    member_error: Option<String>,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct GroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    /// The apps ticked.
    #[serde(default)]
    app: Vec<Uuid>,
}

async fn form_page(
    ctx: PageCtx,
    state: &AppState,
    id: Option<Uuid>,
    f: GroupForm,
    chosen: Vec<Uuid>,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let mut c = state.db.acquire().await?;
    let apps = apps::all(c.conn()).await?;
    let members = match id {
        Some(id) => groups::members(c.conn(), id).await?,
        None => Vec::new(),
    };
    Ok(FormPage {
        ctx,
        id,
        name: kept(&f.name, 200),
        description: kept(&f.description, 1000),
        apps,
        chosen,
        members,
        member_error: None,
        errors,
    })
}

pub async fn new_form(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    Ok(render(&form_page(ctx, &state, None, GroupForm::default(), Vec::new(), FieldErrors::default()).await?))
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<GroupForm>,
) -> AppResult<HttpResponse> {
    let chosen = chosen(&f.form.app);
    let errors = match GroupInput::parse(&f.form.name, &f.form.description, chosen.clone()) {
        Ok(input) => match flow::create(&state, &input, &actor(&req, &admin)).await? {
            Ok(group) => {
                flash(&session, format!("The group {} was created. Add its members below.", group.name));
                return Ok(see_other(&format!("/admin/groups/{}", group.id)));
            }
            Err(e) => e,
        },
        Err(e) => e,
    };
    Ok(render_invalid(&form_page(ctx, &state, None, f.form, chosen, errors).await?))
}

async fn find(state: &AppState, id: Uuid) -> AppResult<Group> {
    let mut c = state.db.acquire().await?;
    groups::find(c.conn(), id).await?.ok_or(AppError::NotFound)
}

pub async fn edit_form(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let group = find(&state, *id).await?;
    Ok(render(&saved_form_page(ctx, &state, group).await?))
}

/// The page of a group as stored (its apps read back).
async fn saved_form_page(ctx: PageCtx, state: &AppState, group: Group) -> AppResult<FormPage> {
    let chosen = {
        let mut c = state.db.acquire().await?;
        links::items(c.conn(), &GROUP_APPS, group.id).await?
    };
    let f = GroupForm { name: group.name, description: group.description, app: Vec::new() };
    form_page(ctx, state, Some(group.id), f, chosen, FieldErrors::default()).await
}

pub async fn update(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<GroupForm>,
) -> AppResult<HttpResponse> {
    let group = find(&state, *id).await?;
    let chosen = chosen(&f.form.app);
    let errors = match GroupInput::parse(&f.form.name, &f.form.description, chosen.clone()) {
        Ok(input) => match flow::update(&state, group.id, &input, &actor(&req, &admin)).await? {
            Ok(()) => {
                flash(&session, format!("The group {} was saved.", input.name));
                return Ok(see_other(&format!("/admin/groups/{}", group.id)));
            }
            Err(e) => e,
        },
        Err(e) => e,
    };
    Ok(render_invalid(&form_page(ctx, &state, Some(group.id), f.form, chosen, errors).await?))
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let group = find(&state, *id).await?;
    flow::delete(&state, &group, &actor(&req, &admin)).await?;
    flash(&session, format!("The group {} was deleted. Its members lost the apps it gave them.", group.name));
    Ok(see_other("/admin/groups"))
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    email: String,
}

pub async fn add_member(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<MemberForm>,
) -> AppResult<HttpResponse> {
    let group = find(&state, *id).await?;
    match flow::add_member(&state, &group, &f.form.email, &actor(&req, &admin)).await? {
        Ok(()) => {
            flash(&session, format!("{} was added to {}.", f.form.email.trim(), group.name));
            Ok(see_other(&format!("/admin/groups/{}", group.id)))
        }
        Err(message) => {
            let mut page = saved_form_page(ctx, &state, group).await?;
            page.member_error = Some(message);
            Ok(render_invalid(&page))
        }
    }
}

pub async fn remove_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    path: web::Path<(Uuid, Uuid)>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let group = find(&state, path.0).await?;
    let user_id = path.1;
    flow::remove_member(&state, &group, user_id, &actor(&req, &admin)).await?;
    flash(&session, "The member was removed.");
    Ok(see_other(&format!("/admin/groups/{}", group.id)))
}
