//! What the handlers' annotations cannot say, added to the generated document so that it
//! states exactly what the server takes — a schema-driven client or fuzzer then finds no
//! valid data refused and no invalid data taken: the text rules of `domain::text`, Graph's
//! fixed group flags, the mail language and member-reference forms, and the links between
//! operations (which id of an answer the next call takes) that clients and schemathesis's
//! stateful phase follow.

use serde_json::{Value, json};

use crate::domain::text::{multi_line_pattern, required_line_pattern, single_line_pattern};

/// How a text property is read (`domain::text`).
#[derive(Clone, Copy)]
enum Text {
    /// One line, may be empty (`BoundedText::parse`, `DisplayName::parse_optional`).
    Line,
    /// One line with something besides white space (`BoundedText::required`, `DisplayName`).
    Required,
    /// Several lines (`BoundedText::parse` with newlines).
    Lines,
}

/// (schema, property, rule, most characters).
const TEXT: &[(&str, &str, Text, u32)] = &[
    ("NewInvitation", "invitedUserDisplayName", Text::Line, 100),
    ("MessageInfo", "customizedMessageBody", Text::Lines, 2000),
    ("NewGroup", "displayName", Text::Required, 80),
    ("NewGroup", "description", Text::Lines, 500),
    ("GroupPatch", "displayName", Text::Required, 80),
    ("GroupPatch", "description", Text::Lines, 500),
    ("UserPatch", "displayName", Text::Required, 100),
    ("UserPatch", "companyName", Text::Line, 100),
    ("Decision", "note", Text::Lines, 1000),
];

/// A member reference (`group_changes::referenced`): a path ending in the user's id.
pub const MEMBER_REFERENCE: &str =
    "^([\\s\\S]*/)?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/*$";

pub fn apply(doc: &mut Value) {
    for (schema, property, rule, max) in TEXT {
        let pattern = match rule {
            Text::Line => single_line_pattern(),
            Text::Required => required_line_pattern(),
            Text::Lines => multi_line_pattern(),
        };
        set(doc, schema, property, &[("pattern", json!(pattern)), ("maxLength", json!(max))]);
    }
    set(doc, "MessageInfo", "messageLanguage", &[("pattern", json!(crate::i18n::tag_pattern()))]);
    // Graph sends to one Cc recipient (`MessageInfo::check`).
    set(doc, "MessageInfo", "ccRecipients", &[("maxItems", json!(1))]);
    set(doc, "MemberRef", "@odata.id", &[("pattern", json!(MEMBER_REFERENCE))]);
    // Graph's security group, the only kind kept here.
    set(doc, "NewGroup", "mailEnabled", &[("enum", json!([false, null]))]);
    set(doc, "NewGroup", "securityEnabled", &[("enum", json!([true, null]))]);
    set(doc, "NewGroup", "groupTypes", &[("maxItems", json!(0))]);
    rows_take_any_text(doc);
    link_operations(doc);
}

/// A bulk list's rows are not refused for their fields: a row whose message breaks the
/// rules is reported as `invalid` in the job. Their message info is therefore its own
/// schema, without the text rule (the language and Cc rules refuse the whole list).
fn rows_take_any_text(doc: &mut Value) {
    let mut row_info = doc["components"]["schemas"]["MessageInfo"].clone();
    if let Some(body) = row_info["properties"].get_mut("customizedMessageBody").and_then(Value::as_object_mut) {
        body.remove("pattern");
        body.remove("maxLength");
    }
    row_info["description"] = json!("As `MessageInfo`; a row's message is checked with the row.");
    doc["components"]["schemas"]["RowMessageInfo"] = row_info;
    let property = &mut doc["components"]["schemas"]["BulkRow"]["properties"]["invitedUserMessageInfo"];
    let pointed = property.to_string().replace("/schemas/MessageInfo\"", "/schemas/RowMessageInfo\"");
    match serde_json::from_str(&pointed) {
        Ok(v) if pointed.contains("RowMessageInfo") => *property = v,
        _ => missing("BulkRow.invitedUserMessageInfo's reference to MessageInfo"),
    }
}

/// Sets keywords on a schema's property. One that is not there (a field renamed) is a
/// panic in debug builds, so the tests that read the document fail rather than the rule
/// being lost quietly; in a release build it is logged.
fn set(doc: &mut Value, schema: &str, property: &str, keywords: &[(&str, Value)]) {
    // Looked at before it is written to: writing through a missing key would add it.
    if !doc["components"]["schemas"][schema]["properties"][property].is_object() {
        return missing(&format!("{schema}.{property}"));
    }
    let p = &mut doc["components"]["schemas"][schema]["properties"][property];
    for (k, v) in keywords {
        p[*k] = v.clone();
    }
}

fn missing(what: &str) {
    tracing::error!("the API document has no {what}");
    debug_assert!(false, "the API document has no {what}");
}

/// The parameters a link fills, each from a runtime expression.
type Fills = &'static [(&'static str, &'static str)];
/// (from path, method, status, link name, to path, method, what it fills)
type Link = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, Fills);

