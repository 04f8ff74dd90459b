//! The `clusters` table: a cluster: a place of stations, or of virtual parkings.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clusters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network_id: i64,
    pub name: String,
    pub created_at: DateTimeUtc,
    pub decommissioned_at: Option<DateTimeUtc>,
    pub location: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub max_unlock_distance: i32,
    pub comment: Option<String>,
    pub commissioned_at: Option<DateTimeUtc>,
    pub forced_down: bool,
    pub badge_reader: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
