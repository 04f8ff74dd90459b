//! Where objects belong: the network (and cluster) of each object an operation touches, so that
//! access control can check declared objects in one place. One query per object kind (a few for
//! maintenances, whose target may be a station, a spot or a vehicle).
//!
//! Soft-deleted objects (speed zones, virtual parkings, stocks) are unknown here, as they are to
//! every operation.

use crate::entity::{
    cluster, fleet_alert, hauler_connection, maintenance, network, out_of_order, pricing_rule,
    speed_zone, spot, station, stock, transaction, trip, vehicle, virtual_parking,
};
use crate::error::Result;
use crate::networks::station_cluster;
use relais_domain::{Object, Owner};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationDef,
};
use std::collections::HashMap;

fn spot_station() -> RelationDef {
    spot::Entity::belongs_to(station::Entity)
        .from(spot::Column::StationId)
        .to(station::Column::Id)
        .into()
}

/// The owner of each object of kind `object` among `ids` that exists; absent ids are unknown.
/// Organizational units and app labels have no owner of this kind (see [`app_labels`] and the
/// units' contents).
pub async fn of(
    db: &impl ConnectionTrait,
    object: Object,
    ids: &[i64],
) -> Result<HashMap<i64, Owner>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = ids.to_vec();
    let network_only = |rows: Vec<(i64, i64)>| {
        rows.into_iter()
            .map(|(id, network)| (id, Owner::network(network)))
            .collect::<HashMap<_, _>>()
    };
    Ok(match object {
        Object::Network | Object::NetworkPart => network::Entity::find()
            .select_only()
            .column(network::Column::Id)
            .filter(network::Column::Id.is_in(ids))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .into_iter()
            .map(|id| (id, Owner::network(id)))
            .collect(),
        Object::Cluster => cluster::Entity::find()
            .select_only()
            .column(cluster::Column::Id)
            .column(cluster::Column::NetworkId)
            .filter(cluster::Column::Id.is_in(ids))
            .into_tuple::<(i64, i64)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, network)| (id, Owner::cluster(network, id)))
            .collect(),
        Object::Station => stations(db, ids).await?,
        Object::Spot => spots(db, ids).await?,
        Object::Vehicle => vehicles(db, vehicle::Column::Id.is_in(ids))
            .await?
            .into_iter()
            .map(|(id, _, owner)| (id, owner))
            .collect(),
        Object::Stock => stock::Entity::find()
            .select_only()
            .column(stock::Column::Id)
            .column(stock::Column::NetworkId)
            .filter(stock::Column::Id.is_in(ids))
            .filter(stock::Column::DeletedAt.is_null())
            .into_tuple::<(i64, Option<i64>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, network)| {
                let owner = network.map_or_else(Owner::operator, Owner::network);
                (id, owner)
            })
            .collect(),
        Object::Maintenance => maintenances(db, ids).await?,
        Object::SpeedZone => network_only(
            speed_zone::Entity::find()
                .select_only()
                .column(speed_zone::Column::Id)
                .column(speed_zone::Column::NetworkId)
                .filter(speed_zone::Column::Id.is_in(ids))
                .filter(speed_zone::Column::DeletedAt.is_null())
                .into_tuple()
                .all(db)
                .await?,
        ),
        Object::VirtualParking => parkings(db, ids).await?,
        Object::PricingRule => network_only(
            pricing_rule::Entity::find()
                .select_only()
                .column(pricing_rule::Column::Id)
                .column(pricing_rule::Column::NetworkId)
                .filter(pricing_rule::Column::Id.is_in(ids))
                .into_tuple()
                .all(db)
                .await?,
        ),
        Object::FleetAlert => fleet_alert::Entity::find()
            .select_only()
            .column(fleet_alert::Column::Id)
            .column(fleet_alert::Column::NetworkId)
            .column(fleet_alert::Column::ClusterId)
            .filter(fleet_alert::Column::Id.is_in(ids))
            .into_tuple::<(i64, i64, Option<i64>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, network, cluster)| {
                let owner = Owner {
                    network: Some(network),
                    cluster,
                };
                (id, owner)
            })
            .collect(),
        Object::OutOfOrder => network_only(
            out_of_order::Entity::find()
                .select_only()
                .column(out_of_order::Column::Id)
                .column(out_of_order::Column::NetworkId)
                .filter(out_of_order::Column::Id.is_in(ids))
                .into_tuple()
                .all(db)
                .await?,
        ),
        Object::HaulerConnection => network_only(
            hauler_connection::Entity::find()
                .select_only()
                .column(hauler_connection::Column::Id)
                .column(hauler_connection::Column::NetworkId)
                .filter(hauler_connection::Column::Id.is_in(ids))
                .into_tuple()
                .all(db)
                .await?,
        ),
        // Its network whole, whatever clusters it started or ended in: a rider's data.
        Object::Trip => network_only(
            trip::Entity::find()
                .select_only()
                .column(trip::Column::Id)
                .column(trip::Column::NetworkId)
                .filter(trip::Column::Id.is_in(ids))
                .into_tuple()
                .all(db)
                .await?,
        ),
        Object::Transaction => network_only(
            transaction::Entity::find()
                .select_only()
                .column(transaction::Column::Id)
                .column(transaction::Column::NetworkId)
                .filter(transaction::Column::Id.is_in(ids))
                .into_tuple()
                .all(db)
                .await?,
        ),
        // Keyed by reference, not id: `invoices::networks_of`.
        Object::Invoice | Object::OrganizationalUnit | Object::AppLabel | Object::User => {
            HashMap::new()
        }
    })
}

