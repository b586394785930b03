//! Partners whose IdP speaks SAML 2.0 (issue 25), against a second, independent IdP: PyPI
//! `pysaml2` (e2e/peers/pysaml2_idp.py, signing through xmlsec1), one process per test
//! binary. The IdP's answer reaches the ACS as a browser's cross-site POST does: from a
//! client without our cookies; the browser then follows the 303 with its own.

use std::sync::OnceLock;

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::federation::free_port;
use crate::helpers::{Page, TestApp, between, csrf_of, html_unescape, spawn_node_peer};

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

/// The XML of a `SAMLResponse` form field.
fn decoded(saml_response: &str) -> String {
    use base64::Engine;
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(saml_response).unwrap()).unwrap()
}

fn encoded(xml: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(xml)
}

/// XSW3 as SAML Raider numbers it: an unsigned copy of the Assertion, naming Mallory, put
/// before the signed one (a reader that takes "the first Assertion" is fooled).
fn wrapped(xml: &str) -> String {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let assertion = doc.descendants().find(|n| n.has_tag_name("Assertion")).expect("an Assertion");
    let signature = assertion.children().find(|n| n.has_tag_name("Signature")).expect("a signed Assertion");
    let (a, sig) = (assertion.range(), signature.range());
    let evil = format!("{}{}", &xml[a.start..sig.start], &xml[sig.end..a.end])
        .replace("f3a9c2e1-carol", "mallory")
        .replacen(" ID=\"", " ID=\"_evil", 1);
    format!("{}{evil}{}", &xml[..a.start], &xml[a.start..])
}

/// What a refused answer may change: nothing but the audit log.
async fn footprint(app: &TestApp) -> [i64; 5] {
    [
        app.count("SELECT COUNT(*) FROM users").await,
        app.count("SELECT COUNT(*) FROM identities").await,
        app.count("SELECT COUNT(*) FROM saml_arrivals").await,
        app.count("SELECT COUNT(*) FROM saml_assertions_seen").await,
        app.count("SELECT COUNT(*) FROM sessions").await,
    ]
}

async fn failures(app: &TestApp) -> usize {
    app.audit_actions().await.iter().filter(|a| *a == "federation.failed").count()
}

/// Why the last federation failure was audited.
async fn last_failure(app: &TestApp) -> String {
    let mut c = app.state.db.acquire().await.unwrap();
    let (events, _) =
        vestibule::db::audit::list(c.conn(), &Default::default(), vestibule::db::Page::new(1, 50)).await.unwrap();
    events.into_iter().find(|e| e.action == "federation.failed").map(|e| e.details).unwrap_or_default()
}

/// Starts a sign-in in the app's browser with the IdP answering as `user`; posts what
/// `tamper` makes of the answer. The page the browser ends on.
async fn refused_page(app: &TestApp, user: Value, tamper: impl Fn(&str) -> String) -> Page {
    answer_as(app, "fabrikam", user).await;
    let answer = go_to_idp(app, &app.browser, "signin", "").await;
    let posted = tamper(&answer.saml_response);
    arrive(app, &app.browser, post_to_acs(&acs_of(app, &answer), &posted, None).await).await
}

async fn every_forged_or_stale_answer_is_refused_audited_and_leaves_nothing(app: TestApp) -> TestApp {
    invited(&app, &[]).await;
    let with = |change: Value| {
        let mut user = carol();
        user.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
        user
    };
    let same = |r: &str| r.to_string();
    type Tamper = Box<dyn Fn(&str) -> String>;
    // What happened, the page's words, and the audited reason.
    let cases: Vec<(&str, Value, Tamper, &str, &str)> = vec![
        ("unsigned", with(json!({"sign_assertion": false})), Box::new(same), "could not be verified", "not signed"),
        (
            "signed by another key",
            with(json!({"key": "attacker"})),
            Box::new(same),
            "could not be verified",
            "no configured certificate",
        ),
        (
            "SHA-1, not allowed for this IdP",
            with(json!({"sign_alg": "sha1"})),
            Box::new(same),
            "could not be verified",
            "algorithm is not allowed",
        ),
        (
            "XSW3: an unsigned assertion before the signed one",
            carol(),
            Box::new(|r: &str| encoded(&wrapped(&decoded(r)))),
            "could not be verified",
            "more than one Assertion",
        ),
        (
            "a DTD with an entity",
            carol(),
            Box::new(|r: &str| {
                let xml = decoded(r);
                let body = xml.trim_start_matches(|c| c != '>').trim_start_matches('>');
                let body = if xml.starts_with("<?xml") { body.to_string() } else { xml.clone() };
                encoded(&format!("<!DOCTYPE r [<!ENTITY e \"x\">]>{body}"))
            }),
            "could not be verified",
            "document type declaration",
        ),
        (
            "not base64",
            carol(),
            Box::new(|_: &str| "%%%not-base64%%%".to_string()),
            "could not be verified",
            "not base64",
        ),
        (
            "larger than the ACS takes",
            carol(),
            Box::new(|r: &str| format!("{r}{}", "A".repeat(500 * 1024))),
            "could not be verified",
            "too large",
        ),
        (
            "a transient NameID without an identifier attribute",
            with(json!({"name_id_format": "transient"})),
            Box::new(same),
            "not set up for this portal",
            "no persistent identifier",
        ),
    ];
    for (what, user, tamper, says, reason) in cases {
        let (before, failed) = (footprint(&app).await, failures(&app).await);
        let page = refused_page(&app, user, tamper).await;
        assert!(page.status.is_client_error(), "{what}: {} {}", page.status, page.body);
        assert!(page.has(says), "{what}: {}", page.body);
        assert_eq!(footprint(&app).await, before, "{what}: a refused answer changed a table");
        assert_eq!(failures(&app).await, failed + 1, "{what}: audited once");
        let audited = last_failure(&app).await;
        assert!(audited.contains(reason), "{what}: audited as {audited:?}");
    }

    // An answer that is fine but arrives too late (the portal's clock moved past it).
    answer_as(&app, "fabrikam", carol()).await;
    let answer = go_to_idp(&app, &app.browser, "signin", "").await;
    app.advance(chrono::Duration::minutes(10));
    let before = footprint(&app).await;
    let page = arrive(&app, &app.browser, post_to_acs(&acs_of(&app, &answer), &answer.saml_response, None).await).await;
    assert!(page.has("could not be verified"), "expired: {}", page.body);
    assert_eq!(footprint(&app).await, before);
    assert!(last_failure(&app).await.contains("in time"), "{}", last_failure(&app).await);
    real_time(&app);
    app
}
both!(every_forged_or_stale_answer_is_refused_audited_and_leaves_nothing);

