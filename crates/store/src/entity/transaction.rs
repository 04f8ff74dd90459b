//! The `transactions` table: one movement of a rider's money (docs/design/ride.md §3.1),
//! amounts in ten-thousandths of `currency`, VAT-inclusive with the part without VAT beside.

use sea_orm::entity::prelude::*;

/// What the money paid for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(12))")]
pub enum TransactionKind {
    #[sea_orm(string_value = "trip")]
    Trip,
    /// Credit bought for the wallet.
    #[sea_orm(string_value = "top_up")]
    TopUp,
    /// A debt paid after a declined payment.
    #[sea_orm(string_value = "debt")]
    Debt,
    /// A vehicle not returned: its model's guarantee.
    #[sea_orm(string_value = "penalty")]
    Penalty,
}

/// Where the money came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum MoneySource {
    /// The rider's wallet: credit bought earlier, no provider involved.
    #[sea_orm(string_value = "wallet")]
    Wallet,
    /// A payment provider, on the rider's payment method.
    #[sea_orm(string_value = "provider")]
    Provider,
}

/// Where a transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum TransactionStatus {
    /// Written before the provider is asked, so a retry finds it (its idempotency key is
    /// derived from the row).
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl TransactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trip => "trip",
            Self::TopUp => "top_up",
            Self::Debt => "debt",
            Self::Penalty => "penalty",
        }
    }
}

impl MoneySource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wallet => "wallet",
            Self::Provider => "provider",
        }
    }
}

impl TransactionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transactions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network_id: i64,
    pub user_id: Option<i64>,
    pub trip_id: Option<i64>,
    pub kind: TransactionKind,
    pub source: MoneySource,
    pub status: TransactionStatus,
    pub currency: String,
    pub amount_w_vat: i64,
    pub amount: i64,
    /// A fraction in ten-thousandths (2000 for 20 %): the network's VAT when it was written.
    pub vat_rate: i64,
    pub product_title: String,
    /// `ProviderKey::as_str()`, or `wallet`.
    pub payment_provider: String,
    /// The payment method's kind (`card`...), or `wallet`.
    pub payment_method_type: String,
    pub user_payment_method_id: Option<i64>,
    pub bank_guarantee_id: Option<i64>,
    pub wallet_movement_id: Option<i64>,
    pub debt_id: Option<i64>,
    /// The hold or payment at the provider.
    pub provider_reference: Option<String>,
    pub payment_provider_fee: i64,
    /// Taken without the rider acting (end of trip, debt retry).
    pub auto_payment: bool,
    /// Refunds succeeded and pending.
    pub refund_amount: i64,
    pub refunded_at: Option<DateTimeUtc>,
    pub invoice_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
