//! Out of orders: periods during which a network is out of order. Every change goes through
//! `networks::open`: the out of orders of a closed network no longer change.

use crate::entity::out_of_order;
use crate::error::{Result, StoreError};
use crate::networks::open;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

/// What a new out of order is made of.
#[derive(Debug, Clone)]
pub struct NewOutOfOrder {
    pub network_id: i64,
    /// `other` or `winter`.
    pub kind: String,
    pub reason: Option<String>,
    pub start_date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    pub created_by: Option<i64>,
}

/// A change to an out of order: `None` keeps a value, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct OutOfOrderChange {
    pub reason: Option<Option<String>>,
    pub end_date: Option<Option<DateTime<Utc>>>,
}

/// Add an out of order to the open network of `new`.
pub async fn create(db: &impl ConnectionTrait, new: NewOutOfOrder) -> Result<out_of_order::Model> {
    open(db, new.network_id).await?;
    Ok(out_of_order::ActiveModel {
        network_id: Set(new.network_id),
        kind: Set(new.kind),
        reason: Set(new.reason),
        start_date: Set(new.start_date),
        end_date: Set(new.end_date),
        created_by: Set(new.created_by),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The out of order `id`, if any.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<out_of_order::Model>> {
    Ok(out_of_order::Entity::find_by_id(id).one(db).await?)
}

/// Change out of order `id`, whose network must be open. The end date, when set, must come
/// after the start date (refused with `Rule` otherwise; callers check it first to name the field).
pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    change: OutOfOrderChange,
) -> Result<out_of_order::Model> {
    let current = get(db, id).await?.ok_or(StoreError::NotFound {
        entity: "out of order",
    })?;
    open(db, current.network_id).await?;
    if let Some(Some(end)) = change.end_date
        && end <= current.start_date
    {
        return Err(StoreError::Rule(
            "end_date must be after start_date".to_owned(),
        ));
    }
    if change.reason.is_none() && change.end_date.is_none() {
        return Ok(current);
    }
    let mut model = out_of_order::ActiveModel {
        id: Set(current.id),
        ..Default::default()
    };
    if let Some(reason) = change.reason {
        model.reason = Set(reason);
    }
    if let Some(end) = change.end_date {
        model.end_date = Set(end);
    }
    Ok(model.update(db).await?)
}
