//! Issue 13: admins add members by address; members look after the guests they sponsor
//! (My guests: resend, revoke, extend, remove, sponsors one to five) and decide requests
//! from their Approvals page; sponsors hear of their guests' expiring access and requests.

use reqwest::{Client, StatusCode};
use uuid::Uuid;

use crate::helpers::*;
use crate::signup::{link_in, package, sign_up};

/// The admin adds a colleague on the users page; they redeem the mail's link in a browser of
/// their own. Returns that browser and the member's id.
pub(crate) async fn add_member(app: &TestApp, email: &str, name: &str) -> (Client, Uuid) {
    let page = app.post("/admin/members", &[("email", email), ("display_name", name)]).await;
    assert!(page.has(&format!("{email} was added as a member")), "{}", page.body);
    let mail = app.one_mail(email).await;
    assert!(mail.subject.contains("added you to Contoso"), "{}", mail.subject);
    assert!(mail.text_body.contains("as a member of Contoso"), "{}", mail.text_body);
    let link = redeem_link_in(&mail);
    let (browser, _) = app.new_browser();
    app.prove_with_code(&browser, &link, email).await;
    let consent = Page::from(browser.get(format!("{link}/consent")).send().await.unwrap()).await;
    assert!(consent.has("Join Contoso as a member"), "{}", consent.body);
    // A colleague is not a guest: no guests' terms, no "will see your name".
    assert!(!consent.has("Terms of use") && !consent.has("will see your name"), "{}", consent.body);
    let token = csrf_of(&browser, &link).await;
    let form = [("csrf", token.as_str())];
    Page::from(browser.post(format!("{link}/accept")).form(&form).send().await.unwrap()).await;
    let id = app.user_id(email).await;
    (browser, id)
}

/// A POST in `browser` with its CSRF token.
pub(crate) async fn post_in(app: &TestApp, browser: &Client, path: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = csrf_of(browser, &app.url("/apps")).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    Page::from(browser.post(app.url(path)).form(&form).send().await.unwrap()).await
}

pub(crate) async fn get_in(app: &TestApp, browser: &Client, path: &str) -> Page {
    Page::from(browser.get(app.url(path)).send().await.unwrap()).await
}

/// Signs `browser` in with an email code (its session had lapsed).
async fn sign_in_in(app: &TestApp, browser: &Client, email: &str) {
    let page = app.first_factor_in(browser, email).await;
    assert!(page.url.ends_with("/apps"), "{} {}", page.url, page.body);
}

async fn expires_at(app: &TestApp, id: Uuid) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut c = app.state.db.acquire().await.unwrap();
    vestibule::db::users::find(c.conn(), id).await.unwrap().unwrap().expires_at
}

