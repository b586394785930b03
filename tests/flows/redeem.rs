//! F2: redeeming an invitation with an email code.

use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::*;

/// An admin's browser with one app, and an invitation link for `ana@partner.example`.
async fn invited(app: &TestApp) -> String {
    app.sign_in_admin("root@contoso.example").await;
    let app_id = app.add_app("Team Wiki", "https://wiki.contoso.example/").await;
    let link = app
        .invite(
            "ana@partner.example",
            &[("display_name", "Ana Lopez"), ("message", "Welcome aboard!"), ("app", &app_id)],
        )
        .await;
    let user_page = app.get("/admin/users?q=ana").await;
    let id = between(&user_page.body, "/admin/users/", "\"").unwrap();
    let user_page = app.get(&format!("/admin/users/{id}")).await;
    assert!(user_page.has("When the invitation is accepted: Team Wiki."));
    app.sign_out().await;
    link
}

async fn a_guest_redeems_with_a_code_and_sees_the_app(app: TestApp) -> TestApp {
    let link = invited(&app).await;
    let landing = app.get(&link).await;
    assert_eq!(landing.status, StatusCode::OK);
    assert!(landing.has("root invited you to Contoso"), "{}", landing.body);
    assert!(landing.has("Welcome aboard!"));
    assert!(landing.has("Team Wiki"));
    assert!(landing.has("Email me a one-time code"));
    assert!(landing.has("aria-hidden=\"true\">T</span>"), "the app's initial stands in for an icon");
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    let consent = app.get(&format!("{link}/consent")).await;
    assert!(consent.has("Ana Lopez") && consent.has("ana@partner.example"));
    assert!(consent.has("https://contoso.example/privacy"));
    assert!(consent.has("Be kind. Keep shared data confidential."));
    assert!(consent.has("version 2026-1"));
    let page = app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    assert!(page.url.ends_with("/apps"), "{}", page.url);
    assert!(page.has("href=\"https://wiki.contoso.example/\""), "the tile opens the app: {}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE state = 'accepted' AND terms_version = '2026-1'").await, 1);
    assert!(app.audit_actions().await.contains(&"invitation.redeemed".to_string()));
    let profile = app.get("/profile").await;
    assert!(profile.has("One-time code mailed to ana@partner.example"));
    assert!(profile.has("root (root@contoso.example)"), "the inviter is the sponsor");
    app
}
both!(a_guest_redeems_with_a_code_and_sees_the_app);

