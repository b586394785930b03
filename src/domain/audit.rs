//! Who did something, for the audit log.

use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Actor {
    /// `user`, `system` or `anonymous` (and `api_key` once the API lands).
    pub kind: &'static str,
    pub id: Option<Uuid>,
    /// The email (or name) shown in the log, kept even if the user is deleted.
    pub label: String,
    pub ip: String,
}

impl Actor {
    pub fn user(id: Uuid, email: &str, ip: &str) -> Actor {
        Actor { kind: "user", id: Some(id), label: email.to_string(), ip: ip.to_string() }
    }

    pub fn anonymous(ip: &str) -> Actor {
        Actor { kind: "anonymous", id: None, label: "anonymous".into(), ip: ip.to_string() }
    }

    pub fn system(what: &str) -> Actor {
        Actor { kind: "system", id: None, label: what.to_string(), ip: String::new() }
    }
}
