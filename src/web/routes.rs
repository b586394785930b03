//! The route table, one resource per path: routes added with `route(path, method…)` are
//! grouped by path, so a method a path does not serve gets 405 with an `Allow` header
//! (actix's resource default) rather than a 404. HEAD is answered as GET without a body by
//! `head_as_get`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, Route, web};

#[derive(Default)]
pub struct Routes {
    /// Paths in the order first added: actix tries resources in registration order.
    paths: Vec<(&'static str, Vec<Route>)>,
}

impl Routes {
    pub fn route(&mut self, path: &'static str, route: Route) -> &mut Self {
        match self.paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, routes)) => routes.push(route),
            None => self.paths.push((path, vec![route])),
        }
        self
    }

    pub fn register(self, cfg: &mut web::ServiceConfig) {
        for (path, routes) in self.paths {
            let resource = routes.into_iter().fold(web::resource(path), |r, route| r.route(route));
            cfg.service(resource);
        }
    }
}

/// HEAD is routed as GET; the HTTP layer still knows the request was HEAD and sends the
/// headers without the body (RFC 9110 §9.3.2).
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
