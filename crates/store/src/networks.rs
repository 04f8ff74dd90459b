//! Networks: creation, indicators, closing, and the check every network setting goes through.

use crate::entity::{app_label, cluster, network, station, third_party};
use crate::error::{Result, StoreError, conflict_on};
use chrono::{DateTime, Utc};
use relais_domain::money;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    RelationDef, Set,
};
use std::collections::{BTreeSet, HashMap};

/// What a new network is made of.
#[derive(Debug, Clone)]
pub struct NewNetwork {
    pub name: String,
    pub default_vat: Decimal,
    pub country_id: i32,
    pub currency: String,
    pub default_vehicle_guarantee: Decimal,
    pub trip_to_skip_pre_auth_guarantee: i32,
    pub timezone: String,
    pub third_party_id: Option<i64>,
    pub app_label_id: i64,
    pub created_by: Option<i64>,
}

/// What may change in a network once created; `None` leaves a field as it is. The currency,
/// the time zone and the app label stay: prices, amounts and pricing windows are in the first
/// two, and the tenant code haulers quote is made of the third.
#[derive(Debug, Clone, Default)]
pub struct NetworkChange {
    pub name: Option<String>,
    pub default_vat: Option<Decimal>,
    pub country_id: Option<i32>,
    /// `Some(None)` removes the owner.
    pub third_party_id: Option<Option<i64>>,
}

/// A network with its owner and its indicators.
#[derive(Debug, Clone)]
pub struct NetworkOverview {
    pub network: network::Model,
    pub owner: Option<third_party::Model>,
    pub total_stations: u64,
    pub total_vehicles: u64,
    pub total_trips: u64,
}

fn stored(amount: Decimal, field: &str) -> Result<i64> {
    money::to_stored(amount)
        .ok_or_else(|| StoreError::Rule(format!("{field}: at most four decimal places")))
}

/// Create a network; its app label and owner must exist.
pub async fn create(db: &impl ConnectionTrait, new: NewNetwork) -> Result<network::Model> {
    let Some(label) = app_label::Entity::find_by_id(new.app_label_id)
        .one(db)
        .await?
    else {
        return Err(StoreError::Missing {
            entity: "app label",
            field: "app_label_id",
        });
    };
    if let Some(owner) = new.third_party_id
        && third_party::Entity::find_by_id(owner)
            .one(db)
            .await?
            .is_none()
    {
        return Err(StoreError::Missing {
            entity: "third party",
            field: "third_party_id",
        });
    }
    let model = network::ActiveModel {
        name: Set(new.name),
        default_vat: Set(stored(new.default_vat, "default_vat")?),
        country_id: Set(new.country_id),
        currency: Set(new.currency),
        default_vehicle_guarantee: Set(stored(
            new.default_vehicle_guarantee,
            "default_vehicle_guarantee",
        )?),
        trip_to_skip_pre_auth_guarantee: Set(new.trip_to_skip_pre_auth_guarantee),
        timezone: Set(new.timezone),
        third_party_id: Set(new.third_party_id),
        app_label_id: Set(new.app_label_id),
        created_by: Set(new.created_by),
        created_at: Set(Utc::now()),
        zones_version: Set(0),
        ..Default::default()
    };
    // The name is unique within the app label (a unique index).
    let network = model.insert(db).await.map_err(conflict_on("name"))?;
    // The code haulers quote to work on this network: the provider (its app label) and the
    // location (the network), as the hauler product writes them (`RELAIS+3`). Unique because
    // both parts are.
    let tenant_code = format!("{}+{}", label.name.to_uppercase(), network.id);
    Ok(network::ActiveModel {
        id: Set(network.id),
        tenant_code: Set(Some(tenant_code)),
        ..Default::default()
    }
    .update(db)
    .await?)
}

