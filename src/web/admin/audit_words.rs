//! An audit event as a person reads it on the admin pages: "Bob Member (bob@contoso.example)
//! invited carol@fabrikam.example to Project Atlas". The sentence is the domain's; here the
//! actor gets the name the pages call them now (read alongside the event), and a person
//! who is a target gets a link to their page.

use chrono::{DateTime, Utc};

use crate::db::audit::AuditEvent;
use crate::domain::audit::Action;
use crate::domain::audit_sentence::Part;

pub struct Entry {
    pub at: DateTime<Utc>,
    /// The stored code, for admins who search by it.
    pub code: String,
    /// The category's label; empty for a code this version does not know.
    pub category: &'static str,
    pub parts: Vec<Part>,
    /// Who did it: a person's current name, else the stored label.
    pub actor: String,
    /// A person's address, beside their name.
    pub actor_address: Option<String>,
    pub target: String,
    pub target_href: Option<String>,
    pub ip: String,
}

impl Entry {
    pub fn of(e: AuditEvent) -> Entry {
        let action = Action::parse(&e.action);
        let parts = match action {
            Some(a) => a.sentence(&e.details),
            // A code from another version: said as it is, never dropped.
            None => vec![Part::Actor, Part::Words(format!(" did “{}” to ", e.action)), Part::Target],
        };
        let (actor, actor_address) = match (e.actor_kind.as_str(), e.actor_name) {
            ("user", Some(name)) if name != e.actor_label => (name, Some(e.actor_label)),
            ("anonymous", _) => ("Someone".to_string(), None),
            // The worker, the command line, the configuration: they begin the sentence.
            ("system", _) => (capitalized(&e.actor_label), None),
            // A person since deleted (their address stays), an API key by its name.
            _ => (e.actor_label, None),
        };
        let target_href = (e.target_kind == "user").then(|| format!("/admin/users/{}", e.target_id));
        Entry {
            at: e.at,
            code: e.action,
            category: action.map_or("", |a| a.category().label()),
            parts,
            actor,
            actor_address,
            target: e.target_label,
            target_href,
            ip: e.ip,
        }
    }
}

impl Entry {
    /// The sentence as plain text (for the CSV export).
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Actor => {
                    out.push_str(&self.actor);
                    if let Some(a) = &self.actor_address {
                        out.push_str(&format!(" ({a})"));
                    }
                }
                Part::Target => out.push_str(&self.target),
                Part::Words(w) => out.push_str(w),
            }
        }
        out
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::Entry;
    use crate::db::audit::AuditEvent;

    fn event(kind: &str, label: &str, name: Option<&str>, action: &str) -> AuditEvent {
        AuditEvent {
            id: 1,
            at: chrono::Utc::now(),
            actor_kind: kind.into(),
            actor_id: None,
            actor_label: label.into(),
            action: action.into(),
            target_kind: "user".into(),
            target_id: "42".into(),
            target_label: "carol@fabrikam.example".into(),
            ip: String::new(),
            details: String::new(),
            actor_name: name.map(str::to_string),
        }
    }

    #[test]
    fn actors_are_named_as_people_know_them() {
        let e = Entry::of(event("user", "bob@contoso.example", Some("Bob Member"), "user.invited"));
        assert_eq!((e.actor.as_str(), e.actor_address.as_deref()), ("Bob Member", Some("bob@contoso.example")));
        assert_eq!((e.category, e.target_href.as_deref()), ("Invitations", Some("/admin/users/42")));
        assert_eq!(e.plain(), "Bob Member (bob@contoso.example) invited carol@fabrikam.example");
        let gone = Entry::of(event("user", "bob@contoso.example", None, "user.invited"));
        assert_eq!((gone.actor.as_str(), gone.actor_address), ("bob@contoso.example", None));
        assert_eq!(Entry::of(event("system", "worker", None, "invitations.expired")).actor, "Worker");
        assert_eq!(Entry::of(event("anonymous", "anonymous", None, "federation.failed")).actor, "Someone");
        let unknown = Entry::of(event("api_key", "API key “Sync”", None, "user.teleported"));
        assert_eq!((unknown.actor.as_str(), unknown.category), ("API key “Sync”", ""));
        assert!(unknown.parts.iter().any(|p| p.words().contains("user.teleported")));
    }
}
