//! The `vehicle_commands` table: a command waiting for (or delivered to) a vehicle: the durable outbox.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vehicle_commands")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub vehicle_id: i64,
    pub command: String,
    pub payload: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    /// Until when a process holds it: published and waiting for the ack, no other process
    /// publishes it (null: free).
    pub locked_until: Option<DateTimeUtc>,
    /// The trip it was sent for (an `unlock`), if any.
    pub trip_id: Option<i64>,
    /// Not delivered after this instant: it is then `expired`.
    pub expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
