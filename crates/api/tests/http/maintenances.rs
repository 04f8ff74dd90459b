//! Seed group `Maintenances`: the catalogue of maintenance types, the current maintenances of
//! the active fleet, and (relais extensions) opening and closing a maintenance.

use crate::common::TestApp;
use crate::stations::{cluster, dock, spot, station, vehicle, vehicle_row};
use chrono::Utc;
use relais_domain::Permission;
use relais_store::entity::{maintenance, spot as spot_entity, vehicle as vehicle_entity};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

async fn new_type(app: &TestApp, token: &str, key: &str, target: &str, severity: &str) {
    app.post("/dashboard/maintenance-types")
        .token(token)
        .json(json!({"key": key, "target_type": target, "severity": severity}))
        .send()
        .await
        .ok();
}

async fn open(app: &TestApp, token: &str, key: &str, target: &str, id: i64) -> Value {
    app.post("/dashboard/maintenances")
        .token(token)
        .json(json!({"key": key, "target_type": target, "target_id": id, "comment": "seen by a rider"}))
        .send()
        .await
        .ok()
        .clone()
}

async fn current(app: &TestApp, token: &str, networks: &str, lang: &str) -> Vec<Value> {
    app.get(&format!(
        "/dashboard/maintenances?networks={networks}&lang={lang}"
    ))
    .token(token)
    .send()
    .await
    .ok()
    .as_array()
    .unwrap()
    .clone()
}

#[tokio::test]
async fn maintenance_types_are_created_unique_and_deleted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let data = app
        .post("/dashboard/maintenance-types")
        .token(&admin)
        .json(json!({"key": "brake", "target_type": "vehicle", "severity": "high"}))
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(data["key"], "brake");
    assert_eq!(data["target_type"], "vehicle");
    assert_eq!(data["severity"], "high");

    app.post("/dashboard/maintenance-types")
        .token(&admin)
        .json(json!({"key": "brake", "target_type": "station", "severity": "low"}))
        .send()
        .await
        .fails(409, -40)
        .names("key");
    for (field, body) in [
        (
            "key",
            json!({"key": "", "target_type": "vehicle", "severity": "high"}),
        ),
        (
            "key",
            json!({"key": "k".repeat(51), "target_type": "vehicle", "severity": "high"}),
        ),
    ] {
        app.post("/dashboard/maintenance-types")
            .token(&admin)
            .json(body)
            .send()
            .await
            .fails(422, -11)
            .names(field);
    }
    for (field, body) in [
        (
            "target_type",
            json!({"key": "x", "target_type": "bike", "severity": "high"}),
        ),
        (
            "severity",
            json!({"key": "x", "target_type": "vehicle", "severity": "urgent"}),
        ),
        ("severity", json!({"key": "x", "target_type": "vehicle"})),
    ] {
        app.post("/dashboard/maintenance-types")
            .token(&admin)
            .json(body)
            .send()
            .await
            .fails(400, -10)
            .names(field);
    }
    new_type(&app, &admin, &"k".repeat(50), "spot", "info").await;

    app.delete("/dashboard/maintenance-types?key=brake")
        .token(&admin)
        .send()
        .await
        .ok();
    app.delete("/dashboard/maintenance-types?key=brake")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.delete("/dashboard/maintenance-types?key=unknown")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    // The key of a deleted type stays taken.
    app.post("/dashboard/maintenance-types")
        .token(&admin)
        .json(json!({"key": "brake", "target_type": "vehicle", "severity": "high"}))
        .send()
        .await
        .fails(409, -40)
        .names("key");
}

