//! The schema history, one file per change, written with SeaORM's builders so that the same
//! migration serves SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

mod m20261122_000001_security;
mod m20261123_000001_operator;
mod m20261123_000002_fleet;
mod m20261123_000003_partner;
mod m20261123_000004_haulers;
mod m20261201_000001_network_names;
mod m20261201_000002_security_epoch;
mod m20261201_000003_network_counters;
mod m20261201_000004_list_indexes;
mod m20261201_000005_page_indexes;
mod m20261202_000009_ingest_indexes;
mod m20261202_000010_network_zones_version;
mod m20261203_000001_rider_accounts;
mod m20261203_000002_rider_payments;
mod m20261203_000003_wallets;
mod m20261203_000004_outbound_messages;
mod m20261203_000005_user_search;
mod m20261203_000006_sandbox_ledger;
mod m20261204_000001_user_text_statistics;
mod m20261205_000001_failed_requests;
mod m20261205_000002_user_agents;
mod m20261206_000001_jobs;
mod m20261206_000002_trips;
mod m20261206_000003_trip_date_twins;
mod m20261207_000001_money;
mod m20261207_000002_ride;
mod m20261207_000003_income;
mod m20261207_000004_invoices;

pub struct Migrator;

/// An index as the list-index migrations write them: `(name, table, columns)`, a column
/// ending in ` desc` indexed descending.
type IndexSpec = (&'static str, &'static str, &'static [&'static str]);

/// Create `indexes`, in order.
async fn create_indexes(manager: &SchemaManager<'_>, indexes: &[IndexSpec]) -> Result<(), DbErr> {
    for (name, table, columns) in indexes {
        let mut index = Index::create()
            .name(*name)
            .table(Alias::new(*table))
            .to_owned();
        for column in *columns {
            match column.strip_suffix(" desc") {
                Some(column) => index.col((Alias::new(column), IndexOrder::Desc)),
                None => index.col(Alias::new(*column)),
            };
        }
        manager.create_index(index).await?;
    }
    Ok(())
}

/// Whether PostgreSQL's `pg_trgm` extension is installed in the database (the access log's
/// migration makes it where it is available); the trigram indexes are made only then.
async fn has_trigrams(db: &impl sea_orm::ConnectionTrait) -> Result<bool, DbErr> {
    Ok(db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'",
        ))
        .await?
        .is_some())
}

/// Drop `indexes`, last first.
async fn drop_indexes(manager: &SchemaManager<'_>, indexes: &[IndexSpec]) -> Result<(), DbErr> {
    for (name, table, _) in indexes.iter().rev() {
        manager
            .drop_index(
                Index::drop()
                    .name(*name)
                    .table(Alias::new(*table))
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// A foreign key from `(table, column)` to `(table, column)`, for the migrations' builders.
fn fk(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_security::Migration),
            Box::new(m20261123_000001_operator::Migration),
            Box::new(m20261123_000002_fleet::Migration),
            Box::new(m20261123_000003_partner::Migration),
            Box::new(m20261123_000004_haulers::Migration),
            Box::new(m20261201_000001_network_names::Migration),
            Box::new(m20261201_000002_security_epoch::Migration),
            Box::new(m20261201_000003_network_counters::Migration),
            Box::new(m20261201_000004_list_indexes::Migration),
            Box::new(m20261201_000005_page_indexes::Migration),
            Box::new(m20261202_000009_ingest_indexes::Migration),
            Box::new(m20261202_000010_network_zones_version::Migration),
            Box::new(m20261203_000001_rider_accounts::Migration),
            Box::new(m20261203_000002_rider_payments::Migration),
            Box::new(m20261203_000003_wallets::Migration),
            Box::new(m20261203_000004_outbound_messages::Migration),
            Box::new(m20261203_000005_user_search::Migration),
            Box::new(m20261203_000006_sandbox_ledger::Migration),
            Box::new(m20261204_000001_user_text_statistics::Migration),
            Box::new(m20261205_000001_failed_requests::Migration),
            Box::new(m20261205_000002_user_agents::Migration),
            Box::new(m20261206_000001_jobs::Migration),
            Box::new(m20261206_000002_trips::Migration),
            Box::new(m20261206_000003_trip_date_twins::Migration),
            Box::new(m20261207_000001_money::Migration),
            Box::new(m20261207_000002_ride::Migration),
            Box::new(m20261207_000003_income::Migration),
            Box::new(m20261207_000004_invoices::Migration),
        ]
    }
}
