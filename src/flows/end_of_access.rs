//! F12 end of access: when every app assignment and group membership of a guest has ended
//! (a package's duration ran out), the end-of-access policy in Settings decides what
//! becomes of the account — nothing, sign-in blocked, or blocked and soft-deleted, to be
//! purged 30 days later unless an admin restores it (as when a guest leaves).

use crate::db::Tx;
use crate::db::audit::{self, Event};
use crate::db::users;
use crate::domain::audit::{Action, Actor};
use crate::domain::settings::EndOfAccess;
use crate::domain::user::UserState;
use crate::error::AppResult;
use crate::state::AppState;

/// Guests handled in one pass of the worker (the rest wait for the next).
const BATCH: i64 = 200;

/// The worker's part: applies the policy to each guest whose access ended; how many.
pub async fn apply_due(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let policy = super::settings::current(state).await?.end_of_access;
    let due = {
        let mut c = state.db.acquire().await?;
        users::access_ended(c.conn(), now, BATCH).await?
    };
    let mut applied = 0;
    for (user, ended) in due {
        let mut tx = state.db.begin().await?;
        // Marking first: with two workers, one acts.
        if !users::mark_access_ended(tx.conn(), user.id, ended).await? {
            continue;
        }
        apply(&mut tx, user.id, policy, now).await?;
        let ev = Event::new(Action::UserAccessEnded, "user", user.id, &user.email)
            .details(format!("policy={}", policy.as_str()));
        audit::record(tx.conn(), &Actor::system("end-of-access policy"), &ev, now).await?;
        tx.commit().await?;
        applied += 1;
    }
    Ok(applied)
}

/// Applies the policy to one guest in the caller's transaction (their access ended, or an
/// access review removed them).
pub(super) async fn apply(
    tx: &mut Tx,
    user_id: uuid::Uuid,
    policy: EndOfAccess,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    match policy {
        EndOfAccess::Nothing => {}
        EndOfAccess::Block => {
            users::set_state(tx.conn(), user_id, UserState::Blocked).await?;
            crate::auth::ending::all(tx.conn(), user_id, now).await?;
        }
        EndOfAccess::BlockThenDelete => {
            users::soft_delete(tx.conn(), user_id, now).await?;
            crate::auth::ending::all(tx.conn(), user_id, now).await?;
        }
    }
    Ok(())
}
