//! F4 self-service sign-up and F5 sponsor approval, groups and access packages.

use reqwest::{Client, StatusCode};

use crate::helpers::*;

/// A word of a mail's text part that contains `part` (a link).
pub(crate) fn link_in(m: &vestibule::db::outbox::OutboxMessage, part: &str) -> String {
    m.text_body
        .split_whitespace()
        .find(|w| w.contains(part))
        .unwrap_or_else(|| panic!("no {part} link in: {}", m.text_body))
        .to_string()
}

/// A second member of the host, able to approve (created like the first admin).
pub(crate) async fn member(app: &TestApp, email: &str) {
    let email = vestibule::domain::EmailAddress::parse(email).unwrap();
    vestibule::flows::bootstrap::create_admin(&app.state, &email, None).await.unwrap();
}

fn id_of(users_page: &str) -> String {
    between(users_page, "/admin/users/", "\"").unwrap()
}

/// Admin (root) creates an app and a package; returns the package id.
pub(crate) async fn package(
    app: &TestApp,
    name: &str,
    mode: &str,
    approvers: &[&str],
    extra: &[(&str, &str)],
) -> String {
    let mut ids = Vec::new();
    for email in approvers {
        ids.push(id_of(&app.get(&format!("/admin/users?q={email}")).await.body));
    }
    let wiki = app.add_app(&format!("{name} Wiki"), "https://wiki.contoso.example/").await;
    let mut form: Vec<(&str, &str)> = vec![
        ("name", name),
        ("description", "Docs and wiki for the project"),
        ("approval_mode", mode),
        ("app", &wiki),
        ("published", "yes"),
    ];
    for id in &ids {
        form.push(("approver", id));
    }
    form.extend_from_slice(extra);
    let page = app.post("/admin/packages", &form).await;
    assert!(page.has(&format!("The access package {name} was created")), "{}", page.body);
    let at = page.body.find(&format!(">{name}</a>")).unwrap();
    let start = page.body[..at].rfind("/admin/packages/").unwrap() + "/admin/packages/".len();
    page.body[start..at - 1].to_string()
}

/// A partner fills in `/signup` in `browser` and confirms the code; returns the status page.
pub(crate) async fn sign_up(app: &TestApp, browser: &Client, email: &str, package_id: &str) -> Page {
    let token = csrf_of(browser, &app.url("/signup")).await;
    let form = [
        ("csrf", token.as_str()),
        ("name", "Pat Partner"),
        ("email", email),
        ("company", "Fabrikam"),
        ("reason", "Project Atlas"),
        ("package", package_id),
        ("accept_terms", "yes"),
        ("website", ""),
    ];
    let page = Page::from(browser.post(app.url("/signup")).form(&form).send().await.unwrap()).await;
    assert!(page.has("Check your mail"), "{}", page.body);
    let code = code_in(&app.one_mail(email).await);
    let form = [("csrf", token.as_str()), ("code", code.as_str())];
    let page = Page::from(browser.post(app.url("/signup/verify")).form(&form).send().await.unwrap()).await;
    assert!(page.url.contains("/signup/status/"), "{} {}", page.url, page.body);
    assert!(page.has("Waiting for a decision") || page.has("Approved"), "{}", page.body);
    // A date, not a person: "Decided by: 21 December" read like the approver's name.
    assert!(!page.has("Decided by"), "{}", page.body);
    if page.has("Waiting for a decision") {
        assert!(page.has("Decision expected by"), "{}", page.body);
    }
    page
}

async fn status_of(app: &TestApp) -> String {
    let mut c = app.state.db.acquire().await.unwrap();
    let rows = vestibule::db::requests::list(c.conn(), None, 10).await.unwrap();
    rows[0].status.as_str().to_string()
}

