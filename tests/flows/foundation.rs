//! Health, headers, error pages, CSRF, the first admin's sign-in link.

use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::*;

async fn health_and_readiness_answer(app: TestApp) -> TestApp {
    assert_eq!(app.get("/healthz").await.body, "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body, "ready");
    app
}
both!(health_and_readiness_answer);

async fn pages_carry_the_security_headers(app: TestApp) -> TestApp {
    let page = app.get("/signin").await;
    let h = |n: &str| page.headers.get(n).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(h("content-security-policy").contains("frame-ancestors 'none'"));
    assert!(h("content-security-policy").contains("script-src 'self'"));
    assert!(!h("content-security-policy").contains("unsafe-inline"));
    assert_eq!(h("referrer-policy"), "no-referrer");
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("cache-control"), "no-store");
    assert!(!h("x-request-id").is_empty());
    let cookie = h("set-cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(page.has("<label for=\"email\">"), "every input has a label");
    app
}
both!(pages_carry_the_security_headers);

async fn an_unknown_address_gets_a_friendly_404(app: TestApp) -> TestApp {
    let page = app.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.has("<h1>Page not found</h1>"));
    app.sign_in_admin("root@contoso.example").await;
    let page = app.get("/admin/users/not-a-uuid").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = app.get("/admin/users/6f1c1d7e-0000-4000-8000-000000000000").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    app
}
both!(an_unknown_address_gets_a_friendly_404);

async fn a_form_without_a_valid_csrf_token_is_refused(app: TestApp) -> TestApp {
    app.get("/signin").await;
    let url = app.url("/signin");
    let missing = Page::from(app.browser.post(&url).form(&[("email", "a@b.example")]).send().await.unwrap()).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.has("This form has expired"));
    let wrong =
        Page::from(app.browser.post(&url).form(&[("csrf", "forged"), ("email", "a@b.example")]).send().await.unwrap())
            .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // A token from another browser's session does not work in this one.
    let (other, _) = app.new_browser();
    let theirs = csrf_of(&other, &url).await;
    let mixed = Page::from(
        app.browser.post(&url).form(&[("csrf", theirs.as_str()), ("email", "a@b.example")]).send().await.unwrap(),
    )
    .await;
    assert_eq!(mixed.status, StatusCode::FORBIDDEN);
    let not_a_form =
        Page::from(app.browser.post(&url).body("{}").header("content-type", "application/json").send().await.unwrap())
            .await;
    assert_eq!(not_a_form.status, StatusCode::BAD_REQUEST);
    app.assert_no_mail("a@b.example").await;
    app
}
both!(a_form_without_a_valid_csrf_token_is_refused);

async fn the_first_admins_link_signs_in_once(app: TestApp) -> TestApp {
    let email = vestibule::domain::EmailAddress::parse("root@contoso.example").unwrap();
    let link = vestibule::flows::bootstrap::create_admin(&app.state, &email, None).await.unwrap();
    // Opening the link (a mail scanner would) changes nothing.
    for _ in 0..2 {
        let page = app.get(&link).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.has("Sign in as root@contoso.example"));
    }
    let page = app.post(&link, &[]).await;
    // Admins always use a second step: the first one sets it up before anything else.
    assert!(page.url.contains("/mfa?next=%2Fadmin") && page.has("Set up an authenticator app"), "{}", page.url);
    assert_eq!(app.get("/admin").await.url, page.url, "nothing else opens first");
    let page = app.pass_mfa_in(&app.browser, page, "root@contoso.example").await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);
    assert!(page.has("<h1>Dashboard</h1>"));
    app.sign_out().await;
    let replay = app.post(&link, &[]).await;
    assert_eq!(replay.status, StatusCode::GONE);
    assert!(replay.has("This sign-in link no longer works"));
    assert_eq!(app.get("/admin").await.url, app.url("/signin?next=%2Fadmin"));
    app
}
both!(the_first_admins_link_signs_in_once);

async fn a_sign_in_link_expires_after_fifteen_minutes(app: TestApp) -> TestApp {
    let email = vestibule::domain::EmailAddress::parse("root@contoso.example").unwrap();
    let link = vestibule::flows::bootstrap::create_admin(&app.state, &email, None).await.unwrap();
    app.advance(Duration::minutes(16));
    assert_eq!(app.get(&link).await.status, StatusCode::GONE);
    assert_eq!(app.post(&link, &[]).await.status, StatusCode::GONE);
    let forged = app.get("/signin/link/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    app
}
both!(a_sign_in_link_expires_after_fifteen_minutes);
