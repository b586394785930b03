//! Guest lifecycle, section 4 (F12): a new terms version is accepted again at next sign-in
//! (members are not asked); the profile shows the version accepted and the sign-in
//! history; an invitation mail's "Block future invitations" puts the address on the
//! do-not-invite list, which every way of inviting respects until an admin lifts it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{make_key, read};
use crate::helpers::*;
use crate::sponsors::{add_member, get_in, post_in};

const ADMIN: &str = "root@contoso.example";
const GUEST: &str = "pat@fabrikam.example";

async fn guest_version(app: &TestApp) -> Option<String> {
    let mut c = app.state.db.acquire().await.unwrap();
    vestibule::db::users::find_by_email(c.conn(), GUEST).await.unwrap().unwrap().terms_version
}

async fn a_new_terms_version_is_accepted_at_next_sign_in_and_members_are_not_asked(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let (mo, _) = add_member(&app, "mo@contoso.example", "Mo Member").await;
    let link = app.invite(GUEST, &[]).await;
    let (guest, _) = app.new_browser();
    app.redeem_as(&guest, &link, GUEST).await;
    assert_eq!(guest_version(&app).await.as_deref(), Some("2026-1"));
    assert!(app.get("/admin/users").await.has("Every guest has accepted the current terms"));

    // The admin saves a new version.
    let form = settings_form(&[("terms_version", "2026-2"), ("terms_text", "Share nothing outside the project.")]);
    assert!(app.post("/admin/settings", &form).await.has("The settings were saved"));
    let users = app.get("/admin/users").await;
    assert!(users.has("1 guest has not yet accepted the current terms (version 2026-2)"), "{}", users.body);
    let outdated = app.get("/admin/users?terms=outdated").await;
    assert!(outdated.has(GUEST) && !outdated.has("mo@contoso.example"), "{}", outdated.body);
    assert!(outdated.has("<strong>2026-1</strong> (not the current)"), "{}", outdated.body);

    // The guest signs in again: the terms come before any page, with Accept and Leave instead.
    post_in(&app, &guest, "/signout", &[]).await;
    let page = app.first_factor_in(&guest, GUEST).await;
    assert!(page.url.contains("/terms?next="), "{} {}", page.url, page.body);
    assert!(page.has("New terms of use") && page.has("Share nothing outside the project."), "{}", page.body);
    assert!(page.has("href=\"/profile/leave\"") && page.has("Leave instead"), "{}", page.body);
    for path in ["/apps", "/profile", "/apps/requests"] {
        let page = get_in(&app, &guest, path).await;
        assert!(page.url.contains("/terms?next="), "{path} waits for the terms: {}", page.url);
    }
    // Leaving stays open (the other answer); the app sign-in waits too.
    assert_eq!(get_in(&app, &guest, "/profile/leave").await.status, StatusCode::OK);
    assert_eq!(guest_version(&app).await.as_deref(), Some("2026-1"), "nothing accepted by looking");

    // Accepting records the version and the time, audited, and goes on to the page asked.
    let page = post_in(&app, &guest, "/terms", &[("next", "/profile")]).await;
    assert!(page.url.ends_with("/profile"), "{} {}", page.url, page.body);
    assert_eq!(guest_version(&app).await.as_deref(), Some("2026-2"));
    assert!(app.audit_actions().await.contains(&"user.terms_accepted".to_string()));
    let now = app.state.clock.now();
    assert!(page.has("You accepted version 2026-2 on") && page.has(&time_element(now)), "{}", page.body);
    assert!(get_in(&app, &guest, "/apps").await.url.ends_with("/apps"));
    assert!(app.get("/admin/users").await.has("Every guest has accepted the current terms"));

    // Members are never asked (they have no guest terms).
    let page = get_in(&app, &mo, "/apps").await;
    assert!(page.url.ends_with("/apps"), "{}", page.url);
    app.take_mail(ADMIN).await;
    app
}
both!(a_new_terms_version_is_accepted_at_next_sign_in_and_members_are_not_asked);

async fn the_profile_shows_the_terms_accepted_and_the_sign_ins_of_30_days(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let link = app.invite(GUEST, &[]).await;
    let (guest, _) = app.new_browser();
    app.redeem_as(&guest, &link, GUEST).await;
    let redeemed = app.state.clock.now();
    app.advance(chrono::Duration::days(20));
    post_in(&app, &guest, "/signout", &[]).await;
    assert!(app.first_factor_in(&guest, GUEST).await.url.ends_with("/apps"));
    let signed_in = app.state.clock.now();

    let page = get_in(&app, &guest, "/profile").await;
    assert!(page.has("You accepted version 2026-1 on") && page.has("href=\"/terms\""), "{}", page.body);
    assert!(page.has("Your sign-ins"), "{}", page.body);
    assert!(page.has(&time_element(redeemed)) && page.has("(accepting the invitation)"), "{}", page.body);
    assert!(page.has(&time_element(signed_in)) && page.has("Email code"), "{}", page.body);
    assert!(page.has("127.0.0.1"), "from which address: {}", page.body);
    let terms = get_in(&app, &guest, "/terms").await;
    assert!(terms.has("You accepted version 2026-1") && terms.has("Be kind."), "{}", terms.body);
    assert!(!terms.has("Leave instead"), "{}", terms.body);

    // Older than 30 days: the redemption leaves the list. A newer version: the profile says so.
    app.advance(chrono::Duration::days(15));
    app.sign_in_with_code(ADMIN).await;
    let form = settings_form(&[("terms_version", "2026-2")]);
    assert!(app.post("/admin/settings", &form).await.has("The settings were saved"));
    // The guest's session has lapsed meanwhile: the terms come right after signing in.
    assert!(app.first_factor_in(&guest, GUEST).await.url.contains("/terms?next="));
    post_in(&app, &guest, "/terms", &[]).await;
    let page = get_in(&app, &guest, "/profile").await;
    assert!(!page.has(&time_element(redeemed)) && page.has(&time_element(signed_in)), "{}", page.body);
    app.take_mail(ADMIN).await;
    app
}
both!(the_profile_shows_the_terms_accepted_and_the_sign_ins_of_30_days);

