//! What every page needs (organization name, CSRF token, signed-in user, flash message),
//! and rendering a template into a response.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use askama::Template;

use std::sync::Arc;

use actix_web::HttpMessage;

use crate::domain::settings::PortalSettings;
use crate::error::AppError;
use crate::state::AppState;

pub struct NavUser {
    pub name: String,
    pub is_admin: bool,
    /// Members see My guests and Approvals.
    pub is_member: bool,
}

/// The context of the base layout.
pub struct PageCtx {
    pub org_name: String,
    /// The uploaded logo's path, an https URL, or empty for the initial letter.
    pub logo_url: String,
    pub csrf: String,
    pub user: Option<NavUser>,
    /// The request's path: menus mark the page the person is on.
    pub path: String,
    /// The page's language (`web::language`).
    pub lang: crate::i18n::Lang,
    /// Read when the page renders, so a handler that redirects instead keeps the message.
    session: Option<Session>,
}

impl PageCtx {
    /// The letter in the brand mark.
    pub fn org_initial(&self) -> String {
        self.org_name.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default()
    }

    /// The admin menu's entries (address, words), in the order shown.
    pub fn admin_menu(&self) -> &'static [(&'static str, &'static str)] {
        ADMIN_MENU
    }

    /// The admin menu entry of the page shown: the longest one its path starts with.
    pub fn admin_here(&self) -> &'static str {
        ADMIN_MENU
            .iter()
            .filter(|(href, _)| self.path == *href || self.path.starts_with(&format!("{href}/")))
            .max_by_key(|(href, _)| href.len())
            .map(|(href, _)| *href)
            .unwrap_or("")
    }

    /// For an error page when even the portal's settings could not be read.
    pub fn bare() -> PageCtx {
        PageCtx {
            org_name: "Vestibule".into(),
            logo_url: String::new(),
            csrf: String::new(),
            user: None,
            path: String::new(),
            lang: crate::i18n::Lang::En,
            session: None,
        }
    }

    /// The catalogue's message `id` in the page's language.
    pub fn t(&self, id: &str) -> String {
        crate::i18n::t(self.lang, id)
    }

    /// …with one value put in.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        crate::i18n::t_args(self.lang, id, &[(name, value)])
    }

    /// …with two values put in.
    pub fn t2(&self, id: &str, n1: &str, v1: &str, n2: &str, v2: &str) -> String {
        crate::i18n::t_args(self.lang, id, &[(n1, v1), (n2, v2)])
    }

    /// The switcher's links: (language's tag, its name, whether it is this page's).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        crate::i18n::Lang::shipped().map(|(l, tag, name)| (tag, name, l == self.lang)).collect()
    }

    /// The one-time message for this page, taken out of the session. Looked for first:
    /// `remove` marks the session changed even when the key is absent, and a changed
    /// session is encrypted again and sent back as a new cookie on every page.
    pub fn flash(&self) -> Option<Flash> {
        let session = self.session.as_ref()?;
        session.get::<String>("flash").ok()??;
        let text = session.remove_as::<String>("flash")?.ok()?;
        let refused = session.get::<bool>("flash_refused").ok().flatten().is_some();
        if refused {
            session.remove("flash_refused");
        }
        Some(Flash { text, refused })
    }
}

/// Every admin page's menu: (address, words).
const ADMIN_MENU: &[(&str, &str)] = &[
    ("/admin", "Dashboard"),
    ("/admin/users", "Users"),
    ("/admin/invitations/new", "Invite a guest"),
    ("/admin/requests", "Access requests"),
    ("/admin/apps", "Apps"),
    ("/admin/groups", "Groups"),
    ("/admin/packages", "Access packages"),
    ("/admin/reviews", "Access reviews"),
    ("/admin/identity-providers", "Identity providers"),
    ("/admin/audit", "Audit log"),
    ("/admin/outbox", "Outbox"),
    ("/admin/do-not-invite", "Do-not-invite list"),
    ("/admin/api-keys", "API keys"),
    ("/admin/settings", "Settings"),
];

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    match session.get::<String>("csrf") {
        Ok(Some(t)) => t,
        _ => {
            let t = crate::secrets::session_secret();
            session.insert("csrf", &t).ok();
            t
        }
    }
}

