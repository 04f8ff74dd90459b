//! The operator's configuration in the demonstration: one app label, two third parties and
//! three networks in three countries and time zones, each with a border, speed zones, virtual
//! parkings, pricing, rent settings and notification settings.

use chrono::Utc;
use relais_domain::geometry::Shape;
use relais_domain::money::to_stored;
use relais_store::Db;
use relais_store::entity::{
    app_label, app_label_billing, network, notification_setting, notification_target, pricing_rule,
    speed_zone, third_party, virtual_parking,
};
use relais_store::networks::{self, NewNetwork};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, Set};
use std::str::FromStr;

/// The ids the rest of the demonstration refers to.
pub struct Operator {
    pub app_label: i64,
    pub lyon: i64,
    pub toronto: i64,
    pub tashkent: i64,
}

fn amount(text: &str) -> i64 {
    to_stored(Decimal::from_str(text).expect("demo amount")).expect("demo amount fits")
}

fn shape(points: &[[f64; 2]]) -> String {
    Shape::new(points).expect("demo shape").to_storage()
}

/// A rectangle around a centre, in degrees.
fn rectangle(lng: f64, lat: f64, half_width: f64, half_height: f64) -> String {
    shape(&[
        [lng - half_width, lat - half_height],
        [lng + half_width, lat - half_height],
        [lng + half_width, lat + half_height],
        [lng - half_width, lat + half_height],
    ])
}

