//! Bounded, valid input everywhere: every route, with NUL bytes, 64 KB strings, huge
//! numbers and invalid UTF-8 in its path, query and form fields, answers without a 5xx.
//! The routes and field names are read from the source, so new ones are covered too.

use reqwest::StatusCode;

use crate::helpers::*;

/// Every file below `dir` (of this crate), as text.
fn texts_under(dir: &str) -> Vec<String> {
    let mut texts = Vec::new();
    let mut stack = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                texts.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    texts
}

/// Every route of the route table (`web::routes::declared`): its method and path.
fn routes() -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = vestibule::web::routes::declared()
        .into_iter()
        .filter(|(m, _, _)| *m == actix_web::http::Method::GET || *m == actix_web::http::Method::POST)
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    found.sort();
    found.dedup();
    assert!(found.len() > 40, "the route table was read: {found:?}");
    found
}

/// Every `name="…"` of a form field in the templates.
fn field_names() -> Vec<String> {
    let mut names = Vec::new();
    for text in texts_under("templates") {
        for part in text.split(" name=\"").skip(1) {
            if let Some((name, _)) = part.split_once('"')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && name != "csrf"
            {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Percent-encoded hostile values: NUL, 64 KB, huge and negative numbers, broken UTF-8.
fn hostile() -> Vec<String> {
    vec![
        "a%00b".into(),
        "x".repeat(64 * 1024),
        "99999999999999999999".into(),
        "9223372036854775807".into(),
        "-9223372036854775808".into(),
        "%FF%FE%FD".into(),
    ]
}

/// Routes that would end the admin's session halfway through the run.
const LAST: [&str; 2] = ["/signout", "/profile/sign-out-everywhere"];

async fn no_route_answers_5xx_to_hostile_input(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let csrf = app.csrf().await;
    let fields = field_names();
    let mut tried = 0;
    let mut failures = Vec::new();
    for (method, route) in routes().into_iter().filter(|(_, r)| !LAST.contains(&r.as_str())) {
        for value in hostile() {
            // The value in every path parameter… (a URL stays under the 32 KB a request
            // head may have: the 64 KB string goes into form fields whole).
            let in_url = &value[..value.len().min(8 * 1024)];
            let mut path = String::new();
            for seg in route.split('/').skip(1) {
                path.push('/');
                path.push_str(if seg.starts_with('{') { in_url } else { seg });
            }
            // …and in the query's usual parameters.
            let v = in_url;
            let url = app.url(&format!("{path}?page={v}&q={v}&state={v}&type={v}&next={v}"));
            let res = if method == "GET" {
                app.raw.get(&url).send().await.unwrap()
            } else {
                let mut body = format!("csrf={csrf}");
                for f in &fields {
                    body.push_str(&format!("&{f}={value}"));
                }
                app.raw
                    .post(&url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            };
            tried += 1;
            if res.status().is_server_error() {
                failures.push(format!("{method} {route} with {}…: {}", &value[..value.len().min(20)], res.status()));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {tried} requests failed with 5xx:\n{}", failures.len(), failures.join("\n"));
    // The server is still healthy, and the admin still signed in.
    assert_eq!(app.get("/admin").await.status, StatusCode::OK);
    app.take_mail("root@contoso.example").await;
    for m in app.outbox().await {
        app.take_mail(&m.recipient).await;
    }
    app
}
both!(no_route_answers_5xx_to_hostile_input);

async fn nul_in_a_path_or_query_is_a_400_on_both_databases(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    for path in ["/auth/a%00b/start", "/admin/users?q=%00", "/signup/status/a%00", "/admin/users?q=%C3%28"] {
        assert_eq!(app.get_raw(path).await.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    let page = app.post("/signin", &[("email", "a\0b@contoso.example")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    // A page far past the end is the last page's neighbour, not a database error.
    let page = app.get("/admin/users?page=9223372036854775807").await;
    assert_eq!(page.status, StatusCode::OK);
    let page = app.get("/admin/audit?page=9223372036854775807").await;
    assert_eq!(page.status, StatusCode::OK);
    app
}
both!(nul_in_a_path_or_query_is_a_400_on_both_databases);

async fn an_unknown_idp_slug_is_a_404_that_writes_nothing(app: TestApp) -> TestApp {
    let before = app.count("SELECT COUNT(*) FROM audit_events").await;
    let slug = "x".repeat(8000);
    let res = app.get_raw(&format!("/auth/{slug}/callback?code=a&state=b")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.post_raw(&format!("/auth/{slug}/start"), &[("purpose", "signin")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, before);
    app
}
both!(an_unknown_idp_slug_is_a_404_that_writes_nothing);
