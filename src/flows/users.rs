//! Changes to a user's account: block, unblock, admin rights, profile, sign out everywhere.

use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::{Tx, users};
use crate::domain::DisplayName;
use crate::domain::audit::{Action, Actor};
use crate::domain::user::UserState;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Blocks or unblocks; blocking ends the user's sessions at once.
pub async fn set_blocked(state: &AppState, user_id: Uuid, blocked: bool, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    blocked_within(&mut tx, &user, blocked, actor, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn blocked_within(
    tx: &mut Tx,
    user: &users::User,
    blocked: bool,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    if actor.id == Some(user.id) {
        return Err(AppError::BadRequest("You cannot block your own account.".into()));
    }
    // Unblocking would leave its purge scheduled: restoring is what brings it back.
    if user.deleted_at.is_some() && !blocked {
        return Err(AppError::BadRequest("This account was deleted: restore it instead.".into()));
    }
    // Every state named, no wildcard: a new state does not compile until this is decided.
    let (to, action) = match (blocked, user.state) {
        (true, UserState::Blocked) | (false, UserState::Accepted) | (false, UserState::PendingAcceptance) => {
            return Ok(());
        }
        (true, UserState::Accepted) | (true, UserState::PendingAcceptance) => (UserState::Blocked, Action::UserBlocked),
        // Unblocked users go back to accepted if they ever accepted, else pending.
        (false, UserState::Blocked) => (
            if user.accepted_at.is_some() { UserState::Accepted } else { UserState::PendingAcceptance },
            Action::UserUnblocked,
        ),
    };
    users::set_state(tx.conn(), user.id, to).await?;
    crate::auth::ending::all(tx.conn(), user.id, now).await?;
    if to == UserState::Blocked {
        super::api_keys::revoke_all_of(tx.conn(), user, "creator blocked", actor, now).await?;
    }
    audit::record(tx.conn(), actor, &Event::new(action, "user", user.id, &user.email), now).await?;
    Ok(())
}

/// Changes to an account asked for together (the API's `PATCH /users/{id}`): each part
/// that is given and differs is made and audited, all in one transaction.
#[derive(Debug, Default)]
pub struct Change {
    pub display_name: Option<DisplayName>,
    pub company: Option<String>,
    pub enabled: Option<bool>,
}

pub async fn update(state: &AppState, user_id: Uuid, change: &Change, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    if let Some(name) = change.display_name.as_ref().filter(|n| n.as_str() != user.display_name) {
        renamed_within(&mut tx, &user, name, actor, now).await?;
    }
    if let Some(company) = change.company.as_ref().filter(|c| **c != user.company) {
        users::set_company(tx.conn(), user.id, company).await?;
        let ev = Event::new(Action::UserCompanyChanged, "user", user.id, &user.email)
            .details(crate::domain::audit_details::pair("company", company));
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    if let Some(enabled) = change.enabled {
        blocked_within(&mut tx, &user, !enabled, actor, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Why admin rights were not changed.
#[derive(Debug, thiserror::Error)]
pub enum AdminRefused {
    #[error("Only members of the organization can be admins, not guests.")]
    Guest,
    #[error("This is the last admin: make someone else an admin first.")]
    LastAdmin,
}

/// Makes a member an admin, or takes the rights back (never from the last admin who can
/// sign in). A change of privilege ends the user's sessions: they sign in anew with it.
/// Taking the rights back revokes the API keys they made (blocking does too).
pub async fn set_admin(
    state: &AppState,
    user_id: Uuid,
    admin: bool,
    actor: &Actor,
) -> AppResult<Result<(), AdminRefused>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    if user.is_admin == admin {
        return Ok(Ok(()));
    }
    if user.user_type != crate::domain::user::MEMBER {
        return Ok(Err(AdminRefused::Guest));
    }
    if !admin && users::active_admins_locked(tx.conn()).await?.iter().all(|id| *id == user.id) {
        return Ok(Err(AdminRefused::LastAdmin));
    }
    users::set_admin(tx.conn(), user.id, admin).await?;
    crate::auth::ending::all(tx.conn(), user.id, now).await?;
    if !admin {
        super::api_keys::revoke_all_of(tx.conn(), &user, "creator no longer an admin", actor, now).await?;
    }
    let action = if admin { Action::UserMadeAdmin } else { Action::UserAdminRemoved };
    audit::record(tx.conn(), actor, &Event::new(action, "user", user.id, &user.email), now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Gives a member the inviter role (they may invite guests when Settings let only admins
/// and inviters do), or takes it back.
pub async fn set_inviter(state: &AppState, user_id: Uuid, inviter: bool, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    if user.is_inviter == inviter {
        return Ok(());
    }
    if user.user_type != crate::domain::user::MEMBER {
        return Err(AppError::BadRequest("Only members of the organization can have the inviter role.".into()));
    }
    users::set_inviter(tx.conn(), user.id, inviter).await?;
    let action = if inviter { Action::UserMadeInviter } else { Action::UserInviterRemoved };
    audit::record(tx.conn(), actor, &Event::new(action, "user", user.id, &user.email), now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn rename(state: &AppState, user_id: Uuid, name: &DisplayName, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    renamed_within(&mut tx, &user, name, actor, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The new name and its audit event, in the caller's transaction.
async fn renamed_within(
    tx: &mut Tx,
    user: &users::User,
    name: &DisplayName,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    users::set_display_name(tx.conn(), user.id, name.as_str()).await?;
    let ev = Event::new(Action::UserRenamed, "user", user.id, &user.email).details(format!(
        "{} -> {}",
        user.display_name,
        name.as_str()
    ));
    audit::record(tx.conn(), actor, &ev, now).await?;
    Ok(())
}

/// Ends every session of the user, this one included.
pub async fn sign_out_everywhere(state: &AppState, user_id: Uuid, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    crate::auth::ending::all(tx.conn(), user.id, now).await?;
    audit::record(tx.conn(), actor, &Event::new(Action::UserSignedOutEverywhere, "user", user.id, &user.email), now)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends one session of the user's; false when it was not theirs or already over.
pub async fn end_session(state: &AppState, user_id: Uuid, session_id: Uuid, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    if !crate::auth::ending::one(tx.conn(), session_id, user.id, now).await? {
        return Ok(false);
    }
    let ev =
        Event::new(Action::UserSessionEnded, "user", user.id, &user.email).details(format!("session={session_id}"));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(true)
}
