//! Mail: rendered from askama templates (plain text and HTML, with the host's branding),
//! queued in the outbox inside the caller's transaction, delivered by the worker.

pub mod letters;
pub mod links;
pub mod notices;
pub mod transport;

use chrono::{DateTime, Utc};

use crate::db::{Conn, outbox};

/// A mail ready to queue: subject, both bodies, the name it comes from (the organization's)
/// and whom a reply reaches.
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sender_name: String,
    /// `Name <address>` of the person behind the mail (the inviter), when there is one.
    pub reply_to: Option<String>,
    /// An address the mail is copied to (an invitation's Cc).
    pub cc: Option<String>,
}

impl Letter {
    /// Replies go to this person (the inviter, the approver), not to the portal.
    pub fn replying_to(self, name: &str, address: &str) -> Letter {
        let name: String = name.chars().filter(|c| !c.is_control() && !"<>\"".contains(*c)).collect();
        Letter { reply_to: Some(format!("\"{}\" <{address}>", name.trim())), ..self }
    }

    /// A copy goes to `address` (empty: none).
    pub fn copying(self, address: &str) -> Letter {
        Letter { cc: Some(address.to_string()).filter(|a| !a.is_empty()), ..self }
    }
}

/// Writes the letter to the outbox; it goes out when the caller's transaction commits.
pub async fn queue(c: Conn<'_>, to: &str, letter: &Letter, now: DateTime<Utc>) -> sqlx::Result<()> {
    let mail = outbox::NewMail {
        recipient: to,
        subject: &letter.subject,
        html: &letter.html,
        text: &letter.text,
        sender_name: &letter.sender_name,
        reply_to: letter.reply_to.as_deref().unwrap_or(""),
        cc: letter.cc.as_deref().unwrap_or(""),
    };
    outbox::enqueue(c, &mail, now).await.map(|_| ())
}

/// What every mail shows of the host.
#[derive(Clone)]
pub struct Branding {
    pub org_name: String,
    pub logo_url: String,
    pub accent: String,
    pub public_url: String,
    /// Whether guests can sign in with their own organization's account here (an identity
    /// provider is enabled); else only with a one-time code.
    pub work_accounts: bool,
}

impl Branding {
    /// Completes "You will sign in with …": the ways a guest has here, and no others.
    pub fn sign_in_with(&self) -> &'static str {
        if self.work_accounts {
            "your own work account or a one-time code sent to this address"
        } else {
            "a one-time code sent to this address"
        }
    }
}
