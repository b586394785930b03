//! F11: the outbox and its delivery — to files, and through a real SMTP server that is down
//! when the mail is queued and comes back later.

use std::net::TcpListener;
use std::process::Child;
use std::time::Duration as StdDuration;

use chrono::Duration;

use crate::helpers::*;

async fn mail_is_written_as_eml_files(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.invite("ana@partner.example", &[]).await;
    let pass = vestibule::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(pass.sent, 2, "the invitation, and the admin's notice of their new authenticator app");
    let dir = app.dir.path().join("mail");
    let files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    let invitation = files.iter().find(|f| f.contains("To: ana@partner.example")).expect("an .eml for the guest");
    assert!(invitation.contains("Subject: root invited you to Contoso"));
    assert!(invitation.contains("multipart/alternative"));
    assert!(invitation.contains("text/plain") && invitation.contains("text/html"));
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await, 2);
    assert_eq!(vestibule::jobs::run_once(&app.state).await.unwrap().sent, 0, "nothing is sent twice");
    app
}
both!(mail_is_written_as_eml_files);

/// Partners trust mail from the organization, not from "Vestibule <…@vestibule.localhost>":
/// the sender's name is the organization's, an invitation names the inviter with their
/// address and replies reach them, and Settings shows the sender and that it is a placeholder.
async fn mail_comes_from_the_organization_and_replies_reach_the_inviter(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.post("/admin/settings", &settings_form(&[("org_name", "Contoso Ltd")])).await;
    assert!(page.has("<code>Contoso Ltd &#60;no-reply@vestibule.localhost&#62;</code>"), "{}", page.body);
    assert!(page.has("This address is a placeholder"), "{}", page.body);
    app.invite("ana@partner.example", &[]).await;
    vestibule::jobs::run_once(&app.state).await.unwrap();
    let dir = app.dir.path().join("mail");
    let files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    let invitation = files.iter().find(|f| f.contains("To: ana@partner.example")).expect("an .eml for the guest");
    assert!(invitation.contains("From: \"Contoso Ltd\" <no-reply@vestibule.localhost>"), "{invitation}");
    assert!(invitation.contains("Reply-To: root <root@contoso.example>"), "{invitation}");
    assert!(invitation.contains("root (root@contoso.example) invited you"), "{invitation}");
    let notice = files.iter().find(|f| f.contains("To: root@contoso.example")).expect("the admin's notice");
    assert!(!notice.contains("Reply-To"), "a notice from the portal has nobody to reply to");
    app
}
both!(mail_comes_from_the_organization_and_replies_reach_the_inviter);

struct SmtpPeer(Child);

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn start_smtp(port: u16, out: &std::path::Path) -> SmtpPeer {
    SmtpPeer(spawn_node_peer("smtp-server.js", port, &[], &[out.display().to_string()]))
}

async fn mail_queued_while_smtp_is_down_is_delivered_when_it_returns(app: TestApp) -> TestApp {
    // A fresh app whose mail goes to an SMTP port nobody listens on yet.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let kind = app.kind;
    app.finish().await;
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = match kind {
        DbKind::Sqlite => (format!("sqlite:{}", dir.path().join("v.db").display()), None),
        DbKind::Postgres => {
            let name = pg::fresh_database().await;
            (pg::url(&name), Some(name))
        }
    };
    let app = TestApp::spawn_with(kind, dir, url, pg, |s| s.mail = format!("smtp://127.0.0.1:{port}").into()).await;
    app.sign_in_admin("root@contoso.example").await;
    app.invite("ana@partner.example", &[]).await;

    let pass = vestibule::jobs::run_once(&app.state).await.unwrap();
    // The first refused connection ends the pass: the rest wait for the next one.
    assert_eq!((pass.sent, pass.failed), (0, 1));
    let pending = app.outbox().await;
    assert!(pending.iter().all(|m| m.status == "pending"), "nothing is lost");
    let failed = pending.iter().find(|m| m.attempts == 1).expect("one attempt made");
    assert!(failed.last_error.as_deref().unwrap_or("").contains("SMTP"), "{:?}", failed.last_error);
    // The admin's notice of their new authenticator app gets its first attempt next.
    let pass = vestibule::jobs::run_once(&app.state).await.unwrap();
    assert_eq!((pass.sent, pass.failed), (0, 1));
    // Before the backoff has passed, nothing is retried.
    assert_eq!(vestibule::jobs::run_once(&app.state).await.unwrap(), vestibule::jobs::Pass::default());

    let received = app.dir.path().join("received");
    let _smtp = start_smtp(port, &received);
    app.advance(Duration::minutes(1));
    let mut sent = 0;
    for _ in 0..3 {
        sent += vestibule::jobs::run_once(&app.state).await.unwrap().sent;
        app.advance(Duration::minutes(2));
    }
    assert_eq!(sent, 2, "the invitation, and the admin's notice of their new authenticator app");
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    let mails: Vec<String> =
        std::fs::read_dir(&received).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .any(|m| m.contains("X-Envelope-To: ana@partner.example") && m.contains("root invited you to Contoso"))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await, 2);
    app
}
both!(mail_queued_while_smtp_is_down_is_delivered_when_it_returns);

/// Mail fits a phone (a fluid table up to 560 px, not a fixed one), and an authenticator
/// app left with its default name is not called “Authenticator app “Authenticator app””.
async fn mail_is_fluid_and_says_the_kind_of_factor_once(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let outbox = app.outbox().await;
    let notice = outbox
        .iter()
        .find(|m| m.recipient == "root@contoso.example" && m.text_body.contains("added to your account"))
        .expect("the notice of the new authenticator app");
    assert!(notice.text_body.contains("The authenticator app “Phone” was added"), "{}", notice.text_body);
    let default =
        vestibule::mail::notices::SecurityChange::AppAdded { name: vestibule::mail::notices::DEFAULT_APP_NAME };
    assert_eq!(default.words(), "An authenticator app was added to your account.");
    assert!(notice.html_body.contains("max-width:560px") && !notice.html_body.contains("width=\"560\""));
    let profile = app.get("/profile").await;
    assert!(
        !profile.has("<strong>Authenticator app</strong><br><span class=\"hint\">authenticator app"),
        "{}",
        profile.body
    );
    app
}
both!(mail_is_fluid_and_says_the_kind_of_factor_once);
