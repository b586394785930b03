//! Issue 12, bulk invitations. A partner's CSV checked row by row (the dry run) — good
//! rows, duplicates, bad addresses, denied domains, people who are guests or members
//! already, unknown apps; a BOM, CRLF line ends, a quoted comma; a file too large, one that
//! is not CSV, one without an email column — and nothing sent. Then started: the worker
//! invites the good rows once, through a second click, a re-run of the file and a crash.

use reqwest::{Client, StatusCode};

use crate::helpers::*;

/// Sends `bytes` as the file of the check form, as a browser sends a form with a file (and
/// "Send each partner the invitation by email" ticked, as it is at first).
pub(crate) async fn upload(app: &TestApp, client: &Client, name: &str, bytes: &[u8], csrf: &str) -> Page {
    let boundary = "----vestibule-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"send_mail\"\r\n\r\nyes\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = client
        .post(app.url("/admin/invitations/bulk"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    Page::from(r).await
}

async fn a_partner_list_is_checked_row_by_row_and_nothing_is_sent(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.add_app("Partner Wiki", "https://wiki.partner.example/").await;
    let link = app.invite("gus@fabrikam.example", &[]).await;
    let (gus, _) = app.new_browser();
    app.redeem_as(&gus, &link, "gus@fabrikam.example").await;
    app.invite("pat@fabrikam.example", &[]).await;
    let form = settings_form(&[("domain_policy", "denylist"), ("domains", "rival.example")]);
    assert!(app.post("/admin/settings", &form).await.has("The settings were saved"));
    let page = app.get("/admin/invitations/bulk").await;
    assert!(page.has("Invite many") && page.has("enctype=\"multipart/form-data\""), "{}", page.body);
    let template = app.get_raw("/admin/invitations/bulk/template.csv").await.text().await.unwrap();
    assert!(template.starts_with("email,display_name,message,redirect_url,apps\r\n"), "{template}");

    let csv = "\u{feff}Email,Display Name,Message,Apps\r\n\
               ana@fabrikam.example,\"Partner, Ana\",Welcome!,Partner Wiki\r\n\
               ANA@fabrikam.example,Ana again,,\r\n\
               not-an-address,Nobody,,\r\n\
               eve@rival.example,Eve,,\r\n\
               gus@fabrikam.example,Gus,,\r\n\
               pat@fabrikam.example,Pat,,\r\n\
               root@contoso.example,Root,,\r\n\
               cy@fabrikam.example,Cy,,Nowhere App\r\n\
               ,,,\r\n\
               dee@fabrikam.example,Dee,,partner wiki\r\n";
    let csrf = app.csrf().await;
    let before = app.count("SELECT COUNT(*) FROM users").await;
    let page = upload(&app, &app.browser, "partners.csv", csv.as_bytes(), &csrf).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Rows with a problem come first (4, 5, 9), then the others; each part in file order.
    let rows = table_rows(&page.body);
    let expect = [
        ("4", "not-an-address", "Not an email address."),
        ("5", "eve@rival.example", "Refused by the partner domain policy"),
        ("9", "cy@fabrikam.example", "No app is called “Nowhere App”"),
        ("2", "ana@fabrikam.example", "Will invite"),
        ("3", "ANA@fabrikam.example", "Same address as row 2"),
        ("6", "gus@fabrikam.example", "Already a guest"),
        ("7", "pat@fabrikam.example", "Invited already (pending): skipped"),
        ("8", "root@contoso.example", "A member of the organization"),
        ("11", "dee@fabrikam.example", "Will invite"),
    ];
    assert_eq!(rows.len(), expect.len(), "the empty row is left out: {rows:#?}");
    for (row, (number, email, outcome)) in rows.iter().zip(expect) {
        let row = html_unescape(row);
        assert!(row.starts_with(&format!("{number}</td><td>{email}</td>")) && row.contains(outcome), "{row}");
    }
    assert!(page.has("Partner, Ana"), "a quoted comma stays in its cell");
    // The problems alone, on a filter that works without script.
    let problems = app.get(&format!("{}?show=problems", page.url)).await;
    let numbers: Vec<String> =
        table_rows(&problems.body).iter().map(|r| r.split("</td>").next().unwrap().into()).collect();
    assert_eq!(numbers, ["4", "5", "9"], "{}", problems.body);
    assert!(page.has("<strong>2</strong> can be invited") && page.has("<strong>4</strong> would be skipped"));
    assert!(page.has("<strong>3</strong> need fixing") && page.has("Nothing was sent"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, before, "nobody invited");
    for who in ["ana@fabrikam.example", "dee@fabrikam.example", "pat@fabrikam.example"] {
        app.assert_no_mail(who).await;
    }

    // Started: the page follows the job (refreshing itself, no script) until the worker
    // has invited the two good rows; a second click on Start changes nothing.
    let job = between(&page.body, "action=\"/admin/invitations/bulk/", "/start\"").expect("a Start button");
    assert!(page.has("Invite 2 partners and email them"), "{}", page.body);
    let start = format!("/admin/invitations/bulk/{job}/start");
    let page = app.post(&start, &[("csrf", &csrf)]).await;
    assert!(page.has("Inviting the list") && page.has("<meta http-equiv=\"refresh\""), "{}", page.body);
    assert!(page.has("7 of 9 rows done") && page.has("<strong>2</strong> still to invite"), "{}", page.body);
    let again = app.post(&start, &[("csrf", &csrf)]).await;
    assert!(again.has("started already"), "{}", again.body);
    assert_eq!(vestibule::flows::bulk::job::work(&app.state, 10_000).await.unwrap(), 2);
    assert_eq!(vestibule::flows::bulk::job::work(&app.state, 10_000).await.unwrap(), 0, "nothing left");
    let page = app.get(&format!("/admin/invitations/bulk/{job}")).await;
    assert!(page.has("The list, invited") && !page.has("http-equiv=\"refresh\""), "{}", page.body);
    assert!(page.has("<strong>2</strong> invited") && page.has("<strong>4</strong> skipped"), "{}", page.body);
    assert!(page.has("<strong>3</strong> not invited"), "{}", page.body);
    for who in ["ana@fabrikam.example", "dee@fabrikam.example"] {
        assert!(app.one_mail(who).await.subject.contains("invited you"), "{who} gets one invitation");
    }
    app.assert_no_mail("pat@fabrikam.example").await;
    let csv_out = app.get_raw(&format!("/admin/invitations/bulk/{job}/result.csv")).await.text().await.unwrap();
    assert!(csv_out.starts_with("row,email,display_name,outcome,detail,invitation_id\n"), "{csv_out}");
    assert!(csv_out.contains("2,ana@fabrikam.example,\"Partner, Ana\",invited,Invited,"), "{csv_out}");
    assert!(csv_out.contains("7,pat@fabrikam.example,Pat,already_invited,"), "{csv_out}");
    assert!(csv_out.contains("4,not-an-address,Nobody,invalid,"), "{csv_out}");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"bulk.started".to_string()) && actions.contains(&"bulk.finished".to_string()));
    assert!(app.get("/admin/invitations/bulk").await.has("partners.csv"), "listed among lists invited lately");

    // The same file again: the two are reported as invited already; there is nothing to start.
    let page = upload(&app, &app.browser, "partners.csv", csv.as_bytes(), &csrf).await;
    assert!(page.has("<strong>0</strong> can be invited") && !page.has("/start\""), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 4, "gus, pat and the two: no more");

    // Files that are not what they should be: each says why, next to the field.
    let big = format!("email\n{}", "x@fabrikam.example\n".repeat(5 * 1024 * 1024 / 19 + 10));
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let cases: [(&[u8], &str); 4] = [
        (big.as_bytes(), "larger than 5 MB"),
        (&png, "not a CSV text file"),
        (b"name,company\nAna,Fabrikam\n", "at least “email”"),
        (b"", "The file is empty"),
    ];
    for (bytes, why) in cases {
        let page = upload(&app, &app.browser, "x.csv", bytes, &csrf).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert!(page.has(why) && page.has("id=\"file-error\""), "{why}: {}", page.body);
    }
    // A wrong token: refused, nothing read.
    let page = upload(&app, &app.browser, "partners.csv", csv.as_bytes(), "forged").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // A guest may not use it.
    let page = Page::from(gus.get(app.url("/admin/invitations/bulk")).send().await.unwrap()).await;
    assert_ne!(page.status, StatusCode::OK);
    app.take_mail("gus@fabrikam.example").await;
    app
}
both!(a_partner_list_is_checked_row_by_row_and_nothing_is_sent);

/// A worker killed mid-job (its task dropped wherever it was, its open transaction rolled
/// back, as when the process dies) leaves no row half done: the next worker finishes the
/// list, and each address is invited exactly once.
async fn a_job_cut_off_midway_resumes_without_duplicates(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let mut csv = String::from("email,display_name\n");
    for i in 0..150 {
        csv.push_str(&format!("p{i}@fabrikam.example,Partner {i}\n"));
    }
    let csrf = app.csrf().await;
    let page = upload(&app, &app.browser, "big.csv", csv.as_bytes(), &csrf).await;
    assert!(page.has("<strong>150</strong> can be invited"), "{}", page.body);
    let job = between(&page.body, "action=\"/admin/invitations/bulk/", "/start\"").unwrap();
    app.post(&format!("/admin/invitations/bulk/{job}/start"), &[("csrf", &csrf)]).await;

    let state = app.state.clone();
    let worker = tokio::spawn(async move { vestibule::flows::bulk::job::work(&state, 10_000).await });
    while app.count("SELECT COUNT(*) FROM bulk_rows WHERE outcome = 'invited'").await < 10 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    worker.abort();
    let _ = worker.await;
    let done = app.count("SELECT COUNT(*) FROM bulk_rows WHERE outcome = 'invited'").await;
    assert!(done < 150, "cut off before the end ({done})");
    // One statement, one snapshot: a commit still on its way to PostgreSQL when the task
    // was dropped lands whole or not at all, never between two counts.
    let apart =
        "SELECT (SELECT COUNT(*) FROM invitations) - (SELECT COUNT(*) FROM bulk_rows WHERE outcome = 'invited')";
    assert_eq!(app.count(apart).await, 0, "an invitation for each done row, and only those");

    vestibule::flows::bulk::job::work(&app.state, 10_000).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM bulk_rows WHERE outcome = 'invited' AND done").await, 150);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 150);
    assert_eq!(app.count("SELECT COUNT(DISTINCT user_id) FROM invitations").await, 150);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%invited you%'").await, 150);
    assert!(app.get(&format!("/admin/invitations/bulk/{job}")).await.has("<strong>150</strong> invited"));
    for i in 0..150 {
        app.take_mail(&format!("p{i}@fabrikam.example")).await;
    }
    app
}
both!(a_job_cut_off_midway_resumes_without_duplicates);

/// The rows of a page's table as `cell</td><td>cell…`, without the cells' labels for phones.
fn table_rows(html: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(" data-label=\"") {
        plain.push_str(&rest[..i]);
        let after = &rest[i + " data-label=\"".len()..];
        rest = &after[after.find('"').unwrap() + 1..];
    }
    plain.push_str(rest);
    let plain = plain.replace(" class=\"key\"", "");
    plain.split("<tr><td>").skip(1).map(|r| r.split("</tr>").next().unwrap().to_string()).collect()
}