/// The "Block future invitations" link of an invitation mail, from both parts.
fn block_link(mail: &vestibule::db::outbox::OutboxMessage) -> String {
    assert!(html_unescape(&mail.html_body).contains("Don't want invitations from Contoso?"), "{}", mail.html_body);
    assert!(
        mail.text_body.contains("Don't want invitations from Contoso? Block future invitations"),
        "{}",
        mail.text_body
    );
    let link = mail
        .text_body
        .split_whitespace()
        .find(|w| w.contains("/unsubscribe/"))
        .unwrap_or_else(|| panic!("no block link in: {}", mail.text_body))
        .to_string();
    assert!(mail.html_body.contains(&link), "the HTML part has it too");
    link
}

async fn a_blocked_address_is_not_invited_anywhere_until_an_admin_lifts_it(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let key = make_key(&app, "Onboarding", &["invitations:write"]).await;
    let (mo, _) = add_member(&app, "mo@contoso.example", "Mo Member").await;
    app.post("/admin/invitations", &[("email", GUEST), ("send_email", "yes")]).await;
    let mail = app.one_mail(GUEST).await;
    let link = block_link(&mail);
    let redeem = redeem_link_in(&mail);

    // Opening the link (a mail scanner does) changes nothing; a made-up token is a 404.
    let (browser, _) = app.new_browser();
    let page = Page::from(browser.get(&link).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has(GUEST) && page.has("Block future invitations"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM do_not_invite").await, 0);
    let forged = format!("{}x", link.trim_end_matches(|c: char| c != '/'));
    assert_eq!(browser.get(&forged).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // Confirming lists it, audited, and withdraws the open invitation.
    let csrf = csrf_of(&browser, &link).await;
    let page = Page::from(browser.post(&link).form(&[("csrf", csrf.as_str())]).send().await.unwrap()).await;
    assert!(page.has(&format!("{GUEST} will get no more invitations from Contoso")), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM do_not_invite").await, 1);
    assert!(app.audit_actions().await.contains(&"do_not_invite.added".to_string()));
    assert!(
        Page::from(browser.get(&redeem).send().await.unwrap()).await.has("This invitation was withdrawn"),
        "the link is withdrawn"
    );

    // The admin form, the member's form, the API and a bulk list all refuse it.
    let page = app.post("/admin/invitations", &[("email", GUEST), ("send_email", "yes")]).await;
    assert!(page.status.is_client_error() && page.has("do-not-invite list"), "{} {}", page.status, page.body);
    let page = post_in(&app, &mo, "/invite", &[("email", GUEST)]).await;
    assert!(page.status.is_client_error() && page.has("do-not-invite list"), "{} {}", page.status, page.body);
    let http = reqwest::Client::new();
    let body = json!({
        "invitedUserEmailAddress": GUEST,
        "inviteRedirectUrl": app.url("/apps"),
        "sendInvitationMessage": true,
    });
    let call = || http.post(app.url("/api/v1/invitations")).bearer_auth(&key).json(&body).send();
    let (status, problem): (StatusCode, Value) = read(call().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "invitedUserEmailAddress", "{problem}");
    let csv = format!("email,display_name\r\n{GUEST},Pat\r\nana@fabrikam.example,Ana\r\n");
    let csrf = app.csrf().await;
    let page = crate::bulk::upload(&app, &app.browser, "list.csv", csv.as_bytes(), &csrf).await;
    assert!(page.has("On the do-not-invite list"), "{}", page.body);
    app.assert_no_mail(GUEST).await;

    // The admin sees the list and lifts the entry (audited); inviting works again.
    let page = app.get("/admin/do-not-invite").await;
    assert!(page.has(GUEST) && page.has("Lift"), "{}", page.body);
    assert!(app.get("/admin").await.has("href=\"/admin/do-not-invite\""), "in the admin menu");
    let page = app.post("/admin/do-not-invite/lift", &[("email", GUEST)]).await;
    assert!(page.has(&format!("{GUEST} can be invited again")), "{}", page.body);
    assert!(app.audit_actions().await.contains(&"do_not_invite.lifted".to_string()));
    let (status, made): (StatusCode, Value) = read(call().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    app.one_mail(GUEST).await;
    app.take_mail(ADMIN).await;
    app
}
both!(a_blocked_address_is_not_invited_anywhere_until_an_admin_lifts_it);
