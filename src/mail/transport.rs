//! Where mail goes: `.eml` files in a folder (the default) or an SMTP(S) server.

use std::time::Duration;

use anyhow::{Context, bail};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use url::Url;

use crate::db::outbox::OutboxMessage;

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

enum Transport {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    /// `file:DIR`, `smtp://[user:pass@]host:port` (STARTTLS when a user name is given or
    /// `?tls=starttls`; plain only without one, or with an explicit `?tls=none`), or
    /// `smtps://[user:pass@]host:port` (implicit TLS).
    pub fn from_config(spec: &str, from: &str) -> anyhow::Result<Mailer> {
        let from: Mailbox = from.parse().context("VESTIBULE_MAIL_FROM is not a mail address")?;
        let transport = if let Some(dir) = spec.strip_prefix("file:") {
            std::fs::create_dir_all(dir).with_context(|| format!("creating the mail folder {dir}"))?;
            Transport::File(AsyncFileTransport::new(dir))
        } else {
            Transport::Smtp(smtp(spec)?)
        };
        Ok(Mailer { from, transport })
    }

    /// Sends one outbox message; the error text is kept on the row for the admin.
    pub async fn send(&self, m: &OutboxMessage) -> anyhow::Result<()> {
        let to: Mailbox = m.recipient.parse().context("bad recipient address")?;
        let mut message = Message::builder().from(sender(&self.from, &m.sender_name)).to(to);
        if let Ok(reply_to) = m.reply_to.parse::<Mailbox>() {
            message = message.reply_to(reply_to);
        }
        if !m.cc.is_empty() {
            message = message.cc(m.cc.parse().context("bad Cc address")?);
        }
        let message = message
            .message_id(Some(message_id(m.id, &self.from)))
            .subject(&m.subject)
            .multipart(MultiPart::alternative_plain_html(m.text_body.clone(), m.html_body.clone()))
            .context("building the message")?;
        match &self.transport {
            Transport::File(t) => t.send(message).await.map(|_| ()).context("writing the mail file"),
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).context("sending through SMTP"),
        }
    }
}

/// The `Message-ID` of an outbox message: derived from its id, so a copy sent again after
/// a crash (delivery is at least once) carries the same id and receivers drop it.
pub fn message_id(outbox_id: uuid::Uuid, from: &Mailbox) -> String {
    format!("<{outbox_id}@{}>", from.email.domain())
}

/// The From of a mail: the configured address, under the operator's display name if they
/// chose one, else the organization's name (`sender_name`, as it was when the mail was
/// queued) — partners trust "Contoso Ltd", not the software's name.
pub fn sender(configured: &Mailbox, sender_name: &str) -> Mailbox {
    let chosen = configured.name.as_deref().map(str::trim).filter(|n| !n.is_empty() && *n != DEFAULT_NAME);
    let name = match chosen {
        Some(n) => n.to_string(),
        None if !sender_name.trim().is_empty() => sender_name.trim().to_string(),
        None => DEFAULT_NAME.to_string(),
    };
    Mailbox::new(Some(name), configured.email.clone())
}

/// The From for `mail_from` and the organization's name, as text, and whether its address
/// is a placeholder.
pub fn described(mail_from: &str, org_name: &str) -> (String, bool) {
    match mail_from.parse::<Mailbox>() {
        Ok(configured) => {
            let from = sender(&configured, org_name);
            let placeholder = is_placeholder(from.email.as_ref());
            (from.to_string(), placeholder)
        }
        Err(_) => (mail_from.to_string(), true),
    }
}

/// The display name of the default `mail_from`: not a choice the operator made.
const DEFAULT_NAME: &str = "Vestibule";

/// Whether the sender's address is a placeholder partners' mail filters will distrust.
pub fn is_placeholder(address: &str) -> bool {
    let domain = address.rsplit('@').next().unwrap_or("").trim_end_matches('>').to_ascii_lowercase();
    ["localhost", ".localhost", ".example", ".invalid", ".test", ".local", "example.com", "example.org"]
        .iter()
        .any(|p| domain == p.trim_start_matches('.') || domain.ends_with(p))
}

