//! The `app_label_mail_settings` table: the mail setting of an app label (one row per label, once set).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_label_mail_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_label_id: i64,
    pub send_mails: bool,
    pub sender_address: String,
    pub sender_name: String,
    pub reply_to: Option<String>,
    pub notification_email: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
