//! Admin: apps — list, create, edit, delete.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::apps::{self, App};
use crate::db::signing_keys::{self, StoredKey};
use crate::domain::FieldErrors;
use crate::domain::client::{ClientType, SigningAlg};
use crate::error::{AppError, AppResult};
use crate::flows::apps::{self as app_flows, AppInput, ClientForm, Saved};
use crate::flows::client_secrets;
use crate::flows::images as image_flows;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, flash_refused, flash_said, render, render_invalid, render_with_status};
use crate::web::{actor, images, kept, see_other};

#[derive(Template)]
#[template(path = "admin/apps.html")]
struct ListPage {
    ctx: PageCtx,
    apps: Vec<App>,
    keys: Vec<StoredKey>,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    let mut c = state.db.acquire().await?;
    let apps = apps::all(c.conn()).await?;
    let keys = signing_keys::all(c.conn()).await?;
    Ok(render(&ListPage { ctx, apps, keys }))
}

/// The page that shows a new client secret, once. Not cached, not kept anywhere.
#[derive(Template)]
#[template(path = "admin/app_secret.html")]
struct SecretPage {
    ctx: PageCtx,
    app: App,
    secret: String,
}

fn secret_page(ctx: PageCtx, app: App, secret: String) -> HttpResponse {
    let mut r = render(&SecretPage { ctx, app, secret });
    r.headers_mut()
        .insert(actix_web::http::header::CACHE_CONTROL, actix_web::http::header::HeaderValue::from_static("no-store"));
    r
}

/// After saving: the secret page when there is a new secret, else back to the list.
fn saved(ctx: PageCtx, session: &Session, s: Saved, verb: &str) -> HttpResponse {
    match s.new_secret {
        Some(secret) => secret_page(ctx, s.app, secret),
        None => {
            flash(session, format!("{} was {verb}.", s.app.name));
            see_other("/admin/apps")
        }
    }
}

#[derive(serde::Deserialize)]
pub struct SecretForm {
    /// 6, 12 or 24; absent: a year.
    #[serde(default)]
    valid_months: String,
    /// Days the old secret keeps working: 0, 7 or 30; absent: it stops at once.
    #[serde(default)]
    keep_previous: String,
}

pub async fn regenerate_secret(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<SecretForm>,
) -> AppResult<HttpResponse> {
    let or = |s: &str, default: &'static str| if s.is_empty() { default.to_string() } else { s.to_string() };
    let months = or(&f.form.valid_months, "12");
    let terms = client_secrets::SecretTerms::parse(&months, &or(&f.form.keep_previous, "0"))
        .ok_or_else(|| AppError::BadRequest("Choose how long the secrets work from the lists.".into()))?;
    let (app, secret) =
        client_secrets::regenerate_secret(&state, id.into_inner(), &terms, &actor(&req, &admin)).await?;
    Ok(secret_page(ctx, app, secret))
}

/// `POST /admin/apps/{id}/secret/previous/remove`: the previous secret stops now.
pub async fn drop_previous_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    if client_secrets::drop_previous_secret(&state, id, &actor(&req, &admin)).await? {
        flash(&session, "The previous client secret no longer works.");
    } else {
        flash_refused(&session, "Nothing changed: there was no previous secret.");
    }
    Ok(see_other(&format!("/admin/apps/{id}")))
}

pub async fn rotate_keys(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let n = app_flows::rotate_signing_keys(&state, &actor(&req, &admin)).await?;
    flash(&session, format!("Signing keys rotated ({n} algorithms): the published next keys now sign."));
    Ok(see_other("/admin/apps"))
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
    mfa_required: bool,
    client: ClientValues,
    /// The saved app, when editing: its connection details.
    app: Option<App>,
    issuer: String,
    /// For the secret's end: works, ends soon, ended.
    now: DateTime<Utc>,
    errors: FieldErrors,
    /// Why an uploaded icon was refused (its own form, below the app's).
    icon_errors: FieldErrors,
    /// Who may open the saved app ("Users and groups"); not while a form is sent back.
    access: Option<crate::flows::app_access::AppAccess>,
}

/// The client secret's end as the app page says it.
enum SecretState {
    NoEnd,
    Works(DateTime<Utc>),
    /// Within 30 days.
    EndsSoon(DateTime<Utc>),
    Ended(DateTime<Utc>),
}

