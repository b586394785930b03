//! Who did something, for the audit log.

use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Actor {
    /// `user`, `api_key`, `system` or `anonymous`.
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

    /// An API key (F10), named as the admin named it.
    pub fn api_key(id: Uuid, name: &str, ip: &str) -> Actor {
        Actor { kind: "api_key", id: Some(id), label: format!("API key “{name}”"), ip: ip.to_string() }
    }

    pub fn system(what: &str) -> Actor {
        Actor { kind: "system", id: None, label: what.to_string(), ip: String::new() }
    }
}
