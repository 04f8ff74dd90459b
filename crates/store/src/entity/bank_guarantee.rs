//! The `bank_guarantees` table: a hold (pre-authorisation) on a rider's payment method.

use sea_orm::entity::prelude::*;

/// Where a hold stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum GuaranteeStatus {
    /// Held and not used yet: usable for a trip.
    #[sea_orm(string_value = "held")]
    Held,
    /// Held for a trip under way.
    #[sea_orm(string_value = "in_use")]
    InUse,
    #[sea_orm(string_value = "captured")]
    Captured,
    #[sea_orm(string_value = "released")]
    Released,
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bank_guarantees")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub user_payment_method_id: i64,
    pub network_id: Option<i64>,
    pub provider: String,
    pub provider_hold_id: Option<String>,
    /// Ten-thousandths of `currency`.
    pub amount: i64,
    pub currency: String,
    pub captured_amount: i64,
    pub status: GuaranteeStatus,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    /// The trip it serves (`in_use`), or served.
    pub trip_id: Option<i64>,
    /// When the provider lets the hold lapse; a held guarantee is reused only well before.
    pub expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
