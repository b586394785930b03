//! Logout (RP-Initiated Logout 1.0 and Back-Channel Logout 1.0), consent, signing keys and
//! their rotation, and the admin's side of registering an app.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::helpers::*;

async fn an_app_signs_the_person_out_and_the_other_apps_are_told(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let wiki = add_client(&app, &rp, "Team Wiki", "wiki", &[]).await;
    let crm = add_client(&app, &rp, "CRM", "crm", &[("id_token_alg", "EdDSA")]).await;
    rp.register("wiki", &wiki, "basic", "RS256").await;
    rp.register("crm", &crm, "basic", "EdDSA").await;
    let (guest, _) = guest(&app, "ana@partner.example", &[&wiki, &crm]).await;
    let t = json_of(&launch(&guest, &rp, "wiki", "").await);
    let c = json_of(&launch(&guest, &rp, "crm", "").await);
    assert_eq!(c["claims"]["sid"], t["claims"]["sid"]);

    // The wiki sends the person to end_session; the portal asks, then signs out.
    let body = json!({ "id_token_hint": t["id_token"], "post_logout_redirect_uri": rp.signed_out_uri("wiki"), "state": "bye" });
    let (_, v) = rp.call("end-session-url", "wiki", body).await;
    let end = v["url"].as_str().unwrap().to_string();
    let page = Page::from(guest.get(&end).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("Team Wiki asks to sign you out"), "{}", page.body);
    let csrf = input_value(&page.body, "csrf");
    let request = input_value(&page.body, "request");
    let done = guest
        .post(app.url("/oauth2/end_session/confirm"))
        .form(&[("csrf", csrf.as_str()), ("request", request.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.url().as_str(), format!("{}?state=bye", rp.signed_out_uri("wiki")));
    assert!(done.text().await.unwrap().contains("state=bye"));
    // Signed out of the portal: the apps' refresh tokens are dead.
    let (_, e) = rp.call("refresh", "wiki", json!({ "refresh_token": t["refresh_token"] })).await;
    assert_eq!(e["error"], json!("invalid_grant"));
    let page = Page::from(guest.get(app.url("/apps")).send().await.unwrap()).await;
    assert!(page.url.contains("/signin"));

    // Both apps are told through the worker, with logout tokens their library verifies
    // (the CRM's signed with EdDSA).
    vestibule::jobs::run_once(&app.state).await.unwrap();
    for key in ["wiki", "crm"] {
        let rows = app.take_mail(&rp.backchannel_uri(key)).await;
        assert_eq!(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(), ["sent"], "{key}");
    }
    for key in ["wiki", "crm"] {
        let told = rp.logouts(key).await;
        assert_eq!(told.len(), 1, "{key}: {told:?}");
        assert_eq!(told[0]["sid"], t["claims"]["sid"]);
        assert_eq!(told[0]["aud"], json!(key));
    }

    // An unregistered post-logout address is refused, never redirected to.
    let bad =
        format!("{}?post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F&client_id=wiki", "/oauth2/end_session");
    let r = app.get_raw(&bad).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
    app
}
both!(an_app_signs_the_person_out_and_the_other_apps_are_told);

async fn a_back_channel_logout_is_retried_until_the_app_answers(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let dead = format!("http://127.0.0.1:{}/gone", crate::federation::free_port());
    let wiki = add_client(&app, &rp, "Team Wiki", "wiki", &[("backchannel_logout_uri", &dead)]).await;
    rp.register("wiki", &wiki, "basic", "RS256").await;
    let (guest, _) = guest(&app, "ana@partner.example", &[&wiki]).await;
    json_of(&launch(&guest, &rp, "wiki", "").await);
    let csrf = csrf_of(&guest, &app.url("/apps")).await;
    guest.post(app.url("/signout")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    let pass = vestibule::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(pass.failed, 1, "{pass:?}");
    let row = app.take_mail(&dead).await.remove(0);
    assert_eq!(row.status, "pending", "kept for a retry");
    assert!(row.last_error.is_some());
    app
}
both!(a_back_channel_logout_is_retried_until_the_app_answers);

async fn an_app_that_asks_for_consent_asks_once(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let wiki = add_client(&app, &rp, "Partner Wiki", "wiki", &[("consent_required", "yes")]).await;
    rp.register("wiki", &wiki, "basic", "RS256").await;
    let (guest, _) = guest(&app, "ana@partner.example", &[&wiki]).await;
    let page = launch(&guest, &rp, "wiki", "").await;
    assert!(page.has("Sign in to Partner Wiki?") && page.has("your email address"), "{}", page.body);
    let consent = |decision: &'static str, page: &Page| {
        let form = [
            ("csrf", input_value(&page.body, "csrf")),
            ("request", input_value(&page.body, "request")),
            ("decision", decision.to_string()),
        ];
        guest.post(app.url("/oauth2/authorize/consent")).form(&form).send()
    };
    let denied = Page::from(consent("deny", &page).await.unwrap()).await;
    assert_eq!(json_of(&denied)["error"], json!("access_denied"), "{}", denied.body);
    let page = launch(&guest, &rp, "wiki", "").await;
    let allowed = json_of(&Page::from(consent("allow", &page).await.unwrap()).await);
    assert_eq!(allowed["claims"]["email"], json!("ana@partner.example"));
    assert!(app.audit_actions().await.contains(&"app.consent_given".to_string()));
    // Asked once: the next sign-in goes straight through; prompt=consent asks again.
    assert!(json_of(&launch(&guest, &rp, "wiki", "").await)["claims"].is_object());
    assert!(launch(&guest, &rp, "wiki", "prompt=consent").await.has("Sign in to Partner Wiki?"));
    app
}
both!(an_app_that_asks_for_consent_asks_once);

async fn keys_rotate_and_a_relying_party_keeps_validating(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let wiki = add_client(&app, &rp, "Team Wiki", "wiki", &[]).await;
    rp.register("wiki", &wiki, "basic", "RS256").await;
    let (guest, _) = guest(&app, "ana@partner.example", &[&wiki]).await;
    let before = json_of(&launch(&guest, &rp, "wiki", "").await);
    let jwks: Value = reqwest::get(app.url("/oauth2/jwks")).await.unwrap().json().await.unwrap();
    let kids = |v: &Value| {
        v["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let published = kids(&jwks);
    assert_eq!(published.len(), 6, "a current and a next key for each of RS256, ES256, EdDSA");
    for k in jwks["keys"].as_array().unwrap() {
        assert!(k.get("d").is_none() && k.get("p").is_none(), "no private parts: {k}");
        assert_eq!(k["use"], json!("sig"));
    }
    let kid_of = |jwt: &str| {
        use base64::Engine;
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(jwt.split('.').next().unwrap()).unwrap();
        serde_json::from_slice::<Value>(&header).unwrap()["kid"].as_str().unwrap().to_string()
    };
    let old_kid = kid_of(before["id_token"].as_str().unwrap());

    // The admin rotates: the published next key signs now; the RP, which fetched the key
    // set before, validates the new tokens without fetching again.
    let page = app.post("/admin/signing-keys/rotate", &[]).await;
    assert!(page.has("Signing keys rotated"), "{}", page.body);
    let after = json_of(&launch(&guest, &rp, "wiki", "").await);
    let new_kid = kid_of(after["id_token"].as_str().unwrap());
    assert_ne!(new_kid, old_kid);
    assert!(published.contains(&new_kid), "the key that signs now was published before");
    let jwks: Value = reqwest::get(app.url("/oauth2/jwks")).await.unwrap().json().await.unwrap();
    let now_published = kids(&jwks);
    assert!(now_published.contains(&old_kid), "the retired key stays published");
    assert_eq!(now_published.len(), 9, "plus a new next key per algorithm");
    // Tokens signed before the rotation still check out at userinfo (while they live).
    let sub = before["claims"]["sub"].clone();
    let (status, _) = rp.call("userinfo", "wiki", json!({ "access_token": after["access_token"], "sub": sub })).await;
    assert_eq!(status, StatusCode::OK);
    assert!(app.audit_actions().await.contains(&"signing_keys.rotated".to_string()));
    // The worker rotates on its own after 30 days... of signing; and drops retired keys.
    let discovery: Value =
        reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(discovery["issuer"], json!(app.base));
    assert_eq!(discovery["code_challenge_methods_supported"], json!(["S256"]));
    assert!(!discovery["id_token_signing_alg_values_supported"].as_array().unwrap().contains(&json!("none")));
    app
}
both!(keys_rotate_and_a_relying_party_keeps_validating);

async fn the_app_form_checks_client_settings_and_shows_a_secret_once(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let wiki = add_client(&app, &rp, "Team Wiki", "wiki", &[]).await;
    let secret = wiki.secret.clone().unwrap();
    let page = app.get(&format!("/admin/apps/{}", wiki.app_id)).await;
    assert!(!page.has(&secret), "the secret is not shown again");
    assert!(page.has("/.well-known/openid-configuration") && page.has("OIDCClientID wiki"), "{}", page.body);

    // Field errors: wildcard, http on a public host, a fragment, a duplicate client id.
    let bad = app
        .post(
            "/admin/apps",
            &[
                ("name", "Other"),
                ("launch_url", "https://other.example/"),
                ("oidc", "yes"),
                ("client_id", "wiki"),
                ("client_type", "confidential"),
                ("id_token_alg", "RS256"),
                ("redirect_uris", "https://*.example/cb\nhttp://other.example/cb"),
                ("backchannel_logout_uri", "https://other.example/logout#x"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("wildcards are not allowed"), "{}", bad.body);
    assert!(bad.has("must not contain a # fragment"));
    let dup = app
        .post(
            "/admin/apps",
            &[
                ("name", "Other"),
                ("launch_url", "https://other.example/"),
                ("oidc", "yes"),
                ("client_id", "wiki"),
                ("client_type", "confidential"),
                ("id_token_alg", "RS256"),
                ("redirect_uris", "https://other.example/cb"),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.has("Another app already uses the client ID wiki"), "{}", dup.body);
    assert!(!app.get("/admin/apps").await.has(">Other</a>"), "nothing half-written");

    // A new secret: the old one stops working.
    let page = app.post(&format!("/admin/apps/{}/secret", wiki.app_id), &[]).await;
    let fresh = between(&page.body, "id=\"secret\" value=\"", "\"").unwrap();
    assert_ne!(fresh, secret);
    assert_eq!(page.headers["cache-control"], "no-store");
    rp.register("old", &Client { secret: Some(secret), ..wiki.clone() }, "basic", "RS256").await;
    rp.register("new", &Client { secret: Some(fresh), ..wiki.clone() }, "basic", "RS256").await;
    let (status, e) = rp.call("refresh", "old", json!({ "refresh_token": "x" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // openid-client reports a 401 with a Basic challenge as the challenge itself.
    assert!(e["error"] == json!("invalid_client") || e["error"] == json!("OAUTH_WWW_AUTHENTICATE_CHALLENGE"), "{e}");
    let (_, e) = rp.call("refresh", "new", json!({ "refresh_token": "x" })).await;
    assert_eq!(e["error"], json!("invalid_grant"), "the new secret authenticates: {e}");

    // The tile starts the app's initiate-login URI.
    let with_login = app
        .post(
            &format!("/admin/apps/{}", wiki.app_id),
            &[
                ("name", "Team Wiki"),
                ("launch_url", "https://wiki.example/"),
                ("visible_in_panel", "yes"),
                ("oidc", "yes"),
                ("client_id", "wiki"),
                ("client_type", "confidential"),
                ("id_token_alg", "RS256"),
                ("redirect_uris", &rp.redirect_uri("wiki")),
                ("initiate_login_uri", "https://wiki.example/login"),
            ],
        )
        .await;
    assert!(with_login.has("Team Wiki was saved"), "{}", with_login.body);
    assign(&app, "admin@host.example", &wiki).await;
    let panel = app.get("/apps").await;
    let expected = format!(
        "https://wiki.example/login?iss={}&amp;target_link_uri=https%3A%2F%2Fwiki.example%2F",
        url_encode(&app.base)
    );
    assert!(panel.has(&expected) || panel.has(&expected.replace("&amp;", "&#38;")), "{}", panel.body);
    app
}
both!(the_app_form_checks_client_settings_and_shows_a_secret_once);

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn an_app_declared_in_the_config_file_signs_people_in_and_cannot_be_edited(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    let declared = vestibule::config::AppConfig {
        slug: "wiki".into(),
        name: "Team Wiki".into(),
        description: String::new(),
        launch_url: "https://wiki.example/".into(),
        icon_url: String::new(),
        visible_in_panel: true,
        mfa_required: false,
        client_id: Some("wiki".into()),
        client_secret: Some("a-configured-secret-of-enough-length-0123456789".into()),
        redirect_uris: vec![rp.redirect_uri("wiki")],
        post_logout_redirect_uris: vec![],
        backchannel_logout_uri: String::new(),
        initiate_login_uri: String::new(),
        id_token_alg: "ES256".into(),
        consent_required: false,
        pairwise_subject: true,
    };
    // What `serve` does at start with `[[apps]]`, twice: it updates in place.
    vestibule::flows::apps::sync_from_config(&app.state, std::slice::from_ref(&declared)).await.unwrap();
    vestibule::flows::apps::sync_from_config(&app.state, std::slice::from_ref(&declared)).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM apps WHERE managed_by_config").await, 1);
    app.sign_in_admin("admin@host.example").await;
    let list = app.get("/admin/apps").await;
    assert!(list.has("managed by configuration"), "{}", list.body);
    let id = between(&list.body, "</span><a href=\"/admin/apps/", "\"").unwrap();
    let form = app.get(&format!("/admin/apps/{id}")).await;
    assert!(form.has("managed by the configuration file") && form.has("OIDCClientID wiki"));
    let page = app.post(&format!("/admin/apps/{id}/delete"), &[]).await;
    assert!(page.has("managed by the configuration file"), "{}", page.body);

    let wiki = Client {
        app_id: id,
        client_id: "wiki".into(),
        secret: declared.client_secret.as_ref().map(|_| "a-configured-secret-of-enough-length-0123456789".to_string()),
    };
    rp.register("wiki", &wiki, "basic", "ES256").await;
    let (guest, _) = guest(&app, "ana@partner.example", &[&wiki]).await;
    let t = json_of(&launch(&guest, &rp, "wiki", "").await);
    let ana = app.user_id("ana@partner.example").await.to_string();
    let sub = t["claims"]["sub"].as_str().unwrap();
    assert_ne!(sub, ana, "a pairwise subject, not the user id");
    assert_eq!(sub.len(), 32);
    app
}
both!(an_app_declared_in_the_config_file_signs_people_in_and_cannot_be_edited);
