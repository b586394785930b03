//! What the provider refuses, and how: bad requests never redirect to an unregistered
//! address; codes are single use, bound and short-lived; only assigned, active people get
//! in, and losing that ends their refresh tokens.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::helpers::*;

/// An authorization request of `client` with PKCE, as the query string; `over` replaces
/// or (with an empty value) drops parameters.
fn authorize_query(rp: &Rp, key: &str, over: &[(&str, &str)]) -> String {
    let redirect = rp.redirect_uri(key);
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", key),
        ("redirect_uri", &redirect),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", "s1"),
        ("nonce", "n1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in over {
        params.retain(|(p, _)| p != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    serde_urlencoded::to_string(&params).unwrap()
}

/// A PKCE verifier and its S256 challenge (BASE64URL(SHA-256(verifier))).
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9FUo-uZVvB8Oh9akcx7pScsVvg";
const CHALLENGE: &str = "Z083ShP7yW4rIXQFwMvmUln1dJUxcdNLsT_iDHq1uEI";

/// Sends the browser to authorize and returns the code from the redirect.
async fn code_for(app: &TestApp, raw: &reqwest::Client, rp: &Rp, key: &str) -> String {
    let r = raw.get(app.url(&format!("/oauth2/authorize?{}", authorize_query(rp, key, &[])))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&rp.redirect_uri(key)), "{location}");
    let url = reqwest::Url::parse(&location).unwrap();
    url.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code")
}

/// A token request with `client_secret_post`.
async fn token(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = reqwest::Client::new().post(app.url("/oauth2/token")).form(form).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn exchange(app: &TestApp, rp: &Rp, c: &Client, code: &str) -> (StatusCode, Value) {
    let redirect = rp.redirect_uri(&c.client_id);
    let secret = c.secret.clone().unwrap_or_default();
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect.as_str()),
        ("code_verifier", VERIFIER),
        ("client_id", c.client_id.as_str()),
    ];
    if !secret.is_empty() {
        form.push(("client_secret", &secret));
    }
    token(app, &form).await
}

async fn a_bad_client_or_redirect_uri_gets_a_page_and_is_never_redirected_to(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    add_client(&app, &rp, "Team Wiki", "wiki", &[]).await;
    let registered = rp.redirect_uri("wiki");
    let port_moved = registered.replace(&rp.origin, &format!("{}1", rp.origin));
    let near_misses = [
        format!("{registered}/../evil"),
        format!("{registered}/"),
        port_moved,
        registered.replace("/cb/", "/CB/"),
        "https://evil.example/cb".to_string(),
    ];
    for bad in &near_misses {
        let r =
            app.get_raw(&format!("/oauth2/authorize?{}", authorize_query(&rp, "wiki", &[("redirect_uri", bad)]))).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.headers().get("location").is_none(), "never redirected to {bad}");
        assert!(r.text().await.unwrap().contains("not registered"));
    }
    for query in [authorize_query(&rp, "nobody", &[]), authorize_query(&rp, "wiki", &[("client_id", "")])] {
        let r = app.get_raw(&format!("/oauth2/authorize?{query}")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.headers().get("location").is_none());
    }
    // A repeated parameter is malformed, not guessed at.
    let twice = format!("{}&client_id=other", authorize_query(&rp, "wiki", &[]));
    assert_eq!(app.get_raw(&format!("/oauth2/authorize?{twice}")).await.status(), StatusCode::BAD_REQUEST);

    // With a registered redirect URI, errors go back to the app (with state and iss).
    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[("code_challenge", "")], "invalid_request"),
        (&[("code_challenge_method", "plain")], "invalid_request"),
        (&[("code_challenge_method", "")], "invalid_request"),
        (&[("response_type", "token")], "unsupported_response_type"),
        (&[("scope", "email")], "invalid_scope"),
        (&[("prompt", "none")], "login_required"),
    ];
    let (_, raw) = app.new_browser();
    for (over, error) in cases {
        let r = raw
            .get(app.url(&format!("/oauth2/authorize?{}", authorize_query(&rp, "wiki", over))))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{over:?}");
        let location = reqwest::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        assert!(location.as_str().starts_with(&registered));
        let q: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
        assert_eq!(q["error"], error, "{over:?}");
        assert_eq!(q["state"], "s1");
        assert_eq!(q["iss"], app.base);
        assert!(!q.contains_key("code"));
    }
    app
}
both!(a_bad_client_or_redirect_uri_gets_a_page_and_is_never_redirected_to);