async fn a_partner_signs_up_a_sponsor_approves_and_the_partner_redeems(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    member(&app, "sam@contoso.example").await;
    // The package also adds to a group whose app the partner should see.
    let board = app.add_app("Atlas Board", "https://board.contoso.example/").await;
    let page = app.post("/admin/groups", &[("name", "Atlas team"), ("app", &board)]).await;
    assert!(page.has("The group Atlas team was created"), "{}", page.body);
    let group =
        between(&page.url, "/admin/groups/", "?").unwrap_or_else(|| page.url.rsplit('/').next().unwrap().into());
    let pkg = package(
        &app,
        "Atlas",
        "any",
        &["root@contoso.example", "sam@contoso.example"],
        &[("group", &group), ("duration_days", "90")],
    )
    .await;
    app.sign_out().await;
    let signup = app.get("/signup").await;
    assert!(signup.has("Atlas") && signup.has("Docs and wiki for the project"));
    let (partner, _) = app.new_browser();
    let status = sign_up(&app, &partner, "pat@fabrikam.example", &pkg).await;
    let received = app.one_mail("pat@fabrikam.example").await;
    assert!(received.text_body.contains("/signup/status/"), "the partner gets their status link");
    let root_link = link_in(&app.one_mail("root@contoso.example").await, "/approve/");
    let sam_link = link_in(&app.one_mail("sam@contoso.example").await, "/approve/");
    // Opening the link (a mail scanner would) changes nothing.
    let (approver, _) = app.new_browser();
    let page = Page::from(approver.get(&root_link).send().await.unwrap()).await;
    assert!(page.has("Pat Partner asks for access") && page.has("Project Atlas") && page.has("Approve"));
    assert_eq!(status_of(&app).await, "pending_approval");
    let token = csrf_of(&approver, &root_link).await;
    let form = [("csrf", token.as_str()), ("decision", "approve"), ("note", "Welcome to the Atlas team")];
    let page = Page::from(approver.post(&root_link).form(&form).send().await.unwrap()).await;
    // What happened for this partner, said once: they had no account, so they are invited.
    let said = "Approved: Pat Partner gets an invitation to Atlas by mail, with your note.";
    assert_eq!(page.body.matches(said).count(), 1, "the outcome is said once: {}", page.body);
    // The other approver's link now shows the outcome, and deciding there changes nothing.
    let (other, _) = app.new_browser();
    let page = Page::from(other.get(&sam_link).send().await.unwrap()).await;
    assert!(
        page.has("The request is approved (by root@contoso.example)") && !page.has("value=\"deny\""),
        "{}",
        page.body
    );
    // (A page with no form left on it: the session's CSRF token comes from another page.)
    let token = csrf_of(&other, &app.url("/signin")).await;
    let form = [("csrf", token.as_str()), ("decision", "deny"), ("note", "no")];
    let page = Page::from(other.post(&sam_link).form(&form).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.has("this request was already approved"));
    // The partner is told their request was approved, and by whom, with the link…
    let invitation = app.one_mail("pat@fabrikam.example").await;
    assert_eq!(invitation.subject, "Your request for Atlas was approved");
    assert!(invitation.text_body.contains("was approved by root."), "{}", invitation.text_body);
    // …with the approver's note, the apps and when the access ends.
    for words in ["root's note:", "Welcome to the Atlas team", "- Atlas Board", "This access lasts until"] {
        assert!(invitation.text_body.contains(words), "{words}: {}", invitation.text_body);
    }
    for words in ["Welcome to the Atlas team", "<li>Atlas Board</li>", "This access lasts until"] {
        assert!(invitation.html_body.contains(words), "{words}: {}", invitation.html_body);
    }
    assert!(!invitation.text_body.contains("did not expect"), "{}", invitation.text_body);
    // Mail runs no script: its dates say UTC, in the pages' words ("7 Dec 2026, 14:32 UTC").
    let until = between(&invitation.text_body, "This access lasts until ", ".").unwrap_or_default();
    let read = chrono::NaiveDateTime::parse_from_str(&until, "%d %b %Y, %H:%M UTC");
    assert!(read.is_ok(), "{until:?}: {}", invitation.text_body);
    let link = redeem_link_in(&invitation);
    // …and the invitation shows what the package gives.
    let landing = Page::from(partner.get(&link).send().await.unwrap()).await;
    assert!(landing.has("Atlas Wiki") && landing.has("Atlas Board"), "{}", landing.body);
    app.prove_with_code(&partner, &link, "pat@fabrikam.example").await;
    let token = csrf_of(&partner, &format!("{link}/consent")).await;
    let form = [("csrf", token.as_str()), ("accept_terms", "yes")];
    let page = Page::from(partner.post(format!("{link}/accept")).form(&form).send().await.unwrap()).await;
    assert!(page.url.ends_with("/apps") && page.has("Atlas Wiki") && page.has("Atlas Board"), "{}", page.body);
    let page = Page::from(partner.get(status.url.as_str()).send().await.unwrap()).await;
    assert!(page.has("Approved"));
    // 90 days later the package's access has ended.
    app.advance(chrono::Duration::days(91));
    app.sign_in_admin("root@contoso.example").await;
    let r = Page::from(partner.get(app.url("/apps")).send().await.unwrap()).await;
    assert!(!r.has("Atlas Wiki") && !r.has("Atlas Board"), "{}", r.body);
    let actions = app.audit_actions().await;
    for a in ["signup.started", "signup.submitted", "signup.approval_recorded", "signup.approved"] {
        assert!(actions.contains(&a.to_string()), "{a}");
    }
    app
}
both!(a_partner_signs_up_a_sponsor_approves_and_the_partner_redeems);

