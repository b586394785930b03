//! Admin: apps — list, create, edit, delete.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::apps::{self, App};
use crate::domain::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::flows::apps::{self as app_flows, AppInput};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, render, render_invalid};
use crate::web::{actor, kept, see_other};

#[derive(Template)]
#[template(path = "admin/apps.html")]
struct ListPage {
    ctx: PageCtx,
    apps: Vec<App>,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    let mut c = state.db.acquire().await?;
    Ok(render(&ListPage { ctx, apps: apps::all(c.conn()).await? }))
}

#[derive(Template)]
#[template(path = "admin/app_form.html")]
struct FormPage {
    ctx: PageCtx,
    /// `None` while creating.
    id: Option<String>,
    name: String,
    description: String,
    launch_url: String,
    icon_url: String,
    visible: bool,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct AppForm {
    name: String,
    #[serde(default)]
    description: String,
    launch_url: String,
    #[serde(default)]
    icon_url: String,
    #[serde(default)]
    visible_in_panel: Option<String>,
}

impl FormPage {
    fn from_form(ctx: PageCtx, id: Option<String>, f: &AppForm, errors: FieldErrors) -> FormPage {
        FormPage {
            ctx,
            id,
            name: kept(&f.name, 200),
            description: kept(&f.description, 1000),
            launch_url: kept(&f.launch_url, 2100),
            icon_url: kept(&f.icon_url, 2100),
            visible: f.visible_in_panel.is_some(),
            errors,
        }
    }
}

pub async fn new_form(ctx: PageCtx, _a: AdminUser) -> HttpResponse {
    render(&FormPage {
        ctx,
        id: None,
        name: String::new(),
        description: String::new(),
        launch_url: String::new(),
        icon_url: String::new(),
        visible: true,
        errors: FieldErrors::default(),
    })
}

fn parse(f: &AppForm) -> Result<AppInput, FieldErrors> {
    AppInput::parse(&f.name, &f.description, &f.launch_url, &f.icon_url, f.visible_in_panel.is_some())
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<AppForm>,
) -> AppResult<HttpResponse> {
    match parse(&f.form) {
        Ok(input) => {
            let app = app_flows::create(&state, &input, &actor(&req, &admin)).await?;
            flash(&session, format!("{} was added.", app.name));
            Ok(see_other("/admin/apps"))
        }
        Err(errors) => Ok(render_invalid(&FormPage::from_form(ctx, None, &f.form, errors))),
    }
}

pub async fn edit_form(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = state.db.acquire().await?;
    let app = apps::find(c.conn(), id).await?.ok_or(AppError::NotFound)?;
    Ok(render(&FormPage {
        ctx,
        id: Some(app.id.to_string()),
        name: app.name,
        description: app.description,
        launch_url: app.launch_url,
        icon_url: app.icon_url.unwrap_or_default(),
        visible: app.visible_in_panel,
        errors: FieldErrors::default(),
    }))
}

pub async fn update(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<AppForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    match parse(&f.form) {
        Ok(input) => {
            app_flows::update(&state, id, &input, &actor(&req, &admin)).await?;
            flash(&session, format!("{} was saved.", input.name.as_str()));
            Ok(see_other("/admin/apps"))
        }
        Err(errors) => Ok(render_invalid(&FormPage::from_form(ctx, Some(id.to_string()), &f.form, errors))),
    }
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    app_flows::delete(&state, id, &actor(&req, &admin)).await?;
    flash(&session, "The app was deleted.");
    Ok(see_other("/admin/apps"))
}
