//! The failed requests of the access log, newest first: a partial index of the ids of the rows
//! with an HTTP code of 400 or more.
//!
//! Staff filter the log on errors (`http_code_min=400`, `500..599`). A range of codes has no
//! index in the list's order: the `(http_code, id)` index orders each code apart, and walking
//! the log by id reads every successful request at its head (dashboards polling, an
//! integration's reads) before the first error. This index holds only the failures, in id
//! order, and a filter whose lower bound is 400 or more reads its page from it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index; `access_logs::list` names its predicate.
pub const NAME: &str = "idx_access_logs_failed";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {NAME} ON access_logs (id) WHERE http_code >= 400"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX IF EXISTS {NAME}"))
            .await?;
        Ok(())
    }
}
