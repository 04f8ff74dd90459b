//! The `cluster_balancing` table: a cluster taking part in balancing, as donor or receiver.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cluster_balancing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub network_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub cluster_id: i64,
    pub target_count: i32,
    pub balancing_type: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
