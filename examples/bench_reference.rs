//! The benchmark's reference page: the least a signed-in Access Panel can do with Vestibule's
//! own parts — actix-web, an encrypted cookie session (actix-session, as Vestibule sets it
//! up), one query joining a person's apps, an askama template — and nothing else: no
//! server-side session record, no settings, no middleware. `scripts/bench.sh` measures
//! `/apps` here and in Vestibule on the same database and prints the ratio.
//!
//! Usage: cargo run --release --example bench_reference -- DATABASE_URL BIND
//!   DATABASE_URL: sqlite:/tmp/ref.db or postgres://…/db (its tables are made fresh, `ref_*`)
//!   GET /signin sets the session; GET /apps is the page measured.

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::{App, HttpResponse, HttpServer, web};
use askama::Template;
use sqlx::{PgPool, SqlitePool};

const TILES: usize = 12;

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(sqlx::FromRow)]
struct Tile {
    id: String,
    name: String,
    launch_url: String,
    description: String,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>My apps</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><main><h1>My apps</h1><p>Welcome, {{ name }}.</p>
<ul class="tiles">{% for t in tiles %}
<li><a class="tile" href="{{ t.launch_url }}" id="{{ t.id }}"><span class="tile-name">{{ t.name }}</span><span class="tile-desc">{{ t.description }}</span></a></li>{% endfor %}
</ul></main></body></html>"#
)]
struct AppsPage {
    name: String,
    tiles: Vec<Tile>,
}

const QUERY: &str = "SELECT a.id, a.name, a.launch_url, a.description FROM ref_apps a \
     JOIN ref_user_apps ua ON ua.app_id = a.id WHERE ua.user_id = $1 ORDER BY a.name";

async fn apps(pool: web::Data<Pool>, session: Session) -> actix_web::Result<HttpResponse> {
    let Some(user) = session.get::<String>("user")? else {
        return Ok(HttpResponse::SeeOther().insert_header(("Location", "/signin")).finish());
    };
    let tiles = match pool.get_ref() {
        Pool::Sqlite(p) => sqlx::query_as(QUERY).bind(&user).fetch_all(p).await,
        Pool::Postgres(p) => sqlx::query_as(QUERY).bind(&user).fetch_all(p).await,
    }
    .map_err(actix_web::error::ErrorInternalServerError)?;
    let body =
        AppsPage { name: "Bench User".into(), tiles }.render().map_err(actix_web::error::ErrorInternalServerError)?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

async fn signin(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("user", "u1")?;
    Ok(HttpResponse::SeeOther().insert_header(("Location", "/apps")).finish())
}

/// The schema and one person with `TILES` apps, made fresh.
async fn seed(pool: &Pool) -> sqlx::Result<()> {
    let mut statements = vec![
        "DROP TABLE IF EXISTS ref_user_apps".to_string(),
        "DROP TABLE IF EXISTS ref_apps".into(),
        "CREATE TABLE ref_apps (id TEXT PRIMARY KEY, name TEXT NOT NULL, launch_url TEXT NOT NULL, \
         description TEXT NOT NULL)"
            .into(),
        "CREATE TABLE ref_user_apps (user_id TEXT NOT NULL, app_id TEXT NOT NULL REFERENCES ref_apps(id), \
         PRIMARY KEY (user_id, app_id))"
            .into(),
    ];
    for i in 1..=TILES {
        statements.push(format!(
            "INSERT INTO ref_apps VALUES ('a{i}', 'App {i}', 'https://app{i}.contoso.example/', 'The app number {i}')"
        ));
        statements.push(format!("INSERT INTO ref_user_apps VALUES ('u1', 'a{i}')"));
    }
    for s in statements {
        let s = sqlx::AssertSqlSafe(s);
        match pool {
            Pool::Sqlite(p) => sqlx::query(s).execute(p).await.map(|_| ())?,
            Pool::Postgres(p) => sqlx::query(s).execute(p).await.map(|_| ())?,
        };
    }
    Ok(())
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(bind)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: bench_reference DATABASE_URL BIND");
    };
    // The pools as Vestibule sizes them (src/db/mod.rs).
    let pool = if url.starts_with("postgres") {
        Pool::Postgres(sqlx::postgres::PgPoolOptions::new().max_connections(10).connect(&url).await?)
    } else {
        use std::str::FromStr;
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(vestibule::db::SQLITE_POOL);
        Pool::Sqlite(pool.connect_with(opts).await?)
    };
    seed(&pool).await?;
    let pool = web::Data::new(pool);
    let key = Key::generate();
    println!("reference listening on {bind}");
    HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name("reference".into())
            .cookie_secure(false)
            .cookie_same_site(SameSite::Lax)
            .cookie_content_security(CookieContentSecurity::Private)
            .build();
        App::new()
            .app_data(pool.clone())
            .wrap(sessions)
            .route("/signin", web::get().to(signin))
            .route("/apps", web::get().to(apps))
    })
    .bind(bind)?
    .run()
    .await?;
    Ok(())
}
