//! F3: signing in with an email code.

use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::*;

async fn a_member_signs_in_with_a_code_and_out_again(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.sign_out().await;
    let page = app.sign_in_with_code("root@contoso.example").await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);
    assert!(app.audit_actions().await.iter().filter(|a| *a == "user.signed_in").count() >= 2);
    app.sign_out().await;
    assert!(app.get("/apps").await.url.contains("/signin?next=%2Fapps"));
    app
}
both!(a_member_signs_in_with_a_code_and_out_again);

async fn an_unknown_address_gets_the_same_answer_and_no_mail(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.sign_out().await;
    let known = app.post("/signin", &[("email", "root@contoso.example")]).await;
    app.one_mail("root@contoso.example").await;
    let (other, _) = app.new_browser();
    let token = csrf_of(&other, &app.url("/signin")).await;
    let unknown = Page::from(
        other
            .post(app.url("/signin"))
            .form(&[("csrf", token.as_str()), ("email", "nobody@contoso.example")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.url, unknown.url);
    let strip = |p: &Page, e: &str| p.body.replace(e, "EMAIL").split("name=\"csrf\"").next().unwrap().to_string();
    assert_eq!(strip(&known, "root@contoso.example"), strip(&unknown, "nobody@contoso.example"));
    app.assert_no_mail("nobody@contoso.example").await;
    // Any code typed for the unknown address fails like a wrong code.
    let page = Page::from(
        other
            .post(app.url("/signin/code"))
            .form(&[("csrf", token.as_str()), ("code", "12345678")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    app
}
both!(an_unknown_address_gets_the_same_answer_and_no_mail);

async fn a_malformed_or_oversized_email_is_refused_with_the_input_kept(app: TestApp) -> TestApp {
    let page = app.post("/signin", &[("email", "not-an-address")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Enter an email address like name@example.com."));
    assert!(page.has("value=\"not-an-address\""));
    assert!(page.has("aria-invalid=\"true\""));
    let long = format!("{}@contoso.example", "a".repeat(5000));
    let page = app.post("/signin", &[("email", &long)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("too long"));
    let page = app.post("/signin", &[]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "a form missing its field");
    let huge = "x".repeat(400 * 1024);
    let page = app.post("/signin", &[("email", &huge)]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "a body over the limit");
    app
}
both!(a_malformed_or_oversized_email_is_refused_with_the_input_kept);

async fn a_wrong_code_five_times_kills_the_code(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.sign_out().await;
    app.post("/signin", &[("email", "root@contoso.example")]).await;
    let right = code_in(&app.one_mail("root@contoso.example").await);
    let wrong = if right == "00000000" { "11111111" } else { "00000000" };
    for left in (1..=4).rev() {
        let page = app.post("/signin/code", &[("code", wrong)]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.has(&format!("{left} tr")), "{}", page.body);
    }
    let page = app.post("/signin/code", &[("code", wrong)]).await;
    assert!(page.has("This code no longer works"));
    // Even the right code is dead now.
    let page = app.post("/signin/code", &[("code", &right)]).await;
    assert!(page.url.ends_with("/signin"), "{}", page.url);
    assert!(app.get("/admin").await.url.contains("/signin"));
    let page = app.post("/signin/code", &[("code", "12ab")]).await;
    assert!(page.url.ends_with("/signin"));
    app
}
both!(a_wrong_code_five_times_kills_the_code);

async fn a_code_is_malformed_used_or_expired(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.sign_out().await;
    app.post("/signin", &[("email", "root@contoso.example")]).await;
    let code = code_in(&app.one_mail("root@contoso.example").await);
    let page = app.post("/signin/code", &[("code", "12ab")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Enter the 8-digit code"));
    app.advance(Duration::minutes(11));
    let page = app.post("/signin/code", &[("code", &code)]).await;
    assert!(page.has("This code no longer works"), "an expired code");
    app.post("/signin", &[("email", "root@contoso.example")]).await;
    let code = code_in(&app.one_mail("root@contoso.example").await);
    let spaced = format!("{} {}", &code[..4], &code[4..]);
    let page = app.post("/signin/code", &[("code", &spaced)]).await;
    assert!(app.pass_mfa_in(&app.browser, page, "root@contoso.example").await.url.ends_with("/admin"));
    app
}
both!(a_code_is_malformed_used_or_expired);

async fn code_mails_are_rate_limited_per_address(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.sign_out().await;
    for _ in 0..5 {
        assert_eq!(app.post("/signin", &[("email", "root@contoso.example")]).await.status, StatusCode::OK);
    }
    assert_eq!(app.take_mail("root@contoso.example").await.len(), 5);
    let page = app.post("/signin", &[("email", "root@contoso.example")]).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.has("Too many codes"));
    // Unknown addresses are limited the same way.
    for _ in 0..5 {
        app.post("/signin", &[("email", "ghost@contoso.example")]).await;
    }
    assert_eq!(app.post("/signin", &[("email", "ghost@contoso.example")]).await.status, StatusCode::TOO_MANY_REQUESTS);
    app.assert_no_mail("root@contoso.example").await;
    app.advance(Duration::minutes(61));
    assert_eq!(app.post("/signin", &[("email", "root@contoso.example")]).await.status, StatusCode::OK);
    app.one_mail("root@contoso.example").await;
    app
}
both!(code_mails_are_rate_limited_per_address);

async fn a_session_ends_after_thirty_idle_minutes_and_twelve_hours(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.advance(Duration::minutes(29));
    assert!(app.get("/admin").await.url.ends_with("/admin"));
    app.advance(Duration::minutes(31));
    let page = app.get("/admin").await;
    assert!(page.url.contains("/signin"), "idle for 31 minutes");
    assert!(page.has("Your session has ended"));
    let page = app.sign_in_with_code("root@contoso.example").await;
    assert!(page.url.ends_with("/admin"));
    for _ in 0..25 {
        app.advance(Duration::minutes(29));
        app.get("/admin").await;
    }
    assert!(app.get("/admin").await.url.contains("/signin"), "past 12 hours");
    app
}
both!(a_session_ends_after_thirty_idle_minutes_and_twelve_hours);
