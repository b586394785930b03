//! Access packages: create, edit (apps, groups, approvers), delete — each audited.

use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::links::{self, PACKAGE_APPROVERS, PACKAGE_APPS, PACKAGE_GROUPS};
use crate::db::packages::{self, Package, PackageFields};
use crate::db::users;
use crate::domain::FieldErrors;
use crate::domain::audit::{Action, Actor};
use crate::domain::package::PackageInput;
use crate::error::AppResult;
use crate::state::AppState;

/// What a package grants and who approves it.
pub struct Contents {
    pub app_ids: Vec<Uuid>,
    pub group_ids: Vec<Uuid>,
    pub approver_ids: Vec<Uuid>,
}

fn fields(i: &PackageInput) -> PackageFields<'_> {
    PackageFields {
        name: &i.name,
        description: &i.description,
        approval_mode: i.approval_mode,
        duration_days: i.duration_days,
        domains: &i.domains,
        published: i.published,
    }
}

fn name_taken() -> FieldErrors {
    let mut e = FieldErrors::default();
    e.add("name", "Another access package has this name.");
    e
}

async fn set_contents(tx: &mut crate::db::Tx, id: Uuid, c: &Contents) -> AppResult<Result<(), FieldErrors>> {
    // Approvers are members of the host (the form lists only them; check anyway).
    for approver in &c.approver_ids {
        if users::find(tx.conn(), *approver).await?.is_none_or(|u| u.user_type != crate::domain::user::MEMBER) {
            let mut e = FieldErrors::default();
            e.add("approvers", "Approvers must be members of the organization.");
            return Ok(Err(e));
        }
    }
    links::replace(tx.conn(), &PACKAGE_APPS, id, &c.app_ids).await?;
    links::replace(tx.conn(), &PACKAGE_GROUPS, id, &c.group_ids).await?;
    links::replace(tx.conn(), &PACKAGE_APPROVERS, id, &c.approver_ids).await?;
    Ok(Ok(()))
}

pub async fn create(
    state: &AppState,
    input: &PackageInput,
    contents: &Contents,
    actor: &Actor,
) -> AppResult<Result<Package, FieldErrors>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(package) = packages::insert(tx.conn(), &fields(input), now).await? else {
        return Ok(Err(name_taken()));
    };
    if let Err(e) = set_contents(&mut tx, package.id, contents).await? {
        return Ok(Err(e));
    }
    let ev = Event::new(Action::AccessPackageCreated, "access_package", package.id, &package.name);
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(Ok(package))
}

pub async fn update(
    state: &AppState,
    id: Uuid,
    input: &PackageInput,
    contents: &Contents,
    actor: &Actor,
) -> AppResult<Result<(), FieldErrors>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !packages::update(tx.conn(), id, &fields(input), now).await? {
        return Ok(Err(name_taken()));
    }
    if let Err(e) = set_contents(&mut tx, id, contents).await? {
        return Ok(Err(e));
    }
    let ev = Event::new(Action::AccessPackageUpdated, "access_package", id, &input.name);
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

pub async fn delete(state: &AppState, package: &Package, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    packages::delete(tx.conn(), package.id).await?;
    let ev = Event::new(Action::AccessPackageDeleted, "access_package", package.id, &package.name);
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn contents(state: &AppState, id: Uuid) -> AppResult<Contents> {
    let mut c = state.db.acquire().await?;
    Ok(Contents {
        app_ids: links::items(c.conn(), &PACKAGE_APPS, id).await?,
        group_ids: links::items(c.conn(), &PACKAGE_GROUPS, id).await?,
        approver_ids: links::items(c.conn(), &PACKAGE_APPROVERS, id).await?,
    })
}
