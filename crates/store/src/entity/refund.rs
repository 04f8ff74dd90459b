//! The `refunds` table: part or all of a transaction given back, by staff, with why.

use sea_orm::entity::prelude::*;

/// Where a refund stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum RefundStatus {
    /// Asked of the provider, not confirmed yet; counted in the transaction's refund amount
    /// so that two refunds at once cannot give back more than was paid.
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub transaction_id: i64,
    /// Ten-thousandths of the transaction's currency.
    pub amount: i64,
    pub reason: String,
    pub status: RefundStatus,
    pub provider_refund_id: Option<String>,
    /// The staff member who asked for it.
    pub actor_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub settled_at: Option<DateTimeUtc>,
    /// The credit note, once issued.
    pub invoice_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