async fn in_all_mode_one_denial_denies_and_two_approvals_approve(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    member(&app, "sam@contoso.example").await;
    let pkg = package(&app, "Atlas", "all", &["root@contoso.example", "sam@contoso.example"], &[]).await;
    app.sign_out().await;
    let (partner, _) = app.new_browser();
    for (email, second) in [("pat@fabrikam.example", "deny"), ("lee@fabrikam.example", "approve")] {
        sign_up(&app, &partner, email, &pkg).await;
        app.one_mail(email).await;
        let root_link = link_in(&app.one_mail("root@contoso.example").await, "/approve/");
        let sam_link = link_in(&app.one_mail("sam@contoso.example").await, "/approve/");
        let (b, _) = app.new_browser();
        let token = csrf_of(&b, &root_link).await;
        let page = Page::from(
            b.post(&root_link).form(&[("csrf", token.as_str()), ("decision", "approve")]).send().await.unwrap(),
        )
        .await;
        assert!(page.has("waits for the other approvers"), "{}", page.body);
        // A replayed POST on a link that decided already changes nothing.
        let page = Page::from(
            b.post(&root_link).form(&[("csrf", token.as_str()), ("decision", "deny")]).send().await.unwrap(),
        )
        .await;
        assert_eq!(page.status, StatusCode::CONFLICT);
        assert!(page.has("your first decision counts"));
        let form = [("csrf", token.as_str()), ("decision", second), ("note", "Please ask via your project lead.")];
        let page = Page::from(b.post(&sam_link).form(&form).send().await.unwrap()).await;
        if second == "deny" {
            assert!(page.has("The request is denied"), "{}", page.body);
            let mail = app.one_mail(email).await;
            assert!(mail.subject.contains("Your request for Atlas"));
            assert!(mail.text_body.contains("was not approved"), "{}", mail.text_body);
            // The note is quoted with one full stop, and the partner is sent to their contact.
            assert!(mail.text_body.contains("“Please ask via your project lead.” If"), "{}", mail.text_body);
            assert!(mail.text_body.contains("ask your contact at Contoso"), "{}", mail.text_body);
            assert!(!mail.text_body.contains(".”."), "{}", mail.text_body);
        } else {
            assert!(page.has("Thank you. Approved: "), "{}", page.body);
            redeem_link_in(&app.one_mail(email).await);
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM signup_requests WHERE status = 'denied'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM signup_requests WHERE status = 'approved'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE created_via = 'self_service'").await, 1);
    app
}
both!(in_all_mode_one_denial_denies_and_two_approvals_approve);

async fn two_approvers_deciding_at_once_give_one_outcome(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    member(&app, "sam@contoso.example").await;
    let pkg = package(&app, "Atlas", "any", &["root@contoso.example", "sam@contoso.example"], &[]).await;
    app.sign_out().await;
    let (partner, _) = app.new_browser();
    sign_up(&app, &partner, "pat@fabrikam.example", &pkg).await;
    app.one_mail("pat@fabrikam.example").await;
    let root_link = link_in(&app.one_mail("root@contoso.example").await, "/approve/");
    let sam_link = link_in(&app.one_mail("sam@contoso.example").await, "/approve/");
    let (a, _) = app.new_browser();
    let (b, _) = app.new_browser();
    let ta = csrf_of(&a, &root_link).await;
    let tb = csrf_of(&b, &sam_link).await;
    let fa = [("csrf", ta.as_str()), ("decision", "approve")];
    let fb = [("csrf", tb.as_str()), ("decision", "deny")];
    let (ra, rb) = tokio::join!(a.post(&root_link).form(&fa).send(), b.post(&sam_link).form(&fb).send());
    let mut statuses = vec![ra.unwrap().status(), rb.unwrap().status()];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::OK, StatusCode::CONFLICT], "exactly one decision counts");
    let approved = app.count("SELECT COUNT(*) FROM signup_requests WHERE status = 'approved'").await;
    let denied = app.count("SELECT COUNT(*) FROM signup_requests WHERE status = 'denied'").await;
    assert_eq!(approved + denied, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, approved);
    assert_eq!(app.take_mail("pat@fabrikam.example").await.len(), 1, "one invitation or one denial");
    app
}
both!(two_approvers_deciding_at_once_give_one_outcome);

