//! The `user_grants` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_grants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// Set for a permission grant; `role_id` is set instead for a role grant.
    pub permission: Option<String>,
    pub role_id: Option<i64>,
    /// `None` for a global grant.
    pub unit_id: Option<i64>,
    pub write: bool,
    pub start_date: DateTimeUtc,
    pub end_date: Option<DateTimeUtc>,
    pub granted_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