fn smtp(spec: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let url =
        Url::parse(spec).with_context(|| "VESTIBULE_MAIL must be file:DIR, smtp://host:port or smtps://host:port")?;
    let host = url.host_str().context("VESTIBULE_MAIL has no host")?.to_string();
    let builder = match security(&url)? {
        SmtpSecurity::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)?.port(url.port().unwrap_or(587))
        }
        // Plain SMTP: for a relay on the same host or network, and for tests.
        SmtpSecurity::Plain => {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host).port(url.port().unwrap_or(25))
        }
        SmtpSecurity::ImplicitTls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&host)?.port(url.port().unwrap_or(465))
        }
    };
    let builder = if url.username().is_empty() {
        builder
    } else {
        let user = percent_decode(url.username());
        let pass = percent_decode(url.password().unwrap_or(""));
        builder.credentials(Credentials::new(user, pass))
    };
    Ok(builder.timeout(Some(Duration::from_secs(15))).build())
}

#[derive(Debug, PartialEq, Eq)]
enum SmtpSecurity {
    Plain,
    StartTls,
    ImplicitTls,
}

/// A password is never sent in the clear by default: `smtp://` with a user name means
/// STARTTLS unless `?tls=none` says otherwise.
fn security(url: &Url) -> anyhow::Result<SmtpSecurity> {
    let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    Ok(match (url.scheme(), tls.as_deref()) {
        ("smtps", _) => SmtpSecurity::ImplicitTls,
        ("smtp", Some("starttls")) => SmtpSecurity::StartTls,
        ("smtp", Some("none")) => SmtpSecurity::Plain,
        ("smtp", None) if !url.username().is_empty() => SmtpSecurity::StartTls,
        ("smtp", None) => SmtpSecurity::Plain,
        ("smtp", Some(other)) => bail!("unknown ?tls={other} in VESTIBULE_MAIL: use starttls or none"),
        (other, _) => bail!("unknown mail scheme {other}: use file:, smtp:// or smtps://"),
    })
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_never_sent_in_the_clear_by_default() {
        let sec = |s: &str| security(&Url::parse(s).unwrap()).unwrap();
        assert_eq!(sec("smtp://relay.contoso.example:25"), SmtpSecurity::Plain);
        assert_eq!(sec("smtp://u:p@relay.contoso.example:587"), SmtpSecurity::StartTls);
        assert_eq!(sec("smtp://u:p@relay.contoso.example:25?tls=none"), SmtpSecurity::Plain);
        assert_eq!(sec("smtp://relay.contoso.example?tls=starttls"), SmtpSecurity::StartTls);
        assert_eq!(sec("smtps://u:p@relay.contoso.example"), SmtpSecurity::ImplicitTls);
        assert!(security(&Url::parse("smtp://x?tls=maybe").unwrap()).is_err());
    }
}

#[cfg(test)]
mod sender_tests {
    use super::*;

    #[test]
    fn the_organization_names_the_sender_unless_the_operator_chose_a_name() {
        let default: Mailbox = "Vestibule <no-reply@vestibule.localhost>".parse().unwrap();
        assert_eq!(sender(&default, "Contoso Ltd").to_string(), "Contoso Ltd <no-reply@vestibule.localhost>");
        let bare: Mailbox = "guests@contoso.example".parse().unwrap();
        assert_eq!(sender(&bare, "Contoso Ltd").name.as_deref(), Some("Contoso Ltd"));
        let chosen: Mailbox = "Contoso guest access <guests@contoso.example>".parse().unwrap();
        assert_eq!(sender(&chosen, "Contoso Ltd").name.as_deref(), Some("Contoso guest access"));
        assert_eq!(sender(&bare, "").name.as_deref(), Some("Vestibule"));
    }

    #[test]
    fn placeholder_addresses_are_recognised() {
        assert!(is_placeholder("no-reply@vestibule.localhost"));
        assert!(is_placeholder("a@contoso.example"));
        assert!(!is_placeholder("guests@contoso.com"));
    }
}
