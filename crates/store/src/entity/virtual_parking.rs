//! The `virtual_parkings` table: a drawn parking area for free-floating vehicles, of a network or of a cluster.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "virtual_parkings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network_id: Option<i64>,
    pub shape: String,
    pub capacity: i32,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub cluster_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