#[tokio::test]
async fn maintenance_types_need_the_permission_globally() {
    let app = TestApp::new().await;
    let lyon = app.network("Lyon").await;
    let unit = app.unit("Lyon team", &[lyon]).await;
    let (_, local) = app
        .staff(
            "local@example.com",
            &[(Permission::Maintenances, Some(unit), true)],
        )
        .await;
    app.post("/dashboard/maintenance-types")
        .token(&local)
        .json(json!({"key": "brake", "target_type": "vehicle", "severity": "high"}))
        .send()
        .await
        .fails(403, -31);
    let (_, reader) = app
        .staff(
            "reader@example.com",
            &[(Permission::Maintenances, None, false)],
        )
        .await;
    app.post("/dashboard/maintenance-types")
        .token(&reader)
        .json(json!({"key": "brake", "target_type": "vehicle", "severity": "high"}))
        .send()
        .await
        .fails(403, -30);
    let (_, global) = app
        .staff(
            "global@example.com",
            &[(Permission::Maintenances, None, true)],
        )
        .await;
    new_type(&app, &global, "brake", "vehicle", "high").await;
    app.delete("/dashboard/maintenance-types?key=brake")
        .token(&local)
        .send()
        .await
        .fails(403, -31);
    app.delete("/dashboard/maintenance-types?key=brake")
        .token(&global)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn maintenance_types_are_listed_with_their_labels() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    new_type(&app, &admin, "flat-tyre", "vehicle", "high").await;
    new_type(&app, &admin, "brake", "vehicle", "high").await;
    new_type(&app, &admin, "door-jammed", "station", "low").await;
    app.delete("/dashboard/maintenance-types?key=brake")
        .token(&admin)
        .send()
        .await
        .ok();
    let list = |query: &str| {
        let app = &app;
        let path = format!("/dashboard/maintenance-types?{query}");
        let token = admin.clone();
        async move { app.get(&path).token(&token).send().await }
    };
    // By key, without the deleted one, labelled in the language asked for.
    let types = list("lang=fr").await.ok().clone();
    let keys: Vec<&str> = types
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["door-jammed", "flat-tyre"]);
    assert_eq!(types[1]["label"], "Pneu crevé");
    assert_eq!(types[1]["target_type"], "vehicle");
    assert_eq!(types[1]["severity"], "high");
    assert_eq!(types[1]["deleted_at"], Value::Null);
    assert_eq!(types[0]["label"], "door-jammed");
    let english = list("lang=de").await.ok().clone();
    assert_eq!(english[1]["label"], "Flat tyre");
    // Deleted ones when asked.
    let all = list("lang=en&include_deleted=true").await.ok().clone();
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[0]["key"], "brake");
    assert!(all[0]["deleted_at"].is_string());
    assert_eq!(
        list("lang=en&include_deleted=false")
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    list("").await.fails(400, -10).names("lang");
    list("lang=french").await.fails(422, -11).names("lang");
    list("lang=fr&include_deleted=maybe")
        .await
        .fails(400, -10)
        .names("include_deleted");
    // Any grant of `maintenances` reads the operator's catalogue; without it, refused.
    let lyon = app.network("Lyon").await;
    let unit = app.unit("Lyon team", &[lyon]).await;
    let (_, local) = app
        .staff(
            "local@example.com",
            &[(Permission::Maintenances, Some(unit), false)],
        )
        .await;
    let types = app
        .get("/dashboard/maintenance-types?lang=en")
        .token(&local)
        .send()
        .await;
    assert_eq!(types.ok().as_array().unwrap().len(), 2);
    let (_, other) = app.staff("other@example.com", &[]).await;
    app.get("/dashboard/maintenance-types?lang=en")
        .token(&other)
        .send()
        .await
        .fails(403, -30);
}

#[tokio::test]
async fn a_vehicle_under_maintenance_is_unavailable_until_its_last_one_closes() {
    let app = TestApp::new().await;
    let (admin_id, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    new_type(&app, &admin, "brake", "vehicle", "high").await;
    new_type(&app, &admin, "light", "vehicle", "low").await;
    let v = vehicle(&app, lyon, "V-1", None).await;

    let first = open(&app, &admin, "brake", "vehicle", v).await;
    assert_eq!(first["key"], "brake");
    assert_eq!(first["target_type"], "vehicle");
    assert_eq!(first["target_id"], v);
    assert_eq!(first["network_id"], lyon);
    assert_eq!(first["opened_by"], admin_id);
    assert_eq!(first["closed_at"], Value::Null);
    assert_eq!(first["comment"], "seen by a rider");
    assert_eq!(vehicle_row(&app, v).await.status, "maintenance");
    let second = open(&app, &admin, "light", "vehicle", v).await;

    let closed = app
        .post(&format!("/dashboard/maintenances/{}/close", first["id"]))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert!(closed["closed_at"].is_string());
    assert_eq!(closed["closed_by"], admin_id);
    assert_eq!(vehicle_row(&app, v).await.status, "maintenance");
    app.post(&format!("/dashboard/maintenances/{}/close", first["id"]))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);
    app.post(&format!("/dashboard/maintenances/{}/close", second["id"]))
        .token(&admin)
        .send()
        .await
        .ok();
    assert_eq!(vehicle_row(&app, v).await.status, "available");
    let row = maintenance::Entity::find_by_id(first["id"].as_i64().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.closed_by, Some(admin_id));
    app.post("/dashboard/maintenances/999999/close")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn opening_checks_the_type_and_the_target() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let s = station(&app, cluster(&app, lyon, "Bellecour").await).await;
    let sp = spot(&app, s, 1).await;
    let v = vehicle(&app, lyon, "V-1", None).await;
    new_type(&app, &admin, "brake", "vehicle", "high").await;
    new_type(&app, &admin, "power", "station", "high").await;
    new_type(&app, &admin, "screen", "spot", "low").await;
    new_type(&app, &admin, "old", "vehicle", "info").await;
    app.delete("/dashboard/maintenance-types?key=old")
        .token(&admin)
        .send()
        .await
        .ok();

    let post = |body: Value| app.post("/dashboard/maintenances").token(&admin).json(body);
    post(json!({"key": "old", "target_type": "vehicle", "target_id": v}))
        .send()
        .await
        .fails(422, -11)
        .names("key");
    post(json!({"key": "nope", "target_type": "vehicle", "target_id": v}))
        .send()
        .await
        .fails(404, -2)
        .names("key");
    post(json!({"key": "brake", "target_type": "station", "target_id": s}))
        .send()
        .await
        .fails(422, -11)
        .names("target_type");
    post(json!({"key": "brake", "target_type": "vehicle", "target_id": 999999}))
        .send()
        .await
        .fails(404, -2)
        .names("target_id");
    post(json!({"key": "power", "target_type": "station", "target_id": 999999}))
        .send()
        .await
        .fails(404, -2)
        .names("target_id");
    post(json!({"key": "brake", "target_type": "vehicle", "target_id": v, "comment": "x".repeat(501)}))
        .send()
        .await
        .fails(422, -11)
        .names("comment");
    post(json!({"key": "brake", "target_type": "vehicle", "target_id": 0}))
        .send()
        .await
        .fails(422, -11)
        .names("target_id");
    post(json!({"key": "brake", "target_type": "car", "target_id": v}))
        .send()
        .await
        .fails(400, -10)
        .names("target_type");
    post(json!({"key": "brake", "target_type": "vehicle"}))
        .send()
        .await
        .fails(400, -10)
        .names("target_id");
    assert!(
        maintenance::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );

    open(&app, &admin, "power", "station", s).await;
    let on_spot = open(&app, &admin, "screen", "spot", sp).await;
    assert_eq!(on_spot["target_id"], sp);

    // A decommissioned target is refused.
    app.post(&format!("/dashboard/stations/{s}/decommission"))
        .token(&admin)
        .send()
        .await
        .ok();
    post(json!({"key": "screen", "target_type": "spot", "target_id": sp}))
        .send()
        .await
        .fails(409, -41);
}

