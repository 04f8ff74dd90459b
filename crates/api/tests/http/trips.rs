//! Seed group `Trips`: a trip's detail, as staff read it.

use crate::common::TestApp;
use chrono::{Duration, Utc};
use relais_domain::Permission;
use relais_domain::geometry::route::{RoutePoint, encode_from};
use relais_store::entity::{trip, trip_event, trip_pause, trip_route};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

#[tokio::test]
async fn a_trips_detail_names_what_it_refers_to() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let reply = app
        .get(&format!("/dashboard/trips/{}", w.trip_n1))
        .token(&w.admin)
        .send()
        .await;
    let t = &reply.ok();
    assert_eq!(t["id"], w.trip_n1);
    assert_eq!(t["network_id"], w.n1);
    assert_eq!(t["state"], "finished");
    assert_eq!(t["demo"], false);
    assert_eq!(t["user_id"], w.user_n1);
    assert_eq!(t["email"], "rider-n1@relais.test");
    assert_eq!(t["vehicle_id"], w.vehicle_a);
    assert!(t["serial_number"].is_string());
    assert!(t["model_name"].is_string(), "{t}");
    assert_eq!(t["duration"], 14 * 60);
    assert_eq!(t["distance"], 2300);
    assert_eq!(t["cluster_start"]["id"], w.cluster_a);
    assert!(t["cluster_start"]["name"].is_string());
    assert_eq!(t["cluster_end"]["id"], w.cluster_b);
    assert_eq!(t["route"], json!(null));
    assert_eq!(t["price"], json!(null));
    // Paid by the world's card payment; not priced, so its payment status has not moved.
    assert_eq!(t["amount_paid"], "2.40");
    assert_eq!(t["payment_status"], "none");
    assert_eq!(t["currency"], "EUR");
    let kinds: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["requested", "started", "ended"]);

    // Recording it moved the rider's trip count with it.
    let rider = app
        .get(&format!("/dashboard/users/{}", w.user_n1))
        .token(&w.admin)
        .send()
        .await;
    assert_eq!(rider.ok()["trip_count"], 1, "{}", rider.text);
}

