//! Riders' saved payment methods and the bank guarantees (holds) placed on them. Only provider
//! tokens and what may be shown (brand, last four digits, expiry, fingerprint) are kept.

use crate::entity::bank_guarantee::{self, GuaranteeStatus};
use crate::entity::user_payment_method::{self, MethodStatus};
use crate::entity::{payment_method, user};
use crate::error::{Result, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// A method the provider saved for the user.
#[derive(Debug, Clone)]
pub struct SavedMethod {
    /// The kind of method (`payment_methods.key`: `sandbox-card`, `stripe-card`, ...).
    pub method_key: String,
    pub provider: String,
    pub provider_token: String,
    pub provider_customer: Option<String>,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<i16>,
    pub exp_year: Option<i16>,
    pub fingerprint: Option<String>,
    pub status: MethodStatus,
}

/// The kinds of payment method the platform supports (`payment_methods`), by key.
pub async fn kind(db: &DatabaseConnection, key: &str) -> Result<Option<payment_method::Model>> {
    Ok(payment_method::Entity::find()
        .filter(payment_method::Column::Key.eq(key))
        .one(db)
        .await?)
}

/// Save a method for the user; the first one becomes the default.
pub async fn add(
    db: &DatabaseConnection,
    user_id: i64,
    saved: SavedMethod,
    now: DateTime<Utc>,
) -> Result<user_payment_method::Model> {
    let kind = kind(db, &saved.method_key)
        .await?
        .ok_or(StoreError::Invalid {
            field: "method",
            problem: format!("no payment method `{}`", saved.method_key),
        })?;
    let txn = crate::db::begin_write(db).await?;
    // A retried request: the provider answered the same method again.
    if let Some(same) = user_payment_method::Entity::find()
        .filter(user_payment_method::Column::UserId.eq(user_id))
        .filter(user_payment_method::Column::ProviderToken.eq(&saved.provider_token))
        .filter(user_payment_method::Column::RemovedAt.is_null())
        .one(&txn)
        .await?
    {
        return Ok(same);
    }
    let has_default = user_payment_method::Entity::find()
        .filter(user_payment_method::Column::UserId.eq(user_id))
        .filter(user_payment_method::Column::RemovedAt.is_null())
        .filter(user_payment_method::Column::IsDefault.eq(true))
        .one(&txn)
        .await?
        .is_some();
    let row = user_payment_method::ActiveModel {
        user_id: Set(user_id),
        payment_method_id: Set(kind.id),
        provider: Set(saved.provider),
        provider_token: Set(saved.provider_token),
        provider_customer: Set(saved.provider_customer),
        brand: Set(saved.brand),
        last4: Set(saved.last4),
        exp_month: Set(saved.exp_month),
        exp_year: Set(saved.exp_year),
        fingerprint: Set(saved.fingerprint),
        status: Set(saved.status),
        is_default: Set(!has_default),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The user's methods in use (removed ones left out), the default first, then the newest.
pub async fn of_user(
    db: &DatabaseConnection,
    user_id: i64,
) -> Result<Vec<(user_payment_method::Model, payment_method::Model)>> {
    let rows = user_payment_method::Entity::find()
        .filter(user_payment_method::Column::UserId.eq(user_id))
        .filter(user_payment_method::Column::RemovedAt.is_null())
        .order_by_desc(user_payment_method::Column::IsDefault)
        .order_by_desc(user_payment_method::Column::Id)
        .all(db)
        .await?;
    with_kinds(db, rows).await
}

async fn with_kinds(
    db: &DatabaseConnection,
    rows: Vec<user_payment_method::Model>,
) -> Result<Vec<(user_payment_method::Model, payment_method::Model)>> {
    let kinds = crate::map_by_ids::<payment_method::Entity>(
        db,
        payment_method::Column::Id,
        rows.iter().map(|r| r.payment_method_id),
        |k| k.id,
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| kinds.get(&r.payment_method_id).cloned().map(|k| (r, k)))
        .collect())
}

/// The user's method `id` in use, or `Missing` naming `field`.
pub async fn get(
    db: &DatabaseConnection,
    user_id: i64,
    id: i64,
    field: &'static str,
) -> Result<user_payment_method::Model> {
    user_payment_method::Entity::find_by_id(id)
        .filter(user_payment_method::Column::UserId.eq(user_id))
        .filter(user_payment_method::Column::RemovedAt.is_null())
        .one(db)
        .await?
        .ok_or(StoreError::Missing {
            entity: "payment method",
            field,
        })
}

/// Remove the user's method `id` (kept for the records, no longer usable). When it was the
/// default, the newest remaining ready method becomes the default, as the seed says.
pub async fn remove(
    db: &DatabaseConnection,
    user_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<user_payment_method::Model>> {
    let txn = crate::db::begin_write(db).await?;
    let method = user_payment_method::Entity::find_by_id(id)
        .filter(user_payment_method::Column::UserId.eq(user_id))
        .filter(user_payment_method::Column::RemovedAt.is_null())
        .one(&txn)
        .await?
        .ok_or(StoreError::Missing {
            entity: "payment method",
            field: "user_method_id",
        })?;
    user_payment_method::Entity::update_many()
        .col_expr(user_payment_method::Column::RemovedAt, Expr::value(now))
        .col_expr(user_payment_method::Column::IsDefault, Expr::value(false))
        .filter(user_payment_method::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let mut new_default = None;
    if method.is_default {
        let next = user_payment_method::Entity::find()
            .filter(user_payment_method::Column::UserId.eq(user_id))
            .filter(user_payment_method::Column::RemovedAt.is_null())
            .filter(user_payment_method::Column::Status.eq(MethodStatus::Ready))
            .order_by_desc(user_payment_method::Column::Id)
            .one(&txn)
            .await?;
        if let Some(next) = next {
            let mut active: user_payment_method::ActiveModel = next.into();
            active.is_default = Set(true);
            new_default = Some(active.update(&txn).await?);
        }
    }
    txn.commit().await?;
    Ok(new_default)
}

/// Make method `id` the user's default; the method with its kind.
pub async fn set_default(
    db: &DatabaseConnection,
    user_id: i64,
    id: i64,
) -> Result<(user_payment_method::Model, payment_method::Model)> {
    let txn = crate::db::begin_write(db).await?;
    let method = user_payment_method::Entity::find_by_id(id)
        .filter(user_payment_method::Column::UserId.eq(user_id))
        .filter(user_payment_method::Column::RemovedAt.is_null())
        .one(&txn)
        .await?
        .ok_or(StoreError::Missing {
            entity: "payment method",
            field: "id",
        })?;
    if method.status != MethodStatus::Ready {
        return Err(StoreError::Invalid {
            field: "id",
            problem: "this payment method still needs the rider's authentication".into(),
        });
    }
    user_payment_method::Entity::update_many()
        .col_expr(user_payment_method::Column::IsDefault, Expr::value(false))
        .filter(user_payment_method::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    let mut active: user_payment_method::ActiveModel = method.into();
    active.is_default = Set(true);
    let method = active.update(&txn).await?;
    txn.commit().await?;
    with_kinds(db, vec![method])
        .await?
        .pop()
        .ok_or(StoreError::NotFound {
            entity: "payment method",
        })
}

/// The methods in use with this fingerprint (at most `limit`), with their owners, within
/// `scope` (a condition on users) when given.
pub async fn by_fingerprint(
    db: &DatabaseConnection,
    fingerprint: &str,
    scope: Option<&crate::users::Reachable>,
    limit: u64,
) -> Result<
    Vec<(
        user_payment_method::Model,
        payment_method::Model,
        user::Model,
    )>,
> {
    let rows = user_payment_method::Entity::find()
        .filter(user_payment_method::Column::Fingerprint.eq(fingerprint))
        .filter(user_payment_method::Column::RemovedAt.is_null())
        .order_by_desc(user_payment_method::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let users = crate::users::within(db, rows.iter().map(|r| r.user_id), scope).await?;
    Ok(with_kinds(db, rows)
        .await?
        .into_iter()
        .filter_map(|(r, k)| users.get(&r.user_id).cloned().map(|u| (r, k, u)))
        .collect())
}

/// The user's guarantees that are usable or in use (held, or held for a trip), newest first.
pub async fn guarantees_of(
    db: &DatabaseConnection,
    user_id: i64,
) -> Result<Vec<bank_guarantee::Model>> {
    Ok(bank_guarantee::Entity::find()
        .filter(bank_guarantee::Column::UserId.eq(user_id))
        .filter(
            bank_guarantee::Column::Status.is_in([GuaranteeStatus::Held, GuaranteeStatus::InUse]),
        )
        .order_by_desc(bank_guarantee::Column::Id)
        .limit(100)
        .all(db)
        .await?)
}