async fn opening_the_link_changes_nothing(app: TestApp) -> TestApp {
    let link = invited(&app).await;
    for _ in 0..3 {
        assert_eq!(app.get(&link).await.status, StatusCode::OK);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM email_codes").await, 0, "opening the link sends no code");
    // Skipping ahead to the consent page without proof leads back to the start.
    let page = app.get(&format!("{link}/consent")).await;
    assert_eq!(page.url, link);
    let page = app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    assert_eq!(page.url, link);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'").await, 1);
    app
}
both!(opening_the_link_changes_nothing);

/// One date style: a page shows a moment as a `<time>` whose words say UTC, which the
/// reader's browser says again in their own zone (static/dates.js, allowed by the CSP);
/// the mail, which runs no script, says the same words. A day shows as a day.
async fn dates_show_as_time_elements_that_say_utc(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.post("/admin/invitations", &[("email", "ana@partner.example"), ("send_email", "yes")]).await;
    assert!(page.has("Invitation sent to ana@partner.example"), "{}", page.body);
    let mail = app.one_mail("ana@partner.example").await;
    let id = app.user_id("ana@partner.example").await;
    let (ends, created) = {
        let mut c = app.state.db.acquire().await.unwrap();
        let invitation = vestibule::db::invitations::for_user(c.conn(), id).await.unwrap().remove(0);
        let user = vestibule::db::users::find(c.conn(), id).await.unwrap().unwrap();
        (invitation.expires_at, user.created_at)
    };
    let words = utc_words(ends);
    assert!(words.ends_with(" UTC") && words.contains(&ends.format(" %b %Y, ").to_string()), "{words}");
    assert!(mail.text_body.contains(&format!("The link works until {words}.")), "{}", mail.text_body);
    assert!(mail.html_body.contains(&format!("The link works until {words}.")), "{}", mail.html_body);

    // The landing: the element itself, not its escaped text, and the script that localises it.
    let landing = app.get(&redeem_link_in(&mail)).await;
    let shown = format!("It works until {}.", time_element(ends));
    assert!(shown.contains(r#"" data-local>"#), "{shown}");
    assert!(landing.has(&shown), "{shown} in {}", landing.body);
    assert!(!landing.has("&lt;time"), "{}", landing.body);
    assert!(landing.has(r#"<script src="/static/dates.js" defer></script>"#), "{}", landing.body);
    let csp = landing.headers["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let script = app.get_raw("/static/dates.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(script.text().await.unwrap().contains("time[data-local]"));

    // The admin's list of people: when Ana's account was made is a day, no time, no zone.
    let users = app.get("/admin/users?q=ana").await;
    let day = format!(
        r#"<time datetime="{}" data-local="day">{}</time>"#,
        created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        created.format("%-d %b %Y")
    );
    assert!(users.has(&day), "{day} in {}", users.body);
    // Her page: the invitation's end is a moment, like every end.
    let user = app.get(&format!("/admin/users/{id}")).await;
    assert!(user.has(&time_element(ends)), "{}", user.body);
    app
}
both!(dates_show_as_time_elements_that_say_utc);

async fn the_terms_must_be_accepted(app: TestApp) -> TestApp {
    let link = invited(&app).await;
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    let page = app.post(&format!("{link}/accept"), &[]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Accept the terms of use to continue."));
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'").await, 1);
    app
}
both!(the_terms_must_be_accepted);

async fn a_used_invitation_link_shows_already_redeemed(app: TestApp) -> TestApp {
    let link = invited(&app).await;
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    app.sign_out().await;
    let page = app.get(&link).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.has("This invitation has already been accepted"));
    let page = app.post(&format!("{link}/code"), &[]).await;
    assert_eq!(page.status, StatusCode::GONE);
    app.assert_no_mail("ana@partner.example").await;
    // The guest signs in later with a code.
    let page = app.sign_in_with_code("ana@partner.example").await;
    assert!(page.url.ends_with("/apps"));
    app
}
both!(a_used_invitation_link_shows_already_redeemed);

async fn a_double_click_on_accept_redeems_once(app: TestApp) -> TestApp {
    let link = invited(&app).await;
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    let token = csrf_of(&app.browser, &format!("{link}/consent")).await;
    let form = [("csrf", token.as_str()), ("accept_terms", "yes")];
    let url = format!("{link}/accept");
    let (a, b) = tokio::join!(app.browser.post(&url).form(&form).send(), app.browser.post(&url).form(&form).send());
    for r in [a.unwrap(), b.unwrap()] {
        let p = Page::from(r).await;
        assert!(p.url.ends_with("/apps"), "both clicks end on the Access Panel: {} {}", p.status, p.body);
    }
    // And a third, later, with the same (old) form.
    let p = Page::from(app.browser.post(&url).form(&form).send().await.unwrap()).await;
    assert!(p.url.ends_with("/apps") || p.status == StatusCode::FORBIDDEN, "{}", p.url);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM assignments").await, 1);
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "invitation.redeemed").count(), 1);
    app
}
both!(a_double_click_on_accept_redeems_once);

async fn two_browsers_redeeming_one_link_at_once_succeed_once(app: TestApp) -> TestApp {
    let link = invited(&app).await;
    let (b1, r1) = app.new_browser();
    let (b2, r2) = app.new_browser();
    app.prove_with_code(&b1, &link, "ana@partner.example").await;
    app.prove_with_code(&b2, &link, "ana@partner.example").await;
    let t1 = csrf_of(&b1, &format!("{link}/consent")).await;
    let t2 = csrf_of(&b2, &format!("{link}/consent")).await;
    let url = format!("{link}/accept");
    let (x, y) = tokio::join!(
        r1.post(&url).form(&[("csrf", t1.as_str()), ("accept_terms", "yes")]).send(),
        r2.post(&url).form(&[("csrf", t2.as_str()), ("accept_terms", "yes")]).send()
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.status(), StatusCode::SEE_OTHER);
    assert_eq!(y.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "invitation.redeemed").count(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM assignments").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'redeemed'").await, 1);
    app
}
both!(two_browsers_redeeming_one_link_at_once_succeed_once);

async fn expired_and_forged_links_say_what_happened(app: TestApp) -> TestApp {
    let link = invited(&app).await;
    app.advance(Duration::days(31));
    let page = app.get(&link).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.has("This invitation has expired") && page.has("Ask root to send you a new invitation"));
    let forged = app.get(&format!("{}/redeem/{}", app.base, "A".repeat(43))).await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let pass = vestibule::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(pass.expired_invitations, 1);
    assert!(app.audit_actions().await.contains(&"invitations.expired".to_string()));
    assert!(app.get(&link).await.has("This invitation has expired"));
    let truncated = app.get(&link[..link.len() - 3]).await;
    assert_eq!(truncated.status, StatusCode::NOT_FOUND);
    // A link cut short says what it is and what to do, not a bare "not found".
    assert!(truncated.has("This invitation link is not valid"), "{}", truncated.body);
    assert!(truncated.has("ask the person who invited you"), "{}", truncated.body);
    app
}
both!(expired_and_forged_links_say_what_happened);

async fn a_link_that_expires_mid_redemption_is_refused(app: TestApp) -> TestApp {
    let link = invited(&app).await;
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    app.advance(Duration::days(30));
    let page = app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.has("expired"));
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 0);
    app
}
both!(a_link_that_expires_mid_redemption_is_refused);

