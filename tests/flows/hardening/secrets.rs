//! No token, code or secret in any log line, and nothing readable from the database that
//! opens an account once mail is delivered.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::signup::{link_in, member, package, sign_up};

/// Every link secret and code the app mailed, and the bootstrap sign-in link's token.
fn secrets_in(mails: &[vestibule::db::outbox::OutboxMessage]) -> Vec<String> {
    let mut found = Vec::new();
    for m in mails {
        for word in m.text_body.split_whitespace() {
            for marker in ["/redeem/", "/approve/", "/signup/status/", "/signin/link/"] {
                if let Some(at) = word.find(marker) {
                    let token = word[at + marker.len()..].split(['/', '?', '"']).next().unwrap();
                    found.push(token.to_string());
                }
            }
            if word.len() == 8 && word.chars().all(|c| c.is_ascii_digit()) {
                found.push(word.to_string());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

async fn no_secret_is_logged_or_left_readable_in_the_database(app: TestApp) -> TestApp {
    // Bootstrap: the CLI's one-time sign-in link.
    let email = vestibule::domain::EmailAddress::parse("root@contoso.example").unwrap();
    let admin_link = vestibule::flows::bootstrap::create_admin(&app.state, &email, None).await.unwrap();
    app.get(&admin_link).await;
    let page = app.post(&admin_link, &[]).await;
    // The admin's second factor: neither its key nor the recovery codes may be readable.
    let (_, recovery_codes, key) = app.set_up_authenticator(&app.browser, page, "root@contoso.example").await;
    assert_eq!(recovery_codes.len(), 10);
    member(&app, "sam@contoso.example").await;
    let pkg = package(&app, "Atlas", "any", &["sam@contoso.example"], &[]).await;

    // F1 + F2: an invitation redeemed with an email code.
    let link = app.invite("ana@partner.example", &[]).await;
    let (guest, _) = app.new_browser();
    assert!(app.redeem_as(&guest, &link, "ana@partner.example").await.url.ends_with("/apps"));

    // F4 + F5: a sign-up, its status page, the approver's link, the partner's invitation.
    let (partner, _) = app.new_browser();
    let status = sign_up(&app, &partner, "pat@fabrikam.example", &pkg).await;
    assert_eq!(status.status, StatusCode::OK);
    app.one_mail("pat@fabrikam.example").await;
    let approve = link_in(&app.one_mail("sam@contoso.example").await, "/approve/");
    let (approver, _) = app.new_browser();
    approver.get(&approve).send().await.unwrap();
    let token = csrf_of(&approver, &approve).await;
    let form = [("csrf", token.as_str()), ("decision", "approve"), ("note", "")];
    let page = Page::from(approver.post(&approve).form(&form).send().await.unwrap()).await;
    assert!(page.has("Thank you. Approved: "), "{}", page.body);
    let welcome = redeem_link_in(&app.one_mail("pat@fabrikam.example").await);
    Page::from(partner.get(&welcome).send().await.unwrap()).await;

    // F3: sign out and in again with a code.
    app.sign_out().await;
    app.sign_in_with_code("root@contoso.example").await;

    let mut secrets = secrets_in(&app.outbox().await);
    secrets.push(admin_link.rsplit('/').next().unwrap().to_string());
    secrets.push(key);
    secrets.extend(recovery_codes.iter().map(|c| c.replace('-', "")));
    secrets.extend(recovery_codes);
    assert!(secrets.len() >= 8, "the flows mailed links and codes: {secrets:?}");
    let logs = logged();
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "a secret was logged: {s}");
    }
    for mail in app.outbox().await {
        assert!(!mail.subject.chars().any(|c| c.is_ascii_digit()), "a code in a subject: {}", mail.subject);
    }

    // Deliver every mail, then read every table: no live link or code is left.
    let pass = vestibule::jobs::run_once(&app.state).await.unwrap();
    assert!(pass.sent >= 7, "{pass:?}");
    let dump = app.dump_database().await;
    for s in &secrets {
        assert!(!dump.contains(s.as_str()), "the database still holds a secret: {s}");
    }
    assert!(dump.contains("ana@partner.example"), "the dump reads the tables");
    app
}
both!(no_secret_is_logged_or_left_readable_in_the_database);
