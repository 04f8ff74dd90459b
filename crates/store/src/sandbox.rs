//! The sandbox payment provider's books in the database ([`relais_payments::SandboxLedger`]):
//! its cards and holds survive a restart like a real provider's would, on either backend.

use relais_payments::SandboxLedger;
use relais_payments::sandbox::{CardRecord, HoldRecord, LedgerError, LedgerFuture};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

/// The ledger on a database.
pub struct SqlLedger {
    db: DatabaseConnection,
}

impl SqlLedger {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlLedger { db }
    }

    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        let backend = self.db.get_database_backend();
        // The same statement on both backends but for the placeholders.
        let sql = match backend {
            DbBackend::Postgres => {
                let mut out = String::with_capacity(sql.len() + 8);
                let mut n = 0;
                for c in sql.chars() {
                    if c == '?' {
                        n += 1;
                        out.push_str(&format!("${n}"));
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            _ => sql.to_owned(),
        };
        Statement::from_sql_and_values(backend, sql, values)
    }
}

fn fail(e: impl std::fmt::Display) -> LedgerError {
    LedgerError(e.to_string())
}

impl SandboxLedger for SqlLedger {
    fn save_card<'a>(&'a self, card: &'a CardRecord) -> LedgerFuture<'a, ()> {
        Box::pin(async move {
            let record = serde_json::to_string(card).map_err(fail)?;
            self.db
                .execute_raw(self.statement(
                    "INSERT INTO sandbox_cards (token, record) VALUES (?, ?) \
                     ON CONFLICT (token) DO UPDATE SET record = excluded.record",
                    vec![card.token.clone().into(), record.into()],
                ))
                .await
                .map_err(fail)?;
            Ok(())
        })
    }

    fn find_card<'a>(&'a self, token: &'a str) -> LedgerFuture<'a, Option<CardRecord>> {
        Box::pin(async move {
            let row = self
                .db
                .query_one_raw(self.statement(
                    "SELECT record FROM sandbox_cards WHERE token = ?",
                    vec![token.into()],
                ))
                .await
                .map_err(fail)?;
            row.map(|r| {
                let text: String = r.try_get("", "record").map_err(fail)?;
                serde_json::from_str(&text).map_err(fail)
            })
            .transpose()
        })
    }

    fn remove_card<'a>(&'a self, token: &'a str) -> LedgerFuture<'a, bool> {
        Box::pin(async move {
            let done = self
                .db
                .execute_raw(self.statement(
                    "DELETE FROM sandbox_cards WHERE token = ?",
                    vec![token.into()],
                ))
                .await
                .map_err(fail)?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn create_hold<'a>(&'a self, hold: &'a HoldRecord) -> LedgerFuture<'a, bool> {
        Box::pin(async move {
            let record = serde_json::to_string(hold).map_err(fail)?;
            let done = self
                .db
                .execute_raw(self.statement(
                    "INSERT INTO sandbox_holds (id, version, record) VALUES (?, ?, ?) \
                     ON CONFLICT (id) DO NOTHING",
                    vec![
                        hold.id.clone().into(),
                        (hold.version as i64).into(),
                        record.into(),
                    ],
                ))
                .await
                .map_err(fail)?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn find_hold<'a>(&'a self, id: &'a str) -> LedgerFuture<'a, Option<HoldRecord>> {
        Box::pin(async move {
            let row = self
                .db
                .query_one_raw(self.statement(
                    "SELECT record FROM sandbox_holds WHERE id = ?",
                    vec![id.into()],
                ))
                .await
                .map_err(fail)?;
            row.map(|r| {
                let text: String = r.try_get("", "record").map_err(fail)?;
                serde_json::from_str(&text).map_err(fail)
            })
            .transpose()
        })
    }

    fn update_hold<'a>(
        &'a self,
        expected_version: u64,
        hold: &'a HoldRecord,
    ) -> LedgerFuture<'a, bool> {
        Box::pin(async move {
            let record = serde_json::to_string(hold).map_err(fail)?;
            let done = self
                .db
                .execute_raw(self.statement(
                    "UPDATE sandbox_holds SET version = ?, record = ? WHERE id = ? AND version = ?",
                    vec![
                        (hold.version as i64).into(),
                        record.into(),
                        hold.id.clone().into(),
                        (expected_version as i64).into(),
                    ],
                ))
                .await
                .map_err(fail)?;
            Ok(done.rows_affected() > 0)
        })
    }
}
