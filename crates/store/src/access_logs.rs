//! The access log: one row per Dashboard request.

use crate::entity::access_log;
use crate::error::Result;
use crate::pagination::{Keyset, PageOf};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

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
    access_log::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Filters of the access log list; every one is optional.
#[derive(Debug, Clone, Default)]
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
    if let Some(v) = &filter.target_path {
        query = query.filter(C::TargetPath.like(like_pattern("", v, "%")));
    }
    if let Some(v) = &filter.verb {
        query = query.filter(C::Verb.eq(v.to_uppercase()));
    }
    if let Some(v) = &filter.user_agent {
        // LOWER on both sides: LIKE is case-sensitive on PostgreSQL and not on SQLite.
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(C::UserAgent))).like(like_pattern(
                "%",
                &v.to_lowercase(),
                "%",
            )),
        );
    }
    if let Some(v) = &filter.ip {
        query = query.filter(C::Ip.eq(v.as_str()));
    }
    if let Some(v) = filter.http_code_min {
        query = query.filter(C::HttpCode.gte(v));
    }
    if let Some(v) = filter.http_code_max {
        query = query.filter(C::HttpCode.lte(v));
    }
    if let Some(v) = filter.knot_code_min {
        query = query.filter(C::KnotCode.gte(v));
    }
    if let Some(v) = filter.knot_code_max {
        query = query.filter(C::KnotCode.lte(v));
    }
    Ok(keyset.fetch(db, query, C::Id, None).await?)
}

/// A LIKE pattern matching `text` literally between `before` and `after`: filters match text,
/// and a `%` or `_` typed by the user is not a wildcard.
fn like_pattern(before: &str, text: &str, after: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    LikeExpr::new(format!("{before}{escaped}{after}")).escape('\\')
}
