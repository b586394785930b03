//! Issue 23 (3): a member took over another sponsor's pending guest by inviting the same
//! address — becoming a sponsor and voiding the guest's link — and then removed the first
//! sponsor. Inviting an address that has an account re-sends only for an admin or one of
//! its sponsors; a sponsor removes only themself, an admin anyone, and never the last.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::sponsors::{add_member, get_in, post_in};

async fn sponsors_of(app: &TestApp, guest: uuid::Uuid) -> Vec<String> {
    let mut c = app.state.db.acquire().await.unwrap();
    vestibule::db::sponsors::of(c.conn(), guest).await.unwrap().into_iter().map(|u| u.email).collect()
}

async fn a_member_cannot_take_over_another_sponsors_pending_guest(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let (mo, _) = add_member(&app, "mo@contoso.example", "Mo Member").await;
    let (lu, _) = add_member(&app, "lu@contoso.example", "Lu Member").await;
    let page = post_in(&app, &mo, "/invite", &[("email", "ana@partner.example"), ("display_name", "Ana")]).await;
    assert!(page.has("Invitation sent to ana@partner.example"), "{}", page.body);
    let link = redeem_link_in(&app.one_mail("ana@partner.example").await);
    let ana = app.user_id("ana@partner.example").await;
    // Past the resend interval, so that only the rule can refuse.
    app.advance(chrono::Duration::minutes(5));

    // Lu invites Ana's address: told whom to ask, and nothing changes.
    let page = post_in(&app, &lu, "/invite", &[("email", "ana@partner.example")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(
        page.has("ana@partner.example was already invited by Mo Member; ask them or an administrator"),
        "{}",
        page.body
    );
    app.assert_no_mail("ana@partner.example").await;
    assert_eq!(sponsors_of(&app, ana).await, ["mo@contoso.example"], "Lu became no sponsor");
    assert!(!get_in(&app, &lu, "/guests").await.has("Ana"));
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE email = 'ana@partner.example'").await, 1);
    assert!(!app.audit_actions().await.contains(&"invitation.resent".to_string()));
    let (browser, _) = app.new_browser();
    assert_eq!(Page::from(browser.get(&link).send().await.unwrap()).await.status, StatusCode::OK, "the link works");

    // Mo, its sponsor, sends it again; so does an admin, who becomes a sponsor by it.
    let page = post_in(&app, &mo, "/invite", &[("email", "ana@partner.example")]).await;
    assert!(page.has("a new link was sent"), "{}", page.body);
    app.one_mail("ana@partner.example").await;
    app.advance(chrono::Duration::minutes(5));
    let page = app.post("/admin/invitations", &[("email", "ana@partner.example"), ("send_email", "yes")]).await;
    assert!(page.has("had a pending invitation: a new link was sent"), "{}", page.body);
    app.one_mail("ana@partner.example").await;
    assert_eq!(sponsors_of(&app, ana).await.len(), 2);

    // After a revocation too, only a sponsor or an admin invites the address again.
    let page = post_in(&app, &mo, &format!("/guests/{ana}/revoke"), &[]).await;
    assert!(page.has("The invitation was revoked"), "{}", page.body);
    let page = post_in(&app, &lu, "/invite", &[("email", "ana@partner.example")]).await;
    assert!(page.has("was already invited by"), "{}", page.body);
    app.assert_no_mail("ana@partner.example").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invitations WHERE email = 'ana@partner.example' AND status = 'pending'").await,
        0
    );
    app
}
both!(a_member_cannot_take_over_another_sponsors_pending_guest);

async fn a_sponsor_removes_only_themself_and_never_the_last(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let (mo, mo_id) = add_member(&app, "mo@contoso.example", "Mo Member").await;
    let (lu, lu_id) = add_member(&app, "lu@contoso.example", "Lu Member").await;
    post_in(&app, &mo, "/invite", &[("email", "ana@partner.example")]).await;
    app.one_mail("ana@partner.example").await;
    let ana = app.user_id("ana@partner.example").await;
    let page = post_in(&app, &mo, &format!("/guests/{ana}/sponsors"), &[("email", "lu@contoso.example")]).await;
    assert!(page.has("Lu Member now sponsors this guest too"), "{}", page.body);

    // Lu may not push Mo out; the page offers Lu a Remove beside Lu's own name only.
    let page = get_in(&app, &lu, &format!("/guests/{ana}")).await;
    assert!(page.has(&format!("/sponsors/{lu_id}/remove")), "{}", page.body);
    assert!(!page.has(&format!("/sponsors/{mo_id}/remove")), "{}", page.body);
    let page = post_in(&app, &lu, &format!("/guests/{ana}/sponsors/{mo_id}/remove"), &[]).await;
    assert!(page.has("You can remove only yourself as a sponsor; ask Mo Member or an administrator"), "{}", page.body);
    assert_eq!(sponsors_of(&app, ana).await.len(), 2);
    assert!(!app.audit_actions().await.contains(&"user.sponsor_removed".to_string()));

    // An admin removes anyone but the last; the last sponsor cannot step back either.
    let page = app.get(&format!("/admin/users/{ana}")).await;
    assert!(page.has(&format!("/sponsors/{lu_id}/remove")) && page.has(&format!("/sponsors/{mo_id}/remove")));
    let page = app.post(&format!("/guests/{ana}/sponsors/{lu_id}/remove"), &[("back", "admin")]).await;
    assert!(page.has("Lu Member no longer sponsors this guest"), "{}", page.body);
    let page = app.post(&format!("/guests/{ana}/sponsors/{mo_id}/remove"), &[("back", "admin")]).await;
    assert!(page.has("keeps at least one sponsor"), "{}", page.body);
    let page = post_in(&app, &mo, &format!("/guests/{ana}/sponsors/{mo_id}/remove"), &[]).await;
    assert!(page.has("keeps at least one sponsor"), "{}", page.body);
    assert_eq!(sponsors_of(&app, ana).await, ["mo@contoso.example"]);
    app
}
both!(a_sponsor_removes_only_themself_and_never_the_last);
