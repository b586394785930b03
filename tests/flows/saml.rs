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

/// The whole round trip: a button pressed in `browser`, the IdP's answer posted to the ACS
/// across sites, and the browser's same-site step after it.
async fn through_idp(app: &TestApp, browser: &Client, purpose: &str, token: &str) -> Page {
    let answer = go_to_idp(app, browser, purpose, token).await;
    arrive(app, browser, post_to_acs(&acs_of(app, &answer), &answer.saml_response, None).await).await
}

/// An answer nobody asked for (IdP-initiated), carrying `relay` as its RelayState.
async fn unsolicited(app: &TestApp, relay: &str) -> IdpAnswer {
    let public = &app.state.settings.public_url;
    let (entity, acs) = (format!("{public}/auth/fabrikam/saml/metadata"), format!("{public}/auth/fabrikam/saml/acs"));
    let url = reqwest::Url::parse_with_params(
        &format!("{}/unsolicited", idp()),
        &[("sp", entity.as_str()), ("acs", acs.as_str()), ("relay", relay)],
    )
    .unwrap();
    read_answer(Client::new().get(url).send().await.unwrap()).await
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
    let page = through_idp(&app, &app.browser, "redeem", token).await;
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
    let page = through_idp(&app, &browser, "signin", "").await;
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
    let answer = unsolicited(&app, "/apps").await;
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

/// Signs in again through the IdP in a new browser; the page it lands on.
async fn sign_in_again(app: &TestApp) -> Page {
    let (browser, _) = app.new_browser();
    through_idp(app, &browser, "signin", "").await
}

/// The one identity provider's id.
async fn only_idp_id(app: &TestApp) -> String {
    let mut c = app.state.db.acquire().await.unwrap();
    let all = vestibule::db::identity_providers::all(c.conn()).await.unwrap();
    assert_eq!(all.len(), 1);
    all[0].id.to_string()
}

/// Makes every SAML IdP's metadata due to be read again now.
async fn make_refresh_due(app: &TestApp, url: Option<&str>) {
    let past = app.state.clock.now() - chrono::Duration::minutes(1);
    let sql = "UPDATE saml_idps SET metadata_refresh_at = $1, metadata_url = COALESCE($2, metadata_url)";
    let mut c = app.state.db.acquire().await.unwrap();
    match c.conn() {
        vestibule::db::Conn::Sqlite(e) => {
            sqlx::query(sql).bind(past).bind(url).execute(e).await.unwrap();
        }
        vestibule::db::Conn::Postgres(e) => {
            sqlx::query(sql).bind(past).bind(url).execute(e).await.unwrap();
        }
    }
}

/// The id in `/admin/identity-providers/{id}` of the page the admin landed on.
fn idp_id_of(page: &Page) -> String {
    page.url.rsplit('/').next().unwrap().to_string()
}

fn saml_form<'a>(slug: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form =
        vec![("display_name", "Fabrikam"), ("slug", slug), ("domains", "fabrikam.example"), ("enabled", "yes")];
    form.extend_from_slice(extra);
    form
}

async fn partner_mfa_events(app: &TestApp) -> usize {
    app.audit_actions().await.iter().filter(|a| *a == "mfa.met_by_partner").count()
}

