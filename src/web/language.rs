//! Which language a page is in — the one place it is decided: the signed-in person's
//! saved language (an invitation's language becomes the guest's), else the language the
//! reader chose with the switcher (a cookie), else their browser's (`Accept-Language`),
//! else English, the organization's default. `GET /language?to=de&back=/redeem/…` is the
//! switcher: it sets the cookie and goes back (no script, nothing else changes).

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::i18n::{self, Lang};

pub const COOKIE: &str = "lang";

pub fn of_request(req: &HttpRequest, saved: Option<&str>) -> Lang {
    decide(req, saved, None)
}

/// An invitation's page: the language its inviter chose comes after the reader's own
/// choice and before their browser's.
pub fn of_invitation(req: &HttpRequest, invited: &str) -> Lang {
    decide(req, None, Some(invited))
}

fn decide(req: &HttpRequest, saved: Option<&str>, invited: Option<&str>) -> Lang {
    let browser = || {
        req.headers().get(header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()).and_then(i18n::from_accept_language)
    };
    saved
        .and_then(Lang::shipped_of)
        .or_else(|| req.cookie(COOKIE).and_then(|c| Lang::parse(c.value())))
        .or_else(|| invited.and_then(Lang::shipped_of))
        .or_else(browser)
        .unwrap_or(Lang::En)
}

#[derive(Deserialize)]
pub struct Switch {
    to: String,
    #[serde(default)]
    back: String,
}

/// `GET /language`: remembers the choice for a year and goes back to the page (a path on
/// this portal only; anything else goes home).
pub async fn switch(q: web::Query<Switch>) -> HttpResponse {
    let back = if q.back.starts_with('/') && !q.back.starts_with("//") && !q.back.contains('\\') {
        q.back.as_str()
    } else {
        "/"
    };
    let mut to = HttpResponse::SeeOther();
    to.insert_header((header::LOCATION, back));
    if let Some(lang) = Lang::parse(&q.to) {
        let cookie = Cookie::build(COOKIE, lang.tag())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(Duration::days(365))
            .finish();
        to.cookie(cookie);
    }
    to.finish()
}
