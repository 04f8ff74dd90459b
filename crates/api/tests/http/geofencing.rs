//! Seed group `Geofencing`: the border of a network and its settings, speed zones and virtual
//! parkings, with shapes around Lyon (`[longitude, latitude]`).

use crate::common::{Reply, TestApp};
use relais_domain::Permission;
use serde_json::{Value, json};

/// The border of the Lyon network, counter-clockwise.
const LYON: [[f64; 2]; 4] = [
    [4.81, 45.745],
    [4.87, 45.745],
    [4.87, 45.785],
    [4.81, 45.785],
];
/// Place Bellecour, counter-clockwise.
const BELLECOUR: [[f64; 2]; 4] = [
    [4.83, 45.7565],
    [4.8345, 45.7565],
    [4.8345, 45.759],
    [4.83, 45.759],
];
/// The Presqu'île, counter-clockwise.
const PRESQUILE: [[f64; 2]; 4] = [
    [4.826, 45.75],
    [4.838, 45.75],
    [4.838, 45.77],
    [4.826, 45.77],
];
/// A parking in front of Part-Dieu station, counter-clockwise.
const PART_DIEU: [[f64; 2]; 4] = [
    [4.859, 45.7608],
    [4.85925, 45.7608],
    [4.85925, 45.7609],
    [4.859, 45.7609],
];
/// Two points only.
const TWO_POINTS: [[f64; 2]; 2] = [[4.83, 45.75], [4.84, 45.76]];
/// The second point has a latitude of 95.
const LATITUDE_95: [[f64; 2]; 3] = [[4.83, 45.75], [4.84, 95.0], [4.84, 45.76]];
/// A bow-tie: edges 0 and 2 cross.
const BOW_TIE: [[f64; 2]; 4] = [[4.83, 45.75], [4.84, 45.76], [4.84, 45.75], [4.83, 45.76]];

/// The GeoJSON Polygon answered for a counter-clockwise ring.
fn geojson(ring: &[[f64; 2]]) -> Value {
    let mut closed = ring.to_vec();
    closed.push(ring[0]);
    json!({"type": "Polygon", "coordinates": [closed]})
}

async fn border(app: &TestApp, token: &str, network: i64) -> Value {
    app.get(&format!(
        "/dashboard/geofencing/border?network_id={network}"
    ))
    .token(token)
    .send()
    .await
    .ok()
    .clone()
}

async fn zones(app: &TestApp, token: &str, network: i64) -> Vec<Value> {
    app.get(&format!("/dashboard/speed-zones?network_id={network}"))
        .token(token)
        .send()
        .await
        .ok()
        .as_array()
        .unwrap()
        .clone()
}

async fn parkings(app: &TestApp, token: &str, network: i64) -> Vec<Value> {
    app.get(&format!("/dashboard/virtual-parkings?network_id={network}"))
        .token(token)
        .send()
        .await
        .ok()
        .as_array()
        .unwrap()
        .clone()
}

async fn create_zone(
    app: &TestApp,
    token: &str,
    network: i64,
    shape: &[[f64; 2]],
    speed: i64,
) -> Reply {
    app.post("/dashboard/speed-zones")
        .token(token)
        .json(json!({"network_id": network, "shape": shape, "max_speed": speed}))
        .send()
        .await
}

/// Create a zone and return its id (the newest of the network's list).
async fn add_zone(app: &TestApp, token: &str, network: i64, shape: &[[f64; 2]], speed: i64) -> i64 {
    let reply = create_zone(app, token, network, shape, speed).await;
    // The answer is the new zone, as the list shows it.
    let created = reply.ok().clone();
    assert_eq!(zones(app, token, network).await.last().unwrap(), &created);
    created["id"].as_i64().unwrap()
}

async fn add_parking(
    app: &TestApp,
    token: &str,
    network: Option<i64>,
    shape: &[[f64; 2]],
    capacity: i64,
) -> Value {
    app.post("/dashboard/virtual-parkings")
        .token(token)
        .json(json!({"shape": shape, "capacity": capacity, "network_id": network}))
        .send()
        .await
        .ok()
        .clone()
}

