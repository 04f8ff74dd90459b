//! The relais domain: permissions, access scopes, credentials and the rules that do not
//! depend on HTTP or on the database. Everything here is pure and unit-tested.

pub mod access;
pub mod credentials;
pub mod permission;

pub use access::{Grant, Scope, UnitScope};
pub use permission::Permission;
