//! An index for every sort and filter of the large lists, so that each page is a range scan
//! (the `EXPLAIN` test in `crates/api/tests/http/query_plans.rs` holds every list to it):
//!
//! - access log (newest first by id): one `(filter, id)` index per equality filter, a prefix
//!   index on the path, and a text index for the user-agent substring (PostgreSQL `pg_trgm`
//!   GIN on `lower(user_agent)`; SQLite an FTS5 trigram table kept by triggers);
//! - fleet-alert history: `(network, sort, id)` and `(sort, id)` for each sort, in both id
//!   directions (ties are broken by id in the direction of `primary_key_dir`, whatever the
//!   sort's own direction), `(network, id)`, `(network, type, id)`, and the object filters.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(name, table, columns)`; a column ending in ` desc` is indexed descending.
const INDEXES: &[super::IndexSpec] = &[
    ("idx_access_logs_user_id", "access_logs", &["user_id", "id"]),
    ("idx_access_logs_verb_id", "access_logs", &["verb", "id"]),
    ("idx_access_logs_ip_id", "access_logs", &["ip", "id"]),
    (
        "idx_access_logs_http_code_id",
        "access_logs",
        &["http_code", "id"],
    ),
    (
        "idx_access_logs_knot_code_id",
        "access_logs",
        &["knot_code", "id"],
    ),
    (
        "idx_fleet_alerts_network_id",
        "fleet_alerts",
        &["network_id", "id"],
    ),
    (
        "idx_fleet_alerts_network_created",
        "fleet_alerts",
        &["network_id", "created_at", "id"],
    ),
    (
        "idx_fleet_alerts_network_created_desc",
        "fleet_alerts",
        &["network_id", "created_at", "id desc"],
    ),
    (
        "idx_fleet_alerts_network_resolved",
        "fleet_alerts",
        &["network_id", "resolved_at", "id"],
    ),
    (
        "idx_fleet_alerts_network_resolved_desc",
        "fleet_alerts",
        &["network_id", "resolved_at", "id desc"],
    ),
    (
        "idx_fleet_alerts_network_severity",
        "fleet_alerts",
        &["network_id", "severity", "id"],
    ),
    (
        "idx_fleet_alerts_network_severity_desc",
        "fleet_alerts",
        &["network_id", "severity", "id desc"],
    ),
    (
        "idx_fleet_alerts_network_type",
        "fleet_alerts",
        &["network_id", "alert_type", "id"],
    ),
    (
        "idx_fleet_alerts_created",
        "fleet_alerts",
        &["created_at", "id"],
    ),
    (
        "idx_fleet_alerts_created_desc",
        "fleet_alerts",
        &["created_at", "id desc"],
    ),
    (
        "idx_fleet_alerts_resolved",
        "fleet_alerts",
        &["resolved_at", "id"],
    ),
    (
        "idx_fleet_alerts_resolved_desc",
        "fleet_alerts",
        &["resolved_at", "id desc"],
    ),
    (
        "idx_fleet_alerts_severity",
        "fleet_alerts",
        &["severity", "id"],
    ),
    (
        "idx_fleet_alerts_severity_desc",
        "fleet_alerts",
        &["severity", "id desc"],
    ),
    (
        "idx_fleet_alerts_type",
        "fleet_alerts",
        &["alert_type", "id"],
    ),
    ("idx_fleet_alerts_user", "fleet_alerts", &["user_id", "id"]),
    (
        "idx_fleet_alerts_cluster",
        "fleet_alerts",
        &["cluster_id", "id"],
    ),
    (
        "idx_fleet_alerts_vehicle",
        "fleet_alerts",
        &["vehicle_id", "id"],
    ),
];

/// Replaced by `idx_access_logs_user_id`, which also orders a user's rows by id.
const REPLACED: (&str, &str) = ("idx_access_logs_user", "access_logs");

/// The FTS5 table of the user agents and its triggers are `SQLITE_SEARCH[1..]`: migration
/// `m20261205_000002_user_agents` replaces them and puts them back on the way down.
pub(super) const SQLITE_SEARCH: &[&str] = &[
    // The path prefix is matched with GLOB, which this (binary) index serves.
    "CREATE INDEX idx_access_logs_path ON access_logs (target_path)",
    "CREATE VIRTUAL TABLE access_logs_search USING fts5(user_agent, content='access_logs', \
     content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER access_logs_search_insert AFTER INSERT ON access_logs BEGIN \
     INSERT INTO access_logs_search (rowid, user_agent) VALUES (new.id, new.user_agent); END",
    "CREATE TRIGGER access_logs_search_delete AFTER DELETE ON access_logs BEGIN \
     INSERT INTO access_logs_search (access_logs_search, rowid, user_agent) \
     VALUES ('delete', old.id, old.user_agent); END",
    "CREATE TRIGGER access_logs_search_update AFTER UPDATE OF user_agent ON access_logs BEGIN \
     INSERT INTO access_logs_search (access_logs_search, rowid, user_agent) \
     VALUES ('delete', old.id, old.user_agent); \
     INSERT INTO access_logs_search (rowid, user_agent) VALUES (new.id, new.user_agent); END",
    "INSERT INTO access_logs_search (access_logs_search) VALUES ('rebuild')",
];

const SQLITE_SEARCH_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS access_logs_search_update",
    "DROP TRIGGER IF EXISTS access_logs_search_delete",
    "DROP TRIGGER IF EXISTS access_logs_search_insert",
    "DROP TABLE IF EXISTS access_logs_search",
    "DROP INDEX IF EXISTS idx_access_logs_path",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::create_indexes(manager, INDEXES).await?;
        manager
            .drop_index(
                Index::drop()
                    .name(REPLACED.0)
                    .table(Alias::new(REPLACED.1))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                for statement in SQLITE_SEARCH {
                    db.execute_unprepared(statement).await?;
                }
            }
            DbBackend::Postgres => {
                // A prefix LIKE uses a btree only with the pattern operator class (the
                // database's collation may not be C).
                db.execute_unprepared(
                    "CREATE INDEX idx_access_logs_path_pattern \
                     ON access_logs (target_path text_pattern_ops)",
                )
                .await?;
                // pg_trgm ships with PostgreSQL (contrib) and is trusted since 13: the owner of
                // the database may create it. Without it the filter works, by scanning.
                let available = db
                    .query_one_raw(sea_orm::Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'",
                    ))
                    .await?
                    .is_some();
                if available {
                    db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                        .await?;
                    db.execute_unprepared(
                        "CREATE INDEX idx_access_logs_user_agent_trgm \
                         ON access_logs USING gin (lower(user_agent) gin_trgm_ops)",
                    )
                    .await?;
                } else {
                    tracing::warn!(
                        "pg_trgm is not available: the access log's user-agent filter will scan"
                    );
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
                for statement in SQLITE_SEARCH_DOWN {
                    db.execute_unprepared(statement).await?;
                }
            }
            DbBackend::Postgres => {
                db.execute_unprepared("DROP INDEX IF EXISTS idx_access_logs_user_agent_trgm")
                    .await?;
                db.execute_unprepared("DROP INDEX IF EXISTS idx_access_logs_path_pattern")
                    .await?;
            }
            _ => {}
        }
        manager
            .create_index(
                Index::create()
                    .name(REPLACED.0)
                    .table(Alias::new(REPLACED.1))
                    .col(Alias::new("user_id"))
                    .to_owned(),
            )
            .await?;
        super::drop_indexes(manager, INDEXES).await
    }
}
