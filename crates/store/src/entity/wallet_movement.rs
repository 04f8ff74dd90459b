//! The `wallet_movements` table: one credit or debit of a wallet, never changed afterwards.

use sea_orm::entity::prelude::*;

/// Why money moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum MovementKind {
    /// Credited by staff ("Create user wallet").
    #[sea_orm(string_value = "staff_credit")]
    StaffCredit,
    /// What remained when staff deleted the wallet.
    #[sea_orm(string_value = "write_off")]
    WriteOff,
    #[sea_orm(string_value = "trip")]
    Trip,
    #[sea_orm(string_value = "offer")]
    Offer,
    #[sea_orm(string_value = "pass")]
    Pass,
    #[sea_orm(string_value = "discount")]
    Discount,
    #[sea_orm(string_value = "refund")]
    Refund,
    /// Credit earned by a trip (a free-float vehicle brought back to a station).
    #[sea_orm(string_value = "reward")]
    Reward,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wallet_movements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub wallet_id: i64,
    /// Ten-thousandths; positive for a credit, negative for a debit.
    pub amount: i64,
    pub kind: MovementKind,
    pub reason: String,
    /// Who moved it (a staff member), if not the system.
    pub actor_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// The transaction that spent or gave back this money, when one did.
    pub transaction_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
