//! Indexes for what the IoT ingest looks up by vehicle on every border crossing and event: the
//! vehicle's waiting commands (superseded by a new one of their kind), its open alerts (an
//! alert is not raised twice) and its trip in progress (the rider). Without them each lookup
//! reads every pending command, every open alert of the network, or every trip.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VehicleCommands {
    Table,
    VehicleId,
    State,
}

#[derive(DeriveIden)]
enum FleetAlerts {
    Table,
    VehicleId,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum Trips {
    Table,
    VehicleId,
    EndedAt,
}

const COMMANDS: &str = "idx_vehicle_commands_vehicle_state";
const ALERTS: &str = "idx_fleet_alerts_vehicle_open";
const TRIPS: &str = "idx_trips_vehicle_open";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(COMMANDS)
                    .table(VehicleCommands::Table)
                    .col(VehicleCommands::VehicleId)
                    .col(VehicleCommands::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(ALERTS)
                    .table(FleetAlerts::Table)
                    .col(FleetAlerts::VehicleId)
                    .col(FleetAlerts::ResolvedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(TRIPS)
                    .table(Trips::Table)
                    .col(Trips::VehicleId)
                    .col(Trips::EndedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            (TRIPS, Trips::Table.into_iden()),
            (ALERTS, FleetAlerts::Table.into_iden()),
            (COMMANDS, VehicleCommands::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
