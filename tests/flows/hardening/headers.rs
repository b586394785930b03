//! Headers and methods: CSP with `form-action` and a narrow `img-src`, Permissions-Policy,
//! HEAD like GET without a body, 405 with `Allow` for other methods; no secret printed at
//! start-up.

use reqwest::{Method, StatusCode};

use crate::helpers::*;

async fn pages_send_a_narrow_csp_and_answer_head_and_other_methods(app: TestApp) -> TestApp {
    let res = app.get_raw("/signin").await;
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("form-action 'self'"), "{csp}");
    assert!(csp.contains("img-src 'self' data:;"), "no logo, no app icons: {csp}");
    assert!(!csp.contains("https:"), "{csp}");
    assert!(res.headers()["permissions-policy"].to_str().unwrap().contains("camera=()"));
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");

    // A logo, an app icon and an identity provider widen exactly their origins.
    app.sign_in_admin("root@contoso.example").await;
    let form = settings_form(&[("logo_url", "https://cdn.contoso.example/logo.png")]);
    assert!(app.post("/admin/settings", &form).await.has("The settings were saved"));
    let form = [
        ("name", "Wiki"),
        ("launch_url", "https://wiki.contoso.example/"),
        ("icon_url", "https://icons.contoso.example/wiki.png"),
        ("visible_in_panel", "yes"),
    ];
    assert_eq!(app.post("/admin/apps", &form).await.status, StatusCode::OK);
    let form = [
        ("display_name", "Fabrikam SSO"),
        ("slug", "fabrikam"),
        ("kind", "oidc"),
        ("issuer", "https://login.fabrikam.example/tenant"),
        ("client_id", "vestibule"),
        ("client_secret", "s"),
        ("enabled", "yes"),
    ];
    assert!(app.post("/admin/identity-providers", &form).await.has("Fabrikam SSO was added"));
    let csp = app.get_raw("/signin").await.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("img-src 'self' data: https://cdn.contoso.example https://icons.contoso.example;"), "{csp}");
    assert!(csp.contains("form-action 'self' https://login.fabrikam.example"), "{csp}");

    // HEAD answers like GET, without a body.
    let head = app.raw.head(app.url("/signin")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.headers().contains_key("content-security-policy"));
    assert!(head.text().await.unwrap().is_empty());
    // Other methods: 405 with the methods the address does take.
    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        let res = app.raw.request(method.clone(), app.url("/signin")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(res.headers()["allow"], "GET, POST", "{method}");
    }
    let res = app.raw.delete(app.url("/apps")).send().await.unwrap();
    assert_eq!((res.status(), res.headers()["allow"].to_str().unwrap()), (StatusCode::METHOD_NOT_ALLOWED, "GET"));
    app
}
both!(pages_send_a_narrow_csp_and_answer_head_and_other_methods);

async fn the_smtp_password_is_not_printed_at_start_up(app: TestApp) -> TestApp {
    use std::io::Read;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vestibule"))
        .arg("serve")
        .env("VESTIBULE_DATABASE_URL", &app.state.settings.database_url)
        .env("VESTIBULE_DATA_DIR", app.dir.path().join("var"))
        .env("VESTIBULE_BIND", format!("127.0.0.1:{port}"))
        .env("VESTIBULE_MAIL", "smtp://mailer:hunter2-secret@127.0.0.1:1?tls=none")
        .env("VESTIBULE_WORKER", "false")
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it serves, then stop it and read everything it printed.
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut printed = String::new();
    child.stdout.take().unwrap().read_to_string(&mut printed).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut printed).unwrap();
    assert!(up, "vestibule serve did not start: {printed}");
    assert!(printed.contains("smtp://mailer:***@127.0.0.1:1"), "{printed}");
    assert!(!printed.contains("hunter2"), "the SMTP password was printed: {printed}");
    app
}
both!(the_smtp_password_is_not_printed_at_start_up);