async fn an_answer_counts_once_in_the_browser_that_asked_for_it(app: TestApp) -> TestApp {
    let link = invited(&app, &[]).await;
    let token = link.rsplit('/').next().unwrap();
    // Replayed: the same answer posted twice is taken once.
    let answer = go_to_idp(&app, &app.browser, "redeem", token).await;
    let acs = acs_of(&app, &answer);
    let first = post_to_acs(&acs, &answer.saml_response, None).await;
    let replay = post_to_acs(&acs, &answer.saml_response, None).await;
    let page = arrive(&app, &app.browser, replay).await;
    assert!(page.has("already used"), "a replay is refused: {}", page.body);
    let page = arrive(&app, &app.browser, first).await;
    assert!(page.has("I accept the terms of use"), "the first one still counts: {}", page.body);

    // Brought to another browser (a login CSRF, or a stolen handle): refused there, and
    // spent for the one that started it too.
    let (other, _) = app.new_browser();
    let answer = go_to_idp(&app, &app.browser, "redeem", token).await;
    let before = footprint(&app).await;
    let acs_answer = post_to_acs(&acs_of(&app, &answer), &answer.saml_response, None).await;
    let done = acs_answer.headers()["location"].to_str().unwrap().to_string();
    let page = Page::from(other.get(app.url(&done)).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.has("not started in this browser"), "{}", page.body);
    let page = Page::from(app.browser.get(app.url(&done)).send().await.unwrap()).await;
    assert!(page.has("already completed"), "{}", page.body);
    let [users, identities, arrivals, seen, sessions] = before;
    assert_eq!(footprint(&app).await, [users, identities, arrivals, seen + 1, sessions], "only its ID is kept");

    // An answer nobody asked for (IdP-initiated) is refused unless the admin allows it.
    let entity = format!("{}/auth/fabrikam/saml/metadata", app.state.settings.public_url);
    let acs_public = format!("{}/auth/fabrikam/saml/acs", app.state.settings.public_url);
    let unsolicited = || async {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/unsolicited", idp()),
            &[("sp", entity.as_str()), ("acs", acs_public.as_str()), ("relay", "/apps")],
        )
        .unwrap();
        read_answer(Client::new().get(url).send().await.unwrap()).await
    };
    let answer = unsolicited().await;
    assert_eq!(answer.relay_state.as_deref(), Some("/apps"));
    let page = arrive(&app, &app.browser, post_to_acs(&app.url(&answer.acs), &answer.saml_response, None).await).await;
    assert!(page.has("could not be verified"), "{}", page.body);
    assert!(last_failure(&app).await.contains("unsolicited"), "{}", last_failure(&app).await);
    app
}
both!(an_answer_counts_once_in_the_browser_that_asked_for_it);

/// A comment inside the NameID is not part of what was signed; the whole signed value is
/// what is read (the 2018 Duo class: `user@partner.example<!---->.evil.example`).
async fn a_comment_in_the_name_id_does_not_shorten_it(app: TestApp) -> TestApp {
    let link = invited(&app, &[]).await;
    let token = link.rsplit('/').next().unwrap();
    let answer = go_to_idp(&app, &app.browser, "redeem", token).await;
    let xml = decoded(&answer.saml_response);
    assert!(xml.contains(">f3a9c2e1-carol<"), "{xml}");
    let injected = encoded(&xml.replace(">f3a9c2e1-carol<", ">f3a9c2e1<!---->-carol<"));
    let page = arrive(&app, &app.browser, post_to_acs(&acs_of(&app, &answer), &injected, None).await).await;
    assert!(page.has("I accept the terms of use"), "{}", page.body);
    accept_terms(&app.browser, &link).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM identities WHERE subject = 'f3a9c2e1-carol'").await, 1);
    app
}
both!(a_comment_in_the_name_id_does_not_shorten_it);