#[tokio::test]
async fn pauses_events_and_the_route_come_in_time_order() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let t = trip::Entity::find_by_id(w.trip_n1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let start = t.started_at;
    trip_pause::ActiveModel {
        trip_id: Set(t.id),
        started_at: Set(start + Duration::minutes(3)),
        ended_at: Set(Some(start + Duration::minutes(5))),
        auto: Set(true),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    trip_event::ActiveModel {
        trip_id: Set(t.id),
        kind: Set("too_long_notified".into()),
        at: Set(start + Duration::minutes(10)),
        actor_kind: Set(trip_event::Actor::System),
        actor_id: Set(None),
        payload: Set(Some(r#"{"minutes":10}"#.into())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let points = [
        RoutePoint {
            lat: 45.7640,
            lng: 4.8357,
            offset_s: 0,
        },
        RoutePoint {
            lat: 45.7668,
            lng: 4.8402,
            offset_s: 240,
        },
    ];
    let (text, last) = encode_from(None, &points);
    trip_route::ActiveModel {
        trip_id: Set(t.id),
        points: Set(text),
        point_count: Set(2),
        last_lat_e5: Set(last.0),
        last_lng_e5: Set(last.1),
        last_offset: Set(last.2),
    }
    .insert(&app.db)
    .await
    .unwrap();

    let reply = app
        .get(&format!("/dashboard/trips/{}", t.id))
        .token(&w.admin)
        .send()
        .await;
    let d = &reply.ok();
    assert_eq!(d["pauses"].as_array().unwrap().len(), 1);
    assert_eq!(d["pauses"][0]["auto"], true);
    let events: Vec<(&str, &str)> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        events,
        [
            ("requested", "rider"),
            ("started", "vehicle"),
            ("paused", "system"),
            ("resumed", "rider"),
            ("too_long_notified", "system"),
            ("ended", "system"),
        ]
    );
    assert_eq!(d["events"][4]["detail"], json!({"minutes": 10}));
    let route = &d["route"];
    assert_eq!(route["type"], "LineString");
    assert_eq!(
        route["coordinates"],
        json!([[4.8357, 45.764], [4.8402, 45.7668]])
    );
    let second: chrono::DateTime<Utc> = route["times"][1].as_str().unwrap().parse().unwrap();
    assert_eq!(second, start + Duration::seconds(240));
}

#[tokio::test]
async fn an_unknown_or_invalid_trip_is_refused_naming_id() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    app.get("/dashboard/trips/999999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2)
        .names("id");
    app.get("/dashboard/trips/0")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("id");
}

#[tokio::test]
async fn a_trip_needs_its_network_whole_and_the_trips_permission() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let path = format!("/dashboard/trips/{}", w.trip_n1);
    // Over the network whole: allowed.
    let (_, whole) = app
        .staff(
            "whole@relais.test",
            &[(Permission::Trips, Some(w.unit_n1), false)],
        )
        .await;
    app.get(&path).token(&whole).send().await.ok();
    // Restricted to the cluster the trip started in: a rider's data is not a cluster's.
    let unit = app.unit_with("Cluster A", &[w.n1], &[w.cluster_a]).await;
    let (_, cluster) = app
        .staff(
            "cluster@relais.test",
            &[(Permission::Trips, Some(unit), false)],
        )
        .await;
    app.get(&path)
        .token(&cluster)
        .send()
        .await
        .fails(403, -31)
        .names("id");
    // Another permission, however wide: refused.
    let (_, vehicles) = app
        .staff(
            "vehicles@relais.test",
            &[(Permission::VehiclesManage, None, false)],
        )
        .await;
    app.get(&path).token(&vehicles).send().await.fails(403, -30);
}

/// Record a trip of `rider` on `vehicle` of `network`, `minutes` long (open when `None`), started
/// `hours_ago`.
#[allow(clippy::too_many_arguments)]
async fn ride(
    app: &TestApp,
    network: i64,
    vehicle: Option<i64>,
    rider: Option<i64>,
    clusters: (Option<i64>, Option<i64>),
    hours_ago: i64,
    minutes: Option<i64>,
    distance: i64,
    demo: bool,
) -> i64 {
    let started = Utc::now() - Duration::hours(hours_ago);
    relais_store::trips::record(
        &app.db,
        relais_store::trips::NewTrip {
            network_id: network,
            vehicle_id: vehicle,
            user_id: rider,
            start_cluster_id: clusters.0,
            end_cluster_id: clusters.1,
            started_at: started,
            ended_at: minutes.map(|m| started + Duration::minutes(m)),
            distance,
            demo,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

fn ids(page: &serde_json::Value) -> Vec<i64> {
    page.as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn trips_are_listed_filtered_sorted_and_paged() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let (other, _) = app.rider("martin.dupont@example.com", &[w.n1]).await;
    let a = (Some(w.cluster_a), Some(w.cluster_b));
    let t1 = w.trip_n1; // 14 min, 2300 m, vehicle_a, rider-n1, 2 h ago
    let t2 = ride(
        &app,
        w.n1,
        Some(w.vehicle_b),
        Some(other),
        a,
        30,
        Some(40),
        9000,
        false,
    )
    .await;
    let t3 = ride(
        &app,
        w.n1,
        Some(w.vehicle_a),
        Some(other),
        (Some(w.cluster_b), None),
        1,
        None,
        400,
        false,
    )
    .await;
    let t4 = ride(
        &app,
        w.n1,
        Some(w.vehicle_b),
        Some(w.user_n1),
        a,
        50,
        Some(5),
        800,
        true,
    )
    .await;
    let t5 = ride(
        &app,
        w.n2,
        Some(w.vehicle_n2),
        None,
        (None, None),
        3,
        Some(20),
        5000,
        false,
    )
    .await;
    let list = |query: String| {
        let app = &app;
        let token = w.admin.clone();
        async move {
            app.get(&format!("/dashboard/trips?{query}"))
                .token(&token)
                .send()
                .await
        }
    };
    let n1 = w.n1;
    let only = |q: &str| list(format!("networks={n1}&{q}"));

    // Newest first by default; each network its own.
    assert_eq!(
        ids(list(format!("networks={n1}")).await.ok()),
        [t4, t3, t2, t1]
    );
    assert_eq!(ids(list(format!("networks={}", w.n2)).await.ok()), [t5]);
    let both = list(format!("networks={},{}", w.n1, w.n2)).await;
    assert_eq!(ids(both.ok()), [t5, t4, t3, t2, t1]);
    let first = list(format!("networks={n1}")).await.ok()[0].clone();
    assert_eq!(first["state"], "finished");
    assert_eq!(first["demo"], true);
    assert_eq!(first["duration"], 300);
    assert_eq!(first["email"], "rider-n1@relais.test");
    assert_eq!(first["cluster_end_id"], w.cluster_b);
    assert!(first["cluster_start_name"].is_string());
    assert!(first["serial_number"].is_string());

    // Filters.
    assert_eq!(ids(only("state=running").await.ok()), [t3]);
    assert_eq!(
        ids(only("state=running,finished&demo=false").await.ok()),
        [t3, t2, t1]
    );
    assert_eq!(ids(only("demo=true").await.ok()), [t4]);
    assert_eq!(ids(only(&format!("user_id={other}")).await.ok()), [t3, t2]);
    assert_eq!(ids(only("email=DUPONT").await.ok()), [t3, t2]);
    assert_eq!(ids(only("email=rider-n1").await.ok()), [t4, t1]);
    assert_eq!(
        ids(only(&format!("cluster_start_id={}", w.cluster_b))
            .await
            .ok()),
        [t3]
    );
    assert_eq!(
        ids(only(&format!("cluster_end_id={}", w.cluster_b)).await.ok()),
        [t4, t2, t1]
    );
    assert_eq!(
        ids(only(&format!("trip_id_min={t2}&trip_id_max={t3}"))
            .await
            .ok()),
        [t3, t2]
    );
    assert_eq!(
        ids(only("duration_min=600&duration_max=1200").await.ok()),
        [t1]
    );
    assert_eq!(ids(only("distance_min=2000").await.ok()), [t2, t1]);
    let since = (Utc::now() - Duration::hours(10)).to_rfc3339();
    let since = since.replace('+', "%2B");
    assert_eq!(
        ids(only(&format!("start_date_min={since}")).await.ok()),
        [t3, t1]
    );
    assert_eq!(
        ids(only(&format!("end_date_max={since}")).await.ok()),
        [t4, t2]
    );
    let serial = first["serial_number"].as_str().unwrap().to_lowercase();
    assert_eq!(
        ids(only(&format!("serial_number={serial}")).await.ok()),
        [t4, t2]
    );
    let model = first["model_name"].as_str().unwrap()[..4].to_owned();
    assert!(!ids(only(&format!("model_name={model}")).await.ok()).is_empty());
    assert!(ids(only("model_name=nomodel").await.ok()).is_empty());
    let cluster = first["cluster_start_name"].as_str().unwrap().to_uppercase();
    assert_eq!(
        ids(only(&format!("cluster_start_name={cluster}")).await.ok()),
        ids(only(&format!("cluster_start_id={}", w.cluster_a))
            .await
            .ok())
    );

    // Sorts: open trips have no end to order by.
    assert_eq!(
        ids(only("sort_by=duration&sort_dir=ASC").await.ok()),
        [t4, t1, t2]
    );
    assert_eq!(ids(only("sort_by=distance").await.ok()), [t2, t1, t4, t3]);
    assert_eq!(
        ids(only("sort_by=start_date&sort_dir=ASC").await.ok()),
        [t4, t2, t1, t3]
    );
    assert_eq!(ids(only("sort_by=end_date").await.ok()), [t1, t2, t4]);

    // Keyset pages of ten (the seed's smallest page), here over a sort.
    for i in 0..12 {
        ride(
            &app,
            w.n1,
            Some(w.vehicle_a),
            None,
            (None, None),
            100 + i,
            Some(10),
            i * 10,
            false,
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = only(&format!(
            "sort_by=distance&sort_dir=ASC&page_size=10{cursor}"
        ))
        .await;
        let body = page.body.clone();
        seen.extend(ids(&body["data"]));
        if body["page"]["has_more"] != true {
            break;
        }
        let last = body["data"].as_array().unwrap().last().unwrap()["id"].clone();
        cursor = format!("&last_primary_key={last}");
    }
    assert_eq!(seen.len(), 16);
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 16);
}

#[tokio::test]
async fn every_constraint_of_get_trips_is_enforced_naming_the_field() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let n1 = w.n1;
    let get = |query: String| {
        let app = &app;
        let token = w.admin.clone();
        async move {
            app.get(&format!("/dashboard/trips?{query}"))
                .token(&token)
                .send()
                .await
        }
    };
    get(String::new()).await.fails(400, -10).names("networks");
    get("networks=999999".into())
        .await
        .fails(404, -2)
        .names("networks");
    get(format!("networks={n1},{n1}"))
        .await
        .fails(422, -11)
        .names("networks");
    get(format!("networks={n1}&state=parked"))
        .await
        .fails(400, -10)
        .names("state");
    get(format!("networks={n1}&sort_by=price"))
        .await
        .fails(400, -10)
        .names("sort_by");
    get(format!("networks={n1}&page_size=9"))
        .await
        .fails(422, -11)
        .names("page_size");
    get(format!("networks={n1}&page_size=501"))
        .await
        .fails(422, -11)
        .names("page_size");
    get(format!("networks={n1}&trip_id_min=0"))
        .await
        .fails(422, -11)
        .names("trip_id_min");
    get(format!("networks={n1}&duration_min=-1"))
        .await
        .fails(422, -11)
        .names("duration_min");
    get(format!("networks={n1}&serial_number=12345678901"))
        .await
        .fails(422, -11)
        .names("serial_number");
    get(format!("networks={n1}&model_name={}", "m".repeat(21)))
        .await
        .fails(422, -11)
        .names("model_name");
    get(format!("networks={n1}&cluster_end_name={}", "c".repeat(51)))
        .await
        .fails(422, -11)
        .names("cluster_end_name");
    get(format!("networks={n1}&start_date_min=yesterday"))
        .await
        .fails(400, -10)
        .names("start_date_min");
    get(format!("networks={n1}&demo=perhaps"))
        .await
        .fails(400, -10)
        .names("demo");
    get(format!("networks={n1}&distance_min=10&distance_max=5"))
        .await
        .fails(422, -11)
        .names("distance_max");
    get(format!("networks={n1}&trip_id_min=9&trip_id_max=3"))
        .await
        .fails(422, -11)
        .names("trip_id_max");
    get(format!("networks={n1}&email=%00a"))
        .await
        .fails(422, -11)
        .names("email");

    // Riders' data: a grant restricted to a cluster of the network does not reach it.
    let unit = app.unit_with("Cluster A", &[n1], &[w.cluster_a]).await;
    let (_, cluster) = app
        .staff(
            "cluster@relais.test",
            &[(Permission::Trips, Some(unit), false)],
        )
        .await;
    app.get(&format!("/dashboard/trips?networks={n1}"))
        .token(&cluster)
        .send()
        .await
        .fails(403, -31)
        .names("networks");
}