#[tokio::test]
async fn a_border_is_read_replaced_and_configured() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;

    // A new network has no border and the default settings.
    let read = border(&app, &admin, network).await;
    assert_eq!(
        read,
        json!({
            "network_id": network,
            "shape": null,
            "area_m2": null,
            "bounding_box": null,
            "trigger_alert": true,
            "notify_user": true,
            "reduce_vehicle_speed": false,
            "play_vehicle_sound": false,
            "lock_vehicle": false,
        })
    );

    // The seed's body, the ring sent closed.
    let mut closed = LYON.to_vec();
    closed.push(LYON[0]);
    let version = || async {
        relais_store::networks::existing(&app.db, network)
            .await
            .unwrap()
            .zones_version
    };
    let before = version().await;
    let reply = app
        .put("/dashboard/geofencing/border/shape")
        .token(&admin)
        .json(json!({"network_id": network, "shape": closed}))
        .send()
        .await;
    let answered = reply.ok().clone();
    // What tells the IoT link's kept zones that they are stale.
    assert!(version().await > before, "the zones version moves");
    let read = border(&app, &admin, network).await;
    assert_eq!(answered, read, "the answer is the border as read back");
    assert_eq!(read["shape"], geojson(&LYON));
    assert_eq!(
        read["bounding_box"],
        json!({"west": 4.81, "south": 45.745, "east": 4.87, "north": 45.785})
    );
    // 0.06° of longitude by 0.04° of latitude at 45.76° N: about 4.67 km by 4.45 km.
    let area = read["area_m2"].as_f64().unwrap();
    assert!((2.0e7..2.15e7).contains(&area), "{area}");
    assert_eq!(
        read["trigger_alert"], true,
        "the shape leaves the settings alone"
    );

    // Replaced by a clockwise ring: stored counter-clockwise from the same first point.
    let clockwise = [BELLECOUR[0], BELLECOUR[3], BELLECOUR[2], BELLECOUR[1]];
    app.put("/dashboard/geofencing/border/shape")
        .token(&admin)
        .json(json!({"network_id": network, "shape": clockwise}))
        .send()
        .await
        .ok();
    assert_eq!(
        border(&app, &admin, network).await["shape"],
        geojson(&BELLECOUR)
    );

    // The settings, replaced all five at once (the seed's sample, then another mix).
    for (alert, notify, reduce, sound, lock) in [
        (true, true, true, true, true),
        (false, true, false, true, false),
    ] {
        let reply = app
            .put("/dashboard/geofencing/border/settings")
            .token(&admin)
            .json(json!({
                "trigger_alert": alert,
                "notify_user": notify,
                "reduce_vehicle_speed": reduce,
                "play_vehicle_sound": sound,
                "lock_vehicle": lock,
                "network_id": network,
            }))
            .send()
            .await;
        assert_eq!(reply.body, json!({"code": 0}), "{}", reply.text);
        let read = border(&app, &admin, network).await;
        assert_eq!(
            [
                &read["trigger_alert"],
                &read["notify_user"],
                &read["reduce_vehicle_speed"],
                &read["play_vehicle_sound"],
                &read["lock_vehicle"],
            ],
            [
                &json!(alert),
                &json!(notify),
                &json!(reduce),
                &json!(sound),
                &json!(lock)
            ]
        );
        assert_eq!(
            read["shape"],
            geojson(&BELLECOUR),
            "the settings leave the shape alone"
        );
    }

    // The bounding box frames the speed zones and parkings too.
    add_zone(&app, &admin, network, &PRESQUILE, 10).await;
    add_parking(&app, &admin, Some(network), &PART_DIEU, 4).await;
    assert_eq!(
        border(&app, &admin, network).await["bounding_box"],
        json!({"west": 4.826, "south": 45.75, "east": 4.85925, "north": 45.77})
    );

    // Other networks are untouched; unknown networks are named.
    let other = app.network("Paris").await;
    assert_eq!(border(&app, &admin, other).await["shape"], Value::Null);
    app.get("/dashboard/geofencing/border?network_id=999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2)
        .names("network_id");
    app.put("/dashboard/geofencing/border/shape")
        .token(&admin)
        .json(json!({"network_id": 999, "shape": LYON}))
        .send()
        .await
        .fails(404, -2)
        .names("network_id");
    app.put("/dashboard/geofencing/border/settings")
        .token(&admin)
        .json(json!({
            "trigger_alert": true, "notify_user": true, "reduce_vehicle_speed": true,
            "play_vehicle_sound": true, "lock_vehicle": true, "network_id": 999,
        }))
        .send()
        .await
        .fails(404, -2)
        .names("network_id");
}

