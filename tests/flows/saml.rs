//! Partners whose IdP speaks SAML 2.0 (issue 25), against a second, independent IdP: PyPI
//! `pysaml2` (e2e/peers/pysaml2_idp.py, signing through xmlsec1), one process per test
//! binary. The IdP's answer reaches the ACS as a browser's cross-site POST does: from a
//! client without our cookies; the browser then follows the 303 with its own.

use std::sync::OnceLock;

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::federation::free_port;
use crate::helpers::{Page, TestApp, between, csrf_of, html_unescape, spawn_node_peer};

const REFEDS_MFA: &str = "https://refeds.org/profile/mfa";

/// The shared pysaml2 IdP's origin.
fn idp() -> &'static str {
    static IDP: OnceLock<(std::process::Child, String)> = OnceLock::new();
    &IDP.get_or_init(|| {
        let port = free_port();
        let child = spawn_node_peer("pysaml2_idp.py", port, &[], &["--exit-with-stdin".into()]);
        (child, format!("http://127.0.0.1:{port}"))
    })
    .1
}

fn metadata_url() -> String {
    format!("{}/metadata", idp())
}

/// Carol at Fabrikam, as the IdP answers for her unless a test says otherwise.
fn carol() -> Value {
    json!({
        "name_id": "f3a9c2e1-carol",
        "name_id_format": "persistent",
        "attributes": {"mail": ["carol@fabrikam.example"], "displayName": ["Carol Guest"]},
        "sign_assertion": true,
    })
}

/// The IdP's clock is the real one: the app's manual clock starts there too.
fn real_time(app: &TestApp) {
    let behind = chrono::Utc::now() - app.state.clock.now();
    if behind > chrono::Duration::zero() {
        app.advance(behind);
    }
}

