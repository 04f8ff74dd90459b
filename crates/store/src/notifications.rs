//! Notification settings of a network and their targets.
//!
//! A setting says which alerts (types and severities) of a network are sent, and how often the
//! system checks for them; its targets are the people it is sent to: users of relais, or
//! external email addresses. A target appears once per setting (unique indexes). A setting
//! always belongs to one network: every function takes that network and answers "not found"
//! for a setting of another network. Every change goes through [`crate::networks::open`], so a
//! closed network refuses them.

use crate::entity::{notification_setting, notification_target, user};
use crate::error::{Result, StoreError, conflict_on};
use crate::networks;
use chrono::{DateTime, Utc};
use relais_domain::alerts::{self, AlertSeverity, AlertType, NotificationType, UnknownValue};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use std::collections::HashMap;

/// The values of a setting, to create or replace one.
#[derive(Debug, Clone)]
pub struct SettingValues {
    pub notification_type: NotificationType,
    pub alert_types: Vec<AlertType>,
    pub alert_severities: Vec<AlertSeverity>,
    pub check_interval: Option<i32>,
    pub check_delay: Option<i32>,
}

/// Who a notification is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    User(i64),
    /// An external email address (stored lowercase).
    Email(String),
}

/// A target of a setting, with the email of the user when it is one.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: i64,
    pub user_id: Option<i64>,
    /// The user's email for a user target, the external address otherwise.
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A setting with its targets.
#[derive(Debug, Clone)]
pub struct Setting {
    pub id: i64,
    pub network_id: i64,
    pub notification_type: NotificationType,
    pub alert_types: Vec<AlertType>,
    pub alert_severities: Vec<AlertSeverity>,
    pub check_interval: Option<i32>,
    pub check_delay: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub targets: Vec<Target>,
}

fn corrupt(err: UnknownValue) -> StoreError {
    StoreError::Db(DbErr::Custom(format!("stored notification setting: {err}")))
}

fn setting(model: notification_setting::Model, targets: Vec<Target>) -> Result<Setting> {
    Ok(Setting {
        id: model.id,
        network_id: model.network_id,
        notification_type: model.notification_type.parse().map_err(corrupt)?,
        alert_types: alerts::split(&model.alert_types).map_err(corrupt)?,
        alert_severities: alerts::split(&model.alert_severities).map_err(corrupt)?,
        check_interval: model.check_interval,
        check_delay: model.check_delay,
        created_at: model.created_at,
        targets,
    })
}