async fn a_partners_mfa_counts_when_its_authentication_context_is_trusted(app: TestApp) -> TestApp {
    let link = invited(&app, &[]).await;
    let token = link.rsplit('/').next().unwrap();
    through_idp(&app, &app.browser, "redeem", token).await;
    accept_terms(&app.browser, &link).await;
    app.sign_out().await;
    app.sign_in_admin("root@contoso.example").await;
    app.post("/admin/settings", &crate::helpers::settings_form(&[("guests_mfa", "yes")])).await;
    let id = {
        let list = app.get("/admin/identity-providers").await;
        let at = list.body.find("/admin/identity-providers/").unwrap();
        let ids: Vec<String> = list.body[at..]
            .split("href=\"/admin/identity-providers/")
            .filter_map(|p| p.split('"').next())
            .filter(|p| uuid::Uuid::parse_str(p).is_ok())
            .map(str::to_string)
            .collect();
        ids[0].clone()
    };
    let mfa = json!({"authn_context": "https://refeds.org/profile/mfa"});
    let mut carol_mfa = carol();
    carol_mfa.as_object_mut().unwrap().extend(mfa.as_object().unwrap().clone());
    answer_as(&app, "fabrikam", carol_mfa.clone()).await;
    assert!(sign_in_again(&app).await.url.contains("/mfa?next="), "not trusted yet: the portal's own step");

    let edit = [("email_trusted", "yes"), ("trust_mfa", "yes")];
    let page = app.post(&format!("/admin/identity-providers/{id}/saml"), &saml_form("fabrikam", &edit)).await;
    assert!(page.has("Fabrikam was saved"), "{}", page.body);
    let page = sign_in_again(&app).await;
    assert!(page.url.ends_with("/apps"), "REFEDS MFA, trusted: no second step here ({})", page.url);
    assert!(app.audit_actions().await.contains(&"mfa.met_by_partner".to_string()));

    // Another context counts only once the admin lists it (AD FS's multipleauthn).
    let adfs = "http://schemas.microsoft.com/claims/multipleauthn";
    carol_mfa["authn_context"] = json!(adfs);
    answer_as(&app, "fabrikam", carol_mfa).await;
    assert!(sign_in_again(&app).await.url.contains("/mfa?next="), "an unlisted context");
    let listed = [("email_trusted", "yes"), ("trust_mfa", "yes"), ("trusted_acr", adfs)];
    app.post(&format!("/admin/identity-providers/{id}/saml"), &saml_form("fabrikam", &listed)).await;
    assert!(sign_in_again(&app).await.url.ends_with("/apps"), "a listed context counts");
    answer_as(&app, "fabrikam", carol()).await;
    assert!(sign_in_again(&app).await.url.contains("/mfa?next="), "a password alone does not");

    // Redeeming with the partner's MFA lands in the Access Panel, audited as such.
    let before = partner_mfa_events(&app).await;
    let link = app.invite("dave@fabrikam.example", &[]).await;
    let dave = json!({
        "name_id": "dave-1", "name_id_format": "persistent", "authn_context": "https://refeds.org/profile/mfa",
        "attributes": {"mail": ["dave@fabrikam.example"]},
    });
    answer_as(&app, "fabrikam", dave).await;
    let (browser, _) = app.new_browser();
    through_idp(&app, &browser, "redeem", link.rsplit('/').next().unwrap()).await;
    let page = accept_terms(&browser, &link).await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
    assert_eq!(partner_mfa_events(&app).await, before + 1, "the redemption is audited as met by the partner's MFA");
    app
}
both!(a_partners_mfa_counts_when_its_authentication_context_is_trusted);

