//! F7 (first part): admin pages, apps, users, audit log; non-admins are refused.

use reqwest::StatusCode;

use crate::helpers::*;

async fn admin_pages_refuse_guests_and_send_strangers_to_sign_in(app: TestApp) -> TestApp {
    let r = app.get_raw("/admin/users").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/signin?next=%2Fadmin%2Fusers");
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("ana@partner.example", &[]).await;
    app.sign_out().await;
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    for path in ["/admin", "/admin/users", "/admin/apps", "/admin/apps/new", "/admin/audit", "/admin/invitations/new"] {
        let page = app.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.has("Not allowed"));
    }
    let page = app.post("/admin/apps", &[("name", "X"), ("launch_url", "https://x.example/")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = app.post("/admin/invitations", &[("email", "eve@partner.example"), ("send_email", "yes")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM apps").await, 0);
    assert!(!app.get("/apps").await.has("href=\"/admin\""), "no admin link for guests");
    app
}
both!(admin_pages_refuse_guests_and_send_strangers_to_sign_in);

async fn an_admin_adds_edits_and_deletes_an_app(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let id = app.add_app("Team Wiki", "https://wiki.contoso.example/").await;
    let page = app.get(&format!("/admin/apps/{id}")).await;
    assert!(page.has("value=\"Team Wiki\""));
    let page = app
        .post(
            &format!("/admin/apps/{id}"),
            &[("name", "Wiki"), ("launch_url", "https://wiki.contoso.example/home"), ("icon_url", "")],
        )
        .await;
    assert!(page.has("Wiki was saved.") && page.has("https://wiki.contoso.example/home"));
    assert!(page.has("Hidden"), "unchecked box hides the app from the panel");
    let page = app.post(&format!("/admin/apps/{id}/delete"), &[]).await;
    assert!(page.has("The app was deleted."));
    assert_eq!(app.count("SELECT COUNT(*) FROM apps").await, 0);
    assert_eq!(app.get(&format!("/admin/apps/{id}")).await.status, StatusCode::NOT_FOUND);
    let actions = app.audit_actions().await;
    for a in ["app.created", "app.updated", "app.deleted"] {
        assert!(actions.contains(&a.to_string()), "{a}");
    }
    app
}
both!(an_admin_adds_edits_and_deletes_an_app);

async fn bad_app_input_keeps_what_was_typed(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let long = "n".repeat(81);
    let page = app
        .post(
            "/admin/apps",
            &[("name", &long), ("launch_url", "javascript:alert(1)"), ("icon_url", "ftp://x"), ("description", "Docs")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("A name can be at most 80 characters."));
    assert!(page.has("The launch URL must start with https:// or http://."));
    assert!(page.has("The icon URL must start with https:// or http://."));
    assert!(page.has(">Docs</textarea>"));
    // Each error is tied to its field for screen readers (the field macro).
    assert!(
        page.has("value=\"nnnn") && page.has("aria-invalid=\"true\" aria-describedby=\"name-error\">"),
        "{}",
        page.body
    );
    assert!(page.has("<p class=\"field-error\" id=\"name-error\">A name can be at most 80 characters.</p>"));
    let page = app.post("/admin/apps", &[("name", ""), ("launch_url", "")]).await;
    assert!(page.has("Enter a name."));
    let page =
        app.post("/admin/apps", &[("name", "<script>alert(1)</script>"), ("launch_url", "https://x.example/")]).await;
    assert!(!page.has("<script>alert(1)</script>"), "names are escaped");
    assert!(page.has("&#60;script&#62;"), "{}", page.body);
    app
}
both!(bad_app_input_keeps_what_was_typed);

async fn the_users_list_searches_filters_and_pages(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    for i in 0..27 {
        let email = format!("guest{i:02}@fabrikam.example");
        let page =
            app.post("/admin/invitations", &[("email", &email), ("display_name", &format!("Guest {i:02}"))]).await;
        assert!(page.has("No mail was sent"));
    }
    app.post("/admin/invitations", &[("email", "ana@partner.example"), ("display_name", "Ana Lopez")]).await;
    let page = app.get("/admin/users?q=fabrikam.example").await;
    assert!(page.has("Page 1 of 2 · 27 in all"), "{}", page.body);
    let end = page.body.find("\" rel=\"next\"").expect("a next link");
    let start = page.body[..end].rfind("href=\"").unwrap() + "href=\"".len();
    let next = page.body[start..end].replace("&#38;", "&");
    let page2 = app.get(&next).await;
    assert!(page2.has("Page 2 of 2"));
    let page = app.get("/admin/users?q=LOPEZ").await;
    assert!(page.has("ana@partner.example") && page.has("1 in all"));
    let page = app.get("/admin/users?type=member").await;
    assert!(page.has("root@contoso.example") && page.has("1 in all"));
    let page = app.get("/admin/users?state=blocked").await;
    assert!(page.has("No users match."));
    let page = app.get("/admin/users?q=100%25_").await;
    assert!(page.has("No users match."), "LIKE wildcards are literal");
    let page = app.get("/admin/users?page=abc").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let page = app.get("/admin/users?page=-5").await;
    assert!(page.has("Page 1 of"));
    app
}
both!(the_users_list_searches_filters_and_pages);

async fn an_admin_assigns_and_removes_apps_and_blocks_a_guest(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let wiki = app.add_app("Team Wiki", "https://wiki.contoso.example/").await;
    let link = app.invite("ana@partner.example", &[]).await;
    let (guest, _) = app.new_browser();
    app.prove_with_code(&guest, &link, "ana@partner.example").await;
    let token = csrf_of(&guest, &format!("{link}/consent")).await;
    guest
        .post(format!("{link}/accept"))
        .form(&[("csrf", token.as_str()), ("accept_terms", "yes")])
        .send()
        .await
        .unwrap();
    let panel = guest.get(app.url("/apps")).send().await.unwrap().text().await.unwrap();
    assert!(panel.contains("No apps yet."));
    let list = app.get("/admin/users?q=ana").await;
    let id = between(&list.body, "/admin/users/", "\"").unwrap();
    let page = app.post(&format!("/admin/users/{id}/apps"), &[("app_id", &wiki)]).await;
    assert!(page.has("The app was assigned."));
    let panel = guest.get(app.url("/apps")).send().await.unwrap().text().await.unwrap();
    assert!(panel.contains("Team Wiki"));
    app.post(&format!("/admin/users/{id}/apps/{wiki}/remove"), &[]).await;
    let panel = guest.get(app.url("/apps")).send().await.unwrap().text().await.unwrap();
    assert!(!panel.contains("Team Wiki"));
    // Blocking ends the guest's session at once.
    let page = app.post(&format!("/admin/users/{id}/block"), &[]).await;
    assert!(page.has("The user is blocked"));
    let r = guest.get(app.url("/apps")).send().await.unwrap();
    assert!(r.url().path().starts_with("/signin"), "{}", r.url());
    // ... and a blocked guest who proves their address gets a clear refusal.
    let token = csrf_of(&guest, &app.url("/signin")).await;
    guest
        .post(app.url("/signin"))
        .form(&[("csrf", token.as_str()), ("email", "ana@partner.example")])
        .send()
        .await
        .unwrap();
    let code = code_in(&app.one_mail("ana@partner.example").await);
    let r = guest
        .post(app.url("/signin/code"))
        .form(&[("csrf", token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("Your access is blocked"));
    app.post(&format!("/admin/users/{id}/unblock"), &[]).await;
    let page = app.get(&format!("/admin/users/{id}")).await;
    assert!(page.has("state-accepted"));
    let actions = app.audit_actions().await;
    for a in ["app.assigned", "app.unassigned", "user.blocked", "user.unblocked", "user.sign_in_refused"] {
        assert!(actions.contains(&a.to_string()), "{a}");
    }
    app
}
both!(an_admin_assigns_and_removes_apps_and_blocks_a_guest);

async fn the_audit_log_lists_and_filters_events(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.add_app("Team Wiki", "https://wiki.contoso.example/").await;
    let page = app.get("/admin/audit").await;
    let text = text_of(&page.body);
    assert!(text.contains("root (root@contoso.example) added the app Team Wiki") && page.has("127.0.0.1"), "{text}");
    assert!(
        text.contains("root (root@contoso.example) signed in")
            && text.contains("root (root@contoso.example) set up an authenticator app “Phone”"),
        "{text}"
    );
    // The code stays, small, for admins who search by it; and so does the old prefix filter.
    assert!(page.has("<code class=\"muted fine\">app.created</code>"));
    let page = app.get("/admin/audit?action=app.").await;
    let text = text_of(&page.body);
    assert!(text.contains("added the app") && !text.contains("root (root@contoso.example) signed in"), "{text}");
    let dash = app.get("/admin").await;
    assert!(
        dash.has("Recent activity")
            && text_of(&dash.body).contains("root (root@contoso.example) added the app Team Wiki")
    );
    assert!(!dash.has("app.created"), "no codes on the dashboard");
    app
}
both!(the_audit_log_lists_and_filters_events);

async fn settings_brand_the_portal_and_bad_values_are_refused(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.get("/admin/settings").await;
    assert!(page.has("value=\"Contoso\"") && page.has("value=\"#2f4ea8\""), "the defaults from the config");
    let bad = settings_form(&[
        ("org_name", "Fabrikam <b>"),
        ("accent", "#ffff00"),
        ("logo_url", "javascript:alert(1)"),
        ("invitation_ttl_days", "0"),
        ("signup_ttl_days", "many"),
        ("domain_policy", "allowlist"),
        ("terms_text", ""),
    ]);
    let page = app.post("/admin/settings", &bad).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Choose a darker accent colour",
        "The logo address must start with https:// or http://.",
        "Invitations must last between 1 and 365 days.",
        "Sign-up requests must last between 1 and 90 days.",
        "List at least one domain to allow",
        "Enter the terms of use.",
    ] {
        assert!(page.has(message), "{message}: {}", page.body);
    }
    assert!(page.has("value=\"Fabrikam &#60;b&#62;\""), "typed input is kept, escaped");
    let good = settings_form(&[
        ("org_name", "Contoso Ltd"),
        ("logo_url", "https://contoso.example/logo.png"),
        ("accent", "#1F4E3D"),
        ("invitation_ttl_days", "7"),
        ("terms_version", "2026-03"),
    ]);
    let page = app.post("/admin/settings", &good).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    assert!(page.has("<img class=\"brand-logo\" src=\"https://contoso.example/logo.png\""));
    assert!(page.has("Settings · Contoso Ltd"));
    let css = app.get("/brand.css").await;
    assert!(css.has("--accent: #1f4e3d"), "{}", css.body);
    // Mail and invitations follow the settings.
    let page = app.post("/admin/invitations", &[("email", "ana@partner.example"), ("send_email", "yes")]).await;
    assert!(page.has("Invitation sent"), "{}", page.body);
    let mail = app.one_mail("ana@partner.example").await;
    assert!(mail.subject.ends_with("invited you to Contoso Ltd"), "{}", mail.subject);
    assert!(mail.html_body.contains("#1f4e3d") && mail.html_body.contains("https://contoso.example/logo.png"));
    let until = between(&mail.text_body, "The link works until ", ".").unwrap_or_default();
    assert!(until.starts_with("9 Mar 2026, ") && until.ends_with(" UTC"), "valid for 7 days: {}", mail.text_body);
    let link = redeem_link_in(&mail);
    app.sign_out().await;
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    let page = app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    assert!(page.url.ends_with("/apps"));
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE terms_version = '2026-03'").await, 1);
    assert!(app.audit_actions().await.contains(&"settings.updated".to_string()));
    app
}
both!(settings_brand_the_portal_and_bad_values_are_refused);

async fn the_domain_policy_applies_to_invitations(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let form = settings_form(&[("domain_policy", "allowlist"), ("domains", "partner.example\nfabrikam.example")]);
    assert!(app.post("/admin/settings", &form).await.has("The settings were saved"));
    let page = app.post("/admin/invitations", &[("email", "eve@elsewhere.example"), ("send_email", "yes")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Addresses at elsewhere.example may not be invited"), "{}", page.body);
    app.invite("ana@partner.example", &[]).await;
    let form = settings_form(&[("domain_policy", "denylist"), ("domains", "partner.example")]);
    assert!(app.post("/admin/settings", &form).await.has("The settings were saved"));
    let page = app.post("/admin/invitations", &[("email", "bo@partner.example"), ("send_email", "yes")]).await;
    assert!(page.has("Addresses at partner.example may not be invited"));
    app.invite("eve@elsewhere.example", &[]).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 2);
    app
}
both!(the_domain_policy_applies_to_invitations);

async fn admin_rights_are_given_and_taken_back_but_never_from_the_last_admin(app: TestApp) -> TestApp {
    use vestibule::domain::{DisplayName, EmailAddress};
    app.sign_in_admin("ada@host.example").await;
    // A second admin from the command line, named as guests should see her.
    let email = EmailAddress::parse("grace@host.example").unwrap();
    let name = DisplayName::parse("Grace Hopper").unwrap();
    let link = vestibule::flows::bootstrap::create_admin(&app.state, &email, Some(&name)).await.unwrap();
    let grace = app.user_id("grace@host.example").await;
    let page = app.get(&format!("/admin/users/{grace}")).await;
    assert!(page.has("Grace Hopper") && page.has("Remove admin rights"), "{}", page.body);

    let page = app.post(&format!("/admin/users/{grace}/remove-admin"), &[]).await;
    assert!(page.has("admin rights were removed"), "{}", page.body);
    assert!(page.has("Make admin"));
    let page = app.post(&format!("/admin/users/{grace}/make-admin"), &[]).await;
    assert!(page.has("is now an admin"), "{}", page.body);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"user.admin_removed".to_string()) && actions.contains(&"user.made_admin".to_string()));

    // A guest cannot be an admin.
    app.invite("ana@partner.example", &[]).await;
    let ana = app.user_id("ana@partner.example").await;
    assert!(!app.get(&format!("/admin/users/{ana}")).await.has("Make admin"));
    let page = app.post(&format!("/admin/users/{ana}/make-admin"), &[]).await;
    assert!(page.has("Only members of the organization can be admins"), "{}", page.body);

    // Ada gives up her own rights (Grace is still an admin): a privilege change ends her
    // sessions, so she signs in again, as a member.
    let ada = app.user_id("ada@host.example").await;
    let page = app.post(&format!("/admin/users/{ada}/remove-admin"), &[]).await;
    assert!(page.url.contains("/signin?next=%2Fapps"), "{}", page.url);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE is_admin").await, 1);
    // Grace, now the last admin, cannot take her own rights away.
    let (browser, _) = app.new_browser();
    let csrf = csrf_of(&browser, &link).await;
    let page = Page::from(browser.post(&link).form(&[("csrf", csrf.as_str())]).send().await.unwrap()).await;
    let page = app.pass_mfa_in(&browser, page, "grace@host.example").await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);
    let csrf = csrf_of(&browser, &app.url(&format!("/admin/users/{grace}"))).await;
    let page = Page::from(
        browser
            .post(app.url(&format!("/admin/users/{grace}/remove-admin")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.has("This is the last admin"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE is_admin").await, 1);
    app
}
both!(admin_rights_are_given_and_taken_back_but_never_from_the_last_admin);

async fn the_admin_menu_folds_and_marks_the_page_shown(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.get("/admin/requests").await;
    // One menu for wide screens, one disclosure for phones (no script), both marking the page.
    assert!(page.has(r#"<details class="adminmenu">"#), "{}", page.body);
    assert!(page.has(r#"<span class="muted">: Access requests</span>"#), "{}", page.body);
    assert_eq!(page.body.matches(r#"<a href="/admin/requests" aria-current="page">Access requests</a>"#).count(), 2);
    // A page below an entry marks that entry; the dashboard only itself.
    let page = app.get("/admin/identity-providers/new-saml").await;
    assert!(page.has(r#"<a href="/admin/identity-providers" aria-current="page">"#), "{}", page.body);
    assert!(!page.has(r#"<a href="/admin" aria-current="page">"#));
    // A member's own profile shows no guest-only facts.
    let profile = app.get("/profile").await;
    assert!(!profile.has("Access expires") && !profile.has("<dt>Sponsors</dt>"), "{}", profile.body);
    app
}
both!(the_admin_menu_folds_and_marks_the_page_shown);

/// The token endpoint's verdict on a client secret: `invalid_grant` (the secret was
/// taken, the bogus refresh token not) or `invalid_client`.
async fn secret_verdict(app: &TestApp, client_id: &str, secret: &str) -> String {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "not-a-token"),
        ("client_id", client_id),
        ("client_secret", secret),
    ];
    let r = reqwest::Client::new().post(app.url("/oauth2/token")).form(&form).send().await.unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    body["error"].as_str().unwrap_or_default().to_string()
}

async fn client_secrets_end_and_rotate_without_downtime(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let fields = [
        ("name", "Wiki"),
        ("launch_url", "https://wiki.contoso.example/"),
        ("visible_in_panel", "yes"),
        ("oidc", "yes"),
        ("client_id", "wiki"),
        ("client_type", "confidential"),
        ("redirect_uris", "https://wiki.contoso.example/cb"),
        ("id_token_alg", "RS256"),
    ];
    let page = app.post("/admin/apps", &fields).await;
    let first = between(&page.body, "id=\"secret\" value=\"", "\"").unwrap();
    assert!(page.has("data-copy=\"the client secret\""), "a Copy button (with script)");
    let id = between(&app.get("/admin/apps").await.body, "</span><a href=\"/admin/apps/", "\"").unwrap();
    let shown = app.get(&format!("/admin/apps/{id}")).await;
    let until = between(&shown.body, "; works until <time datetime=\"", "</time>.");
    assert!(until.is_some_and(|t| t.ends_with(" UTC")), "a new secret has an end: {}", shown.body);
    assert_eq!(secret_verdict(&app, "wiki", &first).await, "invalid_grant");

    // A new secret, the old one kept for 7 days: both work, then only the new one.
    let page = app.post(&format!("/admin/apps/{id}/secret"), &[("valid_months", "6"), ("keep_previous", "7")]).await;
    let second = between(&page.body, "id=\"secret\" value=\"", "\"").unwrap();
    assert_eq!(secret_verdict(&app, "wiki", &first).await, "invalid_grant", "the old one still works");
    assert_eq!(secret_verdict(&app, "wiki", &second).await, "invalid_grant");
    assert!(app.get(&format!("/admin/apps/{id}")).await.has("Previous secret"));
    app.advance(chrono::Duration::days(8));
    app.state.clients.forget();
    assert_eq!(secret_verdict(&app, "wiki", &first).await, "invalid_client", "the old one ended");
    assert_eq!(secret_verdict(&app, "wiki", &second).await, "invalid_grant");
    app.sign_in_admin("root@contoso.example").await;

    // Stopped early by the admin; a form value we never offered is refused.
    let page = app.post(&format!("/admin/apps/{id}/secret"), &[("valid_months", "12"), ("keep_previous", "30")]).await;
    let third = between(&page.body, "id=\"secret\" value=\"", "\"").unwrap();
    assert_eq!(secret_verdict(&app, "wiki", &second).await, "invalid_grant");
    let page = app.post(&format!("/admin/apps/{id}/secret/previous/remove"), &[]).await;
    assert!(page.has("The previous client secret no longer works"), "{}", page.body);
    assert_eq!(secret_verdict(&app, "wiki", &second).await, "invalid_client");
    assert_eq!(secret_verdict(&app, "wiki", &third).await, "invalid_grant");
    let odd = app.post(&format!("/admin/apps/{id}/secret"), &[("valid_months", "1000")]).await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);

    // The secret's own end: a warning a month before, and no sign-in after.
    app.advance(chrono::Duration::days(350));
    app.sign_in_admin("root@contoso.example").await;
    assert!(app.get(&format!("/admin/apps/{id}")).await.has("make a new one and put it in the app"));
    app.advance(chrono::Duration::days(40));
    app.state.clients.forget();
    app.sign_in_admin("root@contoso.example").await;
    assert!(app.get(&format!("/admin/apps/{id}")).await.has("the app can no longer sign anyone in"));
    assert_eq!(secret_verdict(&app, "wiki", &third).await, "invalid_client");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"app.previous_secret_removed".to_string()), "{actions:?}");
    app
}
both!(client_secrets_end_and_rotate_without_downtime);

/// Issue 26: an app's page lists who can open it and gives or takes it there.
async fn an_apps_page_lists_and_changes_who_has_it(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let wiki = app.add_app("Wiki", "https://wiki.contoso.example/").await;
    app.invite("ana@partner.example", &[]).await;
    let group = app.post("/admin/groups", &[("name", "Partners")]).await;
    let group_id = between(&group.body, "/admin/groups/", "\"").unwrap();
    let page = app.get(&format!("/admin/apps/{wiki}")).await;
    assert!(page.has("Users and groups") && page.has("Nobody is assigned this app directly"), "{}", page.body);
    // A person by address, once; an unknown address is refused and nothing is written.
    let page = app.post(&format!("/admin/apps/{wiki}/users"), &[("email", "ana@partner.example")]).await;
    assert!(page.has("can now open the app") && page.has("ana@partner.example"), "{}", page.body);
    let page = app.post(&format!("/admin/apps/{wiki}/users"), &[("email", "ana@partner.example")]).await;
    assert!(page.has("Nothing changed") && page.has("flash refused"), "{}", page.body);
    let page = app.post(&format!("/admin/apps/{wiki}/users"), &[("email", "nobody@partner.example")]).await;
    assert!(page.has("Nobody here has the address nobody@partner.example"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM assignments").await, 1);
    // A group, then taken back; the person too.
    let page = app.post(&format!("/admin/apps/{wiki}/groups"), &[("group_id", &group_id)]).await;
    assert!(
        page.has("The group&#39;s members can now open the app")
            || page.has("The group's members can now open the app"),
        "{}",
        page.body
    );
    assert!(page.has(&format!("<a href=\"/admin/groups/{group_id}\">Partners</a>")), "{}", page.body);
    let page = app.post(&format!("/admin/apps/{wiki}/groups/{group_id}/remove"), &[]).await;
    assert!(page.has("The group no longer gives the app"), "{}", page.body);
    let ana = app.user_id("ana@partner.example").await;
    let page = app.post(&format!("/admin/apps/{wiki}/users/{ana}/remove"), &[]).await;
    assert!(page.has("The app was taken away"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM assignments").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM group_apps").await, 0);
    let actions = app.audit_actions().await;
    for a in ["app.assigned", "group.app_added", "group.app_removed", "app.unassigned"] {
        assert!(actions.contains(&a.to_string()), "{a}: {actions:?}");
    }
    app
}
both!(an_apps_page_lists_and_changes_who_has_it);
