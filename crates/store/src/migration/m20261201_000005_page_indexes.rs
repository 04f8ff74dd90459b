//! Indexes for the lists paged by relais beyond the seed (vehicles by serial, clusters by name,
//! open maintenances and alerts, a vehicle's or a cluster's history), for what their pages
//! look up (a vehicle's spot, virtual parking or stock; a cluster's stations), and for the
//! partner lists now paged in SQL. The `EXPLAIN` test holds each page to a range scan.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(name, table, columns)`.
const INDEXES: &[super::IndexSpec] = &[
    (
        "idx_vehicles_network_serial",
        "vehicles",
        &["network_id", "serial", "id"],
    ),
    ("idx_vehicles_spot", "vehicles", &["spot_id"]),
    (
        "idx_vehicles_virtual_parking",
        "vehicles",
        &["virtual_parking_id"],
    ),
    ("idx_vehicles_stock", "vehicles", &["stock_id"]),
    (
        "idx_clusters_network_name",
        "clusters",
        &["network_id", "name", "id"],
    ),
    ("idx_stations_cluster", "stations", &["cluster_id"]),
    (
        "idx_maintenances_network_open",
        "maintenances",
        &["network_id", "closed_at", "id"],
    ),
    (
        "idx_maintenances_vehicle",
        "maintenances",
        &["vehicle_id", "id"],
    ),
    (
        "idx_maintenances_station",
        "maintenances",
        &["station_id", "id"],
    ),
    ("idx_maintenances_spot", "maintenances", &["spot_id", "id"]),
    (
        "idx_station_outages_station",
        "station_outages",
        &["station_id", "id"],
    ),
    (
        "idx_partner_companies_book",
        "partner_companies",
        &["book_company_id", "id"],
    ),
    (
        "idx_partner_contacts_book",
        "partner_contacts",
        &["book_company_id", "id"],
    ),
    (
        "idx_partner_contacts_company",
        "partner_contacts",
        &["company_id", "id"],
    ),
    (
        "idx_partner_truckers_company",
        "partner_truckers",
        &["company_id", "id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::create_indexes(manager, INDEXES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::drop_indexes(manager, INDEXES).await
    }
}
