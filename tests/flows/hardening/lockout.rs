//! Nobody can lock a person out by asking for their codes: limits are per address+IP, with a
//! much higher per-address ceiling and a per-IP limit.

use reqwest::{Client, StatusCode};

use crate::helpers::*;

async fn ask_code(app: &TestApp, b: &Client, path: &str, email: &str) -> StatusCode {
    let token = csrf_of(b, &app.url("/signin")).await;
    b.post(app.url(path)).form(&[("csrf", token.as_str()), ("email", email)]).send().await.unwrap().status()
}

async fn a_stranger_asking_for_codes_does_not_lock_the_person_out(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.sign_out().await;
    let stranger = app.browser_from("127.0.0.2");
    for _ in 0..5 {
        assert_eq!(ask_code(&app, &stranger, "/signin", "root@contoso.example").await, StatusCode::OK);
    }
    assert_eq!(app.take_mail("root@contoso.example").await.len(), 5);
    assert_eq!(ask_code(&app, &stranger, "/signin", "root@contoso.example").await, StatusCode::TOO_MANY_REQUESTS);
    // The person's own browser still gets a code, and signs in with it.
    let page = app.sign_in_with_code("root@contoso.example").await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);

    // One client asking for many addresses is stopped too.
    let sprayer = app.browser_from("127.0.0.3");
    let mut limited = false;
    for i in 0..40 {
        if ask_code(&app, &sprayer, "/signin", &format!("x{i}@spray.example")).await == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            assert!(i >= 25, "the per-IP limit is not tiny: stopped at {i}");
            break;
        }
    }
    assert!(limited, "40 addresses from one IP in an hour are not all served");
    app
}
both!(a_stranger_asking_for_codes_does_not_lock_the_person_out);

async fn a_stranger_signing_up_with_someones_address_does_not_lock_them_out(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let pkg = crate::signup::package(&app, "Atlas", "none", &[], &[]).await;
    app.sign_out().await;
    let sign_up = |b: Client, pkg: String| {
        let url = app.url("/signup");
        async move {
            let token = csrf_of(&b, &url).await;
            let form = [
                ("csrf", token.as_str()),
                ("name", "Pat Partner"),
                ("email", "pat@fabrikam.example"),
                ("company", "Fabrikam"),
                ("reason", ""),
                ("package", pkg.as_str()),
                ("accept_terms", "yes"),
                ("website", ""),
            ];
            b.post(&url).form(&form).send().await.unwrap().status()
        }
    };
    let stranger = app.browser_from("127.0.0.2");
    for _ in 0..5 {
        assert_eq!(sign_up(stranger.clone(), pkg.clone()).await, StatusCode::OK);
    }
    assert_eq!(sign_up(stranger.clone(), pkg.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.take_mail("pat@fabrikam.example").await.len(), 5);
    // Pat's own browser still gets a code and confirms the request.
    let (pat, _) = app.new_browser();
    let page = crate::signup::sign_up(&app, &pat, "pat@fabrikam.example", &pkg).await;
    assert!(page.has("Approved"), "{}", page.body);
    app.take_mail("pat@fabrikam.example").await;
    app
}
both!(a_stranger_signing_up_with_someones_address_does_not_lock_them_out);

/// Issue 23: strangers asking from many addresses use up the address's ceiling, but a
/// browser that signed in as the person before carries a device cookie and is counted on
/// its own (OWASP's device cookies); a browser without one is still held to the ceiling.
async fn strangers_from_many_addresses_do_not_lock_out_a_browser_that_signed_in_before(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.sign_out().await;
    for i in 0..10 {
        let stranger = app.browser_from(&format!("127.0.0.{}", 10 + i));
        for _ in 0..5 {
            assert_eq!(ask_code(&app, &stranger, "/signin", "root@contoso.example").await, StatusCode::OK);
        }
    }
    assert_eq!(app.take_mail("root@contoso.example").await.len(), 50);
    let fresh = app.browser_from("127.0.0.30");
    let status = ask_code(&app, &fresh, "/signin", "root@contoso.example").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the ceiling holds for a browser without a device cookie");
    let (fresh, _) = app.new_browser();
    assert_eq!(ask_code(&app, &fresh, "/signin", "root@contoso.example").await, StatusCode::TOO_MANY_REQUESTS);

    // The person's own browser still gets a code, and signs in with it.
    let page = app.sign_in_with_code("root@contoso.example").await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);
    // It has a modest limit of its own.
    app.sign_out().await;
    for _ in 0..4 {
        assert_eq!(ask_code(&app, &app.browser, "/signin", "root@contoso.example").await, StatusCode::OK);
    }
    assert_eq!(app.take_mail("root@contoso.example").await.len(), 4);
    let status = ask_code(&app, &app.browser, "/signin", "root@contoso.example").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "five an hour per device");
    app
}
both!(strangers_from_many_addresses_do_not_lock_out_a_browser_that_signed_in_before);

