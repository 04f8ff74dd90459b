//! The `price_breakdowns` table: the pricing engine's lines of a trip's price, stored once per
//! distinct content (most trips share theirs with many others).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "price_breakdowns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of `lines`, in hex.
    pub digest: String,
    /// JSON: the lines, their times as seconds from the trip's start, their rule by id.
    pub lines: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
