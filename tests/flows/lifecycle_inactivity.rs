//! F12 "Guest lifecycle": its settings, inactive guests (the users list's filter, the
//! dashboard's count, the API's `$filter` on `signInActivity/lastSignInDateTime`), and the
//! worker's retention sweep of the audit log and sent mail.

use chrono::{Duration, SecondsFormat};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::api::{make_key, read};
use crate::helpers::*;

async fn lifecycle_settings_are_saved_and_refused_out_of_range(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.get("/admin/settings").await;
    assert!(page.has("<legend class=\"section-legend\"><h2>Guest lifecycle</h2></legend>"), "{}", page.body);
    assert!(page.has("id=\"inactive_after_days\"") && page.has("value=\"90\""), "the default: 90 days");
    assert!(page.has("name=\"audit_retention_days\" inputmode=\"numeric\" maxlength=\"4\" value=\"365\""));
    assert!(page.has("name=\"mail_retention_days\" inputmode=\"numeric\" maxlength=\"4\" value=\"30\""));
    assert!(
        page.has("value=\"block_then_delete\" checked") && page.has("Block sign-in, then delete after 30 days"),
        "{}",
        page.body
    );
    let text = text_of(&page.body);
    assert!(text.contains("What happens when a guest's last assignment ends or an access review removes them."));

    let bad = settings_form(&[
        ("inactive_after_days", "0"),
        ("end_of_access", "delete_now"),
        ("audit_retention_days", "29"),
        ("mail_retention_days", "3651"),
    ]);
    let page = app.post("/admin/settings", &bad).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    let text = text_of(&page.body);
    for message in [
        "A guest becomes inactive after between 1 and 3650 days.",
        "Choose what happens when a guest's access ends.",
        "Keep the audit log for between 30 and 3650 days.",
        "Keep sent mail for between 1 and 3650 days.",
    ] {
        assert!(text.contains(message), "{message}: {text}");
    }
    assert!(page.has("value=\"29\"") && page.has("value=\"3651\""), "typed input is kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM settings WHERE key = 'inactive_after_days'").await, 0);

    let good = settings_form(&[
        ("inactive_after_days", "3650"),
        ("end_of_access", "block"),
        ("audit_retention_days", "30"),
        ("mail_retention_days", "1"),
    ]);
    let page = app.post("/admin/settings", &good).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    assert!(page.has("value=\"3650\"") && page.has("value=\"block\" checked"), "{}", page.body);
    let s = vestibule::flows::settings::current(&app.state).await.unwrap();
    assert_eq!(
        (s.inactive_after_days, s.end_of_access.as_str(), s.audit_retention_days, s.mail_retention_days),
        (3650, "block", 30, 1)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM settings WHERE key = 'end_of_access' AND value = 'block'").await, 1);
    let audited = "SELECT COUNT(*) FROM audit_events WHERE action = 'settings.updated' \
        AND details LIKE '%inactive_after_days, end_of_access, audit_retention_days, mail_retention_days'";
    assert_eq!(app.count(audited).await, 1, "the audit event names the changed settings");
    app
}
both!(lifecycle_settings_are_saved_and_refused_out_of_range);

