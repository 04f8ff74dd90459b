//! The `users` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stored lowercase: emails are unique without regard to case.
    pub email: String,
    pub password_hash: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub language: String,
    pub app_label_id: Option<i64>,
    pub blocked: bool,
    pub blocked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub last_activity_at: Option<DateTimeUtc>,
    /// The staff member who blocked the user, while blocked.
    pub blocked_by: Option<i64>,
    pub blocked_reason: Option<String>,
    /// Trips made, kept in step with the trips for the user lists' sort and filter.
    pub trip_count: i64,
    pub email_confirmed_at: Option<DateTimeUtc>,
    pub phone_confirmed_at: Option<DateTimeUtc>,
    pub terms_accepted_at: Option<DateTimeUtc>,
    /// Staff turned off the bank guarantee (pre-authorisation) before this rider's trips.
    pub pre_auth_disabled: bool,
    /// The account was deleted at the rider's request: personal data erased at that time.
    pub deleted_at: Option<DateTimeUtc>,
    /// The rider's first succeeded payment (the `first_purchase_required` rent setting).
    pub first_purchase_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
