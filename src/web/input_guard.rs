//! Refuses, before any handler runs, a request whose path or query decodes to a NUL byte or
//! to bytes that are not UTF-8: PostgreSQL cannot store NUL in text (it answered 500), and
//! no route of the portal means either. Form bodies get the same check in `CsrfForm`.

use actix_web::Error;
use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::error::AppError;

pub async fn refuse_bad_bytes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let uri = req.uri();
    let bad = !clean(uri.path()) || uri.query().is_some_and(|q| !clean(q));
    if bad {
        let res = AppError::BadRequest("The address holds characters that are not allowed.".into()).error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Percent-decodes `raw` and checks the bytes (`+` for a space does not matter here).
fn clean(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && let Some(v) = raw.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    !out.contains(&0) && std::str::from_utf8(&out).is_ok()
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn nul_and_broken_utf8_are_caught_encoded_or_not() {
        assert!(clean("/admin/users"));
        assert!(clean("q=caf%C3%A9&page=2"));
        assert!(!clean("/auth/a%00b/start"));
        assert!(!clean("q=%FF%FE"));
        assert!(clean("q=100%25_"));
        assert!(clean("trailing%"));
    }
}
