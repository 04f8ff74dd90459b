//! Seed group `Stations`: decommissioning a station with its spots, and its energy consumption
//! per local day. Also the fleet fixtures (clusters, stations, spots, vehicles) the stocks and
//! maintenances tests use.

use crate::common::TestApp;
use chrono::{DateTime, TimeZone, Utc};
use relais_domain::Permission;
use relais_store::entity::{cluster, energy_reading, spot, station, vehicle, vehicle_model};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

/// A cluster of `network`, made directly in the store.
pub async fn cluster(app: &TestApp, network: i64, name: &str) -> i64 {
    cluster::ActiveModel {
        network_id: Set(network),
        name: Set(name.into()),
        created_at: Set(Utc::now()),
        decommissioned_at: Set(None),
        max_unlock_distance: Set(100),
        forced_down: Set(false),
        badge_reader: Set(false),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("cluster")
    .id
}

/// A station of `cluster`.
pub async fn station(app: &TestApp, cluster: i64) -> i64 {
    station::ActiveModel {
        cluster_id: Set(cluster),
        created_at: Set(Utc::now()),
        decommissioned_at: Set(None),
        power_ok: Set(true),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("station")
    .id
}

/// Spot `number` of `station`, empty.
pub async fn spot(app: &TestApp, station: i64, number: i32) -> i64 {
    spot::ActiveModel {
        station_id: Set(station),
        number: Set(number),
        vehicle_id: Set(None),
        occupied: Set(false),
        created_at: Set(Utc::now()),
        decommissioned_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("spot")
    .id
}

/// An available vehicle of `network` (with its own model), at `position` (`[lng, lat]`) if given.
pub async fn vehicle(app: &TestApp, network: i64, serial: &str, position: Option<[f64; 2]>) -> i64 {
    let model = vehicle_model::ActiveModel {
        name: Set(format!("Model {serial}")),
        kind: Set("bike".into()),
        manufacturer: Set("Acme".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("vehicle model");
    vehicle::ActiveModel {
        serial: Set(serial.into()),
        network_id: Set(network),
        model_id: Set(model.id),
        created_at: Set(Utc::now()),
        decommissioned_at: Set(None),
        status: Set("available".into()),
        latitude: Set(position.map(|p| p[1])),
        longitude: Set(position.map(|p| p[0])),
        locked: Set(true),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("vehicle")
    .id
}

/// Put `vehicle` in `spot` (both sides of the link).
pub async fn dock(app: &TestApp, vehicle: i64, spot: i64) {
    spot::ActiveModel {
        id: Set(spot),
        vehicle_id: Set(Some(vehicle)),
        occupied: Set(true),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("spot");
    vehicle::ActiveModel {
        id: Set(vehicle),
        spot_id: Set(Some(spot)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("vehicle");
}

pub async fn vehicle_row(app: &TestApp, id: i64) -> vehicle::Model {
    vehicle::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn reading(app: &TestApp, station: i64, at: DateTime<Utc>, wh: i64) {
    energy_reading::ActiveModel {
        station_id: Set(station),
        measured_at: Set(at),
        energy_wh: Set(wh),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("reading");
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

#[tokio::test]
async fn decommissioning_takes_the_spots_and_releases_the_vehicles() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let c = cluster(&app, network, "Bellecour").await;
    let s = station(&app, c).await;
    let spot1 = spot(&app, s, 1).await;
    let spot2 = spot(&app, s, 2).await;
    let v = vehicle(&app, network, "V-1", None).await;
    dock(&app, v, spot1).await;
    let other_station = station(&app, c).await;

    let data = app
        .post(&format!("/dashboard/stations/{s}/decommission"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(data["station_id"], s);
    assert_eq!(data["spots"], 2);
    assert_eq!(data["released_vehicles"], json!([v]));

    let st = station::Entity::find_by_id(s)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(st.decommissioned_at.is_some());
    for id in [spot1, spot2] {
        let sp = spot::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(sp.decommissioned_at.is_some());
        assert_eq!(sp.vehicle_id, None);
        assert!(!sp.occupied);
    }
    assert_eq!(vehicle_row(&app, v).await.spot_id, None);
    let untouched = station::Entity::find_by_id(other_station)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(untouched.decommissioned_at.is_none());

    // Final: a second time is refused.
    app.post(&format!("/dashboard/stations/{s}/decommission"))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);
    app.post("/dashboard/stations/999999/decommission")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.post("/dashboard/stations/0/decommission")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("id");
}

#[tokio::test]
async fn decommissioning_needs_the_permission_the_scope_and_an_open_network() {
    let app = TestApp::new().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let unit = app.unit("Lyon team", &[lyon]).await;
    let in_paris = station(&app, cluster(&app, paris, "Opera").await).await;
    let in_lyon = station(&app, cluster(&app, lyon, "Bellecour").await).await;

    let (_, reader) = app
        .staff(
            "reader@example.com",
            &[(Permission::StationsAdvanced, Some(unit), false)],
        )
        .await;
    app.post(&format!("/dashboard/stations/{in_lyon}/decommission"))
        .token(&reader)
        .send()
        .await
        .fails(403, -30);

    let (_, writer) = app
        .staff(
            "writer@example.com",
            &[(Permission::StationsAdvanced, Some(unit), true)],
        )
        .await;
    app.post(&format!("/dashboard/stations/{in_paris}/decommission"))
        .token(&writer)
        .send()
        .await
        .fails(403, -31);
    let still = station::Entity::find_by_id(in_paris)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(still.decommissioned_at.is_none());

    relais_store::networks::close(&app.db, lyon, Utc::now())
        .await
        .unwrap();
    app.post(&format!("/dashboard/stations/{in_lyon}/decommission"))
        .token(&writer)
        .send()
        .await
        .fails(409, -41);
    let still = station::Entity::find_by_id(in_lyon)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(still.decommissioned_at.is_none());
}

#[tokio::test]
async fn energy_is_summed_per_local_day_with_empty_days() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let s = station(&app, cluster(&app, network, "Bellecour").await).await;
    let other = station(&app, cluster(&app, network, "Perrache").await).await;
    // Paris is UTC+1 in January: 2027-01-01 23:30 UTC is 2 January local.
    reading(&app, s, utc(2026, 12, 31, 23, 0), 1000).await; // 1 January 00:00 local
    reading(&app, s, utc(2027, 1, 1, 10, 0), 250).await; // 1 January
    reading(&app, s, utc(2027, 1, 1, 23, 30), 40).await; // 2 January
    reading(&app, s, utc(2027, 1, 3, 22, 59), 7).await; // 3 January 23:59
    reading(&app, s, utc(2027, 1, 3, 23, 0), 5000).await; // 4 January: outside
    reading(&app, s, utc(2026, 12, 31, 22, 59), 9000).await; // 31 December: outside
    reading(&app, other, utc(2027, 1, 1, 10, 0), 123).await; // another station

    let data = app
        .get(&format!(
            "/dashboard/stations/{s}/energy-consumption?start_date=2027-01-01&end_date=2027-01-03&timezone=Europe/Paris"
        ))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(
        data,
        json!({
            "station_id": s,
            "timezone": "Europe/Paris",
            "start_date": "2027-01-01",
            "end_date": "2027-01-03",
            "unit": "Wh",
            "total_wh": 1297,
            "days": [
                {"date": "2027-01-01", "energy_wh": 1250},
                {"date": "2027-01-02", "energy_wh": 40},
                {"date": "2027-01-03", "energy_wh": 7},
            ]
        })
    );

    // The same readings in UTC fall on other days.
    let data = app
        .get(&format!(
            "/dashboard/stations/{s}/energy-consumption?start_date=2027-01-01&end_date=2027-01-02&timezone=UTC"
        ))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(
        data["days"],
        json!([
            {"date": "2027-01-01", "energy_wh": 290},
            {"date": "2027-01-02", "energy_wh": 0},
        ])
    );
    assert_eq!(data["total_wh"], 290);
}

#[tokio::test]
async fn energy_checks_its_parameters_permission_and_scope() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let s = station(&app, cluster(&app, lyon, "Bellecour").await).await;
    let in_paris = station(&app, cluster(&app, paris, "Opera").await).await;
    let path = |id: i64, q: &str| format!("/dashboard/stations/{id}/energy-consumption?{q}");

    app.get(&path(
        s,
        "start_date=2027-01-02&end_date=2027-01-02&timezone=UTC",
    ))
    .token(&admin)
    .send()
    .await
    .fails(422, -11)
    .names("end_date");
    app.get(&path(
        s,
        "start_date=2027-01-03&end_date=2027-01-02&timezone=UTC",
    ))
    .token(&admin)
    .send()
    .await
    .fails(422, -11)
    .names("end_date");
    // 366 days are fine, 367 are not.
    app.get(&path(
        s,
        "start_date=2027-01-01&end_date=2028-01-01&timezone=UTC",
    ))
    .token(&admin)
    .send()
    .await
    .ok();
    app.get(&path(
        s,
        "start_date=2027-01-01&end_date=2028-01-02&timezone=UTC",
    ))
    .token(&admin)
    .send()
    .await
    .fails(422, -11)
    .names("end_date");
    app.get(&path(
        s,
        "start_date=2027-01-01&end_date=2027-01-05&timezone=Mars/Olympus",
    ))
    .token(&admin)
    .send()
    .await
    .fails(400, -10)
    .names("timezone");
    app.get(&path(
        s,
        "start_date=2027-13-01&end_date=2027-01-05&timezone=UTC",
    ))
    .token(&admin)
    .send()
    .await
    .fails(400, -10)
    .names("start_date");
    app.get(&path(s, "start_date=2027-01-01&timezone=UTC"))
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("end_date");
    app.get(&path(
        999999,
        "start_date=2027-01-01&end_date=2027-01-05&timezone=UTC",
    ))
    .token(&admin)
    .send()
    .await
    .fails(404, -2);

    let unit = app.unit("Lyon team", &[lyon]).await;
    let (_, reader) = app
        .staff(
            "reader@example.com",
            &[(Permission::Stations, Some(unit), false)],
        )
        .await;
    app.get(&path(
        s,
        "start_date=2027-01-01&end_date=2027-01-05&timezone=UTC",
    ))
    .token(&reader)
    .send()
    .await
    .ok();
    app.get(&path(
        in_paris,
        "start_date=2027-01-01&end_date=2027-01-05&timezone=UTC",
    ))
    .token(&reader)
    .send()
    .await
    .fails(403, -31);
    let (_, other) = app
        .staff(
            "other@example.com",
            &[(Permission::StationsAdvanced, None, true)],
        )
        .await;
    app.get(&path(
        s,
        "start_date=2027-01-01&end_date=2027-01-05&timezone=UTC",
    ))
    .token(&other)
    .send()
    .await
    .fails(403, -30);
}

#[tokio::test]
async fn energy_days_follow_daylight_saving_time() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let s = station(&app, cluster(&app, network, "Bellecour").await).await;
    // 28 March 2027 in Paris has 23 hours: 27 March 23:00 UTC to 28 March 22:00 UTC.
    reading(&app, s, utc(2027, 3, 27, 22, 59), 1).await; // 27 March local
    reading(&app, s, utc(2027, 3, 27, 23, 0), 10).await; // 28 March 00:00 local
    reading(&app, s, utc(2027, 3, 28, 21, 59), 100).await; // 28 March 23:59 local
    reading(&app, s, utc(2027, 3, 28, 22, 0), 1000).await; // 29 March 00:00 local
    let data = app
        .get(&format!(
            "/dashboard/stations/{s}/energy-consumption?start_date=2027-03-27&end_date=2027-03-29&timezone=Europe/Paris"
        ))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(
        data["days"],
        json!([
            {"date": "2027-03-27", "energy_wh": 1},
            {"date": "2027-03-28", "energy_wh": 110},
            {"date": "2027-03-29", "energy_wh": 1000},
        ])
    );
    assert_eq!(data["total_wh"], 1111);
}
