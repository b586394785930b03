//! Uploaded images over HTTP: reading one from a form of its own (`multipart/form-data`,
//! the CSRF token checked, the size capped as it streams in), and serving one.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use crate::domain::image::{self, Image, ImageRefused};
use crate::error::{AppError, AppResult};
use crate::flows;
use crate::state::AppState;
use crate::web::csrf::{CsrfUpload, UploadRefused};

/// Why an upload was not taken: said next to the file field, with this status.
pub struct Refused {
    pub message: String,
    pub status: StatusCode,
}

/// The image in the form's `file` field, or why it was refused. A wrong CSRF token is an
/// error (403), as for every form.
pub async fn read(req: &HttpRequest, payload: web::Payload) -> AppResult<Result<Image, Refused>> {
    let upload = match CsrfUpload::read(req, payload, image::MAX_BYTES).await? {
        Ok(upload) => upload,
        Err(refused @ UploadRefused::FileTooLarge(_)) => {
            return Ok(Err(Refused { message: ImageRefused::TooLarge.to_string(), status: refused.status() }));
        }
        Err(refused) => return Ok(Err(Refused { message: refused.to_string(), status: refused.status() })),
    };
    Ok(Image::parse(upload.bytes)
        .map_err(|why| Refused { message: why.to_string(), status: StatusCode::UNPROCESSABLE_ENTITY }))
}

/// `GET /images/{id}`: an uploaded image, as the type its bytes were found to be (with
/// `nosniff` from `headers`). A new upload is a new id, so the bytes at this address never
/// change: browsers and proxies may keep them a year without asking again (`immutable`).
/// A revalidation that names the ETag (the bytes' SHA-256) gets 304.
pub async fn serve(req: HttpRequest, state: web::Data<AppState>, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let image = flows::images::find(&state, id.into_inner()).await?.ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", image.sha256);
    let cached = already_has(&req, &etag);
    let mut res = if cached { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((ETAG, etag.as_str())).insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"));
    if cached {
        return Ok(res.finish());
    }
    Ok(res.content_type(image.content_type.as_str()).body(image.bytes))
}

/// `If-None-Match` lists this ETag (weak comparison, RFC 9110 §13.1.2) or is `*`.
fn already_has(req: &HttpRequest, etag: &str) -> bool {
    let Some(header) = req.headers().get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    header.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}
