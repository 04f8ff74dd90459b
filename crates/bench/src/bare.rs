//! The bare SQL of an endpoint: the statements relais runs for one request (`endpoints`),
//! replayed one after the other on one connection, with nothing around them — the database's
//! own cost of the answer, to set against relais's latency.

use crate::endpoints::{Endpoint, Step};
use crate::load::histogram;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// `?` placeholders as the backend numbers them (`$1`, `$2`… on PostgreSQL). The statements
/// hold no `?` inside literals.
pub fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
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

/// Run the steps of `endpoint` once; the rows each step answered.
pub async fn once(
    db: &impl ConnectionTrait,
    endpoint: &Endpoint,
) -> anyhow::Result<Vec<Vec<QueryResult>>> {
    let backend = db.get_database_backend();
    let mut results: Vec<Vec<QueryResult>> = Vec::with_capacity(endpoint.bare.len());
    for step in &endpoint.bare {
        let rows = match step {
            Step::Fixed { sql, values } => {
                db.query_all_raw(Statement::from_sql_and_values(
                    backend,
                    placeholders(backend, sql),
                    values.clone(),
                ))
                .await?
            }
            Step::ByIds {
                sql,
                key,
                from,
                column,
                skip_empty,
            } => {
                let mut ids = BTreeSet::new();
                for row in &results[*from] {
                    if let Some(id) = row.try_get::<Option<i64>>("", column)? {
                        ids.insert(id);
                    }
                }
                if ids.is_empty() && *skip_empty {
                    Vec::new()
                } else {
                    let (condition, values): (String, Vec<Value>) = if ids.is_empty() {
                        ("? = ?".into(), vec![Value::from(1), Value::from(2)])
                    } else {
                        (
                            format!("{key} IN ({})", vec!["?"; ids.len()].join(", ")),
                            ids.into_iter().map(Value::from).collect(),
                        )
                    };
                    let sql = sql.replace("{in}", &condition);
                    db.query_all_raw(Statement::from_sql_and_values(
                        backend,
                        placeholders(backend, &sql),
                        values,
                    ))
                    .await?
                }
            }
        };
        results.push(rows);
    }
    Ok(results)
}

/// Replay `endpoint`'s statements for `duration` (at least 20 times); the p50 of one whole
/// replay, in milliseconds.
pub async fn replay(
    db: &impl ConnectionTrait,
    endpoint: &Endpoint,
    duration: Duration,
) -> anyhow::Result<f64> {
    // The first replay prepares the statements (sqlx keeps them per connection, as for the
    // server's pool) and warms the cache; it is not counted.
    once(db, endpoint).await?;
    let mut latencies = histogram();
    let stop = Instant::now() + duration;
    let mut count = 0;
    while count < 20 || Instant::now() < stop {
        let started = Instant::now();
        once(db, endpoint).await?;
        latencies.record((started.elapsed().as_micros() as u64).max(1))?;
        count += 1;
    }
    Ok(latencies.value_at_quantile(0.5) as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::placeholders;
    use sea_orm::DbBackend;

    #[test]
    fn numbered_for_postgres() {
        assert_eq!(
            placeholders(DbBackend::Postgres, "a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(placeholders(DbBackend::Sqlite, "a = ?"), "a = ?");
    }
}
