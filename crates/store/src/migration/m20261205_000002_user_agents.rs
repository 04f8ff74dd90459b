//! The access log's user agents, each written once: `user_agents` holds every distinct agent,
//! each log row points at its own (`user_agent_id`, indexed with the row's id), and the
//! user-agent filter searches the agents, not the log.
//!
//! A log has a few distinct agents for a million rows (the staff's browsers, the integrations).
//! A part of a text common in the log (`Firefox`) matched through a text index of the log
//! itself cost every match (PostgreSQL's trigram bitmap, SQLite's FTS5 doclists of a third of
//! the log), and walking the log newest first cost every row before the first match. Among the
//! agents the text matches a handful, and each one's `(user_agent_id, id)` range gives its rows
//! in the list's order. The log's own text indexes go: the trigrams of every logged request
//! were the dearest part of writing it.
//!
//! The row keeps its agent's text, so a page reads one table.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UserAgents {
    Table,
    Id,
    UserAgent,
}

#[derive(DeriveIden)]
enum AccessLogs {
    Table,
    UserAgentId,
}

/// Each agent's rows in the list's order.
const BY_AGENT: &[super::IndexSpec] = &[(
    "idx_access_logs_user_agent_id",
    "access_logs",
    &["user_agent_id", "id"],
)];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserAgents::Table)
                    .col(big_pk_auto(UserAgents::Id))
                    .col(text(UserAgents::UserAgent).unique_key())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AccessLogs::Table)
                    .add_column(big_integer_null(AccessLogs::UserAgentId))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO user_agents (user_agent) SELECT DISTINCT user_agent FROM access_logs \
             WHERE user_agent IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE access_logs SET user_agent_id = (SELECT id FROM user_agents \
             WHERE user_agents.user_agent = access_logs.user_agent) \
             WHERE user_agent IS NOT NULL",
        )
        .await?;
        super::create_indexes(manager, BY_AGENT).await?;
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                for statement in [
                    "DROP TRIGGER IF EXISTS access_logs_search_update",
                    "DROP TRIGGER IF EXISTS access_logs_search_delete",
                    "DROP TRIGGER IF EXISTS access_logs_search_insert",
                    "DROP TABLE IF EXISTS access_logs_search",
                ] {
                    db.execute_unprepared(statement).await?;
                }
            }
            DbBackend::Postgres => {
                db.execute_unprepared("DROP INDEX IF EXISTS idx_access_logs_user_agent_trgm")
                    .await?;
                if super::has_trigrams(db).await? {
                    db.execute_unprepared(
                        "CREATE INDEX idx_user_agents_trgm \
                         ON user_agents USING gin (lower(user_agent) gin_trgm_ops)",
                    )
                    .await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                for statement in &super::m20261201_000004_list_indexes::SQLITE_SEARCH[1..] {
                    db.execute_unprepared(statement).await?;
                }
            }
            DbBackend::Postgres if super::has_trigrams(db).await? => {
                db.execute_unprepared(
                    "CREATE INDEX idx_access_logs_user_agent_trgm \
                     ON access_logs USING gin (lower(user_agent) gin_trgm_ops)",
                )
                .await?;
            }
            _ => {}
        }
        super::drop_indexes(manager, BY_AGENT).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AccessLogs::Table)
                    .drop_column(AccessLogs::UserAgentId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(UserAgents::Table).to_owned())
            .await
    }
}