async fn approvers_are_reminded_and_undecided_requests_expire(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let pkg = package(&app, "Atlas", "any", &["root@contoso.example"], &[]).await;
    app.sign_out().await;
    let (partner, _) = app.new_browser();
    let status = sign_up(&app, &partner, "pat@fabrikam.example", &pkg).await;
    app.one_mail("pat@fabrikam.example").await;
    let link = link_in(&app.one_mail("root@contoso.example").await, "/approve/");
    app.advance(chrono::Duration::days(2));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().reminders, 0);
    app.advance(chrono::Duration::days(1) + chrono::Duration::minutes(1));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().reminders, 1);
    let reminder = app.one_mail("root@contoso.example").await;
    assert!(reminder.subject.starts_with("Reminder:"));
    assert_eq!(link_in(&reminder, "/approve/"), link, "the reminder carries the same link");
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().reminders, 0, "reminded once");
    app.advance(chrono::Duration::days(11));
    assert_eq!(vestibule::flows::housekeeping::run(&app.state).await.unwrap().expired_requests, 1);
    let mail = app.one_mail("pat@fabrikam.example").await;
    assert!(mail.subject.contains("expired"));
    assert!(Page::from(partner.get(status.url.as_str()).send().await.unwrap()).await.has("Expired"));
    let (b, _) = app.new_browser();
    let page = Page::from(b.get(&link).send().await.unwrap()).await;
    assert!(page.has("expired before a decision") && !page.has("value=\"approve\""));
    let token = csrf_of(&b, &app.url("/signin")).await;
    let page =
        Page::from(b.post(&link).form(&[("csrf", token.as_str()), ("decision", "approve")]).send().await.unwrap())
            .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 0);
    app
}
both!(approvers_are_reminded_and_undecided_requests_expire);

async fn a_partner_withdraws_and_links_are_checked(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    member(&app, "sam@contoso.example").await;
    let pkg = package(&app, "Atlas", "any", &["root@contoso.example", "sam@contoso.example"], &[]).await;
    // Root's browser is signed in: Sam's link opened here is refused.
    let (partner, _) = app.new_browser();
    let status = sign_up(&app, &partner, "pat@fabrikam.example", &pkg).await;
    app.one_mail("pat@fabrikam.example").await;
    let root_link = link_in(&app.one_mail("root@contoso.example").await, "/approve/");
    let sam_link = link_in(&app.one_mail("sam@contoso.example").await, "/approve/");
    let page = app.get(&sam_link).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.has("This link is for another approver") && page.has("sam@contoso.example"));
    assert!(app.get(&root_link).await.has("value=\"approve\""), "one's own link works signed in");
    let forged = format!("{}x", root_link);
    assert_eq!(app.get(&forged).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("{}/approve/AAAA", app.base)).await.status, StatusCode::NOT_FOUND);
    // Withdraw.
    let token = csrf_of(&partner, &status.url).await;
    let page = Page::from(
        partner.post(format!("{}/withdraw", status.url)).form(&[("csrf", token.as_str())]).send().await.unwrap(),
    )
    .await;
    assert!(page.has("Withdrawn, as you asked"), "{}", page.body);
    assert!(app.one_mail("pat@fabrikam.example").await.subject.contains("withdrew"));
    let page = Page::from(
        partner.post(format!("{}/withdraw", status.url)).form(&[("csrf", token.as_str())]).send().await.unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "withdrawing twice changes nothing");
    assert!(app.get(&root_link).await.has("The partner withdrew the request"));
    assert_eq!(status_of(&app).await, "withdrawn");
    app
}
both!(a_partner_withdraws_and_links_are_checked);

