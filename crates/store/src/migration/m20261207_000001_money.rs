//! Money (docs/design/ride.md §3): every movement of a rider's money is a `transactions` row
//! (a trip paid from the wallet or through a provider, a top-up, a debt paid, a penalty), with
//! its refunds and the debts a declined payment leaves; the distinct product titles (for the
//! partial-match filter of "Get transactions"); the wallet movement a transaction made; and the
//! trip a bank guarantee serves, with the instant it lapses.
//!
//! Every sort of "Get transactions" has a `(network_id, column, id)` index and its `id desc`
//! twin (the other `primary_key_dir`), so a page of any sort in any direction is a range read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Transactions {
    Table,
    Id,
    NetworkId,
    UserId,
    TripId,
    Kind,
    Source,
    Status,
    Currency,
    AmountWVat,
    Amount,
    VatRate,
    ProductTitle,
    PaymentProvider,
    PaymentMethodType,
    UserPaymentMethodId,
    BankGuaranteeId,
    WalletMovementId,
    DebtId,
    ProviderReference,
    PaymentProviderFee,
    AutoPayment,
    RefundAmount,
    RefundedAt,
    InvoiceId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    TransactionId,
    Amount,
    Reason,
    Status,
    ProviderRefundId,
    ActorId,
    CreatedAt,
    SettledAt,
    InvoiceId,
}

#[derive(DeriveIden)]
enum Debts {
    Table,
    Id,
    UserId,
    NetworkId,
    TripId,
    Currency,
    Amount,
    Remaining,
    Status,
    Attempts,
    CreatedAt,
    SettledAt,
}

#[derive(DeriveIden)]
enum ProductTitles {
    Table,
    NetworkId,
    Title,
}

#[derive(DeriveIden)]
enum WalletMovements {
    Table,
    TransactionId,
}