async fn codes_are_single_use_bound_to_their_client_and_short_lived(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let wiki = add_client(&app, &rp, "Team Wiki", "wiki", &[]).await;
    let crm = add_client(&app, &rp, "CRM", "crm", &[]).await;
    let (_, raw) = guest(&app, "ana@partner.example", &[&wiki, &crm]).await;

    // A good exchange, then the same code again: refused, and the first tokens die.
    let code = code_for(&app, &raw, &rp, "wiki").await;
    let (status, t) = exchange(&app, &rp, &wiki, &code).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["token_type"], json!("Bearer"));
    let header = t["id_token"].as_str().unwrap().split('.').next().unwrap().to_string();
    assert!(!header.is_empty());
    let secret = wiki.secret.clone().unwrap();
    // A refresh asking for more than was granted is refused, and the token stays good.
    let wider = [
        ("grant_type", "refresh_token"),
        ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ("scope", "openid email groups"),
        ("client_id", "wiki"),
        ("client_secret", &secret),
    ];
    let (status, e) = token(&app, &wider).await;
    assert_eq!((status, e["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_scope")), "{e}");
    let (status, e) = token(&app, &[wider[0], wider[1], wider[3], wider[4]]).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let t = json!({ "refresh_token": e["refresh_token"] });
    let (status, e) = exchange(&app, &rp, &wiki, &code).await;
    assert_eq!((status, e["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_grant")));
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ("client_id", "wiki"),
        ("client_secret", &secret),
    ];
    let (_, e) = token(&app, &refresh).await;
    assert_eq!(e["error"], json!("invalid_grant"), "a replayed code revokes what it issued: {e}");

    // Another client's code; a wrong verifier; a wrong redirect URI; a wrong secret.
    let code = code_for(&app, &raw, &rp, "wiki").await;
    let (status, e) = exchange(&app, &rp, &crm, &code).await;
    assert_eq!((status, e["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_grant")), "{e}");
    let code = code_for(&app, &raw, &rp, "wiki").await;
    let (_, e) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &rp.redirect_uri("wiki")),
            ("code_verifier", "dBjftJeZ4CVP-mJ92K9FUo-uZVvB8Oh9akcx7pScsVvX"),
            ("client_id", "wiki"),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(e["error"], json!("invalid_grant"), "PKCE: {e}");
    let code = code_for(&app, &raw, &rp, "wiki").await;
    let (_, e) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &format!("{}/", rp.redirect_uri("wiki"))),
            ("code_verifier", VERIFIER),
            ("client_id", "wiki"),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(e["error"], json!("invalid_grant"), "redirect_uri: {e}");
    let code = code_for(&app, &raw, &rp, "wiki").await;
    let (status, e) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &rp.redirect_uri("wiki")),
            ("code_verifier", VERIFIER),
            ("client_id", "wiki"),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!((status, e["error"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_client")));

    // A code a minute old has expired.
    let code = code_for(&app, &raw, &rp, "wiki").await;
    app.advance(chrono::Duration::seconds(61));
    let (_, e) = exchange(&app, &rp, &wiki, &code).await;
    assert_eq!(e["error"], json!("invalid_grant"), "expired: {e}");

    // Malformed token requests get OAuth errors, not pages.
    let r = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .body("{}")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], json!("invalid_request"));
    let (_, e) = token(&app, &[("grant_type", "password"), ("client_id", "wiki"), ("client_secret", &secret)]).await;
    assert_eq!(e["error"], json!("unsupported_grant_type"));
    app
}
both!(codes_are_single_use_bound_to_their_client_and_short_lived);