async fn sign_up_obeys_domains_the_honeypot_and_the_rate_limit(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let pkg = package(&app, "Atlas", "none", &[], &[("domains", "fabrikam.example\nnorthwind.example")]).await;
    let form = settings_form(&[("domain_policy", "denylist"), ("domains", "northwind.example")]);
    assert!(app.post("/admin/settings", &form).await.has("The settings were saved"));
    app.sign_out().await;
    let post = |email: &'static str, website: &'static str, terms: &'static str| {
        let app = &app;
        let pkg = pkg.clone();
        async move {
            let fields = [
                ("name", "Pat"),
                ("email", email),
                ("company", "X"),
                ("package", pkg.as_str()),
                ("accept_terms", terms),
                ("website", website),
            ];
            app.post("/signup", &fields).await
        }
    };
    for (email, why) in [("eve@elsewhere.example", "the package's domains"), ("nia@northwind.example", "the denylist")]
    {
        let page = post(email, "", "yes").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert!(page.has("are not accepted for this access"), "{why}: {}", page.body);
        assert!(page.has(&format!("value=\"{email}\"")), "input kept");
    }
    let page = app
        .post("/signup", &[("name", ""), ("email", "bad"), ("package", "nope"), ("company", &"x".repeat(500))])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in ["Choose what you need access to.", "Accept the terms of use", "at most 120 characters"] {
        assert!(page.has(m), "{m}: {}", page.body);
    }
    // A bot fills the hidden field: it is told to check its mail, and nothing happens.
    let page = post("bot@fabrikam.example", "https://spam.example", "yes").await;
    assert!(page.has("Check your mail"));
    assert_eq!(app.count("SELECT COUNT(*) FROM signup_requests").await, 0);
    app.assert_no_mail("bot@fabrikam.example").await;
    // No approval: verified means granted. Then the per-IP brake.
    let (partner, _) = app.new_browser();
    let page = sign_up(&app, &partner, "pat@fabrikam.example", &pkg).await;
    assert!(page.has("Approved"), "{}", page.body);
    // One mail: the invitation. A status link would show nothing left to follow.
    let mail = app.one_mail("pat@fabrikam.example").await;
    assert!(mail.subject.contains("was approved"), "{}", mail.subject);
    for i in 1..10 {
        let email: &'static str = Box::leak(format!("p{i}@fabrikam.example").into_boxed_str());
        assert!(post(email, "", "yes").await.has("Check your mail"));
        app.one_mail(email).await;
    }
    let page = post("late@fabrikam.example", "", "yes").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    app.assert_no_mail("late@fabrikam.example").await;
    app
}
both!(sign_up_obeys_domains_the_honeypot_and_the_rate_limit);

async fn a_guest_requests_more_access_and_an_admin_decides(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let pkg = package(&app, "Atlas", "any", &["root@contoso.example"], &[]).await;
    let link = app.invite("ana@partner.example", &[]).await;
    assert!(app.get("/admin").await.has("<span class=\"stat\">0</span> requests to decide"));
    app.sign_out().await;
    let (guest, _) = app.new_browser();
    app.prove_with_code(&guest, &link, "ana@partner.example").await;
    let token = csrf_of(&guest, &format!("{link}/consent")).await;
    guest
        .post(format!("{link}/accept"))
        .form(&[("csrf", token.as_str()), ("accept_terms", "yes")])
        .send()
        .await
        .unwrap();
    let panel = Page::from(guest.get(app.url("/apps")).send().await.unwrap()).await;
    assert!(panel.has("Request access") && !panel.has("Atlas Wiki"));
    let token = csrf_of(&guest, &app.url("/apps/request")).await;
    let form = [("csrf", token.as_str()), ("package", pkg.as_str()), ("reason", "Joining Atlas")];
    let page = Page::from(guest.post(app.url("/apps/request")).form(&form).send().await.unwrap()).await;
    assert!(page.has("Waiting for a decision"), "{}", page.body);
    // A signed-in guest follows the request on their own page, not the public status page.
    assert!(page.url.ends_with("/apps/requests") && page.has("Your requests"), "{}", page.url);
    let received = app.one_mail("ana@partner.example").await;
    assert!(received.text_body.contains("/apps/requests"), "{}", received.text_body);
    assert!(!received.text_body.contains("/signup/status/"), "{}", received.text_body);
    app.one_mail("root@contoso.example").await;
    // The admin decides from the requests page instead of the mail.
    app.sign_in_admin("root@contoso.example").await;
    assert!(app.get("/admin").await.has("<span class=\"stat\">1</span> requests to decide"));
    let list = app.get("/admin/requests").await;
    assert!(list.has("Ana") || list.has("ana@partner.example"), "{}", list.body);
    let id = between(&list.body, "/admin/requests/", "\"").unwrap();
    let page = app.post(&format!("/admin/requests/{id}/decide"), &[("decision", "approve")]).await;
    // This partner could sign in already: the words say so, not "gets an invitation".
    assert!(page.has("now has Atlas and was told by mail."), "{}", page.body);
    assert!(!page.has("gets an invitation"), "{}", page.body);
    assert!(page.has("<dd>Approved (by root@contoso.example)"), "{}", page.body);
    assert!(page.has("no decision needed"), "the approver's link is moot now: {}", page.body);
    let page = app.post(&format!("/admin/requests/{id}/decide"), &[("decision", "deny")]).await;
    assert!(page.has("Nothing was changed"));
    let mail = app.one_mail("ana@partner.example").await;
    assert!(mail.subject.contains("You now have access to Atlas"), "an accepted guest is not invited again");
    let panel = Page::from(guest.get(app.url("/apps")).send().await.unwrap()).await;
    assert!(panel.has("Atlas Wiki"));
    app
}
both!(a_guest_requests_more_access_and_an_admin_decides);