/// A pricing window: start dow, start hour (seconds), end dow, end hour, then unlock price,
/// price per minute, on-hold price per minute and free-float lock price.
type PricingSpec = (
    i16,
    i32,
    i16,
    i32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

struct NetworkSpec {
    name: &'static str,
    country_id: i32,
    currency: &'static str,
    timezone: &'static str,
    vat: &'static str,
    guarantee: &'static str,
    border: &'static [[f64; 2]],
    centre: [f64; 2],
    pricing: &'static [PricingSpec],
}

const HOUR: i32 = 3600;

const NETWORKS: [NetworkSpec; 3] = [
    NetworkSpec {
        name: "Vélo'v Lyon",
        country_id: 250,
        currency: "EUR",
        timezone: "Europe/Paris",
        vat: "0.2",
        guarantee: "150",
        border: &[
            [4.790, 45.715],
            [4.905, 45.718],
            [4.915, 45.790],
            [4.850, 45.805],
            [4.785, 45.780],
        ],
        centre: [4.8357, 45.7578],
        pricing: &[
            // Weekdays, Monday 00:00 to Saturday 00:00, then the weekend.
            (1, 0, 6, 0, "1.00", "0.25", "0.10", "1.00"),
            (6, 0, 1, 0, "1.00", "0.30", "0.10", "1.50"),
        ],
    },
    NetworkSpec {
        name: "Bike Share Toronto",
        country_id: 124,
        currency: "CAD",
        timezone: "America/Toronto",
        vat: "0.13",
        guarantee: "100",
        border: &[
            [-79.480, 43.625],
            [-79.290, 43.640],
            [-79.300, 43.720],
            [-79.470, 43.710],
        ],
        centre: [-79.3832, 43.6532],
        pricing: &[(0, 0, 6, 24 * HOUR, "1.25", "0.35", "0.15", "0.00")],
    },
    NetworkSpec {
        name: "Tashkent Velo",
        country_id: 860,
        currency: "UZS",
        timezone: "Asia/Tashkent",
        vat: "0.12",
        guarantee: "200000",
        border: &[
            [69.180, 41.250],
            [69.340, 41.255],
            [69.345, 41.360],
            [69.185, 41.355],
        ],
        centre: [69.2797, 41.3111],
        pricing: &[
            // Day and night.
            (0, 6 * HOUR, 0, 22 * HOUR, "3000", "800", "300", "2000"),
            (1, 6 * HOUR, 1, 22 * HOUR, "3000", "800", "300", "2000"),
            (2, 6 * HOUR, 2, 22 * HOUR, "3000", "800", "300", "2000"),
            (3, 6 * HOUR, 3, 22 * HOUR, "3000", "800", "300", "2000"),
            (4, 6 * HOUR, 4, 22 * HOUR, "3000", "800", "300", "2000"),
            (5, 6 * HOUR, 5, 22 * HOUR, "3000", "800", "300", "2000"),
            (6, 6 * HOUR, 6, 22 * HOUR, "3000", "800", "300", "2000"),
        ],
    },
];

pub async fn load(db: &Db) -> anyhow::Result<Operator> {
    let now = Utc::now();
    let label = app_label::ActiveModel {
        name: Set("relais".into()),
        display_name: Set("Relais Mobility".into()),
        require_sms_validation: Set(true),
        require_terms_of_use: Set(true),
        auto_delete_users: Set(false),
        android_store_url: Set(Some(
            "https://play.google.com/store/apps/details?id=example.relais".into(),
        )),
        ios_store_url: Set(Some("https://apps.apple.com/app/id1234567890".into())),
        saved_payment_method_is_optional: Set(false),
        website: Set(Some("https://relais.example".into())),
        contact_email: Set(Some("hello@relais.example".into())),
        contact_phone_number: Set(Some("+33 4 72 00 00 00".into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    app_label_billing::ActiveModel {
        app_label_id: Set(label.id),
        name: Set(Some("Relais Mobility SAS".into())),
        legal_form: Set(Some("SAS".into())),
        vat_number: Set(Some("FR12345678901".into())),
        registration_number: Set(Some("123 456 789 00012".into())),
        capital: Set(Some("50 000 EUR".into())),
        street: Set("12 rue de la République".into()),
        zip_code: Set("69002".into()),
        city: Set("Lyon".into()),
        country: Set("France".into()),
        issuer: Set(Some("Relais".into())),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;

    let owner = third_party::ActiveModel {
        name: Set("Métropole de Lyon".into()),
        address: Set("20 rue du Lac".into()),
        zipcode: Set("69003".into()),
        city: Set("Lyon".into()),
        country_id: Set(250),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    third_party::ActiveModel {
        name: Set("Transports Rhône Logistique".into()),
        address: Set("5 avenue Tony Garnier".into()),
        zipcode: Set("69007".into()),
        city: Set("Lyon".into()),
        country_id: Set(250),
        email: Set(Some("dispatch@trl.example".into())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;

    let mut ids = Vec::new();
    for (index, spec) in NETWORKS.iter().enumerate() {
        let created = networks::create(
            db,
            NewNetwork {
                name: spec.name.into(),
                default_vat: Decimal::from_str(spec.vat)?,
                country_id: spec.country_id,
                currency: spec.currency.into(),
                default_vehicle_guarantee: Decimal::from_str(spec.guarantee)?,
                trip_to_skip_pre_auth_guarantee: 5,
                timezone: spec.timezone.into(),
                third_party_id: (index == 0).then_some(owner.id),
                app_label_id: label.id,
                created_by: None,
            },
        )
        .await?;
        network::ActiveModel {
            id: Set(created.id),
            border_shape: Set(Some(shape(spec.border))),
            sponsoring_reward: Set(amount(if index == 2 { "10000" } else { "5" })),
            sponsored_reward: Set(amount(if index == 2 { "10000" } else { "5" })),
            min_battery_to_rent: Set(25),
            max_simultaneous_rented_vehicle: Set(2),
            min_battery_to_auto_lock: Set(Some(5)),
            freefloat_to_station_min_battery: Set(Some(30)),
            freefloat_to_station_free_credits: Set(Some(amount(if index == 2 {
                "2000"
            } else {
                "0.5"
            }))),
            ..Default::default()
        }
        .update(db)
        .await?;
        let [lng, lat] = spec.centre;
        speed_zone::ActiveModel {
            network_id: Set(created.id),
            shape: Set(rectangle(lng, lat, 0.006, 0.004)),
            max_speed: Set(10),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        speed_zone::ActiveModel {
            network_id: Set(created.id),
            shape: Set(rectangle(lng + 0.02, lat + 0.01, 0.008, 0.005)),
            max_speed: Set(15),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        for (offset, capacity) in [(-0.01, 12), (0.012, 20)] {
            virtual_parking::ActiveModel {
                network_id: Set(Some(created.id)),
                shape: Set(rectangle(lng + offset, lat - 0.008, 0.0004, 0.0003)),
                capacity: Set(capacity),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        // Written behind the geofencing functions: a running IoT link must see the new zones.
        relais_store::geofencing::bump_zones_version(db, created.id).await?;
        for &(start_dow, start_hod, end_dow, end_hod, unlock, minute, hold, lock) in spec.pricing {
            pricing_rule::ActiveModel {
                network_id: Set(created.id),
                start_dow: Set(start_dow),
                start_hod: Set(start_hod),
                end_dow: Set(end_dow),
                end_hod: Set(end_hod),
                unlock_price: Set(amount(unlock)),
                unlock_included_time: Set(if index == 1 { 1800 } else { 0 }),
                freefloat_lock_price: Set(amount(lock)),
                use_per_minute_price: Set(amount(minute)),
                on_hold_price: Set(amount(hold)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        let setting = notification_setting::ActiveModel {
            network_id: Set(created.id),
            notification_type: Set("fleet-alert".into()),
            alert_types: Set(
                "vehicle-fallen,vehicle-lifted,vehicle-dismantling,vehicle-out-of-network-area"
                    .into(),
            ),
            alert_severities: Set("high,critical".into()),
            check_interval: Set(Some(300)),
            check_delay: Set(Some(120)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        notification_target::ActiveModel {
            setting_id: Set(setting.id),
            email: Set(Some(format!("fleet-{}@relais.example", index + 1))),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        ids.push(created.id);
    }
    Ok(Operator {
        app_label: label.id,
        lyon: ids[0],
        toronto: ids[1],
        tashkent: ids[2],
    })
}
