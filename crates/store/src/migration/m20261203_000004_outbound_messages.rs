//! Outbound messages (mail, push, SMS): each one recorded with its recipient, content, status
//! and attempts, so that it can be retried and shown to staff; and the SMS providers an app
//! label may pick (`app_labels.phone_sms_provider_id`).

use super::{IndexSpec, create_indexes, drop_indexes};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboundMessages {
    Table,
    Id,
    UserId,
    Channel,
    Template,
    Language,
    Recipient,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    ProviderId,
    SentBy,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum PhoneSmsProviders {
    Table,
    Id,
    Key,
    Name,
    Kind,
}

const INDEXES: &[IndexSpec] = &[
    (
        "idx_outbound_messages_user",
        "outbound_messages",
        &["user_id", "channel", "created_at"],
    ),
    (
        "idx_outbound_messages_due",
        "outbound_messages",
        &["status", "next_attempt_at"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboundMessages::Table)
                    .col(big_pk_auto(OutboundMessages::Id))
                    // No foreign key: a message outlives nothing it refers to, and the
                    // invitation of a staff member is sent to a user created in the same step.
                    .col(big_integer_null(OutboundMessages::UserId))
                    .col(string_len(OutboundMessages::Channel, 10))
                    .col(string_len(OutboundMessages::Template, 40))
                    .col(string_len(OutboundMessages::Language, 2))
                    .col(string_len(OutboundMessages::Recipient, 4096))
                    .col(string_len(OutboundMessages::Subject, 255))
                    .col(text(OutboundMessages::Body))
                    .col(string_len(OutboundMessages::Status, 12))
                    .col(integer(OutboundMessages::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(
                        OutboundMessages::NextAttemptAt,
                    ))
                    .col(string_len_null(OutboundMessages::LastError, 1000))
                    .col(string_len_null(OutboundMessages::ProviderId, 255))
                    .col(big_integer_null(OutboundMessages::SentBy))
                    .col(timestamp_with_time_zone(OutboundMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboundMessages::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PhoneSmsProviders::Table)
                    .col(big_pk_auto(PhoneSmsProviders::Id))
                    .col(string_len_uniq(PhoneSmsProviders::Key, 40))
                    .col(string_len(PhoneSmsProviders::Name, 60))
                    .col(string_len(PhoneSmsProviders::Kind, 20))
                    .to_owned(),
            )
            .await?;
        let mut providers = Query::insert()
            .into_table(PhoneSmsProviders::Table)
            .columns([
                PhoneSmsProviders::Key,
                PhoneSmsProviders::Name,
                PhoneSmsProviders::Kind,
            ])
            .to_owned();
        for (key, name, kind) in [
            ("twilio", "Twilio", "twilio"),
            ("recorded", "Recorded only (no SMS sent)", "recorded"),
        ] {
            providers.values_panic([key.into(), name.into(), kind.into()]);
        }
        manager.exec_stmt(providers).await?;
        create_indexes(manager, INDEXES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_indexes(manager, INDEXES).await?;
        for table in [
            PhoneSmsProviders::Table.into_iden(),
            OutboundMessages::Table.into_iden(),
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

    /// The riders' four migrations go down and come back up.
    #[tokio::test]
    async fn up_down_up() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let after = Migrator::migrations()
            .iter()
            .rev()
            .position(|m| m.name() == "m20261203_000001_rider_accounts")
            .unwrap();
        Migrator::down(&db, Some(after as u32 + 1)).await.unwrap();
        for gone in [
            "SELECT trip_count FROM users",
            "SELECT 1 FROM wallets",
            "SELECT 1 FROM outbound_messages",
            "SELECT 1 FROM user_payment_methods",
        ] {
            assert!(db.execute_unprepared(gone).await.is_err(), "{gone}");
        }
        Migrator::up(&db, None).await.unwrap();
        for back in [
            "SELECT trip_count, pre_auth_disabled FROM users",
            "SELECT balance FROM wallets",
            "SELECT key FROM phone_sms_providers",
            "SELECT fingerprint FROM user_payment_methods",
        ] {
            db.execute_unprepared(back).await.unwrap();
        }
    }
}
