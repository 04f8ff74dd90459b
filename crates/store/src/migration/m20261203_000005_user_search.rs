//! A text index for the user lists' "contains" filters (email, first and last name, phone):
//! PostgreSQL `pg_trgm` GIN indexes, SQLite an FTS5 trigram table kept by triggers, as for the
//! access log's user agent.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE users_search USING fts5(email, first_name, last_name, phone, \
     content='users', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN \
     INSERT INTO users_search (rowid, email, first_name, last_name, phone) \
     VALUES (new.id, new.email, new.first_name, new.last_name, new.phone); END",
    "CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN \
     INSERT INTO users_search (users_search, rowid, email, first_name, last_name, phone) \
     VALUES ('delete', old.id, old.email, old.first_name, old.last_name, old.phone); END",
    "CREATE TRIGGER users_search_update AFTER UPDATE OF email, first_name, last_name, phone \
     ON users BEGIN \
     INSERT INTO users_search (users_search, rowid, email, first_name, last_name, phone) \
     VALUES ('delete', old.id, old.email, old.first_name, old.last_name, old.phone); \
     INSERT INTO users_search (rowid, email, first_name, last_name, phone) \
     VALUES (new.id, new.email, new.first_name, new.last_name, new.phone); END",
    "INSERT INTO users_search (users_search) VALUES ('rebuild')",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS users_search_update",
    "DROP TRIGGER IF EXISTS users_search_delete",
    "DROP TRIGGER IF EXISTS users_search_insert",
    "DROP TABLE IF EXISTS users_search",
];

const POSTGRES_UP: &[&str] = &[
    // Emails are stored lowercase; names are matched lowered.
    "CREATE INDEX idx_users_email_trgm ON users USING gin (email gin_trgm_ops)",
    "CREATE INDEX idx_users_first_name_trgm ON users USING gin (lower(first_name) gin_trgm_ops)",
    "CREATE INDEX idx_users_last_name_trgm ON users USING gin (lower(last_name) gin_trgm_ops)",
    "CREATE INDEX idx_users_phone_trgm ON users USING gin (phone gin_trgm_ops)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_users_phone_trgm",
    "DROP INDEX IF EXISTS idx_users_last_name_trgm",
    "DROP INDEX IF EXISTS idx_users_first_name_trgm",
    "DROP INDEX IF EXISTS idx_users_email_trgm",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                for statement in SQLITE_UP {
                    db.execute_unprepared(statement).await?;
                }
            }
            DbBackend::Postgres => {
                if super::has_trigrams(db).await? {
                    for statement in POSTGRES_UP {
                        db.execute_unprepared(statement).await?;
                    }
                } else {
                    tracing::warn!(
                        "pg_trgm is not available: the user lists' text filters will scan"
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements = match db.get_database_backend() {
            DbBackend::Sqlite => SQLITE_DOWN,
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => &[],
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
