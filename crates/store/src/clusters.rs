//! Clusters: the places where stations stand, with their descriptions, pictures, virtual
//! parkings, and the live state of their stations, spots and vehicles.
//!
//! A cluster is never removed: "deleting" it sets `decommissioned_at`; its stations and spots
//! stay for history. Every change goes through `networks::open` (a closed network refuses it).
//! Columns added by the fleet migration carry no foreign key (`vehicles.spot_id`,
//! `vehicles.virtual_parking_id`, `virtual_parkings.cluster_id`): this module keeps them
//! consistent.

use crate::entity::{
    cluster, cluster_description, cluster_picture, maintenance, maintenance_type, out_of_order,
    spot, station, station_outage, vehicle, virtual_parking,
};
use crate::error::{Result, StoreError};
use crate::networks;
use crate::pagination::{Keyset, PageOf, SortDir};
use chrono::{DateTime, Utc};
use relais_domain::geometry::Shape;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use std::collections::{BTreeSet, HashMap};

/// What a cluster offers right now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Availability {
    /// Stations not decommissioned.
    pub station_count: u64,
    /// Spots not decommissioned, on stations not decommissioned.
    pub spot_count: u64,
    /// Of those, the spots holding no vehicle.
    pub free_spots: u64,
    /// Vehicles `available` in its spots or in its virtual parkings.
    pub vehicles_available: u64,
}

/// The cluster `id`, if it exists.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<cluster::Model>> {
    Ok(cluster::Entity::find_by_id(id).one(db).await?)
}

/// The cluster `id`, which must exist.
pub async fn existing(db: &impl ConnectionTrait, id: i64) -> Result<cluster::Model> {
    get(db, id)
        .await?
        .ok_or(StoreError::NotFound { entity: "cluster" })
}

/// The cluster `id`, which must exist, on an open network: what every change starts with.
async fn open(db: &impl ConnectionTrait, id: i64) -> Result<cluster::Model> {
    let cluster = existing(db, id).await?;
    networks::open(db, cluster.network_id).await?;
    Ok(cluster)
}

/// A page of the clusters of `networks`, decommissioned ones included, by name then id.
pub async fn list(
    db: &DatabaseConnection,
    within: &crate::Within,
    keyset: &Keyset,
) -> Result<PageOf<cluster::Model>> {
    let query = cluster::Entity::find()
        .filter(within.condition(cluster::Column::NetworkId, cluster::Column::Id));
    Ok(keyset
        .fetch(
            db,
            query,
            cluster::Column::Id,
            Some((cluster::Column::Name, SortDir::Asc)),
        )
        .await?)
}

/// A page of the clusters of `networks` whose name contains `name` (case-insensitive, `%` and
/// `_` literal), only those with (or without) a badge reader when asked; by name then id.
pub async fn search(
    db: &DatabaseConnection,
    within: &crate::Within,
    name: &str,
    badge_reader: Option<bool>,
    keyset: &Keyset,
) -> Result<PageOf<cluster::Model>> {
    let mut query = cluster::Entity::find()
        .filter(within.condition(cluster::Column::NetworkId, cluster::Column::Id))
        .filter(crate::text::contains_ignoring_case(
            Expr::col(cluster::Column::Name),
            name,
        ));
    if let Some(badge_reader) = badge_reader {
        query = query.filter(cluster::Column::BadgeReader.eq(badge_reader));
    }
    Ok(keyset
        .fetch(
            db,
            query,
            cluster::Column::Id,
            Some((cluster::Column::Name, SortDir::Asc)),
        )
        .await?)
}

