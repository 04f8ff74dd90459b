//! The access log: one row per Dashboard request.

use crate::entity::access_log;
use crate::error::Result;
use crate::pagination::{Keyset, PageOf};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::extension::sqlite::SqliteExpr;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IdenStatic,
    QueryFilter, Set,
};

/// One request, as recorded.
#[derive(Debug, Clone)]
pub struct NewAccessLog {
    pub user_id: Option<i64>,
    pub target_path: String,
    pub verb: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub http_code: i32,
    pub knot_code: i32,
    pub duration_ms: i64,
    pub created_at: DateTime<Utc>,
}

/// Write `entries` in one INSERT.
pub async fn record_many(db: &DatabaseConnection, entries: Vec<NewAccessLog>) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows = entries.into_iter().map(|entry| access_log::ActiveModel {
        user_id: Set(entry.user_id),
        target_path: Set(entry.target_path),
        verb: Set(entry.verb),
        user_agent: Set(entry.user_agent),
        ip: Set(entry.ip),
        http_code: Set(entry.http_code),
        knot_code: Set(entry.knot_code),
        duration_ms: Set(entry.duration_ms),
        created_at: Set(entry.created_at),
        ..Default::default()
    });
    // On PostgreSQL the batch commits without waiting for its WAL to reach the disk: readers
    // of the log wait for the batch before them, and an fsync per batch made every list of
    // the log take ~4 ms. A crash may lose the last batches, as it loses the queue anyway;
    // the rows of every other table keep the server's synchronous commit.
    let txn = crate::db::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL synchronous_commit TO OFF")
            .await?;
    }
    access_log::Entity::insert_many(rows).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Filters of the access log list; every one is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessLogFilter {
    pub date_min: Option<DateTime<Utc>>,
    pub date_max: Option<DateTime<Utc>>,
    pub user_id: Option<i64>,
    /// Paths starting with this text.
    pub target_path: Option<String>,
    /// Exact HTTP method, without regard to case.
    pub verb: Option<String>,
    /// User agents containing this text, without regard to case.
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub http_code_min: Option<i32>,
    pub http_code_max: Option<i32>,
    pub knot_code_min: Option<i32>,
    pub knot_code_max: Option<i32>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &AccessLogFilter,
    keyset: &Keyset,
) -> Result<PageOf<access_log::Model>> {
    use access_log::Column as C;
    let mut query = access_log::Entity::find();
    if let Some(v) = filter.date_min {
        query = query.filter(C::CreatedAt.gte(v));
    }
    if let Some(v) = filter.date_max {
        query = query.filter(C::CreatedAt.lte(v));
    }
    if let Some(v) = filter.user_id {
        query = query.filter(C::UserId.eq(v));
    }
    let backend = db.get_database_backend();
    if let Some(v) = &filter.target_path {
        // Case-sensitive on both, and served by an index on both: PostgreSQL's LIKE with a
        // pattern-ops btree, SQLite's GLOB (its LIKE ignores case and would not use it).
        query = query.filter(match backend {
            DbBackend::Sqlite => Expr::col(C::TargetPath).glob(format!("{}*", glob_literal(v))),
            _ => Expr::col(C::TargetPath).like(crate::text::like("", v, "%")),
        });
    }
    if let Some(v) = &filter.verb {
        query = query.filter(C::Verb.eq(v.to_uppercase()));
    }
    if let Some(v) = &filter.user_agent {
        // Alone, the text filter can cut the page inside the text index itself.
        let alone = AccessLogFilter {
            user_agent: None,
            ..filter.clone()
        } == AccessLogFilter::default();
        query = query.filter(user_agent_contains(backend, v, alone.then_some(keyset)));
    }
    if let Some(v) = &filter.ip {
        query = query.filter(C::Ip.eq(v.as_str()));
    }
    // A range of codes covers many rows (`400..499`): SQLite would read them all through the
    // `(code, id)` index and sort them for the page; walking the log newest first and keeping
    // the rows in range reads about one page's worth instead. The unary `+` keeps SQLite off
    // the code's index; PostgreSQL's planner weighs both ways itself.
    let code = |column: C| match backend {
        DbBackend::Sqlite => Expr::cust(format!("+\"{}\"", column.as_str())),
        _ => Expr::col(column),
    };
    if let Some(v) = filter.http_code_min {
        query = query.filter(code(C::HttpCode).gte(v));
    }
    if let Some(v) = filter.http_code_max {
        query = query.filter(code(C::HttpCode).lte(v));
    }
    if let Some(v) = filter.knot_code_min {
        query = query.filter(code(C::KnotCode).gte(v));
    }
    if let Some(v) = filter.knot_code_max {
        query = query.filter(code(C::KnotCode).lte(v));
    }
    Ok(keyset.fetch(db, query, C::Id, None).await?)
}

