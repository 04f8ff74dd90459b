//! Riders' accounts: what a user's account records beyond the staff's (confirmations, blocking
//! with its reason and author, counters for the user lists), the networks a user has interacted
//! with, the single-use codes mailed or texted to them, their devices and their badges.

use super::{IndexSpec, create_indexes, drop_indexes, fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    BlockedBy,
    BlockedReason,
    TripCount,
    EmailConfirmedAt,
    PhoneConfirmedAt,
    TermsAcceptedAt,
    PreAuthDisabled,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Networks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UserNetworks {
    Table,
    UserId,
    NetworkId,
    FirstAt,
    LastAt,
}

#[derive(DeriveIden)]
enum UserCodes {
    Table,
    Id,
    UserId,
    Purpose,
    Channel,
    CodeHash,
    Attempts,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum UserDevices {
    Table,
    Id,
    UserId,
    DeviceId,
    Platform,
    Model,
    AppVersion,
    PushToken,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum UserBadges {
    Table,
    Id,
    UserId,
    Number,
    Kind,
    Label,
    CreatedAt,
    DisabledAt,
}

/// The user lists' sorts and filters, each a range scan; the device and code lookups.
const INDEXES: &[IndexSpec] = &[
    // Both tie-break directions: a sort and the id may go opposite ways.
    ("idx_users_created", "users", &["created_at", "id"]),
    (
        "idx_users_created_desc",
        "users",
        &["created_at", "id desc"],
    ),
    ("idx_users_activity", "users", &["last_activity_at", "id"]),
    (
        "idx_users_activity_desc",
        "users",
        &["last_activity_at", "id desc"],
    ),
    ("idx_users_trip_count", "users", &["trip_count", "id"]),
    (
        "idx_users_trip_count_desc",
        "users",
        &["trip_count", "id desc"],
    ),
    ("idx_users_blocked", "users", &["blocked", "id"]),
    ("idx_users_app_label", "users", &["app_label_id", "id"]),
    (
        "idx_user_networks_network",
        "user_networks",
        &["network_id", "user_id"],
    ),
    ("idx_user_codes_user", "user_codes", &["user_id", "purpose"]),
    ("idx_user_devices_device", "user_devices", &["device_id"]),
    ("idx_user_badges_user", "user_badges", &["user_id"]),
];

fn add(column: ColumnDef) -> TableAlterStatement {
    Table::alter()
        .table(Users::Table)
        .add_column(column)
        .to_owned()
}

fn drop(column: Users) -> TableAlterStatement {
    Table::alter()
        .table(Users::Table)
        .drop_column(column)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            big_integer_null(Users::BlockedBy),
            string_len_null(Users::BlockedReason, 1000),
            big_integer(Users::TripCount).default(0).to_owned(),
            timestamp_with_time_zone_null(Users::EmailConfirmedAt),
            timestamp_with_time_zone_null(Users::PhoneConfirmedAt),
            timestamp_with_time_zone_null(Users::TermsAcceptedAt),
            boolean(Users::PreAuthDisabled).default(false).to_owned(),
            timestamp_with_time_zone_null(Users::DeletedAt),
        ] {
            manager.alter_table(add(column)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(UserNetworks::Table)
                    .col(big_integer(UserNetworks::UserId))
                    .col(big_integer(UserNetworks::NetworkId))
                    .col(timestamp_with_time_zone(UserNetworks::FirstAt))
                    .col(timestamp_with_time_zone(UserNetworks::LastAt))
                    .primary_key(
                        Index::create()
                            .col(UserNetworks::UserId)
                            .col(UserNetworks::NetworkId),
                    )
                    .foreign_key(&mut fk(
                        (UserNetworks::Table, UserNetworks::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (UserNetworks::Table, UserNetworks::NetworkId),
                        (Networks::Table, Networks::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserCodes::Table)
                    .col(big_pk_auto(UserCodes::Id))
                    .col(big_integer(UserCodes::UserId))
                    .col(string_len(UserCodes::Purpose, 20))
                    .col(string_len(UserCodes::Channel, 10))
                    .col(string_len(UserCodes::CodeHash, 64))
                    .col(integer(UserCodes::Attempts).default(0))
                    .col(timestamp_with_time_zone(UserCodes::CreatedAt))
                    .col(timestamp_with_time_zone(UserCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(UserCodes::UsedAt))
                    .foreign_key(&mut fk(
                        (UserCodes::Table, UserCodes::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserDevices::Table)
                    .col(big_pk_auto(UserDevices::Id))
                    .col(big_integer(UserDevices::UserId))
                    .col(string_len(UserDevices::DeviceId, 50))
                    .col(string_len(UserDevices::Platform, 10))
                    .col(string_len_null(UserDevices::Model, 100))
                    .col(string_len_null(UserDevices::AppVersion, 30))
                    .col(string_len_null(UserDevices::PushToken, 4096))
                    .col(timestamp_with_time_zone(UserDevices::CreatedAt))
                    .col(timestamp_with_time_zone(UserDevices::LastSeenAt))
                    .index(
                        Index::create()
                            .name("uq_user_devices_user_device")
                            .col(UserDevices::UserId)
                            .col(UserDevices::DeviceId)
                            .unique(),
                    )
                    .foreign_key(&mut fk(
                        (UserDevices::Table, UserDevices::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserBadges::Table)
                    .col(big_pk_auto(UserBadges::Id))
                    .col(big_integer(UserBadges::UserId))
                    .col(string_len_uniq(UserBadges::Number, 64))
                    .col(string_len(UserBadges::Kind, 20))
                    .col(string_len_null(UserBadges::Label, 100))
                    .col(timestamp_with_time_zone(UserBadges::CreatedAt))
                    .col(timestamp_with_time_zone_null(UserBadges::DisabledAt))
                    .foreign_key(&mut fk(
                        (UserBadges::Table, UserBadges::UserId),
                        (Users::Table, Users::Id),
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
            UserBadges::Table.into_iden(),
            UserDevices::Table.into_iden(),
            UserCodes::Table.into_iden(),
            UserNetworks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            Users::DeletedAt,
            Users::PreAuthDisabled,
            Users::TermsAcceptedAt,
            Users::PhoneConfirmedAt,
            Users::EmailConfirmedAt,
            Users::TripCount,
            Users::BlockedReason,
            Users::BlockedBy,
        ] {
            manager.alter_table(drop(column)).await?;
        }
        Ok(())
    }
}
