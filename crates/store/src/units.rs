//! Organizational units: named sets of app labels, organizations, networks and clusters that
//! grants are scoped to.

use crate::entity::{
    app_label, cluster, network, organizational_unit as ou, organizational_unit_item as item,
    user_grant,
};
use crate::error::{Result, StoreError, conflict_on};
use chrono::{DateTime, Utc};
use relais_domain::UnitScope;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const APP_LABEL: &str = "app_label";
const ORGANIZATION: &str = "organization";
const NETWORK: &str = "network";
const CLUSTER: &str = "cluster";

/// What a unit contains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitContents {
    pub app_labels: BTreeSet<i64>,
    pub organizations: BTreeSet<i64>,
    pub networks: BTreeSet<i64>,
    pub clusters: BTreeSet<i64>,
}

/// An organizational unit with its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: i64,
    pub name: String,
    pub contents: UnitContents,
    /// The network of each cluster of the contents.
    pub cluster_networks: BTreeMap<i64, i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Unit {
    /// The unit as the access rules see it.
    pub fn scope(&self) -> UnitScope {
        UnitScope {
            unit_id: self.id,
            app_labels: self.contents.app_labels.clone(),
            organizations: self.contents.organizations.clone(),
            networks: self.contents.networks.clone(),
            clusters: self.contents.clusters.clone(),
            cluster_networks: self.cluster_networks.clone(),
        }
    }
}

/// Check that everything `contents` names exists and that each cluster belongs to one of its
/// networks; answer the network of each cluster.
pub async fn check_contents(
    db: &impl ConnectionTrait,
    contents: &UnitContents,
) -> Result<BTreeMap<i64, i64>> {
    let found: BTreeSet<i64> = network::Entity::find()
        .select_only()
        .column(network::Column::Id)
        .filter(network::Column::Id.is_in(contents.networks.iter().copied()))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    if let Some(id) = contents.networks.difference(&found).next() {
        return Err(StoreError::Invalid {
            field: "networks",
            problem: format!("no such network: {id}"),
        });
    }
    let found: BTreeSet<i64> = app_label::Entity::find()
        .select_only()
        .column(app_label::Column::Id)
        .filter(app_label::Column::Id.is_in(contents.app_labels.iter().copied()))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    if let Some(id) = contents.app_labels.difference(&found).next() {
        return Err(StoreError::Invalid {
            field: "app_labels",
            problem: format!("no such app label: {id}"),
        });
    }
    // Organizations come with their own issue; until they exist, no id names one.
    if let Some(id) = contents.organizations.iter().next() {
        return Err(StoreError::Invalid {
            field: "organizations",
            problem: format!("no such organization: {id}"),
        });
    }
    let cluster_networks = cluster_networks(db, &contents.clusters).await?;
    for id in &contents.clusters {
        match cluster_networks.get(id) {
            None => {
                return Err(StoreError::Invalid {
                    field: "clusters",
                    problem: format!("no such cluster: {id}"),
                });
            }
            Some(network) if !contents.networks.contains(network) => {
                return Err(StoreError::Invalid {
                    field: "clusters",
                    problem: format!(
                        "cluster {id} belongs to network {network}, which the unit does not hold"
                    ),
                });
            }
            Some(_) => {}
        }
    }
    Ok(cluster_networks)
}

