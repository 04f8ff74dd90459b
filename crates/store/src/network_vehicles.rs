//! A network's vehicle settings: per-model settings (automatic light, blocked speed mode) and
//! guarantees, the network's speed settings, and the durable command outbox that carries every
//! change to the vehicles in service.
//!
//! Each change is written in one transaction with the commands it implies, so a setting is never
//! stored without the vehicles being told (nor the other way round). Within that transaction,
//! the pending commands it makes stale are marked `superseded`: a vehicle never receives old
//! settings after new ones. The fleet work delivers the commands with [`claim_commands`],
//! [`mark_delivered`] and [`mark_failed`].

use crate::entity::{
    network, network_vehicle_model as nvm, vehicle, vehicle_command as command, vehicle_model,
};
use crate::error::{Result, StoreError};
use crate::networks;
use chrono::{DateTime, Utc};
use relais_domain::money;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use std::collections::HashMap;

/// Command: apply a model's settings (`auto_light`, `speed_mode`) on a vehicle of that model.
pub const APPLY_SETTINGS: &str = "apply-settings";
/// Command: apply the network's speed settings on a vehicle.
pub const APPLY_SPEED_SETTINGS: &str = "apply-speed-settings";
/// Command: apply the full effective settings (network speeds and model settings) on a vehicle.
pub const RESET_SETTINGS: &str = "reset-settings";

/// States of a command in the outbox.
pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";
/// A pending command made stale by a newer one before it was delivered; never delivered.
pub const SUPERSEDED: &str = "superseded";

/// Attempts after which a failing command stops being retried (state `failed`).
pub const MAX_ATTEMPTS: i32 = 5;

/// Rows written per statement, well under the bind-parameter limits of both databases.
const CHUNK: usize = 500;

/// A vehicle model with specific settings on a network.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSettings {
    pub model_id: i64,
    pub model_name: String,
    pub auto_light: Option<bool>,
    pub speed_mode: Option<i16>,
    pub updated_at: DateTime<Utc>,
}

/// A vehicle model with a specific guarantee on a network.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelGuarantees {
    pub model_id: i64,
    pub model_name: String,
    pub guarantee: Option<Decimal>,
    pub pre_auth: Option<Decimal>,
    pub updated_at: DateTime<Utc>,
}

/// The speed settings of a network's vehicles, in km/h (battery level in %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SpeedSettings {
    pub default_low_speed: i32,
    pub default_medium_speed: i32,
    pub default_high_speed: i32,
    pub min_battery_to_slow_down: Option<i32>,
    pub battery_slow_down_speed: Option<i32>,
}

impl From<&network::Model> for SpeedSettings {
    fn from(n: &network::Model) -> Self {
        SpeedSettings {
            default_low_speed: n.default_low_speed,
            default_medium_speed: n.default_medium_speed,
            default_high_speed: n.default_high_speed,
            min_battery_to_slow_down: n.min_battery_to_slow_down,
            battery_slow_down_speed: n.battery_slow_down_speed,
        }
    }
}

/// Payload of `apply-settings`.
#[derive(Debug, Serialize)]
struct ModelPayload {
    auto_light: bool,
    speed_mode: Option<i16>,
}

/// Payload of `reset-settings`: everything a vehicle needs.
#[derive(Debug, Serialize)]
struct ResetPayload {
    #[serde(flatten)]
    speeds: SpeedSettings,
    #[serde(flatten)]
    model: ModelPayload,
}

async fn model_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, String>> {
    Ok(vehicle_model::Entity::find()
        .filter(vehicle_model::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect())
}

/// Rows of `network_id` matching `condition`, with the names of their models, by model name.
async fn rows_with_names(
    db: &impl ConnectionTrait,
    network_id: i64,
    condition: Condition,
) -> Result<Vec<(nvm::Model, String)>> {
    networks::existing(db, network_id).await?;
    let rows = nvm::Entity::find()
        .filter(nvm::Column::NetworkId.eq(network_id))
        .filter(condition)
        .all(db)
        .await?;
    let names = model_names(db, rows.iter().map(|r| r.model_id)).await?;
    let mut rows: Vec<(nvm::Model, String)> = rows
        .into_iter()
        .map(|r| {
            let name = names.get(&r.model_id).cloned().unwrap_or_default();
            (r, name)
        })
        .collect();
    rows.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.model_id.cmp(&b.0.model_id)));
    Ok(rows)
}

