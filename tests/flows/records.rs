//! Issue 12 (SPEC F7): the audit log filtered by action, actor, target and time, and
//! exported as CSV; issue 26: it speaks in sentences, filtered by category and activity; the outbox page, where mail that could not be delivered waits and can be
//! tried again.

use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::*;

async fn the_audit_log_filters_and_exports(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.invite("ana@fabrikam.example", &[]).await;
    app.advance(Duration::days(2));
    app.sign_in_with_code("root@contoso.example").await;
    app.invite("bo@northwind.example", &[]).await;
    // A name a spreadsheet would run as a formula.
    let page = app
        .post("/admin/api-keys", &[("name", "=HYPERLINK(\"http://evil\")"), ("scope", "audit:read"), ("days", "5")])
        .await;
    assert_eq!(page.status, StatusCode::OK);

    let page = app.get("/admin/audit?action=user.invited").await;
    assert!(
        page.has("ana@fabrikam.example") && page.has("bo@northwind.example") && page.has("2 events"),
        "{}",
        page.body
    );
    let page = app.get("/admin/audit?action=user.invited&target=NORTHWIND").await;
    assert!(page.has("bo@northwind.example") && !page.has("ana@fabrikam.example"), "{}", page.body);
    let page = app.get("/admin/audit?actor=root%40contoso&action=api_key").await;
    assert!(
        page.has("1 event") && text_of(&page.body).contains("root (root@contoso.example) made the API key"),
        "{}",
        page.body
    );
    // Time: the first day only; a date that is not one is said, and not used.
    let day = start_time().format("%Y-%m-%d").to_string();
    let page = app.get(&format!("/admin/audit?action=user.invited&from={day}&to={day}")).await;
    assert!(page.has("ana@fabrikam.example") && !page.has("bo@northwind.example"), "{}", page.body);
    let page = app.get("/admin/audit?action=user.invited&from=yesterday").await;
    assert!(page.has("is not a date") && page.has("2 events"), "{}", page.body);
    let export = between(&page.body, "href=\"/admin/audit.csv", "\"").unwrap();
    assert!(export.contains("action=user.invited") && export.contains("from=yesterday"), "{export}");

    let r = app.get_raw("/admin/audit.csv?action=user.invited").await;
    assert_eq!(r.headers().get("content-type").unwrap(), "text/csv; charset=utf-8");
    assert!(r.headers().get("content-disposition").unwrap().to_str().unwrap().contains("audit-log.csv"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("id,time_utc,actor_kind,actor,"), "{csv}");
    assert!(lines[0].ends_with(",details,ip,sentence"), "the sentence comes last: {csv}");
    assert!(lines[1].contains(",user.invited,") && lines[1].ends_with("invited bo@northwind.example"), "{csv}");
    assert!(lines[1].contains("bo@northwind.example") && lines[2].contains("ana@fabrikam.example"), "newest first");
    let all = app.get_raw("/admin/audit.csv?action=api_key").await.text().await.unwrap();
    assert!(all.contains("'=HYPERLINK"), "formulas are defused: {all}");
    // Only admins read it.
    let (guest, _) = app.new_browser();
    let r = guest.get(app.url("/admin/audit.csv")).send().await.unwrap();
    assert!(r.url().path().starts_with("/signin"), "{}", r.url());
    app
}
both!(the_audit_log_filters_and_exports);

/// Issue 26: who did what to whom, in words, on the audit log, the dashboard and a person's
/// page; the stored code stays small on the log and out of the other two.
async fn the_audit_log_speaks_in_sentences(app: TestApp) -> TestApp {
    let rita = vestibule::domain::EmailAddress::parse("rita@contoso.example").unwrap();
    let name = vestibule::domain::DisplayName::parse("Rita Root").unwrap();
    vestibule::flows::bootstrap::create_admin(&app.state, &rita, Some(&name)).await.unwrap();
    app.sign_in_admin("rita@contoso.example").await;
    let atlas = app.add_app("Project Atlas", "https://atlas.contoso.example/").await;
    let link = app.invite("carol@fabrikam.example", &[("display_name", "Carol Guest"), ("app", &atlas)]).await;
    let invited = "Rita Root (rita@contoso.example) invited carol@fabrikam.example to Project Atlas";

    let page = app.get("/admin/audit").await;
    let text = text_of(&page.body);
    assert!(text.contains(invited), "{text}");
    assert!(text.contains("Rita Root (rita@contoso.example) added the app Project Atlas"), "{text}");
    assert!(!page.has("apps=1") && !page.has("mail=true"), "no key=value details: {}", page.body);
    // The code is there for those who search by it, muted under the sentence, never the text.
    assert_eq!(
        page.body.matches(">user.invited<").count(),
        page.body.matches("<code class=\"muted fine\">user.invited</code>").count(),
        "{}",
        page.body
    );
    assert!(page.has(&format!(
        "<a href=\"/admin/users/{}\">carol@fabrikam.example</a>",
        app.user_id("carol@fabrikam.example").await
    )));
    let dash = app.get("/admin").await;
    assert!(text_of(&dash.body).contains(invited), "{}", dash.body);
    assert!(!dash.has("user.invited") && !dash.has("apps=1"), "{}", dash.body);

    // Category and activity narrow the list; each select works without script (a GET form).
    assert!(page.has("<select id=\"category\" name=\"category\">") && page.has("<optgroup label=\"Invitations\">"));
    let apps = text_of(&app.get("/admin/audit?category=apps").await.body);
    assert!(apps.contains("added the app Project Atlas") && !apps.contains("invited carol"), "{apps}");
    let page = app.get("/admin/audit?activity=user.invited").await;
    let text = text_of(&page.body);
    assert!(text.contains(invited) && text.contains("1 event") && !text.contains("added the app"), "{text}");
    assert!(page.has("<option value=\"user.invited\" selected>Guest invited</option>"), "the choice is kept");
    let page = app.get("/admin/audit?category=apps&activity=user.invited").await;
    assert!(page.has("0 events") && page.has("No events."), "{}", page.body);
    // The actor by the name the pages call them, or by address.
    let by_name = text_of(&app.get("/admin/audit?actor=rita+ROOT&activity=user.invited").await.body);
    assert!(by_name.contains(invited), "{by_name}");
    assert!(app.get("/admin/audit?actor=rita%40contoso&activity=user.invited").await.has("1 event"));
    assert!(app.get("/admin/audit?actor=nobody&activity=user.invited").await.has("No events."));

    // From after To is refused beside the field, and no date is applied.
    let day = start_time().format("%Y-%m-%d").to_string();
    let before = (start_time() - Duration::days(1)).format("%Y-%m-%d").to_string();
    let page = app.get(&format!("/admin/audit?activity=user.invited&from={day}&to={before}")).await;
    assert!(page.has(&format!("From ({day}) is after To ({before})")) && page.has("1 event"), "{}", page.body);
    assert!(page.has("aria-describedby=\"from-error\"") && page.has("id=\"from-error\""), "{}", page.body);
    assert!(app.get(&format!("/admin/audit?activity=user.invited&from={before}&to={day}")).await.has("1 event"));

    // The person's page tells their story in the same words, theirs included.
    let (carol, _) = app.new_browser();
    app.redeem_as(&carol, &link, "carol@fabrikam.example").await;
    let id = app.user_id("carol@fabrikam.example").await;
    let page = app.get(&format!("/admin/users/{id}")).await;
    let text = text_of(&page.body);
    assert!(text.contains(invited), "{text}");
    assert!(
        text.contains(
            "Carol Guest (carol@fabrikam.example) accepted their invitation, signing in with a code sent by email"
        ),
        "{text}"
    );
    assert!(!page.has("invitation.redeemed") && !page.has("via=email"), "{}", page.body);
    app.take_mail("carol@fabrikam.example").await;
    app
}
both!(the_audit_log_speaks_in_sentences);

async fn undelivered_mail_waits_on_the_outbox_page_and_can_be_tried_again(app: TestApp) -> TestApp {
    let kind = app.kind;
    app.finish().await;
    // Mail to an SMTP port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::spawn_tweaked(kind, |s| s.mail = format!("smtp://127.0.0.1:{port}").into()).await;
    app.sign_in_admin("root@contoso.example").await;
    let page = app.get("/admin/outbox").await;
    let hint = between(&page.body, "<p class=\"hint\">", "</p>").unwrap();
    assert_eq!(hint, "1 waiting · 0 given up", "the admin's own notice");
    app.invite("ana@fabrikam.example", &[]).await;
    for _ in 0..vestibule::jobs::MAX_ATTEMPTS * 2 {
        vestibule::jobs::run_once(&app.state).await.unwrap();
        app.advance(Duration::hours(1));
    }
    // (Hours went by: the admin signs in again; that code's mail waits too.)
    app.sign_in_with_code("root@contoso.example").await;
    let page = app.get("/admin/outbox").await;
    let hint = between(&page.body, "<p class=\"hint\">", "</p>").unwrap();
    assert_eq!(hint, "1 waiting · 2 given up");
    assert!(page.has("ana@fabrikam.example"), "{}", page.body);
    assert!(page.has("given up</strong> after 12 tries") && page.has("SMTP"), "{}", page.body);
    assert!(!page.has("/redeem/"), "no body, no link on the page");

    let at = page.body.find("Try the message to ana@fabrikam.example again now").unwrap();
    let action = page.body[..at].rfind("action=\"").unwrap();
    let path = between(&page.body[action..], "action=\"", "\"").unwrap();
    let page = app.post(&path, &[]).await;
    assert!(
        page.has("It will be sent again within a few seconds") && page.has("2 waiting · 1 given up"),
        "{}",
        page.body
    );
    assert!(app.audit_actions().await.contains(&"outbox.retried".to_string()));
    let pass = vestibule::jobs::run_once(&app.state).await.unwrap();
    assert_eq!((pass.sent, pass.failed), (0, 1), "tried at once");
    let sql =
        "SELECT COUNT(*) FROM outbox WHERE recipient = 'ana@fabrikam.example' AND status = 'pending' AND attempts <= 1";
    assert_eq!(app.count(sql).await, 1, "back in line, its tries counted afresh");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'").await, 1);
    app
}
both!(undelivered_mail_waits_on_the_outbox_page_and_can_be_tried_again);
