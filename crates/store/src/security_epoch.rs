//! The security epoch: a counter raised in the same transaction as every change to who may do
//! what (a token revoked, a user blocked, a grant, role or organizational unit changed).
//!
//! Servers keep each token's caller and grants in memory; the counter is how a change made
//! anywhere (another replica, the command line) reaches them. On PostgreSQL the raise also
//! sends a notification on [`CHANNEL`], delivered at commit, so that listeners learn at once;
//! every server also reads the counter a few times a second, which covers SQLite (where the
//! only other writers are processes on the same machine) and a listener that lost its
//! connection.

use crate::error::Result;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend};
use std::sync::atomic::{AtomicU64, Ordering};

/// Security changes committed by this process: the caches of this process learn of a change
/// from it at once, without a query.
static COMMITTED: AtomicU64 = AtomicU64::new(0);

/// Commit `txn`, a security change, so that every cache learns of it: the epoch is raised in
/// the transaction (for other processes), and this process is told after the commit (before,
/// a cache could reload the old state and keep it as current).
pub async fn commit(txn: DatabaseTransaction) -> Result<()> {
    raise(&txn).await?;
    txn.commit().await?;
    COMMITTED.fetch_add(1, Ordering::AcqRel);
    Ok(())
}

/// How many security changes this process committed: a cache that saw another number must
/// forget what it holds.
pub fn committed_here() -> u64 {
    COMMITTED.load(Ordering::Acquire)
}

/// The PostgreSQL notification channel of the epoch.
pub const CHANNEL: &str = "relais_security";

fn table() -> Alias {
    Alias::new("security_epoch")
}

fn version() -> Alias {
    Alias::new("version")
}

/// Raise the epoch inside a transaction (or alone, as another process's change is seen); a
/// change of this process goes through [`commit`].
pub async fn raise(db: &impl ConnectionTrait) -> Result<()> {
    db.execute(
        Query::update()
            .table(table())
            .value(version(), Expr::col(version()).add(1))
            .and_where(Expr::col(Alias::new("id")).eq(1)),
    )
    .await?;
    if db.get_database_backend() == DbBackend::Postgres {
        // Transactional: sent at commit, never for a change rolled back.
        db.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(())
}

/// The current epoch.
pub async fn current(db: &impl ConnectionTrait) -> Result<i64> {
    let row = db
        .query_one(
            Query::select()
                .column(version())
                .from(table())
                .and_where(Expr::col(Alias::new("id")).eq(1)),
        )
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "version")?,
        None => 0,
    })
}

/// Notifications of epoch changes from other connections, on PostgreSQL; `None` on SQLite,
/// where polling [`current`] is the only way.
pub struct Listener(sea_orm::sqlx::postgres::PgListener);

impl Listener {
    /// Listen on [`CHANNEL`] with a connection of its own, on PostgreSQL.
    pub async fn connect(db: &DatabaseConnection) -> Result<Option<Listener>> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let pool = db.get_postgres_connection_pool();
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool)
            .await
            .map_err(lost)?;
        listener.listen(CHANNEL).await.map_err(lost)?;
        Ok(Some(Listener(listener)))
    }

    /// Wait for the next notification. `Ok(false)` when the connection was lost (and is being
    /// made again): notifications may have been missed, so the caller must assume a change.
    pub async fn next(&mut self) -> Result<bool> {
        match self.0.try_recv().await {
            Ok(Some(_)) => Ok(true),
            Ok(None) => Ok(false),
            Err(e) => Err(lost(e).into()),
        }
    }
}

fn lost(e: sea_orm::sqlx::Error) -> sea_orm::DbErr {
    sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into()))
}
