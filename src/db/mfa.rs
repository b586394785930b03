//! Second factors: authenticator apps (their secrets encrypted by the flow before they get
//! here), recovery code hashes, and the count of wrong codes in a row.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Whether the user `u` has a confirmed second factor, as a column of a session check: a
/// person who set one up is always asked for it (SPEC §4).
pub const HAS_FACTOR: &str =
    "EXISTS (SELECT 1 FROM mfa_methods m WHERE m.user_id = u.id AND m.confirmed_at IS NOT NULL)";

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Method {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub name: String,
    /// Encrypted with the instance key.
    pub secret: String,
    pub last_step: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, user_id, kind, name, secret, last_step, created_at, confirmed_at, last_used_at";

pub async fn insert_unconfirmed(
    c: Conn<'_>,
    user_id: Uuid,
    name: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    run!(c, |e| sqlx::query(
        "INSERT INTO mfa_methods (id, user_id, kind, name, secret, created_at) VALUES ($1, $2, 'totp', $3, $4, $5)"
    )
    .bind(id)
    .bind(user_id)
    .bind(name)
    .bind(secret)
    .bind(now)
    .execute(e)
    .await
    .map(|_| id))
}

/// The authenticator app set-up in progress, if any.
pub async fn unconfirmed(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<Option<Method>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mfa_methods WHERE user_id = $1 AND kind = 'totp' AND confirmed_at IS NULL \
         ORDER BY created_at DESC LIMIT 1"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_optional(e).await)
}

pub async fn find(c: Conn<'_>, id: Uuid, user_id: Uuid) -> sqlx::Result<Option<Method>> {
    let sql = format!("SELECT {COLUMNS} FROM mfa_methods WHERE id = $1 AND user_id = $2");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(e).await)
}

/// The person's confirmed methods, oldest first.
pub async fn confirmed(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<Vec<Method>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mfa_methods WHERE user_id = $1 AND confirmed_at IS NOT NULL ORDER BY created_at, id"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(e).await)
}

pub async fn count_confirmed(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar("SELECT COUNT(*) FROM mfa_methods WHERE user_id = $1 AND confirmed_at IS NOT NULL")
        .bind(user_id)
        .fetch_one(e)
        .await)
}

pub async fn confirm(c: Conn<'_>, id: Uuid, name: &str, step: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE mfa_methods SET confirmed_at = $2, name = $3, last_step = $4, last_used_at = $2 \
         WHERE id = $1 AND confirmed_at IS NULL"
    )
    .bind(id)
    .bind(now)
    .bind(name)
    .bind(step)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// A passkey, registered (so confirmed) at once; `secret` is its encrypted credential.
pub async fn insert_passkey(
    c: Conn<'_>,
    user_id: Uuid,
    name: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    run!(c, |e| sqlx::query(
        "INSERT INTO mfa_methods (id, user_id, kind, name, secret, created_at, confirmed_at, last_used_at) \
         VALUES ($1, $2, 'passkey', $3, $4, $5, $5, $5)"
    )
    .bind(id)
    .bind(user_id)
    .bind(name)
    .bind(secret)
    .bind(now)
    .execute(e)
    .await
    .map(|_| id))
}

/// A passkey used: its stored credential (the signature counter moves) and when.
pub async fn passkey_used(c: Conn<'_>, id: Uuid, secret: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE mfa_methods SET secret = $2, last_used_at = $3 WHERE id = $1")
        .bind(id)
        .bind(secret)
        .bind(now)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Whose ceremony: a known person's, or (signing in with a passkey) nobody's yet, when the
/// client's address is kept instead.
#[derive(Clone, Copy)]
pub enum CeremonyOf<'a> {
    User(Uuid),
    Client(&'a str),
}

impl CeremonyOf<'_> {
    fn user(self) -> Option<Uuid> {
        match self {
            CeremonyOf::User(id) => Some(id),
            CeremonyOf::Client(_) => None,
        }
    }
}

