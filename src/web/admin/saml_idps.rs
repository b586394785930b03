//! Admin: a partner's SAML 2.0 identity provider — add from its metadata (URL or pasted),
//! edit, see what was read from it, and hand the partner our SP metadata.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::identity_providers::IdentityProvider;
use crate::db::saml_idps::SamlIdp;
use crate::domain::FieldErrors;
use crate::error::AppResult;
use crate::federation::saml::{acs_url, sp_entity_id};
use crate::flows::saml_idps::{self, RawSamlIdp, SamlIdpInput};
use crate::flows::saml_metadata::{self, CertificateView};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{PageCtx, flash, render, render_invalid};
use crate::web::{actor, kept, see_other};

#[derive(Template)]
#[template(path = "admin/saml_idp_form.html")]
struct FormPage {
    ctx: PageCtx,
    id: Option<String>,
    managed: bool,
    f: SamlIdpForm,
    /// Our side, for the partner's admin.
    sp_entity_id: String,
    acs_url: String,
    /// What the stored metadata said (editing only).
    read: Option<ReadView>,
    errors: FieldErrors,
}

struct ReadView {
    entity_id: String,
    sso_url: String,
    sso_binding: String,
    certificates: Vec<CertificateView>,
    read_at: DateTime<Utc>,
    refresh_at: Option<DateTime<Utc>>,
    problem: String,
}

