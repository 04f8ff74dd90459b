//! Reference catalogues kept in the database: vehicle models and payment methods.

use crate::entity::{payment_method, vehicle_model};
use crate::error::Result;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

/// Every vehicle model, by name.
pub async fn vehicle_models(db: &impl ConnectionTrait) -> Result<Vec<vehicle_model::Model>> {
    Ok(vehicle_model::Entity::find()
        .order_by_asc(vehicle_model::Column::Name)
        .all(db)
        .await?)
}

/// The vehicle model `id`.
pub async fn vehicle_model(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<vehicle_model::Model>> {
    Ok(vehicle_model::Entity::find_by_id(id).one(db).await?)
}

/// Every payment method the platform supports, by id.
pub async fn payment_methods(db: &impl ConnectionTrait) -> Result<Vec<payment_method::Model>> {
    Ok(payment_method::Entity::find()
        .order_by_asc(payment_method::Column::Id)
        .all(db)
        .await?)
}
