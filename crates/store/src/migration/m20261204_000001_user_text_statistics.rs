//! Finer statistics for the users' email and phone on PostgreSQL, so that the planner sees how
//! rare a "contains" filter is.
//!
//! PostgreSQL estimates `email LIKE '%part%'` by trying the pattern on the column's histogram.
//! With the default 100 entries, a part that matches one entry is taken for 1 % of the table:
//! at a million riders `phone_number=4242` (0.05 %) was believed twenty times more common, and
//! the page walked the primary key through half the table (0.6 s) instead of reading the
//! trigram index (a few milliseconds). A thousand entries bring the estimate within a few
//! times of the truth, for a little more planning and `ANALYZE` time. Names need nothing: the
//! few names a population shares are all in the column's most common values already. SQLite
//! matches through its FTS5 table and has no such estimate.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TARGET: u32 = 1000;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set(manager, Some(TARGET)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set(manager, None).await
    }
}

/// Set the statistics target of the two columns, or back to the server's default (`-1`).
async fn set(manager: &SchemaManager<'_>, target: Option<u32>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let target = target.map_or(-1, i64::from);
    for column in ["email", "phone"] {
        db.execute_unprepared(&format!(
            "ALTER TABLE users ALTER COLUMN {column} SET STATISTICS {target}"
        ))
        .await?;
    }
    Ok(())
}
