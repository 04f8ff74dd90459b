//! App labels: the white-label brands of the rider app, with their billing identity, mail
//! sender setting and the payment methods enabled on each.

use crate::entity::{
    app_label, app_label_billing as billing, app_label_mail_setting as mail,
    app_label_payment_method as enabled, payment_method,
};
use crate::error::{Result, StoreError, conflict_on};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, SqlErr,
};
use std::collections::HashMap;

/// The billing identity of a new app label.
#[derive(Debug, Clone, Default)]
pub struct NewBilling {
    pub name: Option<String>,
    pub legal_form: Option<String>,
    pub vat_number: Option<String>,
    pub registration_number: Option<String>,
    pub capital: Option<String>,
    pub street: String,
    pub zip_code: String,
    pub city: String,
    pub country: String,
    pub issuer: Option<String>,
}

/// What a new app label is made of.
#[derive(Debug, Clone)]
pub struct NewAppLabel {
    pub name: String,
    pub display_name: String,
    pub billing: NewBilling,
}

/// The settings of an app label that "Put app label" replaces.
#[derive(Debug, Clone)]
pub struct AppLabelSettings {
    pub require_sms_validation: bool,
    pub phone_sms_provider_id: Option<i64>,
    pub require_terms_of_use: bool,
    pub auto_delete_users: bool,
    pub android_store_url: Option<String>,
    pub ios_store_url: Option<String>,
    pub saved_payment_method_is_optional: bool,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone_number: Option<String>,
}

/// A change of billing identity: `None` leaves a field as it is; for the nullable fields
/// `Some(None)` clears it. The address is always given whole.
#[derive(Debug, Clone, Default)]
pub struct BillingChange {
    pub name: Option<String>,
    pub legal_form: Option<Option<String>>,
    pub vat_number: Option<Option<String>>,
    pub registration_number: Option<Option<String>>,
    pub capital: Option<Option<String>>,
    pub street: String,
    pub zip_code: String,
    pub city: String,
    pub country: String,
    pub issuer: Option<Option<String>>,
}

/// The mail sender setting of an app label.
#[derive(Debug, Clone)]
pub struct MailSetting {
    pub send_mails: bool,
    pub sender_address: String,
    pub sender_name: String,
    pub reply_to: Option<String>,
    pub notification_email: String,
}

/// One payment method of the catalogue and when it was enabled on a label (`None`: disabled).
#[derive(Debug, Clone)]
pub struct LabelPaymentMethod {
    pub method: payment_method::Model,
    pub enabled_at: Option<DateTime<Utc>>,
}

/// Every app label, by id.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<app_label::Model>> {
    Ok(app_label::Entity::find()
        .order_by_asc(app_label::Column::Id)
        .all(db)
        .await?)
}

/// The app label `id`, which must exist.
pub async fn existing(db: &impl ConnectionTrait, id: i64) -> Result<app_label::Model> {
    app_label::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "app label",
        })
}

