//! Ending sessions: the records go, and each app signed in through them is told — a
//! back-channel logout queued in the same transaction (OpenID Connect Back-Channel Logout
//! 1.0), delivered by the worker. `db::sessions` only deletes; the queueing is here, so
//! every way of ending a session (sign-out, "sign out everywhere", block, reset, a change of
//! privilege) tells the apps the same way.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::oauth::{self, Ending};
use crate::db::{Conn, outbox, sessions};

/// Queues a back-channel logout for each app signed in through the ending sessions; their
/// grants (and refresh tokens) go with the session rows (ON DELETE CASCADE).
async fn tell_apps(mut c: Conn<'_>, ending: Ending<'_>, now: DateTime<Utc>) -> sqlx::Result<()> {
    for t in oauth::logout_targets(c.reborrow(), ending).await? {
        outbox::enqueue_backchannel_logout(c.reborrow(), &t, now).await?;
    }
    Ok(())
}

/// Ends the session whose token hashes to `hash` (this browser's sign-out).
pub async fn by_token_hash(mut c: Conn<'_>, hash: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    tell_apps(c.reborrow(), Ending::TokenHash(hash), now).await?;
    sessions::delete_by_token_hash(c, hash).await
}

/// Ends one of the user's sessions; false when it is not theirs (or gone).
pub async fn one(mut c: Conn<'_>, id: Uuid, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    if !sessions::for_user(c.reborrow(), user_id).await?.iter().any(|s| s.id == id) {
        return Ok(false);
    }
    tell_apps(c.reborrow(), Ending::Session(id), now).await?;
    sessions::delete(c, id, user_id).await
}

/// Ends every session of the user.
pub async fn all(mut c: Conn<'_>, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<u64> {
    tell_apps(c.reborrow(), Ending::AllOfUser(user_id), now).await?;
    sessions::delete_all(c, user_id).await
}
