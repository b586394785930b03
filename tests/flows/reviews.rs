//! Issue 27 §2 (F12): access reviews. An admin starts a review; each reviewer gets one
//! link (opening it changes nothing); decisions are applied once at the end, with the
//! default for the undecided; removed guests and their sponsors are mailed; a recurring
//! review comes back; reminders at half time and two days before the end.

use chrono::Duration;
use reqwest::{Client, StatusCode};
use uuid::Uuid;

use crate::helpers::*;
use crate::sponsors::{add_member, get_in};
use vestibule::db::outbox::OutboxMessage;

const ROOT: &str = "root@contoso.example";
const ANA: &str = "ana@fabrikam.example";
const BO: &str = "bo@northwind.example";

/// Two guests invited by the admin (their sponsor), each with Team Board, redeemed.
async fn two_guests(app: &TestApp) -> (Client, Client, String) {
    app.sign_in_admin(ROOT).await;
    let board = app.add_app("Team Board", "https://board.example/").await;
    let mut browsers = Vec::new();
    for (email, name) in [(ANA, "Ana Fabrikam"), (BO, "Bo Northwind")] {
        let link = app.invite(email, &[("display_name", name), ("app", &board)]).await;
        let (b, _) = app.new_browser();
        assert!(app.redeem_as(&b, &link, email).await.has("Team Board"));
        app.take_mail(email).await;
        browsers.push(b);
    }
    app.take_mail(ROOT).await;
    let bo = browsers.pop().unwrap();
    (browsers.pop().unwrap(), bo, board)
}

fn review_form<'a>(over: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("name", "Quarterly partner review"),
        ("scope", "all"),
        ("reviewers", "sponsors"),
        ("fallback", ""),
        ("duration_days", "14"),
        ("recurrence", "quarterly"),
        ("undecided", "recommendation"),
    ];
    for (k, v) in over {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    form
}

/// Starts a review as the signed-in admin; its id.
async fn start_review(app: &TestApp, over: &[(&str, &str)]) -> Uuid {
    let page = app.post("/admin/reviews", &review_form(over)).await;
    assert!(page.has("has started"), "{}", logged().lines().rev().take(5).collect::<Vec<_>>().join("\n"));
    page.url.rsplit('/').next().unwrap().parse().unwrap()
}

fn review_link_in(m: &OutboxMessage) -> String {
    m.text_body
        .split_whitespace()
        .find(|w| w.contains("/review/"))
        .unwrap_or_else(|| panic!("no review link in: {}", m.text_body))
        .to_string()
}

/// A decision POSTed from `browser` on the page at `url`.
async fn decide_in(browser: &Client, url: &str, guests: &[Uuid], decision: &str, reason: &str) -> Page {
    let csrf = csrf_of(browser, url).await;
    let mut form = vec![("csrf", csrf.clone()), ("decision", decision.into()), ("reason", reason.into())];
    form.extend(guests.iter().map(|g| ("guest", g.to_string())));
    Page::from(browser.post(url).form(&form).send().await.unwrap()).await
}

async fn housekeeping(app: &TestApp) -> vestibule::flows::housekeeping::Done {
    vestibule::flows::housekeeping::run(&app.state).await.unwrap()
}

async fn decided(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM access_review_items WHERE decision IS NOT NULL").await
}

