//! Devices: the phones riders sign in with. The same device id on several accounts is how staff
//! find accounts kept by one person.

use crate::entity::user_device::{self, Platform};
use crate::entity::{user, user_badge};
use crate::error::Result;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// A device as the app reports it.
#[derive(Debug, Clone)]
pub struct DeviceReport {
    pub device_id: String,
    pub platform: Platform,
    pub model: Option<String>,
    pub app_version: Option<String>,
    pub push_token: Option<String>,
}

/// Record that the user uses the device now (first time or again, with its latest details).
pub async fn register(
    db: &DatabaseConnection,
    user_id: i64,
    report: DeviceReport,
    now: DateTime<Utc>,
) -> Result<user_device::Model> {
    user_device::Entity::insert(user_device::ActiveModel {
        user_id: Set(user_id),
        device_id: Set(report.device_id.clone()),
        platform: Set(report.platform),
        model: Set(report.model),
        app_version: Set(report.app_version),
        push_token: Set(report.push_token),
        created_at: Set(now),
        last_seen_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([user_device::Column::UserId, user_device::Column::DeviceId])
            .update_columns([
                user_device::Column::Platform,
                user_device::Column::Model,
                user_device::Column::AppVersion,
                user_device::Column::PushToken,
                user_device::Column::LastSeenAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(user_device::Entity::find()
        .filter(user_device::Column::UserId.eq(user_id))
        .filter(user_device::Column::DeviceId.eq(report.device_id))
        .one(db)
        .await?
        .expect("the device was just written"))
}

/// The user's devices, the most recently seen first.
pub async fn of_user(db: &DatabaseConnection, user_id: i64) -> Result<Vec<user_device::Model>> {
    Ok(user_device::Entity::find()
        .filter(user_device::Column::UserId.eq(user_id))
        .order_by_desc(user_device::Column::LastSeenAt)
        .order_by_desc(user_device::Column::Id)
        .all(db)
        .await?)
}

/// The users who signed in with device `device_id` (at most `limit`), with their use of it,
/// within `scope` when given (a condition on users).
pub async fn users_of(
    db: &DatabaseConnection,
    device_id: &str,
    scope: Option<&crate::users::Reachable>,
    limit: u64,
) -> Result<Vec<(user_device::Model, user::Model)>> {
    let devices = user_device::Entity::find()
        .filter(user_device::Column::DeviceId.eq(device_id))
        .order_by_desc(user_device::Column::LastSeenAt)
        .order_by_desc(user_device::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let users = crate::users::within(db, devices.iter().map(|d| d.user_id), scope).await?;
    Ok(devices
        .into_iter()
        .filter_map(|d| users.get(&d.user_id).cloned().map(|u| (d, u)))
        .collect())
}

/// Drop the push tokens of the user's devices (the account is deleted or the token refused).
pub async fn forget_push_tokens(db: &DatabaseConnection, user_id: i64) -> Result<()> {
    user_device::Entity::update_many()
        .col_expr(
            user_device::Column::PushToken,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(user_device::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The user's badges, the newest first.
pub async fn badges_of(db: &DatabaseConnection, user_id: i64) -> Result<Vec<user_badge::Model>> {
    Ok(user_badge::Entity::find()
        .filter(user_badge::Column::UserId.eq(user_id))
        .order_by_desc(user_badge::Column::Id)
        .all(db)
        .await?)
}
