//! The `trip_routes` table: a trip's route as `relais_domain::geometry::route` encodes it,
//! appended to as telemetry comes, with the last point kept to encode the next delta.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trip_routes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub trip_id: i64,
    pub points: String,
    pub point_count: i32,
    /// The last point: latitude and longitude in 1e-5 degrees, seconds since the start.
    pub last_lat_e5: i64,
    pub last_lng_e5: i64,
    pub last_offset: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
