//! F2/F3 through a home IdP, against a real OpenID Provider (the npm `oidc-provider`).

use std::process::Child;

use reqwest::{Client, StatusCode};

use crate::helpers::*;

pub struct OidcPeer {
    child: Child,
    pub issuer: String,
    pub port: u16,
}

impl Drop for OidcPeer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Starts the IdP, registering `redirect_uris` for the client `vestibule`.
pub fn start_idp(redirect_uris: &[String]) -> OidcPeer {
    start_peer("oidc-provider.mjs", free_port(), &[], redirect_uris)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts a Node peer from `e2e/peers` on `port`; its "issuer" is its origin.
pub fn start_peer(script: &str, port: u16, env: &[(&str, &str)], args: &[String]) -> OidcPeer {
    let child = spawn_node_peer(script, port, env, args);
    OidcPeer { child, issuer: format!("http://127.0.0.1:{port}"), port }
}

/// Adds an IdP through the admin form (the app's browser must be an admin's).
async fn add_idp(app: &TestApp, slug: &str, issuer: &str, domains: &str) {
    add_idp_of_kind(app, "oidc", slug, issuer, domains).await;
}

async fn add_idp_of_kind(app: &TestApp, kind: &str, slug: &str, issuer: &str, domains: &str) {
    let page = app
        .post(
            "/admin/identity-providers",
            &[
                ("display_name", "Partner SSO"),
                ("slug", slug),
                ("kind", kind),
                ("issuer", issuer),
                ("client_id", "vestibule"),
                ("client_secret", "vestibule-test-secret"),
                ("domains", domains),
                ("enabled", "yes"),
            ],
        )
        .await;
    assert!(page.has("Partner SSO was added"), "{}", page.body);
    assert!(page.has(&format!("{}/auth/{slug}/callback", app.base)), "the redirect URI to register is shown");
}

/// Logs in at the IdP's own pages as `login` (and gives consent), following the browser
/// back to Vestibule.
async fn idp_login(browser: &Client, page: Page, login: &str) -> Page {
    let mut page = page;
    for _ in 0..3 {
        let Some(action) = form_action(&page.body) else { return page };
        if !page.url.contains("/interaction/") {
            return page;
        }
        let url = absolute(&page.url, &action);
        let form: Vec<(&str, &str)> = if page.has("value=\"login\"") {
            vec![("prompt", "login"), ("login", login), ("password", "any")]
        } else {
            vec![("prompt", "consent")]
        };
        page = Page::from(browser.post(url).form(&form).send().await.unwrap()).await;
    }
    page
}

fn form_action(html: &str) -> Option<String> {
    between(html, "action=\"", "\"")
}

fn absolute(current: &str, href: &str) -> String {
    if href.starts_with("http") {
        return href.to_string();
    }
    let origin_end =
        current.find("://").map(|i| current[i + 3..].find('/').map(|j| i + 3 + j).unwrap_or(current.len())).unwrap();
    format!("{}{}", &current[..origin_end], href)
}

/// An admin, an IdP for partner.example, and an invitation link for ana@partner.example.
async fn federated_invitation(app: &TestApp) -> (OidcPeer, String) {
    let idp = start_idp(&[format!("{}/auth/partner/callback", app.base)]);
    app.sign_in_admin("root@contoso.example").await;
    add_idp(app, "partner", &idp.issuer, "partner.example").await;
    let wiki = app.add_app("Team Wiki", "https://wiki.contoso.example/").await;
    let link = app.invite("ana@partner.example", &[("app", &wiki)]).await;
    app.sign_out().await;
    (idp, link)
}

/// Clicks the IdP button on the invitation page.
async fn start_at_idp(app: &TestApp, browser: &Client, link: &str) -> Page {
    start_at(app, browser, link, "partner").await
}

async fn start_at(app: &TestApp, browser: &Client, link: &str, slug: &str) -> Page {
    let landing = Page::from(browser.get(link).send().await.unwrap()).await;
    assert!(landing.has("Sign in with Partner SSO"));
    let token = csrf_of(browser, link).await;
    let redeem_token = link.rsplit('/').next().unwrap();
    let form = [("csrf", token.as_str()), ("purpose", "redeem"), ("token", redeem_token)];
    Page::from(browser.post(app.url(&format!("/auth/{slug}/start"))).form(&form).send().await.unwrap()).await
}

async fn a_guest_redeems_through_their_home_idp_and_signs_in_again(app: TestApp) -> TestApp {
    let (idp, link) = federated_invitation(&app).await;
    let landing = app.get(&link).await;
    let idp_button = landing.body.find("Sign in with Partner SSO").unwrap();
    let code_button = landing.body.find("Email me a one-time code").unwrap();
    assert!(idp_button < code_button, "home-realm discovery puts the partner's IdP first");
    assert!(text_of(&landing.body).contains("Your organization's sign-in."));
    // The authorization request carries state, nonce, PKCE S256 and the invited address.
    let token = csrf_of(&app.browser, &link).await;
    let redeem_token = link.rsplit('/').next().unwrap();
    let form = [("csrf", token.as_str()), ("purpose", "redeem"), ("token", redeem_token)];
    let r = app.raw.post(app.url("/auth/partner/start")).form(&form).send().await.unwrap();
    let authorize = r.headers()["location"].to_str().unwrap().to_string();
    assert!(authorize.starts_with(&format!("{}/auth?", idp.issuer)), "{authorize}");
    for part in [
        "state=",
        "nonce=",
        "code_challenge=",
        "code_challenge_method=S256",
        "login_hint=ana%40partner.example",
        "redirect_uri=",
    ] {
        assert!(authorize.contains(part), "{part} in {authorize}");
    }
    let at_idp = start_at_idp(&app, &app.browser, &link).await;
    assert!(at_idp.url.starts_with(&idp.issuer), "the browser is at the IdP: {}", at_idp.url);
    let consent = idp_login(&app.browser, at_idp, "ana").await;
    assert!(consent.url.ends_with("/consent"), "{} {}", consent.url, consent.body);
    let page = app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    assert!(page.url.ends_with("/apps") && page.has("Team Wiki"), "{}", page.url);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'partner' AND subject = 'ana'").await, 1);
    assert!(app.get("/profile").await.has("Partner SSO account ana@partner.example"));
    // Returning: /signin sends the address straight to the IdP (home-realm discovery).
    app.sign_out().await;
    let page = app.post("/signin", &[("email", "ana@partner.example")]).await;
    let page = idp_login(&app.browser, page, "ana").await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
    assert!(app.audit_actions().await.iter().any(|a| a == "user.signed_in"));
    app
}
both!(a_guest_redeems_through_their_home_idp_and_signs_in_again);

async fn an_identity_with_the_same_email_does_not_take_over_an_account(app: TestApp) -> TestApp {
    // Bo redeemed with an email code; an IdP account claiming bo's address must not get in.
    let (_idp, _link) = federated_invitation(&app).await;
    app.sign_in_admin("root@contoso.example").await;
    let page = app.post("/admin/invitations", &[("email", "bo@partner.example")]).await;
    let bo_link = between(&page.body, "this link: ", "<").unwrap();
    app.sign_out().await;
    app.prove_with_code(&app.browser, &bo_link, "bo@partner.example").await;
    app.post(&format!("{bo_link}/accept"), &[("accept_terms", "yes")]).await;
    app.sign_out().await;
    let token = app.csrf().await;
    let form = [("csrf", token.as_str()), ("purpose", "signin"), ("next", "")];
    let at_idp = Page::from(app.browser.post(app.url("/auth/partner/start")).form(&form).send().await.unwrap()).await;
    let page = idp_login(&app.browser, at_idp, "bo").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.has("No account found"));
    assert!(app.get("/apps").await.url.contains("/signin"), "not signed in");
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'partner'").await, 0);
    app
}
both!(an_identity_with_the_same_email_does_not_take_over_an_account);

