//! Issue 11 (F8): second factors — an authenticator app set up at sign-in, its codes used
//! once, recovery codes, the pause after five wrong codes, the policy levels (admins always,
//! guests, members, one person) and an admin's reset.

use reqwest::{Client, StatusCode};
use serde_json::json;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::Url;

use crate::helpers::*;
use crate::provider::{Rp, add_client, guest, json_of, launch};

/// Types `code` on the second-step page in `browser`.
async fn second_factor(app: &TestApp, browser: &Client, code: &str) -> Page {
    let csrf = csrf_of(browser, &app.url("/mfa")).await;
    let form = [("csrf", csrf.as_str()), ("code", code), ("next", "/admin")];
    Page::from(browser.post(app.url("/mfa")).form(&form).send().await.unwrap()).await
}

async fn an_admin_sets_up_an_authenticator_and_its_codes_work_once(app: TestApp) -> TestApp {
    let email = vestibule::domain::EmailAddress::parse("root@contoso.example").unwrap();
    let link = vestibule::flows::bootstrap::create_admin(&app.state, &email, None).await.unwrap();
    let page = app.post(&link, &[]).await;
    assert!(page.has("Your account at Contoso signs in with a second step"), "{}", page.body);
    assert!(page.has("<svg") && !page.has("otpauth"), "a QR code, no address in the page text");
    // A wrong first code keeps the set-up open; nothing is turned on.
    let method = between(&page.body, "name=\"method\" value=\"", "\"").unwrap();
    let bad =
        app.post("/mfa/setup", &[("method", &method), ("name", "Phone"), ("code", "000000"), ("next", "/admin")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("That code is not right"), "{}", bad.body);
    assert_eq!(between(&bad.body, "name=\"method\" value=\"", "\"").unwrap(), method, "the same secret");
    assert_eq!(app.count("SELECT COUNT(*) FROM mfa_methods WHERE confirmed_at IS NOT NULL").await, 0);
    let (page, codes, _) = app.set_up_authenticator(&app.browser, bad, "root@contoso.example").await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);
    assert_eq!(codes.len(), 10);
    assert!(app.audit_actions().await.contains(&"mfa.enrolled".to_string()));

    // The next sign-in asks for a code; nothing opens before it.
    app.sign_out().await;
    let page = app.first_factor_in(&app.browser, "root@contoso.example").await;
    assert!(page.url.contains("/mfa?next=%2Fadmin") && page.has("Confirm it"), "{} {}", page.url, page.body);
    assert_eq!(app.get("/profile").await.url, app.url("/mfa?next=%2Fprofile"));
    assert_eq!(app.get_raw("/admin/users").await.status(), StatusCode::SEE_OTHER);
    let page = second_factor(&app, &app.browser, "123456").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("That code is not right"));
    let code = app.authenticator_code("root@contoso.example");
    let page = second_factor(&app, &app.browser, &code).await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);
    // The same code (same time step) in another browser is refused: RFC 6238 §5.2.
    app.sign_out().await;
    let (b, _) = app.new_browser();
    app.first_factor_in(&b, "root@contoso.example").await;
    let page = second_factor(&app, &b, &code).await;
    assert!(page.has("That code was used already"), "{}", page.body);

    // A recovery code works once, whatever its case or dashes; the person is told.
    let page = second_factor(&app, &b, &codes[0].to_lowercase()).await;
    assert!(page.url.ends_with("/admin") && page.has("signed in with a recovery code; 9 are left"), "{}", page.body);
    let mail = app.one_mail("root@contoso.example").await;
    assert!(mail.text_body.contains("A recovery code was used to sign in; 9 are left"), "{}", mail.text_body);
    let (c, _) = app.new_browser();
    app.first_factor_in(&c, "root@contoso.example").await;
    assert!(second_factor(&app, &c, &codes[0]).await.has("That code is not right"), "spent");
    assert!(second_factor(&app, &c, &codes[1].replace('-', "")).await.url.ends_with("/admin"));
    app.one_mail("root@contoso.example").await;
    app
}
both!(an_admin_sets_up_an_authenticator_and_its_codes_work_once);

