//! Connecting to the database and bringing its schema up to date.

use crate::migration::Migrator;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

pub type Db = DatabaseConnection;

/// Connect to `url` (`sqlite://path?mode=rwc` or `postgres://...`). SQLite runs in WAL mode
/// with foreign keys enforced and a busy timeout, so that readers never block the writer.
pub async fn connect(url: &str, max_connections: u32) -> Result<Db, sea_orm::DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    let db = Database::connect(options).await?;
    Ok(db)
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
