//! The OpenID Provider's signing keys, per algorithm: `next` (published, not yet signing),
//! `current` (signing), `retired` (published until its tokens have expired). Private keys
//! are stored encrypted under the instance key. Partial unique indexes allow one `current`
//! and one `next` per algorithm, so instances racing to create or rotate cannot make two.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};
use crate::domain::client::SigningAlg;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredKey {
    pub id: Uuid,
    pub kid: String,
    pub alg: SigningAlg,
    pub state: String,
    /// PKCS#8, encrypted (`InstanceKey::encrypt`).
    pub private_key: String,
    pub public_jwk: String,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, kid, alg, state, private_key, public_jwk, created_at, activated_at, retired_at";

pub struct NewKey<'a> {
    pub kid: &'a str,
    pub alg: SigningAlg,
    pub private_key: &'a str,
    pub public_jwk: &'a str,
}

/// Every published key (all states), oldest first.
pub async fn all(c: Conn<'_>) -> sqlx::Result<Vec<StoredKey>> {
    let sql = format!("SELECT {COLUMNS} FROM signing_keys ORDER BY created_at, kid");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

/// Adds a key in `state` ('current' or 'next'); false when that slot is already taken
/// (another instance got there first).
pub async fn insert(c: Conn<'_>, k: &NewKey<'_>, state: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let activated = (state == "current").then_some(now);
    run!(c, |e| sqlx::query(
        "INSERT INTO signing_keys (id, kid, alg, state, private_key, public_jwk, created_at, activated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"
    )
    .bind(Uuid::new_v4())
    .bind(k.kid)
    .bind(k.alg)
    .bind(state)
    .bind(k.private_key)
    .bind(k.public_jwk)
    .bind(now)
    .bind(activated)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// One rotation step for `alg`: current → retired, next → current. Each UPDATE names the
/// row it expects, so a second instance rotating at the same moment changes nothing.
pub async fn rotate(
    mut c: Conn<'_>,
    alg: SigningAlg,
    current: Uuid,
    next: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let retired = run!(c.reborrow(), |e| {
        sqlx::query(
        "UPDATE signing_keys SET state = 'retired', retired_at = $3 WHERE id = $1 AND alg = $2 AND state = 'current'"
    )
    .bind(current)
    .bind(alg)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1)
    })?;
    if !retired {
        return Ok(false);
    }
    run!(c, |e| sqlx::query(
        "UPDATE signing_keys SET state = 'current', activated_at = $3 WHERE id = $1 AND alg = $2 AND state = 'next'"
    )
    .bind(next)
    .bind(alg)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Forgets retired keys no token signed by them can still need.
pub async fn drop_retired_before(c: Conn<'_>, before: DateTime<Utc>) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("DELETE FROM signing_keys WHERE state = 'retired' AND retired_at < $1")
        .bind(before)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}
