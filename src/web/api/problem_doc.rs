//! The shape of a problem (RFC 9457) for the OpenAPI document; `Problem` in `mod.rs` is
//! what the handlers return and writes the same fields.

use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem, as every error of the API is sent (`application/problem+json`).
#[derive(Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {
    /// Always `about:blank`: the status says what kind of problem it is.
    r#type: String,
    title: String,
    status: u16,
    detail: String,
    /// For invalid fields: each field, as the API names it, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldProblem>>,
    /// The same in Microsoft Graph's shape, for code written against Graph.
    error: GraphErrorDoc,
}

#[derive(Serialize, ToSchema)]
pub struct GraphErrorDoc {
    /// Graph's code for the status, e.g. `Request_ResourceNotFound`.
    code: String,
    /// As `detail`.
    message: String,
}

#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    field: String,
    detail: String,
}

/// What any call of the API may answer besides its own outcomes.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only the document reads it
pub enum Refusals {
    #[response(status = 401, description = "No valid API key", content_type = "application/problem+json")]
    Unauthorized(ProblemDoc),
    #[response(status = 403, description = "The key lacks the scope", content_type = "application/problem+json")]
    Forbidden(ProblemDoc),
    #[response(
        status = 429,
        description = "Too many calls (Retry-After says when to try again); or an invitation sent too often",
        content_type = "application/problem+json"
    )]
    TooManyRequests(ProblemDoc),
}

/// What a call that takes a JSON body may answer about the body itself.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only the document reads it
pub enum BodyRefusals {
    #[response(
        status = 400,
        description = "A malformed body (not a JSON object of this shape) or Idempotency-Key",
        content_type = "application/problem+json"
    )]
    BadRequest(ProblemDoc),
    #[response(
        status = 413,
        description = "The body is larger than the call takes: 256 KB, 8 MB for a list",
        content_type = "application/problem+json"
    )]
    TooLarge(ProblemDoc),
    #[response(status = 415, description = "The body is not JSON", content_type = "application/problem+json")]
    NotJson(ProblemDoc),
}
