//! Issue 12 (F10): API keys made on the admin's page, and the invitation API they open —
//! Graph-shaped bodies, problem+json errors, scopes, revocation and expiry, paging,
//! `Idempotency-Key`, rate limits.

use chrono::Duration;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// Makes an API key on the admin's page with these scopes; its secret, shown once.
pub async fn make_key(app: &TestApp, name: &str, scopes: &[&str]) -> String {
    let mut fields = vec![("name", name), ("days", "30")];
    fields.extend(scopes.iter().map(|s| ("scope", *s)));
    let page = app.post("/admin/api-keys", &fields).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("this page shows it only once"), "{}", page.body);
    between(&page.body, "readonly value=\"", "\"").expect("the key is shown")
}

struct Api<'a> {
    app: &'a TestApp,
    key: String,
    http: Client,
}

impl<'a> Api<'a> {
    fn new(app: &'a TestApp, key: &str) -> Api<'a> {
        Api { app, key: key.to_string(), http: Client::new() }
    }

    async fn post(&self, path: &str, body: &Value) -> Response {
        self.http.post(self.app.url(path)).bearer_auth(&self.key).json(body).send().await.unwrap()
    }

    async fn get(&self, path: &str) -> Response {
        self.http.get(self.app.url(path)).bearer_auth(&self.key).send().await.unwrap()
    }
}

/// A response's status and JSON body; problems must say so in their content type.
pub async fn read(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let text = r.text().await.unwrap();
    if status.is_client_error() || status.is_server_error() {
        assert_eq!(ct, "application/problem+json", "{status}: {text}");
    } else if status != StatusCode::NO_CONTENT {
        assert_eq!(ct, "application/json", "{status}: {text}");
    }
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

async fn a_program_invites_lists_resends_and_revokes_with_a_key(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let page = app.get("/admin/api-keys").await;
    assert!(page.has("No API keys yet"), "{}", page.body);
    let key = make_key(&app, "Onboarding script", &["invitations:write"]).await;
    assert!(key.starts_with("vst_") && key.len() == 40, "{key}");
    assert!(!app.dump_database().await.contains(&key), "only the key's hash is kept");
    let page = app.get("/admin/api-keys").await;
    assert!(page.has("Onboarding script") && page.has(&key[..8]) && !page.has(&key), "{}", page.body);
    let api = Api::new(&app, &key);

    // Graph's own example: its redirect must be this portal or a registered app.
    let graph_example = json!({
        "invitedUserEmailAddress": "admin@fabrikam.example",
        "inviteRedirectUrl": "https://myapp.contoso.example"
    });
    let (status, problem) = read(api.post("/api/v1/invitations", &graph_example).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], json!("inviteRedirectUrl"), "{problem}");
    app.add_app("My app", "https://myapp.contoso.example/start").await;
    let (status, made) = read(api.post("/api/v1/invitations", &graph_example).await).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["status"], json!("PendingAcceptance"));
    assert_eq!(made["sendInvitationMessage"], json!(false));
    assert_eq!(made["invitedUserType"], json!("Guest"));
    assert_eq!(made["inviteRedirectUrl"], json!("https://myapp.contoso.example/"));
    app.assert_no_mail("admin@fabrikam.example").await;
    let audit = app.audit_actions().await;
    assert!(audit.contains(&"user.invited".to_string()), "{audit:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE actor_kind = 'api_key'").await, 1);

    // The guest redeems the link the program passed on.
    let link = made["inviteRedeemUrl"].as_str().unwrap().to_string();
    let (guest, guest_raw) = app.new_browser();
    let link = app.url(&link);
    app.prove_with_code(&guest, &link, "admin@fabrikam.example").await;
    let csrf = csrf_of(&guest, &link).await;
    let form = [("csrf", csrf.as_str()), ("accept_terms", "yes")];
    let r = guest_raw.post(format!("{link}/accept")).form(&form).send().await.unwrap();
    assert_eq!(r.headers().get("location").unwrap(), "https://myapp.contoso.example/", "on to the app asked for");
    let id = made["id"].as_str().unwrap();
    let (_, got) = read(api.get(&format!("/api/v1/invitations/{id}")).await).await;
    assert_eq!(got["status"], json!("Completed"));
    assert_eq!(got["inviteRedeemUrl"], Value::Null, "the link exists only in the first answer");
    assert_eq!(got["invitedUser"]["id"], made["invitedUser"]["id"]);

    // With a message, mailed; then listed a page at a time, newest first.
    app.advance(Duration::minutes(1));
    let body = json!({
        "invitedUserEmailAddress": "bo@fabrikam.example",
        "invitedUserDisplayName": "Bo Partner",
        "sendInvitationMessage": true,
        "invitedUserMessageInfo": { "customizedMessageBody": "Welcome to the project!" }
    });
    let (status, bo) = read(api.post("/api/v1/invitations", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{bo}");
    let mail = app.one_mail("bo@fabrikam.example").await;
    assert!(mail.text_body.contains("Welcome to the project!"), "{}", mail.text_body);
    let (_, first) = read(api.get("/api/v1/invitations?$top=1").await).await;
    assert_eq!(first["value"][0]["invitedUserDisplayName"], json!("Bo Partner"));
    let next = first["@odata.nextLink"].as_str().expect("a next page").to_string();
    let (_, second) = read(api.get(&next).await).await;
    assert_eq!(second["value"][0]["id"], made["id"]);
    assert!(second.get("@odata.nextLink").is_none(), "{second}");
    let (_, pending) = read(api.get("/api/v1/invitations?status=PendingAcceptance").await).await;
    assert_eq!(pending["value"].as_array().unwrap().len(), 1);

    // Resend (a new link; the old one stops working), then revoke.
    let bo_id = bo["id"].as_str().unwrap();
    app.advance(Duration::minutes(2));
    let (status, again) = read(api.post(&format!("/api/v1/invitations/{bo_id}/resend"), &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_ne!(again["inviteRedeemUrl"], bo["inviteRedeemUrl"]);
    app.one_mail("bo@fabrikam.example").await;
    let gone = Page::from(app.raw.get(app.url(bo["inviteRedeemUrl"].as_str().unwrap())).send().await.unwrap()).await;
    assert_ne!(gone.status, StatusCode::OK);
    let again_id = again["id"].as_str().unwrap();
    let revoke = format!("/api/v1/invitations/{again_id}/revoke");
    let (status, revoked) = read(api.post(&revoke, &json!({})).await).await;
    assert_eq!((status, &revoked["status"]), (StatusCode::OK, &json!("Revoked")));
    let (_, read_again) = read(api.get(&format!("/api/v1/invitations/{again_id}")).await).await;
    assert_eq!(read_again["status"], json!("Revoked"));
    assert_eq!(read(api.post(&revoke, &json!({})).await).await.0, StatusCode::CONFLICT);
    // An address that is a guest already is a conflict, said in words.
    let (status, problem) = read(api.post("/api/v1/invitations", &graph_example).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(problem["detail"].as_str().unwrap().contains("redeemed an invitation already"), "{problem}");
    app
}
both!(a_program_invites_lists_resends_and_revokes_with_a_key);

async fn keys_are_checked_scoped_revocable_and_expire(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let http = Client::new();
    let body = json!({ "invitedUserEmailAddress": "gus@fabrikam.example" });
    // No key, a made-up key, a key with a typo: 401, a problem, and a challenge.
    let r = http.post(app.url("/api/v1/invitations")).json(&body).send().await.unwrap();
    assert_eq!(r.headers().get("www-authenticate").unwrap(), "Bearer realm=\"vestibule\"");
    assert_eq!(read(r).await.0, StatusCode::UNAUTHORIZED);
    let key = make_key(&app, "Reader", &["users:read"]).await;
    // One character off (never the same one again, or the "typo" would be the key).
    let last = if key.ends_with('x') { 'y' } else { 'x' };
    let typo = format!("{}{last}", &key[..key.len() - 1]);
    for bad in ["vst_nothing", typo.as_str()] {
        assert_eq!(
            read(Api::new(&app, bad).post("/api/v1/invitations", &body).await).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // A key without the scope: 403.
    let (status, problem) = read(Api::new(&app, &key).post("/api/v1/invitations", &body).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(problem["detail"].as_str().unwrap().contains("invitations:write"), "{problem}");

    let writer = make_key(&app, "Writer", &["invitations:write"]).await;
    let api = Api::new(&app, &writer);
    // Bad input: not JSON, the wrong type, a missing field, a bad address, a huge name.
    let r = http
        .post(app.url("/api/v1/invitations"))
        .bearer_auth(&writer)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(read(r).await.0, StatusCode::BAD_REQUEST);
    let r = http.post(app.url("/api/v1/invitations")).bearer_auth(&writer).body("a=b").send().await.unwrap();
    assert_eq!(read(r).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(read(api.post("/api/v1/invitations", &json!({})).await).await.0, StatusCode::BAD_REQUEST);
    let bad = json!({ "invitedUserEmailAddress": "not an address", "invitedUserDisplayName": "x".repeat(500) });
    let (status, problem) = read(api.post("/api/v1/invitations", &bad).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["invitedUserDisplayName", "invitedUserEmailAddress"], "{problem}");
    let (status, _) = read(
        api.post(
            "/api/v1/invitations",
            &json!({ "invitedUserEmailAddress": "a@b.example", "invitedUserType": "Member" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Unknown routes and ids answer as the API does, not with a page.
    assert_eq!(read(api.get("/api/v1/nothing-here").await).await.0, StatusCode::NOT_FOUND);
    assert_eq!(read(api.get("/api/v1/invitations/not-an-id").await).await.0, StatusCode::NOT_FOUND);
    assert_eq!(read(api.get("/api/v1/invitations?$top=9999").await).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(read(api.get("/api/v1/invitations?$skiptoken=zzz").await).await.0, StatusCode::BAD_REQUEST);
    // Found by schemathesis: a repeated query parameter, and the byte guard in front of
    // every route, answered with an HTML page; the API answers with problems only.
    assert_eq!(read(api.get("/api/v1/invitations?$top=1&$top=2").await).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(read(api.get("/api/v1/invitations?status=%00").await).await.0, StatusCode::BAD_REQUEST);
    // Revoking is an action on the invitation, which stays on record: no DELETE.
    let r = http.delete(app.url(&format!("/api/v1/invitations/{}", uuid::Uuid::new_v4()))).bearer_auth(&writer);
    let r = r.send().await.unwrap();
    assert_eq!(
        (r.status(), r.headers().get("allow").unwrap().to_str().unwrap()),
        (StatusCode::METHOD_NOT_ALLOWED, "GET")
    );
    // A problem too, with its `Allow` kept (the framework answers it; the API restates it).
    assert_eq!(r.headers().get("content-type").unwrap(), "application/problem+json");
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 0, "nothing was made");

    // Revoked on the admin's page: refused from then on.
    let page = app.get("/admin/api-keys").await;
    let at = page.body.find("Revoke the key Reader").unwrap();
    let action = page.body[..at].rfind("action=\"").unwrap();
    let path = between(&page.body[action..], "action=\"", "\"").unwrap();
    let page = app.post(&path, &[]).await;
    assert!(page.has("The key was revoked"), "{}", page.body);
    assert_eq!(read(Api::new(&app, &key).get("/api/v1/invitations").await).await.0, StatusCode::UNAUTHORIZED);
    assert!(app.audit_actions().await.contains(&"api_key.revoked".to_string()));
    // Expired after its 30 days.
    assert_eq!(read(api.get("/api/v1/invitations").await).await.0, StatusCode::OK);
    app.advance(Duration::days(31));
    assert_eq!(read(api.get("/api/v1/invitations").await).await.0, StatusCode::UNAUTHORIZED);
    app
}
both!(keys_are_checked_scoped_revocable_and_expire);

async fn an_idempotency_key_replays_the_first_answer(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let key = make_key(&app, "Sync", &["invitations:write"]).await;
    let http = Client::new();
    let post = |body: Value, idem: &'static str| {
        http.post(app.url("/api/v1/invitations")).bearer_auth(&key).header("Idempotency-Key", idem).json(&body).send()
    };
    // No mail: the link is then only in the answer (a queued mail holds it until sent).
    let body = json!({ "invitedUserEmailAddress": "noa@fabrikam.example" });
    let (status, first) = read(post(body.clone(), "batch-7-row-1").await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    // A retry (say the answer was lost) gets the same answer; nothing is made or mailed twice.
    let r = post(body.clone(), "batch-7-row-1").await.unwrap();
    assert_eq!(r.headers().get("idempotent-replayed").unwrap(), "true");
    let (status, replayed) = read(r).await;
    assert_eq!((status, &replayed), (StatusCode::CREATED, &first));
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1);
    // The kept answer holds the link: it is not readable in the database.
    let token = first["inviteRedeemUrl"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    assert!(!app.dump_database().await.contains(&token));
    // The same key with another body: refused.
    let other = json!({ "invitedUserEmailAddress": "ivo@fabrikam.example" });
    let (status, problem) = read(post(other.clone(), "batch-7-row-1").await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    // A refusal is kept too; a day later the key is free again.
    let (status, _) = read(post(json!({ "invitedUserEmailAddress": "bad" }), "batch-7-row-2").await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.advance(Duration::hours(25));
    let (status, _) = read(post(other, "batch-7-row-1").await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    vestibule::flows::housekeeping::run(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM api_idempotency").await, 1, "the day-old ones are swept");
    app
}
both!(an_idempotency_key_replays_the_first_answer);

async fn the_api_describes_itself(app: TestApp) -> TestApp {
    // The document is public and lists every route of the API in routes.rs.
    let doc: Value = Client::new().get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], json!("3.1.0"));
    assert_eq!(doc["servers"][0]["url"], json!(app.base.clone()));
    let routes = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/routes.rs")).unwrap();
    let mut listed = 0;
    for method in ["get", "post", "patch", "delete"] {
        let call = format!(".{method}(\"/api/v1/");
        for line in routes.lines().filter(|l| l.contains(&call) && !l.contains("api::openapi")) {
            let path = format!("/api/v1/{}", between(line, &call, "\"").unwrap());
            assert!(!doc["paths"][&path][method].is_null(), "{method} {path} is in the document");
            listed += 1;
        }
    }
    assert!(listed > 30, "the routes were read: {listed}");
    // What annotations cannot say is in it too (web/api/openapi_rules.rs): each field's
    // rule, and the links from what an answer made to what reads it.
    let name = &doc["components"]["schemas"]["NewGroup"]["properties"]["displayName"];
    assert_eq!(name["pattern"], json!(vestibule::domain::text::required_line_pattern()), "{name}");
    let made = &doc["paths"]["/api/v1/invitations"]["post"]["responses"]["201"]["links"]["ReadGuest"];
    assert_eq!(made["parameters"]["id"], json!("$response.body#/invitedUser/id"), "{made}");
    let row = doc["components"]["schemas"]["BulkRow"]["properties"]["invitedUserMessageInfo"].to_string();
    assert!(row.contains("RowMessageInfo"), "a row's message is checked with the row: {row}");
    assert!(doc["components"]["securitySchemes"]["api_key"]["scheme"] == json!("bearer"));
    // And a page people can read, made from it.
    let page = app.get("/api/v1/docs").await;
    assert!(page.has("API reference") && page.has("/api/v1/invitations/{id}/resend") && page.has("schema-Invitation"));
    app
}
both!(the_api_describes_itself);
async fn each_key_is_rate_limited(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let busy = make_key(&app, "Busy", &["invitations:write"]).await;
    let calm = make_key(&app, "Calm", &["invitations:write"]).await;
    let api = Api::new(&app, &busy);
    let burst = vestibule::state::api_burst(app.state.settings.api_calls_per_minute) as usize;
    let mut limited = None;
    for _ in 0..burst + 5 {
        let r = api.get("/api/v1/invitations?$top=1").await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("the key is slowed down after its burst");
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(read(r).await.0, StatusCode::TOO_MANY_REQUESTS);
    // Another key is not.
    assert_eq!(read(Api::new(&app, &calm).get("/api/v1/invitations").await).await.0, StatusCode::OK);
    app
}
both!(each_key_is_rate_limited);

async fn a_program_reads_the_audit_log(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let writer = make_key(&app, "Writer", &["invitations:write"]).await;
    let reader = make_key(&app, "Auditor", &["audit:read"]).await;
    for email in ["ana@fabrikam.example", "bo@fabrikam.example"] {
        app.advance(Duration::minutes(1));
        let body = json!({ "invitedUserEmailAddress": email });
        assert_eq!(read(Api::new(&app, &writer).post("/api/v1/invitations", &body).await).await.0, StatusCode::CREATED);
    }
    let api = Api::new(&app, &reader);
    let (status, page) = read(api.get("/api/v1/audit?action=user.invited&actor=writer&$top=1").await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["value"][0]["target"], json!("bo@fabrikam.example"), "newest first");
    assert_eq!(page["value"][0]["actorKind"], json!("api_key"));
    let next = page["@odata.nextLink"].as_str().expect("more").to_string();
    assert!(next.contains("action=user.invited") && next.contains("actor=writer"), "{next}");
    let (_, second) = read(api.get(&next).await).await;
    assert_eq!(second["value"][0]["target"], json!("ana@fabrikam.example"));
    assert!(second.get("@odata.nextLink").is_none());
    let since = (start_time() + Duration::minutes(2)).to_rfc3339();
    let (_, late) =
        read(api.get(&format!("/api/v1/audit?action=user.invited&since={}", since.replace('+', "%2B"))).await).await;
    assert_eq!(late["value"].as_array().unwrap().len(), 1, "{late}");
    assert_eq!(read(api.get("/api/v1/audit?since=yesterday").await).await.0, StatusCode::BAD_REQUEST);
    // The writer may not read it, nor the reader invite.
    assert_eq!(read(Api::new(&app, &writer).get("/api/v1/audit").await).await.0, StatusCode::FORBIDDEN);
    let body = json!({ "invitedUserEmailAddress": "cy@fabrikam.example" });
    assert_eq!(read(api.post("/api/v1/invitations", &body).await).await.0, StatusCode::FORBIDDEN);
    app
}
both!(a_program_reads_the_audit_log);

async fn a_program_reads_users_and_blocks_and_removes_guests(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("ana@fabrikam.example", &[]).await;
    let (ana, _) = app.new_browser();
    app.redeem_as(&ana, &link, "ana@fabrikam.example").await;
    app.invite("bo@northwind.example", &[]).await;
    let reader = Api::new(&app, &make_key(&app, "Reader", &["users:read"]).await);
    let writer = Api::new(&app, &make_key(&app, "Writer", &["users:write"]).await);

    let (_, guests) = read(reader.get("/api/v1/users?userType=Guest&$top=1").await).await;
    assert_eq!(guests["value"].as_array().unwrap().len(), 1, "{guests}");
    let next = guests["@odata.nextLink"].as_str().expect("a second page").to_string();
    let (_, rest) = read(reader.get(&next).await).await;
    assert_eq!(rest["value"].as_array().unwrap().len(), 1);
    assert!(rest.get("@odata.nextLink").is_none());
    let (_, found) = read(reader.get("/api/v1/users?search=fabrikam&state=Accepted").await).await;
    assert_eq!(found["value"][0]["mail"], json!("ana@fabrikam.example"), "{found}");
    let ana_id = found["value"][0]["id"].as_str().unwrap().to_string();
    let (_, one) = read(reader.get(&format!("/api/v1/users/{ana_id}")).await).await;
    assert_eq!((one["userType"].as_str(), one["state"].as_str()), (Some("Guest"), Some("Accepted")));
    assert_eq!(read(reader.get("/api/v1/users?userType=Robot").await).await.0, StatusCode::BAD_REQUEST);
    // The reader may not change anyone; the writer blocks Ana: her session ends.
    assert_eq!(
        read(reader.post(&format!("/api/v1/users/{ana_id}/block"), &json!({})).await).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, blocked) = read(writer.post(&format!("/api/v1/users/{ana_id}/block"), &json!({})).await).await;
    assert_eq!((status, blocked["state"].as_str()), (StatusCode::OK, Some("Blocked")));
    let r = ana.get(app.url("/apps")).send().await.unwrap();
    assert!(r.url().path().starts_with("/signin"), "signed out: {}", r.url());
    let (_, back) = read(writer.post(&format!("/api/v1/users/{ana_id}/unblock"), &json!({})).await).await;
    assert_eq!(back["state"], json!("Accepted"));
    // Extending access: only where guest access ends (Settings), then by the lifetime.
    let extend = format!("/api/v1/users/{ana_id}/extend");
    assert_eq!(read(writer.post(&extend, &json!({})).await).await.0, StatusCode::CONFLICT);
    app.post("/admin/settings", &settings_form(&[("guest_lifetime_days", "30")])).await;
    let (status, extended) = read(writer.post(&extend, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{extended}");
    let until = extended["expiresDateTime"].as_str().expect("an end date now");
    let until = chrono::DateTime::parse_from_rfc3339(until).unwrap().with_timezone(&chrono::Utc);
    assert_eq!((until - app.state.clock.now()).num_days(), 30, "{until}");
    assert!(app.audit_actions().await.contains(&"user.access_extended".to_string()));
    // Members are not the API's to block; guests it may remove.
    let root = app.user_id("root@contoso.example").await;
    assert_eq!(
        read(writer.post(&format!("/api/v1/users/{root}/block"), &json!({})).await).await.0,
        StatusCode::CONFLICT
    );
    let r = Client::new()
        .delete(app.url(&format!("/api/v1/users/{ana_id}")))
        .bearer_auth(&writer.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(read(reader.get(&format!("/api/v1/users/{ana_id}")).await).await.0, StatusCode::NOT_FOUND);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"user.blocked".to_string()) && actions.contains(&"user.removed".to_string()));
    app.take_mail("ana@fabrikam.example").await;
    app
}
both!(a_program_reads_users_and_blocks_and_removes_guests);

/// `POST /api/v1/invitations/bulk`: the same job as Admin → Invite many. The rows are
/// checked at once (202), invited by the worker, each reported; the same list again
/// invites nobody twice.
async fn a_list_is_invited_through_the_api_once(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let key = make_key(&app, "Partner sync", &["invitations:write", "users:write"]).await;
    let api = Api::new(&app, &key);
    let list = json!({
        "name": "Fabrikam, Q4",
        "sendInvitationMessage": true,
        "invitations": [
            { "invitedUserEmailAddress": "ana@fabrikam.example", "invitedUserDisplayName": "Ana",
              "invitedUserMessageInfo": { "customizedMessageBody": "Welcome aboard" } },
            { "invitedUserEmailAddress": "not an address" },
            { "invitedUserEmailAddress": "ANA@fabrikam.example" }
        ]
    });
    let (status, job) = read(api.post("/api/v1/invitations/bulk", &list).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(
        (job["status"].as_str(), job["total"].as_i64(), job["toDo"].as_i64()),
        (Some("running"), Some(3), Some(1))
    );
    let outcomes: Vec<&str> = job["rows"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["pending", "invalid", "duplicate"], "{job}");
    app.assert_no_mail("ana@fabrikam.example").await;

    assert_eq!(vestibule::flows::bulk::job::work(&app.state, 100).await.unwrap(), 1);
    let id = job["id"].as_str().unwrap();
    let (status, job) = read(api.get(&format!("/api/v1/invitations/bulk/{id}")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (job["status"].as_str(), job["invited"].as_i64(), job["skipped"].as_i64()),
        (Some("done"), Some(1), Some(1))
    );
    assert_eq!(job["notInvited"].as_i64(), Some(1), "{job}");
    let invitation = job["rows"][0]["invitationId"].as_str().expect("the row names its invitation");
    let (status, one) = read(api.get(&format!("/api/v1/invitations/{invitation}")).await).await;
    assert_eq!((status, one["invitedUserDisplayName"].as_str()), (StatusCode::OK, Some("Ana")));
    assert!(app.one_mail("ana@fabrikam.example").await.text_body.contains("Welcome aboard"));
    let by_key =
        app.count("SELECT COUNT(*) FROM audit_events WHERE actor_kind = 'api_key' AND action LIKE 'bulk.%'").await;
    assert_eq!(by_key, 2, "started and finished, in the key's name");
    assert!(app.get("/admin/invitations/bulk").await.has("Fabrikam, Q4"), "the admin sees the API's list too");

    // The same list again: done at once, nobody invited twice.
    let (status, again) = read(api.post("/api/v1/invitations/bulk", &list).await).await;
    assert_eq!((status, again["status"].as_str()), (StatusCode::ACCEPTED, Some("done")), "{again}");
    assert_eq!(again["rows"][0]["outcome"].as_str(), Some("already_invited"), "{again}");
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1);
    app.assert_no_mail("ana@fabrikam.example").await;
    // Removing the guest removes her invitation with her: 404 from then on (schemathesis's
    // stateful phase reaches this through a link it infers).
    let guest = one["invitedUser"]["id"].as_str().unwrap();
    let r = api.http.delete(app.url(&format!("/api/v1/users/{guest}"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, _) = read(api.get(&format!("/api/v1/invitations/{invitation}")).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, job) = read(api.get(&format!("/api/v1/invitations/bulk/{id}")).await).await;
    assert_eq!(
        (status, job["rows"][0]["outcome"].as_str()),
        (StatusCode::OK, Some("invited")),
        "the job's record stays"
    );

    // Wrong lists and callers.
    let (status, p) = read(api.post("/api/v1/invitations/bulk", &json!({ "invitations": [] })).await).await;
    assert_eq!(
        (status, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invitations")),
        "{p}"
    );
    let long = json!({ "invitations": [{ "invitedUserEmailAddress": "x@fabrikam.example" }], "name": "n".repeat(201) });
    let (status, p) = read(api.post("/api/v1/invitations/bulk", &long).await).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")), "{p}");
    // Found by schemathesis: a row refused for a NUL in its fields was stored with it, and
    // PostgreSQL answered 500; it is reported like any bad row.
    let nul = json!({ "invitations": [
        { "invitedUserEmailAddress": "a\u{0}b@fabrikam.example" },
        { "invitedUserEmailAddress": "nul@fabrikam.example", "invitedUserDisplayName": "N\u{0}L" },
        { "invitedUserEmailAddress": "url@fabrikam.example", "inviteRedirectUrl": format!("{}/apps\u{0}", app.base) }
    ] });
    let (status, job) = read(api.post("/api/v1/invitations/bulk", &nul).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(
        (job["rows"][0]["outcome"].as_str(), job["rows"][1]["outcome"].as_str()),
        (Some("invalid"), Some("invalid"))
    );
    // A URL parses with a NUL in its path (percent-encoded): that row is invited, without it.
    let url_row = i64::from(job["rows"][2]["outcome"] == json!("pending"));
    // Found by schemathesis: serde reads a struct from an array of its fields; objects only.
    let arrays = [
        (
            "/api/v1/invitations/bulk",
            json!({ "invitations": [{ "invitedUserEmailAddress": "", "invitedUserMessageInfo": [] }] }),
        ),
        ("/api/v1/invitations/bulk", json!([[{ "invitedUserEmailAddress": "x@fabrikam.example" }]])),
        ("/api/v1/invitations", json!({ "invitedUserEmailAddress": "x@fabrikam.example", "invitedUser": [] })),
    ];
    for (path, body) in arrays {
        assert_eq!(read(api.post(path, &body).await).await.0, StatusCode::BAD_REQUEST, "{body}");
    }
    let (status, _) = read(api.post("/api/v1/invitations/bulk", &json!({ "invitations": "ana" })).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = read(api.get(&format!("/api/v1/invitations/bulk/{}", uuid::Uuid::new_v4())).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let reader = make_key(&app, "Reader", &["users:read"]).await;
    let (status, _) = read(Api::new(&app, &reader).post("/api/v1/invitations/bulk", &list).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A body over the limit is a problem too, not the framework's plain text (it was).
    let huge = json!({ "invitedUserEmailAddress": "x".repeat(300 * 1024) });
    let (status, p) = read(api.post("/api/v1/invitations", &huge).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    // A list of a few thousand rows is over one invitation's limit, and within the list's.
    let rows: Vec<Value> =
        (0..3000).map(|i| json!({ "invitedUserEmailAddress": format!("partner{i}@fabrikam.example") })).collect();
    let (status, job) = read(api.post("/api/v1/invitations/bulk", &json!({ "invitations": rows })).await).await;
    assert_eq!((status, job["toDo"].as_i64()), (StatusCode::ACCEPTED, Some(3000)));
    vestibule::flows::bulk::job::work(&app.state, 10_000).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 3000 + url_row);
    app
}
both!(a_list_is_invited_through_the_api_once);

/// Groups and app assignments through the API: the flows of Admin → Groups and the user
/// page, audited in the key's name; scopes, unknown ids and bodies that are not objects.
async fn a_program_looks_after_groups_and_apps(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let wiki = app.add_app("Partner Wiki", "https://wiki.partner.example/").await;
    app.post("/admin/groups", &[("name", "Atlas team"), ("description", "Core"), ("app", &wiki)]).await;
    app.invite("gus@fabrikam.example", &[]).await;
    let gus = app.user_id("gus@fabrikam.example").await.to_string();
    let key = make_key(&app, "Directory sync", &["users:read", "users:write", "groups:write"]).await;
    let api = Api::new(&app, &key);

    let (status, groups) = read(api.get("/api/v1/groups").await).await;
    assert_eq!((status, groups["value"][0]["displayName"].as_str()), (StatusCode::OK, Some("Atlas team")), "{groups}");
    let group = groups["value"][0]["id"].as_str().unwrap().to_string();
    let members = format!("/api/v1/groups/{group}/members");
    for _ in 0..2 {
        let (status, member) = read(api.post(&members, &json!({ "id": gus })).await).await;
        assert_eq!((status, member["mail"].as_str()), (StatusCode::OK, Some("gus@fabrikam.example")), "{member}");
    }
    let (_, list) = read(api.get(&members).await).await;
    assert_eq!(list["value"].as_array().unwrap().len(), 1, "added twice, a member once: {list}");
    let nobody = json!({ "id": uuid::Uuid::new_v4() });
    let (status, p) = read(api.post(&members, &nobody).await).await;
    assert_eq!(
        (status, p["errors"][0]["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("id")),
        "nobody: a 404 naming the field"
    );
    let elsewhere = format!("/api/v1/groups/{}/members", uuid::Uuid::new_v4());
    assert_eq!(read(api.post(&elsewhere, &json!({ "id": gus })).await).await.0, StatusCode::NOT_FOUND);
    assert_eq!(read(api.post(&members, &json!([gus])).await).await.0, StatusCode::BAD_REQUEST);
    let r = api.http.delete(app.url(&format!("{members}/{gus}"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(read(api.get(&members).await).await.1["value"].as_array().unwrap().is_empty());

    let (status, apps) = read(api.get("/api/v1/apps").await).await;
    assert_eq!((status, apps["value"][0]["id"].as_str()), (StatusCode::OK, Some(wiki.as_str())), "{apps}");
    let gus_apps = format!("/api/v1/users/{gus}/apps");
    let (status, given) = read(api.post(&gus_apps, &json!({ "id": wiki })).await).await;
    assert_eq!((status, given["displayName"].as_str()), (StatusCode::OK, Some("Partner Wiki")), "{given}");
    assert_eq!(app.count("SELECT COUNT(*) FROM assignments").await, 1);
    let (status, p) = read(api.post(&gus_apps, &json!({ "id": uuid::Uuid::new_v4() })).await).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::NOT_FOUND, Some("id")), "no such app");
    let stranger = format!("/api/v1/users/{}/apps", uuid::Uuid::new_v4());
    assert_eq!(read(api.post(&stranger, &json!({ "id": wiki })).await).await.0, StatusCode::NOT_FOUND);
    let r = api.http.delete(app.url(&format!("{gus_apps}/{wiki}"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count("SELECT COUNT(*) FROM assignments").await, 0);
    let by_key = app
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE actor_kind = 'api_key' AND action IN \
             ('group.member_added', 'group.member_removed', 'app.assigned', 'app.unassigned')",
        )
        .await;
    assert_eq!(by_key, 5, "each call that changes data, in the key's name (adding again renews)");

    // An invitation may put the guest in groups and name more sponsors (Vestibule's fields).
    crate::signup::member(&app, "sam@contoso.example").await;
    let sam = app.user_id("sam@contoso.example").await.to_string();
    let inviter = make_key(&app, "Onboarding", &["invitations:write"]).await;
    let inviter = Api::new(&app, &inviter);
    let body = json!({ "invitedUserEmailAddress": "hal@fabrikam.example", "groups": [group], "sponsors": [sam] });
    let (status, made) = read(inviter.post("/api/v1/invitations", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (_, list) = read(api.get(&members).await).await;
    assert_eq!(list["value"][0]["mail"].as_str(), Some("hal@fabrikam.example"), "{list}");
    let hal = made["invitedUser"]["id"].as_str().unwrap();
    let sql = "SELECT COUNT(*) FROM user_sponsors";
    assert_eq!(app.count(sql).await, 3, "gus's root, and hal's root and sam: {hal}");
    let wrong = [
        (json!({ "invitedUserEmailAddress": "ivy@fabrikam.example", "groups": [uuid::Uuid::new_v4()] }), "groups"),
        (json!({ "invitedUserEmailAddress": "ivy@fabrikam.example", "sponsors": [gus] }), "sponsors"),
        (
            json!({ "invitedUserEmailAddress": "ivy@fabrikam.example", "sponsors": (0..5).map(|_| uuid::Uuid::new_v4()).collect::<Vec<_>>() }),
            "sponsors",
        ),
    ];
    for (body, field) in wrong {
        let (status, p) = read(inviter.post("/api/v1/invitations", &body).await).await;
        assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{p}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'ivy@fabrikam.example'").await, 0);

    // Scopes: reading apps needs users:read; groups need groups:write.
    let reader = make_key(&app, "Reader", &["users:read"]).await;
    let reader = Api::new(&app, &reader);
    assert_eq!(read(reader.get("/api/v1/apps").await).await.0, StatusCode::OK);
    assert_eq!(read(reader.get("/api/v1/groups").await).await.0, StatusCode::FORBIDDEN);
    assert_eq!(read(reader.post(&gus_apps, &json!({ "id": wiki })).await).await.0, StatusCode::FORBIDDEN);
    app.take_mail("gus@fabrikam.example").await;
    app
}
both!(a_program_looks_after_groups_and_apps);

/// Sign-up requests through the API: read them, approve one and deny another as the key's
/// admin, through Admin → Requests' flow; a second decision, a bad one, and scopes.
async fn a_program_reads_and_decides_sign_up_requests(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let pkg = crate::signup::package(&app, "Atlas", "any", &["root@contoso.example"], &[]).await;
    for partner in ["pat@fabrikam.example", "quinn@fabrikam.example"] {
        let (browser, _) = app.new_browser();
        crate::signup::sign_up(&app, &browser, partner, &pkg).await;
    }
    let key = make_key(&app, "Approvals bot", &["requests:read", "requests:write"]).await;
    let api = Api::new(&app, &key);
    let (status, list) = read(api.get("/api/v1/requests?status=pending_approval").await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let rows = list["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{list}");
    assert_eq!(
        (rows[0]["packageName"].as_str(), rows[0]["status"].as_str()),
        (Some("Atlas"), Some("pending_approval"))
    );
    let id_of =
        |email: &str| rows.iter().find(|r| r["email"] == json!(email)).unwrap()["id"].as_str().unwrap().to_string();
    let (pat, quinn) = (id_of("pat@fabrikam.example"), id_of("quinn@fabrikam.example"));
    let (status, one) = read(api.get(&format!("/api/v1/requests/{pat}")).await).await;
    assert_eq!((status, one["reason"].as_str()), (StatusCode::OK, Some("Project Atlas")));

    let decide = |id: &str| format!("/api/v1/requests/{id}/decision");
    let (status, done) = read(api.post(&decide(&pat), &json!({ "decision": "approve" })).await).await;
    assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("approved")), "{done}");
    assert_eq!(done["decidedBy"].as_str(), Some("root@contoso.example"));
    assert!(
        app.take_mail("pat@fabrikam.example").await.iter().any(|m| m.subject == "Your request for Atlas was approved")
    );
    let (status, _) = read(api.post(&decide(&pat), &json!({ "decision": "deny" })).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "decided once");
    let long = json!({ "decision": "deny", "note": "n".repeat(1001) });
    let (status, p) = read(api.post(&decide(&quinn), &long).await).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
    assert_eq!(read(api.post(&decide(&quinn), &json!({ "decision": "maybe" })).await).await.0, StatusCode::BAD_REQUEST);
    let deny = json!({ "decision": "deny", "note": "The project is full." });
    let (status, done) = read(api.post(&decide(&quinn), &deny).await).await;
    assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("denied")), "{done}");
    assert!(app.take_mail("quinn@fabrikam.example").await.iter().any(|m| m.text_body.contains("The project is full.")));
    let stranger = decide(&uuid::Uuid::new_v4().to_string());
    assert_eq!(read(api.post(&stranger, &json!({ "decision": "approve" })).await).await.0, StatusCode::NOT_FOUND);
    assert_eq!(read(api.get("/api/v1/requests?status=bogus").await).await.0, StatusCode::BAD_REQUEST);
    let by_key = app
        .count("SELECT COUNT(*) FROM audit_events WHERE actor_kind = 'api_key' AND action = 'signup.decided_by_admin'");
    assert_eq!(by_key.await, 2);
    let reader = make_key(&app, "Reader", &["requests:read"]).await;
    let (status, _) =
        read(Api::new(&app, &reader).post(&decide(&quinn), &json!({ "decision": "approve" })).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for who in ["root@contoso.example", "pat@fabrikam.example", "quinn@fabrikam.example"] {
        app.take_mail(who).await;
    }
    app
}
both!(a_program_reads_and_decides_sign_up_requests);