/// The availability of each of `clusters` (every id gets an entry).
pub async fn availability(
    db: &impl ConnectionTrait,
    clusters: &[i64],
) -> Result<HashMap<i64, Availability>> {
    let mut out: HashMap<i64, Availability> = clusters
        .iter()
        .map(|id| (*id, Availability::default()))
        .collect();
    if clusters.is_empty() {
        return Ok(out);
    }
    let stations = station::Entity::find()
        .filter(station::Column::ClusterId.is_in(clusters.iter().copied()))
        .filter(station::Column::DecommissionedAt.is_null())
        .all(db)
        .await?;
    let station_cluster: HashMap<i64, i64> =
        stations.iter().map(|s| (s.id, s.cluster_id)).collect();
    for s in &stations {
        out.entry(s.cluster_id).or_default().station_count += 1;
    }
    let spots = spot::Entity::find()
        .filter(spot::Column::StationId.is_in(station_cluster.keys().copied()))
        .filter(spot::Column::DecommissionedAt.is_null())
        .all(db)
        .await?;
    let mut spot_cluster: HashMap<i64, i64> = HashMap::new();
    for s in &spots {
        let cluster_id = station_cluster[&s.station_id];
        spot_cluster.insert(s.id, cluster_id);
        let entry = out.entry(cluster_id).or_default();
        entry.spot_count += 1;
        if s.vehicle_id.is_none() {
            entry.free_spots += 1;
        }
    }
    let parkings = virtual_parking::Entity::find()
        .filter(virtual_parking::Column::ClusterId.is_in(clusters.iter().copied()))
        .filter(virtual_parking::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let parking_cluster: HashMap<i64, i64> = parkings
        .iter()
        .filter_map(|p| p.cluster_id.map(|c| (p.id, c)))
        .collect();
    let vehicles = vehicle::Entity::find()
        .filter(vehicle::Column::Status.eq("available"))
        .filter(vehicle::Column::DecommissionedAt.is_null())
        .filter(
            vehicle::Column::SpotId
                .is_in(spot_cluster.keys().copied())
                .or(vehicle::Column::VirtualParkingId.is_in(parking_cluster.keys().copied())),
        )
        .all(db)
        .await?;
    for v in vehicles {
        let cluster_id = v
            .spot_id
            .and_then(|s| spot_cluster.get(&s))
            .or_else(|| v.virtual_parking_id.and_then(|p| parking_cluster.get(&p)));
        if let Some(cluster_id) = cluster_id {
            out.entry(*cluster_id).or_default().vehicles_available += 1;
        }
    }
    Ok(out)
}

/// Mark cluster `id` decommissioned (its network open); twice is refused.
pub async fn decommission(db: &impl ConnectionTrait, id: i64) -> Result<cluster::Model> {
    let current = open(db, id).await?;
    if current.decommissioned_at.is_some() {
        return Err(StoreError::Rule(
            "this cluster is already decommissioned".into(),
        ));
    }
    let mut active: cluster::ActiveModel = current.into();
    active.decommissioned_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

/// What can change on a cluster (absent: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ClusterChange {
    pub location: Option<String>,
    pub max_unlock_distance: Option<i32>,
    pub comment: Option<String>,
    pub forced_down: Option<bool>,
    pub commissioned_at: Option<DateTime<Utc>>,
}

/// Change cluster `id` (its network open).
pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    change: ClusterChange,
) -> Result<cluster::Model> {
    let current = open(db, id).await?;
    let mut active: cluster::ActiveModel = current.into();
    if let Some(location) = change.location {
        active.location = Set(Some(location));
    }
    if let Some(distance) = change.max_unlock_distance {
        active.max_unlock_distance = Set(distance);
    }
    if let Some(comment) = change.comment {
        active.comment = Set(Some(comment));
    }
    if let Some(forced_down) = change.forced_down {
        active.forced_down = Set(forced_down);
    }
    if let Some(date) = change.commissioned_at {
        active.commissioned_at = Set(Some(date));
    }
    Ok(active.update(db).await?)
}

/// The descriptions of cluster `id`, by language.
pub async fn descriptions(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Vec<cluster_description::Model>> {
    Ok(cluster_description::Entity::find()
        .filter(cluster_description::Column::ClusterId.eq(id))
        .order_by_asc(cluster_description::Column::Lang)
        .all(db)
        .await?)
}

/// The description of a cluster in `lang`, else in English, else in the first language.
pub fn localized<'a>(
    descriptions: &'a [cluster_description::Model],
    lang: &str,
) -> Option<&'a cluster_description::Model> {
    descriptions
        .iter()
        .find(|d| d.lang == lang)
        .or_else(|| descriptions.iter().find(|d| d.lang == "en"))
        .or_else(|| descriptions.first())
}

