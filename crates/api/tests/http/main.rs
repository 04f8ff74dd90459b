//! HTTP tests: the real router on a fresh database per test, driven as a client would.
//! The backend is SQLite unless `RELAIS_TEST_DATABASE_URL` names a PostgreSQL server, in which
//! case each test makes its own database there and drops it afterwards.

mod common;

mod access_logs;
mod auth;
mod contract;
mod operability;
mod organizational_units;
mod roles;
mod user_permissions;
