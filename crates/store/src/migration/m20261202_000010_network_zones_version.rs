//! `networks.zones_version`: raised in the transaction of every change to a network's border,
//! border settings, speed zones or virtual parkings, so that the IoT link can keep the parsed
//! zones in memory and read only this number with each vehicle it loads.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Networks {
    Table,
    ZonesVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Networks::Table)
                    .add_column(
                        ColumnDef::new(Networks::ZonesVersion)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Networks::Table)
                    .drop_column(Networks::ZonesVersion)
                    .to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use crate::migration::Migrator;
    use sea_orm::{ConnectionTrait, Database};
    use sea_orm_migration::MigratorTrait;

    /// The column goes and comes back (SQLite drops a column since 3.35), the indexes too.
    #[tokio::test]
    async fn up_down_up() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        // Back to before the ingest's indexes, whatever came after.
        let after = Migrator::migrations()
            .iter()
            .rev()
            .position(|m| m.name() == "m20261202_000009_ingest_indexes")
            .unwrap();
        Migrator::down(&db, Some(after as u32 + 1)).await.unwrap();
        assert!(
            db.execute_unprepared("SELECT zones_version FROM networks")
                .await
                .is_err()
        );
        Migrator::up(&db, None).await.unwrap();
        db.execute_unprepared("SELECT zones_version FROM networks")
            .await
            .unwrap();
    }
}
