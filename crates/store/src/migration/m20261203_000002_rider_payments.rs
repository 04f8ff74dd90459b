//! Riders' saved payment methods (provider tokens and fingerprints, never card numbers) and
//! the bank guarantees (holds) placed on them.

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
enum PaymentMethods {
    Table,
    Id,
    Key,
    Provider,
    Kind,
    Name,
}

#[derive(DeriveIden)]
enum Networks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UserPaymentMethods {
    Table,
    Id,
    UserId,
    PaymentMethodId,
    Provider,
    ProviderToken,
    ProviderCustomer,
    Brand,
    Last4,
    ExpMonth,
    ExpYear,
    Fingerprint,
    Status,
    IsDefault,
    CreatedAt,
    RemovedAt,
}

#[derive(DeriveIden)]
enum BankGuarantees {
    Table,
    Id,
    UserId,
    UserPaymentMethodId,
    NetworkId,
    Provider,
    ProviderHoldId,
    Amount,
    Currency,
    CapturedAmount,
    Status,
    CreatedAt,
    ClosedAt,
}

const INDEXES: &[IndexSpec] = &[
    (
        "idx_user_payment_methods_user",
        "user_payment_methods",
        &["user_id", "id"],
    ),
    (
        "idx_user_payment_methods_fingerprint",
        "user_payment_methods",
        &["fingerprint"],
    ),
    (
        "idx_bank_guarantees_user",
        "bank_guarantees",
        &["user_id", "id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserPaymentMethods::Table)
                    .col(big_pk_auto(UserPaymentMethods::Id))
                    .col(big_integer(UserPaymentMethods::UserId))
                    .col(big_integer(UserPaymentMethods::PaymentMethodId))
                    .col(string_len(UserPaymentMethods::Provider, 20))
                    .col(string_len(UserPaymentMethods::ProviderToken, 255))
                    .col(string_len_null(UserPaymentMethods::ProviderCustomer, 255))
                    .col(string_len_null(UserPaymentMethods::Brand, 20))
                    .col(string_len_null(UserPaymentMethods::Last4, 4))
                    .col(small_integer_null(UserPaymentMethods::ExpMonth))
                    .col(small_integer_null(UserPaymentMethods::ExpYear))
                    .col(string_len_null(UserPaymentMethods::Fingerprint, 128))
                    .col(string_len(UserPaymentMethods::Status, 20))
                    .col(boolean(UserPaymentMethods::IsDefault).default(false))
                    .col(timestamp_with_time_zone(UserPaymentMethods::CreatedAt))
                    .col(timestamp_with_time_zone_null(UserPaymentMethods::RemovedAt))
                    .foreign_key(&mut fk(
                        (UserPaymentMethods::Table, UserPaymentMethods::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (
                            UserPaymentMethods::Table,
                            UserPaymentMethods::PaymentMethodId,
                        ),
                        (PaymentMethods::Table, PaymentMethods::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BankGuarantees::Table)
                    .col(big_pk_auto(BankGuarantees::Id))
                    .col(big_integer(BankGuarantees::UserId))
                    .col(big_integer(BankGuarantees::UserPaymentMethodId))
                    .col(big_integer_null(BankGuarantees::NetworkId))
                    .col(string_len(BankGuarantees::Provider, 20))
                    .col(string_len_null(BankGuarantees::ProviderHoldId, 255))
                    .col(big_integer(BankGuarantees::Amount))
                    .col(string_len(BankGuarantees::Currency, 3))
                    .col(big_integer(BankGuarantees::CapturedAmount).default(0))
                    .col(string_len(BankGuarantees::Status, 20))
                    .col(timestamp_with_time_zone(BankGuarantees::CreatedAt))
                    .col(timestamp_with_time_zone_null(BankGuarantees::ClosedAt))
                    .foreign_key(&mut fk(
                        (BankGuarantees::Table, BankGuarantees::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (BankGuarantees::Table, BankGuarantees::UserPaymentMethodId),
                        (UserPaymentMethods::Table, UserPaymentMethods::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        (BankGuarantees::Table, BankGuarantees::NetworkId),
                        (Networks::Table, Networks::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        // The sandbox provider's cards: the local default, so that every flow works offline.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(PaymentMethods::Table)
                    .columns([
                        PaymentMethods::Key,
                        PaymentMethods::Provider,
                        PaymentMethods::Kind,
                        PaymentMethods::Name,
                    ])
                    .values_panic([
                        "sandbox-card".into(),
                        "sandbox".into(),
                        "card".into(),
                        "Card (sandbox)".into(),
                    ])
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, INDEXES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_indexes(manager, INDEXES).await?;
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(PaymentMethods::Table)
                    .and_where(Expr::col(PaymentMethods::Key).eq("sandbox-card"))
                    .to_owned(),
            )
            .await?;
        for table in [
            BankGuarantees::Table.into_iden(),
            UserPaymentMethods::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
