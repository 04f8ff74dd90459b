//! The `pricing_rules` table: a weekly pricing window of a network; times of day in seconds, amounts in ten-thousandths.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pricing_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network_id: i64,
    pub start_dow: i16,
    pub start_hod: i32,
    pub end_dow: i16,
    pub end_hod: i32,
    pub unlock_price: i64,
    pub unlock_included_time: i32,
    pub freefloat_lock_price: i64,
    pub use_per_minute_price: i64,
    pub on_hold_price: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
