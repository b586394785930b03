//! Apps shared with guests.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};
use crate::domain::client::{ClientType, SigningAlg};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct App {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub launch_url: String,
    pub icon_url: Option<String>,
    pub visible_in_panel: bool,
    /// Opens only for a session that used a second factor (step-up).
    pub mfa_required: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the app signs people in through the portal's OpenID Provider.
    pub client_id: Option<String>,
    pub client_type: ClientType,
    /// SHA-256 of the client secret (256 random bits, so a plain hash suffices).
    pub client_secret_hash: Option<String>,
    /// One per line, compared exactly.
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: Option<String>,
    pub initiate_login_uri: Option<String>,
    pub id_token_alg: SigningAlg,
    pub consent_required: bool,
    pub pairwise_subject: bool,
    /// The client id may be edited until an app first uses it.
    pub client_first_used_at: Option<DateTime<Utc>>,
    /// Declared in `vestibule.toml` under this slug: changed there, not on the form.
    pub slug: Option<String>,
    pub managed_by_config: bool,
    /// When the client secret stops working; `None`: it does not.
    pub client_secret_expires_at: Option<DateTime<Utc>>,
    /// The secret before the last new one, still accepted until its end (rotation).
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// An uploaded icon (`db::images`); it wins over `icon_url`.
    pub icon_image_id: Option<Uuid>,
}

const COLUMNS: &str = "id, name, description, launch_url, icon_url, visible_in_panel, mfa_required, created_at, updated_at, \
    client_id, client_type, client_secret_hash, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, \
    initiate_login_uri, id_token_alg, consent_required, pairwise_subject, client_first_used_at, slug, managed_by_config, \
    client_secret_expires_at, previous_secret_hash, previous_secret_expires_at, \
    icon_image_id";

/// The OpenID Connect side of an app, as the admin form or the config file sets it.
pub struct ClientFields<'a> {
    pub client_id: &'a str,
    pub client_type: ClientType,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
    pub backchannel_logout_uri: Option<&'a str>,
    pub initiate_login_uri: Option<&'a str>,
    pub id_token_alg: SigningAlg,
    pub consent_required: bool,
    pub pairwise_subject: bool,
}

pub struct AppFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub launch_url: &'a str,
    pub icon_url: Option<&'a str>,
    pub visible_in_panel: bool,
    pub mfa_required: bool,
}

pub async fn insert(c: Conn<'_>, a: &AppFields<'_>, now: DateTime<Utc>) -> sqlx::Result<App> {
    let sql = format!(
        "INSERT INTO apps (id, name, description, launch_url, icon_url, visible_in_panel, mfa_required, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $8, $7, $7) RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::new_v4())
        .bind(a.name)
        .bind(a.description)
        .bind(a.launch_url)
        .bind(a.icon_url)
        .bind(a.visible_in_panel)
        .bind(now)
        .bind(a.mfa_required)
        .fetch_one(e)
        .await)
}

