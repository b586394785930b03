//! The code flow end to end through `openid-client`: claims, userinfo, refresh with
//! rotation, revocation, single sign-on, and the signing algorithms.

use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::helpers::*;

async fn an_assigned_guest_signs_in_to_an_app_through_openid_client(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let wiki = add_client(&app, &rp, "Team Wiki", "wiki", &[]).await;
    assert!(wiki.secret.as_deref().is_some_and(|s| s.len() >= 43), "the secret is shown once");
    rp.register("wiki", &wiki, "basic", "RS256").await;
    let (guest, _) = guest(&app, "ana@partner.example", &[&wiki]).await;

    let page = launch(&guest, &rp, "wiki", "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let t = json_of(&page);
    let claims = &t["claims"];
    let ana = app.user_id("ana@partner.example").await.to_string();
    assert_eq!(claims["sub"], json!(ana));
    assert_eq!(claims["iss"], json!(app.base));
    assert_eq!(claims["aud"], json!(["wiki"]));
    assert_eq!(claims["email"], json!("ana@partner.example"));
    assert_eq!(claims["email_verified"], json!(true));
    assert_eq!(claims["user_type"], json!("guest"));
    assert_eq!(claims["amr"], json!(["email"]));
    assert_eq!(claims["acr"], json!("1"), "one factor");
    assert!(claims["auth_time"].is_i64() && claims["sid"].is_string() && claims["at_hash"].is_string());
    assert_eq!(claims["groups"], json!([]));

    // Userinfo with the access token.
    let (status, info) = rp.call("userinfo", "wiki", json!({ "access_token": t["access_token"], "sub": ana })).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["email"], json!("ana@partner.example"));

    // Refresh rotates the refresh token.
    let first_refresh = t["refresh_token"].as_str().unwrap().to_string();
    let (status, r) = rp.call("refresh", "wiki", json!({ "refresh_token": first_refresh })).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let second_refresh = r["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first_refresh, second_refresh);
    // The old one again: reuse revokes the whole family, the newer token included.
    let (status, e) = rp.call("refresh", "wiki", json!({ "refresh_token": first_refresh })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"], json!("invalid_grant"), "{e}");
    let (_, e) = rp.call("refresh", "wiki", json!({ "refresh_token": second_refresh })).await;
    assert_eq!(e["error"], json!("invalid_grant"), "the family is revoked: {e}");
    let (_, e) = rp.call("userinfo", "wiki", json!({ "access_token": r["access_token"], "sub": ana })).await;
    assert!(e["error"].is_string(), "the family's access token is dead too: {e}");

    // A new sign-in; revoking its refresh token (RFC 7009) ends it.
    let t = json_of(&launch(&guest, &rp, "wiki", "").await);
    let (status, _) = rp.call("revoke", "wiki", json!({ "token": t["refresh_token"], "hint": "refresh_token" })).await;
    assert_eq!(status, StatusCode::OK);
    let (_, e) = rp.call("refresh", "wiki", json!({ "refresh_token": t["refresh_token"] })).await;
    assert_eq!(e["error"], json!("invalid_grant"));
    app
}
both!(an_assigned_guest_signs_in_to_an_app_through_openid_client);

async fn a_second_app_needs_no_second_sign_in_but_prompt_login_asks_again(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let wiki = add_client(&app, &rp, "Team Wiki", "wiki", &[]).await;
    let crm = add_client(&app, &rp, "CRM", "crm", &[("client_type", "public"), ("id_token_alg", "ES256")]).await;
    assert_eq!(crm.secret, None, "a public client has no secret");
    rp.register("wiki", &wiki, "post", "RS256").await;
    rp.register("crm", &crm, "none", "ES256").await;
    let (guest, raw) = guest(&app, "ana@partner.example", &[&wiki, &crm]).await;

    let first = json_of(&launch(&guest, &rp, "wiki", "").await);
    let second = json_of(&launch(&guest, &rp, "crm", "").await);
    assert_eq!(first["claims"]["sid"], second["claims"]["sid"], "one portal session signed in to both");
    assert_eq!(first["claims"]["auth_time"], second["claims"]["auth_time"], "no second sign-in");

    // prompt=login: the portal asks to sign in again, then returns to the app.
    let to_portal =
        raw.get(rp.login_url("wiki", "prompt=login&login_hint=ana%40partner.example")).send().await.unwrap();
    let authorize = to_portal.headers()["location"].to_str().unwrap().to_string();
    let r = raw.get(&authorize).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let signin = r.headers()["location"].to_str().unwrap().to_string();
    assert!(signin.starts_with("/signin?next=%2Foauth2%2Fauthorize"), "{signin}");
    let page = Page::from(guest.get(app.url(&signin)).send().await.unwrap()).await;
    assert!(page.has("value=\"ana@partner.example\""), "the app's login_hint fills in the address");
    let csrf = between(&page.body, "name=\"csrf\" value=\"", "\"").unwrap();
    let next = input_value(&page.body, "next");
    let form = [("csrf", csrf.as_str()), ("email", "ana@partner.example"), ("next", next.as_str())];
    guest.post(app.url("/signin")).form(&form).send().await.unwrap();
    let code = code_in(&app.one_mail("ana@partner.example").await);
    app.advance(chrono::Duration::seconds(5));
    let csrf = csrf_of(&guest, &app.url("/signin/code")).await;
    let done = Page::from(
        guest
            .post(app.url("/signin/code"))
            .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let again = json_of(&done);
    assert!(again["claims"]["auth_time"].as_i64() > first["claims"]["auth_time"].as_i64(), "a fresh sign-in: {again}");
    assert_ne!(again["claims"]["sid"], first["claims"]["sid"]);
    // Signing in again ended the browser's earlier session: both apps are told, for it.
    for key in ["wiki", "crm"] {
        assert_eq!(app.take_mail(&rp.backchannel_uri(key)).await.len(), 1);
    }
    vestibule::jobs::run_once(&app.state).await.unwrap();
    let told = rp.logouts("wiki").await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["sid"], first["claims"]["sid"], "the logout names the ended session: {told:?}");
    assert_eq!(told[0]["sub"], first["claims"]["sub"]);
    app
}
both!(a_second_app_needs_no_second_sign_in_but_prompt_login_asks_again);

/// Python's Authlib, a second independent verifier, with each signing algorithm.
async fn authlib_validates_rs256_es256_and_eddsa_id_tokens(app: TestApp) -> TestApp {
    let port = crate::federation::free_port();
    let _peer = crate::federation::start_peer("authlib_rp.py", port, &[], std::slice::from_ref(&app.base));
    let authlib = format!("http://127.0.0.1:{port}");
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let algs = [("rs", "RS256"), ("es", "ES256"), ("ed", "EdDSA")];
    let mut clients = Vec::new();
    for (key, alg) in algs {
        let redirect = format!("{authlib}/cb/{key}");
        let c =
            add_client(&app, &rp, &format!("App {alg}"), key, &[("id_token_alg", alg), ("redirect_uris", &redirect)])
                .await;
        let body = json!({ "name": key, "client_id": key, "client_secret": c.secret, "alg": alg });
        let r = reqwest::Client::new().post(format!("{authlib}/clients")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        clients.push(c);
    }
    let refs: Vec<&Client> = clients.iter().collect();
    let (guest, _) = guest(&app, "ana@partner.example", &refs).await;
    for (key, alg) in algs {
        let page = Page::from(guest.get(format!("{authlib}/login/{key}")).send().await.unwrap()).await;
        assert_eq!(page.status, StatusCode::OK, "{alg}: {}", page.body);
        let v = json_of(&page);
        assert_eq!(v["alg"], json!(alg));
        assert_eq!(v["claims"]["email"], json!("ana@partner.example"));
        assert_eq!(v["claims"]["aud"], json!([key]));
    }
    app
}
both!(authlib_validates_rs256_es256_and_eddsa_id_tokens);
