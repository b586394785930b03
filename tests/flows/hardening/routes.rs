//! Issue 23: every route declares its audience, and this test holds the table to it. It
//! signs in as each kind of person and calls every route of `web::routes` with every
//! method; a route added without an audience does not compile, and one whose gate lets in
//! the wrong person fails here. Handlers run with no form (a refused form changes nothing),
//! so only the gate's answer is read.

use chrono::Duration;
use reqwest::{Client, Method, StatusCode};
use vestibule::web::audience::Audience;

use crate::helpers::*;

const ADMIN: &str = "root@contoso.example";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Person {
    Anonymous,
    /// An admin with an authenticator app, signed in with the email code only.
    PendingSecondStep,
    Guest,
    Member,
    Inviter,
    /// The inviter, asking for a guest someone else sponsors.
    SponsorOfAnother,
    AdminWithoutRecentStep,
    Admin,
    Blocked,
    Expired,
}

/// What the gate must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Whatever the handler says (the gate let the request through).
    Through,
    ToSignIn,
    ToSecondStep,
    ToSecondStepAgain,
    Forbidden,
    /// Through the gate, then the flow's 404: not one of this person's guests.
    NotFound,
}

fn expect(audience: Audience, who: Person, method: &Method) -> Expect {
    use Audience as A;
    use Person as P;
    let signed_out = matches!(who, P::Anonymous | P::Blocked | P::Expired);
    match audience {
        A::Anyone | A::LinkHolder | A::AppSignIn | A::App | A::Scraper | A::Api(_) => Expect::Through,
        _ if signed_out => Expect::ToSignIn,
        A::SecondStep => Expect::Through,
        A::Enrollment => match who {
            P::PendingSecondStep => Expect::ToSecondStep,
            P::AdminWithoutRecentStep => Expect::ToSecondStepAgain,
            _ => Expect::Through,
        },
        _ if who == P::PendingSecondStep => Expect::ToSecondStep,
        A::SignedIn | A::SignedInBeforeTerms | A::ApproverOfRequest | A::ReviewerOfReview => Expect::Through,
        A::SponsorOfGuest if who == P::SponsorOfAnother && method == Method::GET => Expect::NotFound,
        A::SponsorOfGuest => Expect::Through,
        A::RecentSecondStep if who == P::AdminWithoutRecentStep => Expect::ToSecondStepAgain,
        A::RecentSecondStep => Expect::Through,
        A::Member if who == P::Guest => Expect::Forbidden,
        A::Member => Expect::Through,
        A::Inviter if matches!(who, P::Inviter | P::SponsorOfAnother | P::Admin | P::AdminWithoutRecentStep) => {
            Expect::Through
        }
        A::Inviter => Expect::Forbidden,
        A::Admin if matches!(who, P::Admin | P::AdminWithoutRecentStep) => Expect::Through,
        A::AdminRecentSecondStep if who == P::Admin => Expect::Through,
        A::AdminRecentSecondStep if who == P::AdminWithoutRecentStep => Expect::ToSecondStepAgain,
        A::Admin | A::AdminRecentSecondStep => Expect::Forbidden,
    }
}

/// What the gate answered, read from the response.
fn answered(status: StatusCode, location: &str) -> Expect {
    if status == StatusCode::SEE_OTHER && location.starts_with("/signin?next=") {
        Expect::ToSignIn
    } else if status == StatusCode::SEE_OTHER && location.starts_with("/mfa?again=1&next=") {
        Expect::ToSecondStepAgain
    } else if status == StatusCode::SEE_OTHER && location.starts_with("/mfa?next=") {
        Expect::ToSecondStep
    } else if status == StatusCode::FORBIDDEN {
        Expect::Forbidden
    } else if status == StatusCode::NOT_FOUND {
        Expect::NotFound
    } else {
        Expect::Through
    }
}

