//! Scale of data: `vestibule dev seed`, the dashboard's counts and the indexed user search
//! (FTS5 trigrams on SQLite, pg_trgm on PostgreSQL) answering as a plain `LIKE` would.

use uuid::Uuid;
use vestibule::db::Db;
use vestibule::domain::DisplayName;
use vestibule::domain::audit::Actor;
use vestibule::flows::dev_seed;

use crate::helpers::*;

async fn seeding_is_refused_without_dev_mode(app: TestApp) -> TestApp {
    let refused = dev_seed::seed(&app.state, 10).await.err().expect("seeding must be refused");
    assert!(refused.to_string().contains("dev_mode"), "{refused}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
    app
}
both!(seeding_is_refused_without_dev_mode);

/// Users whose address or name holds `needle` (any case), counted the slow way: the
/// meaning the indexed search must keep.
async fn counted_by_like(app: &TestApp, needle: &str) -> i64 {
    let literal = needle.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pattern = format!("%{literal}%");
    let sql =
        "SELECT COUNT(*) FROM users WHERE lower(email) LIKE $1 ESCAPE '\\' OR lower(display_name) LIKE $1 ESCAPE '\\'";
    match &app.state.db {
        Db::Sqlite(p, _) => sqlx::query_scalar(sql).bind(&pattern).fetch_one(p).await.unwrap(),
        Db::Postgres(p, _) => sqlx::query_scalar(sql).bind(&pattern).fetch_one(p).await.unwrap(),
    }
}

/// The total a search page shows ("… 27 in all"), 0 for "No users match."
async fn found(app: &TestApp, query: &str) -> i64 {
    let page = app.get(&format!("/admin/users?q={}", urlencode(query))).await;
    if page.has("No users match.") {
        return 0;
    }
    let before = page.body.find(" in all").unwrap_or_else(|| panic!("no total for {query:?}: {}", page.body));
    page.body[..before].rsplit(' ').next().unwrap().parse().unwrap()
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The number shown before `label` on the dashboard.
fn stat(body: &str, label: &str) -> i64 {
    let end = body.find(&format!("</span> {label}")).unwrap_or_else(|| panic!("no {label:?} on the dashboard"));
    body[..end].rsplit('>').next().unwrap().parse().unwrap()
}

async fn a_seeded_database_counts_and_searches_right(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    // Three batches of 500 and a part.
    let seeded = dev_seed::seed(&app.state, 1_234).await.unwrap();
    assert_eq!(seeded.guests, 1_234);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE user_type = 'guest'").await, 1_234);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1_234);
    assert!(app.count("SELECT COUNT(*) FROM group_members").await as usize == seeded.memberships);
    assert!(seeded.audit_events >= 1_234);
    // The seed's tally rows are folded, and on PostgreSQL their dead rows are gone from the
    // file too: the dashboard reads every page of the table, and 100,000 guests' dead rows
    // made it read 1,683 pages for 7 live rows. (A SQLite scan follows the b-tree alone.)
    // A vacuum may keep dead rows that a snapshot taken elsewhere still could see (the other
    // tests open connections all the time), so it is asked again a few times, as the seed's
    // own vacuum would be on a quiet server; without the rewrite no retry shrinks the file.
    if app.kind == DbKind::Postgres {
        for _ in 0..20 {
            if app.count("SELECT pg_relation_size('tallies')").await == 8192 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let mut c = app.state.db.acquire().await.unwrap();
            vestibule::db::seed::analyze(c.conn()).await.unwrap();
        }
        assert_eq!(app.count("SELECT pg_relation_size('tallies')").await, 8192, "one page for a handful of keys");
    }
    // Every state is there, as in a real portal.
    for state in ["accepted", "pending_acceptance", "blocked"] {
        let page = app.get(&format!("/admin/users?type=guest&state={state}")).await;
        assert!(page.has(" in all"), "no {state} guests were seeded");
    }

    // The dashboard's one statement counts what is there.
    let page = app.get("/admin").await;
    assert_eq!(
        stat(&page.body, "accepted guests"),
        app.count("SELECT COUNT(*) FROM users WHERE user_type = 'guest' AND state = 'accepted'").await
    );
    assert_eq!(
        stat(&page.body, "guests yet to accept"),
        app.count("SELECT COUNT(*) FROM users WHERE user_type = 'guest' AND state = 'pending_acceptance'").await
    );
    assert_eq!(
        stat(&page.body, "pending invitations"),
        app.count("SELECT COUNT(*) FROM invitations WHERE status = 'pending'").await
    );
    assert_eq!(stat(&page.body, "members"), 1);
    assert_eq!(stat(&page.body, "apps"), 24);
    assert_eq!(stat(&page.body, "guests who must use MFA and have not set it up"), 0, "guest MFA is off");
    // Inactive guests, counted through their index, are those the users list's filter finds.
    let inactive = stat(&page.body, "inactive guests");
    assert!(inactive > 0, "two years of seeded sign-ins leave some guests away for 90 days");
    let list = app.get("/admin/users?activity=inactive").await;
    assert!(list.has(&format!(" · {inactive} in all")), "{inactive}: {}", list.body);

    // The indexed search finds what LIKE finds: names, parts of addresses, domains, any
    // case, words too short for a trigram, quotes and LIKE's own wildcards taken literally.
    for needle in [
        "ada",
        "BERG",
        "logistics",
        "harbor",
        "@cedar",
        ".example",
        "a.k",
        "li",
        "o",
        "zzqx",
        "\"ana",
        "100%",
        "_",
        "root@",
    ] {
        assert_eq!(found(&app, needle).await, counted_by_like(&app, needle).await, "searching {needle:?}");
    }

    // Renamed and removed guests: the index follows.
    let (id, email): (Uuid, String) = match &app.state.db {
        Db::Sqlite(p, _) => {
            sqlx::query_as("SELECT id, email FROM users WHERE user_type = 'guest' ORDER BY email LIMIT 1")
                .fetch_one(p)
                .await
                .unwrap()
        }
        Db::Postgres(p, _) => {
            sqlx::query_as("SELECT id, email FROM users WHERE user_type = 'guest' ORDER BY email LIMIT 1")
                .fetch_one(p)
                .await
                .unwrap()
        }
    };
    assert_eq!(found(&app, &email).await, 1);
    let system = Actor::system("test");
    vestibule::flows::users::rename(&app.state, id, &DisplayName::parse("Zebulon Quartermaine").unwrap(), &system)
        .await
        .unwrap();
    assert_eq!(found(&app, "quartermaine").await, 1);
    let admin = {
        let mut c = app.state.db.acquire().await.unwrap();
        vestibule::db::users::find_by_email(c.conn(), "root@contoso.example").await.unwrap().unwrap()
    };
    vestibule::flows::sponsors::remove(&app.state, id, &admin, &system).await.unwrap();
    assert_eq!(found(&app, "quartermaine").await, 0);
    assert_eq!(found(&app, &email).await, 0);
    app
}
both!(a_seeded_database_counts_and_searches_right, |s| s.dev_mode = true);

/// The dashboard shows what the database counts the slow way.
async fn assert_dashboard_counts(app: &TestApp, when: &str) {
    let page = app.get("/admin").await;
    let expected = [
        ("accepted guests", "SELECT COUNT(*) FROM users WHERE user_type = 'guest' AND state = 'accepted'"),
        (
            "guests yet to accept",
            "SELECT COUNT(*) FROM users WHERE user_type = 'guest' AND state = 'pending_acceptance'",
        ),
        ("pending invitations", "SELECT COUNT(*) FROM invitations WHERE status = 'pending'"),
        ("members", "SELECT COUNT(*) FROM users WHERE user_type = 'member'"),
        (
            "guests who must use MFA and have not set it up",
            "SELECT COUNT(*) FROM users WHERE user_type = 'guest' AND state = 'accepted' AND mfa_required",
        ),
    ];
    for (label, sql) in expected {
        assert_eq!(stat(&page.body, label), app.count(sql).await, "{label} {when}");
    }
}

/// The dashboard counts users and invitations from tallies kept by triggers: every change
/// (invite, redeem, block, revoke, an MFA mark, removal) moves them, and folding the rows
/// into one per key changes no figure.
async fn the_dashboard_tallies_follow_every_change(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    assert_dashboard_counts(&app, "at the start").await;
    let mut links = Vec::new();
    for who in ["ana", "bo", "cy", "dee"] {
        links.push(app.invite(&format!("{who}@fabrikam.example"), &[]).await);
    }
    assert_dashboard_counts(&app, "after four invitations").await;
    let (browser, _) = app.new_browser();
    app.redeem_as(&browser, &links[0], "ana@fabrikam.example").await;
    app.take_mail("ana@fabrikam.example").await;
    assert_dashboard_counts(&app, "after a redemption").await;
    let ana = app.user_id("ana@fabrikam.example").await;
    app.post(&format!("/admin/users/{ana}/mfa/require"), &[]).await;
    assert_dashboard_counts(&app, "after an MFA mark").await;
    app.post(&format!("/admin/users/{ana}/block"), &[]).await;
    assert_dashboard_counts(&app, "after blocking").await;
    app.post(&format!("/admin/users/{ana}/unblock"), &[]).await;
    let cy = app.user_id("cy@fabrikam.example").await;
    app.post(&format!("/admin/users/{cy}/revoke"), &[]).await;
    assert_dashboard_counts(&app, "after a revocation").await;
    let admin = {
        let mut c = app.state.db.acquire().await.unwrap();
        vestibule::db::users::find_by_email(c.conn(), "root@contoso.example").await.unwrap().unwrap()
    };
    let bo = app.user_id("bo@fabrikam.example").await;
    vestibule::flows::sponsors::remove(&app.state, bo, &admin, &Actor::system("test")).await.unwrap();
    assert_dashboard_counts(&app, "after a removal").await;
    assert_eq!(stat(&app.get("/admin").await.body, "accepted guests"), 1);

    let before = app.count("SELECT COUNT(*) FROM tallies").await;
    vestibule::db::tallies::fold(&app.state.db).await.unwrap();
    let after = app.count("SELECT COUNT(*) FROM tallies").await;
    assert!(after < before, "the fold left {after} of {before} rows");
    assert_eq!(app.count("SELECT COUNT(*) FROM tallies WHERE minus IS NOT NULL").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) - COUNT(DISTINCT plus) FROM tallies").await, 0, "one row per key");
    assert_dashboard_counts(&app, "after a fold").await;
    app.invite("eve@fabrikam.example", &[]).await;
    assert_dashboard_counts(&app, "after a fold and an invitation").await;
    app
}
both!(the_dashboard_tallies_follow_every_change);
