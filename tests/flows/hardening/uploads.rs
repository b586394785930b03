//! Issue 23 (7): the bulk upload read any number of fields, each up to the file's 5 MB
//! (60 MB of extra fields were taken). A form with a file now has a total size (the file's
//! limit and a small margin) and a few fields at most; past either the reading stops with a
//! clear page, whether the body declares its length or comes in chunks.

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

const BOUNDARY: &str = "----vestibule-upload-limits";
const CSV: &[u8] = b"email\nana@fabrikam.example\n";

/// A multipart body: the token, a small CSV file, and `extra` fields.
fn form(csrf: &str, extra: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut field = |head: String, value: &[u8]| {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; {head}\r\n\r\n").as_bytes());
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    };
    field("name=\"csrf\"".into(), csrf.as_bytes());
    for (name, value) in extra {
        field(format!("name=\"{name}\""), value);
    }
    field("name=\"file\"; filename=\"partners.csv\"".into(), CSV);
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post(app: &TestApp, body: Vec<u8>) -> Page {
    let r = app
        .browser
        .post(app.url("/admin/invitations/bulk"))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .send()
        .await
        .unwrap();
    Page::from(r).await
}

/// Sends `body` with chunked transfer encoding (no length declared) on a connection of its
/// own, with the admin's cookie; returns the response's status code.
async fn post_chunked(app: &TestApp, body: &[u8]) -> u16 {
    let host = app.url("").trim_start_matches("http://").trim_end_matches('/').to_string();
    let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST /admin/invitations/bulk HTTP/1.1\r\nHost: {host}\r\nCookie: {}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.cookie_header()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    // The server may answer and stop reading before the whole body is sent.
    for chunk in body.chunks(64 * 1024) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if conn.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0; 1024];
    let n = conn.read(&mut answer).await.unwrap();
    let status = String::from_utf8_lossy(&answer[..n]).split(' ').nth(1).unwrap_or_default().to_string();
    status.parse().unwrap_or_else(|_| panic!("no status in {:?}", String::from_utf8_lossy(&answer[..n])))
}

async fn a_form_with_a_file_has_a_total_size_and_a_few_fields(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let csrf = app.csrf().await;

    // Many small fields beside the file: refused at the ninth.
    let many: Vec<(String, Vec<u8>)> = (0..500).map(|i| (format!("x{i}"), b"y".to_vec())).collect();
    let page = post(&app, form(&csrf, &many)).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.has("The form holds more fields than it has"), "{}", page.body);

    // Three extra fields of 2 MB, each under the file's limit, 6 MB in all: too large,
    // whether the length is declared or the body comes in chunks.
    let big: Vec<(String, Vec<u8>)> = (0..3).map(|i| (format!("notes{i}"), vec![b'n'; 2 * 1024 * 1024])).collect();
    let body = form(&csrf, &big);
    let page = post(&app, body.clone()).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.body);
    assert!(page.has("The upload is larger than 5 MB"), "{}", page.body);
    assert_eq!(post_chunked(&app, &body).await, 413);
    assert_eq!(app.count("SELECT COUNT(*) FROM bulk_jobs").await, 0, "nothing was kept");

    // The form as the page sends it still goes through.
    let page = post(&app, form(&csrf, &[("send_mail".into(), b"yes".to_vec())])).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.url.contains("/admin/invitations/bulk/"), "{}", page.url);
    assert_eq!(app.count("SELECT COUNT(*) FROM bulk_jobs").await, 1);
    app
}
both!(a_form_with_a_file_has_a_total_size_and_a_few_fields);
