//! F11, the admin's side: mail that could not be delivered is listed, and can be tried
//! again now (audited).

use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::outbox;
use crate::domain::audit::{Action, Actor};
use crate::error::AppResult;
use crate::state::AppState;

/// Puts a message back in line for the worker's next pass; false when it was delivered.
pub async fn retry(state: &AppState, id: Uuid, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(message) = outbox::retry_now(tx.conn(), id, now).await? else { return Ok(false) };
    let ev = Event::new(Action::OutboxRetried, "outbox", message.id, &message.recipient).details(message.kind.clone());
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(true)
}
