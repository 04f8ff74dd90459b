//! Seed group `Clusters`: listing and searching clusters with their availability, a cluster's
//! details, description, pictures, settings, stations, outages, maintenances, parkings and out
//! of order state, decommissioning, and creating a cluster with its stations (extension).

use crate::common::TestApp;
use chrono::{Duration, Utc};
use relais_domain::Permission;
use relais_store::entity::{
    maintenance, maintenance_type, network, out_of_order, spot, station, station_outage, vehicle,
    vehicle_model,
};
use relais_store::units::UnitContents;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

const SQUARE: [[f64; 2]; 4] = [[4.8, 45.7], [4.81, 45.7], [4.81, 45.71], [4.8, 45.71]];

fn cluster_body(network: i64, name: &str, stations: &[(&str, i64)]) -> Value {
    json!({
        "network_id": network,
        "name": name,
        "latitude": 45.75,
        "longitude": 4.85,
        "location": "1 place Bellecour, Lyon",
        "badge_reader": false,
        "stations": stations
            .iter()
            .map(|(serial, spots)| json!({"serial": serial, "name": format!("Station {serial}"), "spot_count": spots}))
            .collect::<Vec<_>>(),
    })
}

/// A cluster made through the API (extension), answering its id.
async fn cluster(
    app: &TestApp,
    token: &str,
    network: i64,
    name: &str,
    stations: &[(&str, i64)],
) -> i64 {
    app.post("/dashboard/clusters")
        .token(token)
        .json(cluster_body(network, name, stations))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap()
}

/// The spots of `cluster`'s stations, by station then number.
async fn spots(app: &TestApp, cluster: i64) -> Vec<i64> {
    let stations: Vec<i64> = station::Entity::find()
        .filter(station::Column::ClusterId.eq(cluster))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut spots = spot::Entity::find()
        .filter(spot::Column::StationId.is_in(stations))
        .all(&app.db)
        .await
        .unwrap();
    spots.sort_by_key(|s| (s.station_id, s.number));
    spots.into_iter().map(|s| s.id).collect()
}