async fn another_or_an_unverified_email_at_the_idp_is_refused(app: TestApp) -> TestApp {
    let (_idp, link) = federated_invitation(&app).await;
    let page = idp_login(&app.browser, start_at_idp(&app, &app.browser, &link).await, "eve").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("This invitation is for another address") && page.has("eve@elsewhere.example"), "{}", page.body);
    let (other, _) = app.new_browser();
    let page = idp_login(&other, start_at_idp(&app, &other, &link).await, "unverified").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("Your email address is not verified"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 0, "nothing half-linked");
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'").await, 1);
    assert!(app.audit_actions().await.iter().filter(|a| *a == "federation.failed").count() >= 2);
    app
}
both!(another_or_an_unverified_email_at_the_idp_is_refused);

async fn a_tampered_or_replayed_callback_is_refused(app: TestApp) -> TestApp {
    let (idp, link) = federated_invitation(&app).await;
    // Tampered state.
    start_at_idp(&app, &app.browser, &link).await;
    let page = app.get("/auth/partner/callback?code=abc&state=forged").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.has("did not match the sign-in this browser started"));
    // A real callback, captured and replayed.
    let at_idp = start_at_idp(&app, &app.browser, &link).await;
    let mut page = at_idp;
    let callback = loop {
        let action = absolute(&page.url, &form_action(&page.body).expect("an IdP form"));
        let form: Vec<(&str, &str)> = if page.has("value=\"login\"") {
            vec![("prompt", "login"), ("login", "ana"), ("password", "x")]
        } else {
            vec![("prompt", "consent")]
        };
        let mut r = app.raw.post(action).form(&form).send().await.unwrap();
        // Follow the IdP's redirects by hand until one points back at Vestibule.
        loop {
            let location = r.headers().get("location").unwrap().to_str().unwrap().to_string();
            let next = absolute(r.url().as_str(), &location);
            if next.starts_with(&app.base) {
                break;
            }
            r = app.raw.get(&next).send().await.unwrap();
            if !r.status().is_redirection() {
                break;
            }
        }
        if let Some(l) = r.headers().get("location") {
            let next = absolute(r.url().as_str(), l.to_str().unwrap());
            if next.starts_with(&app.base) {
                break next;
            }
        }
        page = Page::from(r).await;
        assert!(page.url.starts_with(&idp.issuer));
    };
    assert!(callback.contains("/auth/partner/callback?"), "{callback}");
    let page = app.get(&callback).await;
    assert!(page.url.ends_with("/consent"), "{} {}", page.url, page.body);
    let replay = app.get(&callback).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert!(replay.has("was not started in this browser, or it was already used"));
    app
}
both!(a_tampered_or_replayed_callback_is_refused);

