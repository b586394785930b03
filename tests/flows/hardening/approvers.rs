//! An approver's link works only while they are an approver; nobody approves their own request.

use reqwest::{Client, StatusCode};

use crate::helpers::*;
use crate::signup::{link_in, member, package, sign_up};

/// Decides through `link` in a fresh browser; the page it answers with.
async fn decide(app: &TestApp, link: &str, decision: &str) -> (Client, Page) {
    let (b, _) = app.new_browser();
    let page = Page::from(b.get(link).send().await.unwrap()).await;
    let token = csrf_of(&b, &app.url("/signin")).await;
    let form = [("csrf", token.as_str()), ("decision", decision), ("note", "")];
    let decided = Page::from(b.post(link).form(&form).send().await.unwrap()).await;
    assert_eq!(page.status, decided.status, "GET and POST agree");
    (b, decided)
}

/// The package's approvers become just `keep` (as an admin's edit of the package would).
async fn keep_only_approver(app: &TestApp, package: &str, keep: &str) {
    let keep = app.user_id(keep).await;
    let mut tx = app.state.db.begin().await.unwrap();
    let links = &vestibule::db::links::PACKAGE_APPROVERS;
    vestibule::db::links::replace(tx.conn(), links, package.parse().unwrap(), &[keep]).await.unwrap();
    tx.commit().await.unwrap();
}

async fn request_status(app: &TestApp) -> String {
    let mut c = app.state.db.acquire().await.unwrap();
    vestibule::db::requests::list(c.conn(), None, 10).await.unwrap()[0].status.as_str().to_string()
}

async fn a_removed_or_blocked_approvers_link_decides_nothing(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    member(&app, "sam@contoso.example").await;
    member(&app, "kim@contoso.example").await;
    let pkg = package(&app, "Atlas", "any", &["sam@contoso.example", "kim@contoso.example"], &[]).await;
    let (partner, _) = app.new_browser();
    sign_up(&app, &partner, "pat@fabrikam.example", &pkg).await;
    app.one_mail("pat@fabrikam.example").await;
    let sam_link = link_in(&app.one_mail("sam@contoso.example").await, "/approve/");
    let kim_link = link_in(&app.one_mail("kim@contoso.example").await, "/approve/");

    // Sam leaves the package's approvers: the link in his mail no longer decides.
    keep_only_approver(&app, &pkg, "kim@contoso.example").await;
    let kim = app.user_id("kim@contoso.example").await;
    let (_, page) = decide(&app, &sam_link, "approve").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("This link is no longer yours to use"), "{}", page.body);
    assert_eq!(request_status(&app).await, "pending_approval");
    assert!(app.audit_actions().await.contains(&"signup.approval_refused".to_string()));

    // Kim is blocked: hers decides nothing either.
    let page = app.post(&format!("/admin/users/{kim}/block"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let (_, page) = decide(&app, &kim_link, "deny").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(request_status(&app).await, "pending_approval");
    app
}
both!(a_removed_or_blocked_approvers_link_decides_nothing);

async fn an_admin_cannot_approve_their_own_request(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    member(&app, "sam@contoso.example").await;
    let pkg = package(&app, "Atlas", "any", &["sam@contoso.example"], &[]).await;
    let page = app.post("/apps/request", &[("package", &pkg), ("reason", "I want it")]).await;
    assert!(page.has("Waiting for a decision"), "{}", page.body);
    app.one_mail("root@contoso.example").await;
    app.one_mail("sam@contoso.example").await;
    let list = app.get("/admin/requests").await;
    let id = between(&list.body, "/admin/requests/", "\"").unwrap();
    let page = app.post(&format!("/admin/requests/{id}/decide"), &[("decision", "approve")]).await;
    assert!(page.has("nobody decides their own request"), "{}", page.body);
    assert_eq!(request_status(&app).await, "pending_approval");
    app
}
both!(an_admin_cannot_approve_their_own_request);

async fn in_all_mode_an_approver_who_left_no_longer_holds_the_request(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    member(&app, "sam@contoso.example").await;
    member(&app, "kim@contoso.example").await;
    let pkg = package(&app, "Atlas", "all", &["sam@contoso.example", "kim@contoso.example"], &[]).await;
    let (partner, _) = app.new_browser();
    sign_up(&app, &partner, "pat@fabrikam.example", &pkg).await;
    app.one_mail("pat@fabrikam.example").await;
    app.one_mail("sam@contoso.example").await;
    let kim_link = link_in(&app.one_mail("kim@contoso.example").await, "/approve/");
    // Sam leaves the package before deciding; Kim's approval is now all it takes.
    keep_only_approver(&app, &pkg, "kim@contoso.example").await;
    let (_, page) = decide(&app, &kim_link, "approve").await;
    assert!(page.has("Thank you. Approved: "), "{}", page.body);
    assert_eq!(request_status(&app).await, "approved");
    app.one_mail("pat@fabrikam.example").await;
    app
}
both!(in_all_mode_an_approver_who_left_no_longer_holds_the_request);
