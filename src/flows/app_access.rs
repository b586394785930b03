//! Who may open an app, seen from the app ("Users and groups", as in Entra): the people it
//! is assigned to (directly or through an access package), the groups that give it, the
//! packages that hold it; and giving or taking it there. Each change is audited.

use uuid::Uuid;

use crate::db::assignments::{self, Holder};
use crate::db::audit::{self, Event};
use crate::db::groups::{self, Group};
use crate::db::links::{self, GROUP_APPS, PACKAGE_APPS};
use crate::db::packages::{self, Package};
use crate::db::{apps, users};
use crate::domain::EmailAddress;
use crate::domain::audit::{Action, Actor};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The most people the app's page lists (a count says when there are more).
pub const LISTED: i64 = 200;

pub struct AppAccess {
    pub people: Vec<Holder>,
    pub groups: Vec<Group>,
    pub packages: Vec<Package>,
    /// The groups that do not give the app yet: the page offers them.
    pub other_groups: Vec<Group>,
}

pub async fn of_app(state: &AppState, app_id: Uuid) -> AppResult<AppAccess> {
    let mut c = state.db.acquire().await?;
    let people = assignments::holders(c.conn(), app_id, LISTED).await?;
    let group_ids = links::owners(c.conn(), &GROUP_APPS, app_id).await?;
    let (groups, other_groups) = groups::all(c.conn()).await?.into_iter().partition(|g| group_ids.contains(&g.id));
    let package_ids = links::owners(c.conn(), &PACKAGE_APPS, app_id).await?;
    let packages = packages::all(c.conn()).await?.into_iter().filter(|p| package_ids.contains(&p.id)).collect();
    Ok(AppAccess { people, groups, packages, other_groups })
}

/// Assigns the app to the person with this address, or says why not.
pub async fn assign_by_email(
    state: &AppState,
    app_id: Uuid,
    email: &EmailAddress,
    actor: &Actor,
) -> AppResult<Result<String, String>> {
    let user = {
        let mut c = state.db.acquire().await?;
        users::find_by_email(c.conn(), email.as_str()).await?
    };
    let Some(user) = user else {
        return Ok(Err(format!("Nobody here has the address {email}: invite them first.")));
    };
    if super::apps::assign(state, app_id, user.id, actor).await? {
        Ok(Ok(format!("{} can now open the app.", user.display_name)))
    } else {
        Ok(Err(format!("Nothing changed: {} had the app already.", user.display_name)))
    }
}

/// Gives the app to every member of the group (`add`) or takes it from the group.
pub async fn set_group(state: &AppState, app_id: Uuid, group_id: Uuid, add: bool, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = apps::find(tx.conn(), app_id).await?.ok_or(AppError::NotFound)?;
    let group = groups::find(tx.conn(), group_id).await?.ok_or(AppError::NotFound)?;
    let changed = if add {
        links::add(tx.conn(), &GROUP_APPS, group.id, app.id).await?
    } else {
        links::remove(tx.conn(), &GROUP_APPS, group.id, app.id).await?
    };
    if changed {
        let action = if add { Action::GroupAppAdded } else { Action::GroupAppRemoved };
        let ev = Event::new(action, "group", group.id, &group.name).details(format!("app={} ({})", app.id, app.name));
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    tx.commit().await?;
    Ok(changed)
}
