//! Geofencing: the border of a network and its settings, speed zones and virtual parkings.
//!
//! Shapes arrive validated ([`Shape`]) and are stored as the text of [`Shape::to_storage`]; they
//! are read back with [`Shape::from_storage`]. Every change goes through `networks::open` (a
//! closed network refuses them; a virtual parking without a network has none to check). Speed
//! zones and virtual parkings are never removed: deleting one sets its `deleted_at`, after which
//! it is no longer listed, found or changeable, but its row stays for history.
//!
//! Every change raises the network's `zones_version` in its transaction ([`bump_zones_version`]),
//! so that a reader keeping the parsed zones in memory (the IoT link) sees it with the next row
//! it reads.

use crate::entity::{network, speed_zone, virtual_parking};
use crate::error::{Result, StoreError};
use crate::networks;
use chrono::{DateTime, Utc};
use relais_domain::geometry::{ParkingArea, Shape, SpeedZoneArea, Zones};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};

/// What happens when a vehicle leaves the border of its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BorderSettings {
    pub trigger_alert: bool,
    pub notify_user: bool,
    pub reduce_vehicle_speed: bool,
    pub play_vehicle_sound: bool,
    pub lock_vehicle: bool,
}

/// The border of a network and its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Border {
    pub network_id: i64,
    /// `None` when the network has no border.
    pub shape: Option<Shape>,
    pub settings: BorderSettings,
}

/// A speed zone (never a deleted one).
#[derive(Debug, Clone, PartialEq)]
pub struct SpeedZone {
    pub id: i64,
    pub network_id: i64,
    pub shape: Shape,
    /// km/h.
    pub max_speed: i32,
    pub created_at: DateTime<Utc>,
}

/// A virtual parking (never a deleted one).
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualParking {
    pub id: i64,
    /// `None` for a parking that belongs to no network.
    pub network_id: Option<i64>,
    pub shape: Shape,
    pub capacity: i32,
    pub created_at: DateTime<Utc>,
}

/// A network the request names by `network_id`: an unknown one is reported on that field.
fn named(err: StoreError) -> StoreError {
    match err {
        StoreError::NotFound { entity } => StoreError::Missing {
            entity,
            field: "network_id",
        },
        other => other,
    }
}

/// The network `id` named by the request, which must exist (closed ones included).
async fn existing_network(db: &impl ConnectionTrait, id: i64) -> Result<network::Model> {
    networks::existing(db, id).await.map_err(named)
}

/// The network `id` named by the request, which must exist and be open.
async fn open_network(db: &impl ConnectionTrait, id: i64) -> Result<network::Model> {
    networks::open(db, id).await.map_err(named)
}

/// Raise the `zones_version` of network `network_id`; call it in the transaction of the change.
pub async fn bump_zones_version(db: &impl ConnectionTrait, network_id: i64) -> Result<()> {
    network::Entity::update_many()
        .col_expr(
            network::Column::ZonesVersion,
            Expr::col(network::Column::ZonesVersion).add(1),
        )
        .filter(network::Column::Id.eq(network_id))
        .exec(db)
        .await?;
    Ok(())
}

fn stored_shape(text: &str, what: &str, id: i64) -> Result<Shape> {
    Shape::from_storage(text)
        .map_err(|err| StoreError::Db(DbErr::Custom(format!("stored shape of {what} {id}: {err}"))))
}

fn border_of(network: &network::Model) -> Result<Border> {
    Ok(Border {
        network_id: network.id,
        shape: network
            .border_shape
            .as_deref()
            .map(|text| stored_shape(text, "network", network.id))
            .transpose()?,
        settings: BorderSettings {
            trigger_alert: network.border_trigger_alert,
            notify_user: network.border_notify_user,
            reduce_vehicle_speed: network.border_reduce_vehicle_speed,
            play_vehicle_sound: network.border_play_vehicle_sound,
            lock_vehicle: network.border_lock_vehicle,
        },
    })
}

fn speed_zone_of(model: speed_zone::Model) -> Result<SpeedZone> {
    Ok(SpeedZone {
        shape: stored_shape(&model.shape, "speed zone", model.id)?,
        id: model.id,
        network_id: model.network_id,
        max_speed: model.max_speed,
        created_at: model.created_at,
    })
}

fn parking_of(model: virtual_parking::Model) -> Result<VirtualParking> {
    Ok(VirtualParking {
        shape: stored_shape(&model.shape, "virtual parking", model.id)?,
        id: model.id,
        network_id: model.network_id,
        capacity: model.capacity,
        created_at: model.created_at,
    })
}

/// The border of network `network_id` (404 on `network_id` when there is no such network).
pub async fn border(db: &impl ConnectionTrait, network_id: i64) -> Result<Border> {
    border_of(&existing_network(db, network_id).await?)
}

