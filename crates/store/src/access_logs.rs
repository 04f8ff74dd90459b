//! The access log: one row per Dashboard request.

use crate::entity::access_log;
use crate::entity::user_agent;
use crate::error::Result;
use crate::pagination::{Keyset, PageOf};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::extension::sqlite::SqliteExpr;
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, OnConflict, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult,
    IdenStatic, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set,
};
use std::collections::HashMap;

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

/// The ids of the user agents a writer has met, so that a batch looks up only the new ones.
#[derive(Debug, Default)]
pub struct UserAgentIds(HashMap<String, i64>);

/// Agents remembered at most; past it the writer starts again from none.
const KNOWN_AGENTS: usize = 4096;

/// Write `entries` in one INSERT, with their user agents' ids (adding the new agents first).
pub async fn record_many(
    db: &DatabaseConnection,
    entries: Vec<NewAccessLog>,
    agents: &mut UserAgentIds,
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    // On PostgreSQL the batch commits without waiting for its WAL to reach the disk: an fsync
    // per batch made every list of the log take ~4 ms. A crash may lose the last batches, as
    // it loses the queue anyway; the rows of every other table keep the server's synchronous
    // commit.
    let txn = crate::db::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL synchronous_commit TO OFF")
            .await?;
    }
    let mut new: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.user_agent.as_deref())
        .filter(|agent| !agents.0.contains_key(*agent))
        .collect();
    new.sort_unstable();
    new.dedup();
    let mut found = Vec::new();
    if !new.is_empty() {
        user_agent::Entity::insert_many(new.iter().map(|agent| user_agent::ActiveModel {
            user_agent: Set((*agent).to_owned()),
            ..Default::default()
        }))
        .on_conflict(
            OnConflict::column(user_agent::Column::UserAgent)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        found = user_agent::Entity::find()
            .filter(user_agent::Column::UserAgent.is_in(new.iter().copied()))
            .all(&txn)
            .await?;
    }
    let id_of = |agent: &str| {
        agents.0.get(agent).copied().or_else(|| {
            found
                .iter()
                .find(|known| known.user_agent == agent)
                .map(|known| known.id)
        })
    };
    let rows: Vec<_> = entries
        .into_iter()
        .map(|entry| access_log::ActiveModel {
            user_id: Set(entry.user_id),
            target_path: Set(entry.target_path),
            verb: Set(entry.verb),
            user_agent_id: Set(entry.user_agent.as_deref().and_then(id_of)),
            user_agent: Set(entry.user_agent),
            ip: Set(entry.ip),
            http_code: Set(entry.http_code),
            knot_code: Set(entry.knot_code),
            duration_ms: Set(entry.duration_ms),
            created_at: Set(entry.created_at),
            ..Default::default()
        })
        .collect();
    access_log::Entity::insert_many(rows).exec(&txn).await?;
    txn.commit().await?;
    // Remembered once committed: an agent of a batch rolled back may not exist.
    if agents.0.len() + found.len() > KNOWN_AGENTS {
        agents.0.clear();
    }
    agents
        .0
        .extend(found.into_iter().map(|known| (known.user_agent, known.id)));
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

/// The HTTP code from which a request failed, the predicate of the index of failed requests
/// (migration `m20261205_000001_failed_requests`).
const FAILED: i32 = 400;

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
    if let Some(v) = &filter.ip {
        query = query.filter(C::Ip.eq(v.as_str()));
    }
    // A range of codes covers many rows (`400..499`): SQLite would read them all through the
    // `(code, id)` index and sort them for the page; walking the log newest first (or its
    // failed requests, below) and keeping the rows in range reads about one page's worth
    // instead. The unary `+` keeps SQLite off the code's index; PostgreSQL's planner weighs
    // both ways itself.
    let code = |column: C| match backend {
        DbBackend::Sqlite => Expr::cust(format!("+\"{}\"", column.as_str())),
        _ => Expr::col(column),
    };
    if let Some(v) = filter.http_code_min {
        query = query.filter(code(C::HttpCode).gte(v));
        if v >= FAILED {
            // The failed requests' own index, newest first: its predicate written out as a
            // literal, the form in which both planners recognise it (not behind a parameter).
            query = query.filter(Expr::cust(format!(
                "\"{}\" >= {FAILED}",
                C::HttpCode.as_str()
            )));
        }
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
    if let Some(text) = &filter.user_agent {
        match agents_containing(db, text).await? {
            Agents::None => {
                return Ok(PageOf {
                    items: Vec::new(),
                    has_more: false,
                });
            }
            // PostgreSQL merges the agents' ranges, each read lazily in the list's order (a
            // Merge Append of their index scans: the page's rows and one more per agent).
            // SQLite's compound selects sort each arm again; an `IN` over the agents' ids is
            // walked in order instead, reading the page's rows only.
            Agents::Few(ids) if backend == DbBackend::Postgres => {
                let merged = rows_of_agents(&query, &ids, keyset, true)
                    .order_by(Alias::new(C::Id.as_str()), keyset.primary_key_dir.order())
                    .limit(keyset.page_size + 1)
                    .to_owned();
                let items = access_log::Model::find_by_statement(backend.build(&merged))
                    .all(db)
                    .await?;
                return Ok(PageOf::from_fetched(items, keyset.page_size));
            }
            Agents::Few(ids) => {
                let rows = rows_of_agents(&query, &ids, keyset, false);
                query = query.filter(Expr::col((access_log::Entity, C::Id)).in_subquery(rows));
            }
            Agents::Many(agents) => {
                query = query.filter(C::UserAgentId.in_subquery(*agents));
            }
        }
    }
    Ok(keyset.fetch(db, query, C::Id, None).await?)
}

/// Agents searched for one by one at most: past it, a text matches agents common enough
/// that the log's rows are found by walking it.
const MAX_AGENTS: u64 = 64;

/// The agents a text of the user-agent filter matches.
enum Agents {
    None,
    /// Their ids, up to [`MAX_AGENTS`].
    Few(Vec<i64>),
    /// More than [`MAX_AGENTS`]: the query of their ids.
    Many(Box<SelectStatement>),
}

/// The user agents containing `text` without regard to case: through the trigram index of
/// `user_agents` on PostgreSQL, by reading them on SQLite (a log has few).
async fn agents_containing(db: &DatabaseConnection, text: &str) -> Result<Agents> {
    use user_agent::Column as A;
    let matching = user_agent::Entity::find()
        .select_only()
        .column(A::Id)
        .filter(
            Expr::expr(Func::lower(Expr::col(A::UserAgent))).like(crate::text::like(
                "%",
                &text.to_lowercase(),
                "%",
            )),
        );
    let ids: Vec<i64> = matching
        .clone()
        .order_by_asc(A::Id)
        .limit(MAX_AGENTS + 1)
        .into_tuple()
        .all(db)
        .await?;
    Ok(match ids.len() as u64 {
        0 => Agents::None,
        n if n <= MAX_AGENTS => Agents::Few(ids),
        _ => Agents::Many(Box::new(matching.into_query())),
    })
}

/// The page's candidates among the rows of `agents` (`whole`: the rows, else their ids): the
/// first rows of each agent after the cursor under the list's filters, each read from the
/// agent's `(user_agent_id, id)` range in the list's order, so that the page is among at most
/// a page's worth per agent.
fn rows_of_agents(
    query: &Select<access_log::Entity>,
    agents: &[i64],
    keyset: &Keyset,
    whole: bool,
) -> SelectStatement {
    use access_log::Column as C;
    let need = keyset.page_size + 1;
    let arm = |i: usize, agent: i64| {
        let mut rows = query.clone().filter(C::UserAgentId.eq(agent));
        if !whole {
            rows = rows.select_only().column(C::Id);
        }
        if let Some(last) = keyset.last_primary_key {
            rows = rows.filter(match keyset.primary_key_dir {
                crate::SortDir::Desc => C::Id.lt(last),
                crate::SortDir::Asc => C::Id.gt(last),
            });
        }
        let rows = rows
            .order_by(C::Id, keyset.primary_key_dir.order())
            .limit(need)
            .into_query();
        // Each agent's rows as a sub-query of its own: an arm of a compound select may not
        // have its own ORDER BY and LIMIT on SQLite.
        let mut arm = Query::select();
        if whole {
            arm.column(Asterisk);
        } else {
            arm.column(C::Id);
        }
        arm.from_subquery(rows, Alias::new(format!("agent_{i}")))
            .to_owned()
    };
    let mut arms = agents.iter().enumerate().map(|(i, &agent)| arm(i, agent));
    let mut union = arms.next().expect("one agent at least");
    for other in arms {
        union.union(UnionType::All, other);
    }
    union
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
