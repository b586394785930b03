//! Admin: an app's "Users and groups" — give it to a person by address or to a group, and
//! take it back, from the app's own page.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::domain::EmailAddress;
use crate::error::AppResult;
use crate::flows::{app_access, apps as app_flows};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{flash, flash_refused, flash_said};
use crate::web::{actor, see_other};

fn back(app_id: Uuid) -> HttpResponse {
    see_other(&format!("/admin/apps/{app_id}#access"))
}

#[derive(Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    email: String,
}

/// `POST /admin/apps/{id}/users`: the app for one more person, by address.
pub async fn add_person(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<PersonForm>,
) -> AppResult<HttpResponse> {
    let said = match EmailAddress::parse(&f.form.email) {
        Err(e) => Err(e.to_string()),
        Ok(email) => app_access::assign_by_email(&state, *id, &email, &actor(&req, &admin)).await?,
    };
    flash_said(&session, said);
    Ok(back(*id))
}

/// `POST /admin/apps/{id}/users/{user_id}/remove`: takes a direct assignment away.
pub async fn remove_person(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    path: web::Path<(Uuid, Uuid)>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (app_id, user_id) = path.into_inner();
    if app_flows::unassign(&state, app_id, user_id, &actor(&req, &admin)).await? {
        flash(&session, "The app was taken away from them.");
    } else {
        flash_refused(&session, "Nothing changed: they did not have the app directly.");
    }
    Ok(back(app_id))
}

#[derive(Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    group_id: String,
}

/// `POST /admin/apps/{id}/groups`: every member of the group gets the app.
pub async fn add_group(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<GroupForm>,
) -> AppResult<HttpResponse> {
    let Ok(group_id) = Uuid::parse_str(f.form.group_id.trim()) else {
        flash_refused(&session, "Choose a group from the list.");
        return Ok(back(*id));
    };
    if app_access::set_group(&state, *id, group_id, true, &actor(&req, &admin)).await? {
        flash(&session, "The group's members can now open the app.");
    } else {
        flash_refused(&session, "Nothing changed: the group gives the app already.");
    }
    Ok(back(*id))
}

/// `POST /admin/apps/{id}/groups/{group_id}/remove`.
pub async fn remove_group(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    path: web::Path<(Uuid, Uuid)>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (app_id, group_id) = path.into_inner();
    if app_access::set_group(&state, app_id, group_id, false, &actor(&req, &admin)).await? {
        flash(&session, "The group no longer gives the app.");
    } else {
        flash_refused(&session, "Nothing changed: the group did not give the app.");
    }
    Ok(back(app_id))
}