#[derive(DeriveIden)]
enum BankGuarantees {
    Table,
    TripId,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Networks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Trips {
    Table,
    Id,
}

const INDEXES: &[super::IndexSpec] = &[
    (
        "idx_transactions_network_id",
        "transactions",
        &["network_id", "id"],
    ),
    (
        "idx_transactions_network_date",
        "transactions",
        &["network_id", "created_at", "id"],
    ),
    (
        "idx_transactions_network_date_id_desc",
        "transactions",
        &["network_id", "created_at", "id desc"],
    ),
    (
        "idx_transactions_network_amount_w_vat",
        "transactions",
        &["network_id", "amount_w_vat", "id"],
    ),
    (
        "idx_transactions_network_amount_w_vat_id_desc",
        "transactions",
        &["network_id", "amount_w_vat", "id desc"],
    ),
    (
        "idx_transactions_network_amount",
        "transactions",
        &["network_id", "amount", "id"],
    ),
    (
        "idx_transactions_network_amount_id_desc",
        "transactions",
        &["network_id", "amount", "id desc"],
    ),
    (
        "idx_transactions_network_title",
        "transactions",
        &["network_id", "product_title", "id"],
    ),
    (
        "idx_transactions_network_title_id_desc",
        "transactions",
        &["network_id", "product_title", "id desc"],
    ),
    (
        "idx_transactions_network_refund",
        "transactions",
        &["network_id", "refund_amount", "id"],
    ),
    (
        "idx_transactions_network_refund_id_desc",
        "transactions",
        &["network_id", "refund_amount", "id desc"],
    ),
    (
        "idx_transactions_network_auto",
        "transactions",
        &["network_id", "auto_payment", "id"],
    ),
    (
        "idx_transactions_network_auto_id_desc",
        "transactions",
        &["network_id", "auto_payment", "id desc"],
    ),
    (
        "idx_transactions_network_fee",
        "transactions",
        &["network_id", "payment_provider_fee", "id"],
    ),
    (
        "idx_transactions_network_fee_id_desc",
        "transactions",
        &["network_id", "payment_provider_fee", "id desc"],
    ),
    (
        "idx_transactions_network_method",
        "transactions",
        &[
            "network_id",
            "payment_provider",
            "payment_method_type",
            "id",
        ],
    ),
    ("idx_transactions_user", "transactions", &["user_id", "id"]),
    ("idx_transactions_trip", "transactions", &["trip_id", "id"]),
    (
        "idx_refunds_transaction",
        "refunds",
        &["transaction_id", "id"],
    ),
    ("idx_debts_trip", "debts", &["trip_id"]),
    (
        "idx_wallet_movements_transaction",
        "wallet_movements",
        &["transaction_id"],
    ),
];

/// Partial indexes, which have no builder: the refunded transactions (a few in a thousand:
/// `refunded=true` and the refund dates read them alone), and a rider's open debts (checked
/// at every start).
const PARTIAL: &[(&str, &str)] = &[
    (
        "idx_transactions_refunded",
        "CREATE INDEX idx_transactions_refunded ON transactions (network_id, refunded_at, id) \
         WHERE refunded_at IS NOT NULL",
    ),
    (
        "idx_debts_open",
        "CREATE INDEX idx_debts_open ON debts (user_id) WHERE status = 'open'",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Transactions::Table)
                    .col(big_pk_auto(Transactions::Id))
                    .col(big_integer(Transactions::NetworkId))
                    .col(big_integer_null(Transactions::UserId))
                    .col(big_integer_null(Transactions::TripId))
                    .col(string_len(Transactions::Kind, 12))
                    .col(string_len(Transactions::Source, 8))
                    .col(string_len(Transactions::Status, 10))
                    .col(string_len(Transactions::Currency, 3))
                    .col(big_integer(Transactions::AmountWVat))
                    .col(big_integer(Transactions::Amount))
                    .col(big_integer(Transactions::VatRate))
                    .col(string_len(Transactions::ProductTitle, 100))
                    .col(string_len(Transactions::PaymentProvider, 20))
                    .col(string_len(Transactions::PaymentMethodType, 20))
                    .col(big_integer_null(Transactions::UserPaymentMethodId))
                    .col(big_integer_null(Transactions::BankGuaranteeId))
                    .col(big_integer_null(Transactions::WalletMovementId))
                    .col(big_integer_null(Transactions::DebtId))
                    .col(string_len_null(Transactions::ProviderReference, 255))
                    // Zero until the provider tells it (and for the wallet): a sort on it is
                    // then a plain keyset, with no nulls the two backends order differently.
                    .col(big_integer(Transactions::PaymentProviderFee).default(0))
                    .col(boolean(Transactions::AutoPayment).default(false))
                    .col(big_integer(Transactions::RefundAmount).default(0))
                    .col(timestamp_with_time_zone_null(Transactions::RefundedAt))
                    .col(big_integer_null(Transactions::InvoiceId))
                    .col(timestamp_with_time_zone(Transactions::CreatedAt))
                    .foreign_key(&mut super::fk(
                        (Transactions::Table, Transactions::NetworkId),
                        (Networks::Table, Networks::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut super::fk(
                        (Transactions::Table, Transactions::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut super::fk(
                        (Transactions::Table, Transactions::TripId),
                        (Trips::Table, Trips::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(big_pk_auto(Refunds::Id))
                    .col(big_integer(Refunds::TransactionId))
                    .col(big_integer(Refunds::Amount))
                    .col(text(Refunds::Reason))
                    .col(string_len(Refunds::Status, 10))
                    .col(string_len_null(Refunds::ProviderRefundId, 255))
                    .col(big_integer_null(Refunds::ActorId))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .col(timestamp_with_time_zone_null(Refunds::SettledAt))
                    .col(big_integer_null(Refunds::InvoiceId))
                    .foreign_key(&mut super::fk(
                        (Refunds::Table, Refunds::TransactionId),
                        (Transactions::Table, Transactions::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Debts::Table)
                    .col(big_pk_auto(Debts::Id))
                    .col(big_integer_null(Debts::UserId))
                    .col(big_integer(Debts::NetworkId))
                    .col(big_integer_null(Debts::TripId))
                    .col(string_len(Debts::Currency, 3))
                    .col(big_integer(Debts::Amount))
                    .col(big_integer(Debts::Remaining))
                    .col(string_len(Debts::Status, 12))
                    .col(integer(Debts::Attempts).default(0))
                    .col(timestamp_with_time_zone(Debts::CreatedAt))
                    .col(timestamp_with_time_zone_null(Debts::SettledAt))
                    .foreign_key(&mut super::fk(
                        (Debts::Table, Debts::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut super::fk(
                        (Debts::Table, Debts::NetworkId),
                        (Networks::Table, Networks::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut super::fk(
                        (Debts::Table, Debts::TripId),
                        (Trips::Table, Trips::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductTitles::Table)
                    .col(big_integer(ProductTitles::NetworkId))
                    .col(string_len(ProductTitles::Title, 100))
                    .primary_key(
                        Index::create()
                            .col(ProductTitles::NetworkId)
                            .col(ProductTitles::Title),
                    )
                    .foreign_key(&mut super::fk(
                        (ProductTitles::Table, ProductTitles::NetworkId),
                        (Networks::Table, Networks::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WalletMovements::Table)
                    .add_column(big_integer_null(WalletMovements::TransactionId))
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            big_integer_null(BankGuarantees::TripId),
            timestamp_with_time_zone_null(BankGuarantees::ExpiresAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(BankGuarantees::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        super::create_indexes(manager, INDEXES).await?;
        let db = manager.get_connection();
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
        for column in [BankGuarantees::ExpiresAt, BankGuarantees::TripId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(BankGuarantees::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(WalletMovements::Table)
                    .drop_column(WalletMovements::TransactionId)
                    .to_owned(),
            )
            .await?;
        for table in [
            ProductTitles::Table.into_iden(),
            Debts::Table.into_iden(),
            Refunds::Table.into_iden(),
            Transactions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
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

    /// The money tables go down and come back up.
    #[tokio::test]
    async fn up_down_up() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let after = Migrator::migrations()
            .iter()
            .rev()
            .position(|m| m.name() == "m20261206_000003_trip_date_twins")
            .unwrap();
        Migrator::down(&db, Some(after as u32)).await.unwrap();
        for gone in [
            "SELECT 1 FROM transactions",
            "SELECT 1 FROM refunds",
            "SELECT 1 FROM debts",
            "SELECT 1 FROM product_titles",
            "SELECT transaction_id FROM wallet_movements",
            "SELECT trip_id FROM bank_guarantees",
        ] {
            assert!(db.execute_unprepared(gone).await.is_err(), "{gone}");
        }
        Migrator::up(&db, None).await.unwrap();
        for back in [
            "SELECT kind, source, status, amount_w_vat, refund_amount FROM transactions",
            "SELECT reason, status FROM refunds",
            "SELECT remaining, status FROM debts",
            "SELECT title FROM product_titles",
            "SELECT transaction_id FROM wallet_movements",
            "SELECT trip_id, expires_at FROM bank_guarantees",
        ] {
            db.execute_unprepared(back).await.unwrap();
        }
    }
}
