//! Maintenances: the operator-wide catalogue of maintenance types, and the maintenances opened
//! on stations, spots and vehicles. A vehicle under an open maintenance has the status
//! `maintenance`; it goes back to `available` when its last open maintenance closes.

use crate::entity::{
    cluster, maintenance, maintenance_type, spot, station, vehicle, virtual_parking,
};
use crate::error::{Result, StoreError, conflict_on};
use crate::pagination::{Keyset, PageOf};
use chrono::{DateTime, Utc};
use relais_domain::maintenance::{MaintenanceSeverity, MaintenanceTargetType};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::collections::HashMap;

/// The status of a vehicle under an open maintenance.
pub const VEHICLE_UNDER_MAINTENANCE: &str = "maintenance";
/// The status a vehicle goes back to when its last maintenance closes.
pub const VEHICLE_AVAILABLE: &str = "available";

/// Create a maintenance type; `key` is unique among all types, deleted ones included.
pub async fn create_type(
    db: &impl ConnectionTrait,
    key: &str,
    target_type: MaintenanceTargetType,
    severity: MaintenanceSeverity,
) -> Result<maintenance_type::Model> {
    if maintenance_type::Entity::find()
        .filter(maintenance_type::Column::Key.eq(key))
        .one(db)
        .await?
        .is_some()
    {
        return Err(StoreError::Conflict { field: "key" });
    }
    maintenance_type::ActiveModel {
        key: Set(key.to_owned()),
        target_type: Set(target_type.as_str().to_owned()),
        severity: Set(severity.as_str().to_owned()),
        created_at: Set(Utc::now()),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on("key"))
}

/// The maintenance types by key; deleted ones only when `with_deleted`.
pub async fn types(
    db: &impl ConnectionTrait,
    with_deleted: bool,
) -> Result<Vec<maintenance_type::Model>> {
    let mut query = maintenance_type::Entity::find().order_by_asc(maintenance_type::Column::Key);
    if !with_deleted {
        query = query.filter(maintenance_type::Column::DeletedAt.is_null());
    }
    Ok(query.all(db).await?)
}

