//! The security epoch: one counter raised by every change to who may do what (a token revoked,
//! a user blocked, a grant, role or organizational unit changed). Servers cache each token's
//! caller and grants in memory and drop the cache when the counter moves, so a change made by
//! one replica (or by the command line) reaches every other.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SecurityEpoch {
    Table,
    Id,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SecurityEpoch::Table)
                    .col(
                        ColumnDef::new(SecurityEpoch::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SecurityEpoch::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .execute(
                Query::insert()
                    .into_table(SecurityEpoch::Table)
                    .columns([SecurityEpoch::Id, SecurityEpoch::Version])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SecurityEpoch::Table).to_owned())
            .await
    }
}