async fn cancelling_at_the_idp_changes_nothing(app: TestApp) -> TestApp {
    let (_idp, link) = federated_invitation(&app).await;
    let at_idp = start_at_idp(&app, &app.browser, &link).await;
    let abort = between(&at_idp.body, "href=\"", "\"").filter(|h| h.contains("abort")).or_else(|| {
        at_idp
            .body
            .split("href=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .find(|h| h.contains("abort"))
    });
    let abort = absolute(&at_idp.url, &abort.expect("a cancel link at the IdP"));
    let page = app.get(&abort).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.has("You cancelled signing in") && page.has("Back to your invitation"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'").await, 1);
    app
}
both!(cancelling_at_the_idp_changes_nothing);

async fn an_idp_that_is_down_or_names_another_issuer_is_refused(app: TestApp) -> TestApp {
    let idp = start_idp(&[format!("{}/auth/partner/callback", app.base)]);
    app.sign_in_admin("root@contoso.example").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    add_idp(&app, "down", &format!("http://127.0.0.1:{closed}"), "").await;
    // Discovery at localhost answers with issuer 127.0.0.1: not the configured issuer.
    let page = app
        .post(
            "/admin/identity-providers",
            &[
                ("display_name", "Mixed up"),
                ("slug", "mixed"),
                ("kind", "oidc"),
                ("issuer", &format!("http://localhost:{}", idp.port)),
                ("client_id", "vestibule"),
                ("client_secret", "vestibule-test-secret"),
                ("enabled", "yes"),
            ],
        )
        .await;
    assert!(page.has("Mixed up was added"));
    app.sign_out().await;
    for slug in ["down", "mixed"] {
        let token = app.csrf().await;
        let form = [("csrf", token.as_str()), ("purpose", "signin"), ("next", "")];
        let page =
            Page::from(app.browser.post(app.url(&format!("/auth/{slug}/start"))).form(&form).send().await.unwrap())
                .await;
        assert_eq!(page.status, StatusCode::BAD_GATEWAY, "{slug}: {}", page.body);
        assert!(page.has("sign-in is not available"));
    }
    let token = app.csrf().await;
    let form = [("csrf", token.as_str()), ("purpose", "signin"), ("next", "")];
    let page = Page::from(app.browser.post(app.url("/auth/nope/start")).form(&form).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    app
}
both!(an_idp_that_is_down_or_names_another_issuer_is_refused);

async fn idp_secrets_are_encrypted_and_bad_input_is_refused(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app
        .post(
            "/admin/identity-providers",
            &[
                ("display_name", ""),
                ("slug", "Not A Slug"),
                ("kind", "oidc"),
                ("issuer", "ftp://x"),
                ("client_id", "c"),
                ("domains", "bad domain!"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Enter a display name."));
    assert!(page.has("The short name must be"));
    assert!(page.has("The issuer URL must start with https:// or http://."));
    assert!(page.has("Enter the client secret"));
    assert!(page.has("is not a domain name"));
    add_idp(&app, "partner", "https://login.partner.example", "partner.example").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM identity_providers WHERE client_secret_enc LIKE '%vestibule-test-secret%'")
            .await,
        0
    );
    let list = app.get("/admin/identity-providers").await;
    let id = between(&list.body, "class=\"key\"><a href=\"/admin/identity-providers/", "\"").unwrap();
    let edit = app.get(&format!("/admin/identity-providers/{id}")).await;
    assert!(!edit.has("vestibule-test-secret"), "the secret is never shown again");
    let page = app
        .post(
            &format!("/admin/identity-providers/{id}"),
            &[
                ("display_name", "Partner"),
                ("slug", "partner"),
                ("kind", "oidc"),
                ("issuer", "https://login.partner.example"),
                ("client_id", "vestibule"),
            ],
        )
        .await;
    assert!(page.has("Partner was saved") && page.has("disabled"), "{}", page.body);
    // The secret was kept: the provider still decrypts.
    let row = {
        let mut c = app.state.db.acquire().await.unwrap();
        vestibule::db::identity_providers::find_by_slug(c.conn(), "partner").await.unwrap().unwrap()
    };
    let p = vestibule::federation::Provider::from_row(&row, &app.state.key, &app.state.settings.public_url).unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&p.client_secret), "vestibule-test-secret");
    let actions = app.audit_actions().await;
    assert!(
        actions.contains(&"identity_provider.created".to_string())
            && actions.contains(&"identity_provider.updated".to_string())
    );
    app
}
both!(idp_secrets_are_encrypted_and_bad_input_is_refused);

async fn after_a_reset_the_guest_redeems_again_with_another_identity(app: TestApp) -> TestApp {
    let (_idp, link) = federated_invitation(&app).await;
    let (guest, _) = app.new_browser();
    let consent = idp_login(&guest, start_at_idp(&app, &guest, &link).await, "ana").await;
    assert!(consent.url.ends_with("/consent"));
    let token = csrf_of(&guest, &consent.url).await;
    guest
        .post(format!("{link}/accept"))
        .form(&[("csrf", token.as_str()), ("accept_terms", "yes")])
        .send()
        .await
        .unwrap();
    assert!(guest.get(app.url("/apps")).send().await.unwrap().url().path().ends_with("/apps"));
    app.sign_in_admin("root@contoso.example").await;
    let list = app.get("/admin/users?q=ana").await;
    let id = between(&list.body, "/admin/users/", "\"").unwrap();
    let user_page = app.get(&format!("/admin/users/{id}")).await;
    assert!(user_page.has("<strong>Partner SSO</strong> · ana@partner.example"), "{}", user_page.body);
    assert!(user_page.has("subject ana"), "the admin sees the (issuer, subject) the account is linked by");
    let page = app.post(&format!("/admin/users/{id}/reset-redemption"), &[]).await;
    assert!(page.has("Redemption was reset") && page.has("pending acceptance"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 0);
    let r = guest.get(app.url("/apps")).send().await.unwrap();
    assert!(r.url().path().starts_with("/signin"), "the guest's session ended");
    assert_eq!(app.get(&link).await.status, StatusCode::GONE, "the old link is used up");
    let new_link = redeem_link_in(&app.one_mail("ana@partner.example").await);
    app.sign_out().await;
    // This time with an email code instead of the IdP.
    app.prove_with_code(&app.browser, &new_link, "ana@partner.example").await;
    let page = app.post(&format!("{new_link}/accept"), &[("accept_terms", "yes")]).await;
    assert!(page.url.ends_with("/apps") && page.has("Team Wiki"), "the apps stayed assigned");
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'email'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'partner'").await, 0);
    assert!(app.audit_actions().await.contains(&"user.redemption_reset".to_string()));
    app
}
both!(after_a_reset_the_guest_redeems_again_with_another_identity);

async fn a_configured_workforce_idp_signs_members_in_and_cannot_be_edited(app: TestApp) -> TestApp {
    let idp = start_idp(&[format!("{}/auth/corp/callback", app.base)]);
    let declared = vestibule::config::IdpConfig {
        slug: "corp".into(),
        kind: "oidc".into(),
        display_name: "Contoso Workforce".into(),
        issuer: idp.issuer.clone(),
        client_id: "vestibule".into(),
        client_secret: Some("vestibule-test-secret".into()),
        scopes: vec![],
        domains: vec!["contoso.example".into()],
        enabled: true,
        workforce: true,
        trust_mfa: false,
        trusted_acr: vec![],
        ..Default::default()
    };
    // What `serve` does at start with `[[identity_providers]]`, twice: it updates in place.
    vestibule::flows::idps::sync_from_config(&app.state, std::slice::from_ref(&declared)).await.unwrap();
    vestibule::flows::idps::sync_from_config(&app.state, &[declared]).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM identity_providers WHERE managed_by_config").await, 1);
    app.sign_in_admin("root@contoso.example").await;
    let list = app.get("/admin/identity-providers").await;
    assert!(list.has("managed by configuration") && list.has("workforce (members)"));
    let id = between(&list.body, "class=\"key\"><a href=\"/admin/identity-providers/", "\"").unwrap();
    let page = app
        .post(
            &format!("/admin/identity-providers/{id}"),
            &[
                ("display_name", "Hijacked"),
                ("slug", "corp"),
                ("kind", "oidc"),
                ("issuer", "https://evil.example"),
                ("client_id", "x"),
            ],
        )
        .await;
    assert!(page.has("managed by the configuration file"), "{}", page.body);
    let page = app.post(&format!("/admin/identity-providers/{id}/delete"), &[]).await;
    assert!(page.has("managed by the configuration file"));
    app.sign_out().await;
    // The member's domain goes to the workforce IdP, which links the member on first use.
    let page = app.post("/signin", &[("email", "root@contoso.example")]).await;
    let page = idp_login(&app.browser, page, "root").await;
    let page = app.pass_mfa_in(&app.browser, page, "root@contoso.example").await;
    assert!(page.url.ends_with("/admin"), "{} {}", page.url, page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'corp' AND subject = 'root'").await, 1);
    app
}
both!(a_configured_workforce_idp_signs_members_in_and_cannot_be_edited);

/// Accepts the terms on the consent page in `browser` and lands on the Access Panel.
async fn accept_terms(app: &TestApp, browser: &Client, consent: &Page, link: &str) -> Page {
    assert!(consent.url.ends_with("/consent"), "{} {}", consent.url, consent.body);
    let token = csrf_of(browser, &consent.url).await;
    let form = [("csrf", token.as_str()), ("accept_terms", "yes")];
    let page = Page::from(browser.post(format!("{link}/accept")).form(&form).send().await.unwrap()).await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
    let _ = app;
    page
}

/// Signs in at the GitHub stand-in's authorize page as `login` (or cancels with `None`).
async fn github_login(browser: &Client, at_github: Page, login: Option<&str>) -> Page {
    let authorize = url::Url::parse(&at_github.url).unwrap();
    assert_eq!(authorize.path(), "/login/oauth/authorize", "{}", at_github.body);
    let q: std::collections::HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    let mut form: Vec<(&str, &str)> = ["state", "code_challenge", "code_challenge_method", "redirect_uri"]
        .iter()
        .map(|k| (*k, q.get(*k).map(String::as_str).unwrap_or("")))
        .collect();
    form.push(("login", login.unwrap_or("")));
    form.push(("decision", if login.is_some() { "authorize" } else { "cancel" }));
    let session = absolute(&at_github.url, "/session");
    Page::from(browser.post(session).form(&form).send().await.unwrap()).await
}

async fn a_guest_redeems_and_signs_in_with_github(app: TestApp) -> TestApp {
    let port = free_port();
    let github = start_peer("github-api.mjs", port, &[], &[format!("{}/auth/github/callback", app.base)]);
    app.sign_in_admin("root@contoso.example").await;
    // A GitHub Enterprise server: its web origin is the issuer, its API at /api/v3.
    add_idp_of_kind(&app, "github", "github", &github.issuer, "").await;
    let wiki = app.add_app("Team Wiki", "https://wiki.contoso.example/").await;
    let link = app.invite("octo@partner.example", &[("app", &wiki)]).await;
    app.sign_out().await;
    let at_github = start_at(&app, &app.browser, &link, "github").await;
    assert!(at_github.url.contains("code_challenge_method=S256"), "{}", at_github.url);
    let consent = github_login(&app.browser, at_github, Some("octo")).await;
    let page = accept_terms(&app, &app.browser, &consent, &link).await;
    assert!(page.has("Team Wiki"));
    // Linked by GitHub's numeric user id, not the login name or the address.
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'github' AND subject = '583231'").await, 1);
    app.sign_out().await;
    let token = app.csrf().await;
    let form = [("csrf", token.as_str()), ("purpose", "signin"), ("next", "")];
    let at_github = Page::from(app.browser.post(app.url("/auth/github/start")).form(&form).send().await.unwrap()).await;
    let page = github_login(&app.browser, at_github, Some("octo")).await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
    // A GitHub account whose primary address is unverified cannot redeem.
    app.sign_in_admin("root@contoso.example").await;
    let ana = app.invite("ana@partner.example", &[]).await;
    app.sign_out().await;
    let page = github_login(&app.browser, start_at(&app, &app.browser, &ana, "github").await, Some("unverified")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("Your email address is not verified"), "{}", page.body);
    // Cancelling at GitHub.
    let page = github_login(&app.browser, start_at(&app, &app.browser, &ana, "github").await, None).await;
    assert!(page.has("You cancelled signing in"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'github'").await, 1);
    app
}
both!(a_guest_redeems_and_signs_in_with_github);

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

async fn microsoft_multi_tenant_tokens_must_name_their_own_tenant(app: TestApp) -> TestApp {
    let callback = format!("{}/auth/entra/callback", app.base);
    let entra = start_peer("oidc-provider.mjs", free_port(), &[("TENANT", TENANT)], &[callback]);
    app.sign_in_admin("root@contoso.example").await;
    // The multi-tenant authority: its discovery document names `{tenantid}` as the issuer.
    add_idp_of_kind(&app, "microsoft", "entra", &format!("{}/common/v2.0", entra.issuer), "partner.example").await;
    let link = app.invite("ana@partner.example", &[]).await;
    let mallory = app.invite("mallory@partner.example", &[]).await;
    app.sign_out().await;
    let consent = idp_login(&app.browser, start_at(&app, &app.browser, &link, "entra").await, "ana").await;
    accept_terms(&app, &app.browser, &consent, &link).await;
    let issuer = format!("{}/{TENANT}/v2.0", entra.issuer);
    let linked: Vec<String> = {
        let mut c = app.state.db.acquire().await.unwrap();
        let ana = vestibule::db::users::find_by_email(c.conn(), "ana@partner.example").await.unwrap().unwrap();
        vestibule::db::identities::for_user(c.conn(), ana.id).await.unwrap().into_iter().map(|i| i.issuer).collect()
    };
    assert_eq!(linked, vec![issuer], "the identity's issuer is the user's own tenant");
    // A token whose issuer is not its own `tid`'s is refused, and nothing is linked.
    let (other, _) = app.new_browser();
    let page = idp_login(&other, start_at(&app, &other, &mallory, "entra").await, "mallory").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.has("could not be verified"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'entra'").await, 1);
    app
}
both!(microsoft_multi_tenant_tokens_must_name_their_own_tenant);

/// Times this process fetched `issuer`'s discovery document and keys (`/metrics`).
fn metadata_fetches(issuer: &str) -> u64 {
    let label = format!("vestibule_idp_metadata_fetches_total{{issuer=\"{issuer}\"}} ");
    vestibule::telemetry::render().lines().find_map(|l| l.strip_prefix(&label)?.parse().ok()).unwrap_or(0)
}

async fn rotated_signing_keys_are_picked_up(app: TestApp) -> TestApp {
    let (idp, link) = federated_invitation(&app).await;
    let consent = idp_login(&app.browser, start_at_idp(&app, &app.browser, &link).await, "ana").await;
    accept_terms(&app, &app.browser, &consent, &link).await;
    app.sign_out().await;
    // One login, one fetch (the document and its keys, kept for the next 10 minutes).
    assert_eq!(metadata_fetches(&idp.issuer), 1);
    let page = app.post("/signin", &[("email", "ana@partner.example")]).await;
    let page = idp_login(&app.browser, page, "ana").await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
    app.sign_out().await;
    assert_eq!(metadata_fetches(&idp.issuer), 1, "the second login used the kept copy");
    // The IdP restarts on the same address with a new signing key (the peer makes one at start).
    let port = idp.port;
    drop(idp);
    let _idp = start_peer("oidc-provider.mjs", port, &[], &[format!("{}/auth/partner/callback", app.base)]);
    let page = app.post("/signin", &[("email", "ana@partner.example")]).await;
    let page = idp_login(&app.browser, page, "ana").await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
    // The token named a key the kept set lacked: fetched once more, then verified.
    assert_eq!(metadata_fetches(&_idp.issuer), 2);
    app
}
both!(rotated_signing_keys_are_picked_up);

/// An IdP that keeps the email out of the ID token (oidc-provider's default,
/// `conformIdTokenClaims`): the portal asks UserInfo, about the token's own `sub`.
async fn an_email_only_in_userinfo_is_asked_for(app: TestApp) -> TestApp {
    let idp = start_peer(
        "oidc-provider.mjs",
        free_port(),
        &[("CLAIMS_IN_USERINFO", "1")],
        &[format!("{}/auth/partner/callback", app.base)],
    );
    app.sign_in_admin("root@contoso.example").await;
    add_idp(&app, "partner", &idp.issuer, "partner.example").await;
    let link = app.invite("ana@partner.example", &[]).await;
    let other = app.invite("bo@partner.example", &[]).await;
    app.sign_out().await;
    let consent = idp_login(&app.browser, start_at_idp(&app, &app.browser, &link).await, "ana").await;
    accept_terms(&app, &app.browser, &consent, &link).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'partner' AND subject = 'ana'").await, 1);
    // "unverified" has email_verified false in UserInfo: not trusted, nothing linked.
    let (browser, _) = app.new_browser();
    let page = idp_login(&browser, start_at_idp(&app, &browser, &other).await, "unverified").await;
    assert!(!page.url.ends_with("/consent"), "{} {}", page.url, page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'partner'").await, 1);
    app.take_mail("bo@partner.example").await;
    app
}
both!(an_email_only_in_userinfo_is_asked_for);

async fn members_can_be_required_to_use_the_workforce_idp(app: TestApp) -> TestApp {
    let idp = start_idp(&[format!("{}/auth/corp/callback", app.base)]);
    app.sign_in_admin("root@contoso.example").await;
    let settings_form = |require: &'static str| settings_form(&[("members_require_workforce", require)]);
    let page = app.post("/admin/settings", &settings_form("yes")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Add and enable a workforce identity provider first."), "{}", page.body);
    let page = app
        .post(
            "/admin/identity-providers",
            &[
                ("display_name", "Contoso Workforce"),
                ("slug", "corp"),
                ("kind", "oidc"),
                ("issuer", &idp.issuer),
                ("client_id", "vestibule"),
                ("client_secret", "vestibule-test-secret"),
                ("enabled", "yes"),
                ("is_workforce", "yes"),
            ],
        )
        .await;
    assert!(page.has("Contoso Workforce was added"), "{}", page.body);
    // A code asked for before the rule is set...
    let (early, _) = app.new_browser();
    let token = csrf_of(&early, &app.url("/signin")).await;
    let form = [("csrf", token.as_str()), ("email", "root@contoso.example")];
    early.post(app.url("/signin")).form(&form).send().await.unwrap();
    let early_code = code_in(&app.one_mail("root@contoso.example").await);
    let page = app.post("/admin/settings", &settings_form("yes")).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    assert!(page.has("Members then sign in through Contoso Workforce only"));
    // ...no longer works once it is.
    let token = csrf_of(&early, &app.url("/signin/code")).await;
    let form = [("csrf", token.as_str()), ("code", early_code.as_str())];
    let page = Page::from(early.post(app.url("/signin/code")).form(&form).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.has("Sign in with your organization&#39;s account"), "{}", page.body);
    // Asking for a code now answers as for anyone, but the mail says where to sign in.
    app.sign_out().await;
    let page = app.post("/signin", &[("email", "root@contoso.example")]).await;
    assert!(page.has("Check your mail"), "{}", page.body);
    let mail = app.one_mail("root@contoso.example").await;
    assert!(mail.subject.contains("with your work account"), "{}", mail.subject);
    assert!(mail.text_body.contains("/signin") && !mail.text_body.contains("code for Contoso:"), "{}", mail.text_body);
    // The workforce IdP signs the member in.
    let token = app.csrf().await;
    let form = [("csrf", token.as_str()), ("purpose", "signin"), ("next", "")];
    let at_idp = Page::from(app.browser.post(app.url("/auth/corp/start")).form(&form).send().await.unwrap()).await;
    let page = idp_login(&app.browser, at_idp, "root").await;
    let page = app.pass_mfa_in(&app.browser, page, "root@contoso.example").await;
    assert!(page.url.ends_with("/admin"), "{} {}", page.url, page.body);
    assert!(app.audit_actions().await.contains(&"settings.updated".to_string()));
    app
}
both!(members_can_be_required_to_use_the_workforce_idp);

async fn a_colleague_with_an_organization_address_becomes_a_member_on_first_sign_in(app: TestApp) -> TestApp {
    let idp = start_idp(&[format!("{}/auth/corp/callback", app.base)]);
    let declared = vestibule::config::IdpConfig {
        slug: "corp".into(),
        kind: "oidc".into(),
        display_name: "Contoso Workforce".into(),
        issuer: idp.issuer.clone(),
        client_id: "vestibule".into(),
        client_secret: Some("vestibule-test-secret".into()),
        scopes: vec![],
        domains: vec![],
        enabled: true,
        workforce: true,
        trust_mfa: false,
        trusted_acr: vec![],
        ..Default::default()
    };
    vestibule::flows::idps::sync_from_config(&app.state, &[declared]).await.unwrap();
    app.sign_in_admin("admin@host.example").await;
    let page =
        app.post("/admin/settings", &settings_form(&[("org_domains", "contoso.example\npartner.example")])).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    assert!(page.has("contoso.example\npartner.example"), "the domains are shown again");

    // Not one of the organization's domains, or not verified by the IdP: no member.
    for login in ["eve", "unverified"] {
        let page = sign_in_at_corp(&app, login).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{login}: {}", page.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE user_type = 'member'").await, 1);
    // A colleague at contoso.example: a member on the first sign-in, linked from then on.
    let page = sign_in_at_corp(&app, "root").await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM users WHERE email = 'root@contoso.example' AND user_type = 'member' \
             AND display_name = 'Root'"
        )
        .await,
        1,
        "the name is the one the IdP gives, not the address's local part"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE provider = 'corp' AND subject = 'root'").await, 1);
    assert!(app.audit_actions().await.contains(&"user.created_member".to_string()));
    app
}
both!(a_colleague_with_an_organization_address_becomes_a_member_on_first_sign_in);

/// Signs in at the workforce IdP `corp` as `login`, in a browser of its own.
async fn sign_in_at_corp(app: &TestApp, login: &str) -> Page {
    let (browser, _) = app.new_browser();
    let token = csrf_of(&browser, &app.url("/signin")).await;
    let form = [("csrf", token.as_str()), ("purpose", "signin"), ("next", "")];
    let at_idp = Page::from(browser.post(app.url("/auth/corp/start")).form(&form).send().await.unwrap()).await;
    idp_login(&browser, at_idp, login).await
}

/// Signs in at the partner IdP `partner` as `login`, in a browser of its own.
async fn sign_in_at_partner(app: &TestApp, login: &str) -> Page {
    let (browser, _) = app.new_browser();
    let token = csrf_of(&browser, &app.url("/signin")).await;
    let form = [("csrf", token.as_str()), ("purpose", "signin"), ("next", "")];
    let at_idp = Page::from(browser.post(app.url("/auth/partner/start")).form(&form).send().await.unwrap()).await;
    idp_login(&browser, at_idp, login).await
}

async fn a_partners_mfa_counts_only_where_the_admin_trusts_it(app: TestApp) -> TestApp {
    // auth_time comes from the IdP's real clock: the portal's must agree.
    app.advance(chrono::Utc::now() - app.state.clock.now());
    let (_idp, link) = federated_invitation(&app).await;
    let consent = idp_login(&app.browser, start_at_idp(&app, &app.browser, &link).await, "ana").await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    app.sign_out().await;
    app.sign_in_admin("root@contoso.example").await;
    app.post("/admin/settings", &settings_form(&[("guests_mfa", "yes")])).await;

    // Not trusted yet: even a token that says "mfa" leads to the portal's own second step.
    let page = sign_in_at_partner(&app, "ana+mfa").await;
    assert!(page.url.contains("/mfa?next="), "{}", page.url);

    // The admin trusts the partner's MFA, and names the acr that means it.
    let list = app.get("/admin/identity-providers").await;
    let id = list
        .body
        .split("href=\"/admin/identity-providers/")
        .skip(1)
        .filter_map(|part| part.split('"').next())
        .find(|id| uuid::Uuid::parse_str(id).is_ok())
        .unwrap()
        .to_string();
    let form = [
        ("display_name", "Partner SSO"),
        ("slug", "partner"),
        ("kind", "oidc"),
        ("issuer", _idp.issuer.as_str()),
        ("client_id", "vestibule"),
        ("client_secret", ""),
        ("domains", "partner.example"),
        ("enabled", "yes"),
        ("trust_mfa", "yes"),
    ];
    let page = app.post(&format!("/admin/identity-providers/{id}"), &form).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let edit = app.get(&format!("/admin/identity-providers/{id}")).await;
    assert!(edit.has("id=\"trust_mfa\" name=\"trust_mfa\" value=\"yes\" checked"), "{}", edit.body);

    let page = sign_in_at_partner(&app, "ana+mfa").await;
    assert!(page.url.ends_with("/apps"), "amr says mfa: no second step here ({})", page.url);
    assert!(app.audit_actions().await.contains(&"mfa.met_by_partner".to_string()));
    assert!(sign_in_at_partner(&app, "ana").await.url.contains("/mfa?next="), "plain ana: asked");
    assert!(sign_in_at_partner(&app, "ana+acr").await.url.contains("/mfa?next="), "an acr not listed");
    let mut with_acr = form.to_vec();
    with_acr.push(("trusted_acr", "urn:partner:loa:mfa"));
    app.post(&format!("/admin/identity-providers/{id}"), &with_acr).await;
    assert!(sign_in_at_partner(&app, "ana+acr").await.url.ends_with("/apps"), "a listed acr counts");
    // An authentication at the partner long ago proves nothing now.
    app.advance(chrono::Duration::minutes(20));
    assert!(sign_in_at_partner(&app, "ana+mfa").await.url.contains("/mfa?next="), "auth_time too old");
    // Redeeming through the trusted IdP with its MFA lands in the Access Panel at once.
    app.advance(chrono::Utc::now() - app.state.clock.now());
    let link = app.invite("bo@partner.example", &[]).await;
    let (bo, _) = app.new_browser();
    let consent = idp_login(&bo, start_at_idp(&app, &bo, &link).await, "bo+mfa").await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    let csrf = csrf_of(&bo, &consent.url).await;
    let form = [("csrf", csrf.as_str()), ("accept_terms", "yes")];
    let page = Page::from(bo.post(format!("{link}/accept")).form(&form).send().await.unwrap()).await;
    assert!(page.url.ends_with("/apps"), "{}", page.url);
    // Bo sets up an authenticator of his own: from then on it is asked, the partner's MFA
    // or not (a factor set up by choice is always asked, SPEC §4).
    let page = Page::from(bo.get(app.url("/mfa/setup?next=%2Fprofile")).send().await.unwrap()).await;
    let (page, _, _) = app.set_up_authenticator(&bo, page, "bo@partner.example").await;
    assert!(page.url.ends_with("/profile"), "{}", page.url);
    let page = sign_in_at_partner(&app, "bo+mfa").await;
    assert!(page.url.contains("/mfa?next=") && page.has("Confirm it"), "his own factor: {}", page.url);
    app
}
both!(a_partners_mfa_counts_only_where_the_admin_trusts_it);
