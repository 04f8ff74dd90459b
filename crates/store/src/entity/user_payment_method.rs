//! The `user_payment_methods` table: a rider's saved payment method, as the provider's token and
//! what may be shown of it (brand, last four digits, expiry, fingerprint), never a card number.

use sea_orm::entity::prelude::*;

/// Whether the method can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum MethodStatus {
    #[sea_orm(string_value = "ready")]
    Ready,
    /// The rider must still authenticate it (3-D Secure).
    #[sea_orm(string_value = "requires_action")]
    RequiresAction,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_payment_methods")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The kind of method (`payment_methods`: `stripe-card`, `sandbox-card`, ...).
    pub payment_method_id: i64,
    pub provider: String,
    pub provider_token: String,
    pub provider_customer: Option<String>,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<i16>,
    pub exp_year: Option<i16>,
    pub fingerprint: Option<String>,
    pub status: MethodStatus,
    pub is_default: bool,
    pub created_at: DateTimeUtc,
    /// Removed by the rider or staff; kept for the records of what it paid.
    pub removed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
