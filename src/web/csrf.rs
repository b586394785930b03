//! Every state-changing form is a POST carrying the session's CSRF token (a synchronizer
//! token; SameSite=Lax cookies are the second line). `CsrfForm<T>` checks it and parses
//! the rest of the form into `T`. Repeated fields (checkbox lists) deserialize into `Vec`s
//! (`serde_html_form`): `app=…&app=…` is `app: Vec<Uuid>`.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::dev::Payload;
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

/// A file sent with a form (`multipart/form-data`) and the CSRF token checked: the file's
/// bytes (field `file`) and name, and the form's other fields. Larger than `max` bytes is
/// refused with a clear message.
pub struct CsrfUpload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    fields: Vec<(String, String)>,
}

impl CsrfUpload {
    pub async fn read(req: &HttpRequest, payload: web::Payload, max: usize) -> Result<CsrfUpload, AppError> {
        use futures_util::StreamExt;
        let payload = payload.into_inner();
        let mut form = actix_multipart::Multipart::new(req.headers(), payload);
        let (mut sent, mut file_name, mut bytes, mut fields) = (String::new(), String::new(), Vec::new(), Vec::new());
        while let Some(field) = form.next().await {
            let mut field =
                field.map_err(|_| AppError::BadRequest("This address only takes a form with a file.".into()))?;
            let name = field.name().unwrap_or_default().to_string();
            if name == "file" {
                file_name = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or_default().to_string();
            }
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| AppError::BadRequest("The upload was cut off. Try again.".into()))?;
                if value.len() + chunk.len() > max {
                    return Err(AppError::BadRequest(format!(
                        "The file is larger than {} MB. Split it into smaller files.",
                        max / (1024 * 1024)
                    )));
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
        Ok(CsrfUpload { file_name, bytes, fields })
    }

    /// A field sent with the file (a checkbox sends its value only when ticked).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}
