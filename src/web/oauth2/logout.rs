//! RP-Initiated Logout: an app sends the person here to sign out. Signing out changes
//! state, so the person confirms with a POST (and an app cannot sign people out by
//! embedding a link); someone not signed in goes straight back to the app.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::session;
use crate::db::apps::App;
use crate::error::AppResult;
use crate::provider::logout::{self, EndSession, EndSessionParams};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{Notice, PageCtx, render, render_with_status};
use crate::web::see_other;

#[derive(Template)]
#[template(path = "oauth2/end_session.html")]
struct ConfirmPage {
    ctx: PageCtx,
    app_name: Option<String>,
    request: String,
}

/// The app asking, and where to go afterwards; or what is wrong with the request.
type Checked = Result<(Option<App>, Option<String>), String>;

async fn checked(state: &AppState, raw: &str) -> AppResult<Checked> {
    let Ok(params) = serde_urlencoded::from_str::<EndSessionParams>(raw) else {
        return Ok(Err("The app's sign-out request is malformed.".into()));
    };
    Ok(match logout::check(state, &params).await.map_err(|e| e.into_app_error())? {
        EndSession::Invalid(message) => Err(message),
        EndSession::Confirm { app, redirect } => Ok((app, redirect)),
    })
}

fn invalid(ctx: PageCtx, message: String) -> HttpResponse {
    render_with_status(
        StatusCode::BAD_REQUEST,
        &Notice {
            ctx,
            title: "This sign-out cannot go on".into(),
            message: format!("{message} You are still signed in; sign out from the portal's menu if you wish."),
            link: Some(("/apps".into(), "Go to your apps".into())),
        },
    )
}

fn signed_out_page(redirect: Option<String>) -> HttpResponse {
    see_other(&redirect.unwrap_or_else(|| "/signin?signed_out=1".into()))
}

/// GET or POST (RP-Initiated Logout §2).
pub async fn end_session(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let raw = super::query_or_form(&req, &body);
    let (app, redirect) = match checked(&state, &raw).await? {
        Ok(found) => found,
        Err(message) => return Ok(invalid(ctx, message)),
    };
    if session::current_session(&req).await?.is_none() {
        return Ok(signed_out_page(redirect));
    }
    Ok(render(&ConfirmPage { ctx, app_name: app.map(|a| a.name), request: raw }))
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    request: String,
}

pub async fn confirm(
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    f: CsrfForm<ConfirmForm>,
) -> AppResult<HttpResponse> {
    let redirect = match checked(&state, &f.form.request).await? {
        Ok((_, redirect)) => redirect,
        Err(message) => return Ok(invalid(ctx, message)),
    };
    // Ending the session queues the back-channel logouts of the apps it signed in to.
    session::sign_out(&session, &state).await?;
    Ok(signed_out_page(redirect))
}