/// The sponsor keeps one guest and removes the other from the mailed link; at the end the
/// removal is applied (the guest blocked, mailed with Reply-To the reviewer; the sponsor
/// told), the result CSV says who decided what, and the quarterly review comes back.
async fn a_sponsor_keeps_one_guest_and_removes_another_and_the_review_recurs(app: TestApp) -> TestApp {
    two_guests(&app).await;
    let (ana_id, bo_id) = (app.user_id(ANA).await, app.user_id(BO).await);
    let id = start_review(&app, &[]).await;
    let mail = app.one_mail(ROOT).await;
    assert!(mail.subject.contains("Please review the access of 2 guests"), "{}", mail.subject);
    let link = review_link_in(&mail);

    // Opening the link (no sign-in needed) lists both with a recommendation; nothing changes.
    let (reviewer, _) = app.new_browser();
    let page = Page::from(reviewer.get(&link).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("Ana Fabrikam") && page.has("Bo Northwind") && page.has("signed in recently"), "{}", page.body);
    assert_eq!(decided(&app).await, 0, "opening changes nothing");

    let page = decide_in(&reviewer, &link, &[ana_id], "keep", "").await;
    assert!(page.has("Saved: keep 1 guest"), "{}", page.body);
    let page = decide_in(&reviewer, &link, &[bo_id], "remove", "The project ended").await;
    assert!(page.has("Saved: remove 1 guest") && page.has("The project ended"), "{}", page.body);
    assert_eq!(decided(&app).await, 2);
    let page = app.get(&format!("/admin/reviews/{id}")).await;
    assert!(page.has("100%") && page.has("Stop now and apply"), "{}", page.body);
    assert!(app.get("/admin/reviews").await.has("Quarterly partner review"));

    // Half time: everything is decided, so nobody is reminded.
    app.advance(Duration::days(8));
    assert_eq!(housekeeping(&app).await.review_reminders, 0);
    // The end: applied once; Bo is blocked and deleted (the default end-of-access policy).
    app.advance(Duration::days(7));
    let done = housekeeping(&app).await;
    assert_eq!(done.reviews_applied, 1);
    assert_eq!(housekeeping(&app).await.reviews_applied, 0, "once");
    let told = app.one_mail(BO).await;
    assert!(told.subject.contains("has ended") && told.text_body.contains("The project ended"), "{}", told.text_body);
    assert!(told.reply_to.contains(ROOT), "replies reach the reviewer: {}", told.reply_to);
    let sponsor = app.one_mail(ROOT).await;
    assert!(sponsor.subject.contains("Bo Northwind no longer has access"), "{}", sponsor.subject);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL").await, 1);
    app.assert_no_mail(ANA).await;
    let kept =
        "SELECT COUNT(*) FROM assignments a JOIN users u ON u.id = a.user_id WHERE u.email = 'ana@fabrikam.example'";
    assert_eq!(app.count(kept).await, 1, "Ana keeps her app");
    let actions = app.audit_actions().await;
    for a in ["review.created", "review.started", "review.decided", "review.applied", "review.removed_access"] {
        assert!(actions.contains(&a.to_string()), "{a} in {actions:?}");
    }
    app.sign_in_admin(ROOT).await; // the admin's session lapsed over two weeks
    let csv = app.get(&format!("/admin/reviews/{id}/result.csv")).await.body;
    assert!(csv.contains("The project ended") && csv.contains(",removed") && csv.contains(",kept"), "{csv}");
    assert!(csv.contains(ROOT), "who decided: {csv}");
    // The API reads the review and each decision, in Graph's words.
    let key = crate::api::make_key(&app, "Review reader", &["reviews:read"]).await;
    let url = |path: &str| app.url(path);
    let get = |path: String| {
        let (key, url) = (key.clone(), url(&path));
        async move { crate::api::read(Client::new().get(url).bearer_auth(key).send().await.unwrap()).await }
    };
    let (status, list) = get("/api/v1/accessReviews".into()).await;
    assert_eq!(status, StatusCode::OK);
    // The next occurrence first (the newest start), then this one.
    assert_eq!(list["value"][0]["status"], "NotStarted", "{list}");
    assert_eq!(list["value"][1]["status"], "Applied", "{list}");
    assert_eq!(list["value"][1]["decisions"]["removed"], 1);
    assert_eq!(list["value"][0]["previousId"], id.to_string());
    let (_, one) = get(format!("/api/v1/accessReviews/{id}")).await;
    assert_eq!(
        (one["displayName"].as_str(), one["defaultDecision"].as_str()),
        (Some("Quarterly partner review"), Some("Recommendation"))
    );
    let (_, decisions) = get(format!("/api/v1/accessReviews/{id}/decisions?$top=1&$skip=1")).await;
    let d = &decisions["value"][0];
    assert_eq!(
        (d["principal"]["userPrincipalName"].as_str(), d["decision"].as_str()),
        (Some(BO), Some("Deny")),
        "{decisions}"
    );
    assert_eq!((d["justification"].as_str(), d["reviewedBy"].as_str()), (Some("The project ended"), Some(ROOT)));
    let (status, _) = get(format!("/api/v1/accessReviews/{}/decisions", Uuid::new_v4())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(format!("/api/v1/accessReviews/{id}/decisions?$skip=-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let other = crate::api::make_key(&app, "Inviter", &["invitations:write"]).await;
    let r = Client::new().get(app.url("/api/v1/accessReviews")).bearer_auth(other).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "the scope is needed");

    // Decisions are closed after the end.
    let page = Page::from(reviewer.get(&link).send().await.unwrap()).await;
    assert!(page.has("This review has ended") && !page.has("name=\"decision\""), "{}", page.body);
    let csrf = csrf_of(&reviewer, &app.url("/signin")).await;
    let form = [("csrf", csrf.as_str()), ("decision", "remove"), ("guest", &ana_id.to_string())];
    let page = Page::from(reviewer.post(&link).form(&form).send().await.unwrap()).await;
    assert!(page.has("decisions can no longer be changed"), "{}", page.body);

    // Three months after it started the next occurrence starts, with the guests left; Bo's
    // data was purged meanwhile, the review's record of him included.
    assert_eq!(app.count("SELECT COUNT(*) FROM access_reviews WHERE status = 'scheduled'").await, 1);
    app.advance(Duration::days(80));
    let done = housekeeping(&app).await;
    assert_eq!((done.reviews_started, done.purged), (1, 1));
    let mail = app.one_mail(ROOT).await;
    assert!(mail.subject.contains("Please review the access of 1 guest"), "{}", mail.subject);
    assert_ne!(review_link_in(&mail), link, "a new link for the new occurrence");
    let dump = app.dump_database().await;
    assert!(!dump.contains(BO) && !dump.contains("Bo Northwind"), "Bo's data is gone");
    app
}
both!(a_sponsor_keeps_one_guest_and_removes_another_and_the_review_recurs);

/// A package's review by its approvers falls back to the named member when the package has
/// none; reminders at half time and two days before the end; nobody decides, and "remove"
/// takes the package's app only — the guest keeps what the package did not give.
async fn nobody_decides_and_the_default_removes_the_packages_access(app: TestApp) -> TestApp {
    let (ana, _bo, board) = two_guests(&app).await;
    let (_mia, _) = add_member(&app, "mia@contoso.example", "Mia Member").await;
    let atlas = crate::signup::package(&app, "Atlas", "none", &[], &[]).await;
    // Ana gets the package too, from her Access Panel (no approval needed).
    let page = crate::sponsors::post_in(&app, &ana, "/apps/request", &[("package", &atlas), ("reason", "Docs")]).await;
    assert!(page.status.is_success(), "{}", page.body);
    assert!(get_in(&app, &ana, "/apps").await.has("Atlas Wiki"));
    app.take_mail(ANA).await;
    app.take_mail(ROOT).await;
    let scope = format!("package:{atlas}");
    let over = [
        ("scope", scope.as_str()),
        ("reviewers", "approvers"),
        ("fallback", "mia@contoso.example"),
        ("duration_days", "10"),
        ("recurrence", "once"),
        ("undecided", "remove"),
    ];
    let id = start_review(&app, &over).await;
    let mail = app.one_mail("mia@contoso.example").await;
    assert!(mail.subject.contains("1 guest"), "{}", mail.subject);
    app.assert_no_mail(ROOT).await;

    app.advance(Duration::days(4));
    assert_eq!(housekeeping(&app).await.review_reminders, 0);
    app.advance(Duration::days(1));
    assert_eq!(housekeeping(&app).await.review_reminders, 1, "half time");
    assert_eq!(housekeeping(&app).await.review_reminders, 0, "once");
    let reminder = app.one_mail("mia@contoso.example").await;
    assert!(reminder.subject.starts_with("Reminder:"), "{}", reminder.subject);
    assert_eq!(review_link_in(&reminder), review_link_in(&mail), "the same link");
    app.advance(Duration::days(3));
    assert_eq!(housekeeping(&app).await.review_reminders, 1, "two days before the end");
    app.take_mail("mia@contoso.example").await;

    app.advance(Duration::days(3));
    assert_eq!(housekeeping(&app).await.reviews_applied, 1);
    let told = app.one_mail(ANA).await;
    assert!(told.subject.contains("the access package Atlas"), "{}", told.subject);
    assert!(told.reply_to.is_empty(), "nobody decided, nobody to reply to");
    assert!(app.one_mail(ROOT).await.subject.contains("Ana Fabrikam no longer has access to the access package Atlas"));
    // Ana signs in again (two weeks went by): Team Board stays, Atlas Wiki went.
    let apps = app.first_factor_in(&ana, ANA).await;
    assert!(apps.has("Team Board") && !apps.has("Atlas Wiki"), "{}", apps.body);
    app.take_mail(ANA).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM package_grants").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE state = 'blocked' OR deleted_at IS NOT NULL").await, 0);
    app.sign_in_admin(ROOT).await;
    let page = app.get(&format!("/admin/reviews/{id}?show=removed")).await;
    assert!(page.has("Removed (nobody decided)") && page.has("Ana Fabrikam"), "{}", page.body);
    let _ = board;
    app
}
both!(nobody_decides_and_the_default_removes_the_packages_access);

