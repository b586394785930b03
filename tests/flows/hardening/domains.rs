//! The partner domain policy holds at every door (redemption, approval, sign-in), covers
//! subdomains, and reads addresses in IDNA form; a blocked guest cannot spend an invitation.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::signup::{link_in, member, package, sign_up};

/// Saves the settings with this partner domain policy.
async fn set_domain_policy(app: &TestApp, policy: &str, domains: &str) {
    let page = app.post("/admin/settings", &settings_form(&[("domain_policy", policy), ("domains", domains)])).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
}

async fn a_guest_invited_before_their_domain_was_denied_cannot_redeem_or_sign_in(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    // Redeemed before the policy changed: sign-in is refused after.
    let early = app.invite("ana@eu.partner.example", &[]).await;
    let (ana, _) = app.new_browser();
    assert!(app.redeem_as(&ana, &early, "ana@eu.partner.example").await.url.ends_with("/apps"));
    // Invited, proven, but not accepted yet when the policy changes.
    let link = app.invite("bo@partner.example", &[]).await;
    let (bo, _) = app.new_browser();
    app.prove_with_code(&bo, &link, "bo@partner.example").await;

    // The entry covers its subdomains.
    set_domain_policy(&app, "denylist", "partner.example").await;
    let token = csrf_of(&bo, &app.url("/signin")).await;
    let form = [("csrf", token.as_str()), ("accept_terms", "yes")];
    let page = Page::from(bo.post(format!("{link}/accept")).form(&form).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.has("This invitation cannot be accepted"));
    let landing = Page::from(bo.get(&link).send().await.unwrap()).await;
    assert_eq!(landing.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'redeemed'").await, 1, "only Ana's");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM identities i JOIN users u ON u.id = i.user_id WHERE u.email = 'bo@partner.example'"
        )
        .await,
        0
    );
    assert!(app.audit_actions().await.contains(&"invitation.redemption_refused".to_string()));

    // Ana's next sign-in is refused.
    let (again, _) = app.new_browser();
    let token = csrf_of(&again, &app.url("/signin")).await;
    again
        .post(app.url("/signin"))
        .form(&[("csrf", token.as_str()), ("email", "ana@eu.partner.example")])
        .send()
        .await
        .unwrap();
    let code = code_in(&app.one_mail("ana@eu.partner.example").await);
    let form = [("csrf", token.as_str()), ("code", code.as_str())];
    let page = Page::from(again.post(app.url("/signin/code")).form(&form).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.has("Your organization&#x27;s domain is not admitted") || page.has("domain is not admitted"),
        "{}",
        page.body
    );
    // New invitations to a subdomain are refused too.
    let page = app.post("/admin/invitations", &[("email", "cy@de.partner.example"), ("send_email", "yes")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    app
}
both!(a_guest_invited_before_their_domain_was_denied_cannot_redeem_or_sign_in);

async fn an_approval_is_refused_once_the_partners_domain_is_denied(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    member(&app, "sam@contoso.example").await;
    let pkg = package(&app, "Atlas", "any", &["sam@contoso.example"], &[]).await;
    let (partner, _) = app.new_browser();
    sign_up(&app, &partner, "pat@fabrikam.example", &pkg).await;
    app.one_mail("pat@fabrikam.example").await;
    let link = link_in(&app.one_mail("sam@contoso.example").await, "/approve/");
    set_domain_policy(&app, "allowlist", "contoso.example").await;
    let (sam, _) = app.new_browser();
    sam.get(&link).send().await.unwrap();
    let token = csrf_of(&sam, &link).await;
    let form = [("csrf", token.as_str()), ("decision", "approve"), ("note", "")];
    let page = Page::from(sam.post(&link).form(&form).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.has("no longer admits partners from this email domain"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'pat@fabrikam.example'").await, 0);
    app
}
both!(an_approval_is_refused_once_the_partners_domain_is_denied);

async fn unicode_domains_show_both_forms_and_mixed_scripts_are_refused(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.post("/admin/invitations", &[("email", "Ana@Bücher.Example"), ("send_email", "yes")]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    app.one_mail("ana@xn--bcher-kva.example").await;
    let id = app.user_id("ana@xn--bcher-kva.example").await;
    let user = app.get(&format!("/admin/users/{id}")).await;
    assert!(user.has("ana@bücher.example (ana@xn--bcher-kva.example)"), "{}", user.body);
    // Admins search as they write the domain.
    let list = app.get("/admin/users?q=b%C3%BCcher").await;
    assert!(list.has("ana@bücher.example (ana@xn--bcher-kva.example)"), "{}", list.body);
    // A Cyrillic "о" in "host".
    let page = app.post("/admin/invitations", &[("email", "eve@h\u{43e}st.example"), ("send_email", "yes")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("mixes letters of different alphabets"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email LIKE 'eve@%'").await, 0);
    app
}
both!(unicode_domains_show_both_forms_and_mixed_scripts_are_refused);

async fn a_blocked_guest_cannot_spend_their_invitation(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("ana@partner.example", &[]).await;
    let (ana, _) = app.new_browser();
    app.prove_with_code(&ana, &link, "ana@partner.example").await;
    let id = app.user_id("ana@partner.example").await;
    assert_eq!(app.post(&format!("/admin/users/{id}/block"), &[]).await.status, StatusCode::OK);
    let token = csrf_of(&ana, &app.url("/signin")).await;
    let form = [("csrf", token.as_str()), ("accept_terms", "yes")];
    let page = Page::from(ana.post(format!("{link}/accept")).form(&form).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 0, "no identity was linked");
    app
}
both!(a_blocked_guest_cannot_spend_their_invitation);
