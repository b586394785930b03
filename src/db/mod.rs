//! The database: one `Db` over SQLite or PostgreSQL, and one module per aggregate whose
//! functions each run one portable query. The `run!` macro expands a query body once per
//! database (vaultwarden's `db_run!` idea); the test suite runs every query on both.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

pub mod api_keys;
pub mod apps;
pub mod assignments;
pub mod audit;
pub mod bulk;
pub mod codes;
pub mod devices;
pub mod do_not_invite;
pub mod groups;
pub mod identities;
pub mod identity_providers;
pub mod images;
pub mod invitations;
pub mod links;
pub mod mfa;
pub mod oauth;
pub mod outbox;
pub mod packages;
pub mod panel;
pub mod purge;
pub mod requests;
pub mod reviews;
pub mod saml_flights;
pub mod saml_idps;
pub mod seed;
pub mod sessions;
pub mod settings;
pub mod signin_links;
pub mod signing_keys;
pub mod sponsors;
pub mod stats;
pub mod tallies;
pub mod users;

/// Runs `$body` with `$e` bound to the connection of whichever database `$conn` is on.
macro_rules! run {
    ($conn:expr, |$e:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($e) => $body,
            $crate::db::Conn::Postgres($e) => $body,
        }
    };
}
pub(crate) use run;

/// Stores a domain state enum (with `as_str` and `parse`) as its text, on both databases.
macro_rules! text_enum {
    ($t:ty) => {
        text_enum!(@db $t, sqlx::Sqlite);
        text_enum!(@db $t, sqlx::Postgres);
    };
    (@db $t:ty, $db:ty) => {
        impl sqlx::Type<$db> for $t {
            fn type_info() -> <$db as sqlx::Database>::TypeInfo {
                <str as sqlx::Type<$db>>::type_info()
            }
            fn compatible(ty: &<$db as sqlx::Database>::TypeInfo) -> bool {
                <str as sqlx::Type<$db>>::compatible(ty)
            }
        }
        impl sqlx::Encode<'_, $db> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<$db>>::encode(self.as_str(), buf)
            }
        }
        impl<'r> sqlx::Decode<'r, $db> for $t {
            fn decode(value: <$db as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <&str as sqlx::Decode<$db>>::decode(value)?;
                <$t>::parse(s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($t)).into())
            }
        }
    };
}

text_enum!(crate::domain::request::RequestStatus);
text_enum!(crate::domain::user::UserState);
text_enum!(crate::domain::invitation::InvitationStatus);
text_enum!(crate::domain::client::ClientType);
text_enum!(crate::domain::client::SigningAlg);
text_enum!(crate::domain::bulk::JobStatus);
text_enum!(crate::domain::image::ImageType);
text_enum!(crate::domain::review::Scope);
text_enum!(crate::domain::review::Reviewers);
text_enum!(crate::domain::review::Recurrence);
text_enum!(crate::domain::review::Undecided);
text_enum!(crate::domain::review::Decision);
text_enum!(crate::domain::review::ReviewStatus);

/// How long a request waits for a PostgreSQL connection before it is told to come back.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections of a SQLite pool (the reference page of the benchmark uses as many).
pub const SQLITE_POOL: u32 = 16;

#[derive(Clone, Debug)]
pub enum Db {
    /// The pool, and the one writer's turn: SQLite has a single write lock, and waiting for
    /// it in SQLite's busy handler means sleeping in growing steps (hundreds of ms under
    /// load); waiting on a Rust mutex wakes the next writer the moment the last commits.
    Sqlite(SqlitePool, Arc<tokio::sync::Mutex<()>>),
    /// The pool, and the runtime its connections live on (see `pg_acquire`).
    Postgres(PgPool, tokio::runtime::Handle),
}

/// A borrowed connection, from a pool or inside a transaction.
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

