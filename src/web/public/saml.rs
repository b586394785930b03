//! A partner's SAML 2.0 IdP: our SP metadata for it, its answer (the AssertionConsumer
//! Service) and the browser's same-site step after it. The ACS is reached by a cross-site
//! POST that brings none of our cookies: it neither reads nor writes the session (a
//! `Set-Cookie` there would replace the browser's own) and always answers with a 303 to
//! `/auth/{slug}/saml/done`, where the browser's cookies are back and the answer is bound to
//! the sign-in this browser started.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;

use super::federation::{arrived, take_flow};
use crate::error::{AppError, AppResult};
use crate::federation::Purpose;
use crate::flows::saml::{self, MAX_POST_BYTES, Refusal};
use crate::state::AppState;
use crate::web::page::{Notice, PageCtx, render_with_status};
use crate::web::{client_ip, see_other};

/// `GET /auth/{slug}/saml/metadata`: our entityID and ACS for this IdP, for its admin to
/// import; `?download=1` as a file.
pub async fn metadata(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<DownloadQuery>,
) -> AppResult<HttpResponse> {
    let p = saml::find(&state, &slug).await?.ok_or(AppError::NotFound)?;
    let org = crate::flows::settings::current(&state).await?.org_name.clone();
    let mut res = HttpResponse::Ok();
    res.content_type("application/samlmetadata+xml; charset=utf-8");
    if q.download.is_some() {
        res.insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"vestibule-{}-sp-metadata.xml\"", p.idp.slug),
        ));
    }
    Ok(res.body(saml::our_metadata(&state, &p, &org).await?))
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    #[serde(default)]
    download: Option<String>,
}

#[derive(Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse", default)]
    saml_response: String,
    #[serde(rename = "RelayState", default)]
    relay_state: String,
}

/// `POST /auth/{slug}/saml/acs`, from the IdP through the browser.
pub async fn acs(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    mut body: web::Payload,
) -> AppResult<HttpResponse> {
    let p = saml::find(&state, &slug).await?.filter(|p| p.idp.enabled).ok_or(AppError::NotFound)?;
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest("The sign-in answer did not arrive whole.".into()))?;
        if bytes.len() + chunk.len() > MAX_POST_BYTES {
            crate::flows::federated::record_failure(&state, &slug, "SAML response too large", &client_ip(&req)).await?;
            return Ok(see_other(&done_url(&slug, "refused=invalid")));
        }
        bytes.extend_from_slice(&chunk);
    }
    let form: AcsForm = serde_urlencoded::from_bytes(&bytes)
        .unwrap_or(AcsForm { saml_response: String::new(), relay_state: String::new() });
    let query = match saml::receive(&state, &p, &form.saml_response, &form.relay_state, &client_ip(&req)).await? {
        Ok(handle) => format!("handle={handle}"),
        Err(Refusal::Invalid(_)) => "refused=invalid".into(),
        Err(Refusal::Stale(_)) => "refused=stale".into(),
        Err(Refusal::NoPersistentId) => "refused=no_persistent_id".into(),
    };
    Ok(see_other(&done_url(&slug, &query)))
}

fn done_url(slug: &str, query: &str) -> String {
    format!("/auth/{slug}/saml/done?{query}")
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    handle: String,
    #[serde(default)]
    refused: String,
}

/// `GET /auth/{slug}/saml/done`: the browser, with its cookies, after the ACS.
pub async fn done(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let p = saml::find(&state, &slug).await?.filter(|p| p.idp.enabled).ok_or(AppError::NotFound)?;
    let problem = |ctx, status, title: &str, message: String| {
        let link = Some(("/signin".to_string(), "Back to sign-in".to_string()));
        Ok(render_with_status(status, &Notice { ctx, title: title.into(), message, link }))
    };
    match q.refused.as_str() {
        "" => {}
        "no_persistent_id" => {
            let msg = format!(
                "{} did not send a lasting identifier for you, so your account here cannot be recognised next time. Nothing was changed. Ask your organization's IT team to release a persistent NameID (or the attribute agreed with this portal's administrators).",
                p.idp.display_name
            );
            return problem(
                ctx,
                StatusCode::FORBIDDEN,
                "Your organization's sign-in is not set up for this portal",
                msg,
            );
        }
        "stale" => {
            let msg = "This answer from your identity provider was already used, or the sign-in it belongs to has expired. Nothing was changed. Start again.";
            return problem(ctx, StatusCode::BAD_REQUEST, "This sign-in has expired", msg.into());
        }
        _ => {
            let msg = "The answer from your identity provider could not be verified, so nothing was changed. Start again; if it keeps happening, tell the person who invited you.";
            return problem(ctx, StatusCode::BAD_REQUEST, "Signing in did not complete", msg.into());
        }
    }
    // Taken from the session whatever happens next: one answer per started flow.
    let pending = take_flow(&session);
    let Some(arrival) = saml::arrive(&state, &p, &q.handle).await? else {
        let msg = "This sign-in was already completed, or it took too long. Start again.";
        return problem(ctx, StatusCode::BAD_REQUEST, "This sign-in has expired", msg.into());
    };
    let purpose = match (&arrival.request_id, pending) {
        (Some(_), pending) => {
            let now = state.clock.now().timestamp();
            match pending {
                Some(pending) if saml::started_here(Some(&pending), &slug, &arrival, now) => pending.purpose,
                _ => {
                    let what = "SAML answer brought to a browser that did not start its sign-in";
                    crate::flows::federated::record_failure(&state, &slug, what, &client_ip(&req)).await?;
                    let msg = "This sign-in was not started in this browser, or it was already used. Start again from the page you came from.";
                    return problem(ctx, StatusCode::BAD_REQUEST, "This sign-in link has expired", msg.into());
                }
            }
        }
        // IdP-initiated (allowed for this IdP): a sign-in, to a page of ours at most.
        (None, _) => {
            let next = if crate::domain::url::is_local_path(&arrival.relay_state) {
                arrival.relay_state.clone()
            } else {
                String::new()
            };
            Purpose::SignIn { next }
        }
    };
    arrived(&req, ctx, &state, &session, &p.idp, purpose, &arrival.who).await
}
