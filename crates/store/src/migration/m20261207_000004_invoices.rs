//! Invoices and credit notes (docs/design/ride.md §3.1): numbered without gaps per billing
//! identity (the app label), in one sequence shared by invoices and credit notes, never reset;
//! immutable once issued but for the PDF's storage key, set once. The issuer's legal mentions
//! and the customer are copied into the row as they stood at issue ("Update app label
//! billing" changes only later invoices).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InvoiceSequences {
    Table,
    AppLabelId,
    Prefix,
    NextNumber,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    AppLabelId,
    Number,
    Kind,
    TransactionId,
    RefundId,
    OriginalInvoiceId,
    UserId,
    NetworkId,
    Currency,
    AmountWVat,
    Amount,
    VatAmount,
    VatRate,
    IssuedAt,
    Issuer,
    Customer,
    Lines,
    PdfKey,
}

const INDEXES: &[super::IndexSpec] = &[
    (
        "idx_invoices_number",
        "invoices",
        &["app_label_id", "number"],
    ),
    ("idx_invoices_user", "invoices", &["user_id", "id"]),
    ("idx_invoices_network", "invoices", &["network_id", "id"]),
    ("idx_invoices_transaction", "invoices", &["transaction_id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InvoiceSequences::Table)
                    .col(big_integer(InvoiceSequences::AppLabelId).primary_key())
                    .col(string_len(InvoiceSequences::Prefix, 24).unique_key())
                    .col(big_integer(InvoiceSequences::NextNumber).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(big_pk_auto(Invoices::Id))
                    .col(big_integer(Invoices::AppLabelId))
                    .col(big_integer(Invoices::Number))
                    .col(string_len(Invoices::Kind, 12))
                    .col(big_integer_null(Invoices::TransactionId))
                    .col(big_integer_null(Invoices::RefundId))
                    .col(big_integer_null(Invoices::OriginalInvoiceId))
                    .col(big_integer_null(Invoices::UserId))
                    .col(big_integer(Invoices::NetworkId))
                    .col(string_len(Invoices::Currency, 3))
                    .col(big_integer(Invoices::AmountWVat))
                    .col(big_integer(Invoices::Amount))
                    .col(big_integer(Invoices::VatAmount))
                    .col(big_integer(Invoices::VatRate))
                    .col(timestamp_with_time_zone(Invoices::IssuedAt))
                    .col(text(Invoices::Issuer))
                    .col(text(Invoices::Customer))
                    .col(text(Invoices::Lines))
                    .col(string_len_null(Invoices::PdfKey, 255))
                    .to_owned(),
            )
            .await?;
        super::create_indexes(manager, &INDEXES[1..]).await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEXES[0].0)
                    .table(Invoices::Table)
                    .col(Invoices::AppLabelId)
                    .col(Invoices::Number)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEXES[0].0)
                    .table(Invoices::Table)
                    .to_owned(),
            )
            .await?;
        super::drop_indexes(manager, &INDEXES[1..]).await?;
        for table in [
            Invoices::Table.into_iden(),
            InvoiceSequences::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
