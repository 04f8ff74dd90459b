//! Pricing rules: the weekly pricing windows of each network.
//!
//! The rules of a network never overlap (touching at a boundary is allowed): adding or changing
//! a rule checks it against the network's other rules with
//! [`relais_domain::pricing::overlapping_rule`], in the same transaction as the write, with the
//! network row locked (PostgreSQL; SQLite serializes writers), so two concurrent writes cannot
//! both slip in. A closed network refuses every change (through [`crate::networks::open`]).

use crate::entity::{network, pricing_rule};
use crate::error::{Result, StoreError};
use chrono::Utc;
use relais_domain::money;
use relais_domain::pricing::{HourOfDay, PricingRule, TimeOfWeek, WeeklyWindow, overlapping_rule};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

/// A rule refused because it would overlap another rule of its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap {
    /// The identifier of the rule it would overlap.
    pub rule_id: i64,
}

/// The outcome of a write that may be refused for an overlap.
pub type Saved = std::result::Result<pricing_rule::Model, Overlap>;

fn stored(amount: Decimal, field: &str) -> Result<i64> {
    money::to_stored(amount)
        .ok_or_else(|| StoreError::Rule(format!("{field}: at most four decimal places")))
}

fn corrupt(id: i64) -> StoreError {
    StoreError::Rule(format!(
        "pricing rule {id} is stored with an invalid window"
    ))
}

/// The weekly window of a stored rule.
pub fn window_of(model: &pricing_rule::Model) -> Result<WeeklyWindow> {
    let time = |dow: i16, hod: i32| {
        let dow = u8::try_from(dow).ok()?;
        let hod = HourOfDay::from_seconds(u32::try_from(hod).ok()?)?;
        TimeOfWeek::new(dow, hod).ok()
    };
    let (Some(start), Some(end)) = (
        time(model.start_dow, model.start_hod),
        time(model.end_dow, model.end_hod),
    ) else {
        return Err(corrupt(model.id));
    };
    WeeklyWindow::new(start, end).map_err(|_| corrupt(model.id))
}

/// A stored rule as the pricing engine takes it.
pub fn to_rule(model: &pricing_rule::Model) -> Result<PricingRule> {
    Ok(PricingRule {
        window: window_of(model)?,
        unlock_price: money::from_stored(model.unlock_price),
        unlock_included_time: u32::try_from(model.unlock_included_time)
            .map_err(|_| corrupt(model.id))?,
        freefloat_lock_price: money::from_stored(model.freefloat_lock_price),
        use_per_minute_price: money::from_stored(model.use_per_minute_price),
        on_hold_price: money::from_stored(model.on_hold_price),
    })
}

/// The rules of these networks, by network, then by start in the week, then by id.
pub async fn list(db: &impl ConnectionTrait, networks: &[i64]) -> Result<Vec<pricing_rule::Model>> {
    if networks.is_empty() {
        return Ok(Vec::new());
    }
    Ok(pricing_rule::Entity::find()
        .filter(pricing_rule::Column::NetworkId.is_in(networks.iter().copied()))
        .order_by_asc(pricing_rule::Column::NetworkId)
        .order_by_asc(pricing_rule::Column::StartDow)
        .order_by_asc(pricing_rule::Column::StartHod)
        .order_by_asc(pricing_rule::Column::Id)
        .all(db)
        .await?)
}

/// The rule `id`, which must exist.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<pricing_rule::Model> {
    pricing_rule::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "pricing rule",
        })
}

/// Lock network `network_id` for the transaction and check that it exists (404 naming
/// `network_id`) and is open.
async fn lock_open_network(db: &impl ConnectionTrait, network_id: i64) -> Result<()> {
    network::Entity::find_by_id(network_id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(StoreError::Missing {
            entity: "network",
            field: "network_id",
        })?;
    crate::networks::open(db, network_id).await?;
    Ok(())
}

/// The first rule of `network_id` other than `except` that `window` overlaps.
async fn overlap(
    db: &impl ConnectionTrait,
    network_id: i64,
    window: &WeeklyWindow,
    except: Option<i64>,
) -> Result<Option<Overlap>> {
    let others: Vec<pricing_rule::Model> = list(db, &[network_id])
        .await?
        .into_iter()
        .filter(|m| Some(m.id) != except)
        .collect();
    let rules = others.iter().map(to_rule).collect::<Result<Vec<_>>>()?;
    Ok(overlapping_rule(&rules, window).map(|index| Overlap {
        rule_id: others[index].id,
    }))
}

fn values(model: &mut pricing_rule::ActiveModel, rule: &PricingRule) -> Result<()> {
    let (start, end) = (rule.window.start(), rule.window.end());
    model.start_dow = Set(i16::from(start.dow()));
    model.start_hod = Set(start.hod().seconds() as i32);
    model.end_dow = Set(i16::from(end.dow()));
    model.end_hod = Set(end.hod().seconds() as i32);
    model.unlock_price = Set(stored(rule.unlock_price, "unlock_price")?);
    model.unlock_included_time = Set(i32::try_from(rule.unlock_included_time)
        .map_err(|_| StoreError::Rule("unlock_included_time: too large".to_owned()))?);
    model.freefloat_lock_price = Set(stored(rule.freefloat_lock_price, "freefloat_lock_price")?);
    model.use_per_minute_price = Set(stored(rule.use_per_minute_price, "use_per_minute_price")?);
    model.on_hold_price = Set(stored(rule.on_hold_price, "on_hold_price")?);
    Ok(())
}

/// Add a rule to open network `network_id`, unless it overlaps one of its rules.
pub async fn create(db: &DatabaseConnection, network_id: i64, rule: &PricingRule) -> Result<Saved> {
    let txn = crate::db::begin_write(db).await?;
    lock_open_network(&txn, network_id).await?;
    if let Some(found) = overlap(&txn, network_id, &rule.window, None).await? {
        return Ok(Err(found));
    }
    let now = Utc::now();
    let mut model = pricing_rule::ActiveModel {
        network_id: Set(network_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    values(&mut model, rule)?;
    let model = model.insert(&txn).await?;
    txn.commit().await?;
    Ok(Ok(model))
}

/// Replace rule `id` (which stays on its network), unless it would overlap another rule of its
/// network.
pub async fn update(db: &DatabaseConnection, id: i64, rule: &PricingRule) -> Result<Saved> {
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, id).await?;
    lock_open_network(&txn, current.network_id).await?;
    if let Some(found) = overlap(&txn, current.network_id, &rule.window, Some(id)).await? {
        return Ok(Err(found));
    }
    let mut model = pricing_rule::ActiveModel {
        id: Set(id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    values(&mut model, rule)?;
    let model = model.update(&txn).await?;
    txn.commit().await?;
    Ok(Ok(model))
}

/// Delete rule `id` of an open network.
pub async fn delete(db: &DatabaseConnection, id: i64) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, id).await?;
    lock_open_network(&txn, current.network_id).await?;
    pricing_rule::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}
