//! The physical fleet and its live state: clusters, stations and spots grown to their full
//! shape, stocks, maintenances, fleet alerts, station outages and energy readings, external
//! locks, vehicle live state and events.
//!
//! SQLite alters a table one column at a time, so each added column is its own statement.
//! Amounts are integers of ten-thousandths, as everywhere. Columns added to existing tables
//! carry no foreign key (SQLite cannot add one by ALTER); the store keeps them consistent.

use super::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Networks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
    Location,
    Latitude,
    Longitude,
    MaxUnlockDistance,
    Comment,
    CommissionedAt,
    ForcedDown,
    BadgeReader,
}

#[derive(DeriveIden)]
enum ClusterDescriptions {
    Table,
    ClusterId,
    Lang,
    Description,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ClusterPictures {
    Table,
    Id,
    ClusterId,
    Key,
    ContentType,
    Size,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Stations {
    Table,
    Id,
    Serial,
    Name,
    PowerOk,
    Temperature,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Spots {
    Table,
    Id,
    StationId,
    Number,
    VehicleId,
    Occupied,
    CreatedAt,
    DecommissionedAt,
}

#[derive(DeriveIden)]
enum StationOutages {
    Table,
    Id,
    StationId,
    Kind,
    StartedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum EnergyReadings {
    Table,
    Id,
    StationId,
    MeasuredAt,
    EnergyWh,
}

#[derive(DeriveIden)]
enum VirtualParkings {
    Table,
    ClusterId,
}

#[derive(DeriveIden)]
enum Stocks {
    Table,
    Id,
    NetworkId,
    Name,
    CountryId,
    City,
    Zipcode,
    Street,
    Shape,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Vehicles {
    Table,
    Id,
    Status,
    Latitude,
    Longitude,
    Battery,
    Locked,
    Speed,
    LastSeenAt,
    SpotId,
    VirtualParkingId,
    StockId,
    DecommissionReason,
    DecommissionComment,
    DecommissionAmount,
}

#[derive(DeriveIden)]
enum VehicleEvents {
    Table,
    Id,
    VehicleId,
    Kind,
    Payload,
    Latitude,
    Longitude,
    CreatedAt,
}

#[derive(DeriveIden)]
enum VehicleExternalLocks {
    Table,
    Id,
    VehicleId,
    Model,
    Kind,
    SerialNumber,
    Code,
    CreatedAt,
    DecommissionedAt,
}

#[derive(DeriveIden)]
enum MaintenanceTypes {
    Table,
    Id,
    Key,
    TargetType,
    Severity,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Maintenances {
    Table,
    Id,
    TypeId,
    NetworkId,
    StationId,
    SpotId,
    VehicleId,
    Comment,
    OpenedBy,
    OpenedAt,
    ClosedBy,
    ClosedAt,
}

#[derive(DeriveIden)]
enum FleetAlerts {
    Table,
    Id,
    NetworkId,
    AlertType,
    Severity,
    ClusterId,
    StationId,
    SpotId,
    VehicleId,
    UserId,
    Details,
    CreatedAt,
    ResolvedAt,
    ResolvedBy,
}

async fn add_columns(
    manager: &SchemaManager<'_>,
    table: DynIden,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    for mut column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(table.clone())
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    columns: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut statement = Index::create().name(name).table(table).to_owned();
    for column in columns {
        statement.col(column);
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};

        add_columns(
            manager,
            Clusters::Table.into_iden(),
            vec![
                string_len_null(Clusters::Location, 100),
                double_null(Clusters::Latitude),
                double_null(Clusters::Longitude),
                integer(Clusters::MaxUnlockDistance).default(100).to_owned(),
                string_len_null(Clusters::Comment, 500),
                timestamp_with_time_zone_null(Clusters::CommissionedAt),
                boolean(Clusters::ForcedDown).default(false).to_owned(),
                boolean(Clusters::BadgeReader).default(false).to_owned(),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClusterDescriptions::Table)
                    .col(big_integer(ClusterDescriptions::ClusterId))
                    .col(string_len(ClusterDescriptions::Lang, 2))
                    .col(string_len(ClusterDescriptions::Description, 500))
                    .col(timestamp_with_time_zone(ClusterDescriptions::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ClusterDescriptions::ClusterId)
                            .col(ClusterDescriptions::Lang),
                    )
                    .foreign_key(&mut fk(
                        (ClusterDescriptions::Table, ClusterDescriptions::ClusterId),
                        (Clusters::Table, Clusters::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClusterPictures::Table)
                    .col(big_pk_auto(ClusterPictures::Id))
                    .col(big_integer(ClusterPictures::ClusterId))
                    .col(string_len_uniq(ClusterPictures::Key, 255))
                    .col(string_len(ClusterPictures::ContentType, 64))
                    .col(big_integer(ClusterPictures::Size))
                    .col(timestamp_with_time_zone(ClusterPictures::CreatedAt))
                    .foreign_key(&mut fk(
                        (ClusterPictures::Table, ClusterPictures::ClusterId),
                        (Clusters::Table, Clusters::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        add_columns(
            manager,
            Stations::Table.into_iden(),
            vec![
                string_len_null(Stations::Serial, 64),
                string_len_null(Stations::Name, 100),
                boolean(Stations::PowerOk).default(true).to_owned(),
                double_null(Stations::Temperature),
                timestamp_with_time_zone_null(Stations::LastSeenAt),
            ],
        )
        .await?;
        index(
            manager,
            "idx_stations_serial",
            Stations::Table,
            vec![Stations::Serial.into_iden()],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Spots::Table)
                    .col(big_pk_auto(Spots::Id))
                    .col(big_integer(Spots::StationId))
                    .col(integer(Spots::Number))
                    .col(big_integer_null(Spots::VehicleId).unique_key())
                    .col(boolean(Spots::Occupied).default(false))
                    .col(timestamp_with_time_zone(Spots::CreatedAt))
                    .col(timestamp_with_time_zone_null(Spots::DecommissionedAt))
                    .foreign_key(&mut fk(
                        (Spots::Table, Spots::StationId),
                        (Stations::Table, Stations::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_spots_station_number",
            Spots::Table,
            vec![Spots::StationId.into_iden(), Spots::Number.into_iden()],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(StationOutages::Table)
                    .col(big_pk_auto(StationOutages::Id))
                    .col(big_integer(StationOutages::StationId))
                    .col(string_len(StationOutages::Kind, 32))
                    .col(timestamp_with_time_zone(StationOutages::StartedAt))
                    .col(timestamp_with_time_zone_null(StationOutages::EndedAt))
                    .foreign_key(&mut fk(
                        (StationOutages::Table, StationOutages::StationId),
                        (Stations::Table, Stations::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EnergyReadings::Table)
                    .col(big_pk_auto(EnergyReadings::Id))
                    .col(big_integer(EnergyReadings::StationId))
                    .col(timestamp_with_time_zone(EnergyReadings::MeasuredAt))
                    .col(big_integer(EnergyReadings::EnergyWh))
                    .foreign_key(&mut fk(
                        (EnergyReadings::Table, EnergyReadings::StationId),
                        (Stations::Table, Stations::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_energy_readings_station_time",
            EnergyReadings::Table,
            vec![
                EnergyReadings::StationId.into_iden(),
                EnergyReadings::MeasuredAt.into_iden(),
            ],
            false,
        )
        .await?;

        add_columns(
            manager,
            VirtualParkings::Table.into_iden(),
            vec![big_integer_null(VirtualParkings::ClusterId)],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Stocks::Table)
                    .col(big_pk_auto(Stocks::Id))
                    .col(big_integer_null(Stocks::NetworkId))
                    .col(string_len(Stocks::Name, 128))
                    .col(integer(Stocks::CountryId))
                    .col(string_len(Stocks::City, 128))
                    .col(string_len(Stocks::Zipcode, 16))
                    .col(string_len(Stocks::Street, 128))
                    .col(text_null(Stocks::Shape))
                    .col(timestamp_with_time_zone(Stocks::CreatedAt))
                    .col(timestamp_with_time_zone_null(Stocks::DeletedAt))
                    .foreign_key(&mut fk(
                        (Stocks::Table, Stocks::NetworkId),
                        (Networks::Table, Networks::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;

        add_columns(
            manager,
            Vehicles::Table.into_iden(),
            vec![
                string_len(Vehicles::Status, 16)
                    .default("available")
                    .to_owned(),
                double_null(Vehicles::Latitude),
                double_null(Vehicles::Longitude),
                integer_null(Vehicles::Battery),
                boolean(Vehicles::Locked).default(true).to_owned(),
                double_null(Vehicles::Speed),
                timestamp_with_time_zone_null(Vehicles::LastSeenAt),
                big_integer_null(Vehicles::SpotId),
                big_integer_null(Vehicles::VirtualParkingId),
                big_integer_null(Vehicles::StockId),
                string_len_null(Vehicles::DecommissionReason, 32),
                string_len_null(Vehicles::DecommissionComment, 200),
                big_integer_null(Vehicles::DecommissionAmount),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(VehicleEvents::Table)
                    .col(big_pk_auto(VehicleEvents::Id))
                    .col(big_integer(VehicleEvents::VehicleId))
                    .col(string_len(VehicleEvents::Kind, 32))
                    .col(text(VehicleEvents::Payload))
                    .col(double_null(VehicleEvents::Latitude))
                    .col(double_null(VehicleEvents::Longitude))
                    .col(timestamp_with_time_zone(VehicleEvents::CreatedAt))
                    .foreign_key(&mut fk(
                        (VehicleEvents::Table, VehicleEvents::VehicleId),
                        (Vehicles::Table, Vehicles::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_vehicle_events_vehicle_time",
            VehicleEvents::Table,
            vec![
                VehicleEvents::VehicleId.into_iden(),
                VehicleEvents::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(VehicleExternalLocks::Table)
                    .col(big_pk_auto(VehicleExternalLocks::Id))
                    .col(big_integer(VehicleExternalLocks::VehicleId))
                    .col(string_len(VehicleExternalLocks::Model, 64))
                    .col(string_len(VehicleExternalLocks::Kind, 16))
                    .col(string_len_uniq(VehicleExternalLocks::SerialNumber, 64))
                    .col(string_len(VehicleExternalLocks::Code, 16))
                    .col(timestamp_with_time_zone(VehicleExternalLocks::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        VehicleExternalLocks::DecommissionedAt,
                    ))
                    .foreign_key(&mut fk(
                        (VehicleExternalLocks::Table, VehicleExternalLocks::VehicleId),
                        (Vehicles::Table, Vehicles::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MaintenanceTypes::Table)
                    .col(big_pk_auto(MaintenanceTypes::Id))
                    .col(string_len_uniq(MaintenanceTypes::Key, 50))
                    .col(string_len(MaintenanceTypes::TargetType, 16))
                    .col(string_len(MaintenanceTypes::Severity, 16))
                    .col(timestamp_with_time_zone(MaintenanceTypes::CreatedAt))
                    .col(timestamp_with_time_zone_null(MaintenanceTypes::DeletedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Maintenances::Table)
                    .col(big_pk_auto(Maintenances::Id))
                    .col(big_integer(Maintenances::TypeId))
                    .col(big_integer(Maintenances::NetworkId))
                    .col(big_integer_null(Maintenances::StationId))
                    .col(big_integer_null(Maintenances::SpotId))
                    .col(big_integer_null(Maintenances::VehicleId))
                    .col(string_len_null(Maintenances::Comment, 500))
                    .col(big_integer_null(Maintenances::OpenedBy))
                    .col(timestamp_with_time_zone(Maintenances::OpenedAt))
                    .col(big_integer_null(Maintenances::ClosedBy))
                    .col(timestamp_with_time_zone_null(Maintenances::ClosedAt))
                    .foreign_key(&mut fk(
                        (Maintenances::Table, Maintenances::TypeId),
                        (MaintenanceTypes::Table, MaintenanceTypes::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        (Maintenances::Table, Maintenances::NetworkId),
                        (Networks::Table, Networks::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        (Maintenances::Table, Maintenances::StationId),
                        (Stations::Table, Stations::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (Maintenances::Table, Maintenances::SpotId),
                        (Spots::Table, Spots::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (Maintenances::Table, Maintenances::VehicleId),
                        (Vehicles::Table, Vehicles::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (Maintenances::Table, Maintenances::OpenedBy),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        (Maintenances::Table, Maintenances::ClosedBy),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FleetAlerts::Table)
                    .col(big_pk_auto(FleetAlerts::Id))
                    .col(big_integer(FleetAlerts::NetworkId))
                    .col(string_len(FleetAlerts::AlertType, 40))
                    .col(string_len(FleetAlerts::Severity, 16))
                    .col(big_integer_null(FleetAlerts::ClusterId))
                    .col(big_integer_null(FleetAlerts::StationId))
                    .col(big_integer_null(FleetAlerts::SpotId))
                    .col(big_integer_null(FleetAlerts::VehicleId))
                    .col(big_integer_null(FleetAlerts::UserId))
                    .col(text(FleetAlerts::Details))
                    .col(timestamp_with_time_zone(FleetAlerts::CreatedAt))
                    .col(timestamp_with_time_zone_null(FleetAlerts::ResolvedAt))
                    .col(big_integer_null(FleetAlerts::ResolvedBy))
                    .foreign_key(&mut fk(
                        (FleetAlerts::Table, FleetAlerts::NetworkId),
                        (Networks::Table, Networks::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        (FleetAlerts::Table, FleetAlerts::ResolvedBy),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_fleet_alerts_network_open",
            FleetAlerts::Table,
            vec![
                FleetAlerts::NetworkId.into_iden(),
                FleetAlerts::ResolvedAt.into_iden(),
            ],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FleetAlerts::Table.into_iden(),
            Maintenances::Table.into_iden(),
            MaintenanceTypes::Table.into_iden(),
            VehicleExternalLocks::Table.into_iden(),
            VehicleEvents::Table.into_iden(),
            Stocks::Table.into_iden(),
            EnergyReadings::Table.into_iden(),
            StationOutages::Table.into_iden(),
            Spots::Table.into_iden(),
            ClusterPictures::Table.into_iden(),
            ClusterDescriptions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        // Added columns stay: dropping columns is not portable to older SQLite.
        Ok(())
    }
}
