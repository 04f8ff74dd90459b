//! Users, API tokens, roles, organizational units, grants and the access log: the security
//! model every later table relies on.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    FirstName,
    LastName,
    Phone,
    Language,
    AppLabelId,
    Blocked,
    BlockedAt,
    CreatedAt,
    LastActivityAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TokenId,
    SecretHash,
    UserId,
    Label,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    Key,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RolePermissions {
    Table,
    RoleId,
    Permission,
}

#[derive(DeriveIden)]
enum OrganizationalUnits {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrganizationalUnitItems {
    Table,
    UnitId,
    Kind,
    ItemId,
}

#[derive(DeriveIden)]
enum UserGrants {
    Table,
    Id,
    UserId,
    Permission,
    RoleId,
    UnitId,
    Write,
    StartDate,
    EndDate,
    GrantedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccessLogs {
    Table,
    Id,
    UserId,
    TargetPath,
    Verb,
    UserAgent,
    Ip,
    HttpCode,
    KnotCode,
    DurationMs,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Email, 254))
                    .col(string_null(Users::PasswordHash))
                    .col(string_len_null(Users::FirstName, 100))
                    .col(string_len_null(Users::LastName, 100))
                    .col(string_len_null(Users::Phone, 32))
                    .col(string_len(Users::Language, 2).default("en"))
                    .col(big_integer_null(Users::AppLabelId))
                    .col(boolean(Users::Blocked).default(false))
                    .col(timestamp_with_time_zone_null(Users::BlockedAt))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone_null(Users::LastActivityAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(big_pk_auto(ApiTokens::Id))
                    .col(string_len_uniq(ApiTokens::TokenId, 16))
                    .col(string_len(ApiTokens::SecretHash, 64))
                    .col(big_integer(ApiTokens::UserId))
                    .col(string_len(ApiTokens::Label, 64))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_tokens_user")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(big_pk_auto(Roles::Id))
                    .col(string_len_uniq(Roles::Key, 50))
                    .col(timestamp_with_time_zone(Roles::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolePermissions::Table)
                    .col(big_integer(RolePermissions::RoleId))
                    .col(string_len(RolePermissions::Permission, 50))
                    .primary_key(
                        Index::create()
                            .col(RolePermissions::RoleId)
                            .col(RolePermissions::Permission),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RolePermissions::Table, RolePermissions::RoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrganizationalUnits::Table)
                    .col(big_pk_auto(OrganizationalUnits::Id))
                    .col(string_len_uniq(OrganizationalUnits::Name, 50))
                    .col(timestamp_with_time_zone(OrganizationalUnits::CreatedAt))
                    .col(timestamp_with_time_zone(OrganizationalUnits::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrganizationalUnitItems::Table)
                    .col(big_integer(OrganizationalUnitItems::UnitId))
                    .col(string_len(OrganizationalUnitItems::Kind, 16))
                    .col(big_integer(OrganizationalUnitItems::ItemId))
                    .primary_key(
                        Index::create()
                            .col(OrganizationalUnitItems::UnitId)
                            .col(OrganizationalUnitItems::Kind)
                            .col(OrganizationalUnitItems::ItemId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                OrganizationalUnitItems::Table,
                                OrganizationalUnitItems::UnitId,
                            )
                            .to(OrganizationalUnits::Table, OrganizationalUnits::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ou_items_item")
                    .table(OrganizationalUnitItems::Table)
                    .col(OrganizationalUnitItems::Kind)
                    .col(OrganizationalUnitItems::ItemId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserGrants::Table)
                    .col(big_pk_auto(UserGrants::Id))
                    .col(big_integer(UserGrants::UserId))
                    .col(string_len_null(UserGrants::Permission, 50))
                    .col(big_integer_null(UserGrants::RoleId))
                    .col(big_integer_null(UserGrants::UnitId))
                    .col(boolean(UserGrants::Write))
                    .col(timestamp_with_time_zone(UserGrants::StartDate))
                    .col(timestamp_with_time_zone_null(UserGrants::EndDate))
                    .col(big_integer_null(UserGrants::GrantedBy))
                    .col(timestamp_with_time_zone(UserGrants::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserGrants::Table, UserGrants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserGrants::Table, UserGrants::RoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A unit cannot disappear while someone holds a grant in it.
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserGrants::Table, UserGrants::UnitId)
                            .to(OrganizationalUnits::Table, OrganizationalUnits::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserGrants::Table, UserGrants::GrantedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .check(
                        Expr::col(UserGrants::Permission)
                            .is_null()
                            .ne(Expr::col(UserGrants::RoleId).is_null()),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_user_grants_user", UserGrants::UserId),
            ("idx_user_grants_unit", UserGrants::UnitId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(UserGrants::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(AccessLogs::Table)
                    .col(big_pk_auto(AccessLogs::Id))
                    // No foreign key: the log outlives the users it mentions.
                    .col(big_integer_null(AccessLogs::UserId))
                    .col(text(AccessLogs::TargetPath))
                    .col(string_len(AccessLogs::Verb, 10))
                    .col(text_null(AccessLogs::UserAgent))
                    .col(string_len_null(AccessLogs::Ip, 128))
                    .col(integer(AccessLogs::HttpCode))
                    .col(integer(AccessLogs::KnotCode))
                    .col(big_integer(AccessLogs::DurationMs))
                    .col(timestamp_with_time_zone(AccessLogs::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_access_logs_created", AccessLogs::CreatedAt),
            ("idx_access_logs_user", AccessLogs::UserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AccessLogs::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AccessLogs::Table.into_iden(),
            UserGrants::Table.into_iden(),
            OrganizationalUnitItems::Table.into_iden(),
            OrganizationalUnits::Table.into_iden(),
            RolePermissions::Table.into_iden(),
            Roles::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
