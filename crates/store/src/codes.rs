//! Single-use codes sent to a user (email and phone confirmation, password reset, staff
//! invitation): six digits, kept as a SHA-256 hash, valid for a while, five tries each. A new
//! code of a purpose replaces the earlier ones.

use crate::entity::user_code::{self, Purpose};
use crate::error::{Result, StoreError};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};

/// Tries a code allows before it is spent.
pub const TRIES: i32 = 5;

fn hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// Issue a new code of `purpose` for the user, valid for `ttl`; the code itself is returned
/// once, to be sent, and never kept.
pub async fn issue(
    db: &DatabaseConnection,
    user_id: i64,
    purpose: Purpose,
    channel: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<String> {
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let txn = crate::db::begin_write(db).await?;
    user_code::Entity::update_many()
        .col_expr(user_code::Column::UsedAt, Expr::value(now))
        .filter(user_code::Column::UserId.eq(user_id))
        .filter(user_code::Column::Purpose.eq(purpose))
        .filter(user_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    user_code::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose),
        channel: Set(channel.to_owned()),
        code_hash: Set(hash(&code)),
        attempts: Set(0),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(code)
}

/// Spend the user's live code of `purpose` if `code` is it; a wrong code counts a try, and
/// the code is spent after [`TRIES`]. Refused naming `field`.
pub async fn redeem(
    db: &DatabaseConnection,
    user_id: i64,
    purpose: Purpose,
    code: &str,
    field: &'static str,
    now: DateTime<Utc>,
) -> Result<()> {
    let refused = |problem: &str| StoreError::Invalid {
        field,
        problem: problem.to_owned(),
    };
    let live = user_code::Entity::find()
        .filter(user_code::Column::UserId.eq(user_id))
        .filter(user_code::Column::Purpose.eq(purpose))
        .filter(user_code::Column::UsedAt.is_null())
        .filter(user_code::Column::ExpiresAt.gt(now))
        .order_by_desc(user_code::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| refused("no valid code: ask for a new one"))?;
    if live.attempts >= TRIES {
        return Err(refused("too many wrong tries: ask for a new one"));
    }
    // Counted and spent in one statement each, so that concurrent tries cannot exceed the limit.
    if live.code_hash != hash(code) {
        user_code::Entity::update_many()
            .col_expr(
                user_code::Column::Attempts,
                Expr::col(user_code::Column::Attempts).add(1),
            )
            .filter(user_code::Column::Id.eq(live.id))
            .exec(db)
            .await?;
        return Err(refused("wrong code"));
    }
    let spent = user_code::Entity::update_many()
        .col_expr(user_code::Column::UsedAt, Expr::value(now))
        .filter(user_code::Column::Id.eq(live.id))
        .filter(user_code::Column::UsedAt.is_null())
        .filter(user_code::Column::Attempts.lt(TRIES))
        .exec(db)
        .await?;
    if spent.rows_affected == 0 {
        return Err(refused("no valid code: ask for a new one"));
    }
    Ok(())
}
