//! Issue 27 (F12): a guest leaves from their profile — access ends at once, sponsors are
//! told — an admin can restore the account for 30 days, and then the worker purges the
//! person's data while the audit log stays whole under a pseudonym. "Download your data".
//! And the end-of-access policy, when a guest's last assignment ends.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use crate::sponsors::get_in;

const GUEST: &str = "pat@fabrikam.example";
const NAME: &str = "Pat Partnerova";

async fn post_in(app: &TestApp, browser: &reqwest::Client, path: &str) -> Page {
    let csrf = csrf_of(browser, &app.url("/profile")).await;
    Page::from(browser.post(app.url(path)).form(&[("csrf", csrf.as_str())]).send().await.unwrap()).await
}

async fn a_guest_leaves_is_restored_and_is_purged_30_days_after_leaving_again(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let board = app.add_app("Team Board", "https://board.example/").await;
    let link = app.invite(GUEST, &[("display_name", NAME), ("app", &board)]).await;
    let (guest, _) = app.new_browser();
    let page = app.redeem_as(&guest, &link, GUEST).await;
    assert!(page.has("Team Board"), "{}", page.body);
    let id = app.user_id(GUEST).await;

    // The profile offers both; the leave page says what goes, and changes nothing.
    let profile = get_in(&app, &guest, "/profile").await;
    assert!(profile.has("Download your data") && profile.has("href=\"/profile/leave\""), "{}", profile.body);
    let page = get_in(&app, &guest, "/profile/leave").await;
    assert!(page.has("Team Board") && page.has("Leave Contoso") && page.has("restore your account until"));
    let data: Value = guest.get(app.url("/profile/data")).send().await.unwrap().json().await.unwrap();
    assert_eq!(data["profile"]["email"], GUEST);
    assert_eq!(data["apps"][0], "Team Board");
    assert!(data["identities"][0]["issuer"].as_str().is_some_and(|i| i.ends_with("/email-code")), "{data}");
    assert!(data["signIns"].as_array().is_some_and(|s| !s.is_empty()), "{data}");
    assert_eq!(data["acceptedTerms"]["version"], "2026-1");

    // Leaving: signed out, the sponsor told, audited; signing in again is refused.
    let page = post_in(&app, &guest, "/profile/leave").await;
    assert!(page.has("You left Contoso"), "{}", page.body);
    let page = get_in(&app, &guest, "/apps").await;
    assert!(page.url.contains("/signin"), "signed out: {}", page.url);
    let told = app.one_mail("root@contoso.example").await;
    assert!(told.subject.contains(&format!("{NAME} left Contoso")), "{}", told.subject);
    assert!(app.audit_actions().await.contains(&"user.left".to_string()));
    let page = app.first_factor_in(&guest, GUEST).await;
    assert!(!page.url.ends_with("/apps"), "a left guest cannot sign in: {}", page.url);
    // A second click on Leave (a stale page): nothing more happens.
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL").await, 1);

    // The admin sees it and restores it; the guest signs in again and finds the app.
    let page = app.get(&format!("/admin/users/{id}")).await;
    assert!(page.has("left the organization") && page.has("Restore account"), "{}", page.body);
    let page = app.post(&format!("/admin/users/{id}/unblock"), &[]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "unblocking is not restoring");
    let page = app.post(&format!("/admin/users/{id}/restore"), &[]).await;
    assert!(page.has("The account is restored"), "{}", page.body);
    let page = app.first_factor_in(&guest, GUEST).await;
    assert!(page.url.ends_with("/apps") && page.has("Team Board"), "{} {}", page.url, page.body);

    // Leaves again; 29 days later nothing is purged, 31 days later everything personal is.
    let subject = data["identities"][0]["subject"].as_str().unwrap().to_string();
    post_in(&app, &guest, "/profile/leave").await;
    app.take_mail("root@contoso.example").await;
    let events = app.count("SELECT COUNT(*) FROM audit_events").await;
    app.advance(Duration::days(29));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().purged, 0);
    app.advance(Duration::days(2));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().purged, 1);
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().purged, 0, "once");
    let dump = app.dump_database().await;
    for personal in [GUEST, NAME, subject.as_str()] {
        assert!(!dump.contains(personal), "{personal} is still kept:\n{}", lines_with(&dump, personal));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, events + 1, "the log stays whole");
    let renamed = app.count("SELECT COUNT(*) FROM audit_events WHERE target_label LIKE 'former user %'").await;
    assert!(renamed >= 5, "their events name a pseudonym ({renamed})");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE display_name = 'Pat Partnerova'").await, 0);
    app
}
both!(a_guest_leaves_is_restored_and_is_purged_30_days_after_leaving_again);