/// Types `code` on the second-step page in `browser`: 303 when it led on to `/admin`.
async fn second_factor(app: &TestApp, browser: &Client, code: &str) -> StatusCode {
    let csrf = csrf_of(browser, &app.url("/mfa")).await;
    let form = [("csrf", csrf.as_str()), ("code", code), ("next", "/admin")];
    let page = Page::from(browser.post(app.url("/mfa")).form(&form).send().await.unwrap()).await;
    if page.url.ends_with("/admin") { StatusCode::SEE_OTHER } else { page.status }
}

/// Issue 23: someone holding the person's email code (their mailbox, a code seen over a
/// shoulder) pauses the second step with five wrong codes — in their own browser. The
/// browser that signed in as the person before (its device cookie) keeps its own count.
async fn wrong_second_step_codes_elsewhere_do_not_pause_the_persons_own_browser(app: TestApp) -> TestApp {
    let email = "root@contoso.example";
    app.sign_in_admin(email).await;
    app.sign_out().await;
    let stranger = app.browser_from("127.0.0.2");
    let page = app.first_factor_in(&stranger, email).await;
    assert!(page.has("Confirm it"), "{}", page.body);
    for _ in 0..4 {
        assert_eq!(second_factor(&app, &stranger, "111111").await, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(second_factor(&app, &stranger, "111111").await, StatusCode::TOO_MANY_REQUESTS);
    let code = app.authenticator_code(email);
    assert_eq!(second_factor(&app, &stranger, &code).await, StatusCode::TOO_MANY_REQUESTS, "the stranger waits");
    assert!(app.audit_actions().await.contains(&"mfa.paused".to_string()));
    // A fresh browser is held by that pause too.
    let (fresh, _) = app.new_browser();
    app.first_factor_in(&fresh, email).await;
    let code = app.authenticator_code(email);
    assert_eq!(second_factor(&app, &fresh, &code).await, StatusCode::TOO_MANY_REQUESTS);

    // The person's own browser passes its second step.
    let page = app.first_factor_in(&app.browser, email).await;
    let page = app.pass_mfa_in(&app.browser, page, email).await;
    assert!(page.url.ends_with("/admin"), "{} {}", page.url, page.body);
    // Its own wrong codes still pause it.
    app.sign_out().await;
    app.first_factor_in(&app.browser, email).await;
    for _ in 0..4 {
        assert_eq!(second_factor(&app, &app.browser, "111111").await, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(second_factor(&app, &app.browser, "111111").await, StatusCode::TOO_MANY_REQUESTS);
    let code = app.authenticator_code(email);
    assert_eq!(second_factor(&app, &app.browser, &code).await, StatusCode::TOO_MANY_REQUESTS);
    app.advance(chrono::Duration::minutes(16));
    assert_eq!(second_factor(&app, &app.browser, &app.authenticator_code(email)).await, StatusCode::SEE_OTHER);
    app
}
both!(wrong_second_step_codes_elsewhere_do_not_pause_the_persons_own_browser);

/// The device cookie comes once a sign-in is complete — after its second step, not between
/// the two — and is HttpOnly, SameSite=Lax and kept for 180 days; signing out leaves it.
async fn a_device_cookie_comes_once_the_second_step_is_passed(app: TestApp) -> TestApp {
    let email = "root@contoso.example";
    app.sign_in_admin(email).await;
    assert!(app.cookie_header().contains("vestibule-device-"), "{}", app.cookie_header());
    app.sign_out().await;
    assert!(app.cookie_header().contains("vestibule-device-"), "kept after signing out");
    let device_cookies = |page: &Page| -> Vec<String> {
        page.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter(|v| v.starts_with("vestibule-device-"))
            .map(str::to_string)
            .collect()
    };
    let (b, _) = app.new_browser();
    let page = app.first_factor_in(&b, email).await;
    assert!(page.has("Confirm it") && device_cookies(&page).is_empty(), "none between the two steps");
    let page = app.pass_mfa_in(&b, page, email).await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);
    let set = device_cookies(&page);
    assert_eq!(set.len(), 1, "{:?}", page.headers);
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=15552000"] {
        assert!(set[0].contains(attribute), "{attribute} in {}", set[0]);
    }
    assert!(!set[0].contains("Secure"), "plain http in the tests");
    // Once it has one, a browser is not given another.
    assert!(device_cookies(&app.get("/admin").await).is_empty());
    assert!(device_cookies(&Page::from(b.get(app.url("/admin")).send().await.unwrap()).await).is_empty());
    app
}
both!(a_device_cookie_comes_once_the_second_step_is_passed);