/// The app label `id` with its billing identity (absent for labels made without one).
pub async fn detail(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<(app_label::Model, Option<billing::Model>)> {
    let label = existing(db, id).await?;
    let billing = billing::Entity::find_by_id(id).one(db).await?;
    Ok((label, billing))
}

/// Create an app label and its billing identity together; the name is unique.
pub async fn create(
    db: &DatabaseConnection,
    new: NewAppLabel,
) -> Result<(app_label::Model, billing::Model)> {
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let label = app_label::ActiveModel {
        name: Set(new.name),
        display_name: Set(new.display_name),
        require_sms_validation: Set(false),
        phone_sms_provider_id: Set(None),
        require_terms_of_use: Set(false),
        auto_delete_users: Set(false),
        android_store_url: Set(None),
        ios_store_url: Set(None),
        saved_payment_method_is_optional: Set(false),
        website: Set(None),
        contact_email: Set(None),
        contact_phone_number: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(conflict_on("name"))?;
    let b = new.billing;
    let billing = billing::ActiveModel {
        app_label_id: Set(label.id),
        name: Set(b.name),
        legal_form: Set(b.legal_form),
        vat_number: Set(b.vat_number),
        registration_number: Set(b.registration_number),
        capital: Set(b.capital),
        street: Set(b.street),
        zip_code: Set(b.zip_code),
        city: Set(b.city),
        country: Set(b.country),
        issuer: Set(b.issuer),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((label, billing))
}

/// Replace the settings of app label `id`.
pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    s: AppLabelSettings,
) -> Result<app_label::Model> {
    existing(db, id).await?;
    Ok(app_label::ActiveModel {
        id: Set(id),
        require_sms_validation: Set(s.require_sms_validation),
        phone_sms_provider_id: Set(s.phone_sms_provider_id),
        require_terms_of_use: Set(s.require_terms_of_use),
        auto_delete_users: Set(s.auto_delete_users),
        android_store_url: Set(s.android_store_url),
        ios_store_url: Set(s.ios_store_url),
        saved_payment_method_is_optional: Set(s.saved_payment_method_is_optional),
        website: Set(s.website),
        contact_email: Set(s.contact_email),
        contact_phone_number: Set(s.contact_phone_number),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?)
}

/// Change the billing identity of app label `id`: only the given fields change. A label that
/// has none yet (made before billing was required) gets one from the change.
pub async fn update_billing(
    db: &DatabaseConnection,
    id: i64,
    change: BillingChange,
) -> Result<billing::Model> {
    let txn = crate::db::begin_write(db).await?;
    existing(&txn, id).await?;
    let current = billing::Entity::find_by_id(id).one(&txn).await?;
    let fresh = current.is_none();
    let mut row: billing::ActiveModel = match current {
        Some(model) => model.into(),
        None => billing::ActiveModel {
            app_label_id: Set(id),
            name: Set(None),
            legal_form: Set(None),
            vat_number: Set(None),
            registration_number: Set(None),
            capital: Set(None),
            issuer: Set(None),
            ..Default::default()
        },
    };
    if let Some(name) = change.name {
        row.name = Set(Some(name));
    }
    if let Some(v) = change.legal_form {
        row.legal_form = Set(v);
    }
    if let Some(v) = change.vat_number {
        row.vat_number = Set(v);
    }
    if let Some(v) = change.registration_number {
        row.registration_number = Set(v);
    }
    if let Some(v) = change.capital {
        row.capital = Set(v);
    }
    if let Some(v) = change.issuer {
        row.issuer = Set(v);
    }
    row.street = Set(change.street);
    row.zip_code = Set(change.zip_code);
    row.city = Set(change.city);
    row.country = Set(change.country);
    row.updated_at = Set(Utc::now());
    let saved = if fresh {
        row.insert(&txn).await?
    } else {
        row.update(&txn).await?
    };
    txn.commit().await?;
    Ok(saved)
}

/// The mail setting of app label `id`, `None` when it was never set.
pub async fn mail_setting(db: &impl ConnectionTrait, id: i64) -> Result<Option<mail::Model>> {
    existing(db, id).await?;
    Ok(mail::Entity::find_by_id(id).one(db).await?)
}

/// Set (create or replace) the mail setting of app label `id`.
pub async fn set_mail_setting(db: &impl ConnectionTrait, id: i64, s: MailSetting) -> Result<()> {
    existing(db, id).await?;
    let row = mail::ActiveModel {
        app_label_id: Set(id),
        send_mails: Set(s.send_mails),
        sender_address: Set(s.sender_address),
        sender_name: Set(s.sender_name),
        reply_to: Set(s.reply_to),
        notification_email: Set(s.notification_email),
        updated_at: Set(Utc::now()),
    };
    mail::Entity::insert(row)
        .on_conflict(
            OnConflict::column(mail::Column::AppLabelId)
                .update_columns([
                    mail::Column::SendMails,
                    mail::Column::SenderAddress,
                    mail::Column::SenderName,
                    mail::Column::ReplyTo,
                    mail::Column::NotificationEmail,
                    mail::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The whole payment method catalogue, by id, with when each was enabled on app label `id`.
pub async fn payment_methods(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Vec<LabelPaymentMethod>> {
    existing(db, id).await?;
    let on: HashMap<i64, DateTime<Utc>> = enabled::Entity::find()
        .filter(enabled::Column::AppLabelId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.method_id, e.enabled_at))
        .collect();
    Ok(payment_method::Entity::find()
        .order_by_asc(payment_method::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|method| LabelPaymentMethod {
            enabled_at: on.get(&method.id).copied(),
            method,
        })
        .collect())
}

async fn existing_method(db: &impl ConnectionTrait, method_id: i64) -> Result<()> {
    payment_method::Entity::find_by_id(method_id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or(StoreError::Missing {
            entity: "payment method",
            field: "method_id",
        })
}

/// Enable payment method `method_id` on app label `id`. Enabling an enabled method changes
/// nothing (it keeps its first `enabled_at`).
pub async fn enable_payment_method(
    db: &impl ConnectionTrait,
    id: i64,
    method_id: i64,
) -> Result<()> {
    existing(db, id).await?;
    existing_method(db, method_id).await?;
    if enabled::Entity::find_by_id((id, method_id))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let inserted = enabled::ActiveModel {
        app_label_id: Set(id),
        method_id: Set(method_id),
        enabled_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        // Enabled concurrently by someone else: the outcome is the one asked for.
        Err(err) if is_unique_violation(&err) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Disable payment method `method_id` on app label `id`. Disabling a disabled method changes
/// nothing.
pub async fn disable_payment_method(
    db: &impl ConnectionTrait,
    id: i64,
    method_id: i64,
) -> Result<()> {
    existing(db, id).await?;
    existing_method(db, method_id).await?;
    enabled::Entity::delete_many()
        .filter(enabled::Column::AppLabelId.eq(id))
        .filter(enabled::Column::MethodId.eq(method_id))
        .exec(db)
        .await?;
    Ok(())
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The app label named `name`, if any.
pub async fn by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<app_label::Model>> {
    Ok(app_label::Entity::find()
        .filter(app_label::Column::Name.eq(name))
        .one(db)
        .await?)
}

/// Whether the app label offers the payment method of kind `method_id`.
pub async fn offers(db: &impl ConnectionTrait, id: i64, method_id: i64) -> Result<bool> {
    Ok(enabled::Entity::find()
        .filter(enabled::Column::AppLabelId.eq(id))
        .filter(enabled::Column::MethodId.eq(method_id))
        .one(db)
        .await?
        .is_some())
}
