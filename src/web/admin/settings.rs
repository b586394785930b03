//! Admin: the settings page — branding, terms, lifetimes, partner domain policy, the
//! members' sign-in rule and the guest lifecycle.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::db::identity_providers;
use crate::domain::FieldErrors;
use crate::domain::settings::{DomainPolicy, EndOfAccess, InvitePolicy, PortalSettings, RawSettings};
use crate::error::AppResult;
use crate::flows::images as image_flows;
use crate::flows::settings;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, flash_said, render, render_invalid, render_with_status};
use crate::web::{actor, images, kept, see_other};

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    logo_url: String,
    #[serde(default)]
    accent: String,
    #[serde(default)]
    privacy_url: String,
    #[serde(default)]
    terms_text: String,
    #[serde(default)]
    terms_version: String,
    #[serde(default)]
    invitation_ttl_days: String,
    #[serde(default)]
    signup_ttl_days: String,
    #[serde(default)]
    domain_policy: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    members_require_workforce: Option<String>,
    #[serde(default)]
    org_domains: String,
    #[serde(default)]
    redirect_origins: String,
    #[serde(default)]
    invite_policy: String,
    #[serde(default)]
    guest_lifetime_days: String,
    #[serde(default)]
    guests_mfa: Option<String>,
    #[serde(default)]
    members_mfa: Option<String>,
    #[serde(default)]
    inactive_after_days: String,
    #[serde(default)]
    end_of_access: String,
    #[serde(default)]
    audit_retention_days: String,
    #[serde(default)]
    mail_retention_days: String,
}

impl SettingsForm {
    fn of(s: &PortalSettings) -> SettingsForm {
        SettingsForm {
            org_name: s.org_name.clone(),
            logo_url: s.logo_url.clone(),
            accent: s.accent.clone(),
            privacy_url: s.privacy_url.clone(),
            terms_text: s.terms_text.clone(),
            terms_version: s.terms_version.clone(),
            invitation_ttl_days: s.invitation_ttl_days.to_string(),
            signup_ttl_days: s.signup_ttl_days.to_string(),
            domain_policy: s.domain_policy.as_str().into(),
            domains: s.domains.join("\n"),
            members_require_workforce: s.members_require_workforce.then(|| "yes".into()),
            org_domains: s.org_domains.join("\n"),
            redirect_origins: s.redirect_origins.join("\n"),
            invite_policy: s.invite_policy.as_str().into(),
            guest_lifetime_days: match s.guest_lifetime_days {
                0 => String::new(),
                d => d.to_string(),
            },
            guests_mfa: s.guests_mfa.then(|| "yes".into()),
            members_mfa: s.members_mfa.then(|| "yes".into()),
            inactive_after_days: s.inactive_after_days.to_string(),
            end_of_access: s.end_of_access.as_str().into(),
            audit_retention_days: s.audit_retention_days.to_string(),
            mail_retention_days: s.mail_retention_days.to_string(),
        }
    }

