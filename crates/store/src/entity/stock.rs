//! The `stocks` table: a stock address where vehicles are stored, with an optional shape.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stocks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network_id: Option<i64>,
    pub name: String,
    pub country_id: i32,
    pub city: String,
    pub zipcode: String,
    pub street: String,
    pub shape: Option<String>,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
