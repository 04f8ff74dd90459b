//! The sandbox payment provider's own books: the cards it saved (never their numbers) and the
//! holds it made, each as the provider's record, with a version for optimistic updates.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SandboxCards {
    Table,
    Token,
    Record,
}

#[derive(DeriveIden)]
enum SandboxHolds {
    Table,
    Id,
    Version,
    Record,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SandboxCards::Table)
                    .col(string_len(SandboxCards::Token, 128).primary_key())
                    .col(text(SandboxCards::Record))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SandboxHolds::Table)
                    .col(string_len(SandboxHolds::Id, 128).primary_key())
                    .col(big_integer(SandboxHolds::Version))
                    .col(text(SandboxHolds::Record))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SandboxHolds::Table.into_iden(),
            SandboxCards::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
