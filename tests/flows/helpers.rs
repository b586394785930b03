//! `TestApp`: the real app on a random port with a fresh database (a temp SQLite file, or a
//! PostgreSQL database cloned from a migrated template), a manual clock and a captured
//! mailbox (the outbox). Helpers drive it over HTTP as a browser does.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use reqwest::cookie::Jar;
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;
use vestibule::app;
use vestibule::clock::Clock;
use vestibule::config::Settings;
use vestibule::db::outbox::OutboxMessage;
use vestibule::db::{Db, outbox};
use vestibule::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// Runs one test body against a fresh app, then checks that no mail went unread.
pub async fn run<F, Fut>(kind: DbKind, body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = TestApp>,
{
    run_tweaked(kind, |_| {}, body).await
}

/// The same with the settings changed first (`TestApp::spawn_tweaked`).
pub async fn run_tweaked<F, Fut>(kind: DbKind, tweak: fn(&mut Settings), body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = TestApp>,
{
    let app = TestApp::spawn_tweaked(kind, tweak).await;
    let app = body(app).await;
    app.finish().await;
}

/// Declares a test for each database: `both!(name);` runs `async fn name(app: TestApp) -> TestApp`;
/// `both!(name, |s| …)` changes the settings first.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        $crate::both!($name, |_| {});
    };
    ($name:ident, $tweak:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::helpers::run_tweaked($crate::helpers::DbKind::Sqlite, $tweak, super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::helpers::run_tweaked($crate::helpers::DbKind::Postgres, $tweak, super::$name).await
            }
        }
    };
}

pub struct TestApp {
    pub kind: DbKind,
    pub state: AppState,
    pub base: String,
    /// Follows redirects, like a browser.
    pub browser: Client,
    /// Same cookies, but stops at redirects so tests can read `Location`.
    pub raw: Client,
    /// The browser's cookies, to copy them as an attacker would.
    pub jar: Arc<Jar>,
    pub dir: tempfile::TempDir,
    pg_database: Option<String>,
    read_mail: Mutex<HashSet<Uuid>>,
    /// Each person's authenticator secret (as their phone would keep it) and the last
    /// time step a code of it was sent.
    authenticators: Mutex<std::collections::HashMap<String, (Vec<u8>, i64)>>,
}

pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// Every log line of this test process, at debug level: the secrets test reads it.
static LOGS: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing the process's logs at debug level (once).
fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buf.clone());
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init()
            .ok();
        buf
    })
    .clone()
}

/// What the app has logged so far (all tests of this process).
pub fn logged() -> String {
    String::from_utf8_lossy(&capture_logs().lock().unwrap()).into_owned()
}

impl TestApp {
    pub async fn spawn(kind: DbKind) -> TestApp {
        Self::spawn_tweaked(kind, |_| {}).await
    }

    /// `spawn` with the public URL at `http://localhost:PORT`: a name, where browsers allow
    /// passkeys (WebAuthn refuses IP addresses). Requests still go to 127.0.0.1 (see `url`).
    pub async fn spawn_on_localhost(kind: DbKind) -> TestApp {
        Self::spawn_tweaked(kind, |s| s.public_url = s.public_url.replace("127.0.0.1", "localhost")).await
    }

