//! Issue 28: code written for Microsoft Graph runs here, and where the portal differs it
//! says so in a 4xx naming the field — never by silently doing something else.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::api::{make_key, read};
use crate::helpers::*;

async fn post(app: &TestApp, key: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    read(Client::new().post(app.url(path)).bearer_auth(key).json(body).send().await.unwrap()).await
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map_or(vec![], |e| e.iter().map(|e| e["field"].as_str().unwrap().to_string()).collect())
}

/// Unknown properties and wrong types are 400s naming the field by its JSON path; a mail
/// language the portal does not have is refused, English is taken.
async fn what_a_body_cannot_say_is_refused_by_name(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let key = make_key(&app, "Graph script", &["invitations:write"]).await;
    let path = "/api/v1/invitations";
    let (status, problem) =
        post(&app, &key, path, &json!({ "invitedUserEmailAddress": "ana@fabrikam.example", "sendInvitation": true }))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problem["detail"].as_str().unwrap().contains("sendInvitation"), "{problem}");
    let body = json!({ "invitedUserEmailAddress": "ana@fabrikam.example",
                       "invitedUserMessageInfo": { "customizedMessageBody": 5 } });
    let (status, problem) = post(&app, &key, path, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fields(&problem), vec!["invitedUserMessageInfo.customizedMessageBody"], "{problem}");
    let body = json!({ "invitedUserEmailAddress": "ana@fabrikam.example",
                       "invitedUserMessageInfo": { "messageLanguage": "pt-BR" } });
    let (status, problem) = post(&app, &key, path, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fields(&problem), vec!["invitedUserMessageInfo.messageLanguage"], "{problem}");
    let body = json!({ "invitedUserEmailAddress": "ana@fabrikam.example", "invitedUserMessageInfo": [] });
    let (status, problem) = post(&app, &key, path, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an array is not the object: {problem}");
    let bulk = json!({ "invitations": [{ "invitedUserEmailAddress": "bo@fabrikam.example", "colour": "red" }] });
    let (status, problem) = post(&app, &key, "/api/v1/invitations/bulk", &bulk).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problem["detail"].as_str().unwrap().contains("invitations[0]"), "{problem}");
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 0, "nothing was made");

    let body = json!({ "invitedUserEmailAddress": "ana@fabrikam.example", "sendInvitationMessage": true,
                       "invitedUserMessageInfo": { "messageLanguage": "en-US", "customizedMessageBody": "Hi" } });
    let (status, made) = post(&app, &key, path, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    app.take_mail("ana@fabrikam.example").await;
    app
}
both!(what_a_body_cannot_say_is_refused_by_name);