/// The OpenID Connect part of the form, as shown.
#[derive(Default)]
struct ClientValues {
    enabled: bool,
    client_id: String,
    client_type: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    backchannel_logout_uri: String,
    initiate_login_uri: String,
    id_token_alg: String,
    consent_required: bool,
    pairwise_subject: bool,
}

impl ClientValues {
    fn of(app: &App) -> ClientValues {
        ClientValues {
            enabled: app.client_id.is_some(),
            client_id: app.client_id.clone().unwrap_or_default(),
            client_type: app.client_type.as_str().into(),
            redirect_uris: app.redirect_uris.clone(),
            post_logout_redirect_uris: app.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: app.backchannel_logout_uri.clone().unwrap_or_default(),
            initiate_login_uri: app.initiate_login_uri.clone().unwrap_or_default(),
            id_token_alg: app.id_token_alg.as_str().into(),
            consent_required: app.consent_required,
            pairwise_subject: app.pairwise_subject,
        }
    }

    fn new_app() -> ClientValues {
        ClientValues {
            client_type: ClientType::Confidential.as_str().into(),
            id_token_alg: SigningAlg::Rs256.as_str().into(),
            ..ClientValues::default()
        }
    }
}

impl FormPage {
    fn client_types(&self) -> &'static [ClientType] {
        ClientType::ALL
    }

    fn algorithms(&self) -> &'static [SigningAlg] {
        SigningAlg::ALL
    }

    fn managed(&self) -> bool {
        self.app.as_ref().is_some_and(|a| a.managed_by_config)
    }

    fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }

    fn secret_state(&self) -> SecretState {
        let Some(end) = self.app.as_ref().and_then(|a| a.client_secret_expires_at) else { return SecretState::NoEnd };
        if end <= self.now {
            SecretState::Ended(end)
        } else if end - self.now <= Duration::days(30) {
            SecretState::EndsSoon(end)
        } else {
            SecretState::Works(end)
        }
    }

    /// Until when the previous secret still works, during a rotation.
    fn previous_until(&self) -> Option<DateTime<Utc>> {
        let a = self.app.as_ref()?;
        a.previous_secret_hash.as_ref()?;
        a.previous_secret_expires_at.filter(|e| *e > self.now)
    }
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
    #[serde(default)]
    mfa_required: Option<String>,
    #[serde(default)]
    oidc: Option<String>,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_type: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    backchannel_logout_uri: String,
    #[serde(default)]
    initiate_login_uri: String,
    #[serde(default)]
    id_token_alg: String,
    #[serde(default)]
    consent_required: Option<String>,
    #[serde(default)]
    pairwise_subject: Option<String>,
}

impl FormPage {
    fn from_form(ctx: PageCtx, state: &AppState, app: Option<App>, f: &AppForm, errors: FieldErrors) -> FormPage {
        FormPage {
            ctx,
            id: app.as_ref().map(|a| a.id.to_string()),
            name: kept(&f.name, 200),
            description: kept(&f.description, 1000),
            launch_url: kept(&f.launch_url, 2100),
            icon_url: kept(&f.icon_url, 2100),
            visible: f.visible_in_panel.is_some(),
            mfa_required: f.mfa_required.is_some(),
            client: ClientValues {
                enabled: f.oidc.is_some(),
                client_id: kept(&f.client_id, 100),
                client_type: kept(&f.client_type, 20),
                redirect_uris: kept(&f.redirect_uris, 22000),
                post_logout_redirect_uris: kept(&f.post_logout_redirect_uris, 22000),
                backchannel_logout_uri: kept(&f.backchannel_logout_uri, 2100),
                initiate_login_uri: kept(&f.initiate_login_uri, 2100),
                id_token_alg: kept(&f.id_token_alg, 10),
                consent_required: f.consent_required.is_some(),
                pairwise_subject: f.pairwise_subject.is_some(),
            },
            app,
            issuer: crate::provider::issuer(state),
            now: state.clock.now(),
            errors,
            icon_errors: FieldErrors::default(),
            access: None,
        }
    }
}