#[tokio::test]
async fn opening_and_closing_respect_scope_and_closed_networks() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let unit = app.unit("Lyon team", &[lyon]).await;
    new_type(&app, &admin, "brake", "vehicle", "high").await;
    new_type(&app, &admin, "power", "station", "high").await;
    let in_lyon = vehicle(&app, lyon, "V-LYON", None).await;
    let in_paris = vehicle(&app, paris, "V-PARIS", None).await;
    let paris_station = station(&app, cluster(&app, paris, "Opera").await).await;
    let paris_open = open(&app, &admin, "brake", "vehicle", in_paris).await;

    let (_, reader) = app
        .staff(
            "reader@example.com",
            &[(Permission::Maintenances, Some(unit), false)],
        )
        .await;
    app.post("/dashboard/maintenances")
        .token(&reader)
        .json(json!({"key": "brake", "target_type": "vehicle", "target_id": in_lyon}))
        .send()
        .await
        .fails(403, -30);
    let (_, writer) = app
        .staff(
            "writer@example.com",
            &[(Permission::Maintenances, Some(unit), true)],
        )
        .await;
    app.post("/dashboard/maintenances")
        .token(&writer)
        .json(json!({"key": "brake", "target_type": "vehicle", "target_id": in_paris}))
        .send()
        .await
        .fails(403, -31);
    app.post("/dashboard/maintenances")
        .token(&writer)
        .json(json!({"key": "power", "target_type": "station", "target_id": paris_station}))
        .send()
        .await
        .fails(403, -31);
    app.post(&format!(
        "/dashboard/maintenances/{}/close",
        paris_open["id"]
    ))
    .token(&writer)
    .send()
    .await
    .fails(403, -31);
    let lyon_open = open(&app, &writer, "brake", "vehicle", in_lyon).await;

    relais_store::networks::close(&app.db, lyon, Utc::now())
        .await
        .unwrap();
    app.post(&format!(
        "/dashboard/maintenances/{}/close",
        lyon_open["id"]
    ))
    .token(&writer)
    .send()
    .await
    .fails(409, -41);
    app.post("/dashboard/maintenances")
        .token(&writer)
        .json(json!({"key": "brake", "target_type": "vehicle", "target_id": in_lyon}))
        .send()
        .await
        .fails(409, -41);
}

