//! Server-side requests go only where they should (issue 23 item 5): an app's back-channel
//! logout URI and an identity provider's issuer must not make the portal reach the cloud
//! metadata service or the inside of its own network. An address typed as an IP is refused
//! when saved; a name is resolved at each request and refused when it lands inside. These
//! tests turn `allow_private_network_targets` off, as it is in production, and count the
//! connections a listener on 127.0.0.1 gets: none.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::*;

/// A server on the inside (127.0.0.1) that counts the connections it gets and answers each
/// with an empty 200.
struct Inside {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Inside {
    fn start() -> Inside {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                if stream.read(&mut buf).is_ok_and(|n| n > 0) {
                    stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").ok();
                }
            }
        });
        Inside { port, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Production's setting, and a name that resolves to the metadata service.
fn production(s: &mut vestibule::config::Settings) {
    s.allow_private_network_targets = false;
    for host in ["rp.evil.example", "idp.evil.example"] {
        s.resolve_overrides.insert(host.into(), vec!["169.254.169.254".parse().unwrap()]);
    }
}

fn app_form<'a>(client_id: &'a str, backchannel: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", client_id),
        ("launch_url", "https://wiki.example/"),
        ("visible_in_panel", "yes"),
        ("oidc", "yes"),
        ("client_id", client_id),
        ("client_type", "confidential"),
        ("redirect_uris", "https://wiki.example/cb"),
        ("backchannel_logout_uri", backchannel),
        ("id_token_alg", "RS256"),
    ]
}

fn idp_form<'a>(kind: &'a str, slug: &'a str, issuer: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("display_name", slug),
        ("slug", slug),
        ("kind", kind),
        ("issuer", issuer),
        ("client_id", "vestibule"),
        ("client_secret", "s3cret"),
        ("domains", ""),
        ("enabled", "yes"),
    ]
}

async fn app_id(app: &TestApp, client_id: &str) -> Uuid {
    let mut c = app.state.db.acquire().await.unwrap();
    vestibule::db::apps::find_by_client_id(c.conn(), client_id).await.unwrap().expect("the app is saved").id
}