/// The path with its parameters filled: `guest` for a guest's id, made-up values else.
fn fill(pattern: &str, guest: &str) -> String {
    pattern
        .split('/')
        .map(|seg| match seg {
            "{id}" if pattern.starts_with("/guests/") => guest.to_string(),
            "{action}" => "block".to_string(),
            s if s.starts_with('{') => uuid::Uuid::new_v4().to_string(),
            s => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The same path with one letter of its first word percent-encoded (`/mfa/setup` as
/// `/%6Dfa/setup`): the router decodes it, so the audience check must meet it too.
fn encoded(path: &str) -> String {
    match path.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((at, c)) => format!("{}%{:02X}{}", &path[..at], c as u32, &path[at + 1..]),
        None => path.to_string(),
    }
}

/// Signs a member in: made by the CLI as an admin, the rights taken back.
async fn member(app: &TestApp, email: &str) -> Client {
    vestibule::flows::bootstrap::create_admin(
        &app.state,
        &vestibule::domain::EmailAddress::parse(email).unwrap(),
        None,
    )
    .await
    .unwrap();
    let id = app.user_id(email).await;
    app.post(&format!("/admin/users/{id}/remove-admin"), &[]).await;
    app.take_mail(email).await;
    let (browser, raw) = app.new_browser();
    assert!(app.first_factor_in(&browser, email).await.url.ends_with("/apps"));
    raw
}

async fn guest_in(app: &TestApp, email: &str) -> Client {
    let link = app.invite(email, &[]).await;
    let (browser, raw) = app.new_browser();
    app.redeem_as(&browser, &link, email).await;
    raw
}

async fn call(app: &TestApp, client: &Client, method: &Method, path: &str) -> (StatusCode, String) {
    let r = client.request(method.clone(), app.url(path)).send().await.unwrap();
    let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (r.status(), location)
}

/// Calls every declared route as `who` in `client`; returns the mismatches.
async fn sweep(app: &TestApp, who: Person, client: &Client, guest_id: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    for (method, pattern, audience) in vestibule::web::routes::declared() {
        let method = Method::from_bytes(method.as_str().as_bytes()).unwrap();
        let path = fill(pattern, guest_id);
        let (status, location) = call(app, client, &method, &path).await;
        assert!(!status.is_server_error(), "{method} {path} as {who:?}: {status}");
        let want = expect(audience, who, &method);
        let got = answered(status, &location);
        let fine = match want {
            // Through the gate: anything but a gate's refusal (the handler may 404 a made-up id).
            Expect::Through => {
                !matches!(got, Expect::ToSignIn | Expect::ToSecondStep | Expect::ToSecondStepAgain | Expect::Forbidden)
                    || matches!(
                        audience,
                        Audience::Anyone
                            | Audience::LinkHolder
                            | Audience::AppSignIn
                            | Audience::App
                            | Audience::Scraper
                            | Audience::Api(_)
                    )
            }
            want => got == want,
        };
        if !fine {
            wrong.push(format!(
                "{method} {pattern} ({audience:?}) as {who:?}: expected {want:?}, got {status} {location}"
            ));
        }
        // A refusal holds however the path is spelled (the router decodes `%65`).
        if want != Expect::Through {
            let spelled = encoded(&path);
            let (status, location) = call(app, client, &method, &spelled).await;
            if answered(status, &location) != got {
                wrong.push(format!("{method} {spelled} as {who:?}: {status} {location}, not {got:?} as unencoded"));
            }
        }
    }
    wrong
}

async fn every_route_answers_only_its_declared_audience(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let page = app.post("/admin/settings", &settings_form(&[("invite_policy", "inviters")])).await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    let guest = guest_in(&app, "gus@partner.example").await;
    let guest_id = app.user_id("gus@partner.example").await.to_string();
    let blocked = guest_in(&app, "bea@partner.example").await;
    let expired = guest_in(&app, "eli@partner.example").await;
    let member_raw = member(&app, "mo@contoso.example").await;
    vestibule::flows::bootstrap::create_admin(
        &app.state,
        &vestibule::domain::EmailAddress::parse("ivy@contoso.example").unwrap(),
        None,
    )
    .await
    .unwrap();
    let ivy = app.user_id("ivy@contoso.example").await;
    app.post(&format!("/admin/users/{ivy}/remove-admin"), &[]).await;
    app.post(&format!("/admin/users/{ivy}/make-inviter"), &[]).await;
    app.take_mail("ivy@contoso.example").await;
    let (ivy_browser, inviter) = app.new_browser();
    assert!(app.first_factor_in(&ivy_browser, "ivy@contoso.example").await.url.ends_with("/apps"));
    let (pending_browser, pending) = app.new_browser();
    assert!(app.first_factor_in(&pending_browser, ADMIN).await.has("Confirm it"));
    let bea = app.user_id("bea@partner.example").await;
    app.post(&format!("/admin/users/{bea}/block"), &[]).await;
    sqlx_expire(&app, "eli@partner.example").await;
    let anonymous = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let mut wrong = Vec::new();
    let guest_of_nobody = uuid::Uuid::new_v4().to_string();
    wrong.extend(sweep(&app, Person::Admin, &app.raw, &guest_of_nobody).await);
    for (who, client) in [
        (Person::Anonymous, &anonymous),
        (Person::PendingSecondStep, &pending),
        (Person::Guest, &guest),
        (Person::Member, &member_raw),
        (Person::Inviter, &inviter),
        (Person::Blocked, &blocked),
        (Person::Expired, &expired),
    ] {
        wrong.extend(sweep(&app, who, client, &guest_of_nobody).await);
    }
    // Gus is the admin's guest, not Ivy's.
    wrong.extend(sweep(&app, Person::SponsorOfAnother, &inviter, &guest_id).await);
    app.advance(Duration::minutes(11));
    wrong.extend(sweep(&app, Person::AdminWithoutRecentStep, &app.raw, &guest_of_nobody).await);
    assert!(wrong.is_empty(), "{} routes answered the wrong people:\n{}", wrong.len(), wrong.join("\n"));

    // A method a path does not serve: 405 for everyone, whoever they are.
    for (_, pattern, _) in vestibule::web::routes::declared() {
        let path = fill(pattern, &guest_of_nobody);
        let (status, _) = call(&app, &anonymous, &Method::PUT, &path).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "PUT {path}");
    }
    app.take_mail(ADMIN).await;
    app.take_mail("bea@partner.example").await;
    app
}
both!(every_route_answers_only_its_declared_audience);

/// The guest's access ended yesterday.
async fn sqlx_expire(app: &TestApp, email: &str) {
    let id = app.user_id(email).await;
    let yesterday = app.state.clock.now() - Duration::days(1);
    match &app.state.db {
        vestibule::db::Db::Sqlite(pool, _) => sqlx::query("UPDATE users SET expires_at = $1 WHERE id = $2")
            .bind(yesterday)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ()),
        vestibule::db::Db::Postgres(pool, _) => sqlx::query("UPDATE users SET expires_at = $1 WHERE id = $2")
            .bind(yesterday)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .unwrap();
}

/// The API: no key is a 401, a key without the route's scope a 403, one with it passes.
async fn every_api_route_asks_for_its_scope(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let mut keys = Vec::new();
    for (scope, _) in vestibule::domain::api_key::SCOPES {
        let fields = vec![("name", *scope), ("days", "30"), ("scope", *scope)];
        let page = app.post("/admin/api-keys", &fields).await;
        keys.push((*scope, between(&page.body, "readonly value=\"", "\"").expect("the key is shown")));
    }
    let http = Client::new();
    let mut wrong = Vec::new();
    for (method, pattern, audience) in vestibule::web::routes::declared() {
        let Audience::Api(needed) = audience else { continue };
        let method = Method::from_bytes(method.as_str().as_bytes()).unwrap();
        let path = fill(pattern, &uuid::Uuid::new_v4().to_string());
        let r = http.request(method.clone(), app.url(&path)).send().await.unwrap();
        if r.status() != StatusCode::UNAUTHORIZED {
            wrong.push(format!("{method} {pattern} without a key: {}", r.status()));
        }
        // Each key on the path as written and with a letter percent-encoded.
        for ((scope, key), path) in keys.iter().flat_map(|k| [(k, path.clone()), (k, encoded(&path))]) {
            let r = http
                .request(method.clone(), app.url(&path))
                .bearer_auth(key)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = r.status();
            assert!(!status.is_server_error(), "{method} {path} with {scope}: {status}");
            let refused = status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED;
            if refused != (*scope != needed) {
                wrong.push(format!("{method} {path} ({needed}) with a {scope} key: {status}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    app
}
both!(every_api_route_asks_for_its_scope);