impl ReadView {
    fn of(idp: &IdentityProvider, saml: &SamlIdp, now: DateTime<Utc>) -> ReadView {
        ReadView {
            entity_id: idp.issuer.clone(),
            sso_url: saml.sso_url.clone(),
            sso_binding: if saml.sso_binding == "post" { "HTTP-POST" } else { "HTTP-Redirect" }.into(),
            certificates: saml_metadata::certificates(saml, now),
            read_at: saml.metadata_read_at,
            refresh_at: saml.metadata_refresh_at,
            problem: saml.metadata_problem.clone(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SamlIdpForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    trust_mfa: Option<String>,
    #[serde(default)]
    trusted_acr: String,
    #[serde(default)]
    metadata_url: String,
    #[serde(default)]
    metadata_xml: String,
    #[serde(default)]
    email_trusted: Option<String>,
    #[serde(default)]
    allow_sha1: Option<String>,
    #[serde(default)]
    allow_idp_initiated: Option<String>,
    #[serde(default)]
    sign_requests: Option<String>,
    #[serde(default)]
    email_attributes: String,
    #[serde(default)]
    name_attributes: String,
    #[serde(default)]
    persistent_attribute: String,
}

impl SamlIdpForm {
    fn raw(&self) -> RawSamlIdp<'_> {
        RawSamlIdp {
            slug: &self.slug,
            display_name: &self.display_name,
            domains: &self.domains,
            enabled: self.enabled.is_some(),
            trust_mfa: self.trust_mfa.is_some(),
            trusted_acr: &self.trusted_acr,
            metadata_url: &self.metadata_url,
            metadata_xml: &self.metadata_xml,
            email_trusted: self.email_trusted.is_some(),
            allow_sha1: self.allow_sha1.is_some(),
            allow_idp_initiated: self.allow_idp_initiated.is_some(),
            sign_requests: self.sign_requests.is_some(),
            email_attributes: &self.email_attributes,
            name_attributes: &self.name_attributes,
            persistent_attribute: &self.persistent_attribute,
        }
    }

    /// What to show again: typed text cut to a sane length.
    fn kept(self) -> SamlIdpForm {
        SamlIdpForm {
            slug: kept(&self.slug, 60),
            display_name: kept(&self.display_name, 100),
            domains: kept(&self.domains, 3000),
            trusted_acr: kept(&self.trusted_acr, 1100),
            metadata_url: kept(&self.metadata_url, 2100),
            metadata_xml: kept(&self.metadata_xml, crate::federation::saml::metadata::MAX_METADATA_BYTES),
            email_attributes: kept(&self.email_attributes, 1100),
            name_attributes: kept(&self.name_attributes, 1100),
            persistent_attribute: kept(&self.persistent_attribute, 1100),
            ..self
        }
    }

    fn of(idp: &IdentityProvider, saml: &SamlIdp) -> SamlIdpForm {
        let yes = |b: bool| b.then(|| "yes".to_string());
        SamlIdpForm {
            slug: idp.slug.clone(),
            display_name: idp.display_name.clone(),
            domains: idp.domains.clone(),
            enabled: yes(idp.enabled),
            trust_mfa: yes(idp.trust_mfa),
            trusted_acr: idp.trusted_acr.split_whitespace().collect::<Vec<_>>().join("\n"),
            // A URL stays shown (saving reads it again); pasted metadata is not shown back.
            metadata_url: saml.metadata_url.clone(),
            metadata_xml: String::new(),
            email_trusted: yes(saml.email_trusted),
            allow_sha1: yes(saml.allow_sha1),
            allow_idp_initiated: yes(saml.allow_idp_initiated),
            sign_requests: yes(saml.sign_requests),
            email_attributes: saml.email_attributes.clone(),
            name_attributes: saml.name_attributes.clone(),
            persistent_attribute: saml.persistent_attribute.clone(),
        }
    }
}

fn page(
    ctx: PageCtx,
    state: &AppState,
    id: Option<Uuid>,
    managed: bool,
    f: SamlIdpForm,
    read: Option<ReadView>,
    errors: FieldErrors,
) -> FormPage {
    let public = &state.settings.public_url;
    let slug = if f.slug.is_empty() { "SHORT-NAME" } else { &f.slug };
    let (sp_entity_id, acs_url) = (sp_entity_id(public, slug), acs_url(public, slug));
    FormPage { ctx, id: id.map(|i| i.to_string()), managed, f, sp_entity_id, acs_url, read, errors }
}

pub async fn new_form(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> HttpResponse {
    let f = SamlIdpForm { enabled: Some("yes".into()), ..SamlIdpForm::default() };
    render(&page(ctx, &state, None, false, f, None, FieldErrors::default()))
}

fn refused_errors(field: &'static str, message: String) -> FieldErrors {
    let mut e = FieldErrors::default();
    e.add(field, message);
    e
}

pub async fn create(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<SamlIdpForm>,
) -> AppResult<HttpResponse> {
    let errors = match SamlIdpInput::parse(&f.form.raw(), true, &state.settings) {
        Ok(input) => match saml_idps::create(&state, &input, &actor(&req, &admin), false).await? {
            Ok(row) => {
                flash(
                    &session,
                    format!("{} was added. Send its administrators this portal's SAML metadata.", row.display_name),
                );
                return Ok(see_other(&format!("/admin/identity-providers/{}", row.id)));
            }
            Err(refused) => refused_errors(refused.field(), refused.to_string()),
        },
        Err(errors) => errors,
    };
    Ok(render_invalid(&page(ctx, &state, None, false, f.form.kept(), None, errors)))
}

/// The edit page of a SAML IdP (`/admin/identity-providers/{id}` for kind `saml`).
pub async fn edit_form(ctx: PageCtx, state: &AppState, idp: IdentityProvider) -> AppResult<HttpResponse> {
    let saml = {
        let mut c = state.db.acquire().await?;
        crate::db::saml_idps::find(c.conn(), idp.id).await?
    };
    let Some(saml) = saml else { return Err(crate::error::AppError::NotFound) };
    let read = ReadView::of(&idp, &saml, state.clock.now());
    let f = SamlIdpForm::of(&idp, &saml);
    Ok(render(&page(ctx, state, Some(idp.id), idp.managed_by_config, f, Some(read), FieldErrors::default())))
}

pub async fn update(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<SamlIdpForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let errors = match SamlIdpInput::parse(&f.form.raw(), false, &state.settings) {
        Ok(input) => match saml_idps::update(&state, id, &input, &actor(&req, &admin), false).await? {
            Ok(()) => {
                flash(&session, format!("{} was saved.", input.display_name));
                return Ok(see_other(&format!("/admin/identity-providers/{id}")));
            }
            Err(refused) => refused_errors(refused.field(), refused.to_string()),
        },
        Err(errors) => errors,
    };
    let read = {
        let mut c = state.db.acquire().await?;
        let idp = crate::db::identity_providers::find(c.conn(), id).await?;
        let saml = crate::db::saml_idps::find(c.conn(), id).await?;
        idp.zip(saml).map(|(i, s)| ReadView::of(&i, &s, state.clock.now()))
    };
    Ok(render_invalid(&page(ctx, &state, Some(id), false, f.form.kept(), read, errors)))
}
