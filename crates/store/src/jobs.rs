//! Durable jobs: timers and deferred work, each a row about one subject, written in the
//! transaction of the change that needs it and claimed by one worker at a time.
//!
//! - [`schedule`] and [`cancel`] take the caller's connection or transaction, so a trip becomes
//!   `running` with its timers, or not at all; arming a kind again for the same subject moves
//!   the one timer (`unique (kind, subject_id)`).
//! - [`claim`] takes due jobs with one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
//!   LOCKED) RETURNING`: on PostgreSQL concurrent claimers skip each other's rows; SQLite drops
//!   the lock clause and runs the statement alone (one writer), with the same effect.
//! - A claim holds a job for a lease, under a token of its own. [`complete`] deletes the row
//!   in the handler's transaction only while it still holds that token: a job whose lease ran
//!   out and was taken over, or that was armed again meanwhile, is not completed twice, and
//!   the handler rolls its effect back.

use crate::entity::job;
use crate::error::Result;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

/// Attempts before a job is given up and left for staff (`relais check` reports it).
pub const MAX_ATTEMPTS: i32 = 8;

/// A job as claimed: the row and the token its completion must still hold.
pub type Job = job::Model;

/// Arm job `kind` about `subject_id` to run at `run_at`, or move the one already armed (its
/// attempts start again and a claim in progress loses it).
pub async fn schedule(
    db: &impl ConnectionTrait,
    kind: &str,
    subject_id: i64,
    run_at: DateTime<Utc>,
    payload: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    job::Entity::insert(job::ActiveModel {
        kind: Set(kind.to_owned()),
        subject_id: Set(subject_id),
        payload: Set(payload),
        run_at: Set(run_at),
        attempts: Set(0),
        max_attempts: Set(MAX_ATTEMPTS),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([job::Column::Kind, job::Column::SubjectId])
            .update_columns([
                job::Column::Payload,
                job::Column::RunAt,
                job::Column::Attempts,
                job::Column::MaxAttempts,
                job::Column::LockedUntil,
                job::Column::LockedBy,
                job::Column::LastError,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Delete the jobs of `kinds` about `subject_id` (the change that made them moot); how many.
pub async fn cancel(db: &impl ConnectionTrait, kinds: &[&str], subject_id: i64) -> Result<u64> {
    Ok(job::Entity::delete_many()
        .filter(job::Column::SubjectId.eq(subject_id))
        .filter(job::Column::Kind.is_in(kinds.iter().copied()))
        .exec(db)
        .await?
        .rows_affected)
}

/// The job of `kind` about `subject_id`, if one is armed.
pub async fn find(db: &impl ConnectionTrait, kind: &str, subject_id: i64) -> Result<Option<Job>> {
    Ok(job::Entity::find()
        .filter(job::Column::Kind.eq(kind))
        .filter(job::Column::SubjectId.eq(subject_id))
        .one(db)
        .await?)
}

/// Claim at most `limit` jobs due at `now` that nobody holds, for `lease`, under `token` (a
/// value no other claim uses). Returns them, earliest due first.
pub async fn claim(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<Job>> {
    let due = Query::select()
        .column(job::Column::Id)
        .from(job::Entity)
        .and_where(job::Column::RunAt.lte(now))
        .cond_where(free_at(now))
        .and_where(Expr::col(job::Column::Attempts).lt(Expr::col(job::Column::MaxAttempts)))
        .order_by(job::Column::RunAt, sea_orm::Order::Asc)
        .order_by(job::Column::Id, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let mut claimed = job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Expr::value(now + lease))
        .col_expr(job::Column::LockedBy, Expr::value(token))
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(Expr::val(1)),
        )
        .filter(job::Column::Id.in_subquery(due))
        .exec_with_returning(db)
        .await?;
    claimed.sort_by_key(|j| (j.run_at, j.id));
    Ok(claimed)
}

/// Rows nobody holds at `now`: never claimed, released, or whose lease ran out.
fn free_at(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(job::Column::LockedUntil.is_null())
        .add(job::Column::LockedUntil.lt(now))
}

/// The row of `job` while its claim still holds it.
fn held(job: &Job) -> Condition {
    Condition::all()
        .add(job::Column::Id.eq(job.id))
        .add(job::Column::LockedBy.eq(job.locked_by.clone()))
}

/// Complete `job` inside the transaction of its effect: whether it was still held. `false`
/// means another worker took it over or it was armed again: the caller rolls its effect back.
pub async fn complete(db: &impl ConnectionTrait, job: &Job) -> Result<bool> {
    Ok(job::Entity::delete_many()
        .filter(held(job))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Run `job` again at `run_at` (a timer that re-arms itself); whether it was still held.
pub async fn again(db: &impl ConnectionTrait, job: &Job, run_at: DateTime<Utc>) -> Result<bool> {
    Ok(job::Entity::update_many()
        .col_expr(job::Column::RunAt, Expr::value(run_at))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
        .filter(held(job))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Hold `job` for `lease` more from `now` (a handler waiting on a provider); whether it was
/// still held.
pub async fn renew(
    db: &impl ConnectionTrait,
    job: &Job,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<bool> {
    Ok(job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Expr::value(now + lease))
        .filter(held(job))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Record that an attempt at `job` failed with `error`: it runs again at `retry_at`, or, out
/// of attempts, stays for staff with its last error. Whether it was still held.
pub async fn fail(
    db: &impl ConnectionTrait,
    job: &Job,
    error: &str,
    retry_at: DateTime<Utc>,
) -> Result<bool> {
    let error: String = error.chars().take(1000).collect();
    Ok(job::Entity::update_many()
        .col_expr(job::Column::RunAt, Expr::value(retry_at))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(job::Column::LastError, Expr::value(Some(error)))
        .filter(held(job))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Jobs out of attempts, which no worker takes any more: `relais check` reports them.
pub async fn given_up(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(job::Entity::find()
        .filter(Expr::col(job::Column::Attempts).gte(Expr::col(job::Column::MaxAttempts)))
        .count(db)
        .await?)
}
