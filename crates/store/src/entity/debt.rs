//! The `debts` table: what a declined payment left a rider owing; an open one blocks their
//! next trip until it is paid.

use sea_orm::entity::prelude::*;

/// Where a debt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(12))")]
pub enum DebtStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "written_off")]
    WrittenOff,
}

impl DebtStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Paid => "paid",
            Self::WrittenOff => "written_off",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "debts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    pub network_id: i64,
    pub trip_id: Option<i64>,
    pub currency: String,
    /// Ten-thousandths: what was owed, and what still is.
    pub amount: i64,
    pub remaining: i64,
    pub status: DebtStatus,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub settled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
