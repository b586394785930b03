//! Issue 23: the second step holds. An email code alone never enrolls, removes or replaces
//! a factor of a person who has one; changing factors needs a recent second step; the
//! session's token is new once the second step passes; a factor set up by choice is asked.

use chrono::Duration;
use reqwest::{Client, StatusCode};

use crate::helpers::*;

const ADMIN: &str = "root@contoso.example";

/// POSTs `fields` (with the browser's CSRF token) and returns the raw answer.
async fn post_raw_in(app: &TestApp, raw: &Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = csrf_of(raw, &app.url("/signin")).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    raw.post(app.url(path)).form(&form).send().await.unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

async fn an_email_code_alone_cannot_enroll_a_new_factor_for_an_admin_who_has_one(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    app.sign_out().await;
    // The attacker has the admin's mailbox, not their phone.
    let (attacker, raw) = app.new_browser();
    let page = app.first_factor_in(&attacker, ADMIN).await;
    assert!(page.has("Confirm it"), "asked for the second step: {}", page.body);

    let r = raw.get(app.url("/mfa/setup")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/mfa?next="), "{}", location(&r));
    let page = Page::from(attacker.get(app.url("/mfa/setup?next=%2Fadmin")).send().await.unwrap()).await;
    assert!(!page.has("Set up an authenticator app") && page.has("Confirm it"), "{}", page.body);
    let method = uuid::Uuid::new_v4().to_string();
    let fields = [("method", method.as_str()), ("name", "Mine"), ("code", "123456"), ("next", "/admin")];
    let r = post_raw_in(&app, &raw, "/mfa/setup", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/mfa?next="), "{}", location(&r));
    let fields = [("ceremony", method.as_str()), ("credential", "{}"), ("name", "Mine"), ("next", "/admin")];
    let r = post_raw_in(&app, &raw, "/mfa/passkey/register", &fields).await;
    assert!(location(&r).starts_with("/mfa?next="), "{}", location(&r));
    let r = post_raw_in(&app, &raw, "/profile/mfa/recovery-codes", &[]).await;
    assert!(location(&r).starts_with("/mfa?next="), "{}", location(&r));
    let r = raw.get(app.url("/admin")).send().await.unwrap();
    assert!(location(&r).starts_with("/mfa?next="), "{}", location(&r));
    assert_eq!(app.count("SELECT COUNT(*) FROM mfa_methods").await, 1, "nothing enrolled, not even unconfirmed");
    assert!(!app.audit_actions().await.iter().any(|a| a == "mfa.recovery_codes_renewed"));

    // The owner, with their phone: a fresh second step lets them add another app...
    let (owner, owner_raw) = app.new_browser();
    let page = app.first_factor_in(&owner, ADMIN).await;
    let page = app.pass_mfa_in(&owner, page, ADMIN).await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);
    let page = Page::from(owner.get(app.url("/mfa/setup?next=%2Fprofile")).send().await.unwrap()).await;
    assert!(page.has("Set up an authenticator app"), "{}", page.body);
    // ...for ten minutes; after that they are asked again, then let through.
    app.advance(Duration::minutes(11));
    let r = owner_raw.get(app.url("/mfa/setup?next=%2Fprofile")).send().await.unwrap();
    assert!(location(&r).starts_with("/mfa?again=1&next="), "{}", location(&r));
    let page = Page::from(owner.get(app.url("/mfa/setup?next=%2Fprofile")).send().await.unwrap()).await;
    assert!(page.has("Confirm it"), "asked again: {}", page.body);
    let page = app.pass_mfa_in(&owner, page, ADMIN).await;
    assert!(page.has("Set up an authenticator app"), "{} {}", page.url, page.body);
    let r = post_raw_in(&app, &owner_raw, "/profile/mfa/recovery-codes", &[]).await;
    assert_eq!(r.status(), StatusCode::OK, "new recovery codes after a fresh step");
    app.take_mail(ADMIN).await;
    app
}
both!(an_email_code_alone_cannot_enroll_a_new_factor_for_an_admin_who_has_one);

async fn resetting_another_persons_factors_needs_the_admins_recent_second_step(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let link = app.invite("ana@partner.example", &[]).await;
    let (ana, _) = app.new_browser();
    app.redeem_as(&ana, &link, "ana@partner.example").await;
    let ana_id = app.user_id("ana@partner.example").await;
    app.advance(Duration::minutes(11));
    let r = app.post_raw(&format!("/admin/users/{ana_id}/mfa/reset"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/mfa?again=1&next="), "{}", location(&r));
    assert!(!app.audit_actions().await.iter().any(|a| a == "mfa.reset"));
    let page = app.get("/mfa?again=1&next=%2Fadmin").await;
    let page = app.pass_mfa_in(&app.browser, page, ADMIN).await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);
    let page = app.post(&format!("/admin/users/{ana_id}/mfa/reset"), &[]).await;
    assert!(page.has("Their second factors were reset"), "{}", page.body);
    assert!(app.audit_actions().await.iter().any(|a| a == "mfa.reset"));
    app.one_mail("ana@partner.example").await;
    app
}
both!(resetting_another_persons_factors_needs_the_admins_recent_second_step);

async fn a_cookie_copied_between_the_two_steps_does_not_become_a_full_session(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    app.sign_out().await;
    let page = app.first_factor_in(&app.browser, ADMIN).await;
    assert!(page.has("Confirm it"));
    let copied = app.cookie_header();
    let page = app.pass_mfa_in(&app.browser, page, ADMIN).await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);
    assert_eq!(app.get_raw("/admin").await.status(), StatusCode::OK, "the owner's browser goes on");
    let r = app.get_with_cookie("/admin", &copied).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/signin"), "the copy opens nothing: {}", location(&r));
    app
}
both!(a_cookie_copied_between_the_two_steps_does_not_become_a_full_session);

async fn a_factor_set_up_by_choice_is_asked_at_every_sign_in(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let link = app.invite("gus@partner.example", &[]).await;
    let (gus, gus_raw) = app.new_browser();
    app.redeem_as(&gus, &link, "gus@partner.example").await;
    // No rule asks guests for a second factor; Gus sets one up anyway.
    let page = Page::from(gus.get(app.url("/mfa/setup?next=%2Fprofile")).send().await.unwrap()).await;
    let (page, _, _) = app.set_up_authenticator(&gus, page, "gus@partner.example").await;
    assert!(page.url.ends_with("/profile"), "{}", page.url);
    let csrf = csrf_of(&gus, &app.url("/profile")).await;
    gus.post(app.url("/signout")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();

    let page = app.first_factor_in(&gus, "gus@partner.example").await;
    assert!(page.has("Confirm it"), "asked for his factor: {} {}", page.url, page.body);
    let r = gus_raw.get(app.url("/apps")).send().await.unwrap();
    assert!(location(&r).starts_with("/mfa?next="), "{}", location(&r));
    let page = app.pass_mfa_in(&gus, page, "gus@partner.example").await;
    assert!(page.url.ends_with("/apps"), "{}", page.url);
    app
}
both!(a_factor_set_up_by_choice_is_asked_at_every_sign_in);

async fn a_setup_secret_is_shown_only_in_the_browser_that_started_it(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let link = app.invite("bo@partner.example", &[]).await;
    let (bo, _) = app.new_browser();
    app.redeem_as(&bo, &link, "bo@partner.example").await;
    let bo_id = app.user_id("bo@partner.example").await;
    app.post(&format!("/admin/users/{bo_id}/mfa/require"), &[]).await;
    // Someone with Bo's email code opens the set-up first and reads its secret.
    let (attacker, _) = app.new_browser();
    let page = app.first_factor_in(&attacker, "bo@partner.example").await;
    let planted = between(&page.body, "secret-key\">", "<").expect("a set-up");
    let again = Page::from(attacker.get(app.url("/mfa")).send().await.unwrap()).await;
    assert_eq!(between(&again.body, "secret-key\">", "<").unwrap(), planted, "a reload shows the same secret");
    // Bo's own set-up never shows that secret.
    let page = Page::from(bo.get(app.url("/apps")).send().await.unwrap()).await;
    let his = between(&page.body, "secret-key\">", "<").expect("Bo's set-up");
    assert_ne!(his, planted);
    app
}
both!(a_setup_secret_is_shown_only_in_the_browser_that_started_it);

async fn adding_another_factor_does_not_restart_the_recent_second_step(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    // Nine minutes after the second step, a second app is added...
    app.advance(Duration::minutes(9));
    let page = app.get("/mfa/setup?next=%2Fprofile").await;
    assert!(page.has("Set up an authenticator app"), "{}", page.body);
    let method = between(&page.body, "name=\"method\" value=\"", "\"").unwrap();
    let key = between(&page.body, "secret-key\">", "<").unwrap();
    let secret = totp_rs::Secret::try_from_base32(&key).unwrap().as_ref().to_vec();
    let t = vestibule::domain::mfa::totp(&secret, "Contoso", ADMIN).unwrap();
    let code = vestibule::domain::mfa::code_at(&t, app.state.clock.now());
    let fields = [("method", method.as_str()), ("name", "Spare"), ("code", code.as_str()), ("next", "/profile")];
    let page = app.post("/mfa/setup", &fields).await;
    assert!(page.url.ends_with("/profile"), "{} {}", page.url, page.body);
    app.take_mail(ADMIN).await;
    // ...which does not count as a new second step: two minutes on, it is asked again.
    app.advance(Duration::minutes(2));
    let r = app.get_raw("/mfa/setup?next=%2Fprofile").await;
    assert!(location(&r).starts_with("/mfa?again=1&next="), "{}", location(&r));
    app
}
both!(adding_another_factor_does_not_restart_the_recent_second_step);
