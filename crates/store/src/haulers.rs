//! Third-party haulers (seed 003) and their connections to the operator's locations.
//!
//! A location of the seed is a network; its tenant code is `networks.tenant_code`. A hauler asks
//! to connect to a network by quoting its tenant code; the operator approves, denies, or later
//! revokes. While approved, the hauler's users hold read access to the network's stocks and
//! vehicles (and `dashboard.access`) through an organizational unit made for the connection.

use crate::entity::{
    app_label, hauler, hauler_connection as conn, hauler_user, network, organizational_unit,
};
use crate::error::{Result, StoreError, conflict_on};
use crate::grants::{self, GrantTerms, Granted};
use crate::units::{self, UnitContents};
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::BTreeSet;

/// The roles of seed 003 that may call the hauler API.
pub const ROLES: [&str; 5] = [
    "Admin",
    "Dispatcher",
    "Driver",
    "ThirdPartyDispatcher",
    "ThirdPartyDriver",
];

/// What an approved connection gives each of the hauler's users, in the network's unit (read).
pub const GRANTED: [Permission; 3] = [
    Permission::DashboardAccess,
    Permission::StocksVehicles,
    Permission::VehiclesManage,
];

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Denied,
    Revoked,
}

impl Status {
    pub fn of(c: &conn::Model) -> Status {
        if c.revoked_on.is_some() {
            Status::Revoked
        } else if c.denied_on.is_some() {
            Status::Denied
        } else if c.approved_on.is_some() {
            Status::Approved
        } else {
            Status::Pending
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Denied => "denied",
            Status::Revoked => "revoked",
        }
    }
}

