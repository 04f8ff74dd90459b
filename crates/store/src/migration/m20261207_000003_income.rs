//! Income rollups (docs/design/ride.md §3.1): what providers took and gave back, summed per
//! network, quarter of an hour (UTC), provider, kind and currency, written in the transaction
//! that moves the money, so that the income statistics of a year read about 35,000 rows a
//! network instead of millions of transactions. Quarter-hours are exact for every time zone:
//! every offset in use is a multiple of 15 minutes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IncomeRollups {
    Table,
    NetworkId,
    Bucket,
    Provider,
    Kind,
    Currency,
    Count,
    AmountWVat,
    Amount,
    Fee,
    RefundCount,
    RefundWVat,
    RefundAmount,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IncomeRollups::Table)
                    .col(big_integer(IncomeRollups::NetworkId))
                    .col(timestamp_with_time_zone(IncomeRollups::Bucket))
                    .col(string_len(IncomeRollups::Provider, 20))
                    .col(string_len(IncomeRollups::Kind, 12))
                    .col(string_len(IncomeRollups::Currency, 3))
                    .col(big_integer(IncomeRollups::Count).default(0))
                    .col(big_integer(IncomeRollups::AmountWVat).default(0))
                    .col(big_integer(IncomeRollups::Amount).default(0))
                    .col(big_integer(IncomeRollups::Fee).default(0))
                    .col(big_integer(IncomeRollups::RefundCount).default(0))
                    .col(big_integer(IncomeRollups::RefundWVat).default(0))
                    .col(big_integer(IncomeRollups::RefundAmount).default(0))
                    .primary_key(
                        Index::create()
                            .col(IncomeRollups::NetworkId)
                            .col(IncomeRollups::Bucket)
                            .col(IncomeRollups::Provider)
                            .col(IncomeRollups::Kind)
                            .col(IncomeRollups::Currency),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IncomeRollups::Table).to_owned())
            .await
    }
}