async fn an_admin_adds_a_partner_from_pasted_metadata_and_hands_over_ours(app: TestApp) -> TestApp {
    real_time(&app);
    app.sign_in_admin("root@contoso.example").await;
    let xml = Client::new().get(metadata_url()).send().await.unwrap().text().await.unwrap();

    // Refusals, each next to its field, nothing stored.
    let url = metadata_url();
    let both_given = app
        .post(
            "/admin/identity-providers/saml",
            &saml_form("fabrikam", &[("metadata_url", &url), ("metadata_xml", &xml)]),
        )
        .await;
    assert!(both_given.has("not both"), "{}", both_given.body);
    let none = app.post("/admin/identity-providers/saml", &saml_form("fabrikam", &[])).await;
    assert!(html_unescape(&none.body).contains("Give the partner's metadata URL"), "{}", none.body);
    let metadata_service = app
        .post(
            "/admin/identity-providers/saml",
            &saml_form("fabrikam", &[("metadata_url", "http://169.254.169.254/latest/meta-data")]),
        )
        .await;
    assert_eq!(metadata_service.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", metadata_service.body);
    let sp_only = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#;
    let page = app.post("/admin/identity-providers/saml", &saml_form("fabrikam", &[("metadata_xml", sp_only)])).await;
    assert!(page.has("cannot be used"), "{}", page.body);
    let dtd = format!("<!DOCTYPE x [<!ENTITY big \"{}\">]>{xml}", "x".repeat(100));
    let page = app.post("/admin/identity-providers/saml", &saml_form("fabrikam", &[("metadata_xml", &dtd)])).await;
    assert!(page.has("cannot be used"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM identity_providers").await, 0);

    let page = app.post("/admin/identity-providers/saml", &saml_form("fabrikam", &[("metadata_xml", &xml)])).await;
    assert!(page.has("Fabrikam was added"), "{}", page.body);
    assert!(page.has(&metadata_url()), "the entityID read is shown: {}", page.body);
    assert!(page.has("valid until <time datetime=\""), "each signing certificate's end is shown: {}", page.body);
    assert!(page.has("expires within 30 days"), "pysaml2's test certificate lasts 30 days: warned");
    let ours = format!("{}/auth/fabrikam/saml/metadata", app.state.settings.public_url);
    assert!(page.has(&ours), "our metadata's address is shown");
    let id = idp_id_of(&page);

    // The same partner twice would share identities: refused.
    let again = app.post("/admin/identity-providers/saml", &saml_form("fabrikam2", &[("metadata_xml", &xml)])).await;
    assert!(again.has("already has this entityID"), "{}", again.body);

    // Our SP metadata, as the partner's admin downloads it.
    let r = app.get_raw("/auth/fabrikam/saml/metadata?download=1").await;
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/samlmetadata+xml"));
    let sp = r.text().await.unwrap();
    let doc = roxmltree::Document::parse(&sp).unwrap();
    assert_eq!(doc.root_element().attribute("entityID"), Some(ours.as_str()));
    let acs = doc.descendants().find(|n| n.has_tag_name("AssertionConsumerService")).unwrap();
    assert_eq!(
        acs.attribute("Location"),
        Some(format!("{}/auth/fabrikam/saml/acs", app.state.settings.public_url).as_str())
    );
    assert_eq!(app.get_raw("/auth/nobody/saml/metadata").await.status(), StatusCode::NOT_FOUND);

    // Saving without new metadata keeps what was read; the list names the kind.
    let page = app
        .post(&format!("/admin/identity-providers/{id}/saml"), &saml_form("fabrikam", &[("email_trusted", "yes")]))
        .await;
    assert!(page.has("Fabrikam was saved") && page.has(&metadata_url()), "{}", page.body);
    let list = app.get("/admin/identity-providers").await;
    assert!(list.has("SAML 2.0") && list.has(&ours), "{}", list.body);
    // The OIDC form cannot take over a SAML IdP.
    let oidc = [
        ("display_name", "X"),
        ("slug", "fabrikam"),
        ("kind", "saml"),
        ("issuer", "https://x.example"),
        ("client_id", "a"),
        ("client_secret", "b"),
    ];
    let page = app.post(&format!("/admin/identity-providers/{id}"), &oidc).await;
    assert_ne!(page.status, StatusCode::OK, "{}", page.body);
    app
}
both!(an_admin_adds_a_partner_from_pasted_metadata_and_hands_over_ours);

async fn metadata_by_url_is_read_again_and_a_failure_keeps_the_last_good(app: TestApp) -> TestApp {
    invited(&app, &[]).await;
    let scheduled = app.count("SELECT COUNT(*) FROM saml_idps WHERE metadata_refresh_at IS NOT NULL").await;
    assert_eq!(scheduled, 1, "a URL is read again on a schedule");
    make_refresh_due(&app, None).await;
    vestibule::flows::housekeeping::run(&app.state).await.unwrap();
    let later = app.count("SELECT COUNT(*) FROM saml_idps WHERE metadata_refresh_at > metadata_read_at").await;
    assert_eq!(later, 1, "read again, and scheduled again");

    // The partner's URL starts failing: the last good metadata stays, admins see why.
    let broken = format!("{}/gone", idp());
    make_refresh_due(&app, Some(&broken)).await;
    vestibule::flows::housekeeping::run(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM saml_idps WHERE metadata_problem <> ''").await, 1);
    assert!(app.audit_actions().await.contains(&"identity_provider.metadata_failed".to_string()));
    let page = sign_in_again(&app).await;
    assert!(page.has("No account found"), "signing in still works with the metadata kept: {}", page.body);
    app.sign_in_admin("root2@contoso.example").await;
    let edit = app.get(&format!("/admin/identity-providers/{}", only_idp_id(&app).await)).await;
    assert!(edit.has("The last refresh failed"), "{}", edit.body);
    app
}
both!(metadata_by_url_is_read_again_and_a_failure_keeps_the_last_good);

async fn a_partner_declared_in_the_config_file_is_managed_there(app: TestApp) -> TestApp {
    real_time(&app);
    let xml = Client::new().get(metadata_url()).send().await.unwrap().text().await.unwrap();
    let file = app.dir.path().join("fabrikam-idp.xml");
    std::fs::write(&file, xml).unwrap();
    let declared = vestibule::config::IdpConfig {
        slug: "fabrikam".into(),
        kind: "saml".into(),
        display_name: "Fabrikam".into(),
        metadata_file: Some(file),
        domains: vec!["fabrikam.example".into()],
        enabled: true,
        email_trusted: true,
        ..Default::default()
    };
    vestibule::flows::idps::sync_from_config(&app.state, std::slice::from_ref(&declared)).await.unwrap();
    vestibule::flows::idps::sync_from_config(&app.state, &[declared]).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM identity_providers WHERE kind = 'saml' AND managed_by_config").await, 1);
    app.sign_in_admin("root@contoso.example").await;
    let list = app.get("/admin/identity-providers").await;
    assert!(list.has("managed by configuration"), "{}", list.body);
    let id = only_idp_id(&app).await;
    let page = app.post(&format!("/admin/identity-providers/{id}/saml"), &saml_form("fabrikam", &[])).await;
    assert!(page.has("managed by the configuration file"), "{}", page.body);
    let link = app.invite("carol@fabrikam.example", &[]).await;
    answer_as(&app, "fabrikam", carol()).await;
    let token = link.rsplit('/').next().unwrap();
    let (browser, _) = app.new_browser();
    let page = through_idp(&app, &browser, "redeem", token).await;
    assert!(page.has("I accept the terms of use"), "{}", page.body);
    app
}
both!(a_partner_declared_in_the_config_file_is_managed_there);

/// IdP-initiated sign-in, where the admin allows it: it signs a linked person in (to a
/// page of ours named by RelayState, never elsewhere) and cannot redeem an invitation.
async fn an_allowed_idp_initiated_answer_only_signs_in(app: TestApp) -> TestApp {
    let link = invited(&app, &[]).await;
    let token = link.rsplit('/').next().unwrap();
    through_idp(&app, &app.browser, "redeem", token).await;
    accept_terms(&app.browser, &link).await;
    app.sign_out().await;
    app.sign_in_admin("root2@contoso.example").await;
    let id = only_idp_id(&app).await;
    let allow = [("email_trusted", "yes"), ("allow_idp_initiated", "yes")];
    let page = app.post(&format!("/admin/identity-providers/{id}/saml"), &saml_form("fabrikam", &allow)).await;
    assert!(page.has("Fabrikam was saved"), "{}", page.body);
    for (relay, lands) in [("/profile", "/profile"), ("https://evil.example/", "/apps")] {
        let answer = unsolicited(&app, relay).await;
        let (browser, _) = app.new_browser();
        let posted = post_to_acs(&app.url(&answer.acs), &answer.saml_response, answer.relay_state.as_deref()).await;
        let page = arrive(&app, &browser, posted).await;
        assert!(page.url.ends_with(lands), "RelayState {relay}: landed on {} {}", page.url, page.body);
    }
    app
}
both!(an_allowed_idp_initiated_answer_only_signs_in);

/// An IdP that wants signed AuthnRequests (some AD FS set-ups): our metadata carries our
/// certificate, and pysaml2 checks the Redirect binding's query signature with it.
async fn signed_requests_verify_at_an_idp_that_requires_them(app: TestApp) -> TestApp {
    invited(&app, &[]).await;
    let mut strict = carol();
    strict["require_signed_request"] = json!(true);
    answer_as(&app, "fabrikam", strict.clone()).await;
    let csrf = csrf_of(&app.browser, &app.url("/signin")).await;
    let form = [("csrf", csrf.as_str()), ("purpose", "signin"), ("token", "")];
    let r = app.browser.post(app.url("/auth/fabrikam/start")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "unsigned: the IdP refuses");

    app.sign_in_admin("root2@contoso.example").await;
    let id = only_idp_id(&app).await;
    let sign = [("email_trusted", "yes"), ("sign_requests", "yes")];
    let page = app.post(&format!("/admin/identity-providers/{id}/saml"), &saml_form("fabrikam", &sign)).await;
    assert!(page.has("Fabrikam was saved"), "{}", page.body);
    let sp = app.get("/auth/fabrikam/saml/metadata").await.body;
    assert!(sp.contains("AuthnRequestsSigned=\"true\"") && sp.contains("X509Certificate"), "{sp}");
    // The IdP learns our certificate from our metadata, as a partner's admin would import it.
    answer_as(&app, "fabrikam", strict).await;
    let page = sign_in_again(&app).await;
    assert!(page.has("No account found"), "the signed request was accepted and answered: {}", page.body);

    // A signature that does not match the query is refused by the IdP (the check is real).
    let raw = Client::builder().redirect(Policy::none()).build().unwrap();
    let (browser, _) = app.new_browser();
    let csrf = csrf_of(&browser, &app.url("/signin")).await;
    let form = [("csrf", csrf.as_str()), ("purpose", "signin"), ("token", "")];
    let r = browser.post(app.url("/auth/fabrikam/start")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let location = r.url().to_string();
    let tampered = location.replacen("Signature=", "Signature=AAAA", 1);
    let r = raw.get(tampered).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{}", r.text().await.unwrap());
    app
}
both!(signed_requests_verify_at_an_idp_that_requires_them);
