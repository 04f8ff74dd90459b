//! The `hauler_users` table: the users who act for a hauler, with their seed 003 role.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hauler_users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub hauler_id: i64,
    #[sea_orm(unique)]
    pub user_id: i64,
    /// One of `Admin`, `Dispatcher`, `Driver`, `ThirdPartyDispatcher`, `ThirdPartyDriver`.
    pub role: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
