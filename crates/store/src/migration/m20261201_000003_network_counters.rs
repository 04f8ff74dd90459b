//! A network's indicators (vehicles and stations in service, trips), kept as counters in the
//! transactions that change them, so that reading them costs one row per network however many
//! trips there are. Filled here from the rows that exist; `relais check` recomputes and compares.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NetworkCounters {
    Table,
    NetworkId,
    Vehicles,
    Stations,
    Trips,
}

#[derive(DeriveIden)]
enum Networks {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let count = |name: NetworkCounters| {
            ColumnDef::new(name)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(NetworkCounters::Table)
                    .col(
                        ColumnDef::new(NetworkCounters::NetworkId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(count(NetworkCounters::Vehicles))
                    .col(count(NetworkCounters::Stations))
                    .col(count(NetworkCounters::Trips))
                    .foreign_key(&mut super::fk(
                        (NetworkCounters::Table, NetworkCounters::NetworkId),
                        (Networks::Table, Networks::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // The counts of the rows already there (plain SQL that both backends read alike).
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO network_counters (network_id, vehicles, stations, trips) \
                 SELECT n.id, \
                 (SELECT COUNT(*) FROM vehicles v \
                  WHERE v.network_id = n.id AND v.decommissioned_at IS NULL), \
                 (SELECT COUNT(*) FROM stations s JOIN clusters c ON c.id = s.cluster_id \
                  WHERE c.network_id = n.id AND s.decommissioned_at IS NULL), \
                 (SELECT COUNT(*) FROM trips t WHERE t.network_id = n.id) \
                 FROM networks n",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NetworkCounters::Table).to_owned())
            .await
    }
}
