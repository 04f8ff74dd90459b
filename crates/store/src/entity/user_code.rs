//! The `user_codes` table: single-use codes sent to a user (email or phone confirmation,
//! password reset, staff invitation), kept as hashes.

use sea_orm::entity::prelude::*;

/// What a code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum Purpose {
    #[sea_orm(string_value = "email_confirm")]
    EmailConfirm,
    #[sea_orm(string_value = "phone_confirm")]
    PhoneConfirm,
    #[sea_orm(string_value = "password_reset")]
    PasswordReset,
    #[sea_orm(string_value = "staff_invite")]
    StaffInvite,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub purpose: Purpose,
    /// `mail` or `sms`.
    pub channel: String,
    /// SHA-256 of the code, hex.
    pub code_hash: String,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
