//! Running the portal: `/metrics` for a scraper, and the client address behind a proxy.

use reqwest::StatusCode;

use crate::helpers::*;
use vestibule::db::Conn;

const TOKEN: &str = "scraper-token-0123456789";

/// The value of the first line of `text` that starts with `name{` and carries every label.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || (labels.is_empty() && l.starts_with(&format!("{name} "))))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scrape(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(app.url("/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn metrics_are_scraped_with_the_token_and_name_routes_not_paths(app: TestApp) -> TestApp {
    // A request carrying a secret in its path: counted under its route's pattern.
    let secret = "Sec7etRedemptionTokenNeverALabel";
    app.get(&format!("/redeem/{secret}")).await;
    app.sign_in_admin("ada@contoso.example").await;
    app.invite("pat@fabrikam.example", &[]).await;
    app.get("/apps").await;

    assert_eq!(scrape(&app, None).await.status(), StatusCode::UNAUTHORIZED);
    let wrong = scrape(&app, Some("scraper-token-0123456780")).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().contains_key("www-authenticate"));

    let ok = scrape(&app, Some(TOKEN)).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = ok.text().await.unwrap();
    assert!(!text.contains(secret), "no path becomes a label:\n{text}");
    let requests = "vestibule_http_requests_total";
    assert!(sample(&text, requests, &["route=\"/redeem/{token}\"", "method=\"GET\""]).unwrap() >= 1.0, "{text}");
    assert!(sample(&text, requests, &["route=\"/apps\"", "status=\"200\""]).unwrap() >= 1.0, "{text}");
    assert!(text.contains("vestibule_http_request_duration_seconds_bucket{"), "{text}");
    // The first admin's one-time link, then the second step.
    assert!(sample(&text, "vestibule_sign_ins_total", &["method=\"link\"", "outcome=\"ok\""]).unwrap() >= 1.0);
    // What the database holds is this portal's own: exact.
    assert_eq!(sample(&text, "vestibule_invitations", &["state=\"pending\""]), Some(1.0), "{text}");
    let pending = app.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").await;
    assert!(pending >= 1);
    assert_eq!(sample(&text, "vestibule_outbox_messages", &["state=\"pending\""]), Some(pending as f64), "{text}");
    assert_eq!(sample(&text, "vestibule_outbox_oldest_pending_age_seconds", &[]), Some(0.0), "{text}");
    app.advance(chrono::Duration::seconds(90));
    let text = scrape(&app, Some(TOKEN)).await.text().await.unwrap();
    assert_eq!(sample(&text, "vestibule_outbox_oldest_pending_age_seconds", &[]), Some(90.0), "{text}");
    assert!(sample(&text, "vestibule_db_pool_connections", &["state=\"open\""]).unwrap() >= 1.0, "{text}");
    app.take_mail("pat@fabrikam.example").await;
    app
}

async fn metrics_need_the_setting(app: TestApp) -> TestApp {
    let page = scrape(&app, Some(TOKEN)).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_sqlite() {
    let app = TestApp::spawn_tweaked(DbKind::Sqlite, |s| s.metrics_token = Some(TOKEN.to_string().into())).await;
    metrics_are_scraped_with_the_token_and_name_routes_not_paths(app).await.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_postgres() {
    let app = TestApp::spawn_tweaked(DbKind::Postgres, |s| s.metrics_token = Some(TOKEN.to_string().into())).await;
    metrics_are_scraped_with_the_token_and_name_routes_not_paths(app).await.finish().await;
}

both!(metrics_need_the_setting);

/// Behind a configured proxy the client's address comes from `X-Forwarded-For`; from
/// anyone else the header is ignored (else a client could pick the address its rate limits
/// count against).
async fn forwarded_for_is_believed_only_from_trusted_proxies(kind: DbKind, trusting: bool) {
    let app = TestApp::spawn_tweaked(kind, |s| {
        if trusting {
            s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        }
    })
    .await;
    let csrf = app.csrf().await;
    let res = app
        .browser
        .post(app.url("/signin"))
        .header("x-forwarded-for", "192.0.2.99, 198.51.100.7")
        .form(&[("csrf", csrf.as_str()), ("email", "nobody@fabrikam.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let seen = if trusting { "198.51.100.7" } else { "127.0.0.1" };
    let sql = if trusting {
        "SELECT COUNT(*) FROM email_codes WHERE client_ip = '198.51.100.7'"
    } else {
        "SELECT COUNT(*) FROM email_codes WHERE client_ip = '127.0.0.1'"
    };
    assert_eq!(app.count(sql).await, 1, "the code was counted against {seen}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_from_a_trusted_proxy() {
    for kind in [DbKind::Sqlite, DbKind::Postgres] {
        forwarded_for_is_believed_only_from_trusted_proxies(kind, true).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_from_anyone_else() {
    for kind in [DbKind::Sqlite, DbKind::Postgres] {
        forwarded_for_is_believed_only_from_trusted_proxies(kind, false).await;
    }
}

/// A page with nothing new for the session sends no cookie: the flash message used to be
/// "removed" on every page, which re-encrypted and re-sent the session cookie each time.
async fn pages_send_the_session_cookie_only_when_it_changes(app: TestApp) -> TestApp {
    app.sign_in_admin("ada@contoso.example").await;
    app.get("/apps").await;
    for path in ["/apps", "/profile", "/admin"] {
        let res = app.get_raw(path).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("set-cookie").is_none(), "{path} sent {:?}", res.headers().get("set-cookie"));
    }
    app
}

both!(pages_send_the_session_cookie_only_when_it_changes);

/// Each HTTP worker thread runs a Tokio runtime of its own, and at shutdown an idle
/// worker's runtime ends while others still answer requests. A PostgreSQL connection the
/// pool opened while serving that worker stayed bound to its runtime and failed the
/// requests still in flight ("A Tokio 1.x context was found, but it is being shutdown").
/// Connections are opened on the pool's own runtime; this asks for all of them from a
/// runtime that then ends, and uses every one of them after.
async fn connections_outlive_the_worker_runtime_that_asked_for_them(app: TestApp) -> TestApp {
    let db = app.state.db.clone();
    let widest = 10;
    std::thread::spawn(move || {
        let worker = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        worker.block_on(async {
            let mut held = Vec::new();
            for _ in 0..widest {
                held.push(db.acquire().await.expect("a connection on the worker's runtime"));
            }
            // Give them back while this runtime still runs (the pool returns them in tasks).
            drop(held);
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        });
    })
    .join()
    .unwrap();
    let mut held = Vec::new();
    for _ in 0..widest {
        let mut c = app.state.db.acquire().await.expect("a connection after the worker's runtime ended");
        let ran = match c.conn() {
            Conn::Sqlite(e) => sqlx::query("SELECT 1").execute(e).await.map(|_| ()),
            Conn::Postgres(e) => sqlx::query("SELECT 1").execute(e).await.map(|_| ()),
        };
        ran.expect("a query on it after the worker's runtime ended");
        held.push(c);
    }
    app
}
both!(connections_outlive_the_worker_runtime_that_asked_for_them);
