//! Durable jobs: the timers and deferred work of the ride (unlock timeouts, auto-pause, trip
//! settlement, invoices), each a row about one subject, claimed by one worker at a time and
//! completed in the same transaction as its effect. Also a lease on vehicle commands, so that
//! two processes on one PostgreSQL never publish the same command at once.
//!
//! One timer of a kind per subject (`unique (kind, subject_id)`): arming it again moves it,
//! and the transition that makes it moot deletes it by subject. Workers read due jobs in the
//! `(run_at, id)` order of their index.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    SubjectId,
    Payload,
    RunAt,
    Attempts,
    MaxAttempts,
    LockedUntil,
    LockedBy,
    LastError,
    CreatedAt,
}

#[derive(DeriveIden)]
enum VehicleCommands {
    Table,
    LockedUntil,
}

const INDEXES: &[super::IndexSpec] = &[("idx_jobs_due", "jobs", &["run_at", "id"])];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(big_pk_auto(Jobs::Id))
                    .col(string_len(Jobs::Kind, 32))
                    .col(big_integer(Jobs::SubjectId))
                    .col(text_null(Jobs::Payload))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(integer(Jobs::MaxAttempts))
                    .col(timestamp_with_time_zone_null(Jobs::LockedUntil))
                    .col(string_len_null(Jobs::LockedBy, 64))
                    .col(text_null(Jobs::LastError))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    // Part of the table, not a later index: a pooled SQLite connection that read
                    // the schema between the two would prepare `ON CONFLICT (kind, subject_id)`
                    // against a table without it, and fail.
                    .index(
                        Index::create()
                            .unique()
                            .col(Jobs::Kind)
                            .col(Jobs::SubjectId),
                    )
                    .to_owned(),
            )
            .await?;
        super::create_indexes(manager, INDEXES).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(VehicleCommands::Table)
                    .add_column(timestamp_with_time_zone_null(VehicleCommands::LockedUntil))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(VehicleCommands::Table)
                    .drop_column(VehicleCommands::LockedUntil)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Jobs::Table).to_owned())
            .await?;
        Ok(())
    }
}
