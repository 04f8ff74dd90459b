//! The `fleet_alerts` table: an alert raised on the fleet, open until resolved.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fleet_alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network_id: i64,
    pub alert_type: String,
    pub severity: String,
    pub cluster_id: Option<i64>,
    pub station_id: Option<i64>,
    pub spot_id: Option<i64>,
    pub vehicle_id: Option<i64>,
    pub user_id: Option<i64>,
    pub details: String,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
