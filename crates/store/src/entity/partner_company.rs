//! The `partner_companies` table: a requester's own account company (`account`) or a company of
//! a requester's address book (`book_company_id`), with its primary address inline.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_companies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account: bool,
    pub book_company_id: Option<i64>,
    pub created_by_user_id: Option<i64>,
    pub third_party_id: Option<i64>,
    pub remote_id: Option<String>,
    pub invoicing_remote_id: Option<String>,
    pub name: String,
    pub email: String,
    pub phone_number: String,
    pub siren: String,
    pub trade_number: String,
    pub vat_number: String,
    pub country: String,
    pub notes: String,
    pub address_name: String,
    pub address: String,
    pub city: String,
    pub postcode: String,
    pub address_country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub radius: i32,
    pub coords_validated: bool,
    pub instructions: String,
    pub address_remote_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