const INVITED_ID: Fills = &[("id", "$response.body#/invitedUser/id")];
const ANSWER_ID: Fills = &[("id", "$response.body#/id")];
const FIRST_ID: Fills = &[("id", "$response.body#/value/0/id")];
const GIVEN_APP: Fills = &[("id", "$request.path.id"), ("appId", "$request.body#/id")];
const MEMBER: Fills = &[("id", "$request.path.id"), ("userId", "$request.body#/id")];

const LINKS: &[Link] = &[
    ("/api/v1/invitations", "post", "201", "ReadInvitation", "/api/v1/invitations/{id}", "get", ANSWER_ID),
    ("/api/v1/invitations", "post", "201", "ResendInvitation", "/api/v1/invitations/{id}/resend", "post", ANSWER_ID),
    ("/api/v1/invitations", "post", "201", "RevokeInvitation", "/api/v1/invitations/{id}/revoke", "post", ANSWER_ID),
    ("/api/v1/invitations", "post", "201", "ReadGuest", "/api/v1/users/{id}", "get", INVITED_ID),
    ("/api/v1/invitations", "post", "201", "ReadObject", "/api/v1/directoryObjects/{id}", "get", INVITED_ID),
    ("/api/v1/invitations", "post", "201", "ChangeGuest", "/api/v1/users/{id}", "patch", INVITED_ID),
    ("/api/v1/invitations", "post", "201", "BlockGuest", "/api/v1/users/{id}/block", "post", INVITED_ID),
    ("/api/v1/invitations", "post", "201", "UnblockGuest", "/api/v1/users/{id}/unblock", "post", INVITED_ID),
    ("/api/v1/invitations", "post", "201", "ExtendGuest", "/api/v1/users/{id}/extend", "post", INVITED_ID),
    ("/api/v1/invitations", "post", "201", "RemoveGuest", "/api/v1/users/{id}", "delete", INVITED_ID),
    ("/api/v1/invitations", "get", "200", "ReadInvitation", "/api/v1/invitations/{id}", "get", FIRST_ID),
    ("/api/v1/invitations/bulk", "post", "202", "FollowList", "/api/v1/invitations/bulk/{id}", "get", ANSWER_ID),
    ("/api/v1/users", "get", "200", "ReadUser", "/api/v1/users/{id}", "get", FIRST_ID),
    ("/api/v1/users", "get", "200", "ChangeUser", "/api/v1/users/{id}", "patch", FIRST_ID),
    ("/api/v1/users/{id}/apps", "post", "200", "TakeBack", "/api/v1/users/{id}/apps/{appId}", "delete", GIVEN_APP),
    ("/api/v1/groups", "post", "201", "ReadGroup", "/api/v1/groups/{id}", "get", ANSWER_ID),
    ("/api/v1/groups", "post", "201", "RenameGroup", "/api/v1/groups/{id}", "patch", ANSWER_ID),
    ("/api/v1/groups", "post", "201", "ListMembers", "/api/v1/groups/{id}/members", "get", ANSWER_ID),
    ("/api/v1/groups", "post", "201", "DeleteGroup", "/api/v1/groups/{id}", "delete", ANSWER_ID),
    ("/api/v1/groups", "get", "200", "ReadGroup", "/api/v1/groups/{id}", "get", FIRST_ID),
    ("/api/v1/groups", "get", "200", "ReadObject", "/api/v1/directoryObjects/{id}", "get", FIRST_ID),
    ("/api/v1/groups/{id}/members", "post", "200", "Remove", "/api/v1/groups/{id}/members/{userId}", "delete", MEMBER),
    ("/api/v1/requests", "get", "200", "ReadRequest", "/api/v1/requests/{id}", "get", FIRST_ID),
    ("/api/v1/requests", "get", "200", "DecideRequest", "/api/v1/requests/{id}/decision", "post", FIRST_ID),
    ("/api/v1/accessReviews", "get", "200", "ReadReview", "/api/v1/accessReviews/{id}", "get", FIRST_ID),
    ("/api/v1/accessReviews", "get", "200", "ReadDecisions", "/api/v1/accessReviews/{id}/decisions", "get", FIRST_ID),
];

fn link_operations(doc: &mut Value) {
    for (from, method, status, name, to, to_method, parameters) in LINKS {
        if !doc["paths"][to][to_method].is_object() {
            missing(&format!("{to_method} {to}"));
            continue;
        }
        let parameters: serde_json::Map<String, Value> =
            parameters.iter().map(|(p, expression)| (p.to_string(), json!(expression))).collect();
        let reference = format!("#/paths/{}/{to_method}", to.replace('~', "~0").replace('/', "~1"));
        if !doc["paths"][from][method]["responses"][status].is_object() {
            missing(&format!("{status} for {method} {from}"));
            continue;
        }
        doc["paths"][from][method]["responses"][status]["links"][name] =
            json!({ "operationRef": reference, "parameters": parameters });
    }
}
