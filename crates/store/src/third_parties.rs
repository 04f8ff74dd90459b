//! Third parties: the companies the operator works with (network owners, partners), created by
//! hand or imported from the ERP.

use crate::entity::third_party;
use crate::error::{Result, StoreError, conflict_on};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// A third party to create. `erp_id` is set when it comes from the ERP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewThirdParty {
    pub name: String,
    pub address: String,
    pub zipcode: String,
    pub city: String,
    pub country_id: i32,
    pub erp_id: Option<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub vat_number: Option<String>,
}

/// The third party `id`.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<third_party::Model>> {
    Ok(third_party::Entity::find_by_id(id).one(db).await?)
}

/// Every third party, by name then id.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<third_party::Model>> {
    Ok(third_party::Entity::find()
        .order_by_asc(third_party::Column::Name)
        .order_by_asc(third_party::Column::Id)
        .all(db)
        .await?)
}

/// The ERP ids of the third parties already imported.
pub async fn erp_ids(db: &impl ConnectionTrait) -> Result<Vec<i64>> {
    let ids: Vec<Option<i64>> = third_party::Entity::find()
        .select_only()
        .column(third_party::Column::ErpId)
        .filter(third_party::Column::ErpId.is_not_null())
        .order_by_asc(third_party::Column::ErpId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}

/// The third party imported from the ERP company `erp_id`, if any.
pub async fn by_erp_id(
    db: &impl ConnectionTrait,
    erp_id: i64,
) -> Result<Option<third_party::Model>> {
    Ok(third_party::Entity::find()
        .filter(third_party::Column::ErpId.eq(erp_id))
        .one(db)
        .await?)
}

/// Create a third party. An `erp_id` already imported is a conflict on `erp_id`.
pub async fn create(db: &impl ConnectionTrait, new: NewThirdParty) -> Result<third_party::Model> {
    if let Some(erp_id) = new.erp_id
        && by_erp_id(db, erp_id).await?.is_some()
    {
        return Err(StoreError::Conflict { field: "erp_id" });
    }
    let model = third_party::ActiveModel {
        name: Set(new.name),
        address: Set(new.address),
        zipcode: Set(new.zipcode),
        city: Set(new.city),
        country_id: Set(new.country_id),
        erp_id: Set(new.erp_id),
        email: Set(new.email),
        phone: Set(new.phone),
        vat_number: Set(new.vat_number),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    // The unique key on erp_id settles a race between two imports of the same company.
    model.insert(db).await.map_err(conflict_on("erp_id"))
}