pub async fn update(c: Conn<'_>, id: Uuid, a: &AppFields<'_>, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| {
        sqlx::query(
            "UPDATE apps SET name = $2, description = $3, launch_url = $4, icon_url = $5, visible_in_panel = $6, \
         updated_at = $7, mfa_required = $8 WHERE id = $1",
        )
        .bind(id)
        .bind(a.name)
        .bind(a.description)
        .bind(a.launch_url)
        .bind(a.icon_url)
        .bind(a.visible_in_panel)
        .bind(now)
        .bind(a.mfa_required)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

/// Makes the app an OIDC client, or changes its client settings; `None` makes it a plain
/// bookmark again (and forgets the secret). Returns false when another app has the client id.
pub async fn set_client(mut c: Conn<'_>, id: Uuid, f: Option<&ClientFields<'_>>) -> sqlx::Result<bool> {
    let Some(f) = f else {
        return run!(c, |e| sqlx::query(
            "UPDATE apps SET client_id = NULL, client_secret_hash = NULL, client_secret_expires_at = NULL, \
             previous_secret_hash = NULL, previous_secret_expires_at = NULL, redirect_uris = '', \
             post_logout_redirect_uris = '', backchannel_logout_uri = NULL, initiate_login_uri = NULL WHERE id = $1"
        )
        .bind(id)
        .execute(e)
        .await
        .map(|_| true));
    };
    let taken: Option<Uuid> =
        run!(c.reborrow(), |e| sqlx::query_scalar("SELECT id FROM apps WHERE client_id = $1 AND id <> $2")
            .bind(f.client_id)
            .bind(id)
            .fetch_optional(e)
            .await)?;
    if taken.is_some() {
        return Ok(false);
    }
    run!(c, |e| sqlx::query(
        "UPDATE apps SET client_id = $2, client_type = $3, redirect_uris = $4, post_logout_redirect_uris = $5, \
         backchannel_logout_uri = $6, initiate_login_uri = $7, id_token_alg = $8, consent_required = $9, \
         pairwise_subject = $10, client_secret_hash = CASE WHEN $3 = 'public' THEN NULL ELSE client_secret_hash END, \
         previous_secret_hash = CASE WHEN $3 = 'public' THEN NULL ELSE previous_secret_hash END \
         WHERE id = $1"
    )
    .bind(id)
    .bind(f.client_id)
    .bind(f.client_type)
    .bind(f.redirect_uris.join("\n"))
    .bind(f.post_logout_redirect_uris.join("\n"))
    .bind(f.backchannel_logout_uri)
    .bind(f.initiate_login_uri)
    .bind(f.id_token_alg)
    .bind(f.consent_required)
    .bind(f.pairwise_subject)
    .execute(e)
    .await
    .map(|_| true))
}

/// A new client secret (its hash) working until `expires`; the one it replaces keeps
/// working until `previous_until`, or stops at once (`None`).
pub async fn set_client_secret(
    c: Conn<'_>,
    id: Uuid,
    hash: &str,
    expires: Option<DateTime<Utc>>,
    previous_until: Option<DateTime<Utc>>,
) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE apps SET previous_secret_hash = CASE WHEN $4 THEN client_secret_hash ELSE NULL END, \
         previous_secret_expires_at = $5, client_secret_hash = $2, client_secret_expires_at = $3 \
         WHERE id = $1 AND client_id IS NOT NULL"
    )
    .bind(id)
    .bind(hash)
    .bind(expires)
    .bind(previous_until.is_some())
    .bind(previous_until)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// The previous client secret stops working now.
pub async fn drop_previous_secret(c: Conn<'_>, id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE apps SET previous_secret_hash = NULL, previous_secret_expires_at = NULL \
         WHERE id = $1 AND previous_secret_hash IS NOT NULL"
    )
    .bind(id)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// The app the config file declares under `slug`.
pub async fn find_by_slug(c: Conn<'_>, slug: &str) -> sqlx::Result<Option<App>> {
    let sql = format!("SELECT {COLUMNS} FROM apps WHERE slug = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(e).await)
}

/// Marks an app as declared in the config file under `slug`.
pub async fn mark_managed(c: Conn<'_>, id: Uuid, slug: &str) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE apps SET slug = $2, managed_by_config = TRUE WHERE id = $1")
        .bind(id)
        .bind(slug)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Points the app at an uploaded icon, or at none. Returns the icon it had.
pub async fn set_icon(mut c: Conn<'_>, id: Uuid, image: Option<Uuid>) -> sqlx::Result<Option<Uuid>> {
    // Takes the row's lock before reading (PostgreSQL; SQLite has one writer anyway): two
    // uploads at once then each see the icon the other replaced, and none is left behind.
    run!(c.reborrow(), |e| sqlx::query("UPDATE apps SET icon_image_id = icon_image_id WHERE id = $1")
        .bind(id)
        .execute(e)
        .await
        .map(|_| ()))?;
    let before: Option<Option<Uuid>> =
        run!(c.reborrow(), |e| sqlx::query_scalar("SELECT icon_image_id FROM apps WHERE id = $1")
            .bind(id)
            .fetch_optional(e)
            .await)?;
    run!(c, |e| sqlx::query("UPDATE apps SET icon_image_id = $2 WHERE id = $1")
        .bind(id)
        .bind(image)
        .execute(e)
        .await
        .map(|_| ()))?;
    Ok(before.flatten())
}

/// The app whose OIDC client id this is.
pub async fn find_by_client_id(c: Conn<'_>, client_id: &str) -> sqlx::Result<Option<App>> {
    let sql = format!("SELECT {COLUMNS} FROM apps WHERE client_id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(client_id).fetch_optional(e).await)
}

/// Notes the first use of a client id (from then on it cannot be edited).
pub async fn mark_client_used(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE apps SET client_first_used_at = $2 WHERE id = $1 AND client_first_used_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(e)
        .await
        .map(|_| ()))
}

/// The rule "this user may open this app now", as SQL over `$APP`, `$USER` and `$NOW`:
/// assigned directly or through a package, or through a group, and not expired. (Blocked
/// or expired accounts are the caller's check: `domain::user::may_sign_in`.)
pub(super) const MAY_OPEN: &str = "EXISTS (SELECT 1 FROM assignments s WHERE s.app_id = $APP AND s.user_id = $USER \
     AND (s.expires_at IS NULL OR s.expires_at > $NOW)) \
     OR EXISTS (SELECT 1 FROM group_apps ga JOIN group_members m ON m.group_id = ga.group_id \
     WHERE ga.app_id = $APP AND m.user_id = $USER AND (m.expires_at IS NULL OR m.expires_at > $NOW))";

/// Whether the user may open the app now (`MAY_OPEN`).
pub async fn user_may_open(c: Conn<'_>, app_id: Uuid, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let sql = format!("SELECT {}", MAY_OPEN.replace("$APP", "$1").replace("$USER", "$2").replace("$NOW", "$3"));
    run!(c, |e| sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(app_id).bind(user_id).bind(now).fetch_one(e).await)
}

/// Every app that is an OIDC client (for the provider's short-lived copy).
pub async fn clients(c: Conn<'_>) -> sqlx::Result<Vec<App>> {
    let sql = format!("SELECT {COLUMNS} FROM apps WHERE client_id IS NOT NULL");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

pub async fn delete(c: Conn<'_>, id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM apps WHERE id = $1").bind(id).execute(e).await.map(|r| r.rows_affected() == 1))
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<App>> {
    let sql = format!("SELECT {COLUMNS} FROM apps WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

pub async fn all(c: Conn<'_>) -> sqlx::Result<Vec<App>> {
    let sql = format!("SELECT {COLUMNS} FROM apps ORDER BY lower(name), id");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

/// The apps an invitation grants, for the redemption page.
pub async fn for_invitation(c: Conn<'_>, invitation_id: Uuid) -> sqlx::Result<Vec<App>> {
    let sql = format!(
        "SELECT {} FROM apps a JOIN invitation_apps ia ON ia.app_id = a.id WHERE ia.invitation_id = $1 ORDER BY lower(a.name)",
        prefixed("a")
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(invitation_id).fetch_all(e).await)
}

/// The apps a user may open now: assigned to them or to one of their groups, not expired.
pub async fn for_user(c: Conn<'_>, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Vec<App>> {
    let sql = format!("SELECT {} FROM apps a WHERE {GIVEN_TO_USER} ORDER BY lower(a.name)", prefixed("a"));
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(now).fetch_all(e).await)
}

/// Apps given to user `$1` at time `$2`, directly or through a group.
pub(super) const GIVEN_TO_USER: &str = "(a.id IN (SELECT s.app_id FROM assignments s WHERE s.user_id = $1 \
     AND (s.expires_at IS NULL OR s.expires_at > $2)) \
     OR a.id IN (SELECT ga.app_id FROM group_apps ga JOIN group_members m ON m.group_id = ga.group_id \
     WHERE m.user_id = $1 AND (m.expires_at IS NULL OR m.expires_at > $2)))";

/// An app as its Access Panel tile needs it: a third of `App`'s columns, since decoding
/// every column of every tile was most of the Access Panel's time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tile {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub launch_url: String,
    pub icon_url: Option<String>,
    pub mfa_required: bool,
    pub client_id: Option<String>,
    pub initiate_login_uri: Option<String>,
    pub icon_image_id: Option<Uuid>,
}

/// The tiles of the apps given to `user_id` and shown in the panel, by name.
pub async fn tiles_for_user(c: Conn<'_>, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Vec<Tile>> {
    let sql = format!(
        "SELECT a.id, a.name, a.description, a.launch_url, a.icon_url, a.mfa_required, a.client_id, \
         a.initiate_login_uri, a.icon_image_id FROM apps a WHERE a.visible_in_panel AND {GIVEN_TO_USER} ORDER BY lower(a.name)"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(now).fetch_all(e).await)
}

pub fn origins(apps: &[App]) -> Vec<String> {
    apps.iter().filter_map(|a| crate::domain::url::origin_of(&a.launch_url)).collect()
}

fn prefixed(alias: &str) -> String {
    COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

impl App {
    /// Where the app's tile goes (`tile_href`).
    pub fn tile_href(&self, issuer: &str) -> String {
        tile_href(self.client_id.as_deref(), self.initiate_login_uri.as_deref(), &self.launch_url, issuer)
    }

    pub fn redirect_uri_list(&self) -> Vec<String> {
        self.redirect_uris.lines().map(String::from).collect()
    }

    pub fn post_logout_uri_list(&self) -> Vec<String> {
        self.post_logout_redirect_uris.lines().map(String::from).collect()
    }

    /// The letter on a tile without an icon.
    pub fn initial(&self) -> String {
        initial(&self.name)
    }

    /// The address of the tile's icon: the uploaded one, else the icon URL.
    pub fn icon_src(&self) -> Option<String> {
        icon_src(self.icon_image_id, self.icon_url.as_deref())
    }

    /// The colour class number of a tile without an icon (`.tile-cN`).
    pub fn colour(&self) -> usize {
        crate::domain::tile::colour(&self.name)
    }
}

impl Tile {
    pub fn tile_href(&self, issuer: &str) -> String {
        tile_href(self.client_id.as_deref(), self.initiate_login_uri.as_deref(), &self.launch_url, issuer)
    }

    pub fn initial(&self) -> String {
        initial(&self.name)
    }

    pub fn icon_src(&self) -> Option<String> {
        icon_src(self.icon_image_id, self.icon_url.as_deref())
    }

    pub fn colour(&self) -> usize {
        crate::domain::tile::colour(&self.name)
    }
}

fn icon_src(image: Option<Uuid>, url: Option<&str>) -> Option<String> {
    image.map(crate::domain::image::path).or_else(|| url.filter(|u| !u.is_empty()).map(str::to_string))
}

/// Where an app's tile goes: its initiate-login URI, when it is an OIDC client with one, so
/// the person arrives signed in (OIDC Core §4, third-party-initiated login); else the
/// launch URL.
fn tile_href(client_id: Option<&str>, initiate_login_uri: Option<&str>, launch_url: &str, issuer: &str) -> String {
    match (client_id, initiate_login_uri) {
        (Some(_), Some(uri)) => match url::Url::parse(uri) {
            Ok(mut url) => {
                url.query_pairs_mut().append_pair("iss", issuer).append_pair("target_link_uri", launch_url);
                url.to_string()
            }
            Err(_) => launch_url.to_string(),
        },
        _ => launch_url.to_string(),
    }
}

/// The letter on a tile without an icon.
fn initial(name: &str) -> String {
    name.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().to_string()).unwrap_or_default()
}
