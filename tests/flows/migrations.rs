//! Issue 24: every CHECK constraint on a state or kind column lists exactly the values of
//! its Rust enum (or list), read from the migrated database itself on SQLite and on
//! PostgreSQL. A new state added to the enum and not to a migration (or the other way
//! round, or on one database only) fails here, not in production. `docs/MIGRATIONS.md`
//! says how to add one.

use std::collections::BTreeSet;

use vestibule::db::Db;
use vestibule::domain;

use crate::helpers::*;

/// (table, column, the values Rust knows).
fn known() -> Vec<(&'static str, &'static str, BTreeSet<String>)> {
    fn set<I: IntoIterator<Item = S>, S: ToString>(values: I) -> BTreeSet<String> {
        values.into_iter().map(|v| v.to_string()).collect()
    }
    use domain::{bulk::JobStatus, client, invitation::InvitationStatus, request::RequestStatus, user};
    vec![
        ("users", "user_type", set([user::MEMBER, user::GUEST])),
        ("users", "state", set(user::UserState::ALL.iter().map(|s| s.as_str()))),
        ("invitations", "status", set(InvitationStatus::ALL.iter().map(|s| s.as_str()))),
        ("signup_requests", "status", set(RequestStatus::ALL.iter().map(|s| s.as_str()))),
        ("bulk_jobs", "status", set(JobStatus::ALL.iter().map(|s| s.as_str()))),
        ("apps", "client_type", set(client::ClientType::ALL.iter().map(|s| s.as_str()))),
        ("apps", "id_token_alg", set(client::SigningAlg::ALL.iter().map(|s| s.as_str()))),
        ("signing_keys", "alg", set(client::SigningAlg::ALL.iter().map(|s| s.as_str()))),
        ("identity_providers", "kind", set(domain::idp::KINDS.iter().map(|(k, _)| *k))),
        ("access_packages", "approval_mode", set(domain::package::MODES.iter().map(|(m, _)| *m))),
        ("images", "content_type", set(domain::image::ImageType::ALL.iter().map(|s| s.as_str()))),
    ]
}

/// The quoted values of `column IN ('a', 'b', …)` in a constraint's text.
fn values_in(text: &str, column: &str) -> Option<BTreeSet<String>> {
    let lower = text.to_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(column) {
        let start = from + at;
        from = start + column.len();
        // The column name itself, not the end of a longer one (`user_type` in `_user_type`).
        let before = lower[..start].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[from..];
        let rest = rest.trim_start().trim_start_matches(')').trim_start();
        // PostgreSQL writes `(state = ANY (ARRAY['a'::text, …]))`; SQLite keeps `IN ('a', …)`.
        let list = if let Some(r) = rest.strip_prefix("IN").or_else(|| rest.strip_prefix("in")) {
            r.split_once(')').map(|(l, _)| l)?
        } else if let Some(r) = rest.strip_prefix("= ANY") {
            r.split_once(']').map(|(l, _)| l)?
        } else {
            continue;
        };
        return Some(list.split('\'').skip(1).step_by(2).map(str::to_string).collect());
    }
    None
}

async fn constraints_of(app: &TestApp, table: &str) -> Vec<String> {
    match &app.state.db {
        Db::Sqlite(pool, _) => {
            let sql: Option<String> =
                sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1")
                    .bind(table)
                    .fetch_optional(pool)
                    .await
                    .unwrap();
            sql.into_iter().collect()
        }
        Db::Postgres(pool, _) => sqlx::query_scalar(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
             WHERE c.contype = 'c' AND t.relname = $1",
        )
        .bind(table)
        .fetch_all(pool)
        .await
        .unwrap(),
    }
}

