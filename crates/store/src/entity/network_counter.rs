//! The `network_counters` table: a network's indicators, kept in step with the rows they count.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "network_counters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub network_id: i64,
    /// Vehicles in service.
    pub vehicles: i64,
    /// Stations in service.
    pub stations: i64,
    pub trips: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
