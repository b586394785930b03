//! F9: the portal as the OpenID Provider of the host's apps, met by a relying party nobody
//! here wrote — the npm `openid-client` (`e2e/peers/openid-rp.mjs`) — and by raw requests
//! for the refusals a well-behaved client never makes.

mod flow;
mod logout;
mod refusals;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::federation::{OidcPeer, free_port, start_peer};
use crate::helpers::*;

/// The relying-party peer: one process, several registered clients.
pub struct Rp {
    _peer: OidcPeer,
    pub origin: String,
    http: reqwest::Client,
}

impl Rp {
    pub fn start(app: &TestApp) -> Rp {
        // The peer checks token times against the real clock: move the app's clock there.
        app.advance(chrono::Utc::now() - app.state.clock.now());
        let port = free_port();
        let peer = start_peer("openid-rp.mjs", port, &[], std::slice::from_ref(&app.base));
        Rp { origin: format!("http://127.0.0.1:{port}"), _peer: peer, http: reqwest::Client::new() }
    }

    pub fn redirect_uri(&self, name: &str) -> String {
        format!("{}/cb/{name}", self.origin)
    }

    pub fn backchannel_uri(&self, name: &str) -> String {
        format!("{}/backchannel/{name}", self.origin)
    }

    pub fn signed_out_uri(&self, name: &str) -> String {
        format!("{}/signed-out/{name}", self.origin)
    }

    pub fn login_url(&self, name: &str, query: &str) -> String {
        format!("{}/login/{name}?{query}", self.origin)
    }

    /// Registers a client with the peer (it runs discovery against the portal).
    pub async fn register(&self, name: &str, c: &Client, auth: &str, alg: &str) {
        let body =
            json!({ "name": name, "client_id": c.client_id, "client_secret": c.secret, "auth": auth, "alg": alg });
        let (status, v) = self.call("clients", name, body).await;
        assert_eq!(status, StatusCode::OK, "registering {name}: {v}");
    }

    /// POST /ACTION/NAME with a JSON body.
    pub async fn call(&self, action: &str, name: &str, body: Value) -> (StatusCode, Value) {
        let path = if action == "clients" { "/clients".to_string() } else { format!("/{action}/{name}") };
        let r = self.http.post(format!("{}{path}", self.origin)).json(&body).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn logouts(&self, name: &str) -> Vec<Value> {
        let r = self.http.get(self.backchannel_uri(name)).send().await.unwrap();
        r.json().await.unwrap()
    }
}

/// An app registered as an OIDC client through the admin form.
#[derive(Debug, Clone)]
pub struct Client {
    pub app_id: String,
    pub client_id: String,
    pub secret: Option<String>,
}

/// Adds `name` as an OIDC client of `rp` under `key` (the admin's browser); `extra` adds or
/// overrides form fields (`client_type`, `id_token_alg`, `consent_required`, …).
pub async fn add_client(app: &TestApp, rp: &Rp, name: &str, key: &str, extra: &[(&str, &str)]) -> Client {
    let redirect = rp.redirect_uri(key);
    let backchannel = rp.backchannel_uri(key);
    let signed_out = rp.signed_out_uri(key);
    let mut fields: Vec<(&str, &str)> = vec![
        ("name", name),
        ("launch_url", "http://127.0.0.1:9/"),
        ("visible_in_panel", "yes"),
        ("oidc", "yes"),
        ("client_id", key),
        ("client_type", "confidential"),
        ("redirect_uris", &redirect),
        ("post_logout_redirect_uris", &signed_out),
        ("backchannel_logout_uri", &backchannel),
        ("id_token_alg", "RS256"),
    ];
    for (k, v) in extra {
        fields.retain(|(f, _)| f != k);
        fields.push((k, v));
    }
    let page = app.post("/admin/apps", &fields).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let secret = between(&page.body, "id=\"secret\" value=\"", "\"");
    let list = app.get("/admin/apps").await;
    let marker = format!(">{name}</a>");
    let at = list.body.find(&marker).expect("the new app is listed");
    let href = list.body[..at].rfind("/admin/apps/").unwrap();
    let app_id = list.body[href + "/admin/apps/".len()..at - 1].to_string();
    Client { app_id, client_id: key.to_string(), secret }
}

/// Assigns the app to the user (the admin's browser).
pub async fn assign(app: &TestApp, email: &str, client: &Client) {
    let user = app.user_id(email).await;
    let page = app.post(&format!("/admin/users/{user}/apps"), &[("app_id", &client.app_id)]).await;
    assert!(page.has("The app was assigned"), "{}", page.body);
}

/// Invites and redeems a guest in a browser of their own; returns that browser.
pub async fn guest(app: &TestApp, email: &str, apps: &[&Client]) -> (reqwest::Client, reqwest::Client) {
    let extra: Vec<(&str, &str)> = apps.iter().map(|c| ("app", c.app_id.as_str())).collect();
    let link = app.invite(email, &extra).await;
    let (browser, raw) = app.new_browser();
    let page = app.redeem_as(&browser, &link, email).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    (browser, raw)
}

/// Follows the app's login in `browser` to the end: the RP's JSON answer (or a page).
pub async fn launch(browser: &reqwest::Client, rp: &Rp, key: &str, query: &str) -> Page {
    Page::from(browser.get(rp.login_url(key, query)).send().await.unwrap()).await
}

pub fn json_of(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("not JSON ({}): {}", page.url, page.body))
}

/// The value of the form input `name` on a page, as a browser reads it (entities decoded).
pub fn input_value(body: &str, name: &str) -> String {
    let raw = between(body, &format!("name=\"{name}\" value=\""), "\"").unwrap_or_else(|| panic!("no input {name}"));
    raw.replace("&#38;", "&")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
