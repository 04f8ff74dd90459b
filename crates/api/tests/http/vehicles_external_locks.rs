//! Seed group `VehiclesExternalLocks`: one active external lock per vehicle.

use crate::common::TestApp;
use relais_domain::Permission;
use serde_json::{Value, json};

async fn vehicle(app: &TestApp, token: &str, serial: &str, network: i64) -> i64 {
    let model = relais_store::reference::vehicle_models(&app.db)
        .await
        .unwrap()
        .first()
        .expect("a vehicle model")
        .id;
    app.post("/dashboard/vehicles")
        .token(token)
        .json(json!({"serial": serial, "model_id": model, "network_id": network}))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap()
}

fn lock(vehicle: i64, serial_number: &str) -> Value {
    json!({
        "vehicle_id": vehicle,
        "model": "Abus Granit",
        "type": "u",
        "serial_number": serial_number,
        "code": "1234",
    })
}

#[tokio::test]
async fn a_lock_is_registered_shown_recoded_and_decommissioned() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = vehicle(&app, &admin, "SXB123", lyon).await;

    let made = app
        .post("/dashboard/vehicle-external-locks")
        .token(&admin)
        .json(lock(id, "L-001"))
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(made["vehicle_id"], id);
    assert_eq!(made["type"], "u");
    assert_eq!(made["code"], "1234");
    assert!(made["decommissioned_at"].is_null());

    // One active lock per vehicle.
    app.post("/dashboard/vehicle-external-locks")
        .token(&admin)
        .json(lock(id, "L-002"))
        .send()
        .await
        .fails(409, -41);

    let recoded = app
        .put(&format!("/dashboard/vehicles/{id}/external-lock/code"))
        .token(&admin)
        .json(json!({"code": "9876"}))
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(recoded["code"], "9876");
    let detail = app
        .get(&format!("/dashboard/vehicles/{id}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(detail["external_lock"]["serial_number"], "L-001");
    assert_eq!(detail["external_lock"]["code"], "9876");

    let gone = app
        .delete(&format!("/dashboard/vehicles/{id}/external-lock"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert!(gone["decommissioned_at"].is_string());
    let detail = app
        .get(&format!("/dashboard/vehicles/{id}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert!(detail["external_lock"].is_null());
    app.delete(&format!("/dashboard/vehicles/{id}/external-lock"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.put(&format!("/dashboard/vehicles/{id}/external-lock/code"))
        .token(&admin)
        .json(json!({"code": "1111"}))
        .send()
        .await
        .fails(404, -2);

    // The serial number stays taken; a new lock may be fitted.
    app.post("/dashboard/vehicle-external-locks")
        .token(&admin)
        .json(lock(id, "L-001"))
        .send()
        .await
        .fails(409, -40)
        .names("serial_number");
    app.post("/dashboard/vehicle-external-locks")
        .token(&admin)
        .json(lock(id, "L-002"))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn lock_requests_are_checked() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = vehicle(&app, &admin, "SXB123", lyon).await;
    let post = |body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post("/dashboard/vehicle-external-locks")
                .token(&admin)
                .json(body)
                .send()
                .await
        }
    };
    let with = |field: &str, value: Value| {
        let mut body = lock(id, "L-009");
        body[field] = value;
        body
    };
    for (field, value) in [
        ("model", json!("")),
        ("model", json!("m".repeat(65))),
        ("serial_number", json!("")),
        ("serial_number", json!("s".repeat(65))),
        ("code", json!("")),
        ("code", json!("1".repeat(17))),
    ] {
        post(with(field, value)).await.fails(422, -11).names(field);
    }
    post(with("type", json!("padlock"))).await.fails(400, -10);
    post(with("vehicle_id", json!(999_999)))
        .await
        .fails(404, -2)
        .names("vehicle_id");
    let mut extra = lock(id, "L-009");
    extra["colour"] = json!("red");
    post(extra).await.fails(400, -10);

    app.put(&format!("/dashboard/vehicles/{id}/external-lock/code"))
        .token(&admin)
        .json(json!({"code": ""}))
        .send()
        .await
        .fails(422, -11)
        .names("code");
}

#[tokio::test]
async fn locks_follow_permission_scope_and_vehicle_state() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let in_lyon = vehicle(&app, &admin, "LYO123", lyon).await;
    let in_paris = vehicle(&app, &admin, "PAR123", paris).await;

    let unit = app.unit("Lyon unit", &[lyon]).await;
    let (_, staff) = app
        .staff(
            "lyon@relais.test",
            &[(Permission::VehiclesManage, Some(unit), true)],
        )
        .await;
    app.post("/dashboard/vehicle-external-locks")
        .token(&staff)
        .json(lock(in_lyon, "L-100"))
        .send()
        .await
        .ok();
    app.post("/dashboard/vehicle-external-locks")
        .token(&staff)
        .json(lock(in_paris, "L-200"))
        .send()
        .await
        .fails(403, -31);
    app.post("/dashboard/vehicle-external-locks")
        .token(&admin)
        .json(lock(in_paris, "L-200"))
        .send()
        .await
        .ok();
    app.delete(&format!("/dashboard/vehicles/{in_paris}/external-lock"))
        .token(&staff)
        .send()
        .await
        .fails(403, -31);
    app.put(&format!(
        "/dashboard/vehicles/{in_paris}/external-lock/code"
    ))
    .token(&staff)
    .json(json!({"code": "1"}))
    .send()
    .await
    .fails(403, -31);

    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::VehiclesManage, None, false)],
        )
        .await;
    app.delete(&format!("/dashboard/vehicles/{in_lyon}/external-lock"))
        .token(&reader)
        .send()
        .await
        .fails(403, -30);

    // A decommissioned vehicle takes no lock; a closed network refuses changes.
    app.post(&format!(
        "/dashboard/vehicles/{in_lyon}/decommission?reason=sold"
    ))
    .token(&admin)
    .send()
    .await
    .ok();
    app.post("/dashboard/vehicle-external-locks")
        .token(&admin)
        .json(lock(in_lyon, "L-101"))
        .send()
        .await
        .fails(409, -41);
    app.delete(&format!("/dashboard/networks/{paris}"))
        .token(&admin)
        .send()
        .await
        .ok();
    app.put(&format!(
        "/dashboard/vehicles/{in_paris}/external-lock/code"
    ))
    .token(&admin)
    .json(json!({"code": "1"}))
    .send()
    .await
    .fails(409, -41);
}
