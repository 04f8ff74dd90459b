//! The ride on the fleet (docs/design/ride.md §3.1): a vehicle knows the trip it serves (the
//! ingest learns it with the vehicle, no lookup), and a vehicle command knows the trip it was
//! sent for and when it stops being worth delivering (an `unlock` after its trip was
//! cancelled would unlock a vehicle for nobody).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Vehicles {
    Table,
    TripId,
    Latitude,
    Longitude,
}

#[derive(DeriveIden)]
enum VehicleCommands {
    Table,
    TripId,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Vehicles::Table)
                    .add_column(big_integer_null(Vehicles::TripId))
                    .to_owned(),
            )
            .await?;
        for column in [
            big_integer_null(VehicleCommands::TripId),
            timestamp_with_time_zone_null(VehicleCommands::ExpiresAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(VehicleCommands::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // "Find vehicles nearby" reads a box of latitude, then longitude.
        manager
            .create_index(
                Index::create()
                    .name("idx_vehicles_position")
                    .table(Vehicles::Table)
                    .col(Vehicles::Latitude)
                    .col(Vehicles::Longitude)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_vehicles_position")
                    .table(Vehicles::Table)
                    .to_owned(),
            )
            .await?;
        for column in [VehicleCommands::ExpiresAt, VehicleCommands::TripId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(VehicleCommands::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Vehicles::Table)
                    .drop_column(Vehicles::TripId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::migration::Migrator;
    use sea_orm::{ConnectionTrait, Database};
    use sea_orm_migration::MigratorTrait;

    #[tokio::test]
    async fn up_down_up() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let after = Migrator::migrations()
            .iter()
            .rev()
            .position(|m| m.name() == "m20261207_000001_money")
            .unwrap();
        Migrator::down(&db, Some(after as u32)).await.unwrap();
        for gone in [
            "SELECT trip_id FROM vehicles",
            "SELECT expires_at FROM vehicle_commands",
        ] {
            assert!(db.execute_unprepared(gone).await.is_err(), "{gone}");
        }
        Migrator::up(&db, None).await.unwrap();
        db.execute_unprepared("SELECT trip_id FROM vehicles")
            .await
            .unwrap();
        db.execute_unprepared("SELECT trip_id, expires_at FROM vehicle_commands")
            .await
            .unwrap();
    }
}
