//! The authorization endpoint: the person's side of signing in to an app. Signed-in and
//! assigned people go straight back to the app with a code (single sign-on); others sign
//! in first, see a refusal page with "Request access", or are asked for consent.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::{self, Signed};
use crate::db::packages::{self, Package};
use crate::domain::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::provider::authorize::{self, AuthRequest, AuthorizeParams, Checked, Next};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{Notice, PageCtx, render, render_with_status};
use crate::web::{actor, client_ip, see_other};

#[derive(Template)]
#[template(path = "oauth2/refused.html")]
struct RefusedPage {
    ctx: PageCtx,
    app_name: String,
    email: String,
    packages: Vec<Package>,
}

#[derive(Template)]
#[template(path = "oauth2/consent.html")]
struct ConsentPage {
    ctx: PageCtx,
    app_name: String,
    email: String,
    scopes: Vec<&'static str>,
    /// The request, form-encoded, carried through the consent form.
    request: String,
}

/// GET (query) or POST (form body): OIDC Core §3.1.2.1 asks for both.
pub async fn authorize(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let raw = super::query_or_form(&req, &body);
    let Ok(params) = serde_urlencoded::from_str::<AuthorizeParams>(&raw) else {
        return Ok(cannot_continue(
            ctx,
            "The app's sign-in request is malformed (a parameter is repeated or garbled).",
        ));
    };
    let r = match authorize::check(&state, &params).await? {
        Checked::NoRedirect(message) => return Ok(cannot_continue(ctx, &message)),
        Checked::ErrorRedirect(url) => return Ok(see_other(&url)),
        Checked::Valid(r) => r,
    };
    let signed = session::current_session(&req).await?;
    let who = who(&req, signed.as_ref());
    match authorize::decide(&state, &r, signed.as_ref(), false, &who).await? {
        Next::SignIn { login_marker } => {
            let again = AuthorizeParams { login_after: Some(login_marker), ..params };
            let next = format!("/oauth2/authorize?{}", serde_urlencoded::to_string(&again).unwrap_or_default());
            let mut to = url::form_urlencoded::Serializer::new(String::new());
            to.append_pair("next", &next);
            if let Some(hint) = r.login_hint.as_deref().filter(|h| h.contains('@')) {
                to.append_pair("email", hint);
            }
            Ok(see_other(&format!("/signin?{}", to.finish())))
        }
        Next::Redirect(url) => Ok(see_other(&url)),
        Next::Refused => refused(ctx, &state, &r, signed.as_ref()).await,
        // The second factor first (set up or used), then back to this very request.
        Next::SecondStep => Err(AppError::MfaRequired {
            next: format!("/oauth2/authorize?{}", serde_urlencoded::to_string(&params).unwrap_or_default()),
        }),
        Next::Terms => Err(AppError::TermsRequired {
            next: format!("/oauth2/authorize?{}", serde_urlencoded::to_string(&params).unwrap_or_default()),
        }),
        Next::AskConsent => Ok(render(&ConsentPage {
            ctx,
            app_name: r.app.name.clone(),
            email: signed.map(|s| s.user.email).unwrap_or_default(),
            scopes: r.scope.split(' ').filter_map(scope_words).collect(),
            request: serde_urlencoded::to_string(&params).unwrap_or_default(),
        })),
    }
}

fn who(req: &HttpRequest, signed: Option<&Signed>) -> Actor {
    match signed {
        Some(s) => actor(req, &s.user),
        None => Actor::anonymous(&client_ip(req)),
    }
}

fn cannot_continue(ctx: PageCtx, message: &str) -> HttpResponse {
    render_with_status(
        StatusCode::BAD_REQUEST,
        &Notice {
            ctx,
            title: "This sign-in cannot go on".into(),
            message: format!("{message} Tell the app's owner; there is nothing you can do here."),
            link: Some(("/apps".into(), "Go to your apps".into())),
        },
    )
}

async fn refused(ctx: PageCtx, state: &AppState, r: &AuthRequest, signed: Option<&Signed>) -> AppResult<HttpResponse> {
    let packages = {
        let mut c = state.db.acquire().await?;
        packages::published_granting(c.conn(), r.app.id).await?
    };
    let page = RefusedPage {
        ctx,
        app_name: r.app.name.clone(),
        email: signed.map(|s| s.user.email.clone()).unwrap_or_default(),
        packages,
    };
    Ok(render_with_status(StatusCode::FORBIDDEN, &page))
}

/// What a scope lets the app see, in words.
fn scope_words(scope: &str) -> Option<&'static str> {
    match scope {
        "email" => Some("your email address"),
        "profile" => Some("your name and whether you are a guest or a member"),
        "groups" => Some("the names of your groups"),
        _ => None,
    }
}

#[derive(Deserialize)]
pub struct ConsentForm {
    request: String,
    decision: String,
}

pub async fn consent(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    f: CsrfForm<ConsentForm>,
) -> AppResult<HttpResponse> {
    let Ok(params) = serde_urlencoded::from_str::<AuthorizeParams>(&f.form.request) else {
        return Ok(cannot_continue(ctx, "The sign-in request was garbled on the way."));
    };
    let r = match authorize::check(&state, &params).await? {
        Checked::NoRedirect(message) => return Ok(cannot_continue(ctx, &message)),
        Checked::ErrorRedirect(url) => return Ok(see_other(&url)),
        Checked::Valid(r) => r,
    };
    let signed = session::current_session(&req).await?;
    if f.form.decision != "allow" {
        let url = authorize::error_redirect(
            &state,
            &r.redirect_uri,
            "access_denied",
            "the person declined",
            r.state.as_deref(),
        );
        return Ok(see_other(&url));
    }
    let who = who(&req, signed.as_ref());
    match authorize::decide(&state, &r, signed.as_ref(), true, &who).await? {
        Next::Redirect(url) => Ok(see_other(&url)),
        Next::Refused => refused(ctx, &state, &r, signed.as_ref()).await,
        Next::SecondStep => Err(AppError::MfaRequired { next: format!("/oauth2/authorize?{}", f.form.request) }),
        Next::Terms => Err(AppError::TermsRequired { next: format!("/oauth2/authorize?{}", f.form.request) }),
        // Signed out meanwhile: start again from the app's request.
        Next::SignIn { .. } | Next::AskConsent => {
            Err(AppError::SignInRequired { next: format!("/oauth2/authorize?{}", f.form.request) })
        }
    }
}
