//! The `product_titles` table: the distinct product titles of a network's transactions, so a
//! part of a title is looked for among a few hundred rows, then read on the transactions'
//! title index.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_titles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub network_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub title: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
