//! The `trip_events` table: what happened to a trip that no column of it holds (a too-long
//! notification, an auto-lock, a reprice), in order.

use sea_orm::entity::prelude::*;

/// Who caused an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum Actor {
    #[sea_orm(string_value = "rider")]
    Rider,
    #[sea_orm(string_value = "staff")]
    Staff,
    #[sea_orm(string_value = "vehicle")]
    Vehicle,
    /// relais itself: a timer, the settlement.
    #[sea_orm(string_value = "system")]
    System,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trip_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub trip_id: i64,
    /// `too_long_notified`, `auto_paused`, `auto_locked`, `billing_stopped`, `repriced`, ...
    pub kind: String,
    pub at: DateTimeUtc,
    pub actor_kind: Actor,
    /// The rider's or staff member's user id.
    pub actor_id: Option<i64>,
    /// Details as JSON.
    pub payload: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
