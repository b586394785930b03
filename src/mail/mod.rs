//! Mail: rendered from askama templates (plain text and HTML, with the host's branding),
//! queued in the outbox inside the caller's transaction, delivered by the worker.

pub mod letters;
pub mod links;
pub mod notices;
pub mod transport;

use chrono::{DateTime, Utc};

use crate::db::{Conn, outbox};

/// A mail ready to queue: subject and both bodies.
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Writes the letter to the outbox; it goes out when the caller's transaction commits.
pub async fn queue(c: Conn<'_>, to: &str, letter: &Letter, now: DateTime<Utc>) -> sqlx::Result<()> {
    outbox::enqueue(c, to, &letter.subject, &letter.html, &letter.text, now).await.map(|_| ())
}

/// What every mail shows of the host.
#[derive(Clone)]
pub struct Branding {
    pub org_name: String,
    pub logo_url: String,
    pub accent: String,
    pub public_url: String,
}
