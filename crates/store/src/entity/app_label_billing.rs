//! The `app_label_billing` table: the billing information of an app label (one row per label).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_label_billing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_label_id: i64,
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
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
