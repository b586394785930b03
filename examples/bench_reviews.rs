//! The access review benchmark (issue 27): a review of 10,000 guests sponsored by 500
//! members — how long creating it takes (the snapshot, each reviewer's share, 500 mails) and
//! how long applying it takes at its end (half the guests are inactive, so following the
//! recommendation removes 5,000: their access, the end-of-access policy, a mail to each and
//! to their sponsor, an audit event each). Not a test: it prints the figures.
//!
//! Usage: cargo run --release --example bench_reviews -- [sqlite|postgres] [guests] [reviewers]
//!   PostgreSQL comes from VESTIBULE_TEST_PG (default postgres://postgres@127.0.0.1:5432),
//!   in a database made for the run and dropped after it.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use vestibule::clock::Clock;
use vestibule::config::Settings;
use vestibule::db::sponsors;
use vestibule::db::users::{self, NewUser};
use vestibule::domain::audit::Actor;
use vestibule::domain::review::{NewReview, Recurrence, Reviewers, Scope, Undecided};
use vestibule::domain::user::{GUEST, MEMBER, UserState};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "sqlite".into());
    let guests: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(10_000);
    let reviewers: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(500);
    let dir = tempfile::tempdir()?;
    let server = std::env::var("VESTIBULE_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let pg_name = format!("vestibule_bench_reviews_{}", std::process::id());
    let database_url = if kind == "postgres" {
        let admin = sqlx::PgPool::connect(&format!("{server}/postgres")).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {pg_name}"))).execute(&admin).await?;
        format!("{server}/{pg_name}")
    } else {
        format!("sqlite:{}", dir.path().join("bench.db").display())
    };
    let result = run(&database_url, dir.path(), guests, reviewers).await;
    if kind == "postgres" {
        let admin = sqlx::PgPool::connect(&format!("{server}/postgres")).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")))
            .execute(&admin)
            .await?;
    }
    result
}

async fn run(database_url: &str, dir: &std::path::Path, guests: usize, reviewers: usize) -> anyhow::Result<()> {
    let start = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).single().expect("a date");
    let clock = Clock::manual(start);
    let settings = Settings {
        database_url: database_url.into(),
        public_url: "http://127.0.0.1:8080".into(),
        mail: format!("file:{}", dir.join("mail").display()).into(),
        data_dir: dir.join("var"),
        org_name: "Contoso".into(),
        worker: false,
        ..Settings::default()
    };
    let state = vestibule::app::open(settings, clock.clone()).await?;

    // Members first; then guests, half of them 200 days ago (inactive by the time the review
    // runs), each sponsored by one member in turn.
    let t = Instant::now();
    let mut members = Vec::new();
    let mut tx = state.db.begin().await?;
    for i in 0..reviewers {
        let email = format!("member{i}@contoso.example");
        let new = NewUser {
            email: &email,
            display_name: &format!("Member {i}"),
            user_type: MEMBER,
            state: UserState::Accepted,
            created_via: "bench",
            is_admin: i == 0,
        };
        members.push(users::insert(tx.conn(), &new, clock.now()).await?.id);
    }
    tx.commit().await?;
    clock.advance(-Duration::days(200));
    for chunk in (0..guests).collect::<Vec<_>>().chunks(1000) {
        let mut tx = state.db.begin().await?;
        for &i in chunk {
            if i == guests / 2 {
                clock.advance(Duration::days(200));
            }
            let email = format!("guest{i}@partner{}.example", i % 400);
            let new = NewUser {
                email: &email,
                display_name: &format!("Guest {i}"),
                user_type: GUEST,
                state: UserState::PendingAcceptance,
                created_via: "bench",
                is_admin: false,
            };
            let user = users::insert(tx.conn(), &new, clock.now()).await?;
            users::accept(tx.conn(), user.id, "1", clock.now()).await?;
            sponsors::add(tx.conn(), user.id, members[i % members.len()]).await?;
        }
        tx.commit().await?;
    }
    println!("set up {guests} guests and {reviewers} members in {:.1} s", t.elapsed().as_secs_f64());

    let new = NewReview {
        name: "Quarterly partner review".into(),
        scope: Scope::All,
        scope_id: None,
        reviewers: Reviewers::Sponsors,
        fallback: Vec::new(),
        duration_days: 14,
        recurrence: Recurrence::Quarterly,
        undecided: Undecided::Recommendation,
    };
    let t = Instant::now();
    vestibule::flows::reviews::create(&state, &new, &Actor::system("bench"))
        .await?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created a review of {guests} guests with {reviewers} reviewers in {:.1} s", t.elapsed().as_secs_f64());

    clock.advance(Duration::days(15));
    let t = Instant::now();
    let applied = vestibule::flows::reviews::apply_due(&state).await?;
    let took = t.elapsed().as_secs_f64();
    let mut c = state.db.acquire().await?;
    let removed = vestibule::db::reviews::all(c.conn(), 10).await?.into_iter().map(|p| p.removed).sum::<i64>();
    println!("applied {applied} review ({removed} guests removed, each mailed with their sponsor) in {took:.1} s");
    Ok(())
}
