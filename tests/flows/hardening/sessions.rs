//! "Sign out" ends the session on the server; the profile lists and ends sessions.

use reqwest::StatusCode;

use crate::helpers::*;

async fn a_cookie_copied_before_sign_out_opens_nothing_after(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let stolen = app.cookie_header();
    assert_eq!(app.get_with_cookie("/apps", &stolen).await.status(), StatusCode::OK);
    app.sign_out().await;
    let res = app.get_with_cookie("/apps", &stolen).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the copied cookie still opens /apps");
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/signin"));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    app
}
both!(a_cookie_copied_before_sign_out_opens_nothing_after);

async fn the_profile_lists_sessions_and_ends_another_one(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    // A second browser of the same person (a phone).
    let (phone, _) = app.new_browser();
    let token = csrf_of(&phone, &app.url("/signin")).await;
    let form = [("csrf", token.as_str()), ("email", "root@contoso.example")];
    phone
        .post(app.url("/signin"))
        .header("User-Agent", "Mozilla/5.0 (iPhone) Safari/604.1")
        .form(&form)
        .send()
        .await
        .unwrap();
    let code = code_in(&app.one_mail("root@contoso.example").await);
    let page = Page::from(
        phone
            .post(app.url("/signin/code"))
            .header("User-Agent", "Mozilla/5.0 (iPhone) Safari/604.1")
            .form(&[("csrf", token.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let page = app.pass_mfa_in(&phone, page, "root@contoso.example").await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);

    let profile = app.get("/profile").await;
    assert!(profile.has("Where you are signed in"), "{}", profile.body);
    assert!(profile.has("(this browser)"));
    assert!(profile.has("Safari on iPhone"), "{}", profile.body);
    let end = between(&profile.body, "action=\"/profile/sessions/", "/end\"").expect("an End button");
    let page = app.post(&format!("/profile/sessions/{end}/end"), &[]).await;
    assert!(page.has("That session has ended."), "{}", page.body);
    assert!(!page.has("Safari on iPhone"));
    // The phone is signed out; this browser is not.
    assert!(Page::from(phone.get(app.url("/apps")).send().await.unwrap()).await.url.contains("/signin"));
    assert_eq!(app.get("/apps").await.status, StatusCode::OK);
    assert!(app.audit_actions().await.contains(&"user.session_ended".to_string()));
    // Another person's session id ends nothing.
    let other = uuid::Uuid::new_v4();
    let page = app.post(&format!("/profile/sessions/{other}/end"), &[]).await;
    assert!(!page.has("That session has ended."));
    app
}
both!(the_profile_lists_sessions_and_ends_another_one);

async fn blocking_a_user_ends_their_session_at_once(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("guest@partner.example", &[]).await;
    let (guest, _) = app.new_browser();
    let page = app.redeem_as(&guest, &link, "guest@partner.example").await;
    assert!(page.url.ends_with("/apps"), "{}", page.url);
    let user_id = app.user_id("guest@partner.example").await;
    let page = app.post(&format!("/admin/users/{user_id}/block"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(Page::from(guest.get(app.url("/apps")).send().await.unwrap()).await.url.contains("/signin"));
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'guest@partner.example'"
        )
        .await,
        0
    );
    app
}
both!(blocking_a_user_ends_their_session_at_once);

async fn the_worker_drops_sessions_past_their_limits(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    app.advance(chrono::Duration::minutes(29));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().ended_sessions, 0);
    app.advance(chrono::Duration::minutes(2));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().ended_sessions, 1);
    assert!(app.get("/apps").await.url.contains("/signin"));
    app
}
both!(the_worker_drops_sessions_past_their_limits);

async fn signing_in_again_in_the_same_browser_leaves_one_session(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.sign_in_with_code("root@contoso.example").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    assert_eq!(app.get("/admin").await.status, reqwest::StatusCode::OK);
    app
}
both!(signing_in_again_in_the_same_browser_leaves_one_session);
