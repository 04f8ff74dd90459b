//! The `network_vehicle_models` table: a vehicle model's settings and guarantees on a network.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "network_vehicle_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub network_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub model_id: i64,
    pub auto_light: Option<bool>,
    pub speed_mode: Option<i16>,
    pub guarantee: Option<i64>,
    pub pre_auth: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
