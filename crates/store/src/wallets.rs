//! Wallets: a user's credits per currency. Every change is a movement row, and the balance on
//! the wallet moves with it in the same transaction by an atomic `balance = balance + delta`,
//! so concurrent credits and debits never lose one another; `relais check` recomputes each
//! balance from the movements.

use crate::entity::wallet_movement::MovementKind;
use crate::entity::{wallet, wallet_movement};
use crate::error::{Result, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

/// One movement to make.
#[derive(Debug, Clone)]
pub struct Movement {
    /// Ten-thousandths; positive credits, negative debits.
    pub amount: i64,
    pub kind: MovementKind,
    pub reason: String,
    pub actor_id: Option<i64>,
    pub at: DateTime<Utc>,
    /// The transaction that spends or gives back this money, when one does.
    pub transaction_id: Option<i64>,
}

/// The user's wallets, live ones only, by currency; with the empty ones when `with_empty`.
pub async fn of_user(
    db: &DatabaseConnection,
    user_id: i64,
    with_empty: bool,
) -> Result<Vec<wallet::Model>> {
    let mut select = wallet::Entity::find()
        .filter(wallet::Column::UserId.eq(user_id))
        .filter(wallet::Column::DeletedAt.is_null());
    if !with_empty {
        select = select.filter(wallet::Column::Balance.ne(0));
    }
    Ok(select
        .order_by_asc(wallet::Column::Currency)
        .order_by_asc(wallet::Column::Id)
        .all(db)
        .await?)
}

/// Move money on the user's wallet in `currency`, creating the wallet on its first credit.
/// A debit beyond the balance is refused naming `amount`, and nothing changes.
pub async fn apply(
    db: &DatabaseConnection,
    user_id: i64,
    currency: &str,
    movement: Movement,
) -> Result<(wallet::Model, wallet_movement::Model)> {
    let txn = crate::db::begin_write(db).await?;
    let moved = apply_in(&txn, user_id, currency, movement).await?;
    txn.commit().await?;
    Ok(moved)
}

/// [`apply`] within the caller's transaction, so that the movement commits or rolls back
/// with the caller's other writes (a transaction row, a refund).
pub async fn apply_in(
    txn: &impl ConnectionTrait,
    user_id: i64,
    currency: &str,
    movement: Movement,
) -> Result<(wallet::Model, wallet_movement::Model)> {
    // Serializes the user's wallet changes on PostgreSQL (a row lock on the user) so that two
    // first credits in one currency cannot make two wallets; SQLite's writer is single.
    let locked = crate::entity::user::Entity::update_many()
        .col_expr(
            crate::entity::user::Column::Id,
            Expr::col(crate::entity::user::Column::Id),
        )
        .filter(crate::entity::user::Column::Id.eq(user_id))
        .exec(txn)
        .await?;
    if locked.rows_affected == 0 {
        return Err(StoreError::NotFound { entity: "user" });
    }
    let existing = wallet::Entity::find()
        .filter(wallet::Column::UserId.eq(user_id))
        .filter(wallet::Column::Currency.eq(currency))
        .filter(wallet::Column::DeletedAt.is_null())
        .one(txn)
        .await?;
    let wallet = match existing {
        Some(w) => w,
        None if movement.amount > 0 => {
            wallet::ActiveModel {
                user_id: Set(user_id),
                currency: Set(currency.to_owned()),
                balance: Set(0),
                created_at: Set(movement.at),
                ..Default::default()
            }
            .insert(txn)
            .await?
        }
        None => {
            return Err(StoreError::Invalid {
                field: "amount",
                problem: format!("no {currency} wallet to debit"),
            });
        }
    };
    record(txn, wallet.id, &movement, movement.amount < 0).await
}

/// Insert the movement and move the balance; with `guard`, refuse to go below zero.
async fn record(
    txn: &impl ConnectionTrait,
    wallet_id: i64,
    movement: &Movement,
    guard: bool,
) -> Result<(wallet::Model, wallet_movement::Model)> {
    let mut update = wallet::Entity::update_many()
        .col_expr(
            wallet::Column::Balance,
            Expr::col(wallet::Column::Balance).add(movement.amount),
        )
        .filter(wallet::Column::Id.eq(wallet_id));
    if guard {
        update = update.filter(
            Expr::col(wallet::Column::Balance)
                .add(movement.amount)
                .gte(0),
        );
    }
    if update.exec(txn).await?.rows_affected == 0 {
        return Err(StoreError::Invalid {
            field: "amount",
            problem: "more than the wallet holds".into(),
        });
    }
    let row = wallet_movement::ActiveModel {
        wallet_id: Set(wallet_id),
        amount: Set(movement.amount),
        kind: Set(movement.kind),
        reason: Set(movement.reason.clone()),
        actor_id: Set(movement.actor_id),
        created_at: Set(movement.at),
        transaction_id: Set(movement.transaction_id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let wallet = wallet::Entity::find_by_id(wallet_id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "wallet" })?;
    Ok((wallet, row))
}

/// Delete the user's wallet: what it still holds is written off by a last movement (so the
/// movements still add up to the balance, now zero), and who did it and why is kept.
pub async fn delete(
    db: &DatabaseConnection,
    user_id: i64,
    wallet_id: i64,
    reason: &str,
    actor_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<wallet::Model> {
    let txn = crate::db::begin_write(db).await?;
    let marked = wallet::Entity::update_many()
        .col_expr(wallet::Column::DeletedAt, Expr::value(at))
        .col_expr(wallet::Column::DeletedBy, Expr::value(actor_id))
        .col_expr(wallet::Column::DeletedReason, Expr::value(reason))
        .filter(wallet::Column::Id.eq(wallet_id))
        .filter(wallet::Column::UserId.eq(user_id))
        .filter(wallet::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected == 0 {
        return Err(StoreError::Missing {
            entity: "wallet",
            field: "wallet",
        });
    }
    // The row is ours until commit: its balance cannot move under us.
    let wallet = wallet::Entity::find_by_id(wallet_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "wallet" })?;
    let wallet = if wallet.balance != 0 {
        let movement = Movement {
            amount: -wallet.balance,
            kind: MovementKind::WriteOff,
            reason: reason.to_owned(),
            actor_id,
            at,
            transaction_id: None,
        };
        record(&txn, wallet_id, &movement, false).await?.0
    } else {
        wallet
    };
    txn.commit().await?;
    Ok(wallet)
}

/// The last `limit` movements of a wallet, newest first.
pub async fn movements(
    db: &DatabaseConnection,
    wallet_id: i64,
    limit: u64,
) -> Result<Vec<wallet_movement::Model>> {
    Ok(wallet_movement::Entity::find()
        .filter(wallet_movement::Column::WalletId.eq(wallet_id))
        .order_by_desc(wallet_movement::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Wallets whose balance is not the sum of their movements: `(wallet, kept, summed)`.
pub async fn check(db: &DatabaseConnection) -> Result<Vec<(i64, i64, i64)>> {
    let sums: Vec<(i64, Option<i64>)> = wallet_movement::Entity::find()
        .select_only()
        .column(wallet_movement::Column::WalletId)
        // SUM of a BIGINT is a NUMERIC on PostgreSQL: cast back.
        .column_as(Expr::cust("CAST(SUM(\"amount\") AS BIGINT)"), "total")
        .group_by(wallet_movement::Column::WalletId)
        .into_tuple()
        .all(db)
        .await?;
    let sums: std::collections::HashMap<i64, i64> =
        sums.into_iter().map(|(w, t)| (w, t.unwrap_or(0))).collect();
    let kept: Vec<(i64, i64)> = wallet::Entity::find()
        .select_only()
        .column(wallet::Column::Id)
        .column(wallet::Column::Balance)
        .into_tuple()
        .all(db)
        .await?;
    Ok(kept
        .into_iter()
        .filter_map(|(id, balance)| {
            let summed = sums.get(&id).copied().unwrap_or(0);
            (summed != balance).then_some((id, balance, summed))
        })
        .collect())
}

/// The live wallets' balances of `users`: `(user, currency, balance)`.
pub async fn balances_of(
    db: &DatabaseConnection,
    users: &[i64],
) -> Result<Vec<(i64, String, i64)>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    Ok(wallet::Entity::find()
        .select_only()
        .column(wallet::Column::UserId)
        .column(wallet::Column::Currency)
        .column(wallet::Column::Balance)
        .filter(wallet::Column::UserId.is_in(users.iter().copied()))
        .filter(wallet::Column::DeletedAt.is_null())
        .filter(wallet::Column::Balance.ne(0))
        .into_tuple()
        .all(db)
        .await?)
}
