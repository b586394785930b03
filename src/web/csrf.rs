//! Every state-changing form is a POST carrying the session's CSRF token (a synchronizer
//! token; SameSite=Lax cookies are the second line). `CsrfForm<T>` checks it and parses
//! the rest of the form into `T`. Repeated fields (checkbox lists) deserialize into `Vec`s
//! (`serde_html_form`): `app=…&app=…` is `app: Vec<Uuid>`.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub struct CsrfForm<T> {
    pub form: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let is_form = req
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            if !is_form {
                return Err(AppError::BadRequest("This address only takes a submitted form.".into()));
            }
            let body = body.await.map_err(|_| AppError::BadRequest("The form was too large.".into()))?;
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
            if pairs.iter().any(|(k, v)| k.contains('\0') || v.contains('\0')) {
                return Err(AppError::BadRequest("The form holds a character that is not allowed (NUL).".into()));
            }
            let sent = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
            check_token(&req, sent)?;
            let form = serde_html_form::from_bytes(&body)
                .map_err(|_| AppError::BadRequest("The form was incomplete. Reload the page and try again.".into()))?;
            Ok(CsrfForm { form })
        })
    }
}

/// The token a form sent against the session's.
fn check_token(req: &HttpRequest, sent: &str) -> Result<(), AppError> {
    let expected = req.get_session().get::<String>("csrf").ok().flatten().unwrap_or_default();
    if expected.is_empty() || !crate::secrets::constant_time_eq(sent, &expected) {
        tracing::warn!("CSRF token missing or wrong");
        return Err(AppError::Csrf);
    }
    Ok(())
}

/// A form with no fields but the token (buttons such as "Sign out").
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// Fields a form with a file has at most: the token, the file and a few options.
const MAX_UPLOAD_FIELDS: usize = 8;
/// Bytes a form with a file may hold beyond the file's own limit: its other fields and the
/// multipart framing.
const UPLOAD_MARGIN: usize = 64 * 1024;

/// Why a form with a file was not read. Without these limits the body was read whole, any
/// number of fields of any size (issue 23: 60 MB of extra fields were taken).
#[derive(Debug, thiserror::Error)]
pub enum UploadRefused {
    /// The body is no form with a file: said next to the field.
    #[error("{0}")]
    File(String),
    /// The file is over its limit (in bytes): said next to the field, with what the form's
    /// caller advises.
    #[error("The file is larger than {}.", size(*.0))]
    FileTooLarge(usize),
    /// The whole body is over the file's limit (in bytes) and a margin.
    #[error("The upload is larger than {}. Send only the form's file, and a smaller one if need be.", size(*.0))]
    TooLarge(usize),
    #[error("The form holds more fields than it has. Reload the page and send the file again.")]
    TooManyFields,
}

impl UploadRefused {
    pub fn status(&self) -> StatusCode {
        match self {
            UploadRefused::File(_) | UploadRefused::FileTooLarge(_) => StatusCode::UNPROCESSABLE_ENTITY,
            UploadRefused::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            UploadRefused::TooManyFields => StatusCode::BAD_REQUEST,
        }
    }
}

/// A limit in bytes as people read it: `5 MB`, `256 KB`.
fn size(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB { format!("{} MB", bytes.div_ceil(MB)) } else { format!("{} KB", bytes.div_ceil(1024)) }
}

/// A file sent with a form (`multipart/form-data`) and the CSRF token checked: the file's
/// bytes (field `file`) and name, and the form's other fields. A file larger than `max`
/// bytes, a body larger than that and a margin, and more than a few fields are refused with
/// a clear message; reading stops there.
pub struct CsrfUpload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    fields: Vec<(String, String)>,
}

impl CsrfUpload {
    pub async fn read(
        req: &HttpRequest,
        payload: web::Payload,
        max: usize,
    ) -> Result<Result<CsrfUpload, UploadRefused>, AppError> {
        use futures_util::StreamExt;
        let limit = max + UPLOAD_MARGIN;
        let too_large = UploadRefused::TooLarge(max);
        let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Ok(Err(too_large));
        }
        // Counts the body as it streams in (a chunked body declares no length) and cuts it
        // off past the limit; `seen` tells the multipart error that follows apart.
        let seen = Rc::new(Cell::new(0usize));
        let counter = Rc::clone(&seen);
        let body = payload.into_inner().map(move |chunk| {
            let chunk = chunk?;
            counter.set(counter.get().saturating_add(chunk.len()));
            if counter.get() > limit { Err(PayloadError::Overflow) } else { Ok(chunk) }
        });
        let over = || seen.get() > limit;
        let mut form = actix_multipart::Multipart::new(req.headers(), body);
        let (mut sent, mut file_name, mut bytes, mut fields) = (String::new(), String::new(), Vec::new(), Vec::new());
        let mut count = 0;
        while let Some(field) = form.next().await {
            let mut field = match field {
                Ok(field) => field,
                Err(_) if over() => return Ok(Err(too_large)),
                Err(_) => return Ok(Err(UploadRefused::File("This address only takes a form with a file.".into()))),
            };
            count += 1;
            if count > MAX_UPLOAD_FIELDS {
                return Ok(Err(UploadRefused::TooManyFields));
            }
            let name = field.name().unwrap_or_default().to_string();
            if name == "file" {
                file_name = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or_default().to_string();
            }
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(_) if over() => return Ok(Err(too_large)),
                    Err(_) => return Ok(Err(UploadRefused::File("The upload was cut off. Try again.".into()))),
                };
                if value.len() + chunk.len() > max {
                    return Ok(Err(UploadRefused::FileTooLarge(max)));
                }
                value.extend_from_slice(&chunk);
            }
            match name.as_str() {
                "csrf" => sent = String::from_utf8_lossy(&value).into_owned(),
                "file" => bytes = value,
                _ => fields.push((name, String::from_utf8_lossy(&value).into_owned())),
            }
        }
        check_token(req, &sent)?;
        let file_name = file_name.chars().filter(|c| !c.is_control()).take(200).collect();
        Ok(Ok(CsrfUpload { file_name, bytes, fields }))
    }

    /// A field sent with the file (a checkbox sends its value only when ticked).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}
