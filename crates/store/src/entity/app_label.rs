//! The `app_labels` table: an application white label.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_labels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub display_name: String,
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
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
