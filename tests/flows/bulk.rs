//! Issue 12, bulk invitations, first step: a partner's CSV checked row by row (the dry
//! run) — good rows, duplicates, bad addresses, denied domains, people who are guests or
//! members already, unknown apps; a BOM, CRLF line ends, a quoted comma; a file too large,
//! one that is not CSV, one without an email column. Nothing is written or sent.

use reqwest::{Client, StatusCode};

use crate::helpers::*;

/// Sends `bytes` as the file of the check form, as a browser sends a form with a file.
async fn upload(app: &TestApp, client: &Client, name: &str, bytes: &[u8], csrf: &str) -> Page {
    let boundary = "----vestibule-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n").as_bytes(),
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
    assert!(page.has("Check a list of partners") && page.has("enctype=\"multipart/form-data\""), "{}", page.body);
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
    let rows: Vec<String> =
        page.body.split("<tr><td>").skip(1).map(|r| r.split("</tr>").next().unwrap().to_string()).collect();
    let expect = [
        ("2", "ana@fabrikam.example", "Will invite"),
        ("3", "ANA@fabrikam.example", "Same address as row 2"),
        ("4", "not-an-address", "address"),
        ("5", "eve@rival.example", "Refused by the partner domain policy"),
        ("6", "gus@fabrikam.example", "Already a guest"),
        ("7", "pat@fabrikam.example", "will send it again"),
        ("8", "root@contoso.example", "A member of the organization"),
        ("9", "cy@fabrikam.example", "No app is called “Nowhere App”"),
        ("11", "dee@fabrikam.example", "Will invite"),
    ];
    assert_eq!(rows.len(), expect.len(), "the empty row is left out: {rows:#?}");
    for (row, (number, email, outcome)) in rows.iter().zip(expect) {
        let row = html_unescape(row);
        assert!(row.starts_with(&format!("{number}</td><td>{email}</td>")) && row.contains(outcome), "{row}");
    }
    assert!(page.has("Partner, Ana"), "a quoted comma stays in its cell");
    assert!(page.has("<strong>3</strong> can be invited") && page.has("<strong>3</strong> would be skipped"));
    assert!(page.has("<strong>3</strong> need fixing") && page.has("Nothing was sent"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, before, "nothing written");
    for who in ["ana@fabrikam.example", "dee@fabrikam.example", "pat@fabrikam.example"] {
        app.assert_no_mail(who).await;
    }

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
