//! Admin: identity providers — list, create, edit (enable/disable), delete.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::identity_providers::{self, IdentityProvider};
use crate::domain::FieldErrors;
use crate::domain::idp::KINDS;
use crate::error::{AppError, AppResult};
use crate::federation::redirect_uri;
use crate::flows::idps::{self, IdpInput, RawIdp};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, flash_refused, render, render_invalid};
use crate::web::{actor, kept, see_other};

#[derive(Template)]
#[template(path = "admin/idps.html")]
struct ListPage {
    ctx: PageCtx,
    idps: Vec<IdentityProvider>,
    public_url: String,
}

impl ListPage {
    fn redirect_uri(&self, slug: &str) -> String {
        redirect_uri(&self.public_url, slug)
    }

    fn saml_metadata(&self, slug: &str) -> String {
        crate::federation::saml::sp_entity_id(&self.public_url, slug)
    }

    fn kind_label(&self, kind: &str) -> &'static str {
        KINDS.iter().find(|(k, _)| *k == kind).map_or("unknown", |(_, label)| *label)
    }
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    let mut c = state.db.acquire().await?;
    let idps = identity_providers::all(c.conn()).await?;
    Ok(render(&ListPage { ctx, idps, public_url: state.settings.public_url.clone() }))
}

#[derive(Template)]
#[template(path = "admin/idp_form.html")]
struct FormPage {
    ctx: PageCtx,
    id: Option<String>,
    managed: bool,
    kinds: &'static [(&'static str, &'static str)],
    f: IdpForm,
    redirect_uri: String,
    errors: FieldErrors,
}

impl FormPage {
    /// Beside the secret's label when editing: a blank secret keeps the stored one.
    fn secret_note(&self) -> &'static str {
        if self.id.is_some() { "leave empty to keep the stored one" } else { "" }
    }
}

#[derive(Deserialize, Default)]
pub struct IdpForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    is_workforce: Option<String>,
    #[serde(default)]
    trust_mfa: Option<String>,
    #[serde(default)]
    trusted_acr: String,
}

impl IdpForm {
    fn raw(&self) -> RawIdp<'_> {
        RawIdp {
            slug: &self.slug,
            kind: &self.kind,
            display_name: &self.display_name,
            issuer: &self.issuer,
            client_id: &self.client_id,
            client_secret: &self.client_secret,
            scopes: &self.scopes,
            domains: &self.domains,
            enabled: self.enabled.is_some(),
            is_workforce: self.is_workforce.is_some(),
            trust_mfa: self.trust_mfa.is_some(),
            trusted_acr: &self.trusted_acr,
        }
    }

    /// What to show again: typed text cut to a sane length, never the secret.
    fn kept(self) -> IdpForm {
        IdpForm {
            slug: kept(&self.slug, 60),
            kind: kept(&self.kind, 20),
            display_name: kept(&self.display_name, 100),
            issuer: kept(&self.issuer, 2100),
            client_id: kept(&self.client_id, 600),
            client_secret: String::new(),
            scopes: kept(&self.scopes, 400),
            domains: kept(&self.domains, 3000),
            trusted_acr: kept(&self.trusted_acr, 600),
            ..self
        }
    }
}

fn page(
    ctx: PageCtx,
    state: &AppState,
    id: Option<String>,
    managed: bool,
    f: IdpForm,
    errors: FieldErrors,
) -> FormPage {
    let slug = if f.slug.is_empty() { "SHORT-NAME" } else { &f.slug };
    let redirect_uri = redirect_uri(&state.settings.public_url, slug);
    FormPage { ctx, id, managed, kinds: KINDS, f, redirect_uri, errors }
}

pub async fn new_form(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> HttpResponse {
    let f = IdpForm { kind: "oidc".into(), enabled: Some("yes".into()), ..IdpForm::default() };
    render(&page(ctx, &state, None, false, f, FieldErrors::default()))
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<IdpForm>,
) -> AppResult<HttpResponse> {
    let mut errors = match IdpInput::parse(&f.form.raw(), true, &state.settings) {
        Ok(input) => match idps::create(&state, &input, &actor(&req, &admin)).await? {
            Ok(row) => {
                flash(&session, format!("{} was added. Register its redirect URI at the provider.", row.display_name));
                return Ok(see_other("/admin/identity-providers"));
            }
            Err(refused) => {
                let mut e = FieldErrors::default();
                e.add(refused.field(), refused.to_string());
                e
            }
        },
        Err(errors) => errors,
    };
    errors.add("client_secret", "Enter the client secret again.");
    Ok(render_invalid(&page(ctx, &state, None, false, f.form.kept(), errors)))
}

pub async fn edit_form(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = state.db.acquire().await?;
    let row = identity_providers::find(c.conn(), id).await?.ok_or(AppError::NotFound)?;
    drop(c);
    if row.kind == "saml" {
        return super::saml_idps::edit_form(ctx, &state, row).await;
    }
    let f = IdpForm {
        slug: row.slug,
        kind: row.kind,
        display_name: row.display_name,
        issuer: row.issuer,
        client_id: row.client_id,
        client_secret: String::new(),
        scopes: row.scopes,
        domains: row.domains,
        enabled: row.enabled.then(|| "yes".into()),
        is_workforce: row.is_workforce.then(|| "yes".into()),
        trust_mfa: row.trust_mfa.then(|| "yes".into()),
        trusted_acr: row.trusted_acr.split_whitespace().collect::<Vec<_>>().join("\n"),
    };
    Ok(render(&page(ctx, &state, Some(id.to_string()), row.managed_by_config, f, FieldErrors::default())))
}

pub async fn update(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<IdpForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let errors = match IdpInput::parse(&f.form.raw(), false, &state.settings) {
        Ok(input) => match idps::update(&state, id, &input, &actor(&req, &admin)).await? {
            Ok(()) => {
                flash(&session, format!("{} was saved.", input.display_name));
                return Ok(see_other("/admin/identity-providers"));
            }
            Err(refused) => {
                let mut e = FieldErrors::default();
                e.add(refused.field(), refused.to_string());
                e
            }
        },
        Err(errors) => errors,
    };
    Ok(render_invalid(&page(ctx, &state, Some(id.to_string()), false, f.form.kept(), errors)))
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
    match idps::delete(&state, id, &actor(&req, &admin)).await? {
        Ok(()) => flash(&session, "The identity provider was deleted. Identities already linked stay on their users."),
        Err(refused) => flash_refused(&session, refused.to_string()),
    }
    Ok(see_other("/admin/identity-providers"))
}