/// Every 429 says when to come back; a retry with the same JSON written another way is the
/// same request; a bulk list's 202 says where to follow it.
async fn retries_are_told_when_and_recognised(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let key = make_key(&app, "Graph script", &["invitations:write"]).await;
    let http = Client::new();
    let body = json!({ "invitedUserEmailAddress": "ana@fabrikam.example", "sendInvitationMessage": true });
    assert_eq!(post(&app, &key, "/api/v1/invitations", &body).await.0, StatusCode::CREATED);
    // Inviting the pending guest again at once: too soon, and when to try.
    let r = http.post(app.url("/api/v1/invitations")).bearer_auth(&key).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    app.take_mail("ana@fabrikam.example").await;

    // The same request re-serialised (other key order and spacing) replays the first answer.
    let send = |text: &'static str| {
        http.post(app.url("/api/v1/invitations"))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .header("Idempotency-Key", "graph-retry-1")
            .body(text)
            .send()
    };
    let first =
        send(r#"{"invitedUserEmailAddress":"bo@fabrikam.example","invitedUserDisplayName":"Bo"}"#).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = send("{ \"invitedUserDisplayName\": \"Bo\",\n  \"invitedUserEmailAddress\": \"bo@fabrikam.example\" }")
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let other =
        send(r#"{"invitedUserEmailAddress":"bo@fabrikam.example","invitedUserDisplayName":"Bob"}"#).await.unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY, "another body is another request");

    let bulk = json!({ "invitations": [{ "invitedUserEmailAddress": "cy@fabrikam.example" }] });
    let r = http.post(app.url("/api/v1/invitations/bulk")).bearer_auth(&key).json(&bulk).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let at = r.headers()["location"].to_str().unwrap().to_string();
    let (_, job) = read(r).await;
    assert_eq!(at, format!("/api/v1/invitations/bulk/{}", job["id"].as_str().unwrap()));
    let (status, _) = read(http.get(app.url(&at)).bearer_auth(&key).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    app
}
both!(retries_are_told_when_and_recognised);

/// Graph's resetRedemption: echoed in the answer, and the new invitation lands where the
/// last one did unless the request names another place (checked as for any invitation).
async fn a_reset_redemption_keeps_the_redirect_and_says_so(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.add_app("Team Board", "https://board.example/").await;
    let key = make_key(&app, "Graph script", &["invitations:write"]).await;
    let path = "/api/v1/invitations";
    let body = json!({ "invitedUserEmailAddress": "ana@fabrikam.example", "inviteRedirectUrl": "https://board.example/start" });
    let (status, made) = post(&app, &key, path, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["invitedUser"]["id"].as_str().unwrap().to_string();
    let reset = json!({ "invitedUserEmailAddress": "ana@fabrikam.example", "resetRedemption": true,
                        "invitedUser": { "id": id } });
    let (status, again) = post(&app, &key, path, &reset).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["resetRedemption"], true);
    assert_eq!(again["inviteRedirectUrl"], "https://board.example/start", "{again}");
    app.take_mail("ana@fabrikam.example").await;
    let elsewhere = json!({ "invitedUserEmailAddress": "ana@fabrikam.example", "resetRedemption": true,
                            "invitedUser": { "id": id }, "inviteRedirectUrl": "https://evil.example/" });
    let (status, problem) = post(&app, &key, path, &elsewhere).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), vec!["inviteRedirectUrl"], "{problem}");
    let portal = app.url("/apps");
    let home = json!({ "invitedUserEmailAddress": "ana@fabrikam.example", "resetRedemption": true,
                       "invitedUser": { "id": id }, "inviteRedirectUrl": portal });
    let (status, again) = post(&app, &key, path, &home).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["inviteRedirectUrl"], portal.as_str());
    app.take_mail("ana@fabrikam.example").await;
    app
}
both!(a_reset_redemption_keeps_the_redirect_and_says_so);