pub async fn new_form(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> HttpResponse {
    render(&FormPage {
        ctx,
        id: None,
        name: String::new(),
        description: String::new(),
        launch_url: String::new(),
        icon_url: String::new(),
        visible: true,
        mfa_required: false,
        client: ClientValues::new_app(),
        app: None,
        issuer: crate::provider::issuer(&state),
        now: state.clock.now(),
        errors: FieldErrors::default(),
        icon_errors: FieldErrors::default(),
        access: None,
    })
}

fn parse(f: &AppForm) -> Result<AppInput, FieldErrors> {
    let client = ClientForm {
        client_id: &f.client_id,
        client_type: &f.client_type,
        redirect_uris: &f.redirect_uris,
        post_logout_redirect_uris: &f.post_logout_redirect_uris,
        backchannel_logout_uri: &f.backchannel_logout_uri,
        initiate_login_uri: &f.initiate_login_uri,
        id_token_alg: &f.id_token_alg,
        consent_required: f.consent_required.is_some(),
        pairwise_subject: f.pairwise_subject.is_some(),
    };
    let client = f.oidc.is_some().then_some(&client);
    AppInput::parse(
        &f.name,
        &f.description,
        &f.launch_url,
        &f.icon_url,
        f.visible_in_panel.is_some(),
        f.mfa_required.is_some(),
        client,
    )
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<AppForm>,
) -> AppResult<HttpResponse> {
    let errors = match parse(&f.form) {
        Ok(input) => match app_flows::create(&state, &input, &actor(&req, &admin)).await? {
            Ok(s) => return Ok(saved(ctx, &session, s, "added")),
            Err(errors) => errors,
        },
        Err(errors) => errors,
    };
    Ok(render_invalid(&FormPage::from_form(ctx, &state, None, &f.form, errors)))
}

pub async fn edit_form(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    edit_page(ctx, &state, id.into_inner(), FieldErrors::default()).await.map(|page| render(&page))
}

/// The saved app's form, with `icon_errors` next to the icon upload.
async fn edit_page(ctx: PageCtx, state: &AppState, id: Uuid, icon_errors: FieldErrors) -> AppResult<FormPage> {
    let mut c = state.db.acquire().await?;
    let app = apps::find(c.conn(), id).await?.ok_or(AppError::NotFound)?;
    Ok(FormPage {
        ctx,
        id: Some(app.id.to_string()),
        name: app.name.clone(),
        description: app.description.clone(),
        launch_url: app.launch_url.clone(),
        icon_url: app.icon_url.clone().unwrap_or_default(),
        visible: app.visible_in_panel,
        mfa_required: app.mfa_required,
        client: if app.client_id.is_some() { ClientValues::of(&app) } else { ClientValues::new_app() },
        app: Some(app),
        issuer: crate::provider::issuer(state),
        now: state.clock.now(),
        errors: FieldErrors::default(),
        icon_errors,
        access: Some(crate::flows::app_access::of_app(state, id).await?),
    })
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
    let errors = match parse(&f.form) {
        Ok(input) => match app_flows::update(&state, id, &input, &actor(&req, &admin)).await? {
            Ok(s) => return Ok(saved(ctx, &session, s, "saved")),
            Err(errors) => errors,
        },
        Err(errors) => errors,
    };
    let app = {
        let mut c = state.db.acquire().await?;
        apps::find(c.conn(), id).await?.ok_or(AppError::NotFound)?
    };
    Ok(render_invalid(&FormPage::from_form(ctx, &state, Some(app), &f.form, errors)))
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

/// `POST /admin/apps/{id}/icon`: an icon uploaded from a form of its own (the app's form stays
/// urlencoded), then the app's form again; a refused file is said next to the field.
pub async fn upload_icon(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let image = match images::read(&req, payload).await? {
        Ok(image) => image,
        Err(refused) => {
            let mut errors = FieldErrors::default();
            errors.add("icon_file", refused.message);
            let page = edit_page(ctx, &state, id, errors).await?;
            return Ok(render_with_status(refused.status, &page));
        }
    };
    let app = image_flows::set_app_icon(&state, id, &image, &actor(&req, &admin)).await?;
    flash(&session, format!("The icon of {} was uploaded.", app.name));
    Ok(see_other(&format!("/admin/apps/{id}")))
}

/// `POST /admin/apps/{id}/icon/remove`: the tile shows the icon URL or the initial again.
pub async fn remove_icon(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let said = match image_flows::remove_app_icon(&state, id, &actor(&req, &admin)).await? {
        true => Ok("The uploaded icon was removed.".to_string()),
        false => Err("Nothing was removed: the app has no uploaded icon.".to_string()),
    };
    flash_said(&session, said);
    Ok(see_other(&format!("/admin/apps/{id}")))
}