async fn stations(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<HashMap<i64, Owner>> {
    let rows = station::Entity::find()
        .select_only()
        .column(station::Column::Id)
        .column(cluster::Column::NetworkId)
        .column(station::Column::ClusterId)
        .join(JoinType::InnerJoin, station_cluster())
        .filter(station::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(clustered(rows))
}

async fn spots(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<HashMap<i64, Owner>> {
    let rows = spot::Entity::find()
        .select_only()
        .column(spot::Column::Id)
        .column(cluster::Column::NetworkId)
        .column(station::Column::ClusterId)
        .join(JoinType::InnerJoin, spot_station())
        .join(JoinType::InnerJoin, station_cluster())
        .filter(spot::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(clustered(rows))
}

/// Rows of (id, network, cluster), by id.
fn clustered(rows: Vec<(i64, i64, i64)>) -> HashMap<i64, Owner> {
    rows.into_iter()
        .map(|(id, network, cluster)| (id, Owner::cluster(network, cluster)))
        .collect()
}

async fn parkings(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<HashMap<i64, Owner>> {
    Ok(virtual_parking::Entity::find()
        .select_only()
        .column(virtual_parking::Column::Id)
        .column(virtual_parking::Column::NetworkId)
        .column(virtual_parking::Column::ClusterId)
        .filter(virtual_parking::Column::Id.is_in(ids))
        .filter(virtual_parking::Column::DeletedAt.is_null())
        .into_tuple::<(i64, Option<i64>, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, network, cluster)| {
            let owner = Owner {
                network,
                cluster: network.and(cluster),
            };
            (id, owner)
        })
        .collect())
}

/// Id, serial, network, spot, virtual parking.
type VehicleRow = (i64, String, i64, Option<i64>, Option<i64>);
/// Id, network, station, spot, vehicle.
type MaintenanceRow = (i64, i64, Option<i64>, Option<i64>, Option<i64>);

/// A vehicle belongs to the cluster of the station it is docked in or of the virtual parking it
/// stands in; otherwise (free floating, in stock, riding) to its whole network.
async fn vehicles(
    db: &impl ConnectionTrait,
    filter: sea_orm::sea_query::SimpleExpr,
) -> Result<Vec<(i64, String, Owner)>> {
    let rows: Vec<VehicleRow> = vehicle::Entity::find()
        .select_only()
        .column(vehicle::Column::Id)
        .column(vehicle::Column::Serial)
        .column(vehicle::Column::NetworkId)
        .column(vehicle::Column::SpotId)
        .column(vehicle::Column::VirtualParkingId)
        .filter(filter)
        .into_tuple()
        .all(db)
        .await?;
    let spots: Vec<i64> = rows.iter().filter_map(|r| r.3).collect();
    let parkings: Vec<i64> = rows.iter().filter_map(|r| r.4).collect();
    let spot_owners = self::spots(db, spots).await?;
    let parking_owners = self::parkings(db, parkings).await?;
    Ok(rows
        .into_iter()
        .map(|(id, serial, network, spot, parking)| {
            let cluster = spot
                .and_then(|s| spot_owners.get(&s))
                .or_else(|| parking.and_then(|p| parking_owners.get(&p)))
                .filter(|o| o.network == Some(network))
                .and_then(|o| o.cluster);
            let owner = Owner {
                network: Some(network),
                cluster,
            };
            (id, serial, owner)
        })
        .collect())
}

/// A maintenance belongs where its target belongs.
async fn maintenances(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<HashMap<i64, Owner>> {
    let rows: Vec<MaintenanceRow> = maintenance::Entity::find()
        .select_only()
        .column(maintenance::Column::Id)
        .column(maintenance::Column::NetworkId)
        .column(maintenance::Column::StationId)
        .column(maintenance::Column::SpotId)
        .column(maintenance::Column::VehicleId)
        .filter(maintenance::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    let stations: Vec<i64> = rows.iter().filter_map(|r| r.2).collect();
    let spots: Vec<i64> = rows.iter().filter_map(|r| r.3).collect();
    let vehicles: Vec<i64> = rows.iter().filter_map(|r| r.4).collect();
    let stations = self::stations(db, stations).await?;
    let spots = self::spots(db, spots).await?;
    let vehicles: HashMap<i64, Owner> = self::vehicles(db, vehicle::Column::Id.is_in(vehicles))
        .await?
        .into_iter()
        .map(|(id, _, owner)| (id, owner))
        .collect();
    Ok(rows
        .into_iter()
        .map(|(id, network, station, spot, vehicle)| {
            let target = station
                .and_then(|s| stations.get(&s))
                .or_else(|| spot.and_then(|s| spots.get(&s)))
                .or_else(|| vehicle.and_then(|v| vehicles.get(&v)));
            let cluster = target
                .filter(|o| o.network == Some(network))
                .and_then(|o| o.cluster);
            let owner = Owner {
                network: Some(network),
                cluster,
            };
            (id, owner)
        })
        .collect())
}

/// Which of `ids` name an app label.
pub async fn app_labels(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<i64>> {
    use crate::entity::app_label;
    Ok(app_label::Entity::find()
        .select_only()
        .column(app_label::Column::Id)
        .filter(app_label::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<i64>()
        .all(db)
        .await?)
}
