//! The `… id desc` twins of the trips' date sorts: a sort by start or end date one way with
//! the ids the other way (the seed's defaults mix `sort_dir` and `primary_key_dir`) reads its
//! page from an index instead of sorting each run of trips that started at the same instant.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: &[super::IndexSpec] = &[
    (
        "idx_trips_network_started_id_desc",
        "trips",
        &["network_id", "started_at", "id desc"],
    ),
    (
        "idx_trips_network_ended_id_desc",
        "trips",
        &["network_id", "ended_at", "id desc"],
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
