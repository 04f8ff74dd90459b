//! Balancing: the clusters of a network that take part in balancing (donors, which have too
//! many vehicles, and receivers, which lack some), the discounts granted for a trip from a donor
//! to a receiver, and the estimate of the duration of such a trip.
//!
//! A cluster takes part at most once per network (primary key), and only a cluster of that
//! network in service can be added or changed. A discount route goes from a donor cluster to a
//! receiver cluster of the network's balancing; removing a cluster from balancing removes the
//! routes it was on, in the same transaction. Every change goes through
//! [`crate::networks::open`], so a closed network refuses them.

use crate::entity::{balancing_discount, cluster, cluster_balancing, trip};
use crate::error::{Result, StoreError, conflict_on};
use crate::networks;
use chrono::{DateTime, Utc};
use relais_domain::money;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

/// The stored value of a donor cluster.
pub const DONOR: &str = "donor";
/// The stored value of a receiver cluster.
pub const RECEIVER: &str = "receiver";

/// A request refused because a value it names does not fit the data: the field at fault and
/// why (the caller answers it as a validation error on that field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub problem: String,
}

/// The outcome of a change that may be refused on a field.
pub type Checked<T> = std::result::Result<T, Refusal>;

/// A cluster taking part in balancing.
#[derive(Debug, Clone)]
pub struct BalancedCluster {
    pub cluster_id: i64,
    pub cluster_name: String,
    pub target_count: i32,
    pub balancing_type: String,
}

/// The discount of a route from a donor cluster to a receiver cluster.
#[derive(Debug, Clone)]
pub struct Discount {
    pub donor_cluster_id: i64,
    pub donor_cluster_name: String,
    pub receiver_cluster_id: i64,
    pub receiver_cluster_name: String,
    pub discount_amount: Decimal,
}

/// The average duration of the fastest trips of a route.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Finished trips of the route.
    pub trip_count: u64,
    /// The fastest trips the average is taken over.
    pub sample_size: u64,
    /// In seconds; `None` when the route has no finished trip.
    pub average_duration: Option<f64>,
}