/// Create a hauler with a new random UUID.
pub async fn create(db: &DatabaseConnection, name: &str) -> Result<hauler::Model> {
    Ok(hauler::ActiveModel {
        uuid: Set(uuid::Uuid::new_v4().to_string()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Make `user_id` one of the hauler's users, with `role` (one of [`ROLES`]).
pub async fn add_user(
    db: &DatabaseConnection,
    hauler_id: i64,
    user_id: i64,
    role: &str,
) -> Result<hauler_user::Model> {
    if !ROLES.contains(&role) {
        return Err(StoreError::Rule(format!("unknown hauler role {role}")));
    }
    hauler_user::ActiveModel {
        hauler_id: Set(hauler_id),
        user_id: Set(user_id),
        role: Set(role.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on("user_id"))
}

/// The hauler whose public identifier is `uuid`.
pub async fn by_uuid(db: &DatabaseConnection, uuid: &str) -> Result<Option<hauler::Model>> {
    Ok(hauler::Entity::find()
        .filter(hauler::Column::Uuid.eq(uuid))
        .one(db)
        .await?)
}

pub async fn get(db: &DatabaseConnection, id: i64) -> Result<Option<hauler::Model>> {
    Ok(hauler::Entity::find_by_id(id).one(db).await?)
}

/// The hauler `user_id` works for, with its role.
pub async fn membership(
    db: &DatabaseConnection,
    user_id: i64,
) -> Result<Option<hauler_user::Model>> {
    Ok(hauler_user::Entity::find()
        .filter(hauler_user::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// The network whose tenant code is `code` (exactly).
pub async fn network_by_tenant_code(
    db: &DatabaseConnection,
    code: &str,
) -> Result<Option<network::Model>> {
    Ok(network::Entity::find()
        .filter(network::Column::TenantCode.eq(code))
        .one(db)
        .await?)
}

/// A hauler's connections, oldest first.
pub async fn connections_of(db: &DatabaseConnection, hauler_id: i64) -> Result<Vec<conn::Model>> {
    Ok(conn::Entity::find()
        .filter(conn::Column::HaulerId.eq(hauler_id))
        .order_by_asc(conn::Column::Id)
        .all(db)
        .await?)
}

/// Ask to connect `hauler_id` to `network_id`. Refused (conflict on `tenant_code`) while a request
/// is pending or approved; a denied or revoked connection may be asked for again.
pub async fn request(
    db: &DatabaseConnection,
    hauler_id: i64,
    network_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<conn::Model> {
    crate::networks::open(db, network_id).await?;
    let existing = conn::Entity::find()
        .filter(conn::Column::HaulerId.eq(hauler_id))
        .filter(conn::Column::NetworkId.eq(network_id))
        .one(db)
        .await?;
    let model = match existing {
        Some(c) if matches!(Status::of(&c), Status::Pending | Status::Approved) => {
            return Err(StoreError::Conflict {
                field: "tenant_code",
            });
        }
        Some(c) => {
            let mut model: conn::ActiveModel = c.into();
            model.requested_by = Set(Some(user_id));
            model.requested_on = Set(now);
            model.approved_by = Set(None);
            model.approved_on = Set(None);
            model.denied_on = Set(None);
            model.revoked_on = Set(None);
            model.update(db).await?
        }
        None => conn::ActiveModel {
            hauler_id: Set(hauler_id),
            network_id: Set(network_id),
            requested_by: Set(Some(user_id)),
            requested_on: Set(now),
            approved_by: Set(None),
            approved_on: Set(None),
            denied_on: Set(None),
            revoked_on: Set(None),
            unit_id: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await
        .map_err(conflict_on("tenant_code"))?,
    };
    Ok(model)
}

/// Connections to the given networks (every network when `None`), newest first.
pub async fn list(
    db: &DatabaseConnection,
    networks: Option<&[i64]>,
    status: Option<Status>,
) -> Result<Vec<conn::Model>> {
    let mut query = conn::Entity::find().order_by_desc(conn::Column::Id);
    if let Some(ids) = networks {
        query = query.filter(conn::Column::NetworkId.is_in(ids.iter().copied()));
    }
    let rows = query.all(db).await?;
    Ok(rows
        .into_iter()
        .filter(|c| status.is_none_or(|s| Status::of(c) == s))
        .collect())
}

/// The haulers of `connections`, by id, in one query.
pub async fn haulers_of(
    db: &DatabaseConnection,
    connections: &[conn::Model],
) -> Result<std::collections::HashMap<i64, hauler::Model>> {
    Ok(crate::map_by_ids::<hauler::Entity>(
        db,
        hauler::Column::Id,
        connections.iter().map(|c| c.hauler_id),
        |h| h.id,
    )
    .await?)
}

pub async fn connection(db: &DatabaseConnection, id: i64) -> Result<conn::Model> {
    conn::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "hauler connection",
        })
}

async fn users_of(db: &DatabaseConnection, hauler_id: i64) -> Result<Vec<i64>> {
    Ok(hauler_user::Entity::find()
        .filter(hauler_user::Column::HaulerId.eq(hauler_id))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.user_id)
        .collect())
}

/// Approve a pending (or denied) connection: record who and when, and give the hauler's users
/// read access to the network through the connection's organizational unit.
pub async fn approve(
    db: &DatabaseConnection,
    id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> Result<conn::Model> {
    let c = connection(db, id).await?;
    crate::networks::open(db, c.network_id).await?;
    if !matches!(Status::of(&c), Status::Pending | Status::Denied) {
        return Err(StoreError::Rule(format!(
            "this connection is {}; only a pending or denied connection can be approved",
            Status::of(&c).key()
        )));
    }
    // Unit names are at most 50 characters: ids, not the hauler's name or UUID.
    let name = format!("Hauler {} - network {}", c.hauler_id, c.network_id);
    let unit_id = match organizational_unit::Entity::find()
        .filter(organizational_unit::Column::Name.eq(&name))
        .one(db)
        .await?
    {
        Some(unit) => unit.id,
        None => {
            let contents = UnitContents {
                networks: BTreeSet::from([c.network_id]),
                ..Default::default()
            };
            units::create(db, &name, &contents).await?.id
        }
    };
    for user_id in users_of(db, c.hauler_id).await? {
        for permission in GRANTED {
            grants::put(
                db,
                user_id,
                Granted::Permission(permission),
                GrantTerms {
                    unit_id: Some(unit_id),
                    write: false,
                    start_date: now,
                    end_date: None,
                    granted_by: Some(by),
                },
            )
            .await?;
        }
    }
    let mut model: conn::ActiveModel = c.into();
    model.approved_by = Set(Some(by));
    model.approved_on = Set(Some(now));
    model.denied_on = Set(None);
    model.unit_id = Set(Some(unit_id));
    Ok(model.update(db).await?)
}

/// Deny a pending connection (records when).
pub async fn deny(db: &DatabaseConnection, id: i64, now: DateTime<Utc>) -> Result<conn::Model> {
    let c = connection(db, id).await?;
    crate::networks::open(db, c.network_id).await?;
    if Status::of(&c) != Status::Pending {
        return Err(StoreError::Rule(format!(
            "this connection is {}; only a pending connection can be denied (revoke an approved one)",
            Status::of(&c).key()
        )));
    }
    let mut model: conn::ActiveModel = c.into();
    model.denied_on = Set(Some(now));
    Ok(model.update(db).await?)
}

/// Revoke an approved connection: the hauler's users lose the access it gave.
pub async fn revoke(db: &DatabaseConnection, id: i64, now: DateTime<Utc>) -> Result<conn::Model> {
    let c = connection(db, id).await?;
    if Status::of(&c) != Status::Approved {
        return Err(StoreError::Rule(format!(
            "this connection is {}; only an approved connection can be revoked",
            Status::of(&c).key()
        )));
    }
    if let Some(unit_id) = c.unit_id {
        for user_id in users_of(db, c.hauler_id).await? {
            for permission in GRANTED {
                grants::remove(db, user_id, Granted::Permission(permission), Some(unit_id)).await?;
            }
        }
        // Another grant (given by hand) may still use the unit: then it stays.
        if let Err(err) = units::delete(db, unit_id).await
            && !matches!(err, StoreError::Rule(_))
        {
            return Err(err);
        }
    }
    let mut model: conn::ActiveModel = c.into();
    model.revoked_on = Set(Some(now));
    model.unit_id = Set(None);
    Ok(model.update(db).await?)
}

/// The locations (networks) of `network_ids` with their providers, by network id, in two
/// queries; an unknown id is left out.
pub async fn locations(
    db: &DatabaseConnection,
    network_ids: impl IntoIterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, (network::Model, Option<app_label::Model>)>> {
    let networks =
        crate::map_by_ids::<network::Entity>(db, network::Column::Id, network_ids, |n| n.id)
            .await?;
    let labels = crate::map_by_ids::<app_label::Entity>(
        db,
        app_label::Column::Id,
        networks.values().map(|n| n.app_label_id),
        |l| l.id,
    )
    .await?;
    Ok(networks
        .into_iter()
        .map(|(id, n)| {
            let label = labels.get(&n.app_label_id).cloned();
            (id, (n, label))
        })
        .collect())
}

/// A location (network) with its provider (the network's app label).
pub async fn location(
    db: &DatabaseConnection,
    network_id: i64,
) -> Result<(network::Model, Option<app_label::Model>)> {
    let network = crate::networks::existing(db, network_id).await?;
    let label = app_label::Entity::find_by_id(network.app_label_id)
        .one(db)
        .await?;
    Ok((network, label))
}
