//! The `partner_truckers` table: a driver of a partner company, with its pending invite code.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_truckers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub user_id: Option<i64>,
    pub remote_id: Option<String>,
    pub phone_number: String,
    pub is_rented: bool,
    pub phone_number_personal: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub country_code: String,
    pub driving_license_number: String,
    pub driving_license_deadline: Option<DateTimeUtc>,
    pub adr_license_deadline: Option<DateTimeUtc>,
    pub carrist_license_deadline: Option<DateTimeUtc>,
    pub occupational_health_visit_deadline: Option<DateTimeUtc>,
    pub invite_code: Option<String>,
    pub invite_code_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