async fn back_channel_logout_uris_at_inside_addresses_are_refused_when_saved(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    for bad in [
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/logout",
        "https://[fe80::1]/logout",
        "http://127.0.0.1:5432/",
        "https://[::ffff:10.0.0.1]/logout",
        "https://100.64.0.1/logout",
        "https://[fd00::1]/logout",
    ] {
        let page = app.post("/admin/apps", &app_form("wiki", bad)).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", page.body);
        assert!(page.has("the portal sends no requests there"), "{bad}: {}", page.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM apps WHERE client_id = 'wiki'").await, 0, "nothing saved");

    // A name is saved: it is checked each time it is resolved. Edited to an address inside,
    // it is refused, and the stored one stays.
    let page = app.post("/admin/apps", &app_form("wiki", "https://wiki.example/logout")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let id = app_id(&app, "wiki").await;
    let page = app.post(&format!("/admin/apps/{id}"), &app_form("wiki", "https://169.254.169.254/")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(page.has("link-local or cloud metadata address"), "{}", page.body);
    let kept = "SELECT COUNT(*) FROM apps WHERE backchannel_logout_uri = 'https://wiki.example/logout'";
    assert_eq!(app.count(kept).await, 1);
    app
}
both!(back_channel_logout_uris_at_inside_addresses_are_refused_when_saved, super::production);

async fn the_worker_sends_no_logout_token_inside_or_to_the_metadata_service(app: TestApp) -> TestApp {
    let inside = Inside::start();
    app.sign_in_admin("root@contoso.example").await;
    // `localhost` is a name (saved), and resolves to 127.0.0.1; `rp.evil.example` resolves
    // to the metadata service.
    let local = format!("http://localhost:{}/backchannel", inside.port);
    let evil = "https://rp.evil.example/backchannel".to_string();
    for (client_id, uri) in [("wiki", &local), ("crm", &evil)] {
        let page = app.post("/admin/apps", &app_form(client_id, uri)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    }
    // A session that signed in to both ends: each app's logout is queued.
    let user_id = app.user_id("root@contoso.example").await;
    let session_id = Uuid::new_v4();
    for (client_id, uri) in [("wiki", &local), ("crm", &evil)] {
        let target = vestibule::db::oauth::LogoutTarget {
            app_id: app_id(&app, client_id).await,
            user_id,
            session_id,
            backchannel_logout_uri: uri.clone(),
        };
        let mut c = app.state.db.acquire().await.unwrap();
        vestibule::db::outbox::enqueue_backchannel_logout(c.conn(), &target, app.state.clock.now()).await.unwrap();
    }

    let pass = vestibule::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(pass.failed, 2, "{pass:?}");
    assert_eq!(inside.hits(), 0, "no connection was made to the inside");
    let row = app.take_mail(&local).await.remove(0);
    let error = row.last_error.unwrap_or_default();
    assert!(error.contains("127.0.0.1 is a loopback address"), "{error}");
    let row = app.take_mail(&evil).await.remove(0);
    let error = row.last_error.unwrap_or_default();
    assert!(error.contains("169.254.169.254 is a link-local or cloud metadata address"), "{error}");
    app
}
both!(the_worker_sends_no_logout_token_inside_or_to_the_metadata_service, super::production);

async fn issuers_at_inside_addresses_are_refused_when_saved(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    for bad in [
        "https://10.0.0.1",
        "http://127.0.0.1:9000",
        "https://192.168.1.10/realms/partner",
        "https://[fd00::1]",
        "https://[::ffff:127.0.0.1]",
        "https://100.100.100.200",
    ] {
        let page = app.post("/admin/identity-providers", &idp_form("oidc", "partner", bad)).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", page.body);
        assert!(page.has("the portal sends no requests there"), "{bad}: {}", page.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM identity_providers").await, 0);
    app
}
both!(issuers_at_inside_addresses_are_refused_when_saved, super::production);

/// Starts a sign-in at `slug` in a fresh browser; the answer, not followed.
async fn start_sign_in(app: &TestApp, slug: &str) -> reqwest::Response {
    let (browser, raw) = app.new_browser();
    let csrf = csrf_of(&browser, &app.url("/signin")).await;
    let form = [("csrf", csrf.as_str()), ("purpose", "signin"), ("next", "")];
    raw.post(app.url(&format!("/auth/{slug}/start"))).form(&form).send().await.unwrap()
}

async fn failures_mentioning(app: &TestApp, words: &str) -> usize {
    let mut c = app.state.db.acquire().await.unwrap();
    let page = vestibule::db::Page::new(1, 1000);
    let (events, _) = vestibule::db::audit::list(c.conn(), &Default::default(), page).await.unwrap();
    events.iter().filter(|e| e.action == "federation.failed" && e.details.contains(words)).count()
}

async fn discovery_goes_neither_inside_nor_to_the_metadata_service(app: TestApp) -> TestApp {
    let inside = Inside::start();
    app.sign_in_admin("root@contoso.example").await;
    let local = format!("http://localhost:{}", inside.port);
    for (slug, issuer) in [("inside", local.as_str()), ("evil", "https://idp.evil.example")] {
        let page = app.post("/admin/identity-providers", &idp_form("oidc", slug, issuer)).await;
        assert!(page.has(&format!("{slug} was added")), "a name is saved: {}", page.body);
    }

    let r = start_sign_in(&app, "inside").await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(inside.hits(), 0, "discovery made no connection to the inside");
    assert_eq!(failures_mentioning(&app, "127.0.0.1 is a loopback address").await, 1);

    let r = start_sign_in(&app, "evil").await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(failures_mentioning(&app, "169.254.169.254 is a link-local or cloud metadata address").await, 1);
    app
}
both!(discovery_goes_neither_inside_nor_to_the_metadata_service, super::production);

async fn a_github_token_exchange_goes_nowhere_inside(app: TestApp) -> TestApp {
    // GitHub (Enterprise) needs no discovery: the first request is the token exchange, sent
    // by the oauth2 library through the same client.
    let inside = Inside::start();
    app.sign_in_admin("root@contoso.example").await;
    let local = format!("http://localhost:{}", inside.port);
    let page = app.post("/admin/identity-providers", &idp_form("github", "ghe", &local)).await;
    assert!(page.has("ghe was added"), "{}", page.body);

    let (browser, raw) = app.new_browser();
    let csrf = csrf_of(&browser, &app.url("/signin")).await;
    let form = [("csrf", csrf.as_str()), ("purpose", "signin"), ("next", "")];
    let r = raw.post(app.url("/auth/ghe/start")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let authorize = reqwest::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let state = authorize.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).unwrap();
    let query = serde_urlencoded::to_string([("code", "c0de"), ("state", state.as_str())]).unwrap();
    let r = raw.get(app.url(&format!("/auth/ghe/callback?{query}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(inside.hits(), 0, "the token request made no connection to the inside");
    assert_eq!(failures_mentioning(&app, "127.0.0.1 is a loopback address").await, 1);
    app
}
both!(a_github_token_exchange_goes_nowhere_inside, super::production);

/// A peer that answers every request with `size` bytes of JSON-ish text, without a length
/// (the body ends when the connection closes), so only reading it can tell its size.
fn endless_peer(size: usize) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n");
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < size && stream.write_all(&chunk).is_ok() {
                sent += chunk.len();
            }
        }
    });
    port
}

#[tokio::test]
async fn an_answer_larger_than_a_megabyte_is_refused_while_it_streams() {
    let settings = vestibule::config::Settings { allow_private_network_targets: true, ..Default::default() };
    let http = vestibule::federation::outbound::OutboundHttp::from_settings(&settings).unwrap();
    let port = endless_peer(8 * 1024 * 1024);
    let response = http.get(&format!("http://127.0.0.1:{port}/.well-known/openid-configuration")).unwrap().send();
    let response = response.await.unwrap();
    let read = vestibule::federation::outbound::read_limited(response, vestibule::federation::outbound::MAX_RESPONSE);
    let refused = read.await.unwrap_err();
    assert!(refused.contains("larger than"), "{refused}");
}
