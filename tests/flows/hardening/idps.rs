//! Identity provider edits: a new issuer needs the secret again; issuers are https (unless
//! the operator allows http for development) and never link-local or metadata addresses.

use reqwest::StatusCode;

use crate::helpers::*;

fn idp_form<'a>(issuer: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("display_name", "Fabrikam SSO"),
        ("slug", "fabrikam"),
        ("kind", "oidc"),
        ("issuer", issuer),
        ("client_id", "vestibule"),
        ("client_secret", secret),
        ("domains", "fabrikam.example"),
        ("enabled", "yes"),
    ]
}

async fn a_new_issuer_needs_the_secret_again_and_metadata_addresses_are_refused(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.post("/admin/identity-providers", &idp_form("https://login.fabrikam.example", "s3cret")).await;
    assert!(page.has("Fabrikam SSO was added"), "{}", page.body);
    let id = page
        .body
        .split("/admin/identity-providers/")
        .filter_map(|rest| rest.get(..36))
        .find(|id| uuid::Uuid::parse_str(id).is_ok())
        .expect("the new IdP is listed");
    let path = format!("/admin/identity-providers/{id}");

    // Same issuer, no secret typed: the stored one is kept.
    let page = app.post(&path, &idp_form("https://login.fabrikam.example", "")).await;
    assert!(page.has("Fabrikam SSO was saved"), "{}", page.body);
    // Another issuer without the secret: refused next to the secret field, nothing changed.
    let page = app.post(&path, &idp_form("https://evil.example", "")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Enter the client secret again: the issuer changed"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM identity_providers WHERE issuer = 'https://evil.example'").await, 0);
    // With the secret typed again it is saved.
    let page = app.post(&path, &idp_form("https://login2.fabrikam.example", "n3w")).await;
    assert!(page.has("Fabrikam SSO was saved"), "{}", page.body);

    // Link-local and metadata addresses, even where http is allowed (as in these tests).
    for bad in ["http://169.254.169.254/latest/meta-data", "https://metadata.google.internal/", "https://[fe80::1]/"] {
        let page = app.post(&path, &idp_form(bad, "x")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(page.has("link-local or cloud metadata"), "{bad}: {}", page.body);
    }

    // Without `allow_http_identity_providers`, an http issuer is refused.
    let strict = TestApp::spawn_tweaked(app.kind, |s| s.allow_http_identity_providers = false).await;
    strict.sign_in_admin("root@contoso.example").await;
    let page = strict.post("/admin/identity-providers", &idp_form("http://login.fabrikam.example", "s")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("must start with https://"), "{}", page.body);
    strict.finish().await;
    app
}
both!(a_new_issuer_needs_the_secret_again_and_metadata_addresses_are_refused);
