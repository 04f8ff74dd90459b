//! The `balancing_discounts` table: the discount of a trip from a donor cluster to a receiver cluster.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "balancing_discounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub network_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub donor_cluster_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub receiver_cluster_id: i64,
    pub discount_amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