#[tokio::test]
async fn current_maintenances_of_the_active_fleet_are_listed_and_localized() {
    let app = TestApp::new().await;
    let (admin_id, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    new_type(&app, &admin, "brake", "vehicle", "high").await;
    new_type(&app, &admin, "power", "station", "high").await;
    new_type(&app, &admin, "odd-noise", "spot", "info").await;
    let c = cluster(&app, lyon, "Bellecour").await;
    let s = station(&app, c).await;
    let sp = spot(&app, s, 1).await;
    let v = vehicle(&app, lyon, "V-1", None).await;
    dock(&app, v, sp).await;
    let gone = vehicle(&app, lyon, "V-GONE", None).await;
    let paris_vehicle = vehicle(&app, paris, "V-PARIS", None).await;

    let on_station = open(&app, &admin, "power", "station", s).await;
    let on_spot = open(&app, &admin, "odd-noise", "spot", sp).await;
    let on_vehicle = open(&app, &admin, "brake", "vehicle", v).await;
    let closed = open(&app, &admin, "brake", "vehicle", v).await;
    app.post(&format!("/dashboard/maintenances/{}/close", closed["id"]))
        .token(&admin)
        .send()
        .await
        .ok();
    open(&app, &admin, "brake", "vehicle", gone).await;
    vehicle_entity::ActiveModel {
        id: Set(gone),
        decommissioned_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    open(&app, &admin, "brake", "vehicle", paris_vehicle).await;

    let list = current(&app, &admin, &lyon.to_string(), "fr").await;
    let ids: Vec<&Value> = list.iter().map(|m| &m["id"]).collect();
    // Newest first (the list's default, `primary_key_dir=DESC`).
    assert_eq!(
        ids,
        vec![&on_vehicle["id"], &on_spot["id"], &on_station["id"]]
    );
    assert_eq!(list[2]["key"], "power");
    assert_eq!(list[2]["label"], "Problème d'alimentation");
    assert_eq!(list[2]["severity"], "high");
    assert_eq!(list[2]["target"]["target_type"], "station");
    assert_eq!(list[2]["target"]["station_id"], s);
    assert_eq!(list[2]["target"]["cluster_id"], c);
    assert_eq!(list[2]["target"]["cluster_name"], "Bellecour");
    assert_eq!(list[2]["opened_by"], admin_id);
    assert_eq!(list[2]["comment"], "seen by a rider");
    assert_eq!(list[1]["label"], "odd-noise");
    assert_eq!(list[1]["target"]["spot_id"], sp);
    assert_eq!(list[1]["target"]["station_id"], s);
    assert_eq!(list[0]["target"]["vehicle_id"], v);
    assert_eq!(list[0]["target"]["vehicle_serial"], "V-1");
    assert_eq!(list[0]["target"]["spot_id"], sp);
    assert_eq!(list[0]["target"]["cluster_name"], "Bellecour");
    assert_eq!(list[0]["label"], "Problème de frein");
    let english = current(&app, &admin, &lyon.to_string(), "en").await;
    assert_eq!(english[0]["label"], "Brake problem");
    assert_eq!(
        current(&app, &admin, &format!("{lyon},{paris}"), "en")
            .await
            .len(),
        4
    );

    // A decommissioned spot leaves the list; its station too once decommissioned.
    spot_entity::ActiveModel {
        id: Set(sp),
        decommissioned_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    assert_eq!(
        current(&app, &admin, &lyon.to_string(), "en").await.len(),
        2
    );

    app.get(&format!(
        "/dashboard/maintenances?networks={lyon}&lang=french"
    ))
    .token(&admin)
    .send()
    .await
    .fails(422, -11)
    .names("lang");
    app.get(&format!("/dashboard/maintenances?networks={lyon}"))
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("lang");
    app.get("/dashboard/maintenances?networks=0&lang=en")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("networks");

    let unit = app.unit("Lyon team", &[lyon]).await;
    let (_, reader) = app
        .staff(
            "reader@example.com",
            &[(Permission::Maintenances, Some(unit), false)],
        )
        .await;
    assert_eq!(
        current(&app, &reader, &lyon.to_string(), "en").await.len(),
        2
    );
    app.get(&format!("/dashboard/maintenances?networks={paris}&lang=en"))
        .token(&reader)
        .send()
        .await
        .fails(403, -31);
    let (_, other) = app
        .staff("other@example.com", &[(Permission::Stations, None, false)])
        .await;
    app.get(&format!("/dashboard/maintenances?networks={lyon}&lang=en"))
        .token(&other)
        .send()
        .await
        .fails(403, -30);
}

#[test]
fn a_maintenance_type_is_named_key_and_label_everywhere() {
    let doc = serde_json::to_value(relais_api::openapi()).unwrap();
    for (schema, body) in doc["components"]["schemas"].as_object().unwrap() {
        for field in body["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(f, _)| f)
        {
            assert!(
                !["type_key", "type_name", "type_label"].contains(&field.as_str()),
                "{schema}.{field}: the type's key is `key`, its label `label`"
            );
        }
    }
}
