//! The relais domain: permissions, access scopes, credentials, reference data, geometry,
//! pricing, the ride's rules, currency conversion at the ECB's reference rates, and the rules
//! that do not depend on HTTP or on the database. Everything here is pure and unit-tested.

pub mod access;
pub mod alerts;
pub mod credentials;
pub mod geometry;
pub mod invoice;
pub mod labels;
pub mod maintenance;
pub mod money;
pub mod permission;
pub mod pricing;
pub mod rates;
pub mod reference;
pub mod ride;

pub use access::{Grant, Object, Owner, Scope, UnitScope};
pub use permission::Permission;
