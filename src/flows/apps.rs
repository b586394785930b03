//! Apps: create, edit, delete, and assigning them to users — each audited.

use uuid::Uuid;

use crate::db::apps::{self, App, AppFields};
use crate::db::audit::{self, Event};
use crate::db::{assignments, users};
use crate::domain::audit::Actor;
use crate::domain::url::WebUrl;
use crate::domain::{BoundedText, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// An app as typed into the admin form, parsed.
pub struct AppInput {
    pub name: BoundedText,
    pub description: BoundedText,
    pub launch_url: WebUrl,
    pub icon_url: Option<WebUrl>,
    pub visible_in_panel: bool,
}

impl AppInput {
    pub fn parse(
        name: &str,
        description: &str,
        launch_url: &str,
        icon_url: &str,
        visible: bool,
    ) -> Result<AppInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.take("name", BoundedText::required(name, "A name", 80));
        let description = errors.take("description", BoundedText::parse(description, "The description", 500, true));
        let launch_url = errors.take("launch_url", WebUrl::parse(launch_url, "The launch URL"));
        let icon_url = if icon_url.trim().is_empty() {
            Some(None)
        } else {
            errors.take("icon_url", WebUrl::parse(icon_url, "The icon URL").map(Some))
        };
        match (name, description, launch_url, icon_url) {
            (Some(name), Some(description), Some(launch_url), Some(icon_url)) if errors.is_empty() => {
                Ok(AppInput { name, description, launch_url, icon_url, visible_in_panel: visible })
            }
            _ => Err(errors),
        }
    }

    fn fields(&self) -> AppFields<'_> {
        AppFields {
            name: self.name.as_str(),
            description: self.description.as_str(),
            launch_url: self.launch_url.as_str(),
            icon_url: self.icon_url.as_ref().map(|u| u.as_str()),
            visible_in_panel: self.visible_in_panel,
        }
    }
}

pub async fn create(state: &AppState, input: &AppInput, actor: &Actor) -> AppResult<App> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = apps::insert(tx.conn(), &input.fields(), now).await?;
    audit::record(tx.conn(), actor, &Event::new("app.created", "app", app.id, &app.name), now).await?;
    tx.commit().await?;
    state.csp_sources.forget();
    Ok(app)
}

pub async fn update(state: &AppState, id: Uuid, input: &AppInput, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !apps::update(tx.conn(), id, &input.fields(), now).await? {
        return Err(AppError::NotFound);
    }
    audit::record(tx.conn(), actor, &Event::new("app.updated", "app", id, input.name.as_str()), now).await?;
    tx.commit().await?;
    state.csp_sources.forget();
    Ok(())
}

pub async fn delete(state: &AppState, id: Uuid, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = apps::find(tx.conn(), id).await?.ok_or(AppError::NotFound)?;
    apps::delete(tx.conn(), id).await?;
    audit::record(tx.conn(), actor, &Event::new("app.deleted", "app", id, &app.name), now).await?;
    tx.commit().await?;
    state.csp_sources.forget();
    Ok(())
}

pub async fn assign(state: &AppState, app_id: Uuid, user_id: Uuid, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = apps::find(tx.conn(), app_id)
        .await?
        .ok_or_else(|| AppError::BadRequest("That app no longer exists.".into()))?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    let new = assignments::assign(tx.conn(), app_id, user_id, now).await?;
    if new {
        let ev =
            Event::new("app.assigned", "user", user.id, &user.email).details(format!("app={} ({})", app.id, app.name));
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    tx.commit().await?;
    Ok(new)
}

pub async fn unassign(state: &AppState, app_id: Uuid, user_id: Uuid, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    let removed = assignments::unassign(tx.conn(), app_id, user_id).await?;
    if removed {
        let ev = Event::new("app.unassigned", "user", user.id, &user.email).details(format!("app={app_id}"));
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    tx.commit().await?;
    Ok(removed)
}
