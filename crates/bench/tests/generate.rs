//! The generator on a tiny dataset in a temporary SQLite file: the row counts asked for, the
//! network counters in agreement with the rows (what `relais check` verifies), and the rows
//! read back through the store's own list queries, so that relais can serve what it made.

use chrono::Utc;
use relais_bench::args::Sizes;
use relais_bench::generate;
use relais_store::access_logs::AccessLogFilter;
use relais_store::clusters::{self, NewCluster, NewStation};
use relais_store::entity::{access_log, app_label, fleet_alert, trip, user, user_network, vehicle};
use relais_store::fleet_alerts::{HistoryFilter, HistorySort};
use relais_store::networks::{self, NewNetwork};
use relais_store::users::{NewUser, UserFilter, UserSort};
use relais_store::{Keyset, SortDir, Within, network_counters, setup};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

const SIZES: Sizes = Sizes {
    vehicles_per_network: 40,
    trips: 1_000,
    fleet_alerts: 300,
    access_logs: 1_000,
    riders: 500,
};

/// What `relais demo` leaves for the generator to grow, in small: an administrator, an app
/// label, networks with clusters and stations (vehicle models come with the migrations).
async fn base(db: &relais_store::Db) -> Vec<i64> {
    setup::create_admin(
        db,
        NewUser {
            email: "admin@bench.test".into(),
            password_hash: None,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let now = Utc::now();
    let label = app_label::ActiveModel {
        name: Set("bench".into()),
        display_name: Set("Bench".into()),
        require_sms_validation: Set(false),
        require_terms_of_use: Set(false),
        auto_delete_users: Set(false),
        saved_payment_method_is_optional: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let mut ids = Vec::new();
    for (n, (name, lng, lat)) in [("Lyon", 4.8357, 45.7578), ("Toronto", -79.38, 43.65)]
        .into_iter()
        .enumerate()
    {
        let network = networks::create(
            db,
            NewNetwork {
                name: name.into(),
                default_vat: Decimal::new(2, 1),
                country_id: 250,
                currency: "EUR".into(),
                default_vehicle_guarantee: Decimal::new(150, 0),
                trip_to_skip_pre_auth_guarantee: 5,
                timezone: "Europe/Paris".into(),
                third_party_id: None,
                app_label_id: label.id,
                created_by: None,
            },
        )
        .await
        .unwrap();
        for c in 0..3 {
            clusters::create(
                db,
                NewCluster {
                    network_id: network.id,
                    name: format!("{name} {c}"),
                    latitude: lat,
                    longitude: lng,
                    location: "centre".into(),
                    badge_reader: false,
                    stations: vec![NewStation {
                        serial: format!("ST{n}{c}"),
                        name: format!("{name} station {c}"),
                        spot_count: 4,
                    }],
                },
            )
            .await
            .unwrap();
        }
        ids.push(network.id);
    }
    ids
}

#[tokio::test]
async fn tiny_dataset_is_consistent_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("relais.db").display()
    );
    let db = relais_store::connect(&url, 1).await.unwrap();
    relais_store::db::migrate(&db).await.unwrap();
    let networks = base(&db).await;

    let generated = generate::grow(&db, &SIZES).await.unwrap();
    let rows = |name: &str| {
        generated
            .phases
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.rows)
    };
    assert_eq!(rows("vehicles"), Some(2 * SIZES.vehicles_per_network));
    assert_eq!(rows("trips"), Some(SIZES.trips));
    assert_eq!(rows("fleet_alerts"), Some(SIZES.fleet_alerts));
    assert_eq!(rows("access_logs"), Some(SIZES.access_logs));
    assert_eq!(
        trip::Entity::find().count(&db).await.unwrap(),
        SIZES.trips,
        "trips"
    );
    assert_eq!(
        access_log::Entity::find().count(&db).await.unwrap(),
        SIZES.access_logs
    );
    for id in &networks {
        let in_service = vehicle::Entity::find()
            .filter(vehicle::Column::NetworkId.eq(*id))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(in_service, SIZES.vehicles_per_network);
    }
    // 3 % still open, each on its own vehicle; the rest resolved.
    let open = fleet_alert::Entity::find()
        .filter(fleet_alert::Column::ResolvedAt.is_null())
        .count(&db)
        .await
        .unwrap();
    assert_eq!(open, SIZES.fleet_alerts * 3 / 100);

    // The counters were repaired: `relais check` finds nothing, and they say what was made.
    assert!(generated.repaired > 0, "the counters needed a repair");
    assert!(network_counters::check(&db).await.unwrap().is_empty());
    let counts = network_counters::of(&db, &networks).await.unwrap();
    let trips: i64 = counts.values().map(|c| c.trips).sum();
    assert_eq!(trips as u64, SIZES.trips);
    assert!(
        counts
            .values()
            .all(|c| c.vehicles as u64 == SIZES.vehicles_per_network && c.stations == 3)
    );

    // Served: the store's own queries decode the generated rows (times, enums, names), and
    // the filters the bench uses find them.
    let page = Keyset {
        page_size: 100,
        last_primary_key: None,
        primary_key_dir: SortDir::Desc,
    };
    let logs = relais_store::access_logs::list(&db, &AccessLogFilter::default(), &page)
        .await
        .unwrap();
    assert_eq!(logs.items.len(), 100);
    assert!(logs.has_more);
    for filter in [
        AccessLogFilter {
            user_agent: Some("Firefox".into()),
            ..Default::default()
        },
        AccessLogFilter {
            ip: Some(generate::log_ip(SIZES.access_logs / 2)),
            ..Default::default()
        },
        AccessLogFilter {
            verb: Some("post".into()),
            http_code_min: Some(400),
            http_code_max: Some(499),
            ..Default::default()
        },
    ] {
        let found = relais_store::access_logs::list(&db, &filter, &page)
            .await
            .unwrap();
        assert!(!found.items.is_empty(), "{filter:?} finds rows");
    }
    let history = relais_store::fleet_alerts::history(
        &db,
        &HistoryFilter {
            within: Within::networks([networks[0]]),
            ..Default::default()
        },
        &page,
        Some((HistorySort::Severity, SortDir::Desc)),
    )
    .await
    .unwrap();
    assert_eq!(history.items.len(), 100);
    assert_eq!(history.items[0].alert.severity, "critical");
    assert!(history.items.iter().all(|a| a.vehicle_serial.is_some()
        && a.cluster_name.is_some()
        && a.resolved_by_email.is_some()));
    let all = Keyset {
        page_size: 500,
        last_primary_key: None,
        primary_key_dir: SortDir::Asc,
    };
    let vehicles = relais_store::vehicles::list(&db, &Within::networks([networks[1]]), false, &all)
        .await
        .unwrap();
    assert_eq!(vehicles.items.len() as u64, SIZES.vehicles_per_network);
    assert!(vehicles.items.iter().all(|v| v.model.is_some()));

    // Riders: their counters are their trips, every trip is a member's of its network, one in
    // twenty riders has no network.
    let riders = user::Entity::find()
        .filter(user::Column::Email.ne("admin@bench.test"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(riders.len() as u64, SIZES.riders);
    let trips = trip::Entity::find().all(&db).await.unwrap();
    let members = user_network::Entity::find().all(&db).await.unwrap();
    for rider in &riders {
        let own: Vec<_> = trips
            .iter()
            .filter(|t| t.user_id == Some(rider.id))
            .collect();
        assert_eq!(rider.trip_count, own.len() as i64, "rider {}", rider.id);
        if let Some(last) = own.iter().filter_map(|t| t.ended_at).max() {
            assert_eq!(rider.last_activity_at, Some(last), "rider {}", rider.id);
        }
    }
    assert!(trips.iter().all(|t| {
        members
            .iter()
            .any(|m| Some(m.user_id) == t.user_id && m.network_id == t.network_id)
    }));
    let without = riders
        .iter()
        .filter(|r| !members.iter().any(|m| m.user_id == r.id))
        .count() as u64;
    assert_eq!(without, SIZES.riders / 20);
    // Served by "Get users"' own query, with its sorts and text filters (SQLite's FTS5 table
    // rebuilt after the insert).
    let mut by_trips = UserFilter {
        networks: networks.clone(),
        ..Default::default()
    };
    let top = relais_store::users::list(
        &db,
        &by_trips,
        &page,
        Some((UserSort::TripCount, SortDir::Desc)),
    )
    .await
    .unwrap();
    assert_eq!(top.items.len(), 100);
    let most = riders.iter().map(|r| r.trip_count).max().unwrap();
    assert_eq!(top.items[0].trip_count, most);
    by_trips.email = Some("martin".into());
    let named = relais_store::users::list(&db, &by_trips, &page, None)
        .await
        .unwrap();
    assert!(!named.items.is_empty());
    assert!(named.items.iter().all(|u| u.email.contains("martin")));
}
