//! Running counts of users (by type, state and MFA mark) and invitations (by status), kept
//! by triggers (migration 0015): each change appends one row that moves `n` from the key
//! `minus` to the key `plus`, and a key's count is the sum. The dashboard reads them instead
//! of counting tens of thousands of index entries; the worker folds the rows into one per
//! key now and then, so the sum stays small.

use super::{Conn, Db, run};

/// Past this many rows, a fold is worth its writes (there are about 16 keys).
pub const FOLD_ABOVE: i64 = 256;

/// The rows as signed moves of one key each.
pub(super) const MOVES: &str = "SELECT plus AS key, n FROM tallies WHERE plus IS NOT NULL \
     UNION ALL SELECT minus AS key, -n FROM tallies WHERE minus IS NOT NULL";

/// How many rows the tallies have now (a fold leaves one per key).
pub async fn rows(c: Conn<'_>) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar("SELECT COUNT(*) FROM tallies").fetch_one(e).await)
}

/// Replaces the rows by one per key (none for a key that sums to 0), in a transaction of its
/// own. Readers see the rows before or after, never a mix: on PostgreSQL it is one
/// statement, and rows committed meanwhile are left for the next fold; on SQLite the
/// transaction holds the one write lock (`BEGIN IMMEDIATE`), so nothing is appended between
/// its statements.
pub async fn fold(db: &Db) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    match tx.conn() {
        Conn::Postgres(e) => {
            let moves = MOVES.replace("FROM tallies", "FROM gone");
            let sql = format!(
                "WITH gone AS (DELETE FROM tallies RETURNING plus, minus, n), \
                 sums AS (SELECT key, SUM(n) AS n FROM ({moves}) m GROUP BY key) \
                 INSERT INTO tallies (plus, n) SELECT key, n FROM sums WHERE n <> 0"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(e).await?;
        }
        Conn::Sqlite(e) => {
            let Some(last) =
                sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM tallies").fetch_one(&mut *e).await?
            else {
                return Ok(());
            };
            // Only the rows up to `last` are summed; the sums are appended after it.
            let moves = MOVES.replace("FROM tallies WHERE", "FROM tallies WHERE id <= $1 AND");
            let sql = format!(
                "INSERT INTO tallies (plus, n) SELECT key, SUM(n) FROM ({moves}) m GROUP BY key HAVING SUM(n) <> 0"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(last).execute(&mut *e).await?;
            sqlx::query("DELETE FROM tallies WHERE id <= $1").bind(last).execute(&mut *e).await?;
        }
    }
    tx.commit().await
}
