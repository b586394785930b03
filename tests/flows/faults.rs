//! Fault injection (issue 30): each test breaks one thing the portal depends on, on purpose,
//! and puts it back — the database going away, a mail sent twice after a crash. Run with the
//! rest (`cargo test --test flows -- faults::`).

use reqwest::StatusCode;

use crate::helpers::*;

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
