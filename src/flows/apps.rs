//! Apps: create, edit, delete, and assigning them to users — each audited.

use chrono::{DateTime, Months, Utc};
use uuid::Uuid;

use secrecy::ExposeSecret;

use crate::config::AppConfig;
use crate::db::apps::{self, App, AppFields, ClientFields};
use crate::db::audit::{self, Event};
use crate::db::{Tx, assignments, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::client::{
    ClientType, SigningAlg, client_id_from_name, parse_client_id, parse_optional_uri, parse_uri_list,
};
use crate::domain::network::check_typed_target;
use crate::domain::url::WebUrl;
use crate::domain::{BoundedText, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// An app as typed into the admin form, parsed.
pub struct AppInput {
    pub name: BoundedText,
    pub description: BoundedText,
    pub launch_url: WebUrl,
    pub icon_url: Option<WebUrl>,
    pub visible_in_panel: bool,
    /// A second step before the app opens (step-up).
    pub mfa_required: bool,
    /// Set when the app signs people in through the portal (OpenID Connect).
    pub client: Option<ClientInput>,
}

/// The OpenID Connect settings of an app, as typed into the admin form.
pub struct ClientForm<'a> {
    pub client_id: &'a str,
    pub client_type: &'a str,
    pub redirect_uris: &'a str,
    pub post_logout_redirect_uris: &'a str,
    pub backchannel_logout_uri: &'a str,
    pub initiate_login_uri: &'a str,
    pub id_token_alg: &'a str,
    pub consent_required: bool,
    pub pairwise_subject: bool,
}

/// The OpenID Connect settings, parsed.
pub struct ClientInput {
    /// `None`: make one from the app's name.
    pub client_id: Option<String>,
    pub client_type: ClientType,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub initiate_login_uri: Option<String>,
    pub id_token_alg: SigningAlg,
    pub consent_required: bool,
    pub pairwise_subject: bool,
}

impl ClientInput {
    pub fn parse(f: &ClientForm<'_>, errors: &mut FieldErrors) -> Option<ClientInput> {
        let client_id = if f.client_id.trim().is_empty() {
            Some(None)
        } else {
            errors.take("client_id", parse_client_id(f.client_id).map(Some))
        };
        let client_type = ClientType::parse(f.client_type);
        if client_type.is_none() {
            errors.add("client_type", "Choose confidential or public.");
        }
        let redirect_uris = errors.take("redirect_uris", parse_uri_list(f.redirect_uris, "Redirect URIs"));
        if redirect_uris.as_ref().is_some_and(|u| u.is_empty()) {
            errors.add("redirect_uris", "Give at least one redirect URI: where the app receives the sign-in.");
        }
        let post_logout = errors.take(
            "post_logout_redirect_uris",
            parse_uri_list(f.post_logout_redirect_uris, "Post-logout redirect URIs"),
        );
        let backchannel = errors.take(
            "backchannel_logout_uri",
            parse_optional_uri(f.backchannel_logout_uri, "The back-channel logout URI"),
        );
        let initiate =
            errors.take("initiate_login_uri", parse_optional_uri(f.initiate_login_uri, "The initiate-login URI"));
        let alg = SigningAlg::parse(f.id_token_alg);
        if alg.is_none() {
            errors.add("id_token_alg", "Choose RS256, ES256 or EdDSA.");
        }
        Some(ClientInput {
            client_id: client_id?,
            client_type: client_type?,
            redirect_uris: redirect_uris?,
            post_logout_redirect_uris: post_logout?,
            backchannel_logout_uri: backchannel?,
            initiate_login_uri: initiate?,
            id_token_alg: alg?,
            consent_required: f.consent_required,
            pairwise_subject: f.pairwise_subject,
        })
    }

    fn fields<'a>(&'a self, client_id: &'a str) -> ClientFields<'a> {
        ClientFields {
            client_id,
            client_type: self.client_type,
            redirect_uris: &self.redirect_uris,
            post_logout_redirect_uris: &self.post_logout_redirect_uris,
            backchannel_logout_uri: self.backchannel_logout_uri.as_deref(),
            initiate_login_uri: self.initiate_login_uri.as_deref(),
            id_token_alg: self.id_token_alg,
            consent_required: self.consent_required,
            pairwise_subject: self.pairwise_subject,
        }
    }
}

/// What saving an app gave: the app, and a new client secret to show once.
pub struct Saved {
    pub app: App,
    pub new_secret: Option<String>,
}

impl AppInput {
    pub fn parse(
        name: &str,
        description: &str,
        launch_url: &str,
        icon_url: &str,
        visible: bool,
        mfa_required: bool,
        client: Option<&ClientForm<'_>>,
    ) -> Result<AppInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let client = match client {
            Some(f) => ClientInput::parse(f, &mut errors).map(Some),
            None => Some(None),
        };
        let name = errors.take("name", BoundedText::required(name, "A name", 80));
        let description = errors.take("description", BoundedText::parse(description, "The description", 500, true));
        let launch_url = errors.take("launch_url", WebUrl::parse(launch_url, "The launch URL"));
        let icon_url = if icon_url.trim().is_empty() {
            Some(None)
        } else {
            errors.take("icon_url", WebUrl::parse(icon_url, "The icon URL").map(Some))
        };
        match (name, description, launch_url, icon_url, client) {
            (Some(name), Some(description), Some(launch_url), Some(icon_url), Some(client)) if errors.is_empty() => {
                Ok(AppInput {
                    name,
                    description,
                    launch_url,
                    icon_url,
                    visible_in_panel: visible,
                    mfa_required,
                    client,
                })
            }
            _ => Err(errors),
        }
    }

    fn fields(&self) -> AppFields<'_> {
        AppFields {
            name: self.name.as_str(),
            description: self.description.as_str(),
            launch_url: self.launch_url.as_str(),
            icon_url: self.icon_url.as_ref().map(|u| u.as_str()),
            visible_in_panel: self.visible_in_panel,
            mfa_required: self.mfa_required,
        }
    }
}

