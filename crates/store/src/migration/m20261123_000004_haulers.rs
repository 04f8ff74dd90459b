//! Third-party haulers (seed 003): a hauler, its users, and its connections to the operator's
//! locations (networks), requested by the hauler and approved or denied by the operator.

use super::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Networks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Haulers {
    Table,
    Id,
    Uuid,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum HaulerUsers {
    Table,
    Id,
    HaulerId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum HaulerConnections {
    Table,
    Id,
    HaulerId,
    NetworkId,
    RequestedBy,
    RequestedOn,
    ApprovedBy,
    ApprovedOn,
    DeniedOn,
    RevokedOn,
    UnitId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(Haulers::Table)
                    .col(big_pk_auto(Haulers::Id))
                    .col(string_len_uniq(Haulers::Uuid, 36))
                    .col(string_len(Haulers::Name, 200))
                    .col(timestamp_with_time_zone(Haulers::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(HaulerUsers::Table)
                    .col(big_pk_auto(HaulerUsers::Id))
                    .col(big_integer(HaulerUsers::HaulerId))
                    // A user works for one hauler at most.
                    .col(big_integer_uniq(HaulerUsers::UserId))
                    .col(string_len(HaulerUsers::Role, 32))
                    .col(timestamp_with_time_zone(HaulerUsers::CreatedAt))
                    .foreign_key(&mut fk(
                        (HaulerUsers::Table, HaulerUsers::HaulerId),
                        (Haulers::Table, Haulers::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (HaulerUsers::Table, HaulerUsers::UserId),
                        (Users::Table, Users::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(HaulerConnections::Table)
                    .col(big_pk_auto(HaulerConnections::Id))
                    .col(big_integer(HaulerConnections::HaulerId))
                    .col(big_integer(HaulerConnections::NetworkId))
                    .col(big_integer_null(HaulerConnections::RequestedBy))
                    .col(timestamp_with_time_zone(HaulerConnections::RequestedOn))
                    .col(big_integer_null(HaulerConnections::ApprovedBy))
                    .col(timestamp_with_time_zone_null(HaulerConnections::ApprovedOn))
                    .col(timestamp_with_time_zone_null(HaulerConnections::DeniedOn))
                    .col(timestamp_with_time_zone_null(HaulerConnections::RevokedOn))
                    // The organizational unit through which an approved connection gives access.
                    .col(big_integer_null(HaulerConnections::UnitId))
                    .index(
                        Index::create()
                            .unique()
                            .col(HaulerConnections::HaulerId)
                            .col(HaulerConnections::NetworkId),
                    )
                    .foreign_key(&mut fk(
                        (HaulerConnections::Table, HaulerConnections::HaulerId),
                        (Haulers::Table, Haulers::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (HaulerConnections::Table, HaulerConnections::NetworkId),
                        (Networks::Table, Networks::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (HaulerConnections::Table, HaulerConnections::RequestedBy),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        (HaulerConnections::Table, HaulerConnections::ApprovedBy),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
