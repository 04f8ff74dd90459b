//! The `networks` table: a network and its settings; amounts in ten-thousandths (see `relais_domain::money`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "networks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub default_vat: i64,
    pub country_id: i32,
    pub currency: String,
    pub default_vehicle_guarantee: i64,
    pub trip_to_skip_pre_auth_guarantee: i32,
    pub timezone: String,
    pub third_party_id: Option<i64>,
    pub app_label_id: i64,
    pub tenant_code: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub sponsoring_reward: i64,
    pub sponsored_reward: i64,
    pub first_purchase_required: bool,
    pub min_battery_to_rent: i32,
    pub max_simultaneous_rented_vehicle: i32,
    pub trip_on_hold: bool,
    pub credit_depletion_auto_lock: bool,
    pub min_battery_to_auto_lock: Option<i32>,
    pub trip_too_long_notifications: i32,
    pub trip_too_long_notifications_frequency: i32,
    pub vehicle_stolen: i32,
    pub trip_auto_pause: i32,
    pub trip_max_pause: i32,
    pub trip_auto_lock: i32,
    pub freefloat_to_station_discount_per_km: Option<i64>,
    pub freefloat_to_station_free_credits: Option<i64>,
    pub freefloat_to_receiver_station_free_credits: Option<i64>,
    pub freefloat_to_station_min_battery: Option<i32>,
    pub default_low_speed: i32,
    pub default_medium_speed: i32,
    pub default_high_speed: i32,
    pub min_battery_to_slow_down: Option<i32>,
    pub battery_slow_down_speed: Option<i32>,
    pub border_shape: Option<String>,
    pub border_trigger_alert: bool,
    pub border_notify_user: bool,
    pub border_reduce_vehicle_speed: bool,
    pub border_play_vehicle_sound: bool,
    pub border_lock_vehicle: bool,
    /// Raised by every change to the border, its settings, the speed zones or the virtual
    /// parkings: what a cache of the parsed zones is checked against.
    pub zones_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