#[tokio::test]
async fn border_requests_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    app.put("/dashboard/geofencing/border/shape")
        .token(&admin)
        .json(json!({"network_id": network, "shape": LYON}))
        .send()
        .await
        .ok();
    let shape = |body: Value| {
        app.put("/dashboard/geofencing/border/shape")
            .token(&admin)
            .json(body)
            .send()
    };
    for (body, status, code, field) in [
        (
            json!({"network_id": network, "shape": TWO_POINTS}),
            422,
            -11,
            "shape",
        ),
        (
            json!({"network_id": network, "shape": []}),
            422,
            -11,
            "shape",
        ),
        (
            json!({"network_id": network, "shape": LATITUDE_95}),
            422,
            -11,
            "shape[1]",
        ),
        (
            json!({"network_id": network, "shape": BOW_TIE}),
            422,
            -11,
            "shape",
        ),
        (
            json!({"network_id": network, "shape": [[4.83, 45.75], [4.84, 45.75], [4.84, 45.76], [4.84, 45.75]]}),
            422,
            -11,
            "shape[3]",
        ),
        (
            json!({"network_id": network, "shape": [[4.83, 45.75, 0], [4.84, 45.75], [4.84, 45.76]]}),
            400,
            -10,
            "shape[0]",
        ),
        (
            json!({"network_id": network, "shape": [[4.83, "45.75"], [4.84, 45.75], [4.84, 45.76]]}),
            400,
            -10,
            "shape[0][1]",
        ),
        (json!({"network_id": network}), 400, -10, "shape"),
        (json!({"shape": LYON}), 400, -10, "network_id"),
        (
            json!({"network_id": 0, "shape": LYON}),
            422,
            -11,
            "network_id",
        ),
        (
            json!({"network_id": network, "shape": LYON, "name": "x"}),
            400,
            -10,
            "name",
        ),
    ] {
        shape(body).await.fails(status, code).names(field);
    }
    // The messages say what is wrong.
    let reply = shape(json!({"network_id": network, "shape": LATITUDE_95})).await;
    assert_eq!(
        reply.body["message"]["fields"]["shape[1]"][0],
        "point 1: latitude 95 is out of range [-90, 90]"
    );
    let reply = shape(json!({"network_id": network, "shape": BOW_TIE})).await;
    assert_eq!(
        reply.body["message"]["fields"]["shape"][0],
        "edges 0 and 2 cross"
    );
    // Nothing changed.
    assert_eq!(border(&app, &admin, network).await["shape"], geojson(&LYON));

    let settings = json!({
        "trigger_alert": false, "notify_user": false, "reduce_vehicle_speed": true,
        "play_vehicle_sound": true, "lock_vehicle": true, "network_id": network,
    });
    let send = |body: Value| {
        app.put("/dashboard/geofencing/border/settings")
            .token(&admin)
            .json(body)
            .send()
    };
    let without = |field: &str| {
        let mut body = settings.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let with = |field: &str, value: Value| {
        let mut body = settings.clone();
        body[field] = value;
        body
    };
    for field in [
        "trigger_alert",
        "notify_user",
        "reduce_vehicle_speed",
        "play_vehicle_sound",
        "lock_vehicle",
        "network_id",
    ] {
        send(without(field)).await.fails(400, -10).names(field);
    }
    send(with("lock_vehicle", json!("yes")))
        .await
        .fails(400, -10)
        .names("lock_vehicle");
    send(with("network_id", json!(0)))
        .await
        .fails(422, -11)
        .names("network_id");
    send(with("extra", json!(true)))
        .await
        .fails(400, -10)
        .names("extra");
    assert_eq!(border(&app, &admin, network).await["lock_vehicle"], false);

    // The query.
    app.get("/dashboard/geofencing/border")
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("network_id");
    app.get("/dashboard/geofencing/border?network_id=0")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("network_id");
    app.get("/dashboard/geofencing/border?network_id=abc")
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("network_id");
}

