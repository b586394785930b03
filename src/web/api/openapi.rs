//! The API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! annotations and the types' `ToSchema`, served at `/api/v1/openapi.json`; and a
//! reference page made from it (our own template: no CDN, no script, the CSP holds).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::Value;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi};

use super::problem_doc::{FieldProblem, ProblemDoc};
use super::{apps, audit, bulk, directory, group_changes, groups, invitations, requests, reviews, users};
use crate::state::AppState;
use crate::web::page::{PageCtx, render};

struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("vst_…".into());
        http.description = Some("An API key made on Admin → API keys: `Authorization: Bearer vst_…`.".into());
        doc.components.get_or_insert_with(Default::default).add_security_scheme("api_key", SecurityScheme::Http(http));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vestibule API",
        version = "1",
        description = "Invite guests and look after them from your own programs. Modelled on Microsoft Graph's invitation resource. Authenticate with an API key (Admin → API keys); each key has scopes and a rate limit (429 with Retry-After beyond it). Errors are RFC 9457 problems. Every POST honours an `Idempotency-Key` header (1 to 255 visible characters): the same key and body within 24 hours gets the first answer again, marked `Idempotent-Replayed: true`; the same key with another body is a 422; a retry while the first is still running waits for it and gets its answer. The answer is kept in the same transaction as the change, so a retry after a lost answer never makes the change twice."
    ),
    paths(
        invitations::create,
        invitations::list,
        invitations::show,
        invitations::resend,
        invitations::revoke,
        bulk::create,
        bulk::show,
        users::list,
        users::show,
        users::block,
        users::unblock,
        users::extend,
        users::update,
        users::remove,
        apps::list,
        apps::assign,
        apps::unassign,
        groups::list,
        group_changes::create,
        group_changes::show,
        group_changes::update,
        group_changes::delete,
        group_changes::add_member_ref,
        group_changes::remove_member_ref,
        directory::show,
        groups::list_members,
        groups::add_member,
        groups::remove_member,
        requests::list,
        requests::show,
        requests::decide,
        reviews::list,
        reviews::show,
        reviews::decisions,
        audit::list
    ),
    components(schemas(ProblemDoc, FieldProblem, invitations::StatusWord)),
    modifiers(&BearerKeys),
    tags(
        (name = "invitations", description = "Invitations of guests (scope `invitations:write`)"),
        (name = "users", description = "Guests and members (scopes `users:read`, `users:write`)"),
        (name = "apps", description = "The apps, and giving them to users (scopes `users:read`, `users:write`)"),
        (name = "groups", description = "Groups and their members (scope `groups:write`)"),
        (name = "requests", description = "Partners' sign-up requests (scopes `requests:read`, `requests:write`)"),
        (name = "accessReviews", description = "Access reviews and their decisions, read-only (scope `reviews:read`)"),
        (name = "audit", description = "The audit log (scope `audit:read`)")
    )
)]
pub struct ApiDoc;

/// The document, with this portal as its server and the rules annotations cannot state
/// (`openapi_rules`).
pub fn document(state: &AppState) -> Value {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![Server::new(state.settings.public_url.clone())]);
    let mut doc = serde_json::to_value(doc).unwrap_or(Value::Null);
    super::openapi_rules::apply(&mut doc);
    doc
}

/// `GET /api/v1/openapi.json`: open to anyone (it holds no secret).
pub async fn json(state: web::Data<AppState>) -> HttpResponse {
    let doc = document(&state);
    super::json(StatusCode::OK, &doc)
}

/// One operation on the reference page (descriptions are HTML made by `prose`).
struct Operation {
    method: String,
    path: String,
    summary: String,
    description: String,
    scopes: String,
    parameters: Vec<(String, String, String)>,
    body: Option<String>,
    responses: Vec<(String, String, String)>,
}

/// One schema on the reference page: its fields (name, type, required, description).
struct Schema {
    name: String,
    description: String,
    fields: Vec<(String, String, bool, String)>,
}

#[derive(Template)]
#[template(path = "api/reference.html")]
struct ReferencePage {
    ctx: PageCtx,
    base: String,
    description: String,
    operations: Vec<Operation>,
    schemas: Vec<Schema>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The document's prose as HTML: escaped, with `backticks` as code.
fn prose(v: &Value) -> String {
    let escaped = text(v).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    escaped
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("<code>{part}</code>") } else { part.to_string() })
        .collect()
}

/// A schema's type in words: `string (uuid)`, `array of Invitation`, `Problem`.
fn type_of(v: &Value) -> String {
    if let Some(r) = v["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(all) = v["oneOf"].as_array().or(v["allOf"].as_array()) {
        return all.iter().map(type_of).filter(|t| t != "null").collect::<Vec<_>>().join(" or ");
    }
    let ty = match &v["type"] {
        Value::Array(types) => {
            types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect::<Vec<_>>().join(" or ")
        }
        other => text(other),
    };
    match (ty.as_str(), v["format"].as_str()) {
        ("array", _) => format!("array of {}", type_of(&v["items"])),
        (t, Some(f)) => format!("{t} ({f})"),
        (t, None) => t.to_string(),
    }
}

/// `GET /api/v1/docs`: the reference, readable in a browser.
pub async fn reference(ctx: PageCtx, state: web::Data<AppState>) -> HttpResponse {
    let doc = document(&state);
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "patch", "put", "delete"] {
            let op = &item[method];
            if op.is_null() {
                continue;
            }
            let scopes = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| {
                    s.as_object().into_iter().flatten().flat_map(|(_, v)| v.as_array().cloned().unwrap_or_default())
                })
                .map(|s| text(&s))
                .collect::<Vec<_>>()
                .join(", ");
            let parameters = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    (
                        text(&p["name"]),
                        format!("{}, {}", text(&p["in"]), type_of(&p["schema"])),
                        text(&p["description"]),
                    )
                })
                .collect();
            let body = op["requestBody"]["content"]["application/json"]["schema"]
                .as_object()
                .map(|_| type_of(&op["requestBody"]["content"]["application/json"]["schema"]));
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, r)| {
                    let content =
                        r["content"].as_object().and_then(|c| c.values().next()).map(|c| type_of(&c["schema"]));
                    (status.clone(), text(&r["description"]), content.unwrap_or_default())
                })
                .collect();
            operations.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&op["summary"]),
                description: prose(&op["description"]),
                scopes,
                parameters,
                body,
                responses,
            });
        }
    }
    let mut schemas = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        let required: Vec<String> = schema["required"].as_array().into_iter().flatten().map(text).collect();
        let fields = schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(f, v)| (f.clone(), type_of(v), required.contains(f), prose(&v["description"])))
            .collect();
        let mut description = prose(&schema["description"]);
        if let Some(values) = schema["enum"].as_array() {
            let values: Vec<String> = values.iter().map(|v| format!("<code>{}</code>", prose(v))).collect();
            description = format!("{description} One of: {}.", values.join(", ")).trim().to_string();
        }
        schemas.push(Schema { name: name.clone(), description, fields });
    }
    let base = state.settings.public_url.clone();
    render(&ReferencePage { ctx, base, description: prose(&doc["info"]["description"]), operations, schemas })
}