async fn members_look_after_their_own_guests(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.post("/admin/settings", &settings_form(&[("guest_lifetime_days", "30")])).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    let (mo, mo_id) = add_member(&app, "mo@contoso.example", "Mo Member").await;
    let (lu, lu_id) = add_member(&app, "lu@contoso.example", "Lu Member").await;
    // An address that is taken is refused with the reason, and nothing is added.
    let page = app.post("/admin/members", &[("email", "mo@contoso.example")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("is a member of this organization already"), "{}", page.body);

    // Mo invites a partner and lands on My guests, which lists the pending invitation.
    let page = post_in(&app, &mo, "/invite", &[("email", "ana@partner.example"), ("display_name", "Ana")]).await;
    assert!(page.url.ends_with("/guests") && page.has("Invitation sent to ana@partner.example"), "{}", page.body);
    assert!(page.has("Ana") && page.has("Invited; the link works until <time datetime="), "{}", page.body);
    let ana_link = redeem_link_in(&app.one_mail("ana@partner.example").await);
    let ana_id = app.user_id("ana@partner.example").await;
    let (ana, _) = app.new_browser();
    app.redeem_as(&ana, &ana_link, "ana@partner.example").await;
    let ends = expires_at(&app, ana_id).await.expect("the guest lifetime starts at redemption");
    assert_eq!(ends - app.state.clock.now(), chrono::Duration::days(30), "the test clock stands still");
    let page = get_in(&app, &mo, "/guests").await;
    assert!(page.has(&format!("Active until {}", time_element(ends))), "{}", page.body);

    // Lu does not sponsor Ana: her page and every action are as if she did not exist.
    assert!(!get_in(&app, &lu, "/guests").await.has("Ana"));
    assert_eq!(get_in(&app, &lu, &format!("/guests/{ana_id}")).await.status, StatusCode::NOT_FOUND);
    for action in ["remove", "extend", "revoke", "resend", "sponsors"] {
        let page = post_in(&app, &lu, &format!("/guests/{ana_id}/{action}"), &[("email", "lu@contoso.example")]).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{action}");
    }
    let page = post_in(&app, &lu, &format!("/guests/{ana_id}/sponsors/{mo_id}/remove"), &[]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // A guest has no My guests of theirs to manage, and cannot reach another's.
    assert_eq!(get_in(&app, &ana, &format!("/guests/{ana_id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM user_sponsors").await, 1);

    // Mo names Lu a sponsor too; Lu now sees Ana. Addresses that are no member are refused.
    let page = post_in(&app, &mo, &format!("/guests/{ana_id}/sponsors"), &[("email", "lu@contoso.example")]).await;
    assert!(page.has("Lu Member now sponsors this guest too"), "{}", page.body);
    assert!(get_in(&app, &lu, "/guests").await.has("Ana"));
    let page = post_in(&app, &mo, &format!("/guests/{ana_id}/sponsors"), &[("email", "ana@partner.example")]).await;
    assert!(page.has("only members sponsor guests"), "{}", page.body);
    let page = post_in(&app, &mo, &format!("/guests/{ana_id}/sponsors"), &[("email", "not an address")]).await;
    assert!(page.has("email address"), "{}", page.body);
    let page = post_in(&app, &mo, &format!("/guests/{ana_id}/sponsors"), &[("email", "lu@contoso.example")]).await;
    assert!(page.has("sponsors this guest already"), "{}", page.body);
    // Up to five: three more members fill the list, a sixth is refused.
    for n in 3..=6 {
        let email = format!("m{n}@contoso.example");
        vestibule::flows::bootstrap::create_admin(
            &app.state,
            &vestibule::domain::EmailAddress::parse(&email).unwrap(),
            None,
        )
        .await
        .unwrap();
        let page = post_in(&app, &mo, &format!("/guests/{ana_id}/sponsors"), &[("email", email.as_str())]).await;
        if n < 6 {
            assert!(page.has("now sponsors this guest too"), "{n}: {}", page.body);
        } else {
            assert!(page.has("at most 5 sponsors"), "{}", page.body);
            assert!(!page.has("Add a sponsor"), "a full list offers no form");
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM user_sponsors").await, 5);
    // Lu steps back; the admin removes the others down to the last, who stays (a sponsor
    // removes only themself: tests/flows/hardening/sponsors_takeover.rs).
    let page = post_in(&app, &lu, &format!("/guests/{ana_id}/sponsors/{lu_id}/remove"), &[]).await;
    assert!(page.url.ends_with("/guests") && page.has("You no longer sponsor this guest"), "{}", page.body);
    for n in 3..=5 {
        let id = app.user_id(&format!("m{n}@contoso.example")).await;
        let page = app.post(&format!("/guests/{ana_id}/sponsors/{id}/remove"), &[("back", "admin")]).await;
        assert!(page.has("no longer sponsors this guest"), "{}", page.body);
    }
    let page = post_in(&app, &mo, &format!("/guests/{ana_id}/sponsors/{mo_id}/remove"), &[]).await;
    assert!(page.has("keeps at least one sponsor"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM user_sponsors").await, 1);

    // A week before Ana's access ends, Mo hears of it once; extending starts 30 days anew.
    app.advance(chrono::Duration::days(22));
    let done = vestibule::flows::housekeeping::run(&app.state).await.unwrap();
    assert_eq!(done.expiry_notices, 0);
    app.advance(chrono::Duration::days(2));
    let done = vestibule::flows::housekeeping::run(&app.state).await.unwrap();
    assert_eq!(done.expiry_notices, 1);
    let mail = app.one_mail("mo@contoso.example").await;
    assert_eq!(mail.subject, format!("Access for Ana ends on {}", utc_words(ends)));
    assert!(mail.text_body.contains("Hello Mo Member, you sponsor Ana (ana@partner.example)"), "{}", mail.text_body);
    assert!(link_in(&mail, "/guests/").ends_with(&ana_id.to_string()));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().expiry_notices, 0, "once");
    // Weeks later everyone signs in again.
    sign_in_in(&app, &mo, "mo@contoso.example").await;
    sign_in_in(&app, &ana, "ana@partner.example").await;
    let page = post_in(&app, &mo, &format!("/guests/{ana_id}/extend"), &[]).await;
    let ends = expires_at(&app, ana_id).await.unwrap();
    // A flash is plain text: it says the moment in UTC, and says so.
    assert!(page.has(&format!("Access now lasts until {}.", utc_words(ends))), "{}", page.body);
    assert_eq!(ends - app.state.clock.now(), chrono::Duration::days(30));
    // A second click the same day changes nothing, and says so.
    let page = post_in(&app, &mo, &format!("/guests/{ana_id}/extend"), &[]).await;
    assert!(
        page.has("Nothing changed: Ana&#39;s access already lasts until")
            || page.has("Nothing changed: Ana's access already lasts until"),
        "{}",
        page.body
    );
    assert!(page.has("flash refused"), "{}", page.body);
    assert_eq!(expires_at(&app, ana_id).await.unwrap(), ends);

    // A second invitation, sent again and then revoked from Ana's… from Bo's page.
    post_in(&app, &mo, "/invite", &[("email", "bo@partner.example")]).await;
    let first = redeem_link_in(&app.one_mail("bo@partner.example").await);
    let bo_id = app.user_id("bo@partner.example").await;
    let page = post_in(&app, &mo, &format!("/guests/{bo_id}/resend"), &[]).await;
    assert!(page.has("You can send it again in"), "{}", page.body);
    assert!(page.has("flash refused"), "{}", page.body);
    app.advance(chrono::Duration::minutes(2));
    let page = post_in(&app, &mo, &format!("/guests/{bo_id}/resend"), &[]).await;
    assert!(page.has("A new invitation link was sent"), "{}", page.body);
    let second = redeem_link_in(&app.one_mail("bo@partner.example").await);
    assert_ne!(first, second);
    let page = post_in(&app, &mo, &format!("/guests/{bo_id}/extend"), &[]).await;
    assert!(page.has("has not redeemed the invitation yet"), "{}", page.body);
    let page = post_in(&app, &mo, &format!("/guests/{bo_id}/revoke"), &[]).await;
    assert!(page.has("The invitation was revoked"), "{}", page.body);
    assert!(page.has("Invitation revoked or expired"), "{}", page.body);
    let (b, _) = app.new_browser();
    assert!(Page::from(b.get(&second).send().await.unwrap()).await.has("This invitation was withdrawn"));
    // Inviting Bo again after the revocation sends a fresh invitation.
    let page = post_in(&app, &mo, "/invite", &[("email", "bo@partner.example")]).await;
    assert!(page.has("a new link was sent"), "{}", page.body);
    app.one_mail("bo@partner.example").await;

    // Mo removes Ana: her session ends at once and the account is gone.
    assert_eq!(get_in(&app, &ana, "/apps").await.status, StatusCode::OK);
    let page = post_in(&app, &mo, &format!("/guests/{ana_id}/remove"), &[]).await;
    assert!(page.url.ends_with("/guests") && page.has("Ana was removed"), "{}", page.body);
    assert!(!page.has("ana@partner.example"));
    assert!(get_in(&app, &ana, "/apps").await.url.contains("/signin"));
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'ana@partner.example'").await, 0);
    let actions = app.audit_actions().await;
    for a in ["user.member_added", "user.sponsor_added", "user.sponsor_removed", "user.access_extended", "user.removed"]
    {
        assert!(actions.contains(&a.to_string()), "{a} audited");
    }
    app
}
both!(members_look_after_their_own_guests);

async fn admins_manage_sponsors_from_the_user_page(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let (_mo, mo_id) = add_member(&app, "mo@contoso.example", "Mo Member").await;
    let link = app.invite("ana@partner.example", &[]).await;
    let ana_id = app.user_id("ana@partner.example").await;
    let page = app.get(&format!("/admin/users/{ana_id}")).await;
    assert!(page.has("Sponsors") && page.has("Add a sponsor") && page.has("Remove guest"), "{}", page.body);
    // No lifetime in Settings: nothing to extend.
    assert!(!page.has("Extend access"));
    let page =
        app.post(&format!("/guests/{ana_id}/sponsors"), &[("email", "mo@contoso.example"), ("back", "admin")]).await;
    assert!(page.url.ends_with(&format!("/admin/users/{ana_id}")), "{}", page.url);
    assert!(page.has("Mo Member now sponsors this guest too"), "{}", page.body);
    let root_id = app.user_id("root@contoso.example").await;
    let page = app.post(&format!("/guests/{ana_id}/sponsors/{root_id}/remove"), &[("back", "admin")]).await;
    assert!(page.has("You no longer sponsor this guest"), "{}", page.body);
    assert!(page.url.ends_with(&format!("/admin/users/{ana_id}")), "an admin stays on the page: {}", page.url);
    let page = app.post(&format!("/guests/{ana_id}/extend"), &[("back", "admin")]).await;
    assert!(page.has("Guest access does not end in this organization"), "{}", page.body);
    // Members are not guests: they have no sponsors and cannot be removed this way.
    assert_eq!(app.post(&format!("/guests/{mo_id}/remove"), &[]).await.status, StatusCode::NOT_FOUND);
    let page = app.post(&format!("/guests/{ana_id}/remove"), &[("back", "admin")]).await;
    assert!(page.url.ends_with("/admin/users") && page.has("was removed"), "{}", page.body);
    let (b, _) = app.new_browser();
    assert_eq!(Page::from(b.get(&link).send().await.unwrap()).await.status, StatusCode::NOT_FOUND);
    app
}
both!(admins_manage_sponsors_from_the_user_page);

async fn members_decide_requests_from_their_approvals_page(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let (mo, mo_id) = add_member(&app, "mo@contoso.example", "Mo Member").await;
    let (lu, _) = add_member(&app, "lu@contoso.example", "Lu Member").await;
    // The package form finds members by name or address instead of listing everyone.
    let form = app.get("/admin/packages/new").await;
    assert!(!form.has("mo@contoso.example"), "no list of everyone");
    // A new package is offered to nobody until the admin ticks it.
    assert!(form.has(r#"name="published" value="yes" aria-describedby="published-hint" >"#), "{}", form.body);
    let found = app.post("/admin/packages", &[("name", "Atlas"), ("approver_q", "Mo Mem"), ("find", "yes")]).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.has(&format!("value=\"{mo_id}\"")) && !found.has("lu@contoso.example"), "{}", found.body);
    assert!(found.has("value=\"Atlas\""), "the typed fields stay");
    assert_eq!(app.count("SELECT COUNT(*) FROM access_packages").await, 0, "Find saves nothing");
    let none = app.post("/admin/packages", &[("name", "Atlas"), ("approver_q", "nobody-here"), ("find", "yes")]).await;
    assert!(none.has("No other member matches"), "{}", none.body);
    let pkg = package(&app, "Atlas", "any", &["mo@contoso.example"], &[]).await;
    app.sign_out().await;

    assert!(get_in(&app, &mo, "/approvals").await.has("Nothing waits for you"));
    let (partner, _) = app.new_browser();
    sign_up(&app, &partner, "pat@fabrikam.example", &pkg).await;
    app.one_mail("pat@fabrikam.example").await;
    app.one_mail("mo@contoso.example").await;
    let page = get_in(&app, &mo, "/approvals").await;
    assert!(page.has("Pat Partner asks for Atlas") && page.has("Project Atlas"), "{}", page.body);
    let approval = between(&page.body, "action=\"/approvals/", "\"").unwrap();
    // Lu is no approver: nothing waits for him, and Mo's approval is not his to use.
    assert!(get_in(&app, &lu, "/approvals").await.has("Nothing waits for you"));
    let page = post_in(&app, &lu, &format!("/approvals/{approval}"), &[("decision", "approve")]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // A form we did not send decides nothing.
    assert_eq!(
        post_in(&app, &mo, &format!("/approvals/{approval}"), &[("decision", "maybe")]).await.status,
        StatusCode::BAD_REQUEST
    );
    let page =
        post_in(&app, &mo, &format!("/approvals/{approval}"), &[("decision", "approve"), ("note", "Welcome")]).await;
    assert!(page.has("gets an invitation to") && page.has("by mail, with your note."), "{}", page.body);
    assert!(page.has("Nothing waits for you"), "{}", page.body);
    let again = post_in(&app, &mo, &format!("/approvals/{approval}"), &[("decision", "deny")]).await;
    assert!(again.has("Nothing was changed: this request was already approved"), "{}", again.body);
    let mail = app.one_mail("pat@fabrikam.example").await;
    assert!(mail.text_body.contains("approved by Mo Member"), "{}", mail.text_body);
    // Mo approved Pat, so Mo sponsors Pat; when Pat asks for more, Mo hears of it.
    let pat_link = redeem_link_in(&mail);
    app.redeem_as(&partner, &pat_link, "pat@fabrikam.example").await;
    assert!(get_in(&app, &mo, "/guests").await.has("Pat Partner"));
    app.sign_in_admin("root@contoso.example").await;
    let more = package(&app, "Borealis", "any", &["root@contoso.example"], &[]).await;
    let form = [("package", more.as_str()), ("reason", "Also Borealis")];
    let page = post_in(&app, &partner, "/apps/request", &form).await;
    assert!(page.has("Waiting for a decision"), "{}", page.body);
    let mail = app.one_mail("mo@contoso.example").await;
    assert_eq!(mail.subject, "Pat Partner asked for access to Borealis");
    assert!(mail.text_body.contains("Hello Mo Member, Pat Partner (pat@fabrikam.example), whom you sponsor"));
    app.one_mail("root@contoso.example").await;
    app.one_mail("pat@fabrikam.example").await;
    app
}
both!(members_decide_requests_from_their_approvals_page);