/// Change an open network (a closed one refuses: `Closed`); its name stays unique within its
/// app label (`Conflict` on `name`) and a new owner must exist.
pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    change: NetworkChange,
) -> Result<network::Model> {
    let network = open(db, id).await?;
    if let Some(Some(owner)) = change.third_party_id
        && third_party::Entity::find_by_id(owner)
            .one(db)
            .await?
            .is_none()
    {
        return Err(StoreError::Missing {
            entity: "third party",
            field: "third_party_id",
        });
    }
    let mut model = network::ActiveModel {
        id: Set(network.id),
        ..Default::default()
    };
    let mut changed = false;
    if let Some(name) = change.name {
        model.name = Set(name);
        changed = true;
    }
    if let Some(vat) = change.default_vat {
        model.default_vat = Set(stored(vat, "default_vat")?);
        changed = true;
    }
    if let Some(country) = change.country_id {
        model.country_id = Set(country);
        changed = true;
    }
    if let Some(owner) = change.third_party_id {
        model.third_party_id = Set(owner);
        changed = true;
    }
    if !changed {
        return Ok(network);
    }
    model.update(db).await.map_err(conflict_on("name"))
}

/// The network `id`, closed or not.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<network::Model>> {
    Ok(network::Entity::find_by_id(id).one(db).await?)
}

/// The network `id`, which must exist.
pub async fn existing(db: &impl ConnectionTrait, id: i64) -> Result<network::Model> {
    get(db, id)
        .await?
        .ok_or(StoreError::NotFound { entity: "network" })
}

/// The network `id`, which must exist and not be closed: every change to a network or to what
/// belongs to it goes through here.
pub async fn open(db: &impl ConnectionTrait, id: i64) -> Result<network::Model> {
    let network = existing(db, id).await?;
    if network.closed_at.is_some() {
        return Err(StoreError::Closed { entity: "network" });
    }
    Ok(network)
}

/// The join from a station to its cluster.
pub(crate) fn station_cluster() -> RelationDef {
    station::Entity::belongs_to(cluster::Entity)
        .from(station::Column::ClusterId)
        .to(cluster::Column::Id)
        .into()
}

/// Networks with their owner and indicators, by name; only those in `within` when given.
pub async fn overview(
    db: &impl ConnectionTrait,
    within: Option<&BTreeSet<i64>>,
) -> Result<Vec<NetworkOverview>> {
    let mut query = network::Entity::find().order_by_asc(network::Column::Name);
    if let Some(ids) = within {
        query = query.filter(network::Column::Id.is_in(ids.iter().copied()));
    }
    let networks = query.order_by_asc(network::Column::Id).all(db).await?;
    let owner_ids: BTreeSet<i64> = networks.iter().filter_map(|n| n.third_party_id).collect();
    let owners: HashMap<i64, third_party::Model> = third_party::Entity::find()
        .filter(third_party::Column::Id.is_in(owner_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();

    let ids: Vec<i64> = networks.iter().map(|n| n.id).collect();
    let counts = crate::network_counters::of(db, &ids).await?;
    Ok(networks
        .into_iter()
        .map(|network| {
            let counts = counts.get(&network.id).copied().unwrap_or_default();
            let shown = |n: i64| u64::try_from(n).unwrap_or(0);
            NetworkOverview {
                owner: network
                    .third_party_id
                    .and_then(|id| owners.get(&id).cloned()),
                total_stations: shown(counts.stations),
                total_vehicles: shown(counts.vehicles),
                total_trips: shown(counts.trips),
                network,
            }
        })
        .collect())
}

/// Networks in activity (not closed), by name; only those in `within` when given.
pub async fn active(
    db: &impl ConnectionTrait,
    within: Option<&BTreeSet<i64>>,
) -> Result<Vec<network::Model>> {
    let mut query = network::Entity::find()
        .filter(network::Column::ClosedAt.is_null())
        .order_by_asc(network::Column::Name)
        .order_by_asc(network::Column::Id);
    if let Some(ids) = within {
        query = query.filter(network::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(query.all(db).await?)
}

/// Close the network for good. Its history stays; closing twice is refused.
pub async fn close(db: &impl ConnectionTrait, id: i64, at: DateTime<Utc>) -> Result<()> {
    let network = open(db, id).await?;
    network::ActiveModel {
        id: Set(network.id),
        closed_at: Set(Some(at)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Every network's id, in order (a global scope's networks).
pub async fn all_ids(db: &impl ConnectionTrait) -> Result<Vec<i64>> {
    use sea_orm::QuerySelect;
    Ok(network::Entity::find()
        .select_only()
        .column(network::Column::Id)
        .order_by_asc(network::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}
