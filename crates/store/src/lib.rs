//! relais persistence: one code path over SQLite and PostgreSQL (SeaORM).
//!
//! `entity` holds the table models, `migration` the schema history (builders, never raw SQL),
//! and one module per area holds its finders and mutations.

pub mod access_logs;
pub mod app_labels;
pub mod balancing;
pub mod clusters;
pub mod codes;
pub mod db;
pub mod devices;
pub mod entity;
pub mod error;
pub mod external_locks;
pub mod fleet_alerts;
pub mod geofencing;
pub mod grants;
pub mod haulers;
pub mod income;
pub mod invoices;
pub mod iot;
pub mod jobs;
pub mod maintenances;
pub mod messages;
pub mod migration;
pub mod network_counters;
pub mod network_settings;
pub mod network_vehicles;
pub mod networks;
pub mod notifications;
pub mod out_of_orders;
pub mod owners;
pub mod pagination;
pub mod partner;
pub mod payment_methods;
pub mod pricing;
pub mod reference;
pub mod ride;
pub mod roles;
pub mod sandbox;
pub mod security_epoch;
pub mod setup;
pub mod stations;
pub mod stocks;
pub(crate) mod text;
pub mod third_parties;
pub mod tokens;
pub mod transactions;
pub mod trips;
pub mod units;
pub mod users;
pub mod vehicles;
pub mod wallets;
pub mod within;

pub use db::{Db, connect};
pub use error::StoreError;
pub use pagination::{Keyset, PageOf, SortDir};
pub use sea_orm::DatabaseConnection;
pub use within::Within;

/// The rows of `E` whose `column` is one of `ids`, in one query; none (and no query) for no ids.
pub(crate) async fn by_ids<E: sea_orm::EntityTrait>(
    db: &impl sea_orm::ConnectionTrait,
    column: E::Column,
    ids: Vec<i64>,
) -> Result<Vec<E::Model>, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    E::find().filter(column.is_in(ids)).all(db).await
}

/// The rows of `E` whose `column` is one of `ids` (repeats and all), in one query, by `key`:
/// how a page looks up what its rows refer to instead of one query per row.
pub(crate) async fn map_by_ids<E: sea_orm::EntityTrait>(
    db: &impl sea_orm::ConnectionTrait,
    column: E::Column,
    ids: impl IntoIterator<Item = i64>,
    key: impl Fn(&E::Model) -> i64,
) -> Result<std::collections::HashMap<i64, E::Model>, sea_orm::DbErr> {
    let ids: std::collections::BTreeSet<i64> = ids.into_iter().collect();
    Ok(by_ids::<E>(db, column, ids.into_iter().collect())
        .await?
        .into_iter()
        .map(|m| (key(&m), m))
        .collect())
}
