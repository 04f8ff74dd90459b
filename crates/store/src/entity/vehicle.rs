//! The `vehicles` table: a vehicle of the fleet and its live state.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "vehicles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub serial: String,
    pub network_id: i64,
    pub model_id: i64,
    pub created_at: DateTimeUtc,
    pub decommissioned_at: Option<DateTimeUtc>,
    pub status: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub battery: Option<i32>,
    pub locked: bool,
    pub speed: Option<f64>,
    pub last_seen_at: Option<DateTimeUtc>,
    pub spot_id: Option<i64>,
    pub virtual_parking_id: Option<i64>,
    pub stock_id: Option<i64>,
    pub decommission_reason: Option<String>,
    pub decommission_comment: Option<String>,
    pub decommission_amount: Option<i64>,
    /// The trip it serves, from the accepted unlock to the end.
    pub trip_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
