//! The `haulers` table: a third-party hauler (seed 003).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "haulers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The hauler's public identifier (`hauler_uuid`), hyphenated lowercase.
    #[sea_orm(unique)]
    pub uuid: String,
    pub name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
