//! Third parties: the companies the operator works with (network owners, partners), created by
//! hand or imported from the ERP.

use crate::entity::third_party;
use crate::error::Result;
use sea_orm::{ConnectionTrait, EntityTrait};

/// The third party `id`.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<third_party::Model>> {
    Ok(third_party::Entity::find_by_id(id).one(db).await?)
}
