//! F1: inviting guests, resending and revoking.

use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::*;

async fn an_invitation_creates_a_pending_guest_and_mails_the_link(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app
        .post("/admin/invitations", &[("email", " Ana@Partner.Example "), ("send_email", "yes"), ("message", "Hi Ana")])
        .await;
    assert!(page.url.contains("/admin/users/"), "{}", page.url);
    assert!(page.has("Invitation sent to ana@partner.example"));
    assert!(page.has("pending acceptance"));
    let mail = app.one_mail("ana@partner.example").await;
    assert_eq!(mail.subject, "root invited you to Contoso");
    assert!(mail.text_body.contains("Hi Ana"));
    assert!(mail.html_body.contains("Accept invitation"));
    assert!(redeem_link_in(&mail).starts_with(&format!("{}/redeem/", app.base)));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE user_type = 'guest' AND state = 'pending_acceptance'").await,
        1
    );
    assert!(app.audit_actions().await.contains(&"user.invited".to_string()));
    app
}
both!(an_invitation_creates_a_pending_guest_and_mails_the_link);

async fn bad_invitation_input_is_shown_next_to_the_field(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let long_message = "m".repeat(2001);
    let page = app
        .post(
            "/admin/invitations",
            &[
                ("email", "ana@"),
                ("display_name", "Ana"),
                ("redirect_url", "https://evil.example/"),
                ("message", &long_message),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Enter an email address like name@example.com."));
    assert!(
        page.has("The redirect URL must be a page of this portal, of one of its registered apps, or of an address")
    );
    assert!(page.has("The message can be at most 2000 characters."));
    assert!(page.has("value=\"Ana\""), "other input is kept");
    // A tampered checkbox value is a form this page never sends.
    let page = app.post("/admin/invitations", &[("email", "ana@partner.example"), ("app", "not-a-uuid")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let page = app
        .post(
            "/admin/invitations",
            &[("email", "ana@partner.example"), ("app", "6f1c1d7e-0000-4000-8000-000000000000")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("One of the chosen apps no longer exists"));
    let page = app.post("/admin/invitations", &[("email", "root@contoso.example")]).await;
    assert!(page.has("is a member of this organization already"));
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 0, "nothing half-written");
    app
}
both!(bad_invitation_input_is_shown_next_to_the_field);

async fn inviting_again_resends_and_the_old_link_stops_working(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let first = app.invite("ana@partner.example", &[]).await;
    let page = app.post("/admin/invitations", &[("email", "ana@partner.example"), ("send_email", "yes")]).await;
    assert!(page.has("An invitation to this address was sent less than a minute ago"));
    app.advance(Duration::minutes(2));
    let page = app.post("/admin/invitations", &[("email", "ana@partner.example"), ("send_email", "yes")]).await;
    assert!(page.has("had a pending invitation: a new link was sent"), "{}", page.body);
    let second = redeem_link_in(&app.one_mail("ana@partner.example").await);
    assert_ne!(first, second);
    assert_eq!(app.get(&first).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&second).await.status, StatusCode::OK);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE user_type = 'guest'").await, 1);
    app
}
both!(inviting_again_resends_and_the_old_link_stops_working);

async fn resend_and_revoke_from_the_user_page(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let first = app.invite("ana@partner.example", &[]).await;
    let user_page = app.get("/admin/users?q=partner.example").await;
    let id = between(&user_page.body, "/admin/users/", "\"").unwrap();
    let page = app.post(&format!("/admin/users/{id}/resend"), &[]).await;
    assert!(page.has("sent less than a minute ago"), "resends are rate limited");
    // A refusal looks like one (not the green "done" style) and says when to try again.
    assert!(page.has(r#"<div class="flash refused" role="alert">"#), "{}", page.body);
    assert!(page.has("You can send it again in 60 seconds"), "{}", page.body);
    app.advance(Duration::minutes(5));
    let page = app.post(&format!("/admin/users/{id}/resend"), &[]).await;
    assert!(page.has("A new invitation link was sent"));
    assert!(page.has(r#"<div class="flash" role="status">"#), "{}", page.body);
    let second = redeem_link_in(&app.one_mail("ana@partner.example").await);
    assert_eq!(app.get(&first).await.status, StatusCode::NOT_FOUND);
    let page = app.post(&format!("/admin/users/{id}/revoke"), &[]).await;
    assert!(page.has("The invitation was revoked"));
    let landing = app.get(&second).await;
    assert_eq!(landing.status, StatusCode::GONE);
    assert!(landing.has("This invitation was withdrawn") && landing.has("ask root to invite you again"));
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"invitation.resent".to_string()) && actions.contains(&"invitation.revoked".to_string()));
    app
}
both!(resend_and_revoke_from_the_user_page);

async fn an_invitation_without_mail_shows_the_link_to_the_admin(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.post("/admin/invitations", &[("email", "bo@partner.example")]).await;
    assert!(page.has("No mail was sent"));
    let link = between(&page.body, "give bo@partner.example this link: ", "<").unwrap();
    app.assert_no_mail("bo@partner.example").await;
    app.sign_out().await;
    assert_eq!(app.get(&link).await.status, StatusCode::OK);
    app
}
both!(an_invitation_without_mail_shows_the_link_to_the_admin);

/// Signs a browser in with a one-time sign-in link (the CLI's), returning that browser.
async fn signed_in_with(app: &TestApp, link: &str) -> reqwest::Client {
    let (browser, _) = app.new_browser();
    let csrf = csrf_of(&browser, link).await;
    Page::from(browser.post(link).form(&[("csrf", csrf.as_str())]).send().await.unwrap()).await;
    browser
}

async fn set_invite_policy(app: &TestApp, policy: &str) {
    let page = app.post("/admin/settings", &settings_form(&[("invite_policy", policy)])).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
}

/// Sends the member invite form in `browser`.
async fn invite_as(app: &TestApp, browser: &reqwest::Client, email: &str) -> Page {
    let csrf = csrf_of(browser, &app.url("/apps")).await;
    let form = [("csrf", csrf.as_str()), ("email", email)];
    Page::from(browser.post(app.url("/invite")).form(&form).send().await.unwrap()).await
}

async fn settings_say_who_may_invite(app: TestApp) -> TestApp {
    use vestibule::domain::EmailAddress;
    app.sign_in_admin("ada@host.example").await;
    // Mo is a member (made an admin by the CLI, then not); Gus is a guest.
    let mo_link =
        vestibule::flows::bootstrap::create_admin(&app.state, &EmailAddress::parse("mo@host.example").unwrap(), None)
            .await
            .unwrap();
    let mo_id = app.user_id("mo@host.example").await;
    app.post(&format!("/admin/users/{mo_id}/remove-admin"), &[]).await;
    let mo = signed_in_with(&app, &mo_link).await;
    let gus_link = app.invite("gus@partner.example", &[]).await;
    let (gus, _) = app.new_browser();
    app.redeem_as(&gus, &gus_link, "gus@partner.example").await;

    // Members (the default): Mo invites from his Access Panel and sponsors the guest; Gus may not.
    let panel = Page::from(mo.get(app.url("/apps")).send().await.unwrap()).await;
    assert!(panel.has("href=\"/invite\""), "{}", panel.body);
    let page = invite_as(&app, &mo, "one@partner.example").await;
    assert!(page.has("Invitation sent to one@partner.example"), "{}", page.body);
    app.one_mail("one@partner.example").await;
    let one = app.user_id("one@partner.example").await;
    let sponsors = {
        let mut c = app.state.db.acquire().await.unwrap();
        vestibule::db::sponsors::of(c.conn(), one).await.unwrap()
    };
    assert_eq!(sponsors.iter().map(|u| u.id).collect::<Vec<_>>(), [mo_id], "Mo is the guest's sponsor");
    assert!(!Page::from(gus.get(app.url("/apps")).send().await.unwrap()).await.has("href=\"/invite\""));
    assert_eq!(Page::from(gus.get(app.url("/invite")).send().await.unwrap()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(invite_as(&app, &gus, "two@partner.example").await.status, StatusCode::FORBIDDEN);

    // Everyone: the guest may invite too.
    set_invite_policy(&app, "everyone").await;
    let page = invite_as(&app, &gus, "two@partner.example").await;
    assert!(page.has("Invitation sent to two@partner.example"), "{}", page.body);
    app.one_mail("two@partner.example").await;

    // Admins and inviters: Mo may not, until an admin gives him the role.
    set_invite_policy(&app, "inviters").await;
    assert_eq!(invite_as(&app, &mo, "three@partner.example").await.status, StatusCode::FORBIDDEN);
    let page = app.post(&format!("/admin/users/{mo_id}/make-inviter"), &[]).await;
    assert!(page.has("may now invite guests"), "{}", page.body);
    assert!(invite_as(&app, &mo, "three@partner.example").await.has("Invitation sent"));
    app.one_mail("three@partner.example").await;
    assert!(app.audit_actions().await.contains(&"user.made_inviter".to_string()));

    // Nobody, admins included.
    set_invite_policy(&app, "nobody").await;
    let page = app.post("/admin/invitations", &[("email", "four@partner.example"), ("send_email", "yes")]).await;
    assert!(page.has("You may not invite guests"), "{}", page.body);
    assert_eq!(invite_as(&app, &mo, "four@partner.example").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'four@partner.example'").await, 0);
    app.assert_no_mail("four@partner.example").await;

    // Only an admin gives apps with an invitation (the rule is the flow's, for pages and API).
    set_invite_policy(&app, "members").await;
    let wiki = app.add_app("Wiki", "https://wiki.example/").await;
    let mo_user = {
        let mut c = app.state.db.acquire().await.unwrap();
        vestibule::db::users::find(c.conn(), mo_id).await.unwrap().unwrap()
    };
    let input = vestibule::flows::invite::InviteInput {
        email: EmailAddress::parse("five@partner.example").unwrap(),
        display_name: None,
        redirect: None,
        message: vestibule::domain::BoundedText::parse("", "m", 10, false).unwrap(),
        cc: None,
        language: None,
        app_ids: vec![wiki.parse().unwrap()],
        group_ids: Vec::new(),
        sponsor_ids: Vec::new(),
        package_id: None,
        send_email: true,
    };
    let actor = vestibule::domain::audit::Actor::user(mo_id, "mo@host.example", "127.0.0.1");
    let refused = vestibule::flows::invite::invite(&app.state, &mo_user, &input, &actor).await.unwrap();
    assert!(matches!(refused, Err(vestibule::flows::invite::InviteRefused::AppsNeedAdmin)));
    app
}
both!(settings_say_who_may_invite);
