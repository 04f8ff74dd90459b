//! External locks fitted to vehicles: at most one active lock per vehicle.

use crate::entity::vehicle_external_lock as lock;
use crate::error::{Result, StoreError, conflict_on};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

/// A lock to register.
#[derive(Debug, Clone)]
pub struct NewLock {
    pub vehicle_id: i64,
    pub model: String,
    pub kind: String,
    pub serial_number: String,
    pub code: String,
}

/// The active lock of the vehicle, if any.
pub async fn active(db: &impl ConnectionTrait, vehicle_id: i64) -> Result<Option<lock::Model>> {
    Ok(lock::Entity::find()
        .filter(lock::Column::VehicleId.eq(vehicle_id))
        .filter(lock::Column::DecommissionedAt.is_null())
        .one(db)
        .await?)
}

async fn vehicle_in_service(db: &impl ConnectionTrait, vehicle_id: i64) -> Result<()> {
    let vehicle = crate::vehicles::get(db, vehicle_id).await?;
    if vehicle.decommissioned_at.is_some() {
        return Err(StoreError::Rule(format!(
            "vehicle {vehicle_id} is decommissioned"
        )));
    }
    crate::networks::open(db, vehicle.network_id).await?;
    Ok(())
}

/// Fit a lock to a vehicle in service of an open network, which has no active lock; the serial
/// number is unique among all locks, decommissioned ones included.
pub async fn register(db: &impl ConnectionTrait, new: NewLock) -> Result<lock::Model> {
    vehicle_in_service(db, new.vehicle_id).await?;
    if lock::Entity::find()
        .filter(lock::Column::SerialNumber.eq(new.serial_number.clone()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(StoreError::Conflict {
            field: "serial_number",
        });
    }
    if let Some(existing) = active(db, new.vehicle_id).await? {
        return Err(StoreError::Rule(format!(
            "vehicle {} already has an active external lock ({}); decommission it first",
            new.vehicle_id, existing.serial_number
        )));
    }
    lock::ActiveModel {
        vehicle_id: Set(new.vehicle_id),
        model: Set(new.model),
        kind: Set(new.kind),
        serial_number: Set(new.serial_number),
        code: Set(new.code),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on("serial_number"))
}

async fn active_of(db: &impl ConnectionTrait, vehicle_id: i64) -> Result<lock::Model> {
    vehicle_in_service(db, vehicle_id).await?;
    active(db, vehicle_id).await?.ok_or(StoreError::NotFound {
        entity: "active external lock of this vehicle",
    })
}

/// Take the vehicle's active lock off for good.
pub async fn decommission(db: &impl ConnectionTrait, vehicle_id: i64) -> Result<lock::Model> {
    let mut active = active_of(db, vehicle_id).await?.into_active_model();
    active.decommissioned_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

/// Change the code shown for the vehicle's active lock.
pub async fn update_code(
    db: &impl ConnectionTrait,
    vehicle_id: i64,
    code: String,
) -> Result<lock::Model> {
    let mut active = active_of(db, vehicle_id).await?.into_active_model();
    active.code = Set(code);
    Ok(active.update(db).await?)
}
