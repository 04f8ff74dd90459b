//! Connecting to the database and bringing its schema up to date.

use crate::migration::Migrator;
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

pub type Db = DatabaseConnection;

/// How long a request waits for a pooled connection (or for a new one to be opened) before
/// the store reports the database unavailable: short, so that an outage answers 503 at once
/// instead of holding every request for the length of a TCP timeout.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long SQLite waits for the write lock before giving up. Writers queue on this lock
/// (see [`begin_write`]), so it bounds the queue, not one write.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Rows a SQLite query hands over before waiting for them to be taken: a whole page of the
/// longest list (500 and the one that tells whether there are more).
const SQLITE_ROW_BUFFER: usize = 512;

/// Prepared statements each SQLite connection keeps. A compiled statement holds its whole
/// program in the process's memory (PostgreSQL keeps its plans in the server): at sqlx's 100
/// per connection, the lists' many shapes (filters, sorts, cursors) kept 27 MiB more after
/// the benchmark's runs (151 MiB against 124).
const SQLITE_STATEMENT_CACHE: usize = 32;

/// Connect to `url` (`sqlite://path?mode=rwc` or `postgres://...`). SQLite runs in WAL mode
/// with foreign keys enforced and a busy timeout, so that readers never block the writer.
pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbErr> {
    connect_with(url, max_connections, ACQUIRE_TIMEOUT).await
}

/// [`connect`] with another acquire timeout.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
) -> Result<Db, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    // SeaORM hands `connect_timeout` to the pool as its acquire timeout too: both the same.
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(acquire_timeout)
        .acquire_timeout(acquire_timeout)
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                // sqlx reads SQLite on a thread per connection and hands the rows over a
                // channel; at its default of 50 a page of 101 rows stopped the reader twice
                // to wait for the request's task, two thread switches per page.
                .row_buffer_size(SQLITE_ROW_BUFFER)
                .statement_cache_capacity(SQLITE_STATEMENT_CACHE)
        });
    }
    if url.starts_with("postgres") {
        // The planner's default prices a random page read at 4 sequential ones, a disk's
        // ratio: it then walks the access log's primary key past thousands of rows rather
        // than take a filter's `(verb, id)` index, whose rows are scattered over the heap.
        // relais's working set is in memory or on SSD, where the usual setting is 1.1; a
        // server's own `random_page_cost` is left alone for every other client.
        options.map_sqlx_postgres_opts(|opts| opts.options([("random_page_cost", "1.1")]));
    }
    let db = Database::connect(options).await?;
    Ok(db)
}

/// Begin a transaction that will write. Every write transaction of the store starts here.
///
/// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken up front, waiting for it under
/// the busy timeout. A deferred transaction (`BEGIN`) starts as a reader and must upgrade at
/// its first write; when another connection wrote in between, SQLite cannot let it wait
/// (its snapshot is stale) and fails at once with `SQLITE_BUSY` (5) or `SQLITE_BUSY_SNAPSHOT`
/// (517), which concurrent requests saw as 500 "database is locked". On PostgreSQL, row locks
/// and MVCC make the default the right choice.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Apply every pending migration.
pub async fn migrate(db: &Db) -> Result<(), sea_orm::DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &Db) -> bool {
    db.ping().await.is_ok()
}

/// Which backend this connection speaks, for the rare query that must differ.
pub fn backend(db: &Db) -> DbBackend {
    db.get_database_backend()
}

/// Pool figures for the metrics endpoint: (open connections, idle connections).
pub fn pool_stats(db: &Db) -> (u32, u32) {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        _ => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
    }
}