async fn five_wrong_codes_pause_attempts_for_fifteen_minutes(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.sign_out().await;
    app.first_factor_in(&app.browser, "root@contoso.example").await;
    for _ in 0..4 {
        assert!(second_factor(&app, &app.browser, "111111").await.has("That code is not right"));
    }
    let page = second_factor(&app, &app.browser, "111111").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.has("Too many wrong codes: try again after"), "{}", page.body);
    // Even the right code waits, in every browser: the pause is the account's.
    let code = app.authenticator_code("root@contoso.example");
    assert_eq!(second_factor(&app, &app.browser, &code).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(app.audit_actions().await.contains(&"mfa.paused".to_string()));
    app.advance(chrono::Duration::minutes(16));
    let (b, _) = app.new_browser();
    app.first_factor_in(&b, "root@contoso.example").await;
    let code = app.authenticator_code("root@contoso.example");
    assert!(second_factor(&app, &b, &code).await.url.ends_with("/admin"));
    app
}
both!(five_wrong_codes_pause_attempts_for_fifteen_minutes);

async fn the_strongest_rule_decides_who_needs_a_second_factor(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("ana@partner.example", &[]).await;
    let (ana, _) = app.new_browser();
    assert!(app.redeem_as(&ana, &link, "ana@partner.example").await.url.ends_with("/apps"), "no MFA for guests yet");
    let link = app.invite("bo@partner.example", &[]).await;
    let (bo, _) = app.new_browser();
    app.redeem_as(&bo, &link, "bo@partner.example").await;

    // One person: Bo must use a second factor though guests in general need not.
    let bo_id = app.user_id("bo@partner.example").await;
    let page = app.post(&format!("/admin/users/{bo_id}/mfa/require"), &[]).await;
    assert!(page.has("must now sign in with a second step") && page.has("Required: set for this person"));
    let page = Page::from(bo.get(app.url("/apps")).send().await.unwrap()).await;
    assert!(page.url.contains("/mfa?next=%2Fapps") && page.has("Set up an authenticator app"), "{}", page.url);
    let (page, _, _) = app.set_up_authenticator(&bo, page, "bo@partner.example").await;
    assert!(page.url.ends_with("/apps"), "{}", page.url);
    let page = Page::from(ana.get(app.url("/apps")).send().await.unwrap()).await;
    assert!(page.url.ends_with("/apps"), "Ana is not asked: {}", page.url);

    // The organization: every guest now; Ana's open session asks for it at once.
    let page = app.post("/admin/settings", &settings_form(&[("guests_mfa", "yes")])).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    let dashboard = app.get("/admin").await;
    assert!(dashboard.has("<span class=\"stat\">1</span> guests who must use MFA"), "Ana, not Bo: {}", dashboard.body);
    let page = Page::from(ana.get(app.url("/profile")).send().await.unwrap()).await;
    assert!(page.has("Set up an authenticator app"), "{}", page.url);
    let (page, _, _) = app.set_up_authenticator(&ana, page, "ana@partner.example").await;
    assert!(page.url.ends_with("/profile"), "{}", page.url);
    assert!(page.has("Phone") && page.has("Recovery codes left: <strong>10</strong>"), "{}", page.body);
    // Her only method cannot be removed while she must use one.
    let method = between(&page.body, "/profile/mfa/", "/remove").unwrap();
    let csrf = csrf_of(&ana, &app.url("/profile")).await;
    let page = Page::from(
        ana.post(app.url(&format!("/profile/mfa/{method}/remove")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.has("This is your last sign-in method"), "{}", page.body);

    // Members are not covered by the guests' rule, until Settings say so.
    vestibule::flows::bootstrap::create_admin(
        &app.state,
        &vestibule::domain::EmailAddress::parse("mo@contoso.example").unwrap(),
        None,
    )
    .await
    .unwrap();
    let mo_id = app.user_id("mo@contoso.example").await;
    app.post(&format!("/admin/users/{mo_id}/remove-admin"), &[]).await;
    let (mo, _) = app.new_browser();
    assert!(app.first_factor_in(&mo, "mo@contoso.example").await.url.ends_with("/apps"));
    app.post("/admin/settings", &settings_form(&[("guests_mfa", "yes"), ("members_mfa", "yes")])).await;
    assert!(Page::from(mo.get(app.url("/apps")).send().await.unwrap()).await.has("Set up an authenticator app"));

    // An admin resets Ana's factors: her sessions end, she is told, and sets up anew.
    let ana_id = app.user_id("ana@partner.example").await;
    let page = app.post(&format!("/admin/users/{ana_id}/mfa/reset"), &[]).await;
    assert!(page.has("Their second factors were reset"), "{}", page.body);
    let mails = app.take_mail("ana@partner.example").await;
    assert!(mails.iter().any(|m| m.text_body.contains("An admin reset your second factors")));
    assert!(Page::from(ana.get(app.url("/apps")).send().await.unwrap()).await.url.contains("/signin"));
    let page = app.first_factor_in(&ana, "ana@partner.example").await;
    assert!(page.has("Set up an authenticator app"), "{}", page.body);
    let actions = app.audit_actions().await;
    for a in ["user.mfa_required", "mfa.enrolled", "mfa.reset"] {
        assert!(actions.contains(&a.to_string()), "{a} audited");
    }
    app
}
both!(the_strongest_rule_decides_who_needs_a_second_factor);

async fn an_app_that_requires_mfa_steps_a_person_up_at_authorize(app: TestApp) -> TestApp {
    let rp = Rp::start(&app);
    app.sign_in_admin("admin@host.example").await;
    let vault = add_client(&app, &rp, "Vault", "vault", &[("mfa_required", "yes")]).await;
    rp.register("vault", &vault, "basic", "RS256").await;
    let wiki = add_client(&app, &rp, "Wiki", "wiki", &[]).await;
    rp.register("wiki", &wiki, "basic", "RS256").await;
    let (ana, _) = guest(&app, "ana@partner.example", &[&vault, &wiki]).await;
    // Guests need no second factor here: the wiki opens with one factor.
    let t = json_of(&launch(&ana, &rp, "wiki", "").await);
    assert_eq!((t["claims"]["amr"].clone(), t["claims"]["acr"].clone()), (json!(["email"]), json!("1")));
    // The vault asks for one: Ana sets up an app, then lands in the vault.
    let page = launch(&ana, &rp, "vault", "").await;
    assert!(page.url.contains("/mfa?next=%2Foauth2%2Fauthorize"), "{}", page.url);
    let (page, _, _) = app.set_up_authenticator(&ana, page, "ana@partner.example").await;
    let t = json_of(&page);
    assert_eq!(t["claims"]["amr"], json!(["email", "otp", "mfa"]));
    assert_eq!(t["claims"]["acr"], json!("2"));
    // An app may ask for it too (`acr_values=2`); this session has it already.
    let t = json_of(&launch(&ana, &rp, "wiki", "acr_values=2").await);
    assert_eq!(t["claims"]["acr"], json!("2"));
    // Another browser of Ana's: the factor she set up is asked at every sign-in (SPEC §4),
    // and the vault then opens at once.
    let (b, _) = app.new_browser();
    let page = app.first_factor_in(&b, "ana@partner.example").await;
    assert!(page.has("Confirm it"), "{}", page.body);
    app.pass_mfa_in(&b, page, "ana@partner.example").await;
    let page = launch(&b, &rp, "vault", "").await;
    assert_eq!(json_of(&page)["claims"]["acr"], json!("2"));
    app
}
both!(an_app_that_requires_mfa_steps_a_person_up_at_authorize);

async fn a_tile_that_requires_mfa_steps_a_person_up(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let target = app.url("/healthz");
    let fields =
        [("name", "Payroll"), ("launch_url", target.as_str()), ("visible_in_panel", "yes"), ("mfa_required", "yes")];
    let page = app.post("/admin/apps", &fields).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let list = app.get("/admin/apps").await;
    let at = list.body.find(">Payroll</a>").unwrap();
    let start = list.body[..at].rfind("/admin/apps/").unwrap() + "/admin/apps/".len();
    let app_id = list.body[start..at - 1].to_string();
    let edit = app.get(&format!("/admin/apps/{app_id}")).await;
    assert!(edit.has("id=\"mfa_required\" name=\"mfa_required\" value=\"yes\" checked"), "the form shows it");
    let link = app.invite("ana@partner.example", &[("app", app_id.as_str())]).await;
    let (ana, raw) = app.new_browser();
    app.redeem_as(&ana, &link, "ana@partner.example").await;
    let panel = Page::from(ana.get(app.url("/apps")).send().await.unwrap()).await;
    let tile = format!("/apps/{app_id}/launch");
    assert!(panel.has(&format!("href=\"{tile}\"")), "{}", panel.body);
    let r = raw.get(app.url(&tile)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/mfa?next=%2Fapps%2F"), "{to}");
    let page = Page::from(ana.get(app.url(&to)).send().await.unwrap()).await;
    let (page, _, _) = app.set_up_authenticator(&ana, page, "ana@partner.example").await;
    assert_eq!(page.url, target, "the app opens once the second step is done");
    // Someone the app is not given to gets nothing.
    let link = app.invite("bo@partner.example", &[]).await;
    let (bo, _) = app.new_browser();
    app.redeem_as(&bo, &link, "bo@partner.example").await;
    assert_eq!(Page::from(bo.get(app.url(&tile)).send().await.unwrap()).await.status, StatusCode::NOT_FOUND);
    app
}
both!(a_tile_that_requires_mfa_steps_a_person_up);

async fn passkeys_are_offered_on_a_named_host_and_a_forged_answer_is_refused(app: TestApp) -> TestApp {
    let root = vestibule::domain::EmailAddress::parse("root@contoso.example").unwrap();
    // On an IP address browsers refuse WebAuthn: the set-up offers the app only.
    let link = vestibule::flows::bootstrap::create_admin(&app.state, &root, None).await.unwrap();
    let page = app.post(&link, &[]).await;
    assert!(page.has("Set up an authenticator app") && !page.has("data-passkey"), "{}", page.body);
    app.pass_mfa_in(&app.browser, page, "root@contoso.example").await;

    // On a name (here localhost) a passkey is offered, its options naming this portal.
    let named = TestApp::spawn_on_localhost(app.kind).await;
    let link = vestibule::flows::bootstrap::create_admin(&named.state, &root, None).await.unwrap();
    let page = named.post(&link, &[]).await;
    assert!(page.has("data-passkey=\"register\"") && page.has("Create a passkey"), "{}", page.body);
    let (ceremony, options) = passkey_challenge(&page);
    assert_eq!(options["publicKey"]["rp"]["id"], json!("localhost"));
    assert_eq!(options["publicKey"]["user"]["name"], json!("root@contoso.example"));
    // A forged answer is refused, and the ceremony is spent: nothing is added.
    let forged = r#"{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"attestationObject":"AAAA","clientDataJSON":"AAAA"}}"#;
    for _ in 0..2 {
        let fields = [("ceremony", ceremony.as_str()), ("credential", forged), ("name", "Key"), ("next", "/admin")];
        let refused = named.post("/mfa/passkey/register", &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.has("Your passkey could not be checked"), "{}", refused.body);
    }
    assert_eq!(named.count("SELECT COUNT(*) FROM mfa_methods WHERE confirmed_at IS NOT NULL").await, 0);
    assert_eq!(
        named.count("SELECT COUNT(*) FROM webauthn_ceremonies WHERE purpose = 'register'").await,
        1,
        "a fresh one"
    );
    let page = named.get("/mfa?next=%2Fadmin").await;
    named.pass_mfa_in(&named.browser, page, "root@contoso.example").await;
    named.finish().await;
    app
}
both!(passkeys_are_offered_on_a_named_host_and_a_forged_answer_is_refused);

/// The passkey ceremony a page holds: its id and the options for the browser.
fn passkey_challenge(page: &Page) -> (String, serde_json::Value) {
    let options = html_unescape(&between(&page.body, "data-options=\"", "\"").expect("a passkey is offered"));
    let ceremony = between(&page.body, "name=\"ceremony\" value=\"", "\"").unwrap();
    (ceremony, serde_json::from_str(&options).unwrap())
}

/// A person's passkey in software (`webauthn-authenticator-rs`), answering as a browser at
/// the portal's public origin would.
struct SoftKey {
    key: SoftPasskey,
    origin: Url,
    /// The credential's id and the user handle it was made for, once registered.
    made: Option<(serde_json::Value, serde_json::Value)>,
}

impl SoftKey {
    fn new(app: &TestApp) -> SoftKey {
        // `true`: the key says the person was verified (PIN or biometrics), as the portal asks.
        SoftKey { key: SoftPasskey::new(true), origin: Url::parse(&app.state.settings.public_url).unwrap(), made: None }
    }

    fn register(&mut self, options: serde_json::Value) -> String {
        let user_handle = options["publicKey"]["user"]["id"].clone();
        let made = self.key.do_registration(self.origin.clone(), serde_json::from_value(options).unwrap()).unwrap();
        let made = serde_json::to_value(&made).unwrap();
        self.made = Some((made["rawId"].clone(), user_handle));
        made.to_string()
    }

    /// Signs a challenge. With no credentials listed (signing in with the passkey alone)
    /// the software key, which keeps no list of its own, is pointed at the one it made and
    /// returns the user handle with its answer, as a discoverable passkey does.
    fn sign(&mut self, mut options: serde_json::Value) -> String {
        let (id, user_handle) = self.made.clone().expect("registered");
        let discoverable = options["publicKey"]["allowCredentials"].as_array().is_none_or(|l| l.is_empty());
        if discoverable {
            options["publicKey"]["allowCredentials"] = json!([{ "type": "public-key", "id": id }]);
        }
        let signed = self.key.do_authentication(self.origin.clone(), serde_json::from_value(options).unwrap()).unwrap();
        let mut signed = serde_json::to_value(&signed).unwrap();
        if discoverable {
            signed["response"]["userHandle"] = user_handle;
        }
        signed.to_string()
    }
}

/// Posts a passkey's answer to `path` from `browser`.
async fn answer(app: &TestApp, browser: &Client, path: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = csrf_of(browser, &app.url("/signin")).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    Page::from(browser.post(app.url(path)).form(&form).send().await.unwrap()).await
}

async fn a_passkey_signs_in_on_its_own_and_as_a_second_step(app: TestApp) -> TestApp {
    let app_on_ip = app;
    let app = TestApp::spawn_on_localhost(app_on_ip.kind).await;
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("gus@partner.example", &[]).await;
    let (gus, _) = app.new_browser();
    app.redeem_as(&gus, &app.url(&link), "gus@partner.example").await;

    // Gus adds a passkey from his profile; it is his first method, so recovery codes follow.
    let mut key = SoftKey::new(&app);
    let page = Page::from(gus.get(app.url("/mfa/setup?next=%2Fprofile")).send().await.unwrap()).await;
    let (ceremony, options) = passkey_challenge(&page);
    assert_eq!(options["publicKey"]["authenticatorSelection"]["residentKey"], json!("preferred"));
    let created = key.register(options);
    let fields = [("ceremony", ceremony.as_str()), ("credential", &created), ("name", "Laptop"), ("next", "/profile")];
    let page = answer(&app, &gus, "/mfa/passkey/register", &fields).await;
    assert!(page.has("Your recovery codes"), "{}", page.body);
    assert!(app.one_mail("gus@partner.example").await.subject.contains("sign-in methods"));

    // Signed out, he signs in with the passkey alone: no address, no code.
    let csrf = csrf_of(&gus, &app.url("/apps")).await;
    gus.post(app.url("/signout")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    let page = Page::from(gus.get(app.url("/signin")).send().await.unwrap()).await;
    assert!(page.has("data-passkey-link") && page.has("Sign in with a passkey"), "{}", page.body);
    let page = Page::from(gus.get(app.url("/signin/passkey?next=%2Fprofile")).send().await.unwrap()).await;
    let (ceremony, options) = passkey_challenge(&page);
    assert_eq!(options["publicKey"]["allowCredentials"], json!([]), "the browser offers what it has");
    let signed = key.sign(options);
    let fields = [("ceremony", ceremony.as_str()), ("credential", signed.as_str()), ("next", "/profile")];
    let page = answer(&app, &gus, "/signin/passkey", &fields).await;
    assert!(page.url.ends_with("/profile") && page.has("gus@partner.example"), "{} {}", page.url, page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE amr = 'hwk mfa'").await, 1);
    assert!(app.audit_actions().await.contains(&"mfa.verified".to_string()));
    app.assert_no_mail("gus@partner.example").await;

    // The same answer again: the challenge is spent. Someone else's user handle on it: no.
    let (other, _) = app.new_browser();
    let replayed = answer(&app, &other, "/signin/passkey", &fields).await;
    assert_eq!(replayed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(replayed.has("That passkey was not accepted"), "{}", replayed.body);
    let page = Page::from(other.get(app.url("/signin/passkey")).send().await.unwrap()).await;
    let (ceremony, options) = passkey_challenge(&page);
    let mut forged: serde_json::Value = serde_json::from_str(&key.sign(options)).unwrap();
    let root = app.user_id("root@contoso.example").await;
    forged["response"]["userHandle"] = json!(URL_SAFE_NO_PAD.encode(root.as_bytes()));
    let fields = [("ceremony", ceremony.as_str()), ("credential", &forged.to_string())];
    assert!(answer(&app, &other, "/signin/passkey", &fields).await.has("That passkey was not accepted"));
    // An answer signed for another challenge counts as a wrong try for Gus.
    let page = Page::from(other.get(app.url("/signin/passkey")).send().await.unwrap()).await;
    let (first, options) = passkey_challenge(&page);
    let signed = key.sign(options);
    let page = Page::from(other.get(app.url("/signin/passkey")).send().await.unwrap()).await;
    let (second, _) = passkey_challenge(&page);
    assert_ne!(first, second);
    let fields = [("ceremony", second.as_str()), ("credential", signed.as_str())];
    assert!(answer(&app, &other, "/signin/passkey", &fields).await.has("That passkey was not accepted"));
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE mfa_failures = 1").await, 1);

    // Where a guest must use a second step, the passkey answers it after an email code.
    let gus_id = app.user_id("gus@partner.example").await.to_string();
    app.post(&format!("/admin/users/{gus_id}/mfa/require"), &[]).await;
    let (gus, _) = app.new_browser();
    let page = app.first_factor_in(&gus, "gus@partner.example").await;
    assert!(page.has("Confirm it") && page.has("data-passkey=\"authenticate\""), "{}", page.body);
    let next = html_unescape(&between(&page.body, "name=\"next\" value=\"", "\"").unwrap());
    let (ceremony, options) = passkey_challenge(&page);
    assert_eq!(options["publicKey"]["allowCredentials"].as_array().map(Vec::len), Some(1), "his passkey");
    let signed = key.sign(options);
    let fields = [("ceremony", ceremony.as_str()), ("credential", signed.as_str()), ("next", next.as_str())];
    let page = answer(&app, &gus, "/mfa/passkey", &fields).await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE mfa_failures > 0").await, 0, "a success clears the count");

    // Blocked, his passkey no longer lets him in.
    app.post(&format!("/admin/users/{gus_id}/block"), &[]).await;
    let (later, _) = app.new_browser();
    let page = Page::from(later.get(app.url("/signin/passkey")).send().await.unwrap()).await;
    let (ceremony, options) = passkey_challenge(&page);
    let fields = [("ceremony", ceremony.as_str()), ("credential", &key.sign(options))];
    let page = answer(&app, &later, "/signin/passkey", &fields).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("Your access is blocked"), "{}", page.body);
    app.take_mail("gus@partner.example").await;
    app.finish().await;
    app_on_ip
}
both!(a_passkey_signs_in_on_its_own_and_as_a_second_step);