/// Graph's `PATCH /users/{id}`: a name, a company, and `accountEnabled` (false blocks and
/// ends the sessions); anything else is a 400 naming it, a bad value a 422; members are not
/// the API's to change.
async fn a_guest_is_changed_with_patch(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("ana@fabrikam.example", &[]).await;
    let (ana, _) = app.new_browser();
    app.redeem_as(&ana, &link, "ana@fabrikam.example").await;
    let id = app.user_id("ana@fabrikam.example").await;
    let key = make_key(&app, "Graph script", &["users:write", "users:read"]).await;
    let http = Client::new();
    let patch = |path: String, body: Value| {
        let (key, url) = (key.clone(), app.url(&path));
        let http = http.clone();
        async move { read(http.patch(url).bearer_auth(key).json(&body).send().await.unwrap()).await }
    };
    let (status, user) =
        patch(format!("/api/v1/users/{id}"), json!({ "displayName": "Ana F.", "companyName": "Fabrikam" })).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!((user["displayName"].as_str(), user["companyName"].as_str()), (Some("Ana F."), Some("Fabrikam")));
    assert_eq!((user["accountEnabled"].as_bool(), user["externalUserState"].as_str()), (Some(true), Some("Accepted")));
    let (status, user) = patch(format!("/api/v1/users/{id}"), json!({ "accountEnabled": false })).await;
    assert_eq!((status, user["accountEnabled"].as_bool()), (StatusCode::OK, Some(false)));
    assert!(get_in_page(&ana, &app.url("/apps")).await.contains("/signin"), "her session ended");
    let (status, problem) = patch(format!("/api/v1/users/{id}"), json!({ "jobTitle": "Engineer" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problem["detail"].as_str().unwrap().contains("jobTitle"), "{problem}");
    let (status, problem) = patch(format!("/api/v1/users/{id}"), json!({ "displayName": "" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), vec!["displayName"]);
    let root = app.user_id("root@contoso.example").await;
    let (status, _) = patch(format!("/api/v1/users/{root}"), json!({ "accountEnabled": false })).await;
    assert_eq!(status, StatusCode::CONFLICT, "members are not the API's");
    let actions = app.audit_actions().await;
    for a in ["user.renamed", "user.company_changed", "user.blocked"] {
        assert!(actions.contains(&a.to_string()), "{a}");
    }
    app
}
both!(a_guest_is_changed_with_patch);

/// Where a GET in `browser` ends up.
async fn get_in_page(browser: &Client, url: &str) -> String {
    browser.get(url).send().await.unwrap().url().to_string()
}

/// Groups as Graph code makes them: created with Graph's fields, renamed, members added and
/// removed by reference, objects read by id, deleted; what a group here cannot be is a 400.
async fn groups_are_made_and_filled_by_reference(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    app.invite("ana@fabrikam.example", &[]).await;
    let ana = app.user_id("ana@fabrikam.example").await;
    let key = make_key(&app, "Graph script", &["groups:write", "users:read"]).await;
    let http = Client::new();
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let (key, url, http) = (key.clone(), app.url(&path), http.clone());
        async move {
            let mut r = http.request(method, url).bearer_auth(key);
            if let Some(b) = body {
                r = r.json(&b);
            }
            read(r.send().await.unwrap()).await
        }
    };
    use reqwest::Method;
    let graph = json!({ "displayName": "Project Atlas", "mailEnabled": false, "mailNickname": "atlas",
                        "securityEnabled": true, "description": "Atlas partners" });
    let (status, group) = call(Method::POST, "/api/v1/groups".into(), Some(graph.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let id = group["id"].as_str().unwrap().to_string();
    let (status, problem) = call(Method::POST, "/api/v1/groups".into(), Some(graph)).await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::CONFLICT, vec!["displayName".to_string()]),
        "the name is taken"
    );
    // A retry with the same Idempotency-Key gets the first answer, not "the name is taken".
    let retried = json!({ "displayName": "Project Borealis", "securityEnabled": true, "mailEnabled": false });
    let mut made = Vec::new();
    for _ in 0..2 {
        let r = http
            .post(app.url("/api/v1/groups"))
            .bearer_auth(&key)
            .header("Idempotency-Key", "group-borealis")
            .json(&retried)
            .send()
            .await
            .unwrap();
        let at = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
        let (status, group) = read(r).await;
        assert_eq!(status, StatusCode::CREATED, "{group}");
        assert_eq!(at, Some(format!("/api/v1/groups/{}", group["id"].as_str().unwrap())));
        made.push(group["id"].clone());
    }
    assert_eq!(made[0], made[1], "one group, answered twice");
    let unified = json!({ "displayName": "Team", "mailEnabled": true, "mailNickname": "team", "securityEnabled": false,
                          "groupTypes": ["Unified"] });
    let (status, problem) = call(Method::POST, "/api/v1/groups".into(), Some(unified)).await;
    assert_eq!((status, fields(&problem)), (StatusCode::BAD_REQUEST, vec!["mailEnabled".to_string()]));

    let (status, _) =
        call(Method::PATCH, format!("/api/v1/groups/{id}"), Some(json!({ "displayName": "Atlas partners" }))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, group) = call(Method::GET, format!("/api/v1/groups/{id}"), None).await;
    assert_eq!(
        (group["displayName"].as_str(), group["description"].as_str()),
        (Some("Atlas partners"), Some("Atlas partners"))
    );

    let reference = json!({ "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{ana}") });
    let (status, _) = call(Method::POST, format!("/api/v1/groups/{id}/members/$ref"), Some(reference)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, members) = call(Method::GET, format!("/api/v1/groups/{id}/members"), None).await;
    assert_eq!(members["value"][0]["id"].as_str(), Some(ana.to_string().as_str()), "{members}");
    let (status, problem) =
        call(Method::POST, format!("/api/v1/groups/{id}/members/$ref"), Some(json!({ "@odata.id": "nobody" }))).await;
    assert_eq!((status, fields(&problem)), (StatusCode::BAD_REQUEST, vec!["@odata.id".to_string()]));
    // Only the id's hyphenated form, as the document's pattern says.
    let simple = json!({ "@odata.id": format!("https://graph.microsoft.com/v1.0/users/{}", ana.simple()) });
    let (status, _) = call(Method::POST, format!("/api/v1/groups/{id}/members/$ref"), Some(simple)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A reference to nobody is Graph's 404, naming the field.
    let nobody =
        json!({ "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", uuid::Uuid::new_v4()) });
    let (status, problem) = call(Method::POST, format!("/api/v1/groups/{id}/members/$ref"), Some(nobody)).await;
    assert_eq!((status, fields(&problem)), (StatusCode::NOT_FOUND, vec!["@odata.id".to_string()]));
    let (status, problem) =
        call(Method::POST, format!("/api/v1/groups/{id}/members"), Some(json!({ "id": uuid::Uuid::new_v4() }))).await;
    assert_eq!((status, fields(&problem)), (StatusCode::NOT_FOUND, vec!["id".to_string()]));
    let (_, object) = call(Method::GET, format!("/api/v1/directoryObjects/{ana}"), None).await;
    assert_eq!(
        (object["@odata.type"].as_str(), object["mail"].as_str()),
        (Some("#microsoft.graph.user"), Some("ana@fabrikam.example"))
    );
    let (_, object) = call(Method::GET, format!("/api/v1/directoryObjects/{id}"), None).await;
    assert_eq!(object["@odata.type"], "#microsoft.graph.group");

    let (status, _) = call(Method::DELETE, format!("/api/v1/groups/{id}/members/{ana}/$ref"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, members) = call(Method::GET, format!("/api/v1/groups/{id}/members"), None).await;
    assert_eq!(members["value"].as_array().map(Vec::len), Some(0));
    let (status, _) = call(Method::DELETE, format!("/api/v1/groups/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(Method::GET, format!("/api/v1/groups/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let actions = app.audit_actions().await;
    for a in ["group.created", "group.updated", "group.member_added", "group.member_removed", "group.deleted"] {
        assert!(actions.contains(&a.to_string()), "{a}");
    }
    app
}
both!(groups_are_made_and_filled_by_reference);

/// The OData Graph scripts use on users: `$filter` (eq, ne, in, startswith, and/or, dates),
/// `$select`, `$top` with `@odata.nextLink`, `$count` with `ConsistencyLevel`; anything
/// else is a 400 naming it — a guest filter never returns members.
async fn users_are_filtered_selected_and_counted_as_graph_does(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    for (email, name) in
        [("ana@fabrikam.example", "Ana"), ("bo@fabrikam.example", "Bo"), ("cy@northwind.example", "Cy")]
    {
        app.invite(email, &[("display_name", name)]).await;
    }
    let key = make_key(&app, "Graph script", &["users:read", "users:write"]).await;
    let http = Client::new();
    let get = |query: &str, eventual: bool| {
        let mut r = http.get(app.url("/api/v1/users")).query(&[("$filter", query)]).bearer_auth(&key);
        if eventual {
            r = r.header("ConsistencyLevel", "eventual");
        }
        r.send()
    };
    let mails = |v: &Value| {
        let mut m: Vec<String> =
            v["value"].as_array().unwrap().iter().map(|u| u["mail"].as_str().unwrap().to_string()).collect();
        m.sort();
        m
    };
    let (status, guests) = read(get("userType eq 'Guest'", false).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{guests}");
    assert_eq!(mails(&guests).len(), 3, "the admin is a member: {guests}");
    let (_, some) =
        read(get("userType eq 'Guest' and startswith(mail,'ana') or displayName eq 'cy'", false).await.unwrap()).await;
    assert_eq!(mails(&some), vec!["ana@fabrikam.example", "cy@northwind.example"]);
    let (_, some) = read(
        get("mail in ('bo@fabrikam.example', 'nobody@x.example') and accountEnabled eq true", false).await.unwrap(),
    )
    .await;
    assert_eq!(mails(&some), vec!["bo@fabrikam.example"]);
    let (_, some) = read(
        get("externalUserState eq 'PendingAcceptance' and createdDateTime ge 2000-01-01T00:00:00Z", false)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(mails(&some).len(), 3);
    let (_, none) = read(get("userType ne 'Guest' and userType ne 'Member'", false).await.unwrap()).await;
    assert_eq!(mails(&none).len(), 0);

    // $select, $top and the next page, $count with its header.
    let r = http
        .get(app.url("/api/v1/users"))
        .query(&[
            ("$filter", "userType eq 'Guest'"),
            ("$select", "displayName,mail"),
            ("$top", "2"),
            ("$count", "true"),
        ])
        .header("ConsistencyLevel", "eventual")
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let (status, page) = read(r).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["@odata.count"], 3);
    let first = &page["value"][0];
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "id, displayName and mail only: {first}");
    let next = page["@odata.nextLink"].as_str().unwrap().to_string();
    let (_, rest) =
        read(http.get(next).header("ConsistencyLevel", "eventual").bearer_auth(&key).send().await.unwrap()).await;
    assert_eq!(rest["value"].as_array().unwrap().len(), 1, "{rest}");
    assert!(rest["value"][0].get("state").is_none(), "the selection holds on the next page");

    // What is not supported is named.
    for (query, named) in [
        (vec![("$orderby", "displayName")], "$orderby"),
        (vec![("$select", "jobTitle")], "$select"),
        (vec![("$count", "true")], "$count"),
        (vec![("$filter", "endswith(mail,'x')")], "$filter"),
        (vec![("$top", "1000")], "$top"),
    ] {
        let r = http.get(app.url("/api/v1/users")).query(&query).bearer_auth(&key).send().await.unwrap();
        let (status, problem) = read(r).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query:?}: {problem}");
        assert!(problem.to_string().contains(named), "{query:?}: {problem}");
    }
    for email in ["ana@fabrikam.example", "bo@fabrikam.example", "cy@northwind.example"] {
        app.take_mail(email).await;
    }
    app
}
both!(users_are_filtered_selected_and_counted_as_graph_does);

/// Microsoft's Graph JavaScript client runs a guest-management script here with only the
/// base URL and the token changed (e2e/peers/graph-client.mjs).
async fn the_graph_javascript_client_runs_a_guest_script(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let key = make_key(&app, "Graph client", &["invitations:write", "users:read", "users:write", "groups:write"]).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/peers/graph-client.mjs");
    assert!(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("e2e/node_modules/@microsoft/microsoft-graph-client")
            .exists(),
        "the test peers are not installed: run `npm ci --prefix e2e`"
    );
    let base = app.base.clone();
    let out =
        tokio::task::spawn_blocking(move || std::process::Command::new("node").arg(script).arg(base).arg(key).output())
            .await
            .unwrap()
            .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("\"removed\":\"kim@graph-partner.example\""), "{said}");
    for email in ["kim@graph-partner.example", "lee@graph-partner.example"] {
        let mails = app.take_mail(email).await;
        assert!(!mails.is_empty() && mails.iter().all(|m| m.cc == "lead@graph-partner.example"), "the Cc: {email}");
    }
    app
}
both!(the_graph_javascript_client_runs_a_guest_script);

/// An invitation may send a guest to a site an admin listed in Settings; elsewhere the
/// 422 names the setting.
async fn redirects_go_where_settings_allow(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let key = make_key(&app, "Graph script", &["invitations:write"]).await;
    let body = json!({ "invitedUserEmailAddress": "ana@fabrikam.example", "inviteRedirectUrl": "https://intranet.contoso.example/welcome" });
    let (status, problem) = post(&app, &key, "/api/v1/invitations", &body).await;
    assert_eq!((status, fields(&problem)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["inviteRedirectUrl".to_string()]));
    assert!(problem["detail"].as_str().unwrap().contains("Other addresses guests may be sent to"), "{problem}");
    let page = app
        .post(
            "/admin/settings",
            &settings_form(&[("redirect_origins", "https://intranet.contoso.example/start\nnot a url")]),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "a bad line is refused");
    let page = app
        .post("/admin/settings", &settings_form(&[("redirect_origins", "https://intranet.contoso.example/start")]))
        .await;
    assert!(page.has("The settings were saved"), "{}", page.body);
    assert!(app.get("/admin/settings").await.has("https://intranet.contoso.example"));
    let (status, made) = post(&app, &key, "/api/v1/invitations", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["inviteRedirectUrl"], "https://intranet.contoso.example/welcome");
    app
}
both!(redirects_go_where_settings_allow);

/// `ccRecipients` is honoured as Graph does: one recipient gets a copy of the invitation
/// mail (the .eml says `Cc:`), the invitation shows it, a re-invitation copies whom it
/// names; two recipients are a 400 naming the limit, a bad address a 422 naming its path.
async fn a_cc_recipient_gets_a_copy_of_the_invitation(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let key = make_key(&app, "Graph script", &["invitations:write"]).await;
    let path = "/api/v1/invitations";
    let cc = |address: &str| json!({ "emailAddress": { "address": address, "name": "Lead" } });
    let with = |email: &str, ccs: Value| {
        json!({ "invitedUserEmailAddress": email, "sendInvitationMessage": true,
                "invitedUserMessageInfo": { "customizedMessageBody": "Welcome", "ccRecipients": ccs } })
    };
    let two = with("ana@fabrikam.example", json!([cc("lead@fabrikam.example"), cc("boss@fabrikam.example")]));
    let (status, problem) = post(&app, &key, path, &two).await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::BAD_REQUEST, vec!["invitedUserMessageInfo.ccRecipients".into()])
    );
    assert!(problem["detail"].as_str().unwrap().contains("one Cc"), "{problem}");
    let bad = with("ana@fabrikam.example", json!([cc("not an address")]));
    let (status, problem) = post(&app, &key, path, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), vec!["invitedUserMessageInfo.ccRecipients[0].emailAddress.address"]);
    let row = json!({ "invitedUserEmailAddress": "bo@fabrikam.example",
                      "invitedUserMessageInfo": { "ccRecipients": [cc("a@x.example"), cc("b@x.example")] } });
    let bulk = json!({ "invitations": [row] });
    let (status, problem) = post(&app, &key, "/api/v1/invitations/bulk", &bulk).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(fields(&problem), vec!["invitations[0].invitedUserMessageInfo.ccRecipients"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 0, "nothing was made");

    let (status, made) =
        post(&app, &key, path, &with("ana@fabrikam.example", json!([cc("lead@fabrikam.example")]))).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let shown = &made["invitedUserMessageInfo"]["ccRecipients"];
    assert_eq!(shown, &json!([{ "emailAddress": { "address": "lead@fabrikam.example" } }]), "{made}");
    let id = made["id"].as_str().unwrap();
    let (_, again) =
        read(Client::new().get(app.url(&format!("{path}/{id}"))).bearer_auth(&key).send().await.unwrap()).await;
    assert_eq!(&again["invitedUserMessageInfo"]["ccRecipients"], shown, "{again}");
    let mail = app.one_mail("ana@fabrikam.example").await;
    assert_eq!(mail.cc, "lead@fabrikam.example");
    vestibule::jobs::run_once(&app.state).await.unwrap();
    let eml = |to: &str| -> Vec<String> {
        std::fs::read_dir(app.dir.path().join("mail"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .filter(|f| f.contains(&format!("To: {to}")))
            .collect()
    };
    let sent = eml("ana@fabrikam.example");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("Cc: lead@fabrikam.example"), "{}", sent[0]);

    // Inviting her again a minute later: the new request's note and (no) Cc go out.
    app.advance(chrono::Duration::seconds(61));
    let none = json!({ "invitedUserEmailAddress": "ana@fabrikam.example", "sendInvitationMessage": true,
                       "invitedUserMessageInfo": { "customizedMessageBody": "Reminder", "ccRecipients": null } });
    let (status, made) = post(&app, &key, path, &none).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["invitedUserMessageInfo"]["ccRecipients"], json!([]), "{made}");
    let mail = app.one_mail("ana@fabrikam.example").await;
    assert_eq!(mail.cc, "", "no copy this time");
    assert!(mail.text_body.contains("Reminder"), "the new note: {}", mail.text_body);
    app
}
both!(a_cc_recipient_gets_a_copy_of_the_invitation);
