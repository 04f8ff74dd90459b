//! HTTP tests: the real router on a fresh database per test, driven as a client would.
//! The backend is SQLite unless `RELAIS_TEST_DATABASE_URL` names a PostgreSQL server, in which
//! case each test makes its own database there and drops it afterwards.

mod common;

mod access_control;
mod access_logs;
mod app_labels;
mod auth;
mod balancing;
mod clusters;
mod concurrency;
mod contract;
mod examples;
mod fleet_alerts;
mod geofencing;
mod haulers;
mod income;
mod invoices;
mod jobs;
mod maintenances;
mod network_settings;
mod network_vehicles;
mod networks;
mod notifications;
mod operability;
mod organizational_units;
mod paging;
mod partner;
mod pricing;
mod queries;
mod query_plans;
mod request_input;
mod rider_trips;
mod riders;
mod roles;
mod stations;
mod stocks;
mod third_parties;
mod transactions;
mod trips;
mod user_permissions;
mod users;
mod users_activity;
mod vehicles;
mod vehicles_external_locks;
