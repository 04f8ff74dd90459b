//! The trip as the ride engine keeps it (docs/design/ride.md §3): its state and what a trip
//! carries from unlock to payment, its pauses, its events, its route, its price breakdown
//! (content-addressed: identical breakdowns stored once), the unlock requests refused before
//! they became trips, and the rider's first purchase (the `first_purchase_required` rule).
//!
//! Existing trips become `finished`, or `running` while they have no end, requested when they
//! started. Every sort and filter of "Get trips" has a `(network_id, …, id)` index (or a
//! per-object one for users, vehicles and clusters), so a page is a range read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Trips {
    Table,
    Id,
    State,
    RequestedAt,
    BillingStoppedAt,
    Duration,
    Distance,
    VehicleModelId,
    Demo,
    IdempotencyKey,
    StartLatitude,
    StartLongitude,
    EndLatitude,
    EndLongitude,
    StartSpotId,
    EndSpotId,
    StartVirtualParkingId,
    EndVirtualParkingId,
    EndPlace,
    EndedBy,
    CancelReason,
    BankGuaranteeId,
    PriceTotal,
    PriceBreakdownId,
    AmountPaid,
    PaymentStatus,
}

#[derive(DeriveIden)]
enum TripPauses {
    Table,
    Id,
    TripId,
    StartedAt,
    EndedAt,
    Auto,
}

#[derive(DeriveIden)]
enum TripEvents {
    Table,
    Id,
    TripId,
    Kind,
    At,
    ActorKind,
    ActorId,
    Payload,
}

#[derive(DeriveIden)]
enum TripRoutes {
    Table,
    TripId,
    Points,
    PointCount,
    LastLatE5,
    LastLngE5,
    LastOffset,
}

#[derive(DeriveIden)]
enum PriceBreakdowns {
    Table,
    Id,
    Digest,
    Lines,
}

#[derive(DeriveIden)]
enum UnlockRequests {
    Table,
    Id,
    UserId,
    NetworkId,
    VehicleId,
    Serial,
    At,
    Reason,
    Latitude,
    Longitude,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    FirstPurchaseAt,
}

const INDEXES: &[super::IndexSpec] = &[
    ("idx_trips_network_id", "trips", &["network_id", "id"]),
    (
        "idx_trips_network_started",
        "trips",
        &["network_id", "started_at", "id"],
    ),
    (
        "idx_trips_network_ended",
        "trips",
        &["network_id", "ended_at", "id"],
    ),
    (
        "idx_trips_network_duration",
        "trips",
        &["network_id", "duration", "id"],
    ),
    (
        "idx_trips_network_duration_id_desc",
        "trips",
        &["network_id", "duration", "id desc"],
    ),
    (
        "idx_trips_network_distance",
        "trips",
        &["network_id", "distance", "id"],
    ),
    (
        "idx_trips_network_distance_id_desc",
        "trips",
        &["network_id", "distance", "id desc"],
    ),
    (
        "idx_trips_network_state",
        "trips",
        &["network_id", "state", "id"],
    ),
    (
        "idx_trips_network_model",
        "trips",
        &["network_id", "vehicle_model_id", "id"],
    ),
    ("idx_trips_user", "trips", &["user_id", "id"]),
    ("idx_trips_vehicle", "trips", &["vehicle_id", "started_at"]),
    (
        "idx_trips_start_cluster",
        "trips",
        &["start_cluster_id", "id"],
    ),
    ("idx_trips_end_cluster", "trips", &["end_cluster_id", "id"]),
    ("idx_trip_pauses_trip", "trip_pauses", &["trip_id", "id"]),
    ("idx_trip_events_trip", "trip_events", &["trip_id", "id"]),
    (
        "idx_unlock_requests_user",
        "unlock_requests",
        &["user_id", "id"],
    ),
    (
        "idx_unlock_requests_network",
        "unlock_requests",
        &["network_id", "id"],
    ),
];

