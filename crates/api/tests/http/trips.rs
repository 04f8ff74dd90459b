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
    assert_eq!(t["amount_paid"], "0.00");
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
