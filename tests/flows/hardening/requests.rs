//! "Request access" keeps one open request per user and package and is rate limited.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::signup::{member, package};

async fn twelve_presses_make_one_request_and_one_mail_per_approver(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    member(&app, "sam@contoso.example").await;
    let pkg = package(&app, "Atlas", "any", &["sam@contoso.example"], &[]).await;
    let mut others = Vec::new();
    for name in ["Borealis", "Cirrus", "Delta", "Eos", "Fjord"] {
        others.push(package(&app, name, "any", &["sam@contoso.example"], &[]).await);
    }
    let link = app.invite("ana@partner.example", &[]).await;
    let (ana, _) = app.new_browser();
    app.redeem_as(&ana, &link, "ana@partner.example").await;
    let token = csrf_of(&ana, &app.url("/apps/request")).await;
    let press = |package: String| {
        let (ana, token, url) = (ana.clone(), token.clone(), app.url("/apps/request"));
        async move {
            let form = [("csrf", token.as_str()), ("package", package.as_str()), ("reason", "Joining Atlas")];
            Page::from(ana.post(url).form(&form).send().await.unwrap()).await
        }
    };
    // Six at once, then six more one after another.
    let first: Vec<Page> = futures_util::future::join_all((0..6).map(|_| press(pkg.clone()))).await;
    let mut pages = first;
    for _ in 0..6 {
        pages.push(press(pkg.clone()).await);
    }
    let urls: std::collections::HashSet<&str> = pages.iter().map(|p| p.url.as_str()).collect();
    assert_eq!(urls.len(), 1, "every press shows the one open request: {urls:?}");
    assert!(pages.iter().all(|p| p.has("Waiting for a decision")));
    assert_eq!(app.count("SELECT COUNT(*) FROM signup_requests").await, 1);
    assert_eq!(app.take_mail("sam@contoso.example").await.len(), 1, "the approver is mailed once");
    assert_eq!(app.take_mail("ana@partner.example").await.len(), 1);
    assert_eq!(app.take_mail("root@contoso.example").await.len(), 1, "the guest's sponsor hears once");

    // Other packages: at most five requests an hour.
    for (i, p) in others.iter().enumerate() {
        let page = press(p.clone()).await;
        if i < 4 {
            assert!(page.has("Waiting for a decision"), "{}", page.body);
        } else {
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(page.has("You have sent many requests"), "{}", page.body);
        }
    }
    assert_eq!(app.take_mail("sam@contoso.example").await.len(), 4);
    assert_eq!(app.take_mail("ana@partner.example").await.len(), 4);
    assert_eq!(app.take_mail("root@contoso.example").await.len(), 4);
    app
}
both!(twelve_presses_make_one_request_and_one_mail_per_approver);