/// Partial indexes, which have no builder: a rider's trips in progress (max simultaneous
/// vehicles), and the rider's key of "Start a trip", unique where given.
const PARTIAL: &[(&str, &str)] = &[
    (
        "idx_trips_open",
        "CREATE INDEX idx_trips_open ON trips (user_id) \
         WHERE state IN ('unlocking', 'running', 'on-hold')",
    ),
    (
        "idx_trips_idempotency",
        "CREATE UNIQUE INDEX idx_trips_idempotency ON trips (user_id, idempotency_key) \
         WHERE idempotency_key IS NOT NULL",
    ),
];

fn add(column: ColumnDef) -> TableAlterStatement {
    Table::alter()
        .table(Trips::Table)
        .add_column(column)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            string_len(Trips::State, 12).default("finished").to_owned(),
            timestamp_with_time_zone_null(Trips::RequestedAt),
            timestamp_with_time_zone_null(Trips::BillingStoppedAt),
            big_integer_null(Trips::Duration),
            big_integer(Trips::Distance).default(0).to_owned(),
            big_integer_null(Trips::VehicleModelId),
            boolean(Trips::Demo).default(false).to_owned(),
            string_len_null(Trips::IdempotencyKey, 255),
            double_null(Trips::StartLatitude),
            double_null(Trips::StartLongitude),
            double_null(Trips::EndLatitude),
            double_null(Trips::EndLongitude),
            big_integer_null(Trips::StartSpotId),
            big_integer_null(Trips::EndSpotId),
            big_integer_null(Trips::StartVirtualParkingId),
            big_integer_null(Trips::EndVirtualParkingId),
            string_len_null(Trips::EndPlace, 16),
            string_len_null(Trips::EndedBy, 20),
            string_len_null(Trips::CancelReason, 32),
            big_integer_null(Trips::BankGuaranteeId),
            big_integer_null(Trips::PriceTotal),
            big_integer_null(Trips::PriceBreakdownId),
            big_integer(Trips::AmountPaid).default(0).to_owned(),
            string_len(Trips::PaymentStatus, 10)
                .default("none")
                .to_owned(),
        ] {
            manager.alter_table(add(column)).await?;
        }
        let db = manager.get_connection();
        // `requested_at` is written with every trip from now on; SQLite cannot add a column
        // NOT NULL without a constant default, so the column stays nullable in the schema.
        db.execute_unprepared(
            "UPDATE trips SET requested_at = started_at, \
             state = CASE WHEN ended_at IS NULL THEN 'running' ELSE 'finished' END",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::FirstPurchaseAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TripPauses::Table)
                    .col(big_pk_auto(TripPauses::Id))
                    .col(big_integer(TripPauses::TripId))
                    .col(timestamp_with_time_zone(TripPauses::StartedAt))
                    .col(timestamp_with_time_zone_null(TripPauses::EndedAt))
                    .col(boolean(TripPauses::Auto).default(false))
                    .foreign_key(&mut super::fk(
                        (TripPauses::Table, TripPauses::TripId),
                        (Trips::Table, Trips::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TripEvents::Table)
                    .col(big_pk_auto(TripEvents::Id))
                    .col(big_integer(TripEvents::TripId))
                    .col(string_len(TripEvents::Kind, 32))
                    .col(timestamp_with_time_zone(TripEvents::At))
                    .col(string_len(TripEvents::ActorKind, 10))
                    .col(big_integer_null(TripEvents::ActorId))
                    .col(text_null(TripEvents::Payload))
                    .foreign_key(&mut super::fk(
                        (TripEvents::Table, TripEvents::TripId),
                        (Trips::Table, Trips::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TripRoutes::Table)
                    .col(big_integer(TripRoutes::TripId).primary_key())
                    .col(text(TripRoutes::Points))
                    .col(integer(TripRoutes::PointCount).default(0))
                    .col(big_integer(TripRoutes::LastLatE5))
                    .col(big_integer(TripRoutes::LastLngE5))
                    .col(big_integer(TripRoutes::LastOffset))
                    .foreign_key(&mut super::fk(
                        (TripRoutes::Table, TripRoutes::TripId),
                        (Trips::Table, Trips::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PriceBreakdowns::Table)
                    .col(big_pk_auto(PriceBreakdowns::Id))
                    // The SHA-256 of `lines`, in hex.
                    .col(string_len(PriceBreakdowns::Digest, 64).unique_key())
                    .col(text(PriceBreakdowns::Lines))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UnlockRequests::Table)
                    .col(big_pk_auto(UnlockRequests::Id))
                    .col(big_integer_null(UnlockRequests::UserId))
                    .col(big_integer_null(UnlockRequests::NetworkId))
                    .col(big_integer_null(UnlockRequests::VehicleId))
                    .col(string_len_null(UnlockRequests::Serial, 64))
                    .col(timestamp_with_time_zone(UnlockRequests::At))
                    .col(string_len(UnlockRequests::Reason, 32))
                    .col(double_null(UnlockRequests::Latitude))
                    .col(double_null(UnlockRequests::Longitude))
                    .foreign_key(&mut super::fk(
                        (UnlockRequests::Table, UnlockRequests::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        super::create_indexes(manager, INDEXES).await?;
        for (_, statement) in PARTIAL {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in PARTIAL.iter().rev() {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                .await?;
        }
        super::drop_indexes(manager, INDEXES).await?;
        for table in [
            UnlockRequests::Table.into_iden(),
            PriceBreakdowns::Table.into_iden(),
            TripRoutes::Table.into_iden(),
            TripEvents::Table.into_iden(),
            TripPauses::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::FirstPurchaseAt)
                    .to_owned(),
            )
            .await?;
        for column in [
            Trips::PaymentStatus,
            Trips::AmountPaid,
            Trips::PriceBreakdownId,
            Trips::PriceTotal,
            Trips::BankGuaranteeId,
            Trips::CancelReason,
            Trips::EndedBy,
            Trips::EndPlace,
            Trips::EndVirtualParkingId,
            Trips::StartVirtualParkingId,
            Trips::EndSpotId,
            Trips::StartSpotId,
            Trips::EndLongitude,
            Trips::EndLatitude,
            Trips::StartLongitude,
            Trips::StartLatitude,
            Trips::IdempotencyKey,
            Trips::Demo,
            Trips::VehicleModelId,
            Trips::Distance,
            Trips::Duration,
            Trips::BillingStoppedAt,
            Trips::RequestedAt,
            Trips::State,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Trips::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::migration::Migrator;
    use sea_orm::{ConnectionTrait, Database};
    use sea_orm_migration::MigratorTrait;

    /// The jobs and the trip's tables go down and come back up.
    #[tokio::test]
    async fn up_down_up() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let after = Migrator::migrations()
            .iter()
            .rev()
            .position(|m| m.name() == "m20261206_000001_jobs")
            .unwrap();
        Migrator::down(&db, Some(after as u32 + 1)).await.unwrap();
        for gone in [
            "SELECT state FROM trips",
            "SELECT first_purchase_at FROM users",
            "SELECT 1 FROM jobs",
            "SELECT 1 FROM trip_routes",
            "SELECT 1 FROM unlock_requests",
        ] {
            assert!(db.execute_unprepared(gone).await.is_err(), "{gone}");
        }
        Migrator::up(&db, None).await.unwrap();
        for back in [
            "SELECT state, requested_at, distance, payment_status FROM trips",
            "SELECT first_purchase_at FROM users",
            "SELECT kind, subject_id FROM jobs",
            "SELECT points FROM trip_routes",
            "SELECT digest FROM price_breakdowns",
            "SELECT reason FROM unlock_requests",
            "SELECT auto FROM trip_pauses",
            "SELECT actor_kind FROM trip_events",
        ] {
            db.execute_unprepared(back).await.unwrap();
        }
    }
}