#[tokio::test]
async fn speed_zones_are_created_listed_updated_and_deleted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let other = app.network("Paris").await;
    assert_eq!(zones(&app, &admin, network).await, Vec::<Value>::new());

    let presquile = add_zone(&app, &admin, network, &PRESQUILE, 20).await;
    let bellecour = add_zone(&app, &admin, network, &BELLECOUR, 10).await;
    add_zone(&app, &admin, other, &PRESQUILE, 15).await;
    let listed = zones(&app, &admin, network).await;
    assert_eq!(listed.len(), 2, "only the zones of the network");
    assert_eq!(listed[0]["id"], presquile);
    assert_eq!(listed[0]["network_id"], network);
    assert_eq!(listed[0]["shape"], geojson(&PRESQUILE));
    assert_eq!(listed[0]["max_speed"], 20);
    assert!(
        chrono::DateTime::parse_from_rfc3339(listed[0]["created_at"].as_str().unwrap()).is_ok()
    );
    assert_eq!(listed[1]["id"], bellecour);
    assert_eq!(listed[1]["shape"], geojson(&BELLECOUR));
    assert_eq!(listed[1]["max_speed"], 10);

    let patch = |id: i64, body: Value| {
        app.patch(&format!("/dashboard/speed-zones/{id}"))
            .token(&admin)
            .json(body)
            .send()
    };
    // The limit only.
    let reply = patch(
        bellecour,
        json!({"speed_zone_id": bellecour, "max_speed": 6}),
    )
    .await;
    assert_eq!(reply.body, json!({"code": 0}), "{}", reply.text);
    let listed = zones(&app, &admin, network).await;
    assert_eq!(
        (&listed[1]["max_speed"], &listed[1]["shape"]),
        (&json!(6), &geojson(&BELLECOUR))
    );
    // The shape only (a null limit is no change).
    patch(
        bellecour,
        json!({"speed_zone_id": bellecour, "shape": PART_DIEU, "max_speed": null}),
    )
    .await
    .ok();
    let listed = zones(&app, &admin, network).await;
    assert_eq!(
        (&listed[1]["max_speed"], &listed[1]["shape"]),
        (&json!(6), &geojson(&PART_DIEU))
    );
    // Both, as in the seed's sample.
    patch(
        bellecour,
        json!({"speed_zone_id": bellecour, "shape": BELLECOUR, "max_speed": 25}),
    )
    .await
    .ok();
    let listed = zones(&app, &admin, network).await;
    assert_eq!(
        (&listed[1]["max_speed"], &listed[1]["shape"]),
        (&json!(25), &geojson(&BELLECOUR))
    );
    assert_eq!(listed[0]["max_speed"], 20, "the other zone is untouched");

    // Deleted: no longer listed nor changeable, but kept.
    let reply = app
        .delete(&format!("/dashboard/speed-zones/{bellecour}"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(reply.body, json!({"code": 0}), "{}", reply.text);
    let listed = zones(&app, &admin, network).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], presquile);
    patch(
        bellecour,
        json!({"speed_zone_id": bellecour, "max_speed": 12}),
    )
    .await
    .fails(404, -2);
    app.delete(&format!("/dashboard/speed-zones/{bellecour}"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    use sea_orm::EntityTrait;
    let row = relais_store::entity::speed_zone::Entity::find_by_id(bellecour)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the deleted zone is kept");
    assert!(row.deleted_at.is_some());
    assert_eq!(row.max_speed, 25);

    // Unknown zones and networks.
    patch(999, json!({"speed_zone_id": 999, "max_speed": 12}))
        .await
        .fails(404, -2);
    app.delete("/dashboard/speed-zones/999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    create_zone(&app, &admin, 999, &PRESQUILE, 10)
        .await
        .fails(404, -2)
        .names("network_id");
    app.get("/dashboard/speed-zones?network_id=999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2)
        .names("network_id");
}

#[tokio::test]
async fn speed_zone_requests_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let zone = add_zone(&app, &admin, network, &BELLECOUR, 10).await;

    let create = |body: Value| {
        app.post("/dashboard/speed-zones")
            .token(&admin)
            .json(body)
            .send()
    };
    let good = json!({"network_id": network, "shape": PRESQUILE, "max_speed": 10});
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    for (body, status, code, field) in [
        (with("max_speed", json!(5)), 422, -11, "max_speed"),
        (with("max_speed", json!(26)), 422, -11, "max_speed"),
        (with("max_speed", json!(10.5)), 400, -10, "max_speed"),
        (with("shape", json!(TWO_POINTS)), 422, -11, "shape"),
        (with("shape", json!(LATITUDE_95)), 422, -11, "shape[1]"),
        (with("shape", json!(BOW_TIE)), 422, -11, "shape"),
        (with("network_id", json!(0)), 422, -11, "network_id"),
        (with("speed", json!(10)), 400, -10, "speed"),
        (without("max_speed"), 400, -10, "max_speed"),
        (without("shape"), 400, -10, "shape"),
        (without("network_id"), 400, -10, "network_id"),
    ] {
        create(body).await.fails(status, code).names(field);
    }
    // The limits are accepted.
    create(with("max_speed", json!(6))).await.ok();
    create(with("max_speed", json!(25))).await.ok();
    assert_eq!(zones(&app, &admin, network).await.len(), 3);

    let patch = |id: i64, body: Value| {
        app.patch(&format!("/dashboard/speed-zones/{id}"))
            .token(&admin)
            .json(body)
            .send()
    };
    for (body, status, code, field) in [
        (
            json!({"speed_zone_id": zone + 1, "max_speed": 12}),
            422,
            -11,
            "speed_zone_id",
        ),
        (json!({"max_speed": 12}), 400, -10, "speed_zone_id"),
        (json!({"speed_zone_id": zone}), 422, -11, "shape"),
        (json!({"speed_zone_id": zone}), 422, -11, "max_speed"),
        (
            json!({"speed_zone_id": zone, "shape": null, "max_speed": null}),
            422,
            -11,
            "max_speed",
        ),
        (
            json!({"speed_zone_id": zone, "max_speed": 5}),
            422,
            -11,
            "max_speed",
        ),
        (
            json!({"speed_zone_id": zone, "max_speed": 26}),
            422,
            -11,
            "max_speed",
        ),
        (
            json!({"speed_zone_id": zone, "shape": TWO_POINTS}),
            422,
            -11,
            "shape",
        ),
        (
            json!({"speed_zone_id": zone, "shape": LATITUDE_95}),
            422,
            -11,
            "shape[1]",
        ),
        (
            json!({"speed_zone_id": zone, "shape": BOW_TIE}),
            422,
            -11,
            "shape",
        ),
        (
            json!({"speed_zone_id": zone, "max_speed": 12, "network_id": network}),
            400,
            -10,
            "network_id",
        ),
    ] {
        patch(zone, body).await.fails(status, code).names(field);
    }
    app.patch("/dashboard/speed-zones/0")
        .token(&admin)
        .json(json!({"speed_zone_id": 0, "max_speed": 12}))
        .send()
        .await
        .fails(422, -11);
    app.delete("/dashboard/speed-zones/abc")
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("id");
    // Nothing changed.
    let listed = zones(&app, &admin, network).await;
    assert_eq!(
        (&listed[0]["max_speed"], &listed[0]["shape"]),
        (&json!(10), &geojson(&BELLECOUR))
    );
}

#[tokio::test]
async fn virtual_parkings_are_created_listed_updated_and_deleted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let other = app.network("Paris").await;

    // The seed's body; the new parking is answered.
    let created = add_parking(&app, &admin, Some(network), &PART_DIEU, 0).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["network_id"], network);
    assert_eq!(created["shape"], geojson(&PART_DIEU));
    assert_eq!(created["capacity"], 0);
    assert!(created["created_at"].is_string());
    let second = add_parking(&app, &admin, Some(network), &BELLECOUR, 12).await;
    add_parking(&app, &admin, Some(other), &PRESQUILE, 3).await;
    let listed = parkings(&app, &admin, network).await;
    assert_eq!(listed, vec![created.clone(), second.clone()]);

    // Update: shape and capacity replaced.
    let reply = app
        .put(&format!("/dashboard/virtual-parkings/{id}"))
        .token(&admin)
        .json(json!({"shape": PRESQUILE, "capacity": 40}))
        .send()
        .await;
    assert_eq!(reply.body, json!({"code": 0}), "{}", reply.text);
    let listed = parkings(&app, &admin, network).await;
    assert_eq!(listed[0]["shape"], geojson(&PRESQUILE));
    assert_eq!(listed[0]["capacity"], 40);
    assert_eq!(listed[0]["created_at"], created["created_at"]);
    assert_eq!(listed[1], second, "the other parking is untouched");

    // A parking of no network, by a global grant: answered, not listed under any network.
    let orphan = add_parking(&app, &admin, None, &BELLECOUR, 5).await;
    assert_eq!(orphan["network_id"], Value::Null);
    let orphan_id = orphan["id"].as_i64().unwrap();
    assert_eq!(parkings(&app, &admin, network).await.len(), 2);
    app.put(&format!("/dashboard/virtual-parkings/{orphan_id}"))
        .token(&admin)
        .json(json!({"shape": PART_DIEU, "capacity": 6}))
        .send()
        .await
        .ok();

    // Delete: no longer listed nor changeable, but kept.
    let reply = app
        .delete(&format!("/dashboard/virtual-parkings/{id}"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(reply.body, json!({"code": 0}), "{}", reply.text);
    assert_eq!(parkings(&app, &admin, network).await, vec![second]);
    app.put(&format!("/dashboard/virtual-parkings/{id}"))
        .token(&admin)
        .json(json!({"shape": PRESQUILE, "capacity": 1}))
        .send()
        .await
        .fails(404, -2);
    app.delete(&format!("/dashboard/virtual-parkings/{id}"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    use sea_orm::EntityTrait;
    let row = relais_store::entity::virtual_parking::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the deleted parking is kept");
    assert!(row.deleted_at.is_some());
    assert_eq!(row.capacity, 40);
    app.delete(&format!("/dashboard/virtual-parkings/{orphan_id}"))
        .token(&admin)
        .send()
        .await
        .ok();
    let row = relais_store::entity::virtual_parking::Entity::find_by_id(orphan_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.capacity, row.deleted_at.is_some()), (6, true));

    // Unknown parkings and networks.
    app.put("/dashboard/virtual-parkings/999")
        .token(&admin)
        .json(json!({"shape": PRESQUILE, "capacity": 1}))
        .send()
        .await
        .fails(404, -2);
    app.post("/dashboard/virtual-parkings")
        .token(&admin)
        .json(json!({"shape": PRESQUILE, "capacity": 1, "network_id": 999}))
        .send()
        .await
        .fails(404, -2)
        .names("network_id");
    app.get("/dashboard/virtual-parkings?network_id=999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2)
        .names("network_id");
}

#[tokio::test]
async fn virtual_parking_requests_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let parking = add_parking(&app, &admin, Some(network), &PART_DIEU, 8).await;
    let id = parking["id"].as_i64().unwrap();

    let good = json!({"shape": BELLECOUR, "capacity": 3, "network_id": network});
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let create = |body: Value| {
        app.post("/dashboard/virtual-parkings")
            .token(&admin)
            .json(body)
            .send()
    };
    for (body, status, code, field) in [
        (with("capacity", json!(-1)), 422, -11, "capacity"),
        (
            with("capacity", json!(2_147_483_648_i64)),
            422,
            -11,
            "capacity",
        ),
        (with("capacity", json!("3")), 400, -10, "capacity"),
        (with("shape", json!(TWO_POINTS)), 422, -11, "shape"),
        (with("shape", json!(LATITUDE_95)), 422, -11, "shape[1]"),
        (with("shape", json!(BOW_TIE)), 422, -11, "shape"),
        (with("network_id", json!(0)), 422, -11, "network_id"),
        (with("cluster_id", json!(1)), 400, -10, "cluster_id"),
        (without("network_id"), 400, -10, "network_id"),
        (without("capacity"), 400, -10, "capacity"),
        (without("shape"), 400, -10, "shape"),
    ] {
        create(body).await.fails(status, code).names(field);
    }
    assert_eq!(parkings(&app, &admin, network).await.len(), 1);

    let put = |body: Value| {
        app.put(&format!("/dashboard/virtual-parkings/{id}"))
            .token(&admin)
            .json(body)
            .send()
    };
    for (body, status, code, field) in [
        (
            json!({"shape": BELLECOUR, "capacity": -1}),
            422,
            -11,
            "capacity",
        ),
        (
            json!({"shape": TWO_POINTS, "capacity": 1}),
            422,
            -11,
            "shape",
        ),
        (
            json!({"shape": LATITUDE_95, "capacity": 1}),
            422,
            -11,
            "shape[1]",
        ),
        (json!({"shape": BOW_TIE, "capacity": 1}), 422, -11, "shape"),
        (json!({"capacity": 1}), 400, -10, "shape"),
        (json!({"shape": BELLECOUR}), 400, -10, "capacity"),
        (
            json!({"shape": BELLECOUR, "capacity": 1, "network_id": network}),
            400,
            -10,
            "network_id",
        ),
    ] {
        put(body).await.fails(status, code).names(field);
    }
    assert_eq!(parkings(&app, &admin, network).await, vec![parking]);
}

#[tokio::test]
async fn geofencing_needs_its_permissions_within_the_caller_scope() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let unit = app.unit("Lyon only", &[lyon]).await;
    let (_, manager) = app
        .staff(
            "manager@relais.test",
            &[
                (Permission::NetworksManage, Some(unit), true),
                (Permission::VirtualParking, Some(unit), true),
            ],
        )
        .await;
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[
                (Permission::NetworksManage, None, false),
                (Permission::VirtualParking, None, false),
            ],
        )
        .await;
    let paris_zone = add_zone(&app, &admin, paris, &PRESQUILE, 10).await;
    let paris_parking = add_parking(&app, &admin, Some(paris), &PART_DIEU, 2).await["id"]
        .as_i64()
        .unwrap();
    let orphan = add_parking(&app, &admin, None, &BELLECOUR, 2).await["id"]
        .as_i64()
        .unwrap();

    // Within the scope: everything works.
    border(&app, &manager, lyon).await;
    app.put("/dashboard/geofencing/border/shape")
        .token(&manager)
        .json(json!({"network_id": lyon, "shape": LYON}))
        .send()
        .await
        .ok();
    let lyon_zone = add_zone(&app, &manager, lyon, &BELLECOUR, 12).await;
    let lyon_parking = add_parking(&app, &manager, Some(lyon), &PART_DIEU, 2).await["id"]
        .as_i64()
        .unwrap();

    // Outside it: the query...
    for path in [
        format!("/dashboard/geofencing/border?network_id={paris}"),
        format!("/dashboard/speed-zones?network_id={paris}"),
        format!("/dashboard/virtual-parkings?network_id={paris}"),
    ] {
        app.get(&path)
            .token(&manager)
            .send()
            .await
            .fails(403, -31)
            .names("network_id");
    }
    // ... the body ...
    app.put("/dashboard/geofencing/border/shape")
        .token(&manager)
        .json(json!({"network_id": paris, "shape": LYON}))
        .send()
        .await
        .fails(403, -31)
        .names("network_id");
    app.put("/dashboard/geofencing/border/settings")
        .token(&manager)
        .json(json!({
            "trigger_alert": true, "notify_user": true, "reduce_vehicle_speed": true,
            "play_vehicle_sound": true, "lock_vehicle": true, "network_id": paris,
        }))
        .send()
        .await
        .fails(403, -31)
        .names("network_id");
    create_zone(&app, &manager, paris, &PRESQUILE, 10)
        .await
        .fails(403, -31)
        .names("network_id");
    app.post("/dashboard/virtual-parkings")
        .token(&manager)
        .json(json!({"shape": PART_DIEU, "capacity": 1, "network_id": paris}))
        .send()
        .await
        .fails(403, -31)
        .names("network_id");
    // ... a parking of no network needs a global grant ...
    app.post("/dashboard/virtual-parkings")
        .token(&manager)
        .json(json!({"shape": PART_DIEU, "capacity": 1, "network_id": null}))
        .send()
        .await
        .fails(403, -31)
        .names("network_id");
    // ... and the objects named by id.
    app.patch(&format!("/dashboard/speed-zones/{paris_zone}"))
        .token(&manager)
        .json(json!({"speed_zone_id": paris_zone, "max_speed": 6}))
        .send()
        .await
        .fails(403, -31);
    app.delete(&format!("/dashboard/speed-zones/{paris_zone}"))
        .token(&manager)
        .send()
        .await
        .fails(403, -31);
    for parking in [paris_parking, orphan] {
        app.put(&format!("/dashboard/virtual-parkings/{parking}"))
            .token(&manager)
            .json(json!({"shape": BELLECOUR, "capacity": 9}))
            .send()
            .await
            .fails(403, -31);
        app.delete(&format!("/dashboard/virtual-parkings/{parking}"))
            .token(&manager)
            .send()
            .await
            .fails(403, -31);
    }
    // Nothing of Paris changed.
    assert_eq!(border(&app, &admin, paris).await["shape"], Value::Null);
    let zones_of_paris = zones(&app, &admin, paris).await;
    assert_eq!(
        (zones_of_paris.len(), &zones_of_paris[0]["max_speed"]),
        (1, &json!(10))
    );
    let parkings_of_paris = parkings(&app, &admin, paris).await;
    assert_eq!(
        (parkings_of_paris.len(), &parkings_of_paris[0]["capacity"]),
        (1, &json!(2))
    );

    // A reader reads everywhere but changes nothing (-30).
    border(&app, &reader, paris).await;
    assert_eq!(zones(&app, &reader, lyon).await.len(), 1);
    assert_eq!(parkings(&app, &reader, lyon).await.len(), 1);
    app.put("/dashboard/geofencing/border/shape")
        .token(&reader)
        .json(json!({"network_id": lyon, "shape": LYON}))
        .send()
        .await
        .fails(403, -30);
    create_zone(&app, &reader, lyon, &PRESQUILE, 10)
        .await
        .fails(403, -30);
    app.patch(&format!("/dashboard/speed-zones/{lyon_zone}"))
        .token(&reader)
        .json(json!({"speed_zone_id": lyon_zone, "max_speed": 6}))
        .send()
        .await
        .fails(403, -30);
    app.delete(&format!("/dashboard/virtual-parkings/{lyon_parking}"))
        .token(&reader)
        .send()
        .await
        .fails(403, -30);

    // Each half of the group needs its own permission.
    let (_, parkings_only) = app
        .staff(
            "parkings@relais.test",
            &[(Permission::VirtualParking, None, true)],
        )
        .await;
    app.get(&format!("/dashboard/speed-zones?network_id={lyon}"))
        .token(&parkings_only)
        .send()
        .await
        .fails(403, -30);
    assert_eq!(parkings(&app, &parkings_only, lyon).await.len(), 1);
    let (_, zones_only) = app
        .staff(
            "zones@relais.test",
            &[(Permission::NetworksManage, None, true)],
        )
        .await;
    app.get(&format!("/dashboard/virtual-parkings?network_id={lyon}"))
        .token(&zones_only)
        .send()
        .await
        .fails(403, -30);
    app.get(&format!("/dashboard/geofencing/border?network_id={lyon}"))
        .send()
        .await
        .fails(401, -20);

    // The manager's own objects are theirs to change.
    app.patch(&format!("/dashboard/speed-zones/{lyon_zone}"))
        .token(&manager)
        .json(json!({"speed_zone_id": lyon_zone, "max_speed": 6}))
        .send()
        .await
        .ok();
    app.delete(&format!("/dashboard/virtual-parkings/{lyon_parking}"))
        .token(&manager)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn a_closed_network_keeps_its_geofencing_readable_but_refuses_changes() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    app.put("/dashboard/geofencing/border/shape")
        .token(&admin)
        .json(json!({"network_id": network, "shape": LYON}))
        .send()
        .await
        .ok();
    let zone = add_zone(&app, &admin, network, &BELLECOUR, 10).await;
    let parking = add_parking(&app, &admin, Some(network), &PART_DIEU, 4).await;
    let parking_id = parking["id"].as_i64().unwrap();
    relais_store::networks::close(&app.db, network, chrono::Utc::now())
        .await
        .unwrap();

    // Readable.
    assert_eq!(border(&app, &admin, network).await["shape"], geojson(&LYON));
    assert_eq!(zones(&app, &admin, network).await.len(), 1);
    assert_eq!(parkings(&app, &admin, network).await, vec![parking.clone()]);

    // Every change is refused.
    for reply in [
        app.put("/dashboard/geofencing/border/shape")
            .token(&admin)
            .json(json!({"network_id": network, "shape": BELLECOUR}))
            .send()
            .await,
        app.put("/dashboard/geofencing/border/settings")
            .token(&admin)
            .json(json!({
                "trigger_alert": false, "notify_user": false, "reduce_vehicle_speed": true,
                "play_vehicle_sound": true, "lock_vehicle": true, "network_id": network,
            }))
            .send()
            .await,
        create_zone(&app, &admin, network, &PRESQUILE, 10).await,
        app.patch(&format!("/dashboard/speed-zones/{zone}"))
            .token(&admin)
            .json(json!({"speed_zone_id": zone, "max_speed": 6}))
            .send()
            .await,
        app.delete(&format!("/dashboard/speed-zones/{zone}"))
            .token(&admin)
            .send()
            .await,
        app.post("/dashboard/virtual-parkings")
            .token(&admin)
            .json(json!({"shape": PRESQUILE, "capacity": 1, "network_id": network}))
            .send()
            .await,
        app.put(&format!("/dashboard/virtual-parkings/{parking_id}"))
            .token(&admin)
            .json(json!({"shape": PRESQUILE, "capacity": 1}))
            .send()
            .await,
        app.delete(&format!("/dashboard/virtual-parkings/{parking_id}"))
            .token(&admin)
            .send()
            .await,
    ] {
        reply.fails(409, -41);
    }

    // Nothing changed.
    let read = border(&app, &admin, network).await;
    assert_eq!(
        (&read["shape"], &read["trigger_alert"]),
        (&geojson(&LYON), &json!(true))
    );
    let listed = zones(&app, &admin, network).await;
    assert_eq!((listed.len(), &listed[0]["max_speed"]), (1, &json!(10)));
    assert_eq!(parkings(&app, &admin, network).await, vec![parking]);
}