/// Registers this app's SP (from its own metadata URL) at the IdP, answering as `user`.
async fn answer_as(app: &TestApp, slug: &str, user: Value) {
    let sp = app.get(&format!("/auth/{slug}/saml/metadata")).await;
    assert_eq!(sp.status, StatusCode::OK, "{}", sp.body);
    let entity_id = format!("{}/auth/{slug}/saml/metadata", app.state.settings.public_url);
    let r = Client::new()
        .post(format!("{}/sp", idp()))
        .json(&json!({"metadata": sp.body, "entity_id": entity_id, "user": user}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// An admin adds the partner by its metadata URL (the app's browser must be an admin's).
async fn add_partner(app: &TestApp, slug: &str, extra: &[(&str, &str)]) -> Page {
    let url = metadata_url();
    let mut form = vec![
        ("display_name", "Fabrikam"),
        ("slug", slug),
        ("metadata_url", url.as_str()),
        ("domains", "fabrikam.example"),
        ("enabled", "yes"),
    ];
    form.extend_from_slice(extra);
    app.post("/admin/identity-providers/saml", &form).await
}

/// An admin, the partner (email trusted unless `extra` says otherwise) and an invitation
/// for carol@fabrikam.example.
async fn invited(app: &TestApp, extra: &[(&str, &str)]) -> String {
    real_time(app);
    app.sign_in_admin("root@contoso.example").await;
    let mut fields = vec![("email_trusted", "yes")];
    fields.extend_from_slice(extra);
    let page = add_partner(app, "fabrikam", &fields).await;
    assert!(page.has("Fabrikam was added"), "{}", page.body);
    let link = app.invite("carol@fabrikam.example", &[]).await;
    app.sign_out().await;
    answer_as(app, "fabrikam", carol()).await;
    link
}

/// What the IdP's auto-POST form carries: the ACS and the fields.
struct IdpAnswer {
    acs: String,
    saml_response: String,
    relay_state: Option<String>,
}

async fn read_answer(r: reqwest::Response) -> IdpAnswer {
    let status = r.status();
    let html = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "the IdP answered: {html}");
    let field = |name: &str| between(&html, &format!("name=\"{name}\" value=\""), "\"").map(|v| html_unescape(&v));
    IdpAnswer {
        acs: html_unescape(&between(&html, "action=\"", "\"").unwrap()),
        saml_response: field("SAMLResponse").expect("a SAMLResponse"),
        relay_state: field("RelayState"),
    }
}

/// Presses a "Sign in with Fabrikam" button (`purpose` redeem with `token`, or signin) in
/// `browser`, and follows it to the IdP, which answers at once.
async fn go_to_idp(app: &TestApp, browser: &Client, purpose: &str, token: &str) -> IdpAnswer {
    let csrf = csrf_of(browser, &app.url("/signin")).await;
    let form = [("csrf", csrf.as_str()), ("purpose", purpose), ("token", token)];
    // A same-site POST (the session keeps the flow), 303 to the IdP, which answers at once.
    let r = browser.post(app.url("/auth/fabrikam/start")).form(&form).send().await.unwrap();
    let at_idp = r.url().to_string();
    assert!(at_idp.starts_with(&format!("{}/sso?SAMLRequest=", idp())), "went to {at_idp}");
    read_answer(r).await
}

/// The cross-site POST to the ACS: no cookies, no redirects followed.
async fn post_to_acs(acs: &str, saml_response: &str, relay_state: Option<&str>) -> reqwest::Response {
    let mut form = vec![("SAMLResponse", saml_response)];
    if let Some(relay) = relay_state {
        form.push(("RelayState", relay));
    }
    Client::builder().redirect(Policy::none()).build().unwrap().post(acs).form(&form).send().await.unwrap()
}

/// The ACS's answer, followed in `browser` (its cookies are back on this same-site step).
async fn arrive(app: &TestApp, browser: &Client, acs_answer: reqwest::Response) -> Page {
    assert_eq!(acs_answer.status(), StatusCode::SEE_OTHER);
    assert!(acs_answer.headers().get("set-cookie").is_none(), "the ACS must not touch the session cookie");
    let next = acs_answer.headers()["location"].to_str().unwrap().to_string();
    assert!(next.starts_with("/auth/fabrikam/saml/done?"), "{next}");
    Page::from(browser.get(app.url(&next)).send().await.unwrap()).await
}

fn acs_of(app: &TestApp, answer: &IdpAnswer) -> String {
    assert_eq!(answer.acs, format!("{}/auth/fabrikam/saml/acs", app.state.settings.public_url));
    app.url(&answer.acs)
}

async fn accept_terms(browser: &Client, link: &str) -> Page {
    let csrf = csrf_of(browser, link).await;
    let form = [("csrf", csrf.as_str()), ("accept_terms", "yes")];
    Page::from(browser.post(format!("{link}/accept")).form(&form).send().await.unwrap()).await
}

async fn a_saml_partner_redeems_and_signs_in_again_through_its_own_idp(app: TestApp) -> TestApp {
    let link = invited(&app, &[]).await;
    let landing = app.get(&link).await;
    assert!(landing.has("Sign in with Fabrikam"), "home-realm discovery offers the partner's IdP: {}", landing.body);
    let token = link.rsplit('/').next().unwrap();
    let answer = go_to_idp(&app, &app.browser, "redeem", token).await;
    let page = arrive(&app, &app.browser, post_to_acs(&acs_of(&app, &answer), &answer.saml_response, None).await).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("I accept the terms of use"), "the consent page follows: {}", page.body);
    let page = accept_terms(&app.browser, &link).await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
    let idp_entity = metadata_url();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM identities WHERE subject = 'f3a9c2e1-carol' AND provider = 'fabrikam'").await,
        1
    );
    let issuer: String = {
        let user = app.user_id("carol@fabrikam.example").await;
        let mut c = app.state.db.acquire().await.unwrap();
        let ids = vestibule::db::identities::for_user(c.conn(), user).await.unwrap();
        ids[0].issuer.clone()
    };
    assert_eq!(issuer, idp_entity, "identity is (IdP entityID, NameID)");

    // Signing in again in a new browser: through the IdP, straight to the Access Panel.
    let (browser, _) = app.new_browser();
    let answer = go_to_idp(&app, &browser, "signin", "").await;
    let page = arrive(&app, &browser, post_to_acs(&acs_of(&app, &answer), &answer.saml_response, None).await).await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "invitation.redeemed"), "{actions:?}");
    app
}
both!(a_saml_partner_redeems_and_signs_in_again_through_its_own_idp);