    fn raw(&self) -> RawSettings<'_> {
        RawSettings {
            org_name: &self.org_name,
            logo_url: &self.logo_url,
            accent: &self.accent,
            privacy_url: &self.privacy_url,
            terms_text: &self.terms_text,
            terms_version: &self.terms_version,
            invitation_ttl_days: &self.invitation_ttl_days,
            signup_ttl_days: &self.signup_ttl_days,
            domain_policy: &self.domain_policy,
            domains: &self.domains,
            members_require_workforce: self.members_require_workforce.is_some(),
            org_domains: &self.org_domains,
            redirect_origins: &self.redirect_origins,
            invite_policy: &self.invite_policy,
            guest_lifetime_days: &self.guest_lifetime_days,
            guests_mfa: self.guests_mfa.is_some(),
            members_mfa: self.members_mfa.is_some(),
            inactive_after_days: &self.inactive_after_days,
            end_of_access: &self.end_of_access,
            audit_retention_days: &self.audit_retention_days,
            mail_retention_days: &self.mail_retention_days,
        }
    }

    /// What to show again after a refusal: typed text, cut to a sane length.
    fn kept(self) -> SettingsForm {
        SettingsForm {
            org_name: kept(&self.org_name, 200),
            logo_url: kept(&self.logo_url, 2100),
            accent: kept(&self.accent, 20),
            privacy_url: kept(&self.privacy_url, 2100),
            terms_text: kept(&self.terms_text, 21_000),
            terms_version: kept(&self.terms_version, 60),
            invitation_ttl_days: kept(&self.invitation_ttl_days, 10),
            signup_ttl_days: kept(&self.signup_ttl_days, 10),
            domain_policy: kept(&self.domain_policy, 20),
            domains: kept(&self.domains, 3000),
            org_domains: kept(&self.org_domains, 3000),
            redirect_origins: kept(&self.redirect_origins, 3000),
            invite_policy: kept(&self.invite_policy, 20),
            guest_lifetime_days: kept(&self.guest_lifetime_days, 10),
            inactive_after_days: kept(&self.inactive_after_days, 10),
            end_of_access: kept(&self.end_of_access, 20),
            audit_retention_days: kept(&self.audit_retention_days, 10),
            mail_retention_days: kept(&self.mail_retention_days, 10),
            ..self
        }
    }
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    ctx: PageCtx,
    f: SettingsForm,
    policies: [(DomainPolicy, &'static str); 3],
    invite_policies: [(InvitePolicy, &'static str); 4],
    ends_of_access: [(EndOfAccess, &'static str); 3],
    /// The enabled workforce IdP's name, if there is one.
    workforce: Option<String>,
    /// The From partners see, and whether its address is a placeholder.
    sender: (String, bool),
    errors: FieldErrors,
    /// The uploaded logo's address, if there is one.
    logo_upload: Option<String>,
    /// Why an uploaded logo was refused (its own form).
    logo_errors: FieldErrors,
}

async fn page(ctx: PageCtx, state: &AppState, f: SettingsForm, errors: FieldErrors) -> AppResult<SettingsPage> {
    let mut c = state.db.acquire().await?;
    let workforce = identity_providers::enabled_workforce(c.conn()).await?.map(|i| i.display_name);
    let sender = settings::mail_sender(state, &f.org_name);
    let logo_upload = settings::current(state).await?.logo_image.map(crate::domain::image::path);
    Ok(SettingsPage {
        ctx,
        f,
        policies: DomainPolicy::ALL,
        invite_policies: InvitePolicy::ALL,
        ends_of_access: EndOfAccess::ALL,
        workforce,
        sender,
        errors,
        logo_upload,
        logo_errors: FieldErrors::default(),
    })
}

pub async fn show(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    let current = settings::current(&state).await?;
    Ok(render(&page(ctx, &state, SettingsForm::of(&current), FieldErrors::default()).await?))
}

pub async fn save(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<SettingsForm>,
) -> AppResult<HttpResponse> {
    let saved = match f.form.raw().parse() {
        Ok(new) => settings::save(&state, new, &actor(&req, &admin)).await?,
        Err(errors) => Err(errors),
    };
    match saved {
        Ok(()) => {
            flash(&session, "The settings were saved.");
            Ok(see_other("/admin/settings"))
        }
        Err(errors) => Ok(render_invalid(&page(ctx, &state, f.form.kept(), errors).await?)),
    }
}

/// `POST /admin/settings/logo`: a logo uploaded from a form of its own (the settings form
/// stays urlencoded); a refused file is said next to the field.
pub async fn upload_logo(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let image = match images::read(&req, payload).await? {
        Ok(image) => image,
        Err(refused) => {
            let current = settings::current(&state).await?;
            let mut page = page(ctx, &state, SettingsForm::of(&current), FieldErrors::default()).await?;
            page.logo_errors.add("logo_file", refused.message);
            return Ok(render_with_status(refused.status, &page));
        }
    };
    image_flows::set_logo(&state, &image, &actor(&req, &admin)).await?;
    flash(&session, "The logo was uploaded.");
    Ok(see_other("/admin/settings"))
}

/// `POST /admin/settings/logo/remove`: pages and mail show the logo address or the initial.
pub async fn remove_logo(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let said = match image_flows::remove_logo(&state, &actor(&req, &admin)).await? {
        true => Ok("The uploaded logo was removed.".to_string()),
        false => Err("Nothing was removed: there is no uploaded logo.".to_string()),
    };
    flash_said(&session, said);
    Ok(see_other("/admin/settings"))
}