/// The network of each of `clusters` that exists.
pub async fn cluster_networks(
    db: &impl ConnectionTrait,
    clusters: &BTreeSet<i64>,
) -> Result<BTreeMap<i64, i64>> {
    if clusters.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(cluster::Entity::find()
        .select_only()
        .column(cluster::Column::Id)
        .column(cluster::Column::NetworkId)
        .filter(cluster::Column::Id.is_in(clusters.iter().copied()))
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Every unit, by name.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<Unit>> {
    let units = ou::Entity::find()
        .order_by_asc(ou::Column::Name)
        .all(db)
        .await?;
    with_contents(db, units).await
}

/// The units with the given ids, by id.
pub async fn get_many(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, Unit>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let units = ou::Entity::find()
        .filter(ou::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(with_contents(db, units)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<Unit>> {
    Ok(get_many(db, &[id]).await?.remove(&id))
}

pub async fn create(db: &DatabaseConnection, name: &str, contents: &UnitContents) -> Result<Unit> {
    let txn = crate::db::begin_write(db).await?;
    let cluster_networks = check_contents(&txn, contents).await?;
    let now = Utc::now();
    let model = ou::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(conflict_on("name"))?;
    write_items(&txn, model.id, contents).await?;
    txn.commit().await?;
    Ok(Unit {
        id: model.id,
        name: model.name,
        contents: contents.clone(),
        cluster_networks,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// Replace the name and contents of unit `id`.
pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    name: &str,
    contents: &UnitContents,
) -> Result<Unit> {
    let txn = crate::db::begin_write(db).await?;
    let existing = ou::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "organizational unit",
        })?;
    let cluster_networks = check_contents(&txn, contents).await?;
    let model = ou::ActiveModel {
        id: Set(existing.id),
        name: Set(name.to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await
    .map_err(conflict_on("name"))?;
    item::Entity::delete_many()
        .filter(item::Column::UnitId.eq(id))
        .exec(&txn)
        .await?;
    write_items(&txn, id, contents).await?;
    // Every grant in the unit now applies to its new contents.
    crate::security_epoch::commit(txn).await?;
    Ok(Unit {
        id,
        name: model.name,
        contents: contents.clone(),
        cluster_networks,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// Delete unit `id`, refused while any grant (live or not) still refers to it: a grant's
/// history must keep saying where it applied.
pub async fn delete(db: &DatabaseConnection, id: i64) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    if ou::Entity::find_by_id(id).one(&txn).await?.is_none() {
        return Err(StoreError::NotFound {
            entity: "organizational unit",
        });
    }
    let holders = user_grant::Entity::find()
        .filter(user_grant::Column::UnitId.eq(id))
        .count(&txn)
        .await?;
    if holders > 0 {
        return Err(StoreError::Rule(format!(
            "{holders} grant(s) still refer to this organizational unit; revoke them first"
        )));
    }
    ou::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

async fn write_items(txn: &impl ConnectionTrait, unit_id: i64, c: &UnitContents) -> Result<()> {
    let rows: Vec<_> = [
        (APP_LABEL, &c.app_labels),
        (ORGANIZATION, &c.organizations),
        (NETWORK, &c.networks),
        (CLUSTER, &c.clusters),
    ]
    .into_iter()
    .flat_map(|(kind, ids)| {
        ids.iter().map(move |id| item::ActiveModel {
            unit_id: Set(unit_id),
            kind: Set(kind.to_owned()),
            item_id: Set(*id),
        })
    })
    .collect();
    if !rows.is_empty() {
        item::Entity::insert_many(rows).exec(txn).await?;
    }
    Ok(())
}

async fn with_contents(db: &impl ConnectionTrait, units: Vec<ou::Model>) -> Result<Vec<Unit>> {
    let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
    let mut contents: HashMap<i64, UnitContents> = HashMap::new();
    if !ids.is_empty() {
        let items = item::Entity::find()
            .filter(item::Column::UnitId.is_in(ids))
            .all(db)
            .await?;
        for row in items {
            let c = contents.entry(row.unit_id).or_default();
            let set = match row.kind.as_str() {
                APP_LABEL => &mut c.app_labels,
                ORGANIZATION => &mut c.organizations,
                NETWORK => &mut c.networks,
                CLUSTER => &mut c.clusters,
                other => {
                    tracing::warn!(
                        unit_id = row.unit_id,
                        kind = other,
                        "unknown unit item kind"
                    );
                    continue;
                }
            };
            set.insert(row.item_id);
        }
    }
    let clusters: BTreeSet<i64> = contents
        .values()
        .flat_map(|c| c.clusters.iter().copied())
        .collect();
    let networks = cluster_networks(db, &clusters).await?;
    Ok(units
        .into_iter()
        .map(|u| {
            let contents = contents.remove(&u.id).unwrap_or_default();
            let cluster_networks = contents
                .clusters
                .iter()
                .filter_map(|c| networks.get(c).map(|n| (*c, *n)))
                .collect();
            (u, contents, cluster_networks)
        })
        .map(|(u, contents, cluster_networks)| Unit {
            contents,
            cluster_networks,
            id: u.id,
            name: u.name,
            created_at: u.created_at,
            updated_at: u.updated_at,
        })
        .collect())
}

/// How many distinct users hold at least one grant in force at `now` that is global.
pub async fn global_user_count(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64> {
    let users: Vec<i64> = user_grant::Entity::find()
        .select_only()
        .column(user_grant::Column::UserId)
        .distinct()
        .filter(user_grant::Column::UnitId.is_null())
        .filter(user_grant::Column::StartDate.lte(now))
        .filter(
            sea_orm::Condition::any()
                .add(user_grant::Column::EndDate.is_null())
                .add(user_grant::Column::EndDate.gt(now)),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(users.len() as u64)
}
