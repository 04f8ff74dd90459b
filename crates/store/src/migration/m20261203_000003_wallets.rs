//! Wallets: a user's credits in one currency, and every movement of them. The balance kept on
//! the wallet is the sum of its movements, changed only together with a movement row in one
//! transaction (`relais check` recomputes it).

use super::{IndexSpec, create_indexes, drop_indexes, fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Wallets {
    Table,
    Id,
    UserId,
    Currency,
    Balance,
    CreatedAt,
    DeletedAt,
    DeletedBy,
    DeletedReason,
}

#[derive(DeriveIden)]
enum WalletMovements {
    Table,
    Id,
    WalletId,
    Amount,
    Kind,
    Reason,
    ActorId,
    CreatedAt,
}

const INDEXES: &[IndexSpec] = &[
    ("idx_wallets_user", "wallets", &["user_id", "currency"]),
    (
        "idx_wallet_movements_wallet",
        "wallet_movements",
        &["wallet_id", "id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Wallets::Table)
                    .col(big_pk_auto(Wallets::Id))
                    .col(big_integer(Wallets::UserId))
                    .col(string_len(Wallets::Currency, 3))
                    // Ten-thousandths of the currency, like every amount (see domain::money).
                    .col(big_integer(Wallets::Balance).default(0))
                    .col(timestamp_with_time_zone(Wallets::CreatedAt))
                    .col(timestamp_with_time_zone_null(Wallets::DeletedAt))
                    .col(big_integer_null(Wallets::DeletedBy))
                    .col(string_len_null(Wallets::DeletedReason, 1000))
                    .foreign_key(&mut fk(
                        (Wallets::Table, Wallets::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WalletMovements::Table)
                    .col(big_pk_auto(WalletMovements::Id))
                    .col(big_integer(WalletMovements::WalletId))
                    .col(big_integer(WalletMovements::Amount))
                    .col(string_len(WalletMovements::Kind, 20))
                    .col(string_len(WalletMovements::Reason, 1000))
                    .col(big_integer_null(WalletMovements::ActorId))
                    .col(timestamp_with_time_zone(WalletMovements::CreatedAt))
                    .foreign_key(&mut fk(
                        (WalletMovements::Table, WalletMovements::WalletId),
                        (Wallets::Table, Wallets::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, INDEXES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_indexes(manager, INDEXES).await?;
        for table in [
            WalletMovements::Table.into_iden(),
            Wallets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