/// Keeps the server's half of a WebAuthn ceremony (encrypted); a person's earlier ones of
/// the same purpose are dropped.
pub async fn insert_ceremony(
    c: Conn<'_>,
    of: CeremonyOf<'_>,
    purpose: &str,
    state: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    let client_ip = match of {
        CeremonyOf::Client(ip) => ip,
        CeremonyOf::User(_) => "",
    };
    run!(c, |e| {
        if let Some(user_id) = of.user() {
            sqlx::query("DELETE FROM webauthn_ceremonies WHERE user_id = $1 AND purpose = $2")
                .bind(user_id)
                .bind(purpose)
                .execute(&mut *e)
                .await?;
        }
        sqlx::query(
            "INSERT INTO webauthn_ceremonies (id, user_id, purpose, client_ip, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(of.user())
        .bind(purpose)
        .bind(client_ip)
        .bind(state)
        .bind(now)
        .execute(&mut *e)
        .await
        .map(|_| id)
    })
}

/// How many ceremonies of nobody yet this address started since `since`.
pub async fn count_ceremonies_from(c: Conn<'_>, client_ip: &str, since: DateTime<Utc>) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM webauthn_ceremonies WHERE user_id IS NULL AND client_ip = $1 AND created_at > $2"
    )
    .bind(client_ip)
    .bind(since)
    .fetch_one(e)
    .await)
}

/// Takes a ceremony once (it is deleted): the state, if it is this person's (or nobody's,
/// for `CeremonyOf::Client`), of this purpose and started after `since`.
pub async fn take_ceremony(
    c: Conn<'_>,
    id: Uuid,
    of: CeremonyOf<'_>,
    purpose: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    run!(c, |e| sqlx::query_scalar(
        "DELETE FROM webauthn_ceremonies \
         WHERE id = $1 AND user_id IS NOT DISTINCT FROM $2 AND purpose = $3 AND created_at > $4 \
         RETURNING state"
    )
    .bind(id)
    .bind(of.user())
    .bind(purpose)
    .bind(since)
    .fetch_optional(e)
    .await)
}

/// Ceremonies nobody finished: their rows go.
pub async fn sweep_ceremonies(c: Conn<'_>, started_before: DateTime<Utc>) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("DELETE FROM webauthn_ceremonies WHERE created_at <= $1")
        .bind(started_before)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}

/// Accepts a time step once: false when this step (or a later one) was used already, so a
/// code seen over someone's shoulder cannot be replayed.
pub async fn use_step(c: Conn<'_>, id: Uuid, step: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE mfa_methods SET last_step = $2, last_used_at = $3 \
         WHERE id = $1 AND (last_step IS NULL OR last_step < $2)"
    )
    .bind(id)
    .bind(step)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

pub async fn delete(c: Conn<'_>, id: Uuid, user_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM mfa_methods WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Everything: an admin's reset.
pub async fn delete_all(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<u64> {
    run!(c, |e| {
        let n = sqlx::query("DELETE FROM mfa_methods WHERE user_id = $1").bind(user_id).execute(&mut *e).await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *e).await?;
        Ok(n.rows_affected())
    })
}

/// Replaces the person's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    c: Conn<'_>,
    user_id: Uuid,
    hashes: &[String],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    run!(c, |e| {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *e).await?;
        for hash in hashes {
            sqlx::query("INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(Uuid::new_v4())
                .bind(user_id)
                .bind(hash)
                .bind(now)
                .execute(&mut *e)
                .await?;
        }
        Ok(())
    })
}

/// Spends the unused recovery code with this hash; false when there is none.
pub async fn use_recovery_code(c: Conn<'_>, user_id: Uuid, hash: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL"
    )
    .bind(user_id)
    .bind(hash)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

pub async fn unused_recovery_codes(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(e)
        .await)
}

/// Wrong codes in a row and until when attempts pause.
pub async fn failures(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<(i64, Option<DateTime<Utc>>)> {
    run!(c, |e| sqlx::query_as("SELECT mfa_failures, mfa_paused_until FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(e)
        .await)
}

pub async fn set_failures(
    c: Conn<'_>,
    user_id: Uuid,
    failures: i64,
    paused_until: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET mfa_failures = $2, mfa_paused_until = $3 WHERE id = $1")
        .bind(user_id)
        .bind(failures)
        .bind(paused_until)
        .execute(e)
        .await
        .map(|_| ()))
}

/// The user's own "MFA required" flag (admins set it).
pub async fn set_required(c: Conn<'_>, user_id: Uuid, required: bool) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET mfa_required = $2 WHERE id = $1")
        .bind(user_id)
        .bind(required)
        .execute(e)
        .await
        .map(|_| ()))
}
