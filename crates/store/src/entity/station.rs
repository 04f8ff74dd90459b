//! The `stations` table: a physical station of a cluster, with its spots.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    pub created_at: DateTimeUtc,
    pub decommissioned_at: Option<DateTimeUtc>,
    pub serial: Option<String>,
    pub name: Option<String>,
    pub power_ok: bool,
    pub temperature: Option<f64>,
    pub last_seen_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
