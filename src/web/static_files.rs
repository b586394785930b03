//! CSS, icons and scripts, embedded in the binary.

use actix_web::{HttpResponse, web};

use crate::error::AppError;

const FILES: &[(&str, &str, &str)] = &[
    ("style.css", "text/css; charset=utf-8", include_str!("../../static/style.css")),
    ("favicon.svg", "image/svg+xml", include_str!("../../static/favicon.svg")),
    ("forms.js", "text/javascript; charset=utf-8", include_str!("../../static/forms.js")),
    ("dates.js", "text/javascript; charset=utf-8", include_str!("../../static/dates.js")),
    ("passkeys.js", "text/javascript; charset=utf-8", include_str!("../../static/passkeys.js")),
];

pub async fn serve(name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, mime, body) = FILES.iter().find(|(n, _, _)| *n == name.as_str()).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().content_type(*mime).insert_header(("Cache-Control", "public, max-age=3600")).body(*body))
}

/// `/brand.css`: the accent colour from the settings page (a stylesheet, so the CSP needs no
/// inline styles). Shades are mixed from it.
pub async fn brand_css(state: web::Data<crate::state::AppState>) -> Result<HttpResponse, AppError> {
    let s = crate::flows::settings::current(&state).await?;
    let css = format!(
        ":root {{ --accent: {a}; --accent-dark: color-mix(in srgb, {a} 78%, black); \
         --accent-soft: color-mix(in srgb, {a} 11%, white); }}\n",
        a = s.accent
    );
    Ok(HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(css))
}