/// The targets of the given settings, by setting, oldest first.
async fn targets_of(
    db: &impl ConnectionTrait,
    setting_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<Target>>> {
    let rows = notification_target::Entity::find()
        .filter(notification_target::Column::SettingId.is_in(setting_ids))
        .order_by_asc(notification_target::Column::Id)
        .all(db)
        .await?;
    let user_ids: Vec<i64> = rows.iter().filter_map(|t| t.user_id).collect();
    let emails: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let mut out: HashMap<i64, Vec<Target>> = HashMap::new();
    for t in rows {
        let email = match t.user_id {
            Some(id) => emails.get(&id).cloned(),
            None => t.email,
        };
        out.entry(t.setting_id).or_default().push(Target {
            id: t.id,
            user_id: t.user_id,
            email,
            created_at: t.created_at,
        });
    }
    Ok(out)
}

/// The settings of network `network_id` (which must exist) with their targets, oldest first.
pub async fn list(db: &impl ConnectionTrait, network_id: i64) -> Result<Vec<Setting>> {
    networks::existing(db, network_id).await?;
    let models = notification_setting::Entity::find()
        .filter(notification_setting::Column::NetworkId.eq(network_id))
        .order_by_asc(notification_setting::Column::Id)
        .all(db)
        .await?;
    let mut targets = targets_of(db, models.iter().map(|m| m.id).collect()).await?;
    models
        .into_iter()
        .map(|m| {
            let mine = targets.remove(&m.id).unwrap_or_default();
            setting(m, mine)
        })
        .collect()
}

/// Setting `id` of network `network_id`.
async fn find(
    db: &impl ConnectionTrait,
    network_id: i64,
    id: i64,
) -> Result<notification_setting::Model> {
    notification_setting::Entity::find_by_id(id)
        .filter(notification_setting::Column::NetworkId.eq(network_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "notification setting",
        })
}

/// Setting `id` of network `network_id` with its targets.
pub async fn get(db: &impl ConnectionTrait, network_id: i64, id: i64) -> Result<Setting> {
    let model = find(db, network_id, id).await?;
    let mut targets = targets_of(db, vec![id]).await?;
    setting(model, targets.remove(&id).unwrap_or_default())
}

fn set_values(model: &mut notification_setting::ActiveModel, values: &SettingValues) {
    model.notification_type = Set(values.notification_type.as_str().to_owned());
    model.alert_types = Set(alerts::join(&values.alert_types));
    model.alert_severities = Set(alerts::join(&values.alert_severities));
    model.check_interval = Set(values.check_interval);
    model.check_delay = Set(values.check_delay);
}

/// Add a setting to open network `network_id`.
pub async fn create(
    db: &impl ConnectionTrait,
    network_id: i64,
    values: &SettingValues,
) -> Result<Setting> {
    networks::open(db, network_id).await?;
    let mut model = notification_setting::ActiveModel {
        network_id: Set(network_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    set_values(&mut model, values);
    let model = model.insert(db).await?;
    setting(model, Vec::new())
}

/// Replace the values of setting `id` of open network `network_id` (its targets stay).
pub async fn update(
    db: &impl ConnectionTrait,
    network_id: i64,
    id: i64,
    values: &SettingValues,
) -> Result<Setting> {
    networks::open(db, network_id).await?;
    let current = find(db, network_id, id).await?;
    let mut model: notification_setting::ActiveModel = current.into();
    set_values(&mut model, values);
    model.update(db).await?;
    get(db, network_id, id).await
}

/// Remove setting `id` of open network `network_id` with its targets.
pub async fn delete(db: &impl ConnectionTrait, network_id: i64, id: i64) -> Result<()> {
    networks::open(db, network_id).await?;
    find(db, network_id, id).await?;
    notification_target::Entity::delete_many()
        .filter(notification_target::Column::SettingId.eq(id))
        .exec(db)
        .await?;
    notification_setting::Entity::delete_by_id(id)
        .exec(db)
        .await?;
    Ok(())
}

fn recipient_filter(recipient: &Recipient) -> sea_orm::Condition {
    use sea_orm::Condition;
    match recipient {
        Recipient::User(id) => Condition::all().add(notification_target::Column::UserId.eq(*id)),
        Recipient::Email(email) => {
            Condition::all().add(notification_target::Column::Email.eq(email.to_lowercase()))
        }
    }
}

/// Add `recipient` to the targets of setting `setting_id` of open network `network_id`. A user
/// must exist (missing `user_id`); a recipient already there is a conflict on its field.
pub async fn add_target(
    db: &impl ConnectionTrait,
    network_id: i64,
    setting_id: i64,
    recipient: &Recipient,
) -> Result<Target> {
    networks::open(db, network_id).await?;
    find(db, network_id, setting_id).await?;
    let field = match recipient {
        Recipient::User(_) => "user_id",
        Recipient::Email(_) => "email",
    };
    let user_email = match recipient {
        Recipient::User(id) => Some(
            user::Entity::find_by_id(*id)
                .one(db)
                .await?
                .ok_or(StoreError::Missing {
                    entity: "user",
                    field: "user_id",
                })?
                .email,
        ),
        Recipient::Email(_) => None,
    };
    let already = notification_target::Entity::find()
        .filter(notification_target::Column::SettingId.eq(setting_id))
        .filter(recipient_filter(recipient))
        .one(db)
        .await?;
    if already.is_some() {
        return Err(StoreError::Conflict { field });
    }
    let (user_id, email) = match recipient {
        Recipient::User(id) => (Some(*id), None),
        Recipient::Email(email) => (None, Some(email.to_lowercase())),
    };
    let model = notification_target::ActiveModel {
        setting_id: Set(setting_id),
        user_id: Set(user_id),
        email: Set(email.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on(field))?;
    Ok(Target {
        id: model.id,
        user_id,
        email: user_email.or(email),
        created_at: model.created_at,
    })
}

/// Remove `recipient` from the targets of setting `setting_id` of open network `network_id`;
/// "not found" when it is not one of them.
pub async fn remove_target(
    db: &impl ConnectionTrait,
    network_id: i64,
    setting_id: i64,
    recipient: &Recipient,
) -> Result<()> {
    networks::open(db, network_id).await?;
    find(db, network_id, setting_id).await?;
    let removed = notification_target::Entity::delete_many()
        .filter(notification_target::Column::SettingId.eq(setting_id))
        .filter(recipient_filter(recipient))
        .exec(db)
        .await?;
    if removed.rows_affected == 0 {
        return Err(StoreError::NotFound {
            entity: "notification target",
        });
    }
    Ok(())
}