/// Replace the border of the open network `network_id`.
pub async fn set_border_shape(
    db: &DatabaseConnection,
    network_id: i64,
    shape: &Shape,
) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    open_network(&txn, network_id).await?;
    network::ActiveModel {
        id: Set(network_id),
        border_shape: Set(Some(shape.to_storage())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    bump_zones_version(&txn, network_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Replace the border settings of the open network `network_id`.
pub async fn set_border_settings(
    db: &DatabaseConnection,
    network_id: i64,
    settings: BorderSettings,
) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    open_network(&txn, network_id).await?;
    network::ActiveModel {
        id: Set(network_id),
        border_trigger_alert: Set(settings.trigger_alert),
        border_notify_user: Set(settings.notify_user),
        border_reduce_vehicle_speed: Set(settings.reduce_vehicle_speed),
        border_play_vehicle_sound: Set(settings.play_vehicle_sound),
        border_lock_vehicle: Set(settings.lock_vehicle),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    bump_zones_version(&txn, network_id).await?;
    txn.commit().await?;
    Ok(())
}

async fn speed_zone_rows(
    db: &impl ConnectionTrait,
    network_id: i64,
) -> Result<Vec<speed_zone::Model>> {
    Ok(speed_zone::Entity::find()
        .filter(speed_zone::Column::NetworkId.eq(network_id))
        .filter(speed_zone::Column::DeletedAt.is_null())
        .order_by_asc(speed_zone::Column::Id)
        .all(db)
        .await?)
}

async fn parking_rows(
    db: &impl ConnectionTrait,
    network_id: i64,
) -> Result<Vec<virtual_parking::Model>> {
    Ok(virtual_parking::Entity::find()
        .filter(virtual_parking::Column::NetworkId.eq(network_id))
        .filter(virtual_parking::Column::DeletedAt.is_null())
        .order_by_asc(virtual_parking::Column::Id)
        .all(db)
        .await?)
}

/// The speed zones of network `network_id` (which must exist), oldest first.
pub async fn speed_zones(db: &impl ConnectionTrait, network_id: i64) -> Result<Vec<SpeedZone>> {
    existing_network(db, network_id).await?;
    speed_zone_rows(db, network_id)
        .await?
        .into_iter()
        .map(speed_zone_of)
        .collect()
}

/// The speed zone `id`, unless deleted (`NotFound` then).
pub async fn speed_zone(db: &impl ConnectionTrait, id: i64) -> Result<SpeedZone> {
    let model = speed_zone::Entity::find_by_id(id)
        .filter(speed_zone::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "speed zone",
        })?;
    speed_zone_of(model)
}

/// Add a speed zone (`max_speed` in km/h) to the open network `network_id`.
pub async fn create_speed_zone(
    db: &DatabaseConnection,
    network_id: i64,
    shape: &Shape,
    max_speed: i32,
) -> Result<SpeedZone> {
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    open_network(db, network_id).await?;
    let model = speed_zone::ActiveModel {
        network_id: Set(network_id),
        shape: Set(shape.to_storage()),
        max_speed: Set(max_speed),
        created_at: Set(Utc::now()),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    bump_zones_version(db, network_id).await?;
    txn.commit().await?;
    speed_zone_of(model)
}

/// Change the shape and/or the limit of speed zone `id` (not deleted; its network open).
pub async fn update_speed_zone(
    db: &DatabaseConnection,
    id: i64,
    shape: Option<&Shape>,
    max_speed: Option<i32>,
) -> Result<SpeedZone> {
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    let zone = speed_zone(db, id).await?;
    networks::open(db, zone.network_id).await?;
    let mut update = speed_zone::Entity::update_many()
        .filter(speed_zone::Column::Id.eq(id))
        .filter(speed_zone::Column::DeletedAt.is_null());
    if let Some(shape) = shape {
        update = update.col_expr(speed_zone::Column::Shape, Expr::value(shape.to_storage()));
    }
    if let Some(max_speed) = max_speed {
        update = update.col_expr(speed_zone::Column::MaxSpeed, Expr::value(max_speed));
    }
    if shape.is_some() || max_speed.is_some() {
        let result = update.exec(db).await?;
        if result.rows_affected == 0 {
            // Deleted in between.
            return Err(StoreError::NotFound {
                entity: "speed zone",
            });
        }
        bump_zones_version(db, zone.network_id).await?;
    }
    let zone = speed_zone(db, id).await?;
    txn.commit().await?;
    Ok(zone)
}

/// Delete speed zone `id` (not deleted already; its network open) as of `at`: the row is kept.
pub async fn delete_speed_zone(db: &DatabaseConnection, id: i64, at: DateTime<Utc>) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    let zone = speed_zone(db, id).await?;
    networks::open(db, zone.network_id).await?;
    let result = speed_zone::Entity::update_many()
        .col_expr(speed_zone::Column::DeletedAt, Expr::value(at))
        .filter(speed_zone::Column::Id.eq(id))
        .filter(speed_zone::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(StoreError::NotFound {
            entity: "speed zone",
        });
    }
    bump_zones_version(db, zone.network_id).await?;
    txn.commit().await?;
    Ok(())
}

/// The virtual parkings of network `network_id` (which must exist), oldest first.
pub async fn virtual_parkings(
    db: &impl ConnectionTrait,
    within: &crate::Within,
) -> Result<Vec<VirtualParking>> {
    virtual_parking::Entity::find()
        .filter(within.condition(
            virtual_parking::Column::NetworkId,
            virtual_parking::Column::ClusterId,
        ))
        .filter(virtual_parking::Column::DeletedAt.is_null())
        .order_by_asc(virtual_parking::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(parking_of)
        .collect()
}

/// The virtual parking `id`, unless deleted (`NotFound` then).
pub async fn virtual_parking(db: &impl ConnectionTrait, id: i64) -> Result<VirtualParking> {
    let model = virtual_parking::Entity::find_by_id(id)
        .filter(virtual_parking::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "virtual parking",
        })?;
    parking_of(model)
}

/// Add a virtual parking to the open network `network_id`, or to no network.
pub async fn create_virtual_parking(
    db: &DatabaseConnection,
    network_id: Option<i64>,
    shape: &Shape,
    capacity: i32,
) -> Result<VirtualParking> {
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    if let Some(network_id) = network_id {
        open_network(db, network_id).await?;
    }
    let model = virtual_parking::ActiveModel {
        network_id: Set(network_id),
        shape: Set(shape.to_storage()),
        capacity: Set(capacity),
        created_at: Set(Utc::now()),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if let Some(network_id) = network_id {
        bump_zones_version(db, network_id).await?;
    }
    txn.commit().await?;
    parking_of(model)
}

/// Replace the shape and the capacity of virtual parking `id` (not deleted; its network open).
pub async fn update_virtual_parking(
    db: &DatabaseConnection,
    id: i64,
    shape: &Shape,
    capacity: i32,
) -> Result<VirtualParking> {
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    let parking = virtual_parking(db, id).await?;
    if let Some(network_id) = parking.network_id {
        networks::open(db, network_id).await?;
    }
    let result = virtual_parking::Entity::update_many()
        .col_expr(
            virtual_parking::Column::Shape,
            Expr::value(shape.to_storage()),
        )
        .col_expr(virtual_parking::Column::Capacity, Expr::value(capacity))
        .filter(virtual_parking::Column::Id.eq(id))
        .filter(virtual_parking::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(StoreError::NotFound {
            entity: "virtual parking",
        });
    }
    if let Some(network_id) = parking.network_id {
        bump_zones_version(db, network_id).await?;
    }
    let parking = virtual_parking(db, id).await?;
    txn.commit().await?;
    Ok(parking)
}

/// Delete virtual parking `id` (not deleted already; its network open) as of `at`: the row is
/// kept.
pub async fn delete_virtual_parking(
    db: &DatabaseConnection,
    id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    let parking = virtual_parking(db, id).await?;
    if let Some(network_id) = parking.network_id {
        networks::open(db, network_id).await?;
    }
    let result = virtual_parking::Entity::update_many()
        .col_expr(virtual_parking::Column::DeletedAt, Expr::value(at))
        .filter(virtual_parking::Column::Id.eq(id))
        .filter(virtual_parking::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(StoreError::NotFound {
            entity: "virtual parking",
        });
    }
    if let Some(network_id) = parking.network_id {
        bump_zones_version(db, network_id).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The geofencing of network `network_id` (which must exist): its border, speed zones and
/// virtual parkings, ready for position queries.
pub async fn zones(db: &impl ConnectionTrait, network_id: i64) -> Result<Zones<i64>> {
    let network = existing_network(db, network_id).await?;
    let border = border_of(&network)?.shape;
    let speed_zones = speed_zone_rows(db, network_id)
        .await?
        .into_iter()
        .map(|model| {
            let zone = speed_zone_of(model)?;
            Ok(SpeedZoneArea {
                id: zone.id,
                shape: zone.shape,
                max_speed: u8::try_from(zone.max_speed).unwrap_or(u8::MAX),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let parkings = parking_rows(db, network_id)
        .await?
        .into_iter()
        .map(|model| {
            let parking = parking_of(model)?;
            Ok(ParkingArea {
                id: parking.id,
                shape: parking.shape,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Zones {
        border,
        speed_zones,
        parkings,
    })
}