    /// `spawn`, with the settings changed by `tweak` first.
    pub async fn spawn_tweaked(kind: DbKind, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, pg_database) = match kind {
            DbKind::Sqlite => (format!("sqlite:{}", dir.path().join("vestibule.db").display()), None),
            DbKind::Postgres => {
                let name = pg::fresh_database().await;
                (pg::url(&name), Some(name))
            }
        };
        Self::spawn_with(kind, dir, database_url, pg_database, tweak).await
    }

    pub async fn spawn_with(
        kind: DbKind,
        dir: tempfile::TempDir,
        database_url: String,
        pg_database: Option<String>,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestApp {
        capture_logs();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let mut settings = Settings {
            database_url,
            bind: format!("127.0.0.1:{port}"),
            public_url: base.clone(),
            mail: format!("file:{}", dir.path().join("mail").display()).into(),
            data_dir: dir.path().join("var"),
            org_name: "Contoso".into(),
            privacy_url: "https://contoso.example/privacy".into(),
            terms_text: "Be kind. Keep shared data confidential.".into(),
            terms_version: "2026-1".into(),
            worker: false,
            http_workers: 2,
            allow_http_identity_providers: true,
            // The peers (IdPs, relying parties) listen on 127.0.0.1.
            allow_private_network_targets: true,
            ..Settings::default()
        };
        tweak(&mut settings);
        let state = app::open(settings, Clock::manual(start_time())).await.expect("app starts");
        let server = app::serve(state.clone(), listener).expect("server binds");
        tokio::spawn(server);
        let jar = Arc::new(Jar::default());
        let browser = Client::builder().cookie_provider(jar.clone()).redirect(Policy::limited(10)).build().unwrap();
        let raw = Client::builder().cookie_provider(jar.clone()).redirect(Policy::none()).build().unwrap();
        TestApp {
            kind,
            state,
            base,
            browser,
            raw,
            jar,
            dir,
            pg_database,
            read_mail: Mutex::new(HashSet::new()),
            authenticators: Mutex::default(),
        }
    }

    /// A second browser (its own cookies) on the same app.
    pub fn new_browser(&self) -> (Client, Client) {
        let jar = Arc::new(Jar::default());
        let browser = Client::builder().cookie_provider(jar.clone()).redirect(Policy::limited(10)).build().unwrap();
        let raw = Client::builder().cookie_provider(jar).redirect(Policy::none()).build().unwrap();
        (browser, raw)
    }

    /// The `Cookie` header this browser sends.
    pub fn cookie_header(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().unwrap();
        self.jar.cookies(&url).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
    }

    /// GET `path` from a client with no cookie jar, sending `cookie` as it is.
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> Response {
        let client = Client::builder().redirect(Policy::none()).build().unwrap();
        client.get(self.url(path)).header("Cookie", cookie).send().await.unwrap()
    }

    /// A browser on another machine: its requests come from `ip` (any 127.x address).
    pub fn browser_from(&self, ip: &str) -> Client {
        let jar = Arc::new(Jar::default());
        Client::builder()
            .cookie_provider(jar)
            .local_address(ip.parse::<std::net::IpAddr>().unwrap())
            .redirect(Policy::limited(10))
            .build()
            .unwrap()
    }

    /// The address of `path`; a link the app wrote with its public URL (which may name
    /// `localhost`) is sent to the same server at `base`, where this browser's cookies are.
    pub fn url(&self, path: &str) -> String {
        if let Some(rest) = path.strip_prefix(self.state.settings.public_url.as_str()) {
            format!("{}{}", self.base, rest)
        } else if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    pub fn advance(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    pub async fn get(&self, path: &str) -> Page {
        Page::from(self.browser.get(self.url(path)).send().await.unwrap()).await
    }

    /// GET without following redirects.
    pub async fn get_raw(&self, path: &str) -> Response {
        self.raw.get(self.url(path)).send().await.unwrap()
    }

    /// The session's CSRF token, read from a form page as a browser would see it.
    pub async fn csrf(&self) -> String {
        csrf_of(&self.browser, &self.url("/signin")).await
    }

    /// `fields` with the session's CSRF token in front, as a browser's form would send them.
    async fn with_csrf(&self, fields: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut all = vec![("csrf".to_string(), self.csrf().await)];
        all.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        all
    }

    /// Submits a form with the session's CSRF token and follows redirects.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.with_csrf(fields).await;
        Page::from(self.browser.post(self.url(path)).form(&form).send().await.unwrap()).await
    }

    /// Submits a form without following the redirect.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let form = self.with_csrf(fields).await;
        self.raw.post(self.url(path)).form(&form).send().await.unwrap()
    }

    pub async fn outbox(&self) -> Vec<OutboxMessage> {
        let mut c = self.state.db.acquire().await.unwrap();
        outbox::all(c.conn()).await.unwrap()
    }

    /// Mail to `to` not yet read by the test, oldest first; marks them read.
    pub async fn take_mail(&self, to: &str) -> Vec<OutboxMessage> {
        let mut read = self.read_mail.lock().unwrap().clone();
        let new: Vec<OutboxMessage> =
            self.outbox().await.into_iter().filter(|m| m.recipient == to && !read.contains(&m.id)).collect();
        read.extend(new.iter().map(|m| m.id));
        *self.read_mail.lock().unwrap() = read;
        new
    }

    /// The one new mail to `to`.
    pub async fn one_mail(&self, to: &str) -> OutboxMessage {
        let mut mails = self.take_mail(to).await;
        assert_eq!(mails.len(), 1, "expected exactly one new mail to {to}, got {}", mails.len());
        mails.remove(0)
    }

    pub async fn assert_no_mail(&self, to: &str) {
        let mails = self.take_mail(to).await;
        assert!(
            mails.is_empty(),
            "expected no mail to {to}, got: {:?}",
            mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
        );
    }

    /// Creates the first admin through the CLI's flow and signs this browser in as them.
    pub async fn sign_in_admin(&self, email: &str) {
        let link = vestibule::flows::bootstrap::create_admin(
            &self.state,
            &vestibule::domain::EmailAddress::parse(email).unwrap(),
            None,
        )
        .await
        .unwrap();
        let page = self.get(&link).await;
        assert_eq!(page.status, StatusCode::OK);
        let page = self.post(&link, &[]).await;
        let page = self.pass_mfa_in(&self.browser, page, email).await;
        assert!(page.url.ends_with("/admin"), "admin lands on the dashboard, got {}", page.url);
    }

    /// The code `email`'s authenticator app shows now; a code of the same time step as the
    /// last one sent waits for the next step (the test clock moves 30 seconds), as a person
    /// would wait for the app's next code.
    pub fn authenticator_code(&self, email: &str) -> String {
        let mut apps = self.authenticators.lock().unwrap();
        let (secret, last) = apps.get_mut(email).expect("an authenticator was set up");
        if vestibule::domain::mfa::step_of(self.state.clock.now()) <= *last {
            self.state.clock.advance(Duration::seconds(30));
        }
        let now = self.state.clock.now();
        *last = vestibule::domain::mfa::step_of(now);
        let t = vestibule::domain::mfa::totp(secret, "Contoso", email).unwrap();
        vestibule::domain::mfa::code_at(&t, now)
    }

    /// Sets up an authenticator on the set-up page `page` shows in `browser`; the page after
    /// the recovery codes.
    /// Returns that page, the recovery codes shown, and the key the app was given.
    pub async fn set_up_authenticator(&self, browser: &Client, page: Page, email: &str) -> (Page, Vec<String>, String) {
        assert!(page.has("Set up an authenticator app"), "{} {}", page.url, page.body);
        let method = between(&page.body, "name=\"method\" value=\"", "\"").unwrap();
        let next = html_unescape(&between(&page.body, "name=\"next\" value=\"", "\"").unwrap_or_default());
        let key = between(&page.body, "secret-key\">", "<").unwrap();
        let secret = totp_rs::Secret::try_from_base32(&key).unwrap().as_ref().to_vec();
        self.authenticators.lock().unwrap().insert(email.to_string(), (secret, i64::MIN));
        let code = self.authenticator_code(email);
        let csrf = csrf_of(browser, &page.url).await;
        let form = [("csrf", csrf.as_str()), ("method", &method), ("name", "Phone"), ("code", &code), ("next", &next)];
        let codes_page = Page::from(browser.post(self.url("/mfa/setup")).form(&form).send().await.unwrap()).await;
        let mut mails = self.take_mail(email).await;
        mails.retain(|m| !m.subject.contains("sign-in methods"));
        assert!(
            mails.is_empty(),
            "only the security notice: {:?}",
            mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
        );
        let codes: Vec<String> = codes_page
            .body
            .split("<li>")
            .skip(1)
            .filter_map(|part| part.split("</li>").next())
            .filter(|c| c.len() == 11 && c.as_bytes()[5] == b'-')
            .map(str::to_string)
            .collect();
        let after = match between(&codes_page.body, "class=\"button wide\" href=\"", "\"") {
            Some(next) => Page::from(browser.get(self.url(&html_unescape(&next))).send().await.unwrap()).await,
            None => codes_page,
        };
        (after, codes, key)
    }

    /// Passes the second step if `page` asks for it in `browser`: sets up an authenticator
    /// the first time, types its code after that. Any other page is returned as it is.
    pub async fn pass_mfa_in(&self, browser: &Client, page: Page, email: &str) -> Page {
        if page.has("Set up an authenticator app") {
            return self.set_up_authenticator(browser, page, email).await.0;
        }
        if !page.has("Confirm it") {
            return page;
        }
        let next = between(&page.body, "name=\"next\" value=\"", "\"").unwrap_or_default();
        let code = self.authenticator_code(email);
        let csrf = csrf_of(browser, &page.url).await;
        let form = [("csrf", csrf.as_str()), ("code", &code), ("next", &html_unescape(&next))];
        Page::from(browser.post(self.url("/mfa")).form(&form).send().await.unwrap()).await
    }

    /// Signs `browser` in with an email code; the page after the first factor (the second
    /// step, where one is required).
    pub async fn first_factor_in(&self, browser: &Client, email: &str) -> Page {
        let csrf = csrf_of(browser, &self.url("/signin")).await;
        let form = [("csrf", csrf.as_str()), ("email", email)];
        Page::from(browser.post(self.url("/signin")).form(&form).send().await.unwrap()).await;
        let code = code_in(&self.one_mail(email).await);
        let form = [("csrf", csrf.as_str()), ("code", code.as_str())];
        Page::from(browser.post(self.url("/signin/code")).form(&form).send().await.unwrap()).await
    }

    /// Signs this browser in with an email code.
    pub async fn sign_in_with_code(&self, email: &str) -> Page {
        let page = self.post("/signin", &[("email", email)]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let code = code_in(&self.one_mail(email).await);
        let page = self.post("/signin/code", &[("code", &code)]).await;
        self.pass_mfa_in(&self.browser, page, email).await
    }

    pub async fn sign_out(&self) {
        let page = self.post("/signout", &[]).await;
        assert!(page.body.contains("You are signed out"));
    }

    /// Adds an app through the admin form; returns its id.
    pub async fn add_app(&self, name: &str, launch_url: &str) -> String {
        let page = self
            .post(
                "/admin/apps",
                &[
                    ("name", name),
                    ("description", "Shared docs"),
                    ("launch_url", launch_url),
                    ("visible_in_panel", "yes"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let marker = format!(">{name}</a>");
        let at = page.body.find(&marker).expect("the new app is listed");
        let href = page.body[..at].rfind("/admin/apps/").unwrap();
        page.body[href + "/admin/apps/".len()..at - 1].to_string()
    }

    /// Invites a guest through the admin form (the browser must be an admin's) and returns
    /// the redemption link from the mail.
    pub async fn invite(&self, email: &str, extra: &[(&str, &str)]) -> String {
        let mut fields = vec![("email", email), ("send_email", "yes")];
        fields.extend_from_slice(extra);
        let page = self.post("/admin/invitations", &fields).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains(&format!("Invitation sent to {email}")), "{}", page.body);
        redeem_link_in(&self.one_mail(email).await)
    }

    /// Redeems `link` with an email code in this browser, up to the consent page.
    pub async fn prove_with_code(&self, browser: &Client, link: &str, email: &str) {
        let page = Page::from(browser.get(link).send().await.unwrap()).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let token = csrf_of(browser, link).await;
        let page =
            Page::from(browser.post(format!("{link}/code")).form(&[("csrf", token.as_str())]).send().await.unwrap())
                .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let code = code_in(&self.one_mail(email).await);
        let page = Page::from(
            browser
                .post(format!("{link}/verify"))
                .form(&[("csrf", token.as_str()), ("code", code.as_str())])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("<p class=\"eyebrow\">Review and accept</p>"), "{}", page.body);
    }

    /// Redeems `link` in `browser` with an email code and accepts the terms; the final page.
    pub async fn redeem_as(&self, browser: &Client, link: &str, email: &str) -> Page {
        self.prove_with_code(browser, link, email).await;
        let token = csrf_of(browser, link).await;
        let form = [("csrf", token.as_str()), ("accept_terms", "yes")];
        Page::from(browser.post(format!("{link}/accept")).form(&form).send().await.unwrap()).await
    }

    /// The PostgreSQL database of this app (`None` on SQLite).
    pub fn pg_database(&self) -> Option<&str> {
        self.pg_database.as_deref()
    }

    pub async fn user_id(&self, email: &str) -> Uuid {
        let mut c = self.state.db.acquire().await.unwrap();
        vestibule::db::users::find_by_email(c.conn(), email).await.unwrap().expect("the user exists").id
    }

    /// The codes of the audit log, newest first; each one must be in the catalogue (it reads
    /// back as an `Action`), whatever wrote it.
    pub async fn audit_actions(&self) -> Vec<String> {
        let mut c = self.state.db.acquire().await.unwrap();
        let (events, _) =
            vestibule::db::audit::list(c.conn(), &Default::default(), vestibule::db::Page::new(1, 1000)).await.unwrap();
        for e in &events {
            assert!(vestibule::domain::audit::Action::parse(&e.action).is_some(), "{} is in the catalogue", e.action);
        }
        events.into_iter().map(|e| e.action).collect()
    }

    /// Every value in every table, as text: for asserting that no secret is stored.
    pub async fn dump_database(&self) -> String {
        let mut out = String::new();
        match &self.state.db {
            Db::Sqlite(p, _) => {
                let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .fetch_all(p)
                    .await
                    .unwrap();
                for t in tables {
                    let cols: Vec<String> =
                        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT name FROM pragma_table_info('{t}')")))
                            .fetch_all(p)
                            .await
                            .unwrap();
                    for col in cols {
                        let sql = format!("SELECT CAST(\"{col}\" AS BLOB) FROM \"{t}\"");
                        let values: Vec<Option<Vec<u8>>> =
                            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(p).await.unwrap();
                        for v in values.into_iter().flatten() {
                            out.push_str(&format!("{t}.{col}: {}\n", String::from_utf8_lossy(&v)));
                        }
                    }
                }
            }
            Db::Postgres(p, _) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
                )
                .fetch_all(p)
                .await
                .unwrap();
                for t in tables {
                    let sql = format!("SELECT t::text FROM \"{t}\" t");
                    let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(p).await.unwrap();
                    for r in rows {
                        out.push_str(&format!("{t}: {r}\n"));
                    }
                }
            }
        }
        out
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        match &self.state.db {
            Db::Sqlite(p, _) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            Db::Postgres(p, _) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        }
    }

    /// Runs statements on the app's database (one or several, separated by `;`), as an
    /// operator or a fault would.
    pub async fn execute(&self, sql: &str) {
        match &self.state.db {
            Db::Sqlite(p, _) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()),
            Db::Postgres(p, _) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Every mail the app queued must have been looked at by the test.
    pub async fn finish(self) {
        let read = self.read_mail.lock().unwrap().clone();
        let unread: Vec<String> = self
            .outbox()
            .await
            .into_iter()
            .filter(|m| !read.contains(&m.id))
            .map(|m| format!("{}: {}", m.recipient, m.subject))
            .collect();
        self.state.db.close().await;
        if let Some(name) = &self.pg_database {
            pg::drop_database(name).await;
        }
        assert!(unread.is_empty(), "the test left mail it did not expect: {unread:?}");
    }
}

/// Starts `node e2e/peers/{script} PORT ARGS…` (`python3` for a `.py`) and waits for its "listening PORT" line.
/// A peer that has said nothing after 30 s is killed and started again (twice at most): a
/// single hung start must fail one attempt, not the whole CI run. Its stderr goes to a file
/// so a failure can say what the peer said.
pub fn spawn_node_peer(script: &str, port: u16, env: &[(&str, &str)], args: &[String]) -> std::process::Child {
    use std::process::{Command, Stdio};
    let e2e = concat!(env!("CARGO_MANIFEST_DIR"), "/e2e");
    assert!(
        std::path::Path::new(e2e).join("node_modules/oidc-provider").exists(),
        "the test peers are not installed: run `npm ci --prefix e2e` (scripts/test.sh does)"
    );
    let mut report = String::new();
    for attempt in 1..=3 {
        let stderr = tempfile::tempfile().expect("a temp file for the peer's stderr");
        // Python peers (Authlib) run on the machine's python3; `.ci/run` installs their packages.
        let interpreter = if script.ends_with(".py") { "python3" } else { "node" };
        let mut child = Command::new(interpreter)
            .arg(format!("{e2e}/peers/{script}"))
            .arg(port.to_string())
            .args(args)
            .envs(env.iter().copied())
            // Kept open while the Child lives: a peer shared by a whole test binary (held in
            // a static) sees EOF when the binary exits, and stops.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr.try_clone().unwrap())
            .spawn()
            .expect("node runs");
        match first_line(&mut child, std::time::Duration::from_secs(30)) {
            Some(line) if line.starts_with("listening") => return child,
            said => {
                child.kill().ok();
                child.wait().ok();
                report += &format!("attempt {attempt}: stdout {said:?}, stderr {:?}\n", read_all(stderr));
            }
        }
    }
    panic!("{script} on port {port} did not start:\n{report}");
}

/// The child's first stdout line, if it comes within `limit`. Its later output keeps being
/// drained in the background: a closed pipe would kill the peer at its next log line.
fn first_line(child: &mut std::process::Child, limit: std::time::Duration) -> Option<String> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(child.stdout.take().expect("stdout is piped"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        reader.read_line(&mut line).ok();
        tx.send(line).ok();
        let mut sink = String::new();
        while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    rx.recv_timeout(limit).ok()
}

fn read_all(mut file: std::fs::File) -> String {
    use std::io::{Read, Seek};
    let mut text = String::new();
    file.rewind().ok();
    file.read_to_string(&mut text).ok();
    text
}

pub async fn csrf_of(client: &Client, url: &str) -> String {
    let body = client.get(url).send().await.unwrap().text().await.unwrap();
    between(&body, "name=\"csrf\" value=\"", "\"").unwrap_or_else(|| panic!("no CSRF token on {url}"))
}

/// A response read to the end.
pub struct Page {
    pub status: StatusCode,
    pub url: String,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    pub async fn from(r: Response) -> Page {
        let status = r.status();
        let url = r.url().to_string();
        let headers = r.headers().clone();
        Page { status, url, headers, body: r.text().await.unwrap() }
    }

    pub fn has(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

/// The settings form as the test app's settings have it (the same terms version, so saving
/// it asks no guest to accept the terms again), with `over` changed.
pub fn settings_form<'a>(over: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("org_name", "Contoso"),
        ("logo_url", ""),
        ("accent", "#2f4ea8"),
        ("privacy_url", ""),
        ("terms_text", "Be kind. Keep shared data confidential."),
        ("terms_version", "2026-1"),
        ("invitation_ttl_days", "30"),
        ("signup_ttl_days", "14"),
        ("domain_policy", "allow_all"),
        ("domains", ""),
        ("invite_policy", "members"),
        ("inactive_after_days", "90"),
        ("end_of_access", "block_then_delete"),
        ("audit_retention_days", "365"),
        ("mail_retention_days", "30"),
    ];
    for (k, v) in over {
        form.retain(|(f, _)| f != k);
        form.push((k, v));
    }
    form
}

/// Text as an HTML attribute or body carries it, unescaped.
pub fn html_unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#38;", "&")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&#x3d;", "=")
        .replace("&quot;", "\"")
}

/// The text of an HTML page as a person reads it: tags dropped, entities read, spaces
/// folded.
pub fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    html_unescape(&out).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A moment as mail, and a page without script, say it: "7 Dec 2026, 14:32 UTC".
pub fn utc_words(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// A moment as a page shows it: the browser's script says it again in the reader's zone.
pub fn time_element(t: DateTime<Utc>) -> String {
    format!(r#"<time datetime="{}" data-local>{}</time>"#, t.to_rfc3339_opts(SecondsFormat::Secs, true), utc_words(t))
}

pub fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(s[i..j].to_string())
}

/// The 8-digit code in a mail.
pub fn code_in(m: &OutboxMessage) -> String {
    m.text_body
        .split_whitespace()
        .find(|w| w.len() == 8 && w.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in: {}", m.text_body))
        .to_string()
}

/// The redemption link in an invitation mail.
pub fn redeem_link_in(m: &OutboxMessage) -> String {
    m.text_body
        .split_whitespace()
        .find(|w| w.contains("/redeem/"))
        .unwrap_or_else(|| panic!("no link in: {}", m.text_body))
        .to_string()
}

pub mod pg {
    //! One migrated template database per migration set; each test clones it.

    use super::*;

    pub fn server() -> String {
        std::env::var("VESTIBULE_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
    }

    pub fn url(db: &str) -> String {
        format!("{}/{db}", server())
    }

    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    static CLONING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    async fn admin() -> PgConnection {
        PgConnection::connect(&url("postgres"))
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL must be reachable at {} for the tests: {e}", server()))
    }

    fn migrations_digest() -> String {
        use sha2::{Digest, Sha256};
        let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let mut h = Sha256::new();
        for f in files {
            h.update(std::fs::read(f).unwrap());
        }
        hex::encode(&h.finalize()[..6])
    }

    async fn template() -> String {
        TEMPLATE
            .get_or_init(|| async {
                let name = format!("vestibule_tpl_{}", migrations_digest());
                let mut c = admin().await;
                // Serialises template creation across test processes.
                c.execute("SELECT pg_advisory_lock(727274)").await.unwrap();
                let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut c)
                    .await
                    .unwrap();
                if !exists {
                    c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
                    let db = Db::connect(&url(&name)).await.unwrap();
                    db.migrate().await.unwrap();
                    db.close().await;
                }
                c.execute("SELECT pg_advisory_unlock(727274)").await.unwrap();
                name
            })
            .await
            .clone()
    }

    pub async fn fresh_database() -> String {
        let template = template().await;
        let name = format!("vestibule_t_{}", Uuid::new_v4().simple());
        let _one_at_a_time = CLONING.lock().await;
        let mut c = admin().await;
        let mut tries = 0;
        loop {
            match c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name} TEMPLATE {template}"))).await {
                Ok(_) => return name,
                // Another process may be cloning the template this instant.
                Err(e) if tries < 50 => {
                    tries += 1;
                    tracing::debug!("retrying clone: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cloning the template database failed: {e}"),
            }
        }
    }

    /// Cuts the database off (no new connections; the open ones are ended), or lets it
    /// back: a PostgreSQL outage for one test's database only.
    pub async fn allow_connections(name: &str, allow: bool) {
        let mut c = admin().await;
        c.execute(sqlx::AssertSqlSafe(format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {allow}"))).await.unwrap();
        if !allow {
            let sql = format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
            c.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
        }
    }

    pub async fn drop_database(name: &str) {
        let mut c = admin().await;
        c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.ok();
    }
}