/// Two workers reach a review's end at the same moment: it is applied once, one mail each.
async fn two_workers_apply_a_review_once(app: TestApp) -> TestApp {
    two_guests(&app).await;
    start_review(&app, &[("undecided", "remove"), ("recurrence", "once")]).await;
    app.take_mail(ROOT).await;
    app.advance(Duration::days(15));
    let (a, b) = tokio::join!(
        vestibule::flows::reviews::apply_due(&app.state),
        vestibule::flows::reviews::apply_due(&app.state)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(app.take_mail(ANA).await.len(), 1);
    assert_eq!(app.take_mail(BO).await.len(), 1);
    assert_eq!(app.take_mail(ROOT).await.len(), 2, "the sponsor hears of each");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'review.applied'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'review.removed_access'").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM access_reviews WHERE status = 'scheduled'").await, 0, "once");
    app
}
both!(two_workers_apply_a_review_once);

/// Guests attest themselves; a link is its reviewer's own; wrong input is refused and
/// decides nothing; the admin's form says what is wrong; members find their reviews in
/// the Access Panel; stopping early applies at once.
async fn guests_attest_and_wrong_input_decides_nothing(app: TestApp) -> TestApp {
    let (ana, _bo, _) = two_guests(&app).await;
    let (ana_id, bo_id) = (app.user_id(ANA).await, app.user_id(BO).await);
    // The form's refusals.
    let page = app.post("/admin/reviews", &review_form(&[("reviewers", "approvers")])).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("approvers can review only the guests of that package"), "{}", page.body);
    let page = app.post("/admin/reviews", &review_form(&[("name", " "), ("duration_days", "999")])).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = app.post("/admin/reviews", &review_form(&[("fallback", "ana@fabrikam.example")])).await;
    assert!(page.has("is not a member"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM access_reviews").await, 0);

    let id = start_review(&app, &[("reviewers", "guests"), ("recurrence", "once")]).await;
    let to_ana = app.one_mail(ANA).await;
    assert!(to_ana.subject.contains("Do you still need access to Contoso?"), "{}", to_ana.subject);
    let ana_link = review_link_in(&to_ana);
    let bo_link = review_link_in(&app.one_mail(BO).await);
    // Ana's browser is signed in as Ana: Bo's link is not hers.
    let page = Page::from(ana.get(&bo_link).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("This link is for another reviewer"), "{}", page.body);
    // Bo is not Ana's to review, whatever the form says.
    let page = decide_in(&ana, &ana_link, &[bo_id], "remove", "").await;
    assert!(page.has("not yours to review"), "{}", page.body);
    let long = "x".repeat(600);
    let page = decide_in(&ana, &ana_link, &[ana_id], "keep", &long).await;
    assert!(page.has("at most 500 characters"), "{}", page.body);
    let csrf = csrf_of(&ana, &ana_link).await;
    let form = [("csrf", csrf.as_str()), ("decision", "maybe"), ("guest", &ana_id.to_string())];
    assert_eq!(ana.post(&ana_link).form(&form).send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    let form = [("decision", "keep"), ("guest", &ana_id.to_string())];
    assert_eq!(ana.post(&ana_link).form(&form).send().await.unwrap().status(), StatusCode::FORBIDDEN, "no CSRF");
    let page = Page::from(Client::new().get(format!("{ana_link}x")).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "a made-up link");
    assert_eq!(decided(&app).await, 0);
    // Ana attests; a double click changes nothing more.
    for _ in 0..2 {
        let page = decide_in(&ana, &ana_link, &[ana_id], "keep", "Still on the project").await;
        assert!(page.has("You answered") && page.has("I still need it"), "{}", page.body);
    }
    assert_eq!(decided(&app).await, 1);
    // Bo is blocked meanwhile: his link no longer decides, nor shows anyone.
    app.post(&format!("/admin/users/{bo_id}/block"), &[]).await;
    let page = Page::from(Client::new().get(&bo_link).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("no longer yours to use") && !page.has("Bo Northwind"), "{}", page.body);

    // The admin is nobody's reviewer here; their panel says so, and the page is not theirs.
    assert!(app.get("/reviews").await.has("Nothing to review"));
    assert_eq!(app.get(&format!("/reviews/{id}")).await.status, StatusCode::NOT_FOUND);
    // Stopping early applies now: Bo said nothing and is recommended to keep.
    let page = app.post(&format!("/admin/reviews/{id}/stop"), &[("status", "running")]).await;
    assert!(page.has("stopped and its decisions applied") && page.has("stopped early by"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM access_review_items WHERE outcome = 'kept_by_default'").await, 1);
    let page = app.post(&format!("/admin/reviews/{id}/stop"), &[("status", "running")]).await;
    assert!(page.has("Nothing was changed"), "a second click: {}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'review.applied'").await, 1);
    app
}
both!(guests_attest_and_wrong_input_decides_nothing);

/// A member reviews from the Access Panel: the list, the page, all shown at once.
async fn members_review_from_the_access_panel(app: TestApp) -> TestApp {
    let (_ana, _bo, _) = two_guests(&app).await;
    let id = start_review(&app, &[("recurrence", "once")]).await;
    app.take_mail(ROOT).await;
    let page = app.get("/reviews").await;
    assert!(page.has("Quarterly partner review") && page.has("2 still to decide"), "{}", page.body);
    let page = app.get(&format!("/reviews/{id}?show=undecided")).await;
    assert!(page.has("Accept the recommendations"), "{}", page.body);
    let ids = [app.user_id(ANA).await, app.user_id(BO).await];
    // Ana first, on her own row; then the buttons for all shown leave her decision standing.
    let ana = ids[0].to_string();
    let page =
        app.post(&format!("/reviews/{id}"), &[("decision", "remove"), ("guest", &ana), ("reason", "Done")]).await;
    assert!(page.has("Saved: remove 1 guest"), "{}", page.body);
    let mut form = vec![("decision", "keep".to_string()), ("back", "?show=all".into()), ("only", "undecided".into())];
    form.extend(ids.iter().map(|g| ("guest", g.to_string())));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = app.post(&format!("/reviews/{id}"), &form).await;
    assert!(page.has("Saved: keep 1 guest"), "{}", page.body);
    assert!(page.url.ends_with("?show=all"), "{}", page.url);
    assert_eq!(decided(&app).await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM access_review_items WHERE decision = 'remove'").await,
        1,
        "Ana's stands"
    );
    let page = app.post(&format!("/reviews/{id}?show=undecided"), &form).await;
    assert!(page.has("every guest shown has a decision already"), "{}", page.body);
    // A hundred and one guests at once is more than a page: refused, nothing decided.
    let many: Vec<String> = (0..101).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let mut form = vec![("decision", "keep")];
    form.extend(many.iter().map(|g| ("guest", g.as_str())));
    assert!(app.post(&format!("/reviews/{id}"), &form).await.has("at most 100 guests at once"));
    app
}
both!(members_review_from_the_access_panel);

/// A review of one day reminds once, at half time — not twice at once, never before.
async fn a_short_review_reminds_once(app: TestApp) -> TestApp {
    two_guests(&app).await;
    start_review(&app, &[("duration_days", "1"), ("recurrence", "once")]).await;
    app.take_mail(ROOT).await;
    app.advance(Duration::hours(11));
    assert_eq!(housekeeping(&app).await.review_reminders, 0);
    app.advance(Duration::hours(2));
    assert_eq!(housekeeping(&app).await.review_reminders, 1);
    app.advance(Duration::hours(10));
    assert_eq!(housekeeping(&app).await.review_reminders, 0, "one reminder");
    assert!(app.one_mail(ROOT).await.subject.contains("2 guests wait"));
    app.advance(Duration::hours(2));
    assert_eq!(housekeeping(&app).await.reviews_applied, 1);
    app.take_mail(ROOT).await;
    app.take_mail(ANA).await;
    app.take_mail(BO).await;
    app
}
both!(a_short_review_reminds_once);
