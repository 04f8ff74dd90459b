//! The `unlock_requests` table: a rider's "Start a trip" refused by a rule before it became a
//! trip, with the refusal's key (an accepted request is the trip itself).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "unlock_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    pub network_id: Option<i64>,
    pub vehicle_id: Option<i64>,
    /// The serial asked for (a QR code), known vehicle or not.
    pub serial: Option<String>,
    pub at: DateTimeUtc,
    /// The `relais_domain::ride::UnlockRefusal` key.
    pub reason: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
