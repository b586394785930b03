//! Fault injection (issue 30): each test breaks one thing the portal depends on, on purpose,
//! and puts it back — the database going away, a mail sent twice after a crash, an instance
//! dying between a change and its answer. Run with the rest (`cargo test --test flows --
//! faults::`).

use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::api::{make_key, read};
use crate::helpers::*;

/// Makes every write of an API answer for an `Idempotency-Key` fail, as if the instance
/// died just before it: what the database then holds is what a crash at that point leaves.
async fn answers_cannot_be_kept(app: &TestApp, broken: bool) {
    let sql = match (app.kind, broken) {
        (DbKind::Sqlite, true) => {
            "CREATE TRIGGER fault_keep_answer BEFORE UPDATE ON api_idempotency \
             BEGIN SELECT RAISE(ABORT, 'injected fault: the instance died'); END"
        }
        (DbKind::Postgres, true) => {
            "CREATE FUNCTION fault_keep_answer() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'injected fault: the instance died'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER fault_keep_answer BEFORE UPDATE ON api_idempotency \
             FOR EACH ROW EXECUTE FUNCTION fault_keep_answer()"
        }
        (DbKind::Sqlite, false) => "DROP TRIGGER fault_keep_answer",
        (DbKind::Postgres, false) => "DROP TRIGGER fault_keep_answer ON api_idempotency",
    };
    app.execute(sql).await;
}

/// An invitation whose answer could not be kept (the instance died after inviting, before
/// answering) is not half done: a retry with the same `Idempotency-Key` invites and mails
/// the guest once, and a retry after that replays the answer with the same link — the link
/// in the one mail works.
async fn a_retried_invitation_after_a_crash_is_made_and_mailed_once(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let key = make_key(&app, "Sync", &["invitations:write"]).await;
    let http = Client::new();
    let body = json!({ "invitedUserEmailAddress": "noa@fabrikam.example", "sendInvitationMessage": true });
    let post = || {
        http.post(app.url("/api/v1/invitations"))
            .bearer_auth(&key)
            .header("Idempotency-Key", "row-17")
            .json(&body)
            .send()
    };
    answers_cannot_be_kept(&app, true).await;
    let (status, _) = read(post().await.unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 0, "nothing invited without its answer");
    app.assert_no_mail("noa@fabrikam.example").await;
    answers_cannot_be_kept(&app, false).await;
    // The retry runs (it is not refused as "in progress", nor sent again later).
    let r = post().await.unwrap();
    assert!(r.headers().get("idempotent-replayed").is_none());
    let (status, first) = read(r).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let r = post().await.unwrap();
    assert_eq!(r.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(read(r).await, (StatusCode::CREATED, first.clone()));
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1);
    let mail = app.one_mail("noa@fabrikam.example").await;
    let link = redeem_link_in(&mail);
    assert_eq!(first["inviteRedeemUrl"].as_str(), Some(link.as_str()));
    let (guest, _) = app.new_browser();
    let page = Page::from(guest.get(&link).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::OK, "the mailed link still works: {}", page.body);
    app
}
both!(a_retried_invitation_after_a_crash_is_made_and_mailed_once);

/// Two requests with one `Idempotency-Key` at the same time (a client retrying on a timeout
/// while the first is still running): the second waits for the first and gets its answer.
async fn two_requests_with_one_key_invite_once(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let key = make_key(&app, "Sync", &["invitations:write"]).await;
    let http = Client::new();
    let body = json!({ "invitedUserEmailAddress": "ivo@fabrikam.example", "sendInvitationMessage": true });
    let post = || {
        http.post(app.url("/api/v1/invitations"))
            .bearer_auth(&key)
            .header("Idempotency-Key", "row-18")
            .json(&body)
            .send()
    };
    let (a, b) = tokio::join!(post(), post());
    let (a, b) = (a.unwrap(), b.unwrap());
    let replayed = [&a, &b].iter().filter(|r| r.headers().get("idempotent-replayed").is_some()).count();
    let (a, b) = (read(a).await, read(b).await);
    assert_eq!(a.0, StatusCode::CREATED, "{}", a.1);
    assert_eq!(a, b, "one answer for both");
    assert_eq!(replayed, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1);
    app.one_mail("ivo@fabrikam.example").await;
    app
}
both!(two_requests_with_one_key_invite_once);