/// Members are the organization's own: they have no Leave page.
async fn members_do_not_leave_this_way(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    assert_eq!(app.get("/profile/leave").await.status, StatusCode::NOT_FOUND);
    assert!(!app.get("/profile").await.has("href=\"/profile/leave\""));
    let page = app.post("/profile/leave", &[]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL").await, 0);
    app
}
both!(members_do_not_leave_this_way);

/// A guest invited with a package that lasts 10 days and needs no approval; redeemed.
async fn guest_with_ten_days(app: &TestApp, email: &str, package: &str) -> uuid::Uuid {
    let pkg = crate::signup::package(app, package, "none", &[], &[("duration_days", "10")]).await;
    let form = [("email", email), ("package", pkg.as_str()), ("send_email", "yes")];
    assert!(app.post("/admin/invitations", &form).await.has("Invitation sent"));
    let link = redeem_link_in(&app.one_mail(email).await);
    let (guest, _) = app.new_browser();
    assert!(app.redeem_as(&guest, &link, email).await.has(&format!("{package} Wiki")));
    app.take_mail(email).await;
    app.user_id(email).await
}

async fn state_of(app: &TestApp, id: uuid::Uuid) -> (String, bool) {
    let mut c = app.state.db.acquire().await.unwrap();
    let u = vestibule::db::users::find(c.conn(), id).await.unwrap().unwrap();
    (u.state.as_str().to_string(), u.deleted_at.is_some())
}

/// By default a guest whose every assignment ended is blocked and deleted (restorable for
/// 30 days, then purged); once, even when the worker passes again.
async fn when_the_last_assignment_ends_the_guest_is_blocked_then_deleted(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let id = guest_with_ten_days(&app, GUEST, "Atlas").await;
    let pass = || async { vestibule::flows::housekeeping::run(&app.state).await.unwrap().access_ended };
    app.advance(Duration::days(9));
    assert_eq!(pass().await, 0);
    assert_eq!(state_of(&app, id).await, ("accepted".to_string(), false));
    app.advance(Duration::days(2));
    assert_eq!(pass().await, 1);
    assert_eq!(state_of(&app, id).await, ("blocked".to_string(), true));
    assert!(app.audit_actions().await.contains(&"user.access_ended".to_string()));
    assert_eq!(pass().await, 0, "applied once");
    app.advance(Duration::days(31));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().purged, 1);
    app
}
both!(when_the_last_assignment_ends_the_guest_is_blocked_then_deleted);

/// With the policy "nothing" the account stays as it is; with "block" it is blocked only.
async fn the_end_of_access_policy_is_the_admins_choice(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.post("/admin/settings", &settings_form(&[("end_of_access", "nothing")])).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    let kept = guest_with_ten_days(&app, GUEST, "Atlas").await;
    app.advance(Duration::days(11));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().access_ended, 1);
    assert_eq!(state_of(&app, kept).await, ("accepted".to_string(), false));
    app.sign_in_admin("root@contoso.example").await;
    let page = app.post("/admin/settings", &settings_form(&[("end_of_access", "block")])).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    let blocked = guest_with_ten_days(&app, "bo@fabrikam.example", "Borealis").await;
    app.advance(Duration::days(11));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().access_ended, 1);
    assert_eq!(state_of(&app, blocked).await, ("blocked".to_string(), false));
    assert_eq!(state_of(&app, kept).await, ("accepted".to_string(), false), "handled once");
    app
}
both!(the_end_of_access_policy_is_the_admins_choice);

fn lines_with(dump: &str, needle: &str) -> String {
    dump.lines().filter(|l| l.contains(needle)).collect::<Vec<_>>().join("\n")
}