async fn names(db: &impl ConnectionTrait, network_id: i64) -> Result<HashMap<i64, String>> {
    Ok(cluster::Entity::find()
        .filter(cluster::Column::NetworkId.eq(network_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// The clusters of network `network_id` (which must exist) taking part in balancing, by cluster.
pub async fn list(db: &impl ConnectionTrait, network_id: i64) -> Result<Vec<BalancedCluster>> {
    networks::existing(db, network_id).await?;
    let names = names(db, network_id).await?;
    let rows = cluster_balancing::Entity::find()
        .filter(cluster_balancing::Column::NetworkId.eq(network_id))
        .order_by_asc(cluster_balancing::Column::ClusterId)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| BalancedCluster {
            cluster_name: names.get(&r.cluster_id).cloned().unwrap_or_default(),
            cluster_id: r.cluster_id,
            target_count: r.target_count,
            balancing_type: r.balancing_type,
        })
        .collect())
}

/// Cluster `id` of network `network_id`, whatever its state; missing `field` otherwise.
pub async fn cluster_of(
    db: &impl ConnectionTrait,
    network_id: i64,
    id: i64,
    field: &'static str,
) -> Result<cluster::Model> {
    cluster::Entity::find_by_id(id)
        .filter(cluster::Column::NetworkId.eq(network_id))
        .one(db)
        .await?
        .ok_or(StoreError::Missing {
            entity: "cluster",
            field,
        })
}

/// Cluster `id` of network `network_id`, which must be in service.
async fn in_service(
    db: &impl ConnectionTrait,
    network_id: i64,
    id: i64,
    field: &'static str,
) -> Result<Checked<cluster::Model>> {
    let cluster = cluster_of(db, network_id, id, field).await?;
    if cluster.decommissioned_at.is_some() {
        return Ok(Err(Refusal {
            field,
            problem: "this cluster is decommissioned".into(),
        }));
    }
    Ok(Ok(cluster))
}

async fn row(
    db: &impl ConnectionTrait,
    network_id: i64,
    cluster_id: i64,
) -> Result<Option<cluster_balancing::Model>> {
    Ok(
        cluster_balancing::Entity::find_by_id((network_id, cluster_id))
            .one(db)
            .await?,
    )
}

fn not_balanced() -> StoreError {
    StoreError::Missing {
        entity: "cluster balancing",
        field: "cluster_id",
    }
}

/// Add cluster `cluster_id` (of the network, in service) to the balancing of open network
/// `network_id`; a conflict on `cluster_id` when it already takes part.
pub async fn create(
    db: &impl ConnectionTrait,
    network_id: i64,
    cluster_id: i64,
    target_count: i32,
    balancing_type: &'static str,
) -> Result<Checked<BalancedCluster>> {
    networks::open(db, network_id).await?;
    let cluster = match in_service(db, network_id, cluster_id, "cluster_id").await? {
        Ok(cluster) => cluster,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if row(db, network_id, cluster_id).await?.is_some() {
        return Err(StoreError::Conflict {
            field: "cluster_id",
        });
    }
    let model = cluster_balancing::ActiveModel {
        network_id: Set(network_id),
        cluster_id: Set(cluster_id),
        target_count: Set(target_count),
        balancing_type: Set(balancing_type.to_owned()),
    }
    .insert(db)
    .await
    .map_err(conflict_on("cluster_id"))?;
    Ok(Ok(balanced(model, cluster.name)))
}

fn balanced(model: cluster_balancing::Model, cluster_name: String) -> BalancedCluster {
    BalancedCluster {
        cluster_id: model.cluster_id,
        cluster_name,
        target_count: model.target_count,
        balancing_type: model.balancing_type,
    }
}

/// Change the target count of cluster `cluster_id` in the balancing of open network
/// `network_id`; the cluster must take part and be in service.
pub async fn update(
    db: &impl ConnectionTrait,
    network_id: i64,
    cluster_id: i64,
    target_count: i32,
) -> Result<Checked<BalancedCluster>> {
    networks::open(db, network_id).await?;
    let cluster = match in_service(db, network_id, cluster_id, "cluster_id").await? {
        Ok(cluster) => cluster,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let current = row(db, network_id, cluster_id)
        .await?
        .ok_or_else(not_balanced)?;
    let mut model: cluster_balancing::ActiveModel = current.into();
    model.target_count = Set(target_count);
    Ok(Ok(balanced(model.update(db).await?, cluster.name)))
}

/// Remove cluster `cluster_id` from the balancing of open network `network_id`, with the
/// discount routes it is on. A decommissioned cluster can be removed.
pub async fn delete(db: &DatabaseConnection, network_id: i64, cluster_id: i64) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    networks::open(&txn, network_id).await?;
    row(&txn, network_id, cluster_id)
        .await?
        .ok_or_else(not_balanced)?;
    balancing_discount::Entity::delete_many()
        .filter(balancing_discount::Column::NetworkId.eq(network_id))
        .filter(
            Condition::any()
                .add(balancing_discount::Column::DonorClusterId.eq(cluster_id))
                .add(balancing_discount::Column::ReceiverClusterId.eq(cluster_id)),
        )
        .exec(&txn)
        .await?;
    cluster_balancing::Entity::delete_by_id((network_id, cluster_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The discount routes of network `network_id` (which must exist), by donor then receiver.
pub async fn discounts(db: &impl ConnectionTrait, network_id: i64) -> Result<Vec<Discount>> {
    networks::existing(db, network_id).await?;
    let names = names(db, network_id).await?;
    let rows = balancing_discount::Entity::find()
        .filter(balancing_discount::Column::NetworkId.eq(network_id))
        .order_by_asc(balancing_discount::Column::DonorClusterId)
        .order_by_asc(balancing_discount::Column::ReceiverClusterId)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| discount(r, &names)).collect())
}

fn discount(r: balancing_discount::Model, names: &HashMap<i64, String>) -> Discount {
    Discount {
        donor_cluster_name: names.get(&r.donor_cluster_id).cloned().unwrap_or_default(),
        receiver_cluster_name: names
            .get(&r.receiver_cluster_id)
            .cloned()
            .unwrap_or_default(),
        donor_cluster_id: r.donor_cluster_id,
        receiver_cluster_id: r.receiver_cluster_id,
        discount_amount: money::from_stored(r.discount_amount),
    }
}

/// The balancing type of cluster `cluster_id` in network `network_id` must be `expected`.
async fn takes_part_as(
    db: &impl ConnectionTrait,
    network_id: i64,
    cluster_id: i64,
    expected: &str,
    field: &'static str,
) -> Result<Checked<()>> {
    if let Err(refusal) = in_service(db, network_id, cluster_id, field).await? {
        return Ok(Err(refusal));
    }
    match row(db, network_id, cluster_id).await? {
        Some(r) if r.balancing_type == expected => Ok(Ok(())),
        Some(r) => Ok(Err(Refusal {
            field,
            problem: format!(
                "must be a {expected} cluster of the network's balancing; this one is a {}",
                r.balancing_type
            ),
        })),
        None => Ok(Err(Refusal {
            field,
            problem: format!(
                "must be a {expected} cluster of the network's balancing; this one takes no part in it"
            ),
        })),
    }
}

/// Set the discount of the route from `donor` to `receiver` in open network `network_id`,
/// creating the route if needed. The donor must be a donor cluster and the receiver a receiver
/// cluster of the network's balancing.
pub async fn set_discount(
    db: &impl ConnectionTrait,
    network_id: i64,
    donor: i64,
    receiver: i64,
    amount: Decimal,
) -> Result<Checked<Discount>> {
    networks::open(db, network_id).await?;
    if let Err(refusal) = takes_part_as(db, network_id, donor, DONOR, "donor_cluster_id").await? {
        return Ok(Err(refusal));
    }
    if let Err(refusal) =
        takes_part_as(db, network_id, receiver, RECEIVER, "receiver_cluster_id").await?
    {
        return Ok(Err(refusal));
    }
    let stored = money::to_stored(amount).ok_or_else(|| {
        StoreError::Rule("discount_amount: at most four decimal places".to_owned())
    })?;
    let existing = balancing_discount::Entity::find_by_id((network_id, donor, receiver))
        .one(db)
        .await?;
    let model = match existing {
        Some(current) => {
            let mut model: balancing_discount::ActiveModel = current.into();
            model.discount_amount = Set(stored);
            model.update(db).await?
        }
        None => balancing_discount::ActiveModel {
            network_id: Set(network_id),
            donor_cluster_id: Set(donor),
            receiver_cluster_id: Set(receiver),
            discount_amount: Set(stored),
        }
        .insert(db)
        .await
        .map_err(conflict_on("receiver_cluster_id"))?,
    };
    let names = names(db, network_id).await?;
    Ok(Ok(discount(model, &names)))
}

/// The average duration, in seconds, of the fastest `percentage` % of the finished trips of
/// network `network_id` (which must exist) from cluster `donor` to cluster `receiver` (both of
/// the network, missing `donor_cluster_id` / `receiver_cluster_id` otherwise). The sample is
/// rounded up, so a route with trips always has at least one in it. Trips ending before they
/// start (bad clocks) are left out.
///
/// The durations are computed here from the start and end of the route's trips rather than in
/// SQL, so that the same code runs on SQLite and PostgreSQL; only two timestamps per trip of
/// one route are read (the `idx_trips_route` index serves the filter).
pub async fn estimate(
    db: &impl ConnectionTrait,
    network_id: i64,
    donor: i64,
    receiver: i64,
    percentage: u8,
) -> Result<Estimate> {
    networks::existing(db, network_id).await?;
    cluster_of(db, network_id, donor, "donor_cluster_id").await?;
    cluster_of(db, network_id, receiver, "receiver_cluster_id").await?;
    let rows: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = trip::Entity::find()
        .select_only()
        .column(trip::Column::StartedAt)
        .column(trip::Column::EndedAt)
        .filter(trip::Column::NetworkId.eq(network_id))
        .filter(trip::Column::StartClusterId.eq(donor))
        .filter(trip::Column::EndClusterId.eq(receiver))
        .filter(trip::Column::EndedAt.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let mut durations: Vec<i64> = rows
        .into_iter()
        .filter_map(|(start, end)| end.map(|end| (end - start).num_milliseconds()))
        .filter(|ms| *ms >= 0)
        .collect();
    Ok(fastest_average(&mut durations, percentage))
}

/// The average (in seconds) of the fastest `percentage` % of `durations` (milliseconds).
fn fastest_average(durations: &mut [i64], percentage: u8) -> Estimate {
    let count = durations.len() as u64;
    if count == 0 {
        return Estimate {
            trip_count: 0,
            sample_size: 0,
            average_duration: None,
        };
    }
    durations.sort_unstable();
    let sample = (count * u64::from(percentage))
        .div_ceil(100)
        .clamp(1, count);
    let total: i128 = durations[..sample as usize]
        .iter()
        .map(|ms| i128::from(*ms))
        .sum();
    Estimate {
        trip_count: count,
        sample_size: sample,
        average_duration: Some(total as f64 / sample as f64 / 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_rounded_up() {
        let mut d = vec![4000, 1000, 3000, 2000, 10_000];
        let e = fastest_average(&mut d, 10);
        assert_eq!((e.trip_count, e.sample_size), (5, 1));
        assert_eq!(e.average_duration, Some(1.0));
        let e = fastest_average(&mut d, 50);
        assert_eq!(e.sample_size, 3);
        assert_eq!(e.average_duration, Some(2.0));
        let e = fastest_average(&mut [], 50);
        assert_eq!(e.average_duration, None);
        assert_eq!(e.trip_count, 0);
    }
}
