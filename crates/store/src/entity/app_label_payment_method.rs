//! The `app_label_payment_methods` table: a payment method enabled on an app label.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_label_payment_methods")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_label_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub method_id: i64,
    pub enabled_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
