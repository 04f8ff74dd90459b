//! The `outbound_messages` table: every mail, push notification and SMS sent to someone.

use sea_orm::entity::prelude::*;

/// How a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum Channel {
    #[sea_orm(string_value = "mail")]
    Mail,
    #[sea_orm(string_value = "push")]
    Push,
    #[sea_orm(string_value = "sms")]
    Sms,
}

/// Where a message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(12))")]
pub enum MessageStatus {
    /// Waiting for its (next) attempt.
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Kept, not sent: the channel has no transport configured.
    #[sea_orm(string_value = "recorded")]
    Recorded,
    /// Given up: refused by the provider, or out of attempts.
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbound_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    pub channel: Channel,
    /// Which text it is (`sign_up`, `staff_message`, ...).
    pub template: String,
    pub language: String,
    /// An address, a push token or a phone number.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: MessageStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// The transport's id of the message (SMTP message id, FCM name, Twilio SID).
    pub provider_id: Option<String>,
    /// The staff member who wrote it, for a message from staff.
    pub sent_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