/// The back-channel logout URI is where the worker sends requests: one whose host is an
/// address no request may go to (cloud metadata, the inside) is refused now, next to its
/// field. A name is checked each time the worker resolves it.
fn check_targets(state: &AppState, input: &AppInput) -> Result<(), FieldErrors> {
    let Some(uri) = input.client.as_ref().and_then(|c| c.backchannel_logout_uri.as_deref()) else {
        return Ok(());
    };
    let allow_internal = state.settings.allow_private_network_targets;
    let mut errors = FieldErrors::default();
    errors.take("backchannel_logout_uri", check_typed_target(uri, "The back-channel logout URI", allow_internal));
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Adds an app. A field error (a client id another app has) comes back as `Err`.
pub async fn create(state: &AppState, input: &AppInput, actor: &Actor) -> AppResult<Result<Saved, FieldErrors>> {
    if let Err(errors) = check_targets(state, input) {
        return Ok(Err(errors));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = apps::insert(tx.conn(), &input.fields(), now).await?;
    let new_secret = match set_client(&mut tx, &app, input, now).await? {
        Ok(secret) => secret,
        Err(errors) => return Ok(Err(errors)),
    };
    audit::record(tx.conn(), actor, &Event::new(Action::AppCreated, "app", app.id, &app.name), now).await?;
    let app = apps::find(tx.conn(), app.id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    state.csp_sources.forget();
    state.clients.forget();
    Ok(Ok(Saved { app, new_secret }))
}

pub async fn update(
    state: &AppState,
    id: Uuid,
    input: &AppInput,
    actor: &Actor,
) -> AppResult<Result<Saved, FieldErrors>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = apps::find(tx.conn(), id).await?.ok_or(AppError::NotFound)?;
    if before.managed_by_config {
        return Err(AppError::BadRequest(MANAGED.into()));
    }
    let new_id = input.client.as_ref().and_then(|c| c.client_id.as_ref());
    if let (Some(old), Some(new)) = (&before.client_id, new_id)
        && before.client_first_used_at.is_some()
        && old != new
    {
        let mut errors = FieldErrors::default();
        errors.add("client_id", "The client ID cannot change once the app has signed someone in.");
        return Ok(Err(errors));
    }
    if let Err(errors) = check_targets(state, input) {
        return Ok(Err(errors));
    }
    apps::update(tx.conn(), id, &input.fields(), now).await?;
    let new_secret = match set_client(&mut tx, &before, input, now).await? {
        Ok(secret) => secret,
        Err(errors) => return Ok(Err(errors)),
    };
    audit::record(tx.conn(), actor, &Event::new(Action::AppUpdated, "app", id, input.name.as_str()), now).await?;
    let app = apps::find(tx.conn(), id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    state.csp_sources.forget();
    state.clients.forget();
    Ok(Ok(Saved { app, new_secret }))
}

/// Writes the client settings; a confidential client without a secret gets one (returned,
/// to be shown once).
async fn set_client(
    tx: &mut crate::db::Tx,
    before: &App,
    input: &AppInput,
    now: DateTime<Utc>,
) -> AppResult<Result<Option<String>, FieldErrors>> {
    let Some(client) = &input.client else {
        apps::set_client(tx.conn(), before.id, None).await?;
        return Ok(Ok(None));
    };
    let client_id = match (&client.client_id, &before.client_id) {
        (Some(id), _) => id.clone(),
        (None, Some(kept)) => kept.clone(),
        (None, None) => client_id_from_name(input.name.as_str()),
    };
    if !apps::set_client(tx.conn(), before.id, Some(&client.fields(&client_id))).await? {
        let mut errors = FieldErrors::default();
        errors.add("client_id", format!("Another app already uses the client ID {client_id}."));
        return Ok(Err(errors));
    }
    let needs_secret = client.client_type == ClientType::Confidential
        && (before.client_secret_hash.is_none() || before.client_type == ClientType::Public);
    if !needs_secret {
        return Ok(Ok(None));
    }
    let (secret, hash) = crate::provider::token::new_client_secret();
    let ends = now + Months::new(SECRET_MONTHS_DEFAULT);
    apps::set_client_secret(tx.conn(), before.id, &hash, Some(ends), None).await?;
    Ok(Ok(Some(secret)))
}

/// Rotates the OpenID Provider's signing keys now (the admin's button).
pub async fn rotate_signing_keys(state: &AppState, actor: &Actor) -> AppResult<usize> {
    let n = crate::provider::rotate_keys(state).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let ev = Event::new(Action::SigningKeysRotated, "signing_key", "", "").details(format!("algorithms={n}"));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(n)
}

pub async fn delete(state: &AppState, id: Uuid, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = apps::find(tx.conn(), id).await?.ok_or(AppError::NotFound)?;
    if app.managed_by_config {
        return Err(AppError::BadRequest(MANAGED.into()));
    }
    apps::delete(tx.conn(), id).await?;
    if let Some(icon) = app.icon_image_id {
        crate::db::images::delete(tx.conn(), icon).await?;
    }
    audit::record(tx.conn(), actor, &Event::new(Action::AppDeleted, "app", id, &app.name), now).await?;
    tx.commit().await?;
    state.csp_sources.forget();
    state.clients.forget();
    Ok(())
}

pub async fn assign(state: &AppState, app_id: Uuid, user_id: Uuid, actor: &Actor) -> AppResult<bool> {
    let mut tx = state.db.begin().await?;
    let new = assign_within(state, &mut tx, app_id, user_id, actor).await?;
    tx.commit().await?;
    Ok(new)
}

/// `assign`, inside the caller's transaction (the API keeps its answer in it).
pub async fn assign_within(
    state: &AppState,
    tx: &mut Tx,
    app_id: Uuid,
    user_id: Uuid,
    actor: &Actor,
) -> AppResult<bool> {
    let now = state.clock.now();
    let app = apps::find(tx.conn(), app_id)
        .await?
        .ok_or_else(|| AppError::BadRequest("That app no longer exists.".into()))?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    let new = assignments::assign(tx.conn(), app_id, user_id, now).await?;
    if new {
        let ev = Event::new(Action::AppAssigned, "user", user.id, &user.email)
            .details(format!("app={} ({})", app.id, app.name));
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    Ok(new)
}

pub async fn unassign(state: &AppState, app_id: Uuid, user_id: Uuid, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    let app = apps::find(tx.conn(), app_id).await?;
    let removed = assignments::unassign(tx.conn(), app_id, user_id).await?;
    if removed {
        // As `app.assigned` says it: the id, and the name for people.
        let details = match app {
            Some(app) => format!("app={app_id} ({})", app.name),
            None => format!("app={app_id}"),
        };
        let ev = Event::new(Action::AppUnassigned, "user", user.id, &user.email).details(details);
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    tx.commit().await?;
    Ok(removed)
}

/// How long a new client secret works unless the admin chooses: a year, as Entra suggests.
pub const SECRET_MONTHS_DEFAULT: u32 = 12;

pub(super) const MANAGED: &str = "This app is managed by the configuration file (vestibule.toml); change it there.";

/// Creates or updates the apps declared in the config file, marked as managed by it. A
/// configured client secret is stored as its hash, like one made on the form.
pub async fn sync_from_config(state: &AppState, declared: &[AppConfig]) -> anyhow::Result<()> {
    let actor = Actor::system("configuration");
    for d in declared {
        let secret = d.client_secret.as_ref().map(|s| s.expose_secret().to_string());
        let client = ClientForm {
            client_id: d.client_id.as_deref().unwrap_or_default(),
            client_type: if secret.is_some() { "confidential" } else { "public" },
            redirect_uris: &d.redirect_uris.join("\n"),
            post_logout_redirect_uris: &d.post_logout_redirect_uris.join("\n"),
            backchannel_logout_uri: &d.backchannel_logout_uri,
            initiate_login_uri: &d.initiate_login_uri,
            id_token_alg: &d.id_token_alg,
            consent_required: d.consent_required,
            pairwise_subject: d.pairwise_subject,
        };
        let client = d.client_id.is_some().then_some(&client);
        let input = AppInput::parse(
            &d.name,
            &d.description,
            &d.launch_url,
            &d.icon_url,
            d.visible_in_panel,
            d.mfa_required,
            client,
        )
        .map_err(|e| anyhow::anyhow!("app {:?} in the config file: {e}", d.slug))?;
        check_targets(state, &input).map_err(|e| anyhow::anyhow!("app {:?} in the config file: {e}", d.slug))?;
        let now = state.clock.now();
        let mut tx = state.db.begin().await?;
        let existing = apps::find_by_slug(tx.conn(), &d.slug).await?;
        let (app, action) = match existing {
            Some(app) => {
                apps::update(tx.conn(), app.id, &input.fields(), now).await?;
                (app, Action::AppConfigured)
            }
            None => (apps::insert(tx.conn(), &input.fields(), now).await?, Action::AppCreated),
        };
        if let Err(errors) = set_client(&mut tx, &app, &input, now).await? {
            anyhow::bail!("app {:?} in the config file: {errors}", d.slug);
        }
        if let Some(secret) = &secret {
            // A secret from the config file ends when the file says so: not here.
            let hash = crate::secrets::TokenHash::of(secret).0;
            apps::set_client_secret(tx.conn(), app.id, &hash, None, None).await?;
        }
        apps::mark_managed(tx.conn(), app.id, &d.slug).await?;
        audit::record(tx.conn(), &actor, &Event::new(action, "app", app.id, &d.name), now).await?;
        tx.commit().await?;
    }
    state.csp_sources.forget();
    state.clients.forget();
    Ok(())
}