/// User agents containing `text` without regard to case, through the text index of each
/// backend: PostgreSQL's `pg_trgm` index on `lower(user_agent)`, SQLite's FTS5 trigram table
/// (`access_logs_search`). Trigrams need three characters: a shorter text is looked for by
/// scanning, on both. With `page` (the text is the only filter), SQLite's sub-query reads only
/// the page's rows from the text index, newest first, rather than every match.
fn user_agent_contains(
    backend: DbBackend,
    text: &str,
    page: Option<&Keyset>,
) -> sea_orm::Condition {
    use access_log::Column as C;
    let scan = || {
        Expr::expr(Func::lower(Expr::col(C::UserAgent))).like(crate::text::like(
            "%",
            &text.to_lowercase(),
            "%",
        ))
    };
    let condition = match backend {
        DbBackend::Sqlite if text.chars().count() >= 3 => {
            // An FTS5 phrase: the text between double quotes, its own quotes doubled.
            use sea_orm::sea_query::{Alias, Order, Query};
            let phrase = format!("\"{}\"", text.replace('"', "\"\""));
            let mut matches = Query::select()
                .column(Alias::new("rowid"))
                .from(Alias::new("access_logs_search"))
                .and_where(Expr::col(Alias::new("access_logs_search")).matches(phrase))
                .to_owned();
            if let Some(page) = page {
                let rowid = || Expr::col(Alias::new("rowid"));
                let (order, after) = match page.primary_key_dir {
                    crate::SortDir::Desc => {
                        (Order::Desc, page.last_primary_key.map(|k| rowid().lt(k)))
                    }
                    crate::SortDir::Asc => {
                        (Order::Asc, page.last_primary_key.map(|k| rowid().gt(k)))
                    }
                };
                if let Some(after) = after {
                    matches.and_where(after);
                }
                matches
                    .order_by(Alias::new("rowid"), order)
                    .limit(page.page_size + 1);
            }
            Expr::col((access_log::Entity, C::Id)).in_subquery(matches)
        }
        _ => scan(),
    };
    sea_orm::Condition::all().add(condition)
}

/// `text` as a GLOB pattern that matches it literally (`*`, `?` and `[` bracketed).
fn glob_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

/// The most offset a user's requests can be read at: the seed pages them by offset, which costs
/// the rows skipped; beyond this, the access-log list's keyset pages are the way.
pub const MAX_USER_REQUESTS_OFFSET: u64 = 10_000;

/// The requests of `user_id`, newest first, `items` from `offset` (bounded by
/// [`MAX_USER_REQUESTS_OFFSET`]), read through the `(user_id, id)` index.
pub async fn of_user(
    db: &DatabaseConnection,
    user_id: i64,
    offset: u64,
    items: u64,
) -> Result<Vec<access_log::Model>> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(access_log::Entity::find()
        .filter(access_log::Column::UserId.eq(user_id))
        .order_by_desc(access_log::Column::Id)
        .offset(offset)
        .limit(items)
        .all(db)
        .await?)
}
