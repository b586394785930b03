//! Device cookies on the wire (the rules are `domain::device`, the MAC `secrets`): read from
//! the requests whose limits they change, and given to a browser once it has completed a
//! sign-in — second step included — so that the next time it is counted on its own.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, web};

use crate::domain::device::{Devices, LIFETIME};
use crate::state::AppState;

/// The cookies' names: this, then a tag per person (a browser may keep one for each person
/// who signed in on it). Over https the `__Host-` prefix pins them to this host, as the
/// session cookie is.
fn prefix(https: bool) -> &'static str {
    if https { "__Host-vestibule-device-" } else { "vestibule-device-" }
}

/// The current device cookies this request carries; any other is ignored.
pub fn devices(req: &HttpRequest, state: &AppState) -> Devices {
    let prefix = prefix(state.settings.is_https());
    let checked = match req.cookies() {
        Ok(all) => all
            .iter()
            .filter(|c| c.name().starts_with(prefix))
            .filter_map(|c| state.key.open_device_cookie(c.value()))
            .collect(),
        Err(_) => Vec::new(),
    };
    Devices::current(checked, state.clock.now())
}

/// A new device cookie for `email`: HttpOnly, SameSite=Lax, Secure over https, kept for
/// `LIFETIME` (signing out leaves it: it is no session, only a count of its own).
fn cookie(state: &AppState, email: &str) -> Cookie<'static> {
    let https = state.settings.is_https();
    let name = format!("{}{}", prefix(https), state.key.device_cookie_tag(email));
    Cookie::build(name, state.key.device_cookie(email, state.clock.now()))
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(LIFETIME.num_seconds()))
        .finish()
}

/// After each request: a browser whose session was checked and is complete (its second
/// step passed, where one is wanted) gets a device cookie for its person unless it has a
/// current one. Every way of signing in ends on such a request (the page it lands on), so
/// none is missed; a browser between the two steps gets none.
pub async fn remember_device(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    let Some(state) = res.request().app_data::<web::Data<AppState>>().cloned() else {
        return Ok(res);
    };
    let Some(user) = crate::auth::session::checked_user(res.request()) else {
        return Ok(res);
    };
    if devices(res.request(), &state).for_address(&user.email).is_none() {
        // Not added (it cannot fail for these names and values): the browser is counted as
        // any other, which is how it was before.
        res.response_mut().add_cookie(&cookie(&state, &user.email)).ok();
    }
    Ok(res)
}
