//! Nobody can lock a person out by asking for their codes: limits are per address+IP, with a
//! much higher per-address ceiling and a per-IP limit.

use reqwest::{Client, StatusCode};

use crate::helpers::*;

async fn ask_code(app: &TestApp, b: &Client, path: &str, email: &str) -> StatusCode {
    let token = csrf_of(b, &app.url("/signin")).await;
    b.post(app.url(path)).form(&[("csrf", token.as_str()), ("email", email)]).send().await.unwrap().status()
}

async fn a_stranger_asking_for_codes_does_not_lock_the_person_out(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.sign_out().await;
    let stranger = app.browser_from("127.0.0.2");
    for _ in 0..5 {
        assert_eq!(ask_code(&app, &stranger, "/signin", "root@contoso.example").await, StatusCode::OK);
    }
    assert_eq!(app.take_mail("root@contoso.example").await.len(), 5);
    assert_eq!(ask_code(&app, &stranger, "/signin", "root@contoso.example").await, StatusCode::TOO_MANY_REQUESTS);
    // The person's own browser still gets a code, and signs in with it.
    let page = app.sign_in_with_code("root@contoso.example").await;
    assert!(page.url.ends_with("/admin"), "{}", page.url);

    // One client asking for many addresses is stopped too.
    let sprayer = app.browser_from("127.0.0.3");
    let mut limited = false;
    for i in 0..40 {
        if ask_code(&app, &sprayer, "/signin", &format!("x{i}@spray.example")).await == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            assert!(i >= 25, "the per-IP limit is not tiny: stopped at {i}");
            break;
        }
    }
    assert!(limited, "40 addresses from one IP in an hour are not all served");
    app
}
both!(a_stranger_asking_for_codes_does_not_lock_the_person_out);

async fn a_stranger_signing_up_with_someones_address_does_not_lock_them_out(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let pkg = crate::signup::package(&app, "Atlas", "none", &[], &[]).await;
    app.sign_out().await;
    let sign_up = |b: Client, pkg: String| {
        let url = app.url("/signup");
        async move {
            let token = csrf_of(&b, &url).await;
            let form = [
                ("csrf", token.as_str()),
                ("name", "Pat Partner"),
                ("email", "pat@fabrikam.example"),
                ("company", "Fabrikam"),
                ("reason", ""),
                ("package", pkg.as_str()),
                ("accept_terms", "yes"),
                ("website", ""),
            ];
            b.post(&url).form(&form).send().await.unwrap().status()
        }
    };
    let stranger = app.browser_from("127.0.0.2");
    for _ in 0..5 {
        assert_eq!(sign_up(stranger.clone(), pkg.clone()).await, StatusCode::OK);
    }
    assert_eq!(sign_up(stranger.clone(), pkg.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.take_mail("pat@fabrikam.example").await.len(), 5);
    // Pat's own browser still gets a code and confirms the request.
    let (pat, _) = app.new_browser();
    let page = crate::signup::sign_up(&app, &pat, "pat@fabrikam.example", &pkg).await;
    assert!(page.has("Approved"), "{}", page.body);
    app.take_mail("pat@fabrikam.example").await;
    app
}
both!(a_stranger_signing_up_with_someones_address_does_not_lock_them_out);