/// With PostgreSQL unreachable, pages, the API and `/readyz` answer 503 with `Retry-After`
/// at once instead of hanging and then failing with a 500; the portal recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_and_recovers_by_itself() {
    let app = TestApp::spawn(DbKind::Postgres).await;
    app.sign_in_admin("root@contoso.example").await;
    assert_eq!(app.get("/admin/users").await.status, StatusCode::OK);
    let made = app.post("/admin/api-keys", &[("name", "Sync"), ("days", "30"), ("scope", "users:read")]).await;
    let key = between(&made.body, "readonly value=\"", "\"").expect("the key is shown");
    let name = app.pg_database().unwrap().to_string();
    pg::allow_connections(&name, false).await;
    // Connections the pool kept were ended: the pool must find out and not hang.
    let ready = app.get_raw("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.headers()["retry-after"], "5");
    let page = app.get_raw("/admin/users").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE, "{}", &logged()[logged().len().saturating_sub(3000)..]);
    assert_eq!(page.headers()["retry-after"], "5");
    let body = page.text().await.unwrap();
    assert!(
        body.contains("The portal is briefly unavailable") && body.contains("Nothing you sent was saved"),
        "{body}"
    );
    let api = reqwest::Client::new().get(app.url("/api/v1/users")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE, "{}", &logged()[logged().len().saturating_sub(1500)..]);
    assert_eq!(api.headers()["retry-after"], "5");
    assert!(api.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
    assert!(logged().contains("the database cannot be reached"), "said once in the log");
    // Back: the same instance answers again without a restart.
    pg::allow_connections(&name, true).await;
    let mut back = false;
    for _ in 0..20 {
        if app.get_raw("/readyz").await.status() == StatusCode::OK {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(back, "ready again once the database is back");
    assert_eq!(app.get("/admin/users").await.status, StatusCode::OK);
    app.finish().await;
}

/// A mail the worker sends again (it crashed after the server's 250 and before marking the
/// mail sent) carries the same `Message-ID`, derived from the outbox row, so receivers and
/// mail clients drop the copy.
#[tokio::test]
async fn a_mail_sent_twice_carries_one_message_id() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("file://{}", dir.path().display());
    let mailer = vestibule::mail::transport::Mailer::from_config(&spec, "Contoso <no-reply@contoso.example>").unwrap();
    let id = uuid::Uuid::new_v4();
    let message = vestibule::db::outbox::OutboxMessage {
        id,
        recipient: "ana@partner.example".into(),
        subject: "Hello".into(),
        text_body: "Hello".into(),
        html_body: "<p>Hello</p>".into(),
        ..vestibule::db::outbox::OutboxMessage::default()
    };
    mailer.send(&message).await.unwrap();
    mailer.send(&message).await.unwrap();
    let ids: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .map(|raw| raw.lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:")).unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "one Message-ID for both copies");
    assert!(ids[0].contains(&format!("<{id}@contoso.example>")), "{}", ids[0]);
}

/// A tmpfs of its own, unmounted when dropped: a disk the test can fill.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "mounting a tmpfs needs root (the CI runs as root)");
        SmallDisk { dir }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Fills what is left with a file; returns it, to be removed to free the space.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.dir.path().join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        // The last partial blocks, byte by byte in bigger steps down.
        for size in [4096usize, 512, 1] {
            while f.write_all(&block[..size]).is_ok() {}
        }
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        std::process::Command::new("umount").arg("-l").arg(self.dir.path()).status().ok();
    }
}

/// With the disk under SQLite full, changes answer 503 with `Retry-After` and the error
/// page, and nothing is half-written; once space is freed, writes work again without a
/// restart (no connection stays stuck in a transaction it no longer has), `/readyz` says
/// so, and the mail worker sends what waited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_writes_work_again_once_space_is_freed() {
    let disk = SmallDisk::mount(24);
    let url = format!("sqlite:{}", disk.path().join("vestibule.db").display());
    let app = TestApp::spawn_with(DbKind::Sqlite, tempfile::tempdir().unwrap(), url, None, |_| {}).await;
    app.sign_in_admin("root@contoso.example").await;
    let admin = &app;
    let invite = |n: usize| async move {
        let email = format!("guest{n}@fabrikam.example");
        let fields = [("email", email.as_str()), ("send_email", "yes"), ("message", &"Welcome aboard. ".repeat(120))];
        admin.post_raw("/admin/invitations", &fields).await
    };
    let filler = disk.fill();
    let (mut invited, mut refused) = (0, 0);
    for n in 0..40 {
        let r = invite(n).await;
        match r.status() {
            StatusCode::SEE_OTHER => invited += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(r.headers()["retry-after"], "5");
                let body = r.text().await.unwrap();
                assert!(body.contains("The portal is briefly unavailable"), "{body}");
                refused += 1;
            }
            other => panic!("{other}: {}", r.text().await.unwrap()),
        }
    }
    assert!(refused > 0, "a full disk refuses changes ({invited} went through)");
    assert_eq!(app.get_raw("/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(logged().contains("the database's disk is full"));
    // Space is freed: the same instance writes again.
    std::fs::remove_file(filler).unwrap();
    assert_eq!(app.get_raw("/readyz").await.status(), StatusCode::OK, "{}", tail_of_log());
    for n in 100..104 {
        let r = invite(n).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", tail_of_log());
        invited += 1;
    }
    let damaged = app.count("SELECT COUNT(*) FROM pragma_integrity_check() WHERE integrity_check <> 'ok'").await;
    assert_eq!(damaged, 0, "the integrity check finds nothing wrong");
    let kept = app.count("SELECT COUNT(*) FROM invitations").await;
    assert_eq!(kept, invited, "each invitation answered OK is kept, and no other");
    // The worker sends every mail that waited, in passes of 50.
    let mut sent = 0;
    for _ in 0..4 {
        sent += vestibule::jobs::run_once(&app.state).await.unwrap().sent;
    }
    assert!(sent as i64 >= kept, "{sent} sent for {kept} invitations");
    for m in app.outbox().await {
        app.take_mail(&m.recipient).await;
    }
    app.finish().await;
}

fn tail_of_log() -> String {
    let log = logged();
    log[log.len().saturating_sub(3000)..].to_string()
}
