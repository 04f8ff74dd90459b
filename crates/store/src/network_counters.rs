//! A network's indicators (vehicles and stations in service, trips) as counters, changed in the
//! transactions that add or remove what they count, so that `GET /dashboard/networks` reads
//! one row per network whatever the number of trips. [`check`] recomputes them from the rows.

use crate::entity::{cluster, network, network_counter as counter, station, trip, vehicle};
use crate::error::Result;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, Set};
use std::collections::{BTreeMap, HashMap};

/// The indicators of one network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub vehicles: i64,
    pub stations: i64,
    pub trips: i64,
}

impl Counts {
    /// A change of `n` vehicles in service.
    pub fn vehicles(n: i64) -> Counts {
        Counts {
            vehicles: n,
            ..Counts::default()
        }
    }

    /// A change of `n` stations in service.
    pub fn stations(n: i64) -> Counts {
        Counts {
            stations: n,
            ..Counts::default()
        }
    }

    /// A change of `n` trips.
    pub fn trips(n: i64) -> Counts {
        Counts {
            trips: n,
            ..Counts::default()
        }
    }
}

/// Add `delta` to the counters of `network_id` (a missing row counts as zeros). Call it in the
/// transaction of the change it counts.
pub async fn add(db: &impl ConnectionTrait, network_id: i64, delta: Counts) -> Result<()> {
    if delta == Counts::default() {
        return Ok(());
    }
    // On conflict: the kept value plus the delta the insert proposed.
    let grow = |column: counter::Column| {
        (
            column,
            Expr::col((counter::Entity, column)).add(Expr::col((
                sea_orm::sea_query::Alias::new("excluded"),
                column,
            ))),
        )
    };
    counter::Entity::insert(counter::ActiveModel {
        network_id: Set(network_id),
        vehicles: Set(delta.vehicles),
        stations: Set(delta.stations),
        trips: Set(delta.trips),
    })
    .on_conflict(
        OnConflict::column(counter::Column::NetworkId)
            .values([
                grow(counter::Column::Vehicles),
                grow(counter::Column::Stations),
                grow(counter::Column::Trips),
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// The counters of `networks` (zeros for a network without a row).
pub async fn of(db: &impl ConnectionTrait, networks: &[i64]) -> Result<HashMap<i64, Counts>> {
    Ok(counter::Entity::find()
        .filter(counter::Column::NetworkId.is_in(networks.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.network_id,
                Counts {
                    vehicles: c.vehicles,
                    stations: c.stations,
                    trips: c.trips,
                },
            )
        })
        .collect())
}

/// The counts recomputed from the rows, for every network: what the counters must say.
pub async fn recount(db: &impl ConnectionTrait) -> Result<BTreeMap<i64, Counts>> {
    #[derive(Debug, sea_orm::FromQueryResult)]
    struct Count {
        network_id: i64,
        total: i64,
    }
    let ids: Vec<i64> = network::Entity::find()
        .select_only()
        .column(network::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: BTreeMap<i64, Counts> =
        ids.into_iter().map(|id| (id, Counts::default())).collect();
    let vehicles = vehicle::Entity::find()
        .select_only()
        .column(vehicle::Column::NetworkId)
        .column_as(vehicle::Column::Id.count(), "total")
        .filter(vehicle::Column::DecommissionedAt.is_null())
        .group_by(vehicle::Column::NetworkId)
        .into_model::<Count>()
        .all(db)
        .await?;
    for c in vehicles {
        out.entry(c.network_id).or_default().vehicles = c.total;
    }
    let stations = station::Entity::find()
        .select_only()
        .column_as(cluster::Column::NetworkId, "network_id")
        .column_as(station::Column::Id.count(), "total")
        .join(JoinType::InnerJoin, crate::networks::station_cluster())
        .filter(station::Column::DecommissionedAt.is_null())
        .group_by(cluster::Column::NetworkId)
        .into_model::<Count>()
        .all(db)
        .await?;
    for c in stations {
        out.entry(c.network_id).or_default().stations = c.total;
    }
    let trips = trip::Entity::find()
        .select_only()
        .column(trip::Column::NetworkId)
        .column_as(trip::Column::Id.count(), "total")
        .group_by(trip::Column::NetworkId)
        .into_model::<Count>()
        .all(db)
        .await?;
    for c in trips {
        out.entry(c.network_id).or_default().trips = c.total;
    }
    Ok(out)
}

/// A network whose counters disagree with its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub network_id: i64,
    pub counted: Counts,
    pub kept: Counts,
}

/// Compare every network's counters with its rows.
pub async fn check(db: &impl ConnectionTrait) -> Result<Vec<Mismatch>> {
    let counted = recount(db).await?;
    let ids: Vec<i64> = counted.keys().copied().collect();
    let kept = of(db, &ids).await?;
    Ok(counted
        .into_iter()
        .filter_map(|(network_id, counted)| {
            let kept = kept.get(&network_id).copied().unwrap_or_default();
            (kept != counted).then_some(Mismatch {
                network_id,
                counted,
                kept,
            })
        })
        .collect())
}

/// Set the counters of `mismatches` to what was counted.
pub async fn repair(db: &impl ConnectionTrait, mismatches: &[Mismatch]) -> Result<()> {
    for m in mismatches {
        counter::Entity::insert(counter::ActiveModel {
            network_id: Set(m.network_id),
            vehicles: Set(m.counted.vehicles),
            stations: Set(m.counted.stations),
            trips: Set(m.counted.trips),
        })
        .on_conflict(
            OnConflict::column(counter::Column::NetworkId)
                .update_columns([
                    counter::Column::Vehicles,
                    counter::Column::Stations,
                    counter::Column::Trips,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    }
    Ok(())
}