/// A vehicle of `network` with `status`.
async fn vehicle(app: &TestApp, network: i64, serial: &str, status: &str) -> i64 {
    let model = vehicle_model::ActiveModel {
        name: Set(format!("Model {serial}")),
        kind: Set("bike".into()),
        manufacturer: Set("Acme".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    vehicle::ActiveModel {
        serial: Set(serial.into()),
        network_id: Set(network),
        model_id: Set(model.id),
        created_at: Set(Utc::now()),
        status: Set(status.into()),
        battery: Set(Some(80)),
        locked: Set(true),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

/// Put `vehicle` in `spot`.
async fn dock(app: &TestApp, vehicle_id: i64, spot_id: i64) {
    let mut s: spot::ActiveModel = spot::Entity::find_by_id(spot_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    s.vehicle_id = Set(Some(vehicle_id));
    s.occupied = Set(true);
    s.update(&app.db).await.unwrap();
    let mut v: vehicle::ActiveModel = vehicle::Entity::find_by_id(vehicle_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    v.spot_id = Set(Some(spot_id));
    v.update(&app.db).await.unwrap();
}

async fn park(app: &TestApp, vehicle_id: i64, parking: i64) {
    let mut v: vehicle::ActiveModel = vehicle::Entity::find_by_id(vehicle_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    v.virtual_parking_id = Set(Some(parking));
    v.update(&app.db).await.unwrap();
}

async fn close(app: &TestApp, network_id: i64) {
    let mut n: network::ActiveModel = network::Entity::find_by_id(network_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    n.closed_at = Set(Some(Utc::now()));
    n.update(&app.db).await.unwrap();
}

/// A unit over `network` restricted to `clusters`.
async fn restricted_unit(app: &TestApp, name: &str, network: i64, clusters: &[i64]) -> i64 {
    relais_store::units::create(
        &app.db,
        name,
        &UnitContents {
            networks: [network].into_iter().collect(),
            clusters: clusters.iter().copied().collect(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

fn multipart(field: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "XrelaisBoundaryX";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"p\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn png(size: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(size, 7);
    bytes
}

fn jpeg(size: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(size, 3);
    bytes
}

#[tokio::test]
async fn clusters_are_listed_with_their_availability() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let bellecour = cluster(&app, &admin, lyon, "Bellecour", &[("S-1", 2), ("S-2", 2)]).await;
    let terreaux = cluster(&app, &admin, lyon, "Terreaux", &[("S-3", 1)]).await;
    cluster(&app, &admin, paris, "Bastille", &[("S-4", 1)]).await;

    let spot_ids = spots(&app, bellecour).await;
    assert_eq!(spot_ids.len(), 4);
    let available = vehicle(&app, lyon, "V-1", "available").await;
    let rented = vehicle(&app, lyon, "V-2", "maintenance").await;
    dock(&app, available, spot_ids[0]).await;
    dock(&app, rented, spot_ids[1]).await;
    // A decommissioned spot counts neither as a spot nor as free.
    let mut s: spot::ActiveModel = spot::Entity::find_by_id(spot_ids[3])
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    s.decommissioned_at = Set(Some(Utc::now()));
    s.update(&app.db).await.unwrap();
    // A vehicle in one of its virtual parkings is available there.
    let parking = app
        .post(&format!("/dashboard/clusters/{bellecour}/parkings"))
        .token(&admin)
        .json(json!({"shape": SQUARE, "capacity": 5}))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    let parked = vehicle(&app, lyon, "V-3", "available").await;
    park(&app, parked, parking).await;

    let reply = app
        .get(&format!("/dashboard/clusters?networks={lyon}"))
        .token(&admin)
        .send()
        .await;
    let data = reply.ok().as_array().unwrap().clone();
    assert_eq!(data.len(), 2, "{data:?}");
    assert_eq!(data[0]["id"], bellecour);
    assert_eq!(data[0]["name"], "Bellecour");
    assert_eq!(data[0]["network_id"], lyon);
    assert_eq!(data[0]["station_count"], 2);
    assert_eq!(data[0]["spot_count"], 3);
    assert_eq!(data[0]["free_spots"], 1);
    assert_eq!(data[0]["vehicles_available"], 2);
    assert_eq!(data[0]["latitude"], 45.75);
    assert_eq!(data[0]["location"], "1 place Bellecour, Lyon");
    assert!(data[0]["created_at"].is_string());
    assert!(data[0]["commissioned_at"].is_null());
    assert!(data[0]["decommissioned_at"].is_null());
    assert_eq!(data[0]["forced_down"], false);
    assert_eq!(data[1]["id"], terreaux);
    assert_eq!(data[1]["spot_count"], 1);
    assert_eq!(data[1]["free_spots"], 1);
    assert_eq!(data[1]["vehicles_available"], 0);

    let both = app
        .get(&format!("/dashboard/clusters?networks={lyon},{paris}"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(both.ok().as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn get_clusters_checks_its_query_permission_and_scope() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let a = cluster(&app, &admin, lyon, "A", &[("S-1", 1)]).await;
    let b = cluster(&app, &admin, lyon, "B", &[("S-2", 1)]).await;

    app.get("/dashboard/clusters")
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("networks");
    app.get("/dashboard/clusters?networks=x")
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("networks");
    app.get("/dashboard/clusters?networks=0")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("networks");
    app.get(&format!("/dashboard/clusters?networks={lyon},{lyon}"))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("networks");
    app.get("/dashboard/clusters?networks=9999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2)
        .names("networks");
    app.get(&format!("/dashboard/clusters?networks={lyon}"))
        .send()
        .await
        .fails(401, -20);

    let (_, nobody) = app.staff("nobody@relais.test", &[]).await;
    app.get(&format!("/dashboard/clusters?networks={lyon}"))
        .token(&nobody)
        .send()
        .await
        .fails(403, -30);

    let unit = app.unit("Lyon", &[lyon]).await;
    let (_, local) = app
        .staff(
            "local@relais.test",
            &[(Permission::Stations, Some(unit), false)],
        )
        .await;
    app.get(&format!("/dashboard/clusters?networks={paris}"))
        .token(&local)
        .send()
        .await
        .fails(403, -31);
    let reply = app
        .get(&format!("/dashboard/clusters?networks={lyon}"))
        .token(&local)
        .send()
        .await;
    assert_eq!(reply.ok().as_array().unwrap().len(), 2);

    // A unit restricted to cluster A sees only A, and is refused B by id.
    let only_a = restricted_unit(&app, "Only A", lyon, &[a]).await;
    let (_, narrow) = app
        .staff(
            "narrow@relais.test",
            &[(Permission::Stations, Some(only_a), false)],
        )
        .await;
    let reply = app
        .get(&format!("/dashboard/clusters?networks={lyon}"))
        .token(&narrow)
        .send()
        .await;
    let ids: Vec<i64> = reply
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![a]);
    app.get(&format!("/dashboard/clusters/{a}?lang=en"))
        .token(&narrow)
        .send()
        .await
        .ok();
    app.get(&format!("/dashboard/clusters/{b}?lang=en"))
        .token(&narrow)
        .send()
        .await
        .fails(403, -31);
    app.get(&format!("/dashboard/clusters/{b}/stations"))
        .token(&local)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn search_matches_part_of_the_name_and_the_badge_reader() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let gare = cluster(&app, &admin, lyon, "Gare Part-Dieu", &[("S-1", 1)]).await;
    let mut body = cluster_body(lyon, "Gare Perrache 50%", &[("S-2", 1)]);
    body["badge_reader"] = json!(true);
    let perrache = app
        .post("/dashboard/clusters")
        .token(&admin)
        .json(body)
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    cluster(&app, &admin, lyon, "Bellecour", &[("S-3", 1)]).await;
    cluster(&app, &admin, paris, "Gare de Lyon", &[("S-4", 1)]).await;

    let ids = |reply: &crate::common::Reply| -> Vec<i64> {
        reply
            .ok()
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    let reply = app
        .get(&format!(
            "/dashboard/clusters/search?name=GARE&networks={lyon}"
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(ids(&reply), vec![gare, perrache]);
    let reply = app
        .get(&format!(
            "/dashboard/clusters/search?name=gare&networks={lyon}&badge_reader=true"
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(ids(&reply), vec![perrache]);
    let reply = app
        .get(&format!(
            "/dashboard/clusters/search?name=gare&networks={lyon}&badge_reader=false"
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(ids(&reply), vec![gare]);
    // Wildcards are literal.
    let reply = app
        .get(&format!(
            "/dashboard/clusters/search?name=%25&networks={lyon}"
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(ids(&reply), vec![perrache]);
    let reply = app
        .get(&format!(
            "/dashboard/clusters/search?name=_&networks={lyon}"
        ))
        .token(&admin)
        .send()
        .await;
    assert!(ids(&reply).is_empty());

    app.get(&format!("/dashboard/clusters/search?name=&networks={lyon}"))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("name");
    app.get(&format!("/dashboard/clusters/search?networks={lyon}"))
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("name");
    app.get("/dashboard/clusters/search?name=gare")
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("networks");
    app.get(&format!(
        "/dashboard/clusters/search?name=gare&networks={lyon}&badge_reader=maybe"
    ))
    .token(&admin)
    .send()
    .await
    .fails(400, -10)
    .names("badge_reader");
    let unit = app.unit("Lyon", &[lyon]).await;
    let (_, local) = app
        .staff(
            "local@relais.test",
            &[(Permission::Stations, Some(unit), false)],
        )
        .await;
    app.get(&format!(
        "/dashboard/clusters/search?name=gare&networks={paris}"
    ))
    .token(&local)
    .send()
    .await
    .fails(403, -31);
}

#[tokio::test]
async fn creating_a_cluster_checks_body_permission_scope_and_serials() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let id = cluster(&app, &admin, lyon, "Bellecour", &[("S-1", 3), ("S-2", 1)]).await;
    let stations = app
        .get(&format!("/dashboard/clusters/{id}/stations"))
        .token(&admin)
        .send()
        .await;
    let stations = stations.ok().as_array().unwrap().clone();
    assert_eq!(stations.len(), 2);
    assert_eq!(stations[0]["serial"], "S-1");
    assert_eq!(stations[0]["name"], "Station S-1");
    let numbers: Vec<i64> = stations[0]["spots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![1, 2, 3]);

    let post = |body: Value| {
        app.post("/dashboard/clusters")
            .token(&admin)
            .json(body)
            .send()
    };
    let mut body = cluster_body(lyon, "X", &[("S-9", 1)]);
    body["location"] = json!("abcd");
    post(body).await.fails(422, -11).names("location");
    let mut body = cluster_body(lyon, "X", &[("S-9", 1)]);
    body["latitude"] = json!(91);
    post(body).await.fails(422, -11).names("latitude");
    post(cluster_body(lyon, "X", &[]))
        .await
        .fails(422, -11)
        .names("stations");
    post(cluster_body(lyon, "X", &[("S-9", 0)]))
        .await
        .fails(422, -11)
        .names("stations[0].spot_count");
    post(cluster_body(lyon, "", &[("S-9", 1)]))
        .await
        .fails(422, -11)
        .names("name");
    post(cluster_body(lyon, "X", &[("S-9", 1), ("S-9", 1)]))
        .await
        .fails(422, -11)
        .names("stations[1].serial");
    post(cluster_body(lyon, "X", &[("S-9", 1), ("S-2", 1)]))
        .await
        .fails(409, -40)
        .names("stations[1].serial");
    post(cluster_body(9999, "X", &[("S-9", 1)]))
        .await
        .fails(404, -2)
        .names("network_id");
    let mut body = cluster_body(lyon, "X", &[("S-9", 1)]);
    body["extra"] = json!(1);
    post(body).await.fails(400, -10).names("extra");
    let mut body = cluster_body(lyon, "X", &[("S-9", 1)]);
    body.as_object_mut().unwrap().remove("badge_reader");
    post(body).await.fails(400, -10).names("badge_reader");

    // `stations` with write is not enough; `stations.advanced` with write over the network is.
    let unit = app.unit("Lyon", &[lyon]).await;
    let (_, plain) = app
        .staff("plain@relais.test", &[(Permission::Stations, None, true)])
        .await;
    app.post("/dashboard/clusters")
        .token(&plain)
        .json(cluster_body(lyon, "X", &[("S-9", 1)]))
        .send()
        .await
        .fails(403, -30);
    let (_, local) = app
        .staff(
            "local@relais.test",
            &[(Permission::StationsAdvanced, Some(unit), true)],
        )
        .await;
    app.post("/dashboard/clusters")
        .token(&local)
        .json(cluster_body(paris, "X", &[("S-9", 1)]))
        .send()
        .await
        .fails(403, -31)
        .names("network_id");
    app.post("/dashboard/clusters")
        .token(&local)
        .json(cluster_body(lyon, "X", &[("S-9", 1)]))
        .send()
        .await
        .ok();
    let narrow_unit = restricted_unit(&app, "Only Bellecour", lyon, &[id]).await;
    let (_, narrow) = app
        .staff(
            "narrow@relais.test",
            &[(Permission::StationsAdvanced, Some(narrow_unit), true)],
        )
        .await;
    app.post("/dashboard/clusters")
        .token(&narrow)
        .json(cluster_body(lyon, "Y", &[("S-10", 1)]))
        .send()
        .await
        .fails(403, -31);

    close(&app, paris).await;
    post(cluster_body(paris, "X", &[("S-11", 1)]))
        .await
        .fails(409, -41);
    // Nothing was left behind by the refusals.
    assert!(
        station::Entity::find()
            .filter(station::Column::Serial.eq("S-11"))
            .one(&app.db)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn details_descriptions_and_settings() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = cluster(&app, &admin, lyon, "Bellecour", &[("S-1", 2)]).await;
    let details = |lang: &str| {
        app.get(&format!("/dashboard/clusters/{id}?lang={lang}"))
            .token(&admin)
            .send()
    };

    let data = details("fr").await.ok().clone();
    assert_eq!(data["id"], id);
    assert_eq!(data["name"], "Bellecour");
    assert_eq!(data["spot_count"], 2);
    assert_eq!(data["max_unlock_distance"], 100);
    assert!(data["description"].is_null());
    assert_eq!(data["pictures"], json!([]));

    let describe = |body: Value| {
        app.put(&format!("/dashboard/clusters/{id}/description"))
            .token(&admin)
            .json(body)
            .send()
    };
    describe(json!({"lang": "en", "description": "Next to the fountain"}))
        .await
        .ok();
    describe(json!({"lang": "fr", "description": "Près de la fontaine"}))
        .await
        .ok();
    let data = details("fr").await.ok().clone();
    assert_eq!(data["description"]["lang"], "fr");
    assert_eq!(data["description"]["text"], "Près de la fontaine");
    assert_eq!(data["description_langs"], json!(["en", "fr"]));
    assert_eq!(
        details("de").await.ok()["description"]["text"],
        "Next to the fountain"
    );
    describe(json!({"lang": "en", "description": "By the fountain"}))
        .await
        .ok();
    assert_eq!(
        details("en").await.ok()["description"]["text"],
        "By the fountain"
    );
    describe(json!({"lang": "en", "description": null}))
        .await
        .ok();
    assert_eq!(details("de").await.ok()["description"]["lang"], "fr");
    describe(json!({"lang": "en"}))
        .await
        .fails(400, -10)
        .names("description");
    describe(json!({"lang": "en", "description": ""}))
        .await
        .fails(422, -11)
        .names("description");
    describe(json!({"lang": "en", "description": "x".repeat(501)}))
        .await
        .fails(422, -11)
        .names("description");
    describe(json!({"lang": "eng", "description": "x"}))
        .await
        .fails(422, -11)
        .names("lang");
    details("english").await.fails(422, -11).names("lang");
    app.get(&format!("/dashboard/clusters/{id}"))
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("lang");
    app.get("/dashboard/clusters/9999?lang=en")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.get("/dashboard/clusters/0?lang=en")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("id");

    let settings = |body: Value| {
        app.put(&format!("/dashboard/clusters/{id}/settings"))
            .token(&admin)
            .json(body)
            .send()
    };
    settings(json!({"max_unlock_distance": 250, "comment": "Call Bob", "forced_down": true}))
        .await
        .ok();
    settings(json!({"max_unlock_distance": 24, "comment": "x"}))
        .await
        .fails(422, -11)
        .names("max_unlock_distance");
    settings(json!({"max_unlock_distance": 501, "comment": "x"}))
        .await
        .fails(422, -11)
        .names("max_unlock_distance");
    settings(json!({"max_unlock_distance": 100, "comment": ""}))
        .await
        .fails(422, -11)
        .names("comment");
    settings(json!({"max_unlock_distance": 100}))
        .await
        .fails(400, -10)
        .names("comment");

    let location = |body: Value| {
        app.put(&format!("/dashboard/clusters/{id}/location"))
            .token(&admin)
            .json(body)
            .send()
    };
    location(json!({"location": "2 rue de la République"}))
        .await
        .ok();
    location(json!({"location": "abcd"}))
        .await
        .fails(422, -11)
        .names("location");
    location(json!({"location": "x".repeat(101)}))
        .await
        .fails(422, -11)
        .names("location");

    let commission = |body: Value| {
        app.put(&format!("/dashboard/clusters/{id}/commissioning-date"))
            .token(&admin)
            .json(body)
            .send()
    };
    commission(json!({"date": "2026-12-01T08:00:00Z"}))
        .await
        .ok();
    commission(json!({"date": "tomorrow"}))
        .await
        .fails(400, -10)
        .names("date");

    let data = details("en").await.ok().clone();
    assert_eq!(data["max_unlock_distance"], 250);
    assert_eq!(data["comment"], "Call Bob");
    assert_eq!(data["forced_down"], true);
    assert_eq!(data["location"], "2 rue de la République");
    assert_eq!(data["commissioned_at"], "2026-12-01T08:00:00Z");
    // Settings without `forced_down` leave it unchanged.
    settings(json!({"max_unlock_distance": 30, "comment": "Call Alice"}))
        .await
        .ok();
    let data = details("en").await.ok().clone();
    assert_eq!(data["forced_down"], true);
    assert_eq!(data["max_unlock_distance"], 30);

    // Permissions: reading needs `stations`, these changes `stations` with write, the
    // commissioning date `stations.advanced` with write.
    let (_, reader) = app
        .staff("reader@relais.test", &[(Permission::Stations, None, false)])
        .await;
    app.get(&format!("/dashboard/clusters/{id}?lang=en"))
        .token(&reader)
        .send()
        .await
        .ok();
    app.put(&format!("/dashboard/clusters/{id}/location"))
        .token(&reader)
        .json(json!({"location": "somewhere else"}))
        .send()
        .await
        .fails(403, -30);
    let (_, writer) = app
        .staff("writer@relais.test", &[(Permission::Stations, None, true)])
        .await;
    app.put(&format!("/dashboard/clusters/{id}/location"))
        .token(&writer)
        .json(json!({"location": "somewhere else"}))
        .send()
        .await
        .ok();
    app.put(&format!("/dashboard/clusters/{id}/commissioning-date"))
        .token(&writer)
        .json(json!({"date": "2026-12-01T08:00:00Z"}))
        .send()
        .await
        .fails(403, -30);
    let other = app.network("Paris").await;
    let unit = app.unit("Paris", &[other]).await;
    let (_, elsewhere) = app
        .staff(
            "elsewhere@relais.test",
            &[(Permission::Stations, Some(unit), true)],
        )
        .await;
    app.put(&format!("/dashboard/clusters/{id}/settings"))
        .token(&elsewhere)
        .json(json!({"max_unlock_distance": 100, "comment": "x"}))
        .send()
        .await
        .fails(403, -31);

    // A closed network refuses every change but stays readable.
    close(&app, lyon).await;
    location(json!({"location": "2 rue de la République"}))
        .await
        .fails(409, -41);
    settings(json!({"max_unlock_distance": 100, "comment": "x"}))
        .await
        .fails(409, -41);
    describe(json!({"lang": "en", "description": "x"}))
        .await
        .fails(409, -41);
    commission(json!({"date": "2026-12-01T08:00:00Z"}))
        .await
        .fails(409, -41);
    details("en").await.ok();
}

#[tokio::test]
async fn deleting_a_cluster_decommissions_it() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = cluster(&app, &admin, lyon, "Bellecour", &[("S-1", 1)]).await;
    let (_, writer) = app
        .staff("writer@relais.test", &[(Permission::Stations, None, true)])
        .await;
    app.delete(&format!("/dashboard/clusters/{id}"))
        .token(&writer)
        .send()
        .await
        .fails(403, -30);
    app.delete("/dashboard/clusters/9999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);

    app.delete(&format!("/dashboard/clusters/{id}"))
        .token(&admin)
        .send()
        .await
        .ok();
    let reply = app
        .get(&format!("/dashboard/clusters?networks={lyon}"))
        .token(&admin)
        .send()
        .await;
    let listed = reply.ok()[0].clone();
    assert_eq!(listed["id"], id);
    assert!(listed["decommissioned_at"].is_string());
    // Its stations stay.
    let stations = app
        .get(&format!("/dashboard/clusters/{id}/stations"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(stations.ok().as_array().unwrap().len(), 1);
    app.delete(&format!("/dashboard/clusters/{id}"))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);

    let other = cluster(&app, &admin, lyon, "Terreaux", &[("S-2", 1)]).await;
    close(&app, lyon).await;
    app.delete(&format!("/dashboard/clusters/{other}"))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);
}

#[tokio::test]
async fn pictures_are_uploaded_served_and_deleted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = cluster(&app, &admin, lyon, "Bellecour", &[("S-1", 1)]).await;
    let upload = |field: &str, content_type: &str, bytes: Vec<u8>| {
        let (ct, body) = multipart(field, content_type, &bytes);
        app.post(&format!("/dashboard/clusters/{id}/pictures"))
            .token(&admin)
            .raw(&ct, body)
            .send()
    };

    // Larger than the default body limit of 2 MiB, within 5 MiB.
    let picture = png(3 * 1024 * 1024);
    let added = upload("cluster_picture", "image/png", picture.clone())
        .await
        .ok()
        .clone();
    let key = added["key"].as_str().unwrap().to_owned();
    assert!(
        key.starts_with("clusterpictures/") && key.ends_with(".png"),
        "{key}"
    );
    assert_eq!(added["content_type"], "image/png");
    assert_eq!(added["size"], picture.len());
    let url = added["url"].as_str().unwrap().to_owned();
    assert_eq!(
        url,
        format!("/dashboard/clusters/{id}/pictures/{}", added["id"])
    );

    let details = app
        .get(&format!("/dashboard/clusters/{id}?lang=en"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(details.ok()["pictures"][0]["key"], key);
    let served = app.get(&url).token(&admin).send().await;
    assert_eq!(served.status.as_u16(), 200);
    assert_eq!(served.headers["content-type"], "image/png");
    assert_eq!(served.text, String::from_utf8_lossy(&picture));
    app.get(&url).send().await.fails(401, -20);

    // A JPEG declared without a type is recognized by its content.
    let added = upload("cluster_picture", "application/octet-stream", jpeg(100))
        .await
        .ok()
        .clone();
    assert!(added["key"].as_str().unwrap().ends_with(".jpg"));

    upload(
        "cluster_picture",
        "image/png",
        b"not an image at all".to_vec(),
    )
    .await
    .fails(422, -11)
    .names("cluster_picture");
    upload("cluster_picture", "image/png", jpeg(100))
        .await
        .fails(422, -11)
        .names("cluster_picture");
    upload("cluster_picture", "image/png", png(5 * 1024 * 1024 + 1))
        .await
        .fails(413, -13)
        .names("cluster_picture");
    upload("other", "image/png", png(100))
        .await
        .fails(400, -10)
        .names("other");
    let (ct, body) = (
        "multipart/form-data; boundary=XrelaisBoundaryX".to_owned(),
        b"--XrelaisBoundaryX--\r\n".to_vec(),
    );
    app.post(&format!("/dashboard/clusters/{id}/pictures"))
        .token(&admin)
        .raw(&ct, body)
        .send()
        .await
        .fails(400, -10)
        .names("cluster_picture");
    app.post(&format!("/dashboard/clusters/{id}/pictures"))
        .token(&admin)
        .json(json!({}))
        .send()
        .await
        .fails(415, -12);
    let (_, writer) = app
        .staff("writer@relais.test", &[(Permission::Stations, None, true)])
        .await;
    let (ct, body) = multipart("cluster_picture", "image/png", &png(100));
    app.post(&format!("/dashboard/clusters/{id}/pictures"))
        .token(&writer)
        .raw(&ct, body)
        .send()
        .await
        .fails(403, -30);
    assert_eq!(
        app.get(&url).token(&writer).send().await.status.as_u16(),
        200
    );

    // Deleting by key.
    let other = cluster(&app, &admin, lyon, "Terreaux", &[("S-2", 1)]).await;
    app.delete(&format!(
        "/dashboard/clusters/{other}/pictures?picture={key}"
    ))
    .token(&admin)
    .send()
    .await
    .fails(404, -2)
    .names("picture");
    app.delete(&format!("/dashboard/clusters/{id}/pictures?picture="))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("picture");
    app.delete(&format!("/dashboard/clusters/{id}/pictures?picture={key}"))
        .token(&writer)
        .send()
        .await
        .fails(403, -30);
    app.delete(&format!("/dashboard/clusters/{id}/pictures?picture={key}"))
        .token(&admin)
        .send()
        .await
        .ok();
    app.get(&url).token(&admin).send().await.fails(404, -2);
    let details = app
        .get(&format!("/dashboard/clusters/{id}?lang=en"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(details.ok()["pictures"].as_array().unwrap().len(), 1);
    app.delete(&format!("/dashboard/clusters/{id}/pictures?picture={key}"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);

    close(&app, lyon).await;
    upload("cluster_picture", "image/png", png(100))
        .await
        .fails(409, -41);
}

#[tokio::test]
async fn stations_outages_and_maintenances_of_a_cluster() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = cluster(&app, &admin, lyon, "Bellecour", &[("S-1", 2)]).await;
    let other = cluster(&app, &admin, lyon, "Terreaux", &[("S-2", 1)]).await;
    let spot_ids = spots(&app, id).await;
    let bike = vehicle(&app, lyon, "V-1", "available").await;
    dock(&app, bike, spot_ids[1]).await;

    let stations = app
        .get(&format!("/dashboard/clusters/{id}/stations"))
        .token(&admin)
        .send()
        .await;
    let stations = stations.ok().clone();
    let spots_json = &stations[0]["spots"];
    assert!(spots_json[0]["vehicle"].is_null());
    assert_eq!(spots_json[1]["vehicle"]["id"], bike);
    assert_eq!(spots_json[1]["vehicle"]["serial"], "V-1");
    assert_eq!(spots_json[1]["vehicle"]["battery"], 80);
    assert_eq!(spots_json[1]["vehicle"]["status"], "available");
    assert_eq!(spots_json[1]["occupied"], true);

    let station_id = stations[0]["id"].as_i64().unwrap();
    let other_station = station::Entity::find()
        .filter(station::Column::ClusterId.eq(other))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let now = Utc::now();
    for (station, kind, start) in [
        (station_id, "power", now - Duration::days(3)),
        (station_id, "network", now - Duration::days(1)),
        (other_station, "power", now),
    ] {
        station_outage::ActiveModel {
            station_id: Set(station),
            kind: Set(kind.into()),
            started_at: Set(start),
            ended_at: Set(None),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let outages = app
        .get(&format!("/dashboard/clusters/{id}/station-outages"))
        .token(&admin)
        .send()
        .await;
    let outages = outages.ok().as_array().unwrap().clone();
    assert_eq!(outages.len(), 2);
    assert_eq!(outages[0]["kind"], "network");
    assert_eq!(outages[1]["kind"], "power");
    assert_eq!(outages[0]["station_id"], station_id);

    let kind = maintenance_type::ActiveModel {
        key: Set("broken_lock".into()),
        target_type: Set("spot".into()),
        severity: Set("high".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    for (station, spot, opened) in [
        (None, Some(spot_ids[0]), now - Duration::days(2)),
        (Some(station_id), None, now - Duration::days(1)),
        (Some(other_station), None, now),
    ] {
        maintenance::ActiveModel {
            type_id: Set(kind.id),
            network_id: Set(lyon),
            station_id: Set(station),
            spot_id: Set(spot),
            opened_at: Set(opened),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let maintenances = app
        .get(&format!("/dashboard/clusters/{id}/maintenances"))
        .token(&admin)
        .send()
        .await;
    let maintenances = maintenances.ok().as_array().unwrap().clone();
    assert_eq!(maintenances.len(), 2);
    assert_eq!(maintenances[0]["station_id"], station_id);
    assert_eq!(maintenances[1]["spot_id"], spot_ids[0]);
    assert_eq!(maintenances[1]["key"], "broken_lock");
    assert_eq!(maintenances[1]["severity"], "high");

    let (_, nobody) = app
        .staff(
            "nobody@relais.test",
            &[(Permission::VehiclesManage, None, true)],
        )
        .await;
    for path in ["stations", "station-outages", "maintenances", "parkings"] {
        app.get(&format!("/dashboard/clusters/{id}/{path}"))
            .token(&nobody)
            .send()
            .await
            .fails(403, -30);
        app.get(&format!("/dashboard/clusters/9999/{path}"))
            .token(&admin)
            .send()
            .await
            .fails(404, -2);
    }
}

#[tokio::test]
async fn cluster_parkings_are_created_and_listed_with_their_vehicles() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = cluster(&app, &admin, lyon, "Bellecour", &[("S-1", 1)]).await;
    let create = |body: Value| {
        app.post(&format!("/dashboard/clusters/{id}/parkings"))
            .token(&admin)
            .json(body)
            .send()
    };

    let created = create(json!({"shape": SQUARE, "capacity": 4}))
        .await
        .ok()
        .clone();
    assert_eq!(created["cluster_id"], id);
    assert_eq!(created["network_id"], lyon);
    assert_eq!(created["capacity"], 4);
    assert_eq!(created["shape"]["type"], "Polygon");
    assert_eq!(created["vehicles"], json!([]));
    let parking = created["id"].as_i64().unwrap();
    let bike = vehicle(&app, lyon, "V-1", "available").await;
    park(&app, bike, parking).await;

    let listed = app
        .get(&format!("/dashboard/clusters/{id}/parkings"))
        .token(&admin)
        .send()
        .await;
    let listed = listed.ok().as_array().unwrap().clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], parking);
    assert_eq!(listed[0]["vehicles"][0]["id"], bike);
    assert_eq!(listed[0]["vehicles"][0]["serial"], "V-1");

    create(json!({"shape": SQUARE, "capacity": -1}))
        .await
        .fails(422, -11)
        .names("capacity");
    create(json!({"shape": [[4.8, 45.7], [4.81, 45.7]], "capacity": 1}))
        .await
        .fails(422, -11)
        .names("shape");
    create(json!({"shape": [[4.8, 45.7], [200.0, 45.7], [4.81, 45.71]], "capacity": 1}))
        .await
        .fails(422, -11)
        .names("shape[1]");
    create(json!({"shape": [[4.8, 45.7], [4.81, 45.7, 1.0], [4.81, 45.71]], "capacity": 1}))
        .await
        .fails(400, -10)
        .names("shape[1]");
    create(json!({"capacity": 1}))
        .await
        .fails(400, -10)
        .names("shape");

    let (_, reader) = app
        .staff("reader@relais.test", &[(Permission::Stations, None, false)])
        .await;
    app.post(&format!("/dashboard/clusters/{id}/parkings"))
        .token(&reader)
        .json(json!({"shape": SQUARE, "capacity": 4}))
        .send()
        .await
        .fails(403, -30);
    close(&app, lyon).await;
    create(json!({"shape": SQUARE, "capacity": 4}))
        .await
        .fails(409, -41);
    assert_eq!(
        app.get(&format!("/dashboard/clusters/{id}/parkings"))
            .token(&admin)
            .send()
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn out_of_order_details_of_a_cluster() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let id = cluster(&app, &admin, lyon, "Bellecour", &[("S-1", 1)]).await;
    let path = format!("/dashboard/clusters/{id}/out-of-order?lang=fr");

    let data = app.get(&path).token(&admin).send().await.ok().clone();
    assert_eq!(data["cluster_id"], id);
    assert_eq!(data["out_of_order"], false);
    assert_eq!(data["forced_down"], false);
    assert_eq!(data["current"], json!([]));
    assert_eq!(data["upcoming"], json!([]));
    assert!(data["description"].is_null());

    let now = Utc::now();
    for (network, kind, start, end) in [
        (
            lyon,
            "winter",
            now - Duration::days(1),
            Some(now + Duration::days(1)),
        ),
        (lyon, "other", now + Duration::days(5), None),
        (
            lyon,
            "other",
            now - Duration::days(10),
            Some(now - Duration::days(9)),
        ),
        (paris, "other", now - Duration::days(1), None),
    ] {
        out_of_order::ActiveModel {
            network_id: Set(network),
            kind: Set(kind.into()),
            reason: Set(None),
            start_date: Set(start),
            end_date: Set(end),
            created_by: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    app.put(&format!("/dashboard/clusters/{id}/description"))
        .token(&admin)
        .json(json!({"lang": "en", "description": "Closed for winter"}))
        .send()
        .await
        .ok();
    let data = app.get(&path).token(&admin).send().await.ok().clone();
    assert_eq!(data["out_of_order"], true);
    assert_eq!(data["current"].as_array().unwrap().len(), 1);
    assert_eq!(data["current"][0]["type"], "winter");
    assert_eq!(data["upcoming"].as_array().unwrap().len(), 1);
    assert_eq!(data["upcoming"][0]["type"], "other");
    assert_eq!(data["description"], "Closed for winter");
    assert_eq!(data["description_lang"], "en");

    // Forced down alone is out of order too.
    let calm = cluster(&app, &admin, paris, "Bastille", &[("S-2", 1)]).await;
    let _ = calm;
    let quiet = app.network("Nantes").await;
    let forced = cluster(&app, &admin, quiet, "Commerce", &[("S-3", 1)]).await;
    let forced_path = format!("/dashboard/clusters/{forced}/out-of-order?lang=fr");
    assert_eq!(
        app.get(&forced_path).token(&admin).send().await.ok()["out_of_order"],
        false
    );
    app.put(&format!("/dashboard/clusters/{forced}/settings"))
        .token(&admin)
        .json(json!({"max_unlock_distance": 100, "comment": "works", "forced_down": true}))
        .send()
        .await
        .ok();
    let data = app
        .get(&forced_path)
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(data["out_of_order"], true);
    assert_eq!(data["forced_down"], true);

    app.get(&format!("/dashboard/clusters/{id}/out-of-order"))
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("lang");
    app.get(&format!("/dashboard/clusters/{id}/out-of-order?lang=f"))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("lang");
    let unit = app.unit("Paris", &[paris]).await;
    let (_, elsewhere) = app
        .staff(
            "elsewhere@relais.test",
            &[(Permission::Stations, Some(unit), false)],
        )
        .await;
    app.get(&path)
        .token(&elsewhere)
        .send()
        .await
        .fails(403, -31);
}