async fn only_assigned_active_people_get_in_and_losing_access_ends_refresh(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let wiki = add_client(&app, &rp, "Team Wiki", "wiki", &[]).await;
    let crm = add_client(&app, &rp, "CRM", "crm", &[]).await;
    rp.register("wiki", &wiki, "basic", "RS256").await;
    rp.register("crm", &crm, "basic", "RS256").await;
    let package = app
        .post(
            "/admin/packages",
            &[("name", "Sales partners"), ("approval_mode", "none"), ("app", &crm.app_id), ("published", "yes")],
        )
        .await;
    assert!(package.has("Sales partners was added") || package.has("Sales partners was"), "{}", package.body);
    let (guest, _) = guest(&app, "ana@partner.example", &[&wiki]).await;

    // Not assigned to the CRM: a clear page, audited, with "Request access".
    let page = launch(&guest, &rp, "crm", "").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("You don&#39;t have access to CRM") || page.has("You don't have access to CRM"), "{}", page.body);
    assert!(page.has("/apps/request?package="), "a Request access button: {}", page.body);
    assert!(app.audit_actions().await.contains(&"app.access_refused".to_string()));
    let href = between(&page.body, "href=\"/apps/request?package=", "\"").unwrap();
    let form = Page::from(guest.get(app.url(&format!("/apps/request?package={href}"))).send().await.unwrap()).await;
    assert!(form.has(&format!("value=\"{href}\" checked")), "the package is chosen: {}", form.body);
    // prompt=none gets the error at the app instead.
    let page = launch(&guest, &rp, "crm", "prompt=none").await;
    assert_eq!(json_of(&page)["error"], json!("access_denied"), "{}", page.body);

    // Assigned: in. Then unassigned: the refresh token stops working.
    let t = json_of(&launch(&guest, &rp, "wiki", "").await);
    let ana = app.user_id("ana@partner.example").await;
    let page = app.post(&format!("/admin/users/{ana}/apps/{}/remove", wiki.app_id), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let (_, e) = rp.call("refresh", "wiki", json!({ "refresh_token": t["refresh_token"] })).await;
    assert_eq!(e["error"], json!("invalid_grant"), "{e}");
    let (_, e) =
        rp.call("userinfo", "wiki", json!({ "access_token": t["access_token"], "sub": ana.to_string() })).await;
    assert!(e["error"].is_string(), "{e}");
    assert_eq!(launch(&guest, &rp, "wiki", "").await.status, StatusCode::FORBIDDEN);

    // Assigned again, then blocked: the session and its grants end at once.
    assign(&app, "ana@partner.example", &wiki).await;
    let t = json_of(&launch(&guest, &rp, "wiki", "").await);
    let page = app.post(&format!("/admin/users/{ana}/block"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let (_, e) = rp.call("refresh", "wiki", json!({ "refresh_token": t["refresh_token"] })).await;
    assert_eq!(e["error"], json!("invalid_grant"), "{e}");
    assert_eq!(app.take_mail(&rp.backchannel_uri("wiki")).await.len(), 1, "the app is told the session ended");
    app
}
both!(only_assigned_active_people_get_in_and_losing_access_ends_refresh);

async fn an_expired_guest_is_refused(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let wiki = add_client(&app, &rp, "Team Wiki", "wiki", &[]).await;
    rp.register("wiki", &wiki, "basic", "RS256").await;
    let (guest, _) = guest(&app, "ana@partner.example", &[&wiki]).await;
    let t = json_of(&launch(&guest, &rp, "wiki", "").await);
    let ana = app.user_id("ana@partner.example").await;
    // Expire the account (as the lifecycle would) while the session is still fresh.
    let mut c = app.state.db.acquire().await.unwrap();
    let past = app.state.clock.now() - chrono::Duration::minutes(1);
    vestibule::db::sponsors::set_expiry(c.conn(), ana, Some(past)).await.unwrap();
    drop(c);
    let (_, e) = rp.call("refresh", "wiki", json!({ "refresh_token": t["refresh_token"] })).await;
    assert_eq!(e["error"], json!("invalid_grant"), "{e}");
    // Their session ended with the expiry: the app's login lands on the sign-in page, no code.
    let page = launch(&guest, &rp, "wiki", "").await;
    assert!(page.url.contains("/signin?next="), "no code for an expired guest: {}", page.url);
    app
}
both!(an_expired_guest_is_refused);

/// Turns on "MFA required" for `c` through the admin's edit form (its other fields as
/// `add_client` made them).
async fn require_mfa_for(app: &TestApp, rp: &Rp, name: &str, c: &Client) {
    let redirect = rp.redirect_uri(&c.client_id);
    let fields = [
        ("name", name),
        ("launch_url", "http://127.0.0.1:9/"),
        ("visible_in_panel", "yes"),
        ("mfa_required", "yes"),
        ("oidc", "yes"),
        ("client_id", c.client_id.as_str()),
        ("client_type", "confidential"),
        ("redirect_uris", redirect.as_str()),
        ("id_token_alg", "RS256"),
    ];
    let page = app.post(&format!("/admin/apps/{}", c.app_id), &fields).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("MFA required") || page.has("saved"), "{}", page.body);
}

async fn no_endpoint_hands_out_a_code_or_token_without_an_apps_second_step(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let vault = add_client(&app, &rp, "Vault", "vault", &[("consent_required", "yes"), ("mfa_required", "yes")]).await;
    let wiki = add_client(&app, &rp, "Team Wiki", "wiki", &[]).await;
    let (ana, raw) = guest(&app, "ana@partner.example", &[&vault, &wiki]).await;

    // The consent form posted directly, with only the email code behind the session.
    let csrf = csrf_of(&ana, &app.url("/apps")).await;
    let request = authorize_query(&rp, "vault", &[]);
    let form = [("csrf", csrf.as_str()), ("request", request.as_str()), ("decision", "allow")];
    let r = raw.post(app.url("/oauth2/authorize/consent")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/mfa?next=") && !to.contains("code="), "to the second step, no code: {to}");
    assert!(!app.audit_actions().await.iter().any(|a| a == "app.consent_given"));

    // A code and tokens from before the app required MFA: the exchange, the refresh and
    // UserInfo now refuse them.
    let code = code_for(&app, &raw, &rp, "wiki").await;
    let spare = code_for(&app, &raw, &rp, "wiki").await;
    let (status, t) = exchange(&app, &rp, &wiki, &code).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    require_mfa_for(&app, &rp, "Team Wiki", &wiki).await;
    let (status, e) = exchange(&app, &rp, &wiki, &spare).await;
    assert_eq!((status, e["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_grant")), "{e}");
    let secret = wiki.secret.clone().unwrap();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ("client_id", "wiki"),
        ("client_secret", &secret),
    ];
    let (status, e) = token(&app, &refresh).await;
    assert_eq!((status, e["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_grant")), "{e}");
    let r = reqwest::Client::new()
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app
}
both!(no_endpoint_hands_out_a_code_or_token_without_an_apps_second_step);