/// The models of network `network_id` (which must exist) with specific settings, by model name.
pub async fn model_settings(
    db: &impl ConnectionTrait,
    network_id: i64,
) -> Result<Vec<ModelSettings>> {
    let condition = Condition::any()
        .add(nvm::Column::AutoLight.is_not_null())
        .add(nvm::Column::SpeedMode.is_not_null());
    Ok(rows_with_names(db, network_id, condition)
        .await?
        .into_iter()
        .map(|(r, model_name)| ModelSettings {
            model_id: r.model_id,
            model_name,
            auto_light: r.auto_light,
            speed_mode: r.speed_mode,
            updated_at: r.updated_at,
        })
        .collect())
}

/// The models of network `network_id` (which must exist) with a specific guarantee, by model name.
pub async fn model_guarantees(
    db: &impl ConnectionTrait,
    network_id: i64,
) -> Result<Vec<ModelGuarantees>> {
    let condition = Condition::any()
        .add(nvm::Column::Guarantee.is_not_null())
        .add(nvm::Column::PreAuth.is_not_null());
    Ok(rows_with_names(db, network_id, condition)
        .await?
        .into_iter()
        .map(|(r, model_name)| ModelGuarantees {
            model_id: r.model_id,
            model_name,
            guarantee: r.guarantee.map(money::from_stored),
            pre_auth: r.pre_auth.map(money::from_stored),
            updated_at: r.updated_at,
        })
        .collect())
}

async fn known_model(db: &impl ConnectionTrait, model_id: i64) -> Result<()> {
    match crate::reference::vehicle_model(db, model_id).await? {
        Some(_) => Ok(()),
        None => Err(StoreError::Missing {
            entity: "vehicle model",
            field: "model_id",
        }),
    }
}

/// Insert or update the row of (`network_id`, `model_id`) with `change` applied.
async fn upsert(
    db: &impl ConnectionTrait,
    network_id: i64,
    model_id: i64,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut nvm::ActiveModel),
) -> Result<()> {
    let existing = nvm::Entity::find_by_id((network_id, model_id))
        .one(db)
        .await?;
    let mut row = nvm::ActiveModel {
        network_id: Set(network_id),
        model_id: Set(model_id),
        updated_at: Set(now),
        ..Default::default()
    };
    change(&mut row);
    if existing.is_some() {
        row.update(db).await?;
    } else {
        row.insert(db).await?;
    }
    Ok(())
}

/// Set the settings of model `model_id` on network `network_id` (open), and queue
/// `apply-settings` for each vehicle of that model in service on the network.
/// Returns how many commands were queued.
pub async fn set_model_settings(
    db: &DatabaseConnection,
    network_id: i64,
    model_id: i64,
    auto_light: bool,
    speed_mode: Option<i16>,
) -> Result<u64> {
    let txn = crate::db::begin_write(db).await?;
    networks::open(&txn, network_id).await?;
    known_model(&txn, model_id).await?;
    let now = Utc::now();
    upsert(&txn, network_id, model_id, now, |row| {
        row.auto_light = Set(Some(auto_light));
        row.speed_mode = Set(speed_mode);
    })
    .await?;
    let vehicles = in_service(&txn, network_id, Some(model_id)).await?;
    let payload = to_json(&ModelPayload {
        auto_light,
        speed_mode,
    })?;
    let commands = vehicles.iter().map(|v| (v.id, payload.clone())).collect();
    let queued = enqueue(&txn, APPLY_SETTINGS, &[APPLY_SETTINGS], commands, now)
        .await?
        .len() as u64;
    txn.commit().await?;
    Ok(queued)
}

