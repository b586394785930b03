//! Groups: create, edit (with their apps), delete, members — each audited.

use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::groups::{self, Group};
use crate::db::links::{self, GROUP_APPS};
use crate::db::{Tx, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::{BoundedText, EmailAddress, FieldErrors};
use crate::error::AppResult;
use crate::state::AppState;

pub struct GroupInput {
    pub name: String,
    pub description: String,
    pub app_ids: Vec<Uuid>,
}

impl GroupInput {
    pub fn parse(name: &str, description: &str, app_ids: Vec<Uuid>) -> Result<GroupInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.take("name", BoundedText::required(name, "A name", 80));
        let description = e.take("description", BoundedText::parse(description, "The description", 500, true));
        match (name, description) {
            (Some(n), Some(d)) if e.is_empty() => {
                Ok(GroupInput { name: n.into_string(), description: d.into_string(), app_ids })
            }
            _ => Err(e),
        }
    }
}

fn name_taken() -> FieldErrors {
    let mut e = FieldErrors::default();
    e.add("name", "Another group has this name.");
    e
}

pub async fn create(state: &AppState, input: &GroupInput, actor: &Actor) -> AppResult<Result<Group, FieldErrors>> {
    let mut tx = state.db.begin().await?;
    let made = create_within(state, &mut tx, input, actor).await?;
    if made.is_ok() {
        tx.commit().await?;
    }
    Ok(made)
}

/// `create`, inside the caller's transaction (the API keeps its answer in it).
pub async fn create_within(
    state: &AppState,
    tx: &mut Tx,
    input: &GroupInput,
    actor: &Actor,
) -> AppResult<Result<Group, FieldErrors>> {
    let now = state.clock.now();
    let Some(group) = groups::insert(tx.conn(), &input.name, &input.description, now).await? else {
        return Ok(Err(name_taken()));
    };
    links::replace(tx.conn(), &GROUP_APPS, group.id, &input.app_ids).await?;
    audit::record(tx.conn(), actor, &Event::new(Action::GroupCreated, "group", group.id, &group.name), now).await?;
    Ok(Ok(group))
}

pub async fn update(
    state: &AppState,
    id: Uuid,
    input: &GroupInput,
    actor: &Actor,
) -> AppResult<Result<(), FieldErrors>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !groups::update(tx.conn(), id, &input.name, &input.description, now).await? {
        return Ok(Err(name_taken()));
    }
    links::replace(tx.conn(), &GROUP_APPS, id, &input.app_ids).await?;
    audit::record(tx.conn(), actor, &Event::new(Action::GroupUpdated, "group", id, &input.name), now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

pub async fn delete(state: &AppState, group: &Group, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    groups::delete(tx.conn(), group.id).await?;
    audit::record(tx.conn(), actor, &Event::new(Action::GroupDeleted, "group", group.id, &group.name), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds the user with this address; `Err` says why not.
pub async fn add_member(state: &AppState, group: &Group, email: &str, actor: &Actor) -> AppResult<Result<(), String>> {
    let mut tx = state.db.begin().await?;
    let added = add_member_within(state, &mut tx, group, email, actor).await?;
    if added.is_ok() {
        tx.commit().await?;
    }
    Ok(added)
}

/// `add_member`, inside the caller's transaction (the API keeps its answer in it).
pub async fn add_member_within(
    state: &AppState,
    tx: &mut Tx,
    group: &Group,
    email: &str,
    actor: &Actor,
) -> AppResult<Result<(), String>> {
    let Ok(email) = EmailAddress::parse(email) else {
        return Ok(Err("Enter an email address like name@partner.example.".into()));
    };
    let now = state.clock.now();
    let Some(user) = users::find_by_email(tx.conn(), email.as_str()).await? else {
        return Ok(Err(format!("There is no user {}. Invite them first.", email.as_str())));
    };
    groups::add_member(tx.conn(), group.id, user.id, None, now).await?;
    let ev = Event::new(Action::GroupMemberAdded, "group", group.id, &group.name).details(user.email.clone());
    audit::record(tx.conn(), actor, &ev, now).await?;
    Ok(Ok(()))
}

pub async fn remove_member(state: &AppState, group: &Group, user_id: Uuid, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let member = users::find(tx.conn(), user_id).await?;
    if groups::remove_member(tx.conn(), group.id, user_id).await? {
        // The id as before, and the address for people.
        let details = match member {
            Some(m) => format!("{user_id} ({})", m.email),
            None => user_id.to_string(),
        };
        let ev = Event::new(Action::GroupMemberRemoved, "group", group.id, &group.name).details(details);
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
