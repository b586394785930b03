//! Admin: API keys (F10) — list, make one (its secret shown once), revoke.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::api_keys::ApiKey;
use crate::domain::api_key::{DEFAULT_DAYS, MAX_DAYS, SCOPES, parse_days, parse_scopes};
use crate::domain::{BoundedText, FieldErrors};
use crate::error::AppResult;
use crate::flows::api_keys as flow;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, render, render_invalid};
use crate::web::{actor, kept, see_other};

#[derive(Template)]
#[template(path = "admin/api_keys.html")]
struct ListPage {
    ctx: PageCtx,
    keys: Vec<ApiKey>,
    now: chrono::DateTime<chrono::Utc>,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    Ok(render(&ListPage { ctx, keys: flow::all(&state).await?, now: state.clock.now() }))
}

#[derive(Template)]
#[template(path = "admin/api_key_form.html")]
struct FormPage {
    ctx: PageCtx,
    name: String,
    chosen: Vec<String>,
    days: String,
    errors: FieldErrors,
    scopes: &'static [(&'static str, &'static str)],
    max_days: i64,
}

impl FormPage {
    fn is_chosen(&self, scope: &str) -> bool {
        self.chosen.iter().any(|c| c == scope)
    }
}

pub async fn new_form(ctx: PageCtx, _a: AdminUser) -> HttpResponse {
    render(&FormPage {
        ctx,
        name: String::new(),
        chosen: vec!["invitations:write".into()],
        days: DEFAULT_DAYS.to_string(),
        errors: FieldErrors::default(),
        scopes: SCOPES,
        max_days: MAX_DAYS,
    })
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: Vec<String>,
    #[serde(default)]
    days: String,
}

#[derive(Template)]
#[template(path = "admin/api_key_made.html")]
struct MadePage {
    ctx: PageCtx,
    key: ApiKey,
    secret: String,
    base: String,
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    AdminUser(admin): AdminUser,
    f: CsrfForm<KeyForm>,
) -> AppResult<HttpResponse> {
    let form = &f.form;
    let mut errors = FieldErrors::default();
    let name = errors.take("name", BoundedText::required(&form.name, "A name", 80));
    let scopes = errors.take("scope", parse_scopes(&form.scope));
    let days = errors.take("days", parse_days(&form.days));
    if let (Some(name), Some(scopes), Some(days)) = (name, scopes, days) {
        let made = flow::create(&state, &admin, &name, &scopes, days, &actor(&req, &admin)).await?;
        let base = state.settings.public_url.clone();
        return Ok(render(&MadePage { ctx, key: made.key, secret: made.secret, base }));
    }
    Ok(render_invalid(&FormPage {
        ctx,
        name: kept(&form.name, 200),
        chosen: form.scope.iter().map(|s| kept(s, 40)).collect(),
        days: kept(&form.days, 10),
        errors,
        scopes: SCOPES,
        max_days: MAX_DAYS,
    }))
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    if flow::revoke(&state, *id, &actor(&req, &admin)).await? {
        flash(&session, "The key was revoked: calls with it are refused from now on.");
    }
    Ok(see_other("/admin/api-keys"))
}