async fn groups_give_their_members_apps(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let board = app.add_app("Atlas Board", "https://board.contoso.example/").await;
    let page = app.post("/admin/groups", &[("name", ""), ("app", &board)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Enter a name."));
    let page = app.post("/admin/groups", &[("name", "Atlas team"), ("description", "Core"), ("app", &board)]).await;
    let group_url = page.url.clone();
    assert!(app.post("/admin/groups", &[("name", "Atlas team")]).await.has("Another group has this name."));
    let link = app.invite("ana@partner.example", &[]).await;
    let path = group_url.trim_start_matches(&app.base).to_string();
    let page = app.post(&format!("{path}/members"), &[("email", "nobody@partner.example")]).await;
    assert!(page.has("There is no user nobody@partner.example"));
    let page = app.post(&format!("{path}/members"), &[("email", "ana@partner.example")]).await;
    assert!(page.has("was added to Atlas team") && page.has("ana@partner.example"), "{}", page.body);
    app.sign_out().await;
    let (guest, _) = app.new_browser();
    app.prove_with_code(&guest, &link, "ana@partner.example").await;
    let token = csrf_of(&guest, &format!("{link}/consent")).await;
    let page = Page::from(
        guest
            .post(format!("{link}/accept"))
            .form(&[("csrf", token.as_str()), ("accept_terms", "yes")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.has("Atlas Board"), "the group's app: {}", page.body);
    app.sign_in_admin("root@contoso.example").await;
    let user_id = between(&app.get(&path).await.body, "/members/", "/remove").unwrap();
    app.post(&format!("{path}/members/{user_id}/remove"), &[]).await;
    let page = Page::from(guest.get(app.url("/apps")).send().await.unwrap()).await;
    assert!(!page.has("Atlas Board"));
    let actions = app.audit_actions().await;
    assert!(
        actions.contains(&"group.member_added".to_string()) && actions.contains(&"group.member_removed".to_string())
    );
    app
}
both!(groups_give_their_members_apps);

/// Issue 26: an inviter offers an access package with the invitation; on redemption the
/// guest has it (no approval) or its approvers are asked. The admin form also takes groups
/// and further sponsors; an empty panel names the sponsor and offers Request access.
async fn an_invitation_offers_an_access_package(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    member(&app, "sam@contoso.example").await;
    let open = package(&app, "Atlas", "none", &[], &[]).await;
    let guarded = package(&app, "Board", "any", &["sam@contoso.example"], &[]).await;
    let group_page = app.post("/admin/groups", &[("name", "Partners")]).await;
    let group = between(&group_page.body, "/admin/groups/", "\"").unwrap();
    // A value the form never offered is refused next to the field, and nothing is written.
    let page = app
        .post("/admin/invitations", &[("email", "ana@partner.example"), ("package", "nonsense"), ("send_email", "yes")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Choose a package from the list."), "{}", page.body);
    let page = app
        .post("/admin/invitations", &[("email", "ana@partner.example"), ("sponsors", "nobody@partner.example")])
        .await;
    assert!(page.has("nobody@partner.example is not a member who can sign in"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 0);

    // No approval needed: the guest has the package's app as soon as they accept.
    let form = [("email", "ana@partner.example"), ("package", open.as_str()), ("send_email", "yes")];
    assert!(app.post("/admin/invitations", &form).await.has("Invitation sent"));
    let link = redeem_link_in(&app.one_mail("ana@partner.example").await);
    let (ana, _) = app.new_browser();
    let page = app.redeem_as(&ana, &link, "ana@partner.example").await;
    assert!(page.has("Atlas Wiki"), "{}", page.body);
    let mail = app.one_mail("ana@partner.example").await;
    assert_eq!(mail.subject, "You now have access to Atlas", "one mail, no \"we received your request\"");

    // With approval: the approver is asked once the guest is in; a group and a second
    // sponsor come with the invitation.
    let form = [
        ("email", "bo@partner.example"),
        ("package", guarded.as_str()),
        ("group", group.as_str()),
        ("sponsors", "sam@contoso.example"),
        ("send_email", "yes"),
    ];
    assert!(app.post("/admin/invitations", &form).await.has("Invitation sent"));
    let link = redeem_link_in(&app.one_mail("bo@partner.example").await);
    app.assert_no_mail("sam@contoso.example").await;
    let (stranger, _) = app.new_browser();
    let landing = Page::from(stranger.get(&link).send().await.unwrap()).await;
    assert!(
        landing.has("also offers you Board") && landing.has("the people who approve it decide"),
        "{}",
        landing.body
    );
    let (bo, _) = app.new_browser();
    let page = app.redeem_as(&bo, &link, "bo@partner.example").await;
    assert!(!page.has("Board Wiki"), "not before a decision: {}", page.body);
    // The empty panel says whom to ask and offers Request access.
    assert!(page.has("Your sponsor at Contoso is"), "{}", page.body);
    assert!(page.has(r#"<a class="button" href="/apps/request">Request access</a>"#), "{}", page.body);
    let received = app.one_mail("bo@partner.example").await;
    assert!(received.subject.contains("Your request for Board"), "{}", received.subject);
    let approval = app.take_mail("sam@contoso.example").await;
    assert!(approval.iter().any(|m| m.text_body.contains("/approve/")), "the approver is asked");
    let bo_id = app.user_id("bo@partner.example").await;
    let sponsors = app.get(&format!("/admin/users/{bo_id}")).await;
    assert!(sponsors.has("Remove sam as sponsor"), "{}", sponsors.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM group_members").await, 1, "bo joined the group");
    let requests = app.get("/admin/requests").await;
    assert!(requests.has("Board"), "{}", requests.body);
    app
}
both!(an_invitation_offers_an_access_package);

/// A signed-in guest withdraws their own request from their requests page; another
/// person's request cannot be withdrawn there.
async fn a_guest_withdraws_their_own_request(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let pkg = package(&app, "Atlas", "any", &["root@contoso.example"], &[]).await;
    let link = app.invite("ana@partner.example", &[]).await;
    app.sign_out().await;
    let (ana, _) = app.new_browser();
    app.redeem_as(&ana, &link, "ana@partner.example").await;
    let token = csrf_of(&ana, &app.url("/apps/request")).await;
    let form = [("csrf", token.as_str()), ("package", pkg.as_str()), ("reason", "Joining Atlas")];
    let page = Page::from(ana.post(app.url("/apps/request")).form(&form).send().await.unwrap()).await;
    assert!(page.has("Your request was sent"), "{}", page.body);
    let id = between(&page.body, "/apps/requests/", "/withdraw").unwrap();
    // Someone else (the admin, signed in) cannot withdraw it.
    app.sign_in_admin("root@contoso.example").await;
    let other = app.post(&format!("/apps/requests/{id}/withdraw"), &[]).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let token = csrf_of(&ana, &app.url("/apps/requests")).await;
    let url = app.url(&format!("/apps/requests/{id}/withdraw"));
    let page = Page::from(ana.post(&url).form(&[("csrf", token.as_str())]).send().await.unwrap()).await;
    assert!(page.has("Your request was withdrawn") && page.has("Withdrawn"), "{}", page.body);
    let again = Page::from(ana.post(&url).form(&[("csrf", token.as_str())]).send().await.unwrap()).await;
    assert!(again.has("Nothing changed") && again.has("flash refused"), "{}", again.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM signup_requests WHERE status = 'withdrawn'").await, 1);
    app.take_mail("ana@partner.example").await;
    app.take_mail("root@contoso.example").await;
    app
}
both!(a_guest_withdraws_their_own_request);
