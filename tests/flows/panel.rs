//! F6 (first part): the Access Panel and profile.

use reqwest::StatusCode;

use crate::helpers::*;

async fn a_guest_edits_their_name_and_signs_out_everywhere(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("ana@partner.example", &[]).await;
    app.sign_out().await;
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    let page = app.post("/profile", &[("display_name", "")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Enter a name."));
    let page = app.post("/profile", &[("display_name", "Ana María López")]).await;
    assert!(page.has("Your name was saved.") && page.has("value=\"Ana María López\""));
    // A second browser of the same guest.
    let (other, _) = app.new_browser();
    let token = csrf_of(&other, &app.url("/signin")).await;
    other
        .post(app.url("/signin"))
        .form(&[("csrf", token.as_str()), ("email", "ana@partner.example")])
        .send()
        .await
        .unwrap();
    let code = code_in(&app.one_mail("ana@partner.example").await);
    let r = other
        .post(app.url("/signin/code"))
        .form(&[("csrf", token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.url().path().ends_with("/apps"));
    let page = app.post("/profile/sign-out-everywhere", &[]).await;
    assert!(page.has("You are signed out on every device and browser."), "{}", page.body);
    let r = other.get(app.url("/profile")).send().await.unwrap();
    assert!(r.url().path().starts_with("/signin"), "the other browser is signed out too");
    assert!(app.get("/profile").await.url.contains("/signin"));
    app
}
both!(a_guest_edits_their_name_and_signs_out_everywhere);
