//! Security headers on every response (SPEC §4). The CSP is built per request: `img-src`
//! admits the configured logo's origin and `form-action` the enabled identity providers'
//! (the federation start POST redirects there, and browsers check redirects too).

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::{AppState, CspSources};

/// Powerful features no page of the portal uses; passkeys (WebAuthn) stay allowed here.
const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), \
    bluetooth=(), interest-cohort=(), publickey-credentials-get=(self), publickey-credentials-create=(self)";

pub fn content_security_policy(sources: &CspSources) -> String {
    let list = |first: &str, more: &[String]| {
        std::iter::once(first.to_string()).chain(more.iter().cloned()).collect::<Vec<_>>().join(" ")
    };
    let (img, forms) = (list("'self' data:", &sources.images), list("'self'", &sources.forms));
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {img}; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action {forms}"
    )
}

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut res = next.call(req).await?;
    // Without the sources (the database is down) the strictest policy still holds.
    let sources = match &state {
        Some(state) => crate::flows::settings::csp_sources(state).await.unwrap_or_default(),
        None => Default::default(),
    };
    let csp = content_security_policy(&sources);
    let https = state.as_ref().is_some_and(|s| s.settings.is_https());
    let h = res.headers_mut();
    let cached_elsewhere = h.contains_key("cache-control");
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    set("content-security-policy", &csp);
    set("permissions-policy", PERMISSIONS_POLICY);
    set("referrer-policy", "no-referrer");
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    set("cross-origin-opener-policy", "same-origin");
    if https {
        set("strict-transport-security", "max-age=31536000; includeSubDomains");
    }
    // Pages carry tokens and personal data: no caching (static files set their own).
    if !cached_elsewhere {
        set("cache-control", "no-store");
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::content_security_policy;
    use crate::state::CspSources;

    #[test]
    fn the_csp_names_the_logo_and_idp_origins_only() {
        let sources = CspSources {
            images: vec!["https://cdn.contoso.example".into()],
            forms: vec!["https://login.fabrikam.example".into()],
            any_idp_enabled: true,
        };
        let csp = content_security_policy(&sources);
        assert!(csp.contains("img-src 'self' data: https://cdn.contoso.example;"));
        assert!(csp.contains("form-action 'self' https://login.fabrikam.example"));
        assert!(!content_security_policy(&CspSources::default()).contains("https:"));
    }
}
