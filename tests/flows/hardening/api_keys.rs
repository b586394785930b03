//! Issue 23 (9): an admin's API key stopped working while they were no admin, and worked
//! again once they were made one again. Taking the rights away, or blocking them, now
//! revokes their keys for good (audited).

use reqwest::{Client, StatusCode};

use crate::helpers::*;

/// A second admin, made by the CLI, and a key of theirs for reading users.
async fn admin_with_key(app: &TestApp, email: &str) -> (uuid::Uuid, String) {
    let address = vestibule::domain::EmailAddress::parse(email).unwrap();
    vestibule::flows::bootstrap::create_admin(&app.state, &address, None).await.unwrap();
    let made = vestibule::flows::api_keys::create_from_cli(&app.state, email, "Sync", &["users:read".into()], 30)
        .await
        .unwrap();
    (app.user_id(email).await, made.secret)
}

async fn status_with(app: &TestApp, key: &str) -> StatusCode {
    Client::new().get(app.url("/api/v1/users")).bearer_auth(key).send().await.unwrap().status()
}

async fn revocations(app: &TestApp) -> usize {
    app.audit_actions().await.iter().filter(|a| *a == "api_key.revoked").count()
}

async fn a_key_dies_with_its_creators_admin_rights(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let (grace, key) = admin_with_key(&app, "grace@contoso.example").await;
    assert_eq!(status_with(&app, &key).await, StatusCode::OK);

    let page = app.post(&format!("/admin/users/{grace}/remove-admin"), &[]).await;
    assert!(page.has("admin rights were removed"), "{}", page.body);
    assert_eq!(status_with(&app, &key).await, StatusCode::UNAUTHORIZED);
    assert_eq!(revocations(&app).await, 1, "the revocation is audited");
    let page = app.post(&format!("/admin/users/{grace}/make-admin"), &[]).await;
    assert!(page.has("is now an admin"), "{}", page.body);
    assert_eq!(status_with(&app, &key).await, StatusCode::UNAUTHORIZED, "the key stays dead");
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL").await, 0);

    // Blocking an admin, then unblocking them, does not wake their keys either.
    let (ivy, key) = admin_with_key(&app, "ivy@contoso.example").await;
    assert_eq!(status_with(&app, &key).await, StatusCode::OK);
    app.post(&format!("/admin/users/{ivy}/block"), &[]).await;
    app.post(&format!("/admin/users/{ivy}/unblock"), &[]).await;
    assert_eq!(status_with(&app, &key).await, StatusCode::UNAUTHORIZED);
    assert_eq!(revocations(&app).await, 2);
    app
}
both!(a_key_dies_with_its_creators_admin_rights);