/// A guest who has not signed in for the days Settings give is inactive: listed by the
/// users filter, counted on the dashboard, found by the API's `$filter`. Pending guests,
/// members and guests who signed in since are not.
async fn a_guest_without_a_sign_in_for_the_set_days_is_inactive(app: TestApp) -> TestApp {
    let start = start_time();
    app.sign_in_admin("root@contoso.example").await;
    let page = app.post("/admin/settings", &settings_form(&[("inactive_after_days", "10")])).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    for guest in ["ana@partner.example", "bo@partner.example"] {
        let link = app.invite(guest, &[]).await;
        let (browser, _) = app.new_browser();
        let page = app.redeem_as(&browser, &link, guest).await;
        assert!(page.url.ends_with("/apps"), "{}", page.url);
    }
    // Invited, never accepted: pending, not inactive.
    app.invite("carol@partner.example", &[]).await;
    let last_sign_in = |email: &'static str| {
        let state = app.state.clone();
        async move {
            let mut c = state.db.acquire().await.unwrap();
            let user = vestibule::db::users::find_by_email(c.conn(), email).await.unwrap().unwrap();
            (user.id, user.last_sign_in_at)
        }
    };
    let (ana_id, accepted_at) = last_sign_in("ana@partner.example").await;
    let accepted_at = accepted_at.expect("accepting signs in");
    let dash = app.get("/admin").await;
    assert!(dash.has("<span class=\"stat\">0</span> inactive guests (no sign-in for 10 days)"), "{}", dash.body);
    assert!(app.get("/admin/users?activity=inactive").await.has("No users match."));

    // Bo signs in on day 6; on day 11 only Ana has been away for more than 10 days.
    app.advance(Duration::days(6));
    let (bo, _) = app.new_browser();
    app.first_factor_in(&bo, "bo@partner.example").await;
    let (bo_id, bo_signed_in) = last_sign_in("bo@partner.example").await;
    let bo_signed_in = bo_signed_in.unwrap();
    assert!(bo_signed_in > accepted_at + Duration::days(5));
    app.advance(Duration::days(5));
    app.sign_in_with_code("root@contoso.example").await;
    let dash = app.get("/admin").await;
    assert!(dash.has("<span class=\"stat\">1</span> inactive guests (no sign-in for 10 days)"), "{}", dash.body);
    assert!(dash.has("href=\"/admin/users?activity=inactive\""), "the count links to the list");
    let list = app.get("/admin/users?activity=inactive").await;
    assert!(
        list.has("<option value=\"inactive\" selected>Inactive (no sign-in for 10 days)</option>"),
        "{}",
        list.body
    );
    assert!(list.has(&format!("href=\"/admin/users/{ana_id}\"")), "{}", list.body);
    let (carol_id, _) = last_sign_in("carol@partner.example").await;
    let (root_id, _) = last_sign_in("root@contoso.example").await;
    for active in [bo_id, carol_id, root_id] {
        assert!(!list.has(&format!("href=\"/admin/users/{active}\"")), "{active} is not inactive: {}", list.body);
    }
    assert!(list.has(&time_element(accepted_at)), "the row shows the last sign-in: {}", list.body);
    let all = app.get("/admin/users").await;
    assert!(all.has("<th scope=\"col\">Last sign-in</th>") && all.has(&time_element(bo_signed_in)), "{}", all.body);
    assert!(all.has("Never"), "carol never signed in: {}", all.body);
    assert!(app.get("/admin/users?activity=asleep").await.has("No users match."), "an unknown value matches none");

    // The API says Graph's signInActivity and filters on it.
    let key = make_key(&app, "Lifecycle report", &["users:read"]).await;
    let http = Client::new();
    let get = |path: String| http.get(app.url(&path)).bearer_auth(&key).send();
    let at = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mails = |body: &Value| -> Vec<String> {
        let mut m: Vec<String> =
            body["value"].as_array().unwrap().iter().map(|u| u["mail"].as_str().unwrap().to_string()).collect();
        m.sort();
        m
    };
    let (status, all) = read(get("/api/v1/users".into()).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let user = |mail: &str| all["value"].as_array().unwrap().iter().find(|u| u["mail"] == json!(mail)).unwrap().clone();
    assert_eq!(user("ana@partner.example")["signInActivity"]["lastSignInDateTime"], json!(at(accepted_at)));
    assert_eq!(user("carol@partner.example")["signInActivity"], json!({ "lastSignInDateTime": null }));
    assert!(user("ana@partner.example").get("lastSignInDateTime").is_none(), "Graph has it under signInActivity");
    let cutoff = at(start + Duration::days(1));
    let filter = |op: &str| format!("/api/v1/users?$filter=signInActivity/lastSignInDateTime {op} {cutoff}");
    let (status, le) = read(get(filter("le")).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{le}");
    assert_eq!(mails(&le), ["ana@partner.example"], "never signed in matches none");
    assert_eq!(mails(&read(get(filter("lt")).await.unwrap()).await.1), ["ana@partner.example"]);
    let later = ["bo@partner.example", "root@contoso.example"];
    assert_eq!(mails(&read(get(filter("ge")).await.unwrap()).await.1), later);
    assert_eq!(mails(&read(get(filter("gt")).await.unwrap()).await.1), later);
    let exact = format!("/api/v1/users?$filter=signInActivity/lastSignInDateTime lt {}", at(accepted_at));
    assert!(mails(&read(get(exact).await.unwrap()).await.1).is_empty(), "lt is strict");
    // A page at a time, the next link keeps the filter.
    let (_, first) = read(get(format!("{}&$top=1", filter("ge"))).await.unwrap()).await;
    let next = first["@odata.nextLink"].as_str().expect("a second page").to_string();
    assert!(next.contains("%24filter=signInActivity"), "{next}");
    let (_, second) = read(get(next).await.unwrap()).await;
    assert!(second.get("@odata.nextLink").is_none(), "{second}");
    let mut both = [mails(&first), mails(&second)].concat();
    both.sort();
    assert_eq!(both, later);
    for bad in [
        "jobTitle eq 'Ana'",
        "signInActivity/lastSignInDateTime eq 2026-09-01T00:00:00Z",
        "signInActivity/lastSignInDateTime le yesterday",
        "signInActivity/lastSignInDateTime le",
    ] {
        let (status, problem) = read(get(format!("/api/v1/users?$filter={bad}")).await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {problem}");
        assert!(problem["detail"].as_str().unwrap().contains("$filter"), "{problem}");
    }
    app
}
both!(a_guest_without_a_sign_in_for_the_set_days_is_inactive);

/// The worker deletes audit events older than the audit retention and delivered mail older
/// than the mail retention; recent ones stay, and the sweep is itself audited.
async fn the_retention_sweep_deletes_old_audit_events_and_sent_mail(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app
        .post("/admin/settings", &settings_form(&[("audit_retention_days", "30"), ("mail_retention_days", "15")]))
        .await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    app.invite("ana@partner.example", &[]).await;
    // Carol's mail was given up on: it stays for the admin however old.
    app.invite("carol@partner.example", &[]).await;
    app.execute("UPDATE outbox SET status = 'failed' WHERE recipient = 'carol@partner.example'").await;
    vestibule::jobs::run_once(&app.state).await.unwrap();
    let ana_sent = "SELECT COUNT(*) FROM outbox WHERE recipient = 'ana@partner.example' AND status = 'sent'";
    assert_eq!(app.count(ana_sent).await, 1);
    let old_mails = app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await;
    let old_events = app.count("SELECT COUNT(*) FROM audit_events").await;
    assert!(old_events >= 3, "the admin's first steps are audited");
    let carol = "SELECT COUNT(*) FROM outbox WHERE recipient = 'carol@partner.example'";
    let purges = "SELECT COUNT(*) FROM audit_events WHERE action = 'records.purged'";

    // Day 25: the first day's mail is past its 15 days, its events not past their 30.
    app.advance(Duration::days(25));
    app.sign_in_with_code("root@contoso.example").await;
    app.invite("bo@partner.example", &[]).await;
    vestibule::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE recipient = 'ana@partner.example'").await, 0);
    assert_eq!(app.count(carol).await, 1, "mail not delivered stays");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE recipient = 'bo@partner.example'").await, 1);
    assert!(app.audit_actions().await.contains(&"user.created_admin".to_string()), "events are kept 30 days");
    assert_eq!(app.count(purges).await, 1);

    // Day 35: the first day's events go; Bo's invitation and mail, ten days old, stay.
    app.advance(Duration::days(10));
    app.sign_in_with_code("root@contoso.example").await;
    vestibule::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE recipient = 'bo@partner.example'").await, 1);
    assert_eq!(app.count(carol).await, 1);
    let actions = app.audit_actions().await;
    assert!(!actions.contains(&"user.created_admin".to_string()), "{actions:?}");
    assert!(actions.contains(&"user.invited".to_string()), "Bo's invitation on day 25 stays: {actions:?}");
    let page = text_of(&app.get("/admin/audit").await.body);
    let mails = if old_mails == 1 { "1 sent mail".to_string() } else { format!("{old_mails} sent mails") };
    for said in [
        format!("Worker deleted {mails} past their retention"),
        format!("Worker deleted {old_events} audit events past their retention"),
    ] {
        assert!(page.contains(&said), "{said}: {page}");
    }
    // Another pass finds nothing more to delete, and says nothing.
    vestibule::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(app.count(purges).await, 2);
    app
}
both!(the_retention_sweep_deletes_old_audit_events_and_sent_mail);