async fn check_constraints_list_exactly_the_rust_values(app: TestApp) -> TestApp {
    let mut wrong = Vec::new();
    for (table, column, rust) in known() {
        let found = constraints_of(&app, table).await.iter().find_map(|text| values_in(text, column));
        match found {
            None => wrong.push(format!("{table}.{column}: no CHECK constraint found")),
            Some(db) if db != rust => wrong.push(format!("{table}.{column}: database {db:?}, Rust {rust:?}")),
            Some(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{:?}:\n{}", app.kind, wrong.join("\n"));
    app
}
both!(check_constraints_list_exactly_the_rust_values);

#[test]
fn the_reader_finds_both_spellings() {
    let sqlite = "CREATE TABLE x (state TEXT NOT NULL CHECK (state IN ('a', 'b')), other_state TEXT)";
    assert_eq!(values_in(sqlite, "state"), Some(["a".to_string(), "b".to_string()].into()));
    let pg = "CHECK ((state = ANY (ARRAY['a'::text, 'b'::text])))";
    assert_eq!(values_in(pg, "state"), Some(["a".to_string(), "b".to_string()].into()));
    assert_eq!(values_in("CHECK (user_state IN ('z'))", "state"), None);
}

/// The fenced SQL between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in docs/MIGRATIONS.md.
fn documented(name: &str) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/MIGRATIONS.md")).unwrap();
    let block =
        doc.split(&format!("<!-- {name}:begin -->")).nth(1).unwrap().split(&format!("<!-- {name}:end -->")).next();
    let block = block.unwrap().trim();
    block.trim_start_matches("```sql").trim_end_matches("```").trim().to_string()
}

/// Rows in every table of the SQLite database (not the search index's own shadow tables).
async fn row_counts(conn: &mut sqlx::SqliteConnection) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE 'users_search_%' AND name != 'users_search' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut counts = Vec::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\"")))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        counts.push((t, n));
    }
    counts
}

async fn the_sqlite_rebuild_keeps_every_row_trigger_and_index(app: TestApp) -> TestApp {
    // A database with something in every table that points at users.
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("gus@partner.example", &[]).await;
    let (gus, _) = app.new_browser();
    app.redeem_as(&gus, &link, "gus@partner.example").await;
    let gus_id = app.user_id("gus@partner.example").await;
    let pool = match &app.state.db {
        Db::Sqlite(pool, _) => pool.clone(),
        Db::Postgres(pool, _) => {
            // PostgreSQL changes the constraint in place: the documented statements, then the new state.
            sqlx::raw_sql(sqlx::AssertSqlSafe(documented("postgres-state"))).execute(pool).await.unwrap();
            sqlx::query("UPDATE users SET state = 'left' WHERE id = $1").bind(gus_id).execute(pool).await.unwrap();
            return app;
        }
    };
    let mut conn = pool.acquire().await.unwrap();
    let before = row_counts(&mut conn).await;
    assert!(before.iter().any(|(t, n)| t == "sessions" && *n >= 2), "{before:?}");
    let users: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let attached: Vec<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'users' AND type IN ('index', 'trigger') AND sql IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(attached.len() >= 8, "indexes and triggers of users: {attached:?}");
    let definition = &users[users.find('(').unwrap()..];
    let widened = definition.replace("'accepted', 'blocked')", "'accepted', 'blocked', 'left')");
    assert_ne!(widened, definition, "the state CHECK was found: {definition}");
    let sql = documented("sqlite-rebuild")
        .replace("{{users}}", &widened)
        .replace("{{indexes and triggers}}", &attached.iter().map(|s| format!("{s};")).collect::<Vec<_>>().join("\n"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await.unwrap();

    assert_eq!(row_counts(&mut conn).await, before, "no row lost to a cascade");
    let broken: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check").fetch_all(&mut *conn).await.unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let again: Vec<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'users' AND type IN ('index', 'trigger') AND sql IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(again.len(), attached.len(), "every index and trigger is back");
    let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(on, 1, "foreign keys are on again");
    sqlx::query("UPDATE users SET state = 'left' WHERE id = $1").bind(gus_id).execute(&mut *conn).await.unwrap();
    // The search triggers still index a new name; deleting a user still cascades.
    sqlx::query("UPDATE users SET display_name = 'Gustav Rebuilt' WHERE id = $1")
        .bind(gus_id)
        .execute(&mut *conn)
        .await
        .unwrap();
    let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users_search WHERE users_search MATCH '\"Rebuilt\"'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(found, 1);
    sqlx::query("DELETE FROM users WHERE id = $1").bind(gus_id).execute(&mut *conn).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(gus_id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(left, 0, "a deleted user's sessions go with them");
    drop(conn);
    app
}
both!(the_sqlite_rebuild_keeps_every_row_trigger_and_index);