async fn a_wrong_redemption_code_is_counted_and_then_dead(app: TestApp) -> TestApp {
    let link = invited(&app).await;
    app.get(&link).await;
    app.post(&format!("{link}/code"), &[]).await;
    let right = code_in(&app.one_mail("ana@partner.example").await);
    let wrong = if right == "00000000" { "11111111" } else { "00000000" };
    for _ in 0..4 {
        let page = app.post(&format!("{link}/verify"), &[("code", wrong)]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.has("That code is not right"));
    }
    let page = app.post(&format!("{link}/verify"), &[("code", wrong)]).await;
    assert!(page.has("This code no longer works"));
    let page = app.post(&format!("{link}/verify"), &[("code", &right)]).await;
    assert_eq!(page.url, link, "without a live code the guest starts over");
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'").await, 1);
    app
}
both!(a_wrong_redemption_code_is_counted_and_then_dead);

async fn the_guest_goes_to_the_invitations_redirect_url(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.add_app("Team Wiki", "https://wiki.contoso.example/").await;
    let link = app.invite("ana@partner.example", &[("redirect_url", "https://wiki.contoso.example/welcome")]).await;
    app.sign_out().await;
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    let token = csrf_of(&app.browser, &format!("{link}/consent")).await;
    let r = app
        .raw
        .post(format!("{link}/accept"))
        .form(&[("csrf", token.as_str()), ("accept_terms", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "https://wiki.contoso.example/welcome");
    app
}
both!(the_guest_goes_to_the_invitations_redirect_url);

async fn declining_redeems_nothing_and_the_link_still_works(app: TestApp) -> TestApp {
    let link = invited(&app).await;
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    let consent = app.get(&format!("{link}/consent")).await;
    assert!(consent.has(">Decline</button>") && !consent.has("Last step"), "{}", consent.body);
    let page = app.post(&format!("{link}/decline"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("You declined the invitation") && page.has("Nothing was shared with Contoso"), "{}", page.body);
    assert!(page.has("invitation mail works until <time datetime=\""), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 0, "no identity was linked");
    assert!(app.audit_actions().await.contains(&"invitation.declined".to_string()));
    // Nobody is mailed (the inviter is not told why), and the proof is gone from the session.
    app.assert_no_mail("root@contoso.example").await;
    let page = app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    assert_eq!(page.url, link, "accepting now needs a new proof");
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'").await, 1);
    // They may change their mind while the link works.
    let page = app.redeem_as(&app.browser, &link, "ana@partner.example").await;
    assert!(page.url.ends_with("/apps"), "{}", page.url);
    app
}
both!(declining_redeems_nothing_and_the_link_still_works);

async fn the_words_follow_the_configured_sign_in_ways(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    // No identity provider: nobody is promised a work account, and the missing privacy
    // statement is said.
    app.post("/admin/settings", &settings_form(&[])).await;
    app.post("/admin/invitations", &[("email", "ana@partner.example"), ("send_email", "yes")]).await;
    let mail = app.one_mail("ana@partner.example").await;
    assert!(!mail.text_body.contains("work account"), "{}", mail.text_body);
    assert!(
        mail.text_body.contains("You will sign in with a one-time code sent to this address"),
        "{}",
        mail.text_body
    );
    assert!(mail.html_body.contains("You will sign in with a one-time code sent to this address"));
    let link = redeem_link_in(&mail);
    app.sign_out().await;
    let landing = app.get(&link).await;
    assert!(!landing.has("work account") && landing.has("does not give you a password"), "{}", landing.body);
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    let consent = app.get(&format!("{link}/consent")).await;
    assert!(consent.has("Contoso has not given a privacy statement"), "{}", consent.body);
    app
}
both!(the_words_follow_the_configured_sign_in_ways);