/// The maintenance type `key`, deleted or not.
pub async fn type_by_key(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<maintenance_type::Model>> {
    Ok(maintenance_type::Entity::find()
        .filter(maintenance_type::Column::Key.eq(key))
        .one(db)
        .await?)
}

/// Delete the maintenance type `key` (sets its deletion date): no new maintenance may use it,
/// those opened with it stay. An absent or already deleted type is not found.
pub async fn delete_type(db: &impl ConnectionTrait, key: &str, at: DateTime<Utc>) -> Result<()> {
    let found = type_by_key(db, key)
        .await?
        .filter(|t| t.deleted_at.is_none())
        .ok_or(StoreError::NotFound {
            entity: "maintenance type",
        })?;
    maintenance_type::Entity::update_many()
        .col_expr(maintenance_type::Column::DeletedAt, Expr::value(at))
        .filter(maintenance_type::Column::Id.eq(found.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Where a maintenance applies, resolved from its target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Target {
    pub network_id: i64,
    pub cluster: Option<cluster::Model>,
    pub station_id: Option<i64>,
    pub spot_id: Option<i64>,
    pub vehicle_id: Option<i64>,
    pub vehicle_serial: Option<String>,
    /// The target (or, for a spot, its station) is decommissioned.
    pub decommissioned: bool,
}

async fn cluster_of(db: &impl ConnectionTrait, id: i64) -> Result<cluster::Model> {
    cluster::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "cluster" })
}

/// Resolve target `id` of kind `kind`; absent, it is reported naming `field`.
pub async fn target(
    db: &impl ConnectionTrait,
    kind: MaintenanceTargetType,
    id: i64,
    field: &'static str,
) -> Result<Target> {
    match kind {
        MaintenanceTargetType::Station => {
            let station =
                station::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .ok_or(StoreError::Missing {
                        entity: "station",
                        field,
                    })?;
            let cluster = cluster_of(db, station.cluster_id).await?;
            Ok(Target {
                network_id: cluster.network_id,
                cluster: Some(cluster),
                station_id: Some(station.id),
                decommissioned: station.decommissioned_at.is_some(),
                ..Default::default()
            })
        }
        MaintenanceTargetType::Spot => {
            let spot = spot::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(StoreError::Missing {
                    entity: "spot",
                    field,
                })?;
            let station = station::Entity::find_by_id(spot.station_id)
                .one(db)
                .await?
                .ok_or(StoreError::NotFound { entity: "station" })?;
            let cluster = cluster_of(db, station.cluster_id).await?;
            Ok(Target {
                network_id: cluster.network_id,
                cluster: Some(cluster),
                station_id: Some(station.id),
                spot_id: Some(spot.id),
                decommissioned: spot.decommissioned_at.is_some()
                    || station.decommissioned_at.is_some(),
                ..Default::default()
            })
        }
        MaintenanceTargetType::Vehicle => {
            let vehicle =
                vehicle::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .ok_or(StoreError::Missing {
                        entity: "vehicle",
                        field,
                    })?;
            vehicle_target(db, vehicle).await
        }
    }
}

/// A vehicle as a target: where it stands (spot, station and cluster, or the cluster of its
/// virtual parking) is given when known.
async fn vehicle_target(db: &impl ConnectionTrait, vehicle: vehicle::Model) -> Result<Target> {
    let mut target = Target {
        network_id: vehicle.network_id,
        vehicle_id: Some(vehicle.id),
        vehicle_serial: Some(vehicle.serial.clone()),
        decommissioned: vehicle.decommissioned_at.is_some(),
        ..Default::default()
    };
    if let Some(spot_id) = vehicle.spot_id
        && let Some(spot) = spot::Entity::find_by_id(spot_id).one(db).await?
        && let Some(station) = station::Entity::find_by_id(spot.station_id).one(db).await?
    {
        target.spot_id = Some(spot.id);
        target.station_id = Some(station.id);
        target.cluster = cluster::Entity::find_by_id(station.cluster_id)
            .one(db)
            .await?;
    } else if let Some(parking_id) = vehicle.virtual_parking_id
        && let Some(parking) = virtual_parking::Entity::find_by_id(parking_id)
            .one(db)
            .await?
        && let Some(cluster_id) = parking.cluster_id
    {
        target.cluster = cluster::Entity::find_by_id(cluster_id).one(db).await?;
    }
    Ok(target)
}

/// What a new maintenance is made of.
#[derive(Debug, Clone)]
pub struct NewMaintenance {
    pub type_id: i64,
    pub kind: MaintenanceTargetType,
    pub target_id: i64,
    pub comment: Option<String>,
    pub opened_by: i64,
}

/// Open a maintenance on a target (not decommissioned; its network open). A vehicle gets the
/// status `maintenance`.
pub async fn open(db: &DatabaseConnection, new: NewMaintenance) -> Result<maintenance::Model> {
    let txn = crate::db::begin_write(db).await?;
    let target = target(&txn, new.kind, new.target_id, "target_id").await?;
    crate::networks::open(&txn, target.network_id).await?;
    if target.decommissioned {
        return Err(StoreError::Rule(format!(
            "{} {} is decommissioned",
            new.kind, new.target_id
        )));
    }
    let (station_id, spot_id, vehicle_id) = match new.kind {
        MaintenanceTargetType::Station => (Some(new.target_id), None, None),
        MaintenanceTargetType::Spot => (None, Some(new.target_id), None),
        MaintenanceTargetType::Vehicle => (None, None, Some(new.target_id)),
    };
    let model = maintenance::ActiveModel {
        type_id: Set(new.type_id),
        network_id: Set(target.network_id),
        station_id: Set(station_id),
        spot_id: Set(spot_id),
        vehicle_id: Set(vehicle_id),
        comment: Set(new.comment),
        opened_by: Set(Some(new.opened_by)),
        opened_at: Set(Utc::now()),
        closed_by: Set(None),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(vehicle_id) = vehicle_id {
        vehicle::Entity::update_many()
            .col_expr(
                vehicle::Column::Status,
                Expr::value(VEHICLE_UNDER_MAINTENANCE),
            )
            .filter(vehicle::Column::Id.eq(vehicle_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(model)
}

/// The maintenance `id`.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<maintenance::Model> {
    maintenance::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "maintenance",
        })
}

/// Close maintenance `id` (its network open; closing twice is refused). A vehicle whose last
/// open maintenance this was goes back from `maintenance` to `available`.
pub async fn close(
    db: &DatabaseConnection,
    id: i64,
    closed_by: i64,
    at: DateTime<Utc>,
) -> Result<maintenance::Model> {
    let txn = crate::db::begin_write(db).await?;
    let found = get(&txn, id).await?;
    crate::networks::open(&txn, found.network_id).await?;
    if found.closed_at.is_some() {
        return Err(StoreError::Rule(format!(
            "maintenance {id} is closed already"
        )));
    }
    let closed = maintenance::ActiveModel {
        id: Set(id),
        closed_by: Set(Some(closed_by)),
        closed_at: Set(Some(at)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    if let Some(vehicle_id) = found.vehicle_id {
        let still_open = maintenance::Entity::find()
            .filter(maintenance::Column::VehicleId.eq(vehicle_id))
            .filter(maintenance::Column::ClosedAt.is_null())
            .one(&txn)
            .await?
            .is_some();
        if !still_open {
            vehicle::Entity::update_many()
                .col_expr(vehicle::Column::Status, Expr::value(VEHICLE_AVAILABLE))
                .filter(vehicle::Column::Id.eq(vehicle_id))
                .filter(vehicle::Column::Status.eq(VEHICLE_UNDER_MAINTENANCE))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(closed)
}

/// An open maintenance with its type and target.
#[derive(Debug, Clone)]
pub struct Current {
    pub maintenance: maintenance::Model,
    pub kind: maintenance_type::Model,
    pub target: Target,
}

/// A page of the open maintenances of `networks` whose target is not decommissioned (a spot
/// of a decommissioned station neither), with their type and target, in a fixed number of
/// queries whatever the page's size.
pub async fn current(
    db: &DatabaseConnection,
    within: &crate::Within,
    keyset: &Keyset,
) -> Result<PageOf<Current>> {
    use crate::within::in_clusters;
    use maintenance::Column as C;
    use sea_orm::sea_query::{ExprTrait, Query, SelectStatement};
    // Decommissioned targets are left out in SQL, so that a page is never short: each test
    // is a primary-key lookup per row.
    let decommissioned = |table: SelectStatement| Expr::exists(table).not();
    let station_gone = |column: (maintenance::Entity, C)| {
        Query::select()
            .expr(Expr::val(1))
            .from(station::Entity)
            .and_where(Expr::col((station::Entity, station::Column::Id)).equals(column))
            .and_where(
                Expr::col((station::Entity, station::Column::DecommissionedAt)).is_not_null(),
            )
            .to_owned()
    };
    let spot_gone = Query::select()
        .expr(Expr::val(1))
        .from(spot::Entity)
        .inner_join(
            station::Entity,
            Expr::col((station::Entity, station::Column::Id))
                .equals((spot::Entity, spot::Column::StationId)),
        )
        .and_where(
            Expr::col((spot::Entity, spot::Column::Id)).equals((maintenance::Entity, C::SpotId)),
        )
        .and_where(
            Expr::col((spot::Entity, spot::Column::DecommissionedAt))
                .is_not_null()
                .or(Expr::col((station::Entity, station::Column::DecommissionedAt)).is_not_null()),
        )
        .to_owned();
    let vehicle_gone = Query::select()
        .expr(Expr::val(1))
        .from(vehicle::Entity)
        .and_where(
            Expr::col((vehicle::Entity, vehicle::Column::Id))
                .equals((maintenance::Entity, C::VehicleId)),
        )
        .and_where(Expr::col((vehicle::Entity, vehicle::Column::DecommissionedAt)).is_not_null())
        .to_owned();
    let query = maintenance::Entity::find()
        .filter(within.condition_with(C::NetworkId, |clusters| {
            sea_orm::Condition::any()
                .add(Expr::col(C::StationId).in_subquery(in_clusters::stations(clusters)))
                .add(Expr::col(C::SpotId).in_subquery(in_clusters::spots(clusters)))
                .add(Expr::col(C::VehicleId).in_subquery(in_clusters::vehicles(clusters)))
        }))
        .filter(C::ClosedAt.is_null())
        .filter(decommissioned(station_gone((
            maintenance::Entity,
            C::StationId,
        ))))
        .filter(decommissioned(spot_gone))
        .filter(decommissioned(vehicle_gone));
    let page = keyset.fetch(db, query, C::Id, None).await?;
    let types = crate::map_by_ids::<maintenance_type::Entity>(
        db,
        maintenance_type::Column::Id,
        page.items.iter().map(|m| m.type_id),
        |t| t.id,
    )
    .await?;
    let mut targets = targets(db, &page.items).await?;
    let has_more = page.has_more;
    let items = page
        .items
        .into_iter()
        .filter_map(|m| {
            let target = targets.remove(&m.id)?;
            let kind = types.get(&m.type_id).cloned()?;
            Some(Current {
                maintenance: m,
                kind,
                target,
            })
        })
        .collect();
    Ok(PageOf { items, has_more })
}

/// The targets of `maintenances` by maintenance id, resolved as [`target`] does, in one query
/// per table.
async fn targets(
    db: &impl ConnectionTrait,
    maintenances: &[maintenance::Model],
) -> Result<HashMap<i64, Target>> {
    use crate::map_by_ids;
    let vehicles = map_by_ids::<vehicle::Entity>(
        db,
        vehicle::Column::Id,
        maintenances.iter().filter_map(|m| m.vehicle_id),
        |v| v.id,
    )
    .await?;
    let spots = map_by_ids::<spot::Entity>(
        db,
        spot::Column::Id,
        maintenances
            .iter()
            .filter_map(|m| m.spot_id)
            .chain(vehicles.values().filter_map(|v| v.spot_id)),
        |s| s.id,
    )
    .await?;
    let stations = map_by_ids::<station::Entity>(
        db,
        station::Column::Id,
        maintenances
            .iter()
            .filter_map(|m| m.station_id)
            .chain(spots.values().map(|s| s.station_id)),
        |s| s.id,
    )
    .await?;
    let parkings = map_by_ids::<virtual_parking::Entity>(
        db,
        virtual_parking::Column::Id,
        vehicles.values().filter_map(|v| v.virtual_parking_id),
        |p| p.id,
    )
    .await?;
    let clusters = map_by_ids::<cluster::Entity>(
        db,
        cluster::Column::Id,
        stations
            .values()
            .map(|s| s.cluster_id)
            .chain(parkings.values().filter_map(|p| p.cluster_id)),
        |c| c.id,
    )
    .await?;
    let mut out = HashMap::with_capacity(maintenances.len());
    for m in maintenances {
        let target = if let Some(station) = m.station_id.and_then(|id| stations.get(&id)) {
            let Some(cluster) = clusters.get(&station.cluster_id) else {
                continue;
            };
            Target {
                network_id: cluster.network_id,
                cluster: Some(cluster.clone()),
                station_id: Some(station.id),
                decommissioned: station.decommissioned_at.is_some(),
                ..Default::default()
            }
        } else if let Some(spot) = m.spot_id.and_then(|id| spots.get(&id)) {
            let Some(station) = stations.get(&spot.station_id) else {
                continue;
            };
            let Some(cluster) = clusters.get(&station.cluster_id) else {
                continue;
            };
            Target {
                network_id: cluster.network_id,
                cluster: Some(cluster.clone()),
                station_id: Some(station.id),
                spot_id: Some(spot.id),
                decommissioned: spot.decommissioned_at.is_some()
                    || station.decommissioned_at.is_some(),
                ..Default::default()
            }
        } else if let Some(vehicle) = m.vehicle_id.and_then(|id| vehicles.get(&id)) {
            let mut target = Target {
                network_id: vehicle.network_id,
                vehicle_id: Some(vehicle.id),
                vehicle_serial: Some(vehicle.serial.clone()),
                decommissioned: vehicle.decommissioned_at.is_some(),
                ..Default::default()
            };
            if let Some(spot) = vehicle.spot_id.and_then(|id| spots.get(&id))
                && let Some(station) = stations.get(&spot.station_id)
            {
                target.spot_id = Some(spot.id);
                target.station_id = Some(station.id);
                target.cluster = clusters.get(&station.cluster_id).cloned();
            } else if let Some(parking) =
                vehicle.virtual_parking_id.and_then(|id| parkings.get(&id))
                && let Some(cluster_id) = parking.cluster_id
            {
                target.cluster = clusters.get(&cluster_id).cloned();
            }
            target
        } else {
            continue;
        };
        out.insert(m.id, target);
    }
    Ok(out)
}

/// The maintenance type `id`, deleted or not.
pub async fn type_of(db: &impl ConnectionTrait, id: i64) -> Result<maintenance_type::Model> {
    maintenance_type::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "maintenance type",
        })
}
