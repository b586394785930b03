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
}

#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    field: String,
    detail: String,
}
