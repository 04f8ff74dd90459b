//! Users: people with an account, riders and staff alike.

use crate::entity::user;
use crate::error::{Result, conflict_on};
use chrono::{DateTime, Utc};
use relais_domain::credentials::normalize_email;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

/// What it takes to create a user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    /// An argon2id hash, never a password.
    pub password_hash: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub app_label_id: Option<i64>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewUser) -> Result<user::Model> {
    let now = Utc::now();
    user::ActiveModel {
        email: Set(normalize_email(&new.email)),
        password_hash: Set(new.password_hash),
        first_name: Set(new.first_name),
        last_name: Set(new.last_name),
        phone: Set(new.phone),
        language: Set(new.language.unwrap_or_else(|| "en".into())),
        app_label_id: Set(new.app_label_id),
        blocked: Set(false),
        blocked_at: Set(None),
        created_at: Set(now),
        last_activity_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on("email"))
}

pub async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

pub async fn find_by_email(db: &DatabaseConnection, email: &str) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(normalize_email(email)))
        .one(db)
        .await?)
}

/// Replace the password hash of a user.
pub async fn set_password_hash(db: &DatabaseConnection, id: i64, hash: String) -> Result<()> {
    user::ActiveModel {
        id: Set(id),
        password_hash: Set(Some(hash)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Block (`Some(at)`) or unblock (`None`) the user: a blocked user's tokens are refused from
/// the next request on, in every server (it is a security change: see `security_epoch`).
pub async fn set_blocked(
    db: &DatabaseConnection,
    id: i64,
    at: Option<DateTime<Utc>>,
) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    user::ActiveModel {
        id: Set(id),
        blocked: Set(at.is_some()),
        blocked_at: Set(at),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    crate::security_epoch::commit(txn).await?;
    Ok(())
}

/// Record that the user did something at `now`.
pub async fn touch(db: &DatabaseConnection, id: i64, now: DateTime<Utc>) -> Result<()> {
    user::ActiveModel {
        id: Set(id),
        last_activity_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