/// Set the description of cluster `id` in `lang`, or remove it with `None` (its network open).
pub async fn set_description(
    db: &impl ConnectionTrait,
    id: i64,
    lang: &str,
    text: Option<String>,
) -> Result<()> {
    open(db, id).await?;
    let existing = cluster_description::Entity::find_by_id((id, lang.to_owned()))
        .one(db)
        .await?;
    match (existing, text) {
        (Some(row), Some(text)) => {
            let mut active: cluster_description::ActiveModel = row.into();
            active.description = Set(text);
            active.updated_at = Set(Utc::now());
            active.update(db).await?;
        }
        (None, Some(text)) => {
            cluster_description::ActiveModel {
                cluster_id: Set(id),
                lang: Set(lang.to_owned()),
                description: Set(text),
                updated_at: Set(Utc::now()),
            }
            .insert(db)
            .await?;
        }
        (Some(row), None) => {
            cluster_description::Entity::delete_by_id((row.cluster_id, row.lang))
                .exec(db)
                .await?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// The pictures of cluster `id`, oldest first.
pub async fn pictures(db: &impl ConnectionTrait, id: i64) -> Result<Vec<cluster_picture::Model>> {
    Ok(cluster_picture::Entity::find()
        .filter(cluster_picture::Column::ClusterId.eq(id))
        .order_by_asc(cluster_picture::Column::Id)
        .all(db)
        .await?)
}

/// Picture `picture_id` of cluster `cluster_id`.
pub async fn picture(
    db: &impl ConnectionTrait,
    cluster_id: i64,
    picture_id: i64,
) -> Result<cluster_picture::Model> {
    cluster_picture::Entity::find_by_id(picture_id)
        .filter(cluster_picture::Column::ClusterId.eq(cluster_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "cluster picture",
        })
}

/// Record a picture stored under `key` for cluster `id` (its network open).
pub async fn add_picture(
    db: &impl ConnectionTrait,
    id: i64,
    key: &str,
    content_type: &str,
    size: i64,
) -> Result<cluster_picture::Model> {
    open(db, id).await?;
    cluster_picture::ActiveModel {
        cluster_id: Set(id),
        key: Set(key.to_owned()),
        content_type: Set(content_type.to_owned()),
        size: Set(size),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(crate::error::conflict_on("cluster_picture"))
}

/// Remove the picture of cluster `id` stored under `key` (its network open); answers the
/// removed row, so that the caller deletes the object.
pub async fn delete_picture(
    db: &impl ConnectionTrait,
    id: i64,
    key: &str,
) -> Result<cluster_picture::Model> {
    open(db, id).await?;
    let row = cluster_picture::Entity::find()
        .filter(cluster_picture::Column::ClusterId.eq(id))
        .filter(cluster_picture::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or(StoreError::Missing {
            entity: "cluster picture",
            field: "picture",
        })?;
    cluster_picture::Entity::delete_by_id(row.id)
        .exec(db)
        .await?;
    Ok(row)
}

/// A station with its spots and the vehicle of each.
#[derive(Debug, Clone)]
pub struct StationSpots {
    pub station: station::Model,
    pub spots: Vec<(spot::Model, Option<vehicle::Model>)>,
}

/// The stations of cluster `id` (decommissioned ones included), oldest first, with their
/// spots by number and the vehicle in each.
pub async fn stations(db: &impl ConnectionTrait, id: i64) -> Result<Vec<StationSpots>> {
    let stations = station::Entity::find()
        .filter(station::Column::ClusterId.eq(id))
        .order_by_asc(station::Column::Id)
        .all(db)
        .await?;
    let spots = spot::Entity::find()
        .filter(spot::Column::StationId.is_in(stations.iter().map(|s| s.id)))
        .order_by_asc(spot::Column::StationId)
        .order_by_asc(spot::Column::Number)
        .all(db)
        .await?;
    let vehicle_ids: BTreeSet<i64> = spots.iter().filter_map(|s| s.vehicle_id).collect();
    let mut vehicles: HashMap<i64, vehicle::Model> = vehicle::Entity::find()
        .filter(vehicle::Column::Id.is_in(vehicle_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let mut by_station: HashMap<i64, Vec<(spot::Model, Option<vehicle::Model>)>> = HashMap::new();
    for s in spots {
        let vehicle = s.vehicle_id.and_then(|v| vehicles.remove(&v));
        by_station
            .entry(s.station_id)
            .or_default()
            .push((s, vehicle));
    }
    Ok(stations
        .into_iter()
        .map(|station| StationSpots {
            spots: by_station.remove(&station.id).unwrap_or_default(),
            station,
        })
        .collect())
}

/// A page of the outages of the stations of cluster `id`.
pub async fn outages(
    db: &DatabaseConnection,
    id: i64,
    keyset: &Keyset,
) -> Result<PageOf<station_outage::Model>> {
    use sea_orm::sea_query::Query;
    let stations = Query::select()
        .column(station::Column::Id)
        .from(station::Entity)
        .and_where(Expr::col(station::Column::ClusterId).eq(id))
        .to_owned();
    Ok(keyset
        .fetch(
            db,
            station_outage::Entity::find()
                .filter(Expr::col(station_outage::Column::StationId).in_subquery(stations)),
            station_outage::Column::Id,
            None,
        )
        .await?)
}

/// A virtual parking of a cluster, with the vehicles in it.
#[derive(Debug, Clone)]
pub struct ClusterParking {
    pub parking: virtual_parking::Model,
    pub shape: Shape,
    pub vehicles: Vec<vehicle::Model>,
}

fn parking_shape(model: &virtual_parking::Model) -> Result<Shape> {
    Shape::from_storage(&model.shape).map_err(|err| {
        StoreError::Db(sea_orm::DbErr::Custom(format!(
            "stored shape of virtual parking {}: {err}",
            model.id
        )))
    })
}

/// The virtual parkings of cluster `id` (not deleted), oldest first, with their vehicles.
pub async fn parkings(db: &impl ConnectionTrait, id: i64) -> Result<Vec<ClusterParking>> {
    let parkings = virtual_parking::Entity::find()
        .filter(virtual_parking::Column::ClusterId.eq(id))
        .filter(virtual_parking::Column::DeletedAt.is_null())
        .order_by_asc(virtual_parking::Column::Id)
        .all(db)
        .await?;
    let mut vehicles: HashMap<i64, Vec<vehicle::Model>> = HashMap::new();
    for v in vehicle::Entity::find()
        .filter(vehicle::Column::VirtualParkingId.is_in(parkings.iter().map(|p| p.id)))
        .order_by_asc(vehicle::Column::Id)
        .all(db)
        .await?
    {
        if let Some(parking) = v.virtual_parking_id {
            vehicles.entry(parking).or_default().push(v);
        }
    }
    parkings
        .into_iter()
        .map(|parking| {
            Ok(ClusterParking {
                shape: parking_shape(&parking)?,
                vehicles: vehicles.remove(&parking.id).unwrap_or_default(),
                parking,
            })
        })
        .collect()
}

/// Add a virtual parking to cluster `id`, on the cluster's network (open).
pub async fn create_parking(
    db: &impl ConnectionTrait,
    id: i64,
    shape: &Shape,
    capacity: i32,
) -> Result<ClusterParking> {
    let cluster = open(db, id).await?;
    let parking = virtual_parking::ActiveModel {
        network_id: Set(Some(cluster.network_id)),
        cluster_id: Set(Some(id)),
        shape: Set(shape.to_storage()),
        capacity: Set(capacity),
        created_at: Set(Utc::now()),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(ClusterParking {
        shape: shape.clone(),
        vehicles: Vec::new(),
        parking,
    })
}

/// A page of the maintenances of the stations and spots of cluster `id`, open or closed, with
/// their type.
pub async fn maintenances(
    db: &DatabaseConnection,
    id: i64,
    keyset: &Keyset,
) -> Result<PageOf<(maintenance::Model, maintenance_type::Model)>> {
    use sea_orm::sea_query::Query;
    let stations = || {
        Query::select()
            .column(station::Column::Id)
            .from(station::Entity)
            .and_where(Expr::col(station::Column::ClusterId).eq(id))
            .to_owned()
    };
    let spots = Query::select()
        .column(spot::Column::Id)
        .from(spot::Entity)
        .and_where(Expr::col(spot::Column::StationId).in_subquery(stations()))
        .to_owned();
    let page = keyset
        .fetch(
            db,
            maintenance::Entity::find().filter(
                Condition::any()
                    .add(Expr::col(maintenance::Column::StationId).in_subquery(stations()))
                    .add(Expr::col(maintenance::Column::SpotId).in_subquery(spots)),
            ),
            maintenance::Column::Id,
            None,
        )
        .await?;
    let types = crate::map_by_ids::<maintenance_type::Entity>(
        db,
        maintenance_type::Column::Id,
        page.items.iter().map(|m| m.type_id),
        |t| t.id,
    )
    .await?;
    let has_more = page.has_more;
    let items = page
        .items
        .into_iter()
        .map(|m| {
            let kind = types.get(&m.type_id).cloned().ok_or_else(|| {
                StoreError::Db(sea_orm::DbErr::Custom(format!(
                    "maintenance {} has no type {}",
                    m.id, m.type_id
                )))
            })?;
            Ok((m, kind))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PageOf { items, has_more })
}

/// The out of orders of network `network_id` in force at `now` or to come, by start date.
pub async fn out_of_orders(
    db: &impl ConnectionTrait,
    network_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<out_of_order::Model>> {
    Ok(out_of_order::Entity::find()
        .filter(out_of_order::Column::NetworkId.eq(network_id))
        .filter(
            out_of_order::Column::EndDate
                .is_null()
                .or(out_of_order::Column::EndDate.gt(now)),
        )
        .order_by_asc(out_of_order::Column::StartDate)
        .order_by_asc(out_of_order::Column::Id)
        .all(db)
        .await?)
}

/// A station to create with a new cluster.
#[derive(Debug, Clone)]
pub struct NewStation {
    pub serial: String,
    pub name: String,
    pub spot_count: i32,
}

/// A cluster to create with its stations and their spots.
#[derive(Debug, Clone)]
pub struct NewCluster {
    pub network_id: i64,
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    pub location: String,
    pub badge_reader: bool,
    pub stations: Vec<NewStation>,
}

/// Which of `serials` are the serials of existing stations.
pub async fn taken_serials(
    db: &impl ConnectionTrait,
    serials: &[String],
) -> Result<BTreeSet<String>> {
    Ok(station::Entity::find()
        .filter(station::Column::Serial.is_in(serials.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| s.serial)
        .collect())
}

/// Create a cluster on the open network of `new`, with its stations (a serial already taken
/// is a conflict on `serial`: check [`taken_serials`] first to name the station) and their
/// spots numbered from 1, all at once.
pub async fn create(db: &DatabaseConnection, new: NewCluster) -> Result<cluster::Model> {
    let txn = crate::db::begin_write(db).await?;
    networks::open(&txn, new.network_id).await?;
    let now = Utc::now();
    let cluster = cluster::ActiveModel {
        network_id: Set(new.network_id),
        name: Set(new.name),
        created_at: Set(now),
        decommissioned_at: Set(None),
        location: Set(Some(new.location)),
        latitude: Set(Some(new.latitude)),
        longitude: Set(Some(new.longitude)),
        max_unlock_distance: Set(100),
        comment: Set(None),
        commissioned_at: Set(None),
        forced_down: Set(false),
        badge_reader: Set(new.badge_reader),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let stations = crate::network_counters::Counts::stations(new.stations.len() as i64);
    crate::network_counters::add(&txn, new.network_id, stations).await?;
    for s in new.stations {
        let station = station::ActiveModel {
            cluster_id: Set(cluster.id),
            created_at: Set(now),
            decommissioned_at: Set(None),
            serial: Set(Some(s.serial)),
            name: Set(Some(s.name)),
            power_ok: Set(true),
            temperature: Set(None),
            last_seen_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(crate::error::conflict_on("serial"))?;
        // One multi-row INSERT per station rather than one per spot.
        let spots = (1..=s.spot_count).map(|number| spot::ActiveModel {
            station_id: Set(station.id),
            number: Set(number),
            vehicle_id: Set(None),
            occupied: Set(false),
            created_at: Set(now),
            decommissioned_at: Set(None),
            ..Default::default()
        });
        if s.spot_count > 0 {
            spot::Entity::insert_many(spots).exec(&txn).await?;
        }
    }
    txn.commit().await?;
    Ok(cluster)
}
