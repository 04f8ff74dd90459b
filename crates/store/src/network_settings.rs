//! A network's settings: access rules, sponsorship, rent settings and timings, free-float to
//! station reward. Every change goes through `networks::open` (a closed network refuses them);
//! amounts are stored in ten-thousandths (see `relais_domain::money`).

use crate::entity::{app_label, network, network_access_rule};
use crate::error::{Result, StoreError};
use crate::networks::{existing, open};
use chrono::Utc;
use relais_domain::money;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, Set,
};

fn stored(amount: Decimal, field: &str) -> Result<i64> {
    money::to_stored(amount)
        .ok_or_else(|| StoreError::Rule(format!("{field}: at most four decimal places")))
}

fn stored_opt(amount: Option<Decimal>, field: &str) -> Result<Option<i64>> {
    amount.map(|a| stored(a, field)).transpose()
}

/// Who an access rule lets in: at least one of the three is set.
#[derive(Debug, Clone, Default)]
pub struct AccessRuleFields {
    /// A SQL `LIKE`-style pattern on the user's email, kept as given.
    pub email_pattern: Option<String>,
    pub organization_id: Option<i64>,
    pub app_label_id: Option<i64>,
}

/// The access rules of network `network_id` (which must exist), oldest first.
pub async fn access_rules(
    db: &impl ConnectionTrait,
    network_id: i64,
) -> Result<Vec<network_access_rule::Model>> {
    existing(db, network_id).await?;
    Ok(network_access_rule::Entity::find()
        .filter(network_access_rule::Column::NetworkId.eq(network_id))
        .order_by_asc(network_access_rule::Column::Id)
        .all(db)
        .await?)
}

async fn check_app_label(db: &impl ConnectionTrait, id: Option<i64>) -> Result<()> {
    if let Some(id) = id
        && app_label::Entity::find_by_id(id).one(db).await?.is_none()
    {
        return Err(StoreError::Missing {
            entity: "app label",
            field: "app_label",
        });
    }
    Ok(())
}

async fn rule_of(
    db: &impl ConnectionTrait,
    network_id: i64,
    rule_id: i64,
) -> Result<network_access_rule::Model> {
    network_access_rule::Entity::find_by_id(rule_id)
        .filter(network_access_rule::Column::NetworkId.eq(network_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "access rule",
        })
}

