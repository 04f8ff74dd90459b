//! The `income_rollups` table: money taken and given back through providers, per network,
//! quarter-hour (UTC), provider, kind and currency; amounts in ten-thousandths.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "income_rollups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub network_id: i64,
    /// The quarter-hour's start.
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket: DateTimeUtc,
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    /// The transactions' kind (`trip`, `top_up`, `debt`, `penalty`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    pub count: i64,
    pub amount_w_vat: i64,
    pub amount: i64,
    pub fee: i64,
    /// Refunds dated in the quarter-hour.
    pub refund_count: i64,
    pub refund_w_vat: i64,
    pub refund_amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