/// The one-time message of the next page, said in the style of something done.
pub fn flash(session: &Session, message: impl Into<String>) {
    session.insert("flash", message.into()).ok();
    if session.get::<bool>("flash_refused").ok().flatten().is_some() {
        session.remove("flash_refused");
    }
}

/// The one-time message of the next page, said as a refusal or warning: nothing was done.
pub fn flash_refused(session: &Session, message: impl Into<String>) {
    session.insert("flash", message.into()).ok();
    session.insert("flash_refused", true).ok();
}

/// Either kind of flash: `Ok` says what was done, `Err` why nothing was.
pub fn flash_said(session: &Session, said: Result<String, String>) {
    match said {
        Ok(done) => flash(session, done),
        Err(refused) => flash_refused(session, refused),
    }
}

/// The message shown once at the top of a page.
pub struct Flash {
    pub text: String,
    /// A refusal or warning: shown in its own style and read out at once.
    pub refused: bool,
}

impl FromRequest for PageCtx {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = crate::auth::session::current(&req).await?;
            let lang = super::language::of_request(&req, user.as_ref().map(|u| u.language.as_str()));
            let session = req.get_session();
            let state = req
                .app_data::<actix_web::web::Data<crate::state::AppState>>()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
            let brand = portal(&req, state).await?;
            Ok(PageCtx {
                org_name: brand.org_name.clone(),
                logo_url: brand.logo_src(),
                csrf: csrf_token(&session),
                user: user.map(|u| NavUser {
                    name: u.display_name,
                    is_admin: u.is_admin,
                    is_member: u.user_type == crate::domain::user::MEMBER,
                }),
                path: req.path().to_string(),
                lang,
                session: Some(session),
            })
        })
    }
}

/// The portal's settings (brand, policies) for this request: read once, then kept with the
/// request for every extractor and page that asks again.
pub async fn portal(req: &HttpRequest, state: &AppState) -> Result<Arc<PortalSettings>, AppError> {
    if let Some(p) = req.extensions().get::<Arc<PortalSettings>>() {
        return Ok(p.clone());
    }
    let p = crate::flows::settings::current(state).await?;
    req.extensions_mut().insert(p.clone());
    Ok(p)
}

pub fn render<T: Template>(t: &T) -> HttpResponse {
    render_with_status(StatusCode::OK, t)
}

/// 422 for a form sent back with errors next to its fields.
pub fn render_invalid<T: Template>(t: &T) -> HttpResponse {
    render_with_status(StatusCode::UNPROCESSABLE_ENTITY, t)
}

/// A mailed link (an approver's, a reviewer's) opened in a browser signed in as another
/// person: refused, saying whose it is. `role` names the link's owner ("approver").
pub fn link_of_another(ctx: PageCtx, role: &str, link: &str, sent_to: &str, signed_in: &str) -> HttpResponse {
    render_with_status(
        StatusCode::FORBIDDEN,
        &Notice {
            ctx,
            title: format!("This link is for another {role}"),
            message: format!(
                "This {link} was sent to {sent_to}, but this browser is signed in as {signed_in}. Use the link from your own mail, or sign out first."
            ),
            link: None,
        },
    )
}

pub fn render_with_status<T: Template>(status: StatusCode, t: &T) -> HttpResponse {
    match t.render() {
        Ok(body) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            HttpResponse::InternalServerError().content_type("text/plain; charset=utf-8").body("Something went wrong.")
        }
    }
}

/// A page that tells the person what happened and what to do next.
#[derive(Template)]
#[template(path = "public/notice.html")]
pub struct Notice {
    pub ctx: PageCtx,
    pub title: String,
    pub message: String,
    pub link: Option<(String, String)>,
}