pub enum Tx {
    /// The transaction, and the writer's turn it holds until it ends.
    Sqlite(Transaction<'static, Sqlite>, tokio::sync::OwnedMutexGuard<()>),
    Postgres(Transaction<'static, Postgres>),
}

pub enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Db {
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).context("parsing the PostgreSQL URL")?;
            // A connection used within the last second is not pinged again before use (as
            // HikariCP does): under load that ping was one more round trip per request.
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= Duration::from_secs(1) {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                // A request waits at most this long for a connection: with the server down it
                // answers 503 at once instead of hanging (`AppError::Unavailable`).
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(opts)
                .await
                .context("connecting to PostgreSQL")?;
            Ok(Db::Postgres(pool, tokio::runtime::Handle::current()))
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .context("parsing the SQLite URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            if let Some(dir) = opts.get_filename().parent() {
                std::fs::create_dir_all(dir).ok();
            }
            // A file cannot drop a connection: no ping before every use (one more round trip
            // to the connection's thread each time a request takes a connection). Readers do
            // not block each other in WAL mode; 16 served the Access Panel a fifth faster than
            // 8 on 2 cores (scripts/bench.sh), each connection a thread and a page cache.
            let pool = SqlitePoolOptions::new()
                .max_connections(SQLITE_POOL)
                .test_before_acquire(false)
                .after_release(|conn, _| Box::pin(keep_sqlite_connection(conn)))
                .connect_with(opts)
                .await
                .context("opening the SQLite database")?;
            Ok(Db::Sqlite(pool, Arc::default()))
        } else {
            anyhow::bail!("the database URL must start with sqlite: or postgres://")
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(p, _) => sqlx::migrate!("migrations/sqlite").run(p).await?,
            Db::Postgres(p, _) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// A transaction. On SQLite it first takes this process's writer turn, then the write
    /// lock at once (`BEGIN IMMEDIATE`), so a transaction never fails upgrading a read lock.
    /// Never begin a transaction while holding one: the turn is not reentrant.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Sqlite(p, writer) => {
                let turn = writer.clone().lock_owned().await;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            // What `Pool::begin` does, on a connection taken by `pg_acquire` (sqlx's
            // `Transaction::begin` is public but hidden from its docs: check it on upgrades).
            Db::Postgres(p, home) => Tx::Postgres(Transaction::begin(pg_acquire(p, home).await?, None).await?),
        })
    }

    /// A connection for reads outside a transaction.
    pub async fn acquire(&self) -> sqlx::Result<Pooled> {
        Ok(match self {
            Db::Sqlite(p, _) => Pooled::Sqlite(p.acquire().await?),
            Db::Postgres(p, home) => Pooled::Postgres(pg_acquire(p, home).await?),
        })
    }

    /// Begins a write transaction, writes one row and commits: what `/readyz` proves (a
    /// database that answers reads may still refuse every write).
    pub async fn check_writable(&self, now: chrono::DateTime<chrono::Utc>) -> sqlx::Result<()> {
        let mut tx = match self {
            // Another write holds this process's turn: writes are being taken (one that fails
            // says so itself), and waiting behind a long one would look like an outage.
            Db::Sqlite(p, writer) => match writer.clone().try_lock_owned() {
                Ok(turn) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn),
                Err(_) => return self.ping().await,
            },
            Db::Postgres(..) => self.begin().await?,
        };
        run!(tx.conn(), |e| sqlx::query("UPDATE readiness SET checked_at = $1 WHERE id = 1")
            .bind(now)
            .execute(e)
            .await
            .map(|_| ()))?;
        tx.commit().await
    }

    pub async fn ping(&self) -> sqlx::Result<()> {
        let mut c = self.acquire().await?;
        run!(c.conn(), |e| sqlx::query("SELECT 1").execute(e).await.map(|_| ()))
    }

    /// Connections of this instance's pool: (in use, open).
    pub fn pool_in_use(&self) -> (usize, u32) {
        let (size, idle) = match self {
            Db::Sqlite(p, _) => (p.size(), p.num_idle()),
            Db::Postgres(p, _) => (p.size(), p.num_idle()),
        };
        ((size as usize).saturating_sub(idle), size)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(..))
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, _) => p.close().await,
            Db::Postgres(p, _) => p.close().await,
        }
    }
}

/// Whether a SQLite connection given back goes back into the pool. A transaction whose end
/// failed leaves sqlx counting one the connection no longer has — on a full disk SQLite
/// rolls the transaction back itself, so the COMMIT fails and the ROLLBACK after it too —
/// and such a connection refuses every later `BEGIN` ("attempted to call begin_with at
/// non-zero transaction depth"). It is closed instead, and the pool opens a sound one.
async fn keep_sqlite_connection(conn: &mut sqlx::SqliteConnection) -> sqlx::Result<bool> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // A transaction dropped unfinished queued its rollback: let it run, then look again.
    conn.ping().await?;
    let sound = !conn.is_in_transaction();
    if !sound {
        tracing::warn!("closing a database connection left in an unknown transaction state");
    }
    Ok(sound)
}

/// A PostgreSQL connection, taken (and, when the pool has none idle, opened) on `home`,
/// the runtime that opened the pool: the process's main one, which outlives the rest.
/// A socket stays bound to the runtime it was opened on, and each HTTP worker thread runs
/// a runtime of its own that ends at shutdown while other workers still answer requests
/// and the mail worker finishes its last mail; a connection opened there then failed them
/// ("A Tokio 1.x context was found, but it is being shutdown").
async fn pg_acquire(p: &PgPool, home: &tokio::runtime::Handle) -> sqlx::Result<PoolConnection<Postgres>> {
    home.spawn(p.acquire()).await.map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))?
}

impl Conn<'_> {
    /// The same connection for one more call, keeping this one usable after it.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(e) => Conn::Sqlite(e),
            Conn::Postgres(e) => Conn::Postgres(e),
        }
    }
}

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t, _) => Conn::Sqlite(t),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

impl Pooled {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// A page of a listing: 1-based number and size.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub number: i64,
    pub size: i64,
}

impl Page {
    /// Page numbers past this are clamped (a typed `?page=` must not overflow the offset).
    pub const MAX_NUMBER: i64 = 1_000_000;

    pub fn new(number: i64, size: i64) -> Page {
        Page { number: number.clamp(1, Self::MAX_NUMBER), size }
    }

    pub fn offset(&self) -> i64 {
        (self.number - 1).saturating_mul(self.size)
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern and wraps it in `%…%`.
pub fn contains_pattern(needle: &str) -> String {
    let mut p = String::from("%");
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}
