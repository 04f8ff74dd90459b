//! The `hauler_connections` table: a hauler's request to work for a location (network).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hauler_connections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub hauler_id: i64,
    pub network_id: i64,
    pub requested_by: Option<i64>,
    pub requested_on: DateTimeUtc,
    pub approved_by: Option<i64>,
    pub approved_on: Option<DateTimeUtc>,
    pub denied_on: Option<DateTimeUtc>,
    pub revoked_on: Option<DateTimeUtc>,
    /// The organizational unit holding the hauler users' grants while approved.
    pub unit_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