/// Set the guarantee and pre-authorization of model `model_id` on network `network_id` (open).
/// Guarantees concern billing only: no command is queued.
pub async fn set_model_guarantees(
    db: &DatabaseConnection,
    network_id: i64,
    model_id: i64,
    guarantee: Decimal,
    pre_auth: Decimal,
) -> Result<()> {
    let guarantee = stored(guarantee, "guarantee")?;
    let pre_auth = stored(pre_auth, "pre_auth")?;
    let txn = crate::db::begin_write(db).await?;
    networks::open(&txn, network_id).await?;
    known_model(&txn, model_id).await?;
    upsert(&txn, network_id, model_id, Utc::now(), |row| {
        row.guarantee = Set(Some(guarantee));
        row.pre_auth = Set(Some(pre_auth));
    })
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The speed settings of network `network_id`, which must exist.
pub async fn speed_settings(db: &impl ConnectionTrait, network_id: i64) -> Result<SpeedSettings> {
    Ok(SpeedSettings::from(
        &networks::existing(db, network_id).await?,
    ))
}

/// Replace the speed settings of network `network_id` (open) and queue `apply-speed-settings`
/// for each of its vehicles in service. Returns how many commands were queued.
pub async fn set_speed_settings(
    db: &DatabaseConnection,
    network_id: i64,
    speeds: SpeedSettings,
) -> Result<u64> {
    let txn = crate::db::begin_write(db).await?;
    networks::open(&txn, network_id).await?;
    network::ActiveModel {
        id: Set(network_id),
        default_low_speed: Set(speeds.default_low_speed),
        default_medium_speed: Set(speeds.default_medium_speed),
        default_high_speed: Set(speeds.default_high_speed),
        min_battery_to_slow_down: Set(speeds.min_battery_to_slow_down),
        battery_slow_down_speed: Set(speeds.battery_slow_down_speed),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let vehicles = in_service(&txn, network_id, None).await?;
    let payload = to_json(&speeds)?;
    let commands = vehicles.iter().map(|v| (v.id, payload.clone())).collect();
    let queued = enqueue(
        &txn,
        APPLY_SPEED_SETTINGS,
        &[APPLY_SPEED_SETTINGS],
        commands,
        Utc::now(),
    )
    .await?
    .len() as u64;
    txn.commit().await?;
    Ok(queued)
}

/// Queue `reset-settings` for every vehicle in service of network `network_id` (open), with its
/// full effective settings: the network's speed settings and its model's settings (no automatic
/// light and no blocked speed mode when the model has none on the network). A reset carries
/// everything, so it supersedes every pending settings command of those vehicles.
/// Returns how many commands were queued.
pub async fn reset_settings(db: &DatabaseConnection, network_id: i64) -> Result<u64> {
    let txn = crate::db::begin_write(db).await?;
    let network = networks::open(&txn, network_id).await?;
    let speeds = SpeedSettings::from(&network);
    let models: HashMap<i64, nvm::Model> = nvm::Entity::find()
        .filter(nvm::Column::NetworkId.eq(network_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| (r.model_id, r))
        .collect();
    let vehicles = in_service(&txn, network_id, None).await?;
    let mut commands = Vec::with_capacity(vehicles.len());
    for v in &vehicles {
        let model = models.get(&v.model_id);
        let payload = ResetPayload {
            speeds,
            model: ModelPayload {
                auto_light: model.and_then(|m| m.auto_light).unwrap_or(false),
                speed_mode: model.and_then(|m| m.speed_mode),
            },
        };
        commands.push((v.id, to_json(&payload)?));
    }
    let queued = enqueue(
        &txn,
        RESET_SETTINGS,
        &[RESET_SETTINGS, APPLY_SETTINGS, APPLY_SPEED_SETTINGS],
        commands,
        Utc::now(),
    )
    .await?
    .len() as u64;
    txn.commit().await?;
    Ok(queued)
}

fn stored(amount: Decimal, field: &str) -> Result<i64> {
    money::to_stored(amount)
        .ok_or_else(|| StoreError::Rule(format!("{field}: at most four decimal places")))
}

fn to_json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Db(sea_orm::DbErr::Custom(format!("command payload: {e}"))))
}

/// The vehicles in service (not decommissioned) of `network_id`, of `model_id` when given, by id.
async fn in_service(
    db: &impl ConnectionTrait,
    network_id: i64,
    model_id: Option<i64>,
) -> Result<Vec<vehicle::Model>> {
    let mut query = vehicle::Entity::find()
        .filter(vehicle::Column::NetworkId.eq(network_id))
        .filter(vehicle::Column::DecommissionedAt.is_null());
    if let Some(model_id) = model_id {
        query = query.filter(vehicle::Column::ModelId.eq(model_id));
    }
    Ok(query.order_by_asc(vehicle::Column::Id).all(db).await?)
}

/// Queue `kind` with a payload for each vehicle, first marking `superseded` the pending commands
/// of those vehicles whose kind is in `supersedes`. Every command of the outbox is queued here
/// (the Dashboard's settings, the IoT link's border commands), so none can overtake a newer one.
/// Returns the ids of the queued commands, in the order of `commands`.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: &str,
    supersedes: &[&str],
    commands: Vec<(i64, String)>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(commands.len());
    for chunk in commands.chunks(CHUNK) {
        command::Entity::update_many()
            .col_expr(command::Column::State, Expr::value(SUPERSEDED))
            .filter(command::Column::State.eq(PENDING))
            .filter(command::Column::Command.is_in(supersedes.iter().copied()))
            .filter(command::Column::VehicleId.is_in(chunk.iter().map(|(id, _)| *id)))
            .exec(db)
            .await?;
        let keys = command::Entity::insert_many(chunk.iter().map(|(vehicle_id, payload)| {
            command::ActiveModel {
                vehicle_id: Set(*vehicle_id),
                command: Set(kind.to_owned()),
                payload: Set(payload.clone()),
                state: Set(PENDING.to_owned()),
                attempts: Set(0),
                last_error: Set(None),
                created_at: Set(now),
                delivered_at: Set(None),
                ..Default::default()
            }
        }))
        .exec_with_returning_keys(db)
        .await?;
        // Keys are handed out in the order of the VALUES rows; RETURNING does not promise to
        // list them in that order.
        let mut keys = keys;
        keys.sort_unstable();
        ids.extend(keys);
    }
    Ok(ids)
}