/// Add an access rule to the open network `network_id`; its app label must exist.
pub async fn create_access_rule(
    db: &impl ConnectionTrait,
    network_id: i64,
    fields: AccessRuleFields,
) -> Result<network_access_rule::Model> {
    open(db, network_id).await?;
    check_app_label(db, fields.app_label_id).await?;
    Ok(network_access_rule::ActiveModel {
        network_id: Set(network_id),
        email_pattern: Set(fields.email_pattern),
        organization_id: Set(fields.organization_id),
        app_label_id: Set(fields.app_label_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Replace the three properties of access rule `rule_id` of the open network `network_id`.
pub async fn update_access_rule(
    db: &impl ConnectionTrait,
    network_id: i64,
    rule_id: i64,
    fields: AccessRuleFields,
) -> Result<network_access_rule::Model> {
    open(db, network_id).await?;
    let rule = rule_of(db, network_id, rule_id).await?;
    check_app_label(db, fields.app_label_id).await?;
    Ok(network_access_rule::ActiveModel {
        id: Set(rule.id),
        email_pattern: Set(fields.email_pattern),
        organization_id: Set(fields.organization_id),
        app_label_id: Set(fields.app_label_id),
        ..Default::default()
    }
    .update(db)
    .await?)
}

/// Remove access rule `rule_id` of the open network `network_id`.
pub async fn delete_access_rule(
    db: &impl ConnectionTrait,
    network_id: i64,
    rule_id: i64,
) -> Result<()> {
    open(db, network_id).await?;
    rule_of(db, network_id, rule_id).await?.delete(db).await?;
    Ok(())
}

/// The sponsorship rewards of a network.
#[derive(Debug, Clone)]
pub struct Sponsorship {
    pub sponsoring_reward: Decimal,
    pub sponsored_reward: Decimal,
}

/// Set the sponsorship rewards of the open network `network_id`.
pub async fn update_sponsorship(
    db: &impl ConnectionTrait,
    network_id: i64,
    new: Sponsorship,
) -> Result<network::Model> {
    open(db, network_id).await?;
    Ok(network::ActiveModel {
        id: Set(network_id),
        sponsoring_reward: Set(stored(new.sponsoring_reward, "sponsoring_reward")?),
        sponsored_reward: Set(stored(new.sponsored_reward, "sponsored_reward")?),
        ..Default::default()
    }
    .update(db)
    .await?)
}

/// The rent settings of a network.
#[derive(Debug, Clone)]
pub struct RentSettings {
    pub default_vehicle_guarantee: Decimal,
    pub trip_to_skip_pre_auth_guarantee: i32,
    pub first_purchase_required: bool,
    pub min_battery_to_rent: i32,
    pub max_simultaneous_rented_vehicle: i32,
    pub trip_on_hold: bool,
    pub credit_depletion_auto_lock: bool,
    pub min_battery_to_auto_lock: Option<i32>,
}

/// Replace the rent settings of the open network `network_id`.
pub async fn update_rent_settings(
    db: &impl ConnectionTrait,
    network_id: i64,
    new: RentSettings,
) -> Result<network::Model> {
    open(db, network_id).await?;
    Ok(network::ActiveModel {
        id: Set(network_id),
        default_vehicle_guarantee: Set(stored(
            new.default_vehicle_guarantee,
            "default_vehicle_guarantee",
        )?),
        trip_to_skip_pre_auth_guarantee: Set(new.trip_to_skip_pre_auth_guarantee),
        first_purchase_required: Set(new.first_purchase_required),
        min_battery_to_rent: Set(new.min_battery_to_rent),
        max_simultaneous_rented_vehicle: Set(new.max_simultaneous_rented_vehicle),
        trip_on_hold: Set(new.trip_on_hold),
        credit_depletion_auto_lock: Set(new.credit_depletion_auto_lock),
        min_battery_to_auto_lock: Set(new.min_battery_to_auto_lock),
        ..Default::default()
    }
    .update(db)
    .await?)
}

/// The rent timings of a network, in seconds.
#[derive(Debug, Clone)]
pub struct RentTimings {
    pub trip_too_long_notifications: i32,
    pub trip_too_long_notifications_frequency: i32,
    pub vehicle_stolen: i32,
    pub trip_auto_pause: i32,
    pub trip_max_pause: i32,
    pub trip_auto_lock: i32,
}

/// Replace the rent timings of the open network `network_id`.
pub async fn update_rent_timings(
    db: &impl ConnectionTrait,
    network_id: i64,
    new: RentTimings,
) -> Result<network::Model> {
    open(db, network_id).await?;
    Ok(network::ActiveModel {
        id: Set(network_id),
        trip_too_long_notifications: Set(new.trip_too_long_notifications),
        trip_too_long_notifications_frequency: Set(new.trip_too_long_notifications_frequency),
        vehicle_stolen: Set(new.vehicle_stolen),
        trip_auto_pause: Set(new.trip_auto_pause),
        trip_max_pause: Set(new.trip_max_pause),
        trip_auto_lock: Set(new.trip_auto_lock),
        ..Default::default()
    }
    .update(db)
    .await?)
}

/// A change to the free-float to station reward: `None` keeps a value, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct FreefloatRewardChange {
    pub discount_per_km: Option<Option<Decimal>>,
    pub station_free_credits: Option<Option<Decimal>>,
    pub receiver_station_free_credits: Option<Option<Decimal>>,
    pub min_battery: Option<Option<i32>>,
}

/// Change the free-float to station reward of the open network `network_id`.
pub async fn update_freefloat_reward(
    db: &impl ConnectionTrait,
    network_id: i64,
    change: FreefloatRewardChange,
) -> Result<network::Model> {
    let network = open(db, network_id).await?;
    let mut model = network::ActiveModel {
        id: Set(network_id),
        ..Default::default()
    };
    let mut changed = false;
    if let Some(v) = change.discount_per_km {
        model.freefloat_to_station_discount_per_km =
            Set(stored_opt(v, "freefloat_to_station_discount_per_km")?);
        changed = true;
    }
    if let Some(v) = change.station_free_credits {
        model.freefloat_to_station_free_credits =
            Set(stored_opt(v, "freefloat_to_station_free_credits")?);
        changed = true;
    }
    if let Some(v) = change.receiver_station_free_credits {
        model.freefloat_to_receiver_station_free_credits =
            Set(stored_opt(v, "freefloat_to_receiver_station_free_credits")?);
        changed = true;
    }
    if let Some(v) = change.min_battery {
        model.freefloat_to_station_min_battery = Set(v);
        changed = true;
    }
    if !changed {
        return Ok(network);
    }
    Ok(model.update(db).await?)
}
