//! Table models, one module per table.

pub mod access_log;
pub mod api_token;
pub mod organizational_unit;
pub mod organizational_unit_item;
pub mod role;
pub mod role_permission;
pub mod user;
pub mod user_grant;
