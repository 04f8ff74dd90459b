//! The `trip_pauses` table: a trip's time on hold, by the rider or `auto_pause`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trip_pauses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub trip_id: i64,
    pub started_at: DateTimeUtc,
    /// Null while the trip is on hold.
    pub ended_at: Option<DateTimeUtc>,
    /// Paused by the `auto_pause` timer, not the rider.
    pub auto: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