/// Commands waiting for delivery, oldest first (deliver them in this order), at most `limit`.
pub async fn pending_commands(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<command::Model>> {
    Ok(command::Entity::find()
        .filter(command::Column::State.eq(PENDING))
        .order_by_asc(command::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Claim at most `limit` pending commands nobody holds, oldest first (deliver them in this
/// order), for `lease`: the time their ack has to come. Another process on the same database
/// skips them meanwhile, so a command is never published by two at once; once the lease is
/// over a command not acknowledged is free again (its attempt is counted by
/// [`mark_failed`]).
pub async fn claim_commands(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: u64,
) -> Result<Vec<command::Model>> {
    use sea_orm::sea_query::{LockBehavior, LockType, Query};
    let free = Query::select()
        .column(command::Column::Id)
        .from(command::Entity)
        .and_where(command::Column::State.eq(PENDING))
        .cond_where(
            Condition::any()
                .add(command::Column::LockedUntil.is_null())
                .add(command::Column::LockedUntil.lt(now)),
        )
        // An expired command (a trip's unlock after its timeout) is never published.
        .cond_where(
            Condition::any()
                .add(command::Column::ExpiresAt.is_null())
                .add(command::Column::ExpiresAt.gt(now)),
        )
        .order_by(command::Column::Id, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let mut claimed = command::Entity::update_many()
        .col_expr(command::Column::LockedUntil, Expr::value(Some(now + lease)))
        .filter(command::Column::Id.in_subquery(free))
        .exec_with_returning(db)
        .await?;
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// Give claimed commands back at once (claimed but not published: the client's queue was
/// full).
pub async fn release_commands(db: &impl ConnectionTrait, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    command::Entity::update_many()
        .col_expr(
            command::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(command::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// The commands of vehicle `vehicle_id`, oldest first, whatever their state.
pub async fn vehicle_commands(
    db: &impl ConnectionTrait,
    vehicle_id: i64,
) -> Result<Vec<command::Model>> {
    Ok(command::Entity::find()
        .filter(command::Column::VehicleId.eq(vehicle_id))
        .order_by_asc(command::Column::Id)
        .all(db)
        .await?)
}

async fn command_by_id(db: &impl ConnectionTrait, id: i64) -> Result<command::Model> {
    command::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "vehicle command",
        })
}

/// Record that command `id` reached its vehicle. A command superseded while it was being
/// delivered is recorded as delivered too (it did arrive; the newer one follows it).
/// Refused for a command already delivered or failed.
pub async fn mark_delivered(db: &impl ConnectionTrait, id: i64) -> Result<command::Model> {
    let current = command_by_id(db, id).await?;
    if current.state != PENDING && current.state != SUPERSEDED {
        return Err(StoreError::Rule(format!(
            "vehicle command {id} is already {}",
            current.state
        )));
    }
    Ok(command::ActiveModel {
        id: Set(id),
        state: Set(DELIVERED.to_owned()),
        attempts: Set(current.attempts + 1),
        delivered_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(db)
    .await?)
}

/// Record a failed delivery attempt of command `id` with its `error`. A pending command stays
/// pending to be retried until it has failed [`MAX_ATTEMPTS`] times, then becomes `failed`.
/// Refused for a command already delivered or failed.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    id: i64,
    error: &str,
) -> Result<command::Model> {
    let current = command_by_id(db, id).await?;
    if current.state != PENDING && current.state != SUPERSEDED {
        return Err(StoreError::Rule(format!(
            "vehicle command {id} is already {}",
            current.state
        )));
    }
    let attempts = current.attempts + 1;
    let state = if current.state == PENDING && attempts >= MAX_ATTEMPTS {
        FAILED
    } else {
        current.state.as_str()
    };
    Ok(command::ActiveModel {
        id: Set(id),
        state: Set(state.to_owned()),
        attempts: Set(attempts),
        last_error: Set(Some(error.to_owned())),
        locked_until: Set(None),
        ..Default::default()
    }
    .update(db)
    .await?)
}
