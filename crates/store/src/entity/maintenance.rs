//! The `maintenances` table: a maintenance opened on a station, a spot or a vehicle.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "maintenances")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub type_id: i64,
    pub network_id: i64,
    pub station_id: Option<i64>,
    pub spot_id: Option<i64>,
    pub vehicle_id: Option<i64>,
    pub comment: Option<String>,
    pub opened_by: Option<i64>,
    pub opened_at: DateTimeUtc,
    pub closed_by: Option<i64>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
