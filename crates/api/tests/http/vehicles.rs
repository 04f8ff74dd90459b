//! Seed group `Vehicles`: registering, listing, labels, history and life cycle.

use crate::common::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use relais_domain::Permission;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The identifier of some model of the catalogue.
async fn model(app: &TestApp) -> i64 {
    relais_store::reference::vehicle_models(&app.db)
        .await
        .unwrap()
        .first()
        .expect("a vehicle model")
        .id
}

async fn register(app: &TestApp, token: &str, serial: &str, network: i64) -> Value {
    let model = model(app).await;
    app.post("/dashboard/vehicles")
        .token(token)
        .json(json!({"serial": serial, "model_id": model, "network_id": network}))
        .send()
        .await
        .ok()
        .clone()
}

/// A GET answered with raw bytes: status, content type, body.
async fn raw(app: &TestApp, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let request = Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, content_type, bytes)
}

/// The text of the only QR code of a PNG image.
fn decode_png(bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("png header");
    let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buffer).expect("png frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (width, height) = (info.width as usize, info.height as usize);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| buffer[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("decodable").1
}

#[tokio::test]
async fn registering_checks_serial_model_network_and_scope() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let model = model(&app).await;

    let vehicle = register(&app, &admin, "SXB123", lyon).await;
    assert_eq!(vehicle["serial"], "SXB123");
    assert_eq!(vehicle["network_id"], lyon);
    assert_eq!(vehicle["model"]["id"], model);
    assert_eq!(vehicle["status"], "available");
    assert_eq!(vehicle["placement"]["kind"], "free");

    let body = |serial: &str, model: i64, network: i64| json!({"serial": serial, "model_id": model, "network_id": network});
    app.post("/dashboard/vehicles")
        .token(&admin)
        .json(body("SXB123", model, paris))
        .send()
        .await
        .fails(409, -40)
        .names("serial");
    for bad in ["SXB12", "SXB1234567X", "SXB-12"] {
        app.post("/dashboard/vehicles")
            .token(&admin)
            .json(body(bad, model, lyon))
            .send()
            .await
            .fails(422, -11)
            .names("serial");
    }
    app.post("/dashboard/vehicles")
        .token(&admin)
        .json(body("SXB999", 999_999, lyon))
        .send()
        .await
        .fails(404, -2)
        .names("model_id");
    app.post("/dashboard/vehicles")
        .token(&admin)
        .json(body("SXB999", model, 999_999))
        .send()
        .await
        .fails(404, -2);

    // Scope: a staff member registering in Lyon only.
    let unit = app.unit("Lyon unit", &[lyon]).await;
    let (_, staff) = app
        .staff(
            "reg@relais.test",
            &[(Permission::VehiclesRegister, Some(unit), true)],
        )
        .await;
    register(&app, &staff, "LYO001", lyon).await;
    app.post("/dashboard/vehicles")
        .token(&staff)
        .json(body("PAR001", model, paris))
        .send()
        .await
        .fails(403, -31);
    let (_, reader) = app
        .staff(
            "read@relais.test",
            &[(Permission::VehiclesRegister, None, false)],
        )
        .await;
    app.post("/dashboard/vehicles")
        .token(&reader)
        .json(body("PAR001", model, paris))
        .send()
        .await
        .fails(403, -30);

    // Closed network.
    app.delete(&format!("/dashboard/networks/{paris}"))
        .token(&admin)
        .send()
        .await
        .ok();
    app.post("/dashboard/vehicles")
        .token(&admin)
        .json(body("PAR001", model, paris))
        .send()
        .await
        .fails(409, -41);
}

#[tokio::test]
async fn lists_show_vehicles_in_service_and_decommissioned_within_scope() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let a = register(&app, &admin, "AAA111", lyon).await["id"]
        .as_i64()
        .unwrap();
    register(&app, &admin, "BBB222", lyon).await;
    register(&app, &admin, "CCC333", paris).await;

    let list = app
        .get(&format!("/dashboard/vehicles?networks={lyon},{paris}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    let serials: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["serial"].as_str().unwrap())
        .collect();
    assert_eq!(serials, ["AAA111", "BBB222", "CCC333"]);

    app.post(&format!(
        "/dashboard/vehicles/{a}/decommission?reason=sold&comment=Sold%20to%20a%20rider&amount=120.5"
    ))
    .token(&admin)
    .send()
    .await
    .ok();
    let list = app
        .get(&format!("/dashboard/vehicles?networks={lyon}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["serial"], "BBB222");
    let gone = app
        .get(&format!(
            "/dashboard/vehicles/decommissioned?networks={lyon}"
        ))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(gone.as_array().unwrap().len(), 1);
    assert_eq!(gone[0]["serial"], "AAA111");
    assert_eq!(gone[0]["status"], "decommissioned");
    assert_eq!(gone[0]["decommission_reason"], "sold");
    assert_eq!(gone[0]["decommission_comment"], "Sold to a rider");
    assert_eq!(gone[0]["decommission_amount"], "120.50");

    let unit = app.unit("Lyon unit", &[lyon]).await;
    let (_, staff) = app
        .staff(
            "lyon@relais.test",
            &[(Permission::VehiclesManage, Some(unit), false)],
        )
        .await;
    app.get(&format!("/dashboard/vehicles?networks={lyon}"))
        .token(&staff)
        .send()
        .await
        .ok();
    app.get(&format!("/dashboard/vehicles?networks={lyon},{paris}"))
        .token(&staff)
        .send()
        .await
        .fails(403, -31);
    app.get(&format!("/dashboard/vehicles?networks={lyon},{lyon}"))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("networks");
    let (_, nobody) = app.staff("nobody@relais.test", &[]).await;
    app.get(&format!(
        "/dashboard/vehicles/decommissioned?networks={lyon}"
    ))
    .token(&nobody)
    .send()
    .await
    .fails(403, -30);
}

#[tokio::test]
async fn qr_codes_hold_the_serial() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = register(&app, &admin, "SXB123", lyon).await["id"]
        .as_i64()
        .unwrap();

    let (status, content_type, bytes) =
        raw(&app, &admin, "/dashboard/vehicles/qr-code?serial=abc9876").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "image/png");
    assert_eq!(decode_png(&bytes), "abc9876");

    let (status, content_type, bytes) =
        raw(&app, &admin, &format!("/dashboard/vehicles/{id}/qr-code")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "image/png");
    assert_eq!(decode_png(&bytes), "SXB123");

    app.get("/dashboard/vehicles/qr-code?serial=abc")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("serial");
    app.get("/dashboard/vehicles/qr-code?serial=abc_12345")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("serial");
    app.get("/dashboard/vehicles/999999/qr-code")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.get("/dashboard/vehicles/qr-code?serial=abc9876")
        .send()
        .await
        .fails(401, -20);
    // Labels need `vehicles.register`; a vehicle's code, `vehicles.manage` over its network.
    let (_, printer) = app
        .staff(
            "print@relais.test",
            &[(Permission::VehiclesRegister, None, false)],
        )
        .await;
    let (status, _, bytes) =
        raw(&app, &printer, "/dashboard/vehicles/qr-code?serial=abc9876").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(decode_png(&bytes), "abc9876");
    for path in [
        "/dashboard/vehicles/qr-code?serial=abc9876".to_owned(),
        "/dashboard/vehicles/qr-code-sheet?prefix=A&begin_id=0&width_in_cm=10&height_in_cm=10"
            .to_owned(),
        "/dashboard/vehicles/used-serials?serials=SXB123".to_owned(),
    ] {
        let (_, manager) = app
            .staff(
                &format!("m{}@relais.test", path.len()),
                &[(Permission::VehiclesManage, None, true)],
            )
            .await;
        app.get(&path).token(&manager).send().await.fails(403, -30);
    }
    app.get(&format!("/dashboard/vehicles/{id}/qr-code"))
        .token(&printer)
        .send()
        .await
        .fails(403, -30);
    let paris = app.network("Paris").await;
    let unit = app.unit("Paris unit", &[paris]).await;
    let (_, elsewhere) = app
        .staff(
            "paris@relais.test",
            &[(Permission::VehiclesManage, Some(unit), false)],
        )
        .await;
    app.get(&format!("/dashboard/vehicles/{id}/qr-code"))
        .token(&elsewhere)
        .send()
        .await
        .fails(403, -31);
}

/// The four numbers of the page's MediaBox.
fn media_box(pdf: &[u8]) -> Vec<f64> {
    let text = String::from_utf8_lossy(pdf);
    let start = text.find("/MediaBox [").expect("MediaBox") + "/MediaBox [".len();
    let end = start + text[start..].find(']').unwrap();
    text[start..end]
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect()
}

#[tokio::test]
async fn qr_code_sheets_are_one_page_of_the_size_asked() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;

    let (status, content_type, pdf) = raw(
        &app,
        &admin,
        "/dashboard/vehicles/qr-code-sheet?prefix=SXB&begin_id=7&width_in_cm=21&height_in_cm=29.7",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/pdf");
    assert!(pdf.starts_with(b"%PDF"));
    let mb = media_box(&pdf);
    assert_eq!(mb.len(), 4);
    assert!((mb[2] - 21.0 / 2.54 * 72.0).abs() < 0.01, "{mb:?}");
    assert!((mb[3] - 29.7 / 2.54 * 72.0).abs() < 0.01, "{mb:?}");
    let text = String::from_utf8_lossy(&pdf);
    let pages = text
        .match_indices("/Type /Page")
        .filter(|(i, _)| !text[i + 11..].starts_with('s'))
        .count();
    assert_eq!(pages, 1, "one page");
    // 6 columns x 7 rows: SXB007 .. SXB048.
    assert!(text.contains("(SXB007)"));
    assert!(text.contains("(SXB048)"));
    assert!(!text.contains("(SXB049)"));

    // The smallest sheet holds one label.
    let (status, _, pdf) = raw(
        &app,
        &admin,
        "/dashboard/vehicles/qr-code-sheet?prefix=A&begin_id=0&width_in_cm=4&height_in_cm=4.6",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("(A00000)"));

    let sheet = |query: &str| format!("/dashboard/vehicles/qr-code-sheet?{query}");
    for (query, field) in [
        (
            "prefix=sx&begin_id=0&width_in_cm=21&height_in_cm=29.7",
            "prefix",
        ),
        (
            "prefix=ABCDEFGH&begin_id=0&width_in_cm=21&height_in_cm=29.7",
            "prefix",
        ),
        (
            "prefix=SXB&begin_id=0&width_in_cm=0&height_in_cm=29.7",
            "width_in_cm",
        ),
        (
            "prefix=SXB&begin_id=0&width_in_cm=21&height_in_cm=301",
            "height_in_cm",
        ),
        (
            "prefix=SXB&begin_id=0&width_in_cm=3.9&height_in_cm=29.7",
            "width_in_cm",
        ),
        (
            "prefix=ABCDEFG&begin_id=999&width_in_cm=21&height_in_cm=29.7",
            "begin_id",
        ),
    ] {
        app.get(&sheet(query))
            .token(&admin)
            .send()
            .await
            .fails(422, -11)
            .names(field);
    }
    app.get(&sheet(
        "prefix=SXB&begin_id=-1&width_in_cm=21&height_in_cm=29.7",
    ))
    .token(&admin)
    .send()
    .await
    .fails(400, -10);
}

#[tokio::test]
async fn used_serials_are_those_registered() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    register(&app, &admin, "SXB123", lyon).await;
    register(&app, &admin, "SXB345", lyon).await;
    let used = app
        .get("/dashboard/vehicles/used-serials?serials=SXB345,SXB234,SXB123")
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(used["used"], json!(["SXB345", "SXB123"]));
    app.get("/dashboard/vehicles/used-serials?serials=SXB123,bad")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("serials");
}

#[tokio::test]
async fn detail_statistic_maintenances_and_alerts() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let id = register(&app, &admin, "SXB123", lyon).await["id"]
        .as_i64()
        .unwrap();
    let other = register(&app, &admin, "PAR123", paris).await["id"]
        .as_i64()
        .unwrap();

    let now = Utc::now();
    for (start, minutes) in [(3, Some(10)), (2, Some(20)), (1, None)] {
        relais_store::trips::record(
            &app.db,
            relais_store::trips::NewTrip {
                network_id: lyon,
                vehicle_id: Some(id),
                started_at: now - Duration::hours(start),
                ended_at: minutes.map(|m| now - Duration::hours(start) + Duration::minutes(m)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let kind = relais_store::entity::maintenance_type::ActiveModel {
        key: Set("flat-tyre-test".into()),
        target_type: Set("vehicle".into()),
        severity: Set("high".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    for (hours, closed) in [(5, true), (4, false)] {
        relais_store::entity::maintenance::ActiveModel {
            type_id: Set(kind.id),
            network_id: Set(lyon),
            vehicle_id: Set(Some(id)),
            opened_at: Set(now - Duration::hours(hours)),
            closed_at: Set(closed.then_some(now - Duration::minutes(30))),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    for resolved in [false, true] {
        relais_store::entity::fleet_alert::ActiveModel {
            network_id: Set(lyon),
            alert_type: Set("low-battery".into()),
            severity: Set("warning".into()),
            vehicle_id: Set(Some(id)),
            details: Set("{}".into()),
            created_at: Set(now),
            resolved_at: Set(resolved.then_some(now)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }

    let detail = app
        .get(&format!("/dashboard/vehicles/{id}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(detail["serial"], "SXB123");
    assert_eq!(detail["currency"], "EUR");
    assert_eq!(detail["external_lock"], Value::Null);

    let stat = app
        .get(&format!("/dashboard/vehicles/{id}/statistic"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(stat["trip_count"], 3);
    assert_eq!(stat["finished_trip_count"], 2);
    assert_eq!(stat["total_trip_duration"], 1800);
    assert_eq!(stat["average_trip_duration"], 900);
    assert_eq!(stat["maintenance_count"], 2);
    assert_eq!(stat["open_maintenance_count"], 1);
    assert_eq!(stat["alert_count"], 2);
    assert_eq!(stat["open_alert_count"], 1);

    let list = app
        .get(&format!("/dashboard/vehicles/{id}/maintenances?lang=fr"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(list[0]["closed_at"].is_null(), "newest first");
    // The maintenance type's `key` and `label`, as everywhere else.
    assert_eq!(list[0]["key"], "flat-tyre-test");
    assert!(list[0]["label"].is_string());
    assert!(list[0].get("type_key").is_none() && list[0].get("type_name").is_none());
    app.get(&format!("/dashboard/vehicles/{id}/maintenances?lang=fra"))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("lang");

    let alerts = app
        .get(&format!("/dashboard/vehicles/{id}/alerts"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(alerts.as_array().unwrap().len(), 1);
    assert_eq!(alerts[0]["alert_type"], "low-battery");
    assert!(alerts[0]["alert_severity"].is_string());

    // Scope: a Paris staff member sees none of the Lyon vehicle.
    let unit = app.unit("Paris unit", &[paris]).await;
    let (_, staff) = app
        .staff(
            "paris@relais.test",
            &[(Permission::VehiclesManage, Some(unit), false)],
        )
        .await;
    for path in [
        "",
        "/statistic",
        "/timeline",
        "/maintenances?lang=en",
        "/alerts",
    ] {
        app.get(&format!("/dashboard/vehicles/{id}{path}"))
            .token(&staff)
            .send()
            .await
            .fails(403, -31);
    }
    app.get(&format!("/dashboard/vehicles/{other}"))
        .token(&staff)
        .send()
        .await
        .ok();
    app.get("/dashboard/vehicles/999999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn the_timeline_merges_and_pages_newest_first() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = register(&app, &admin, "SXB123", lyon).await["id"]
        .as_i64()
        .unwrap();
    let base = Utc::now() - Duration::days(10);
    // 25 events and 5 trips, one a minute apart: 30 entries.
    for i in 0..30i64 {
        let at = base + Duration::minutes(i);
        if i % 6 == 0 {
            relais_store::trips::record(
                &app.db,
                relais_store::trips::NewTrip {
                    network_id: lyon,
                    vehicle_id: Some(id),
                    started_at: at,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        } else {
            relais_store::entity::vehicle_event::ActiveModel {
                vehicle_id: Set(id),
                kind: Set("moved".into()),
                payload: Set("{}".into()),
                created_at: Set(at),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
    }
    let page = app
        .get(&format!("/dashboard/vehicles/{id}/timeline"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    assert_eq!(items[0]["type"], "event");
    let next = page["next_before_date"].as_str().expect("more").to_owned();
    assert_eq!(next, items[19]["date"].as_str().unwrap());
    let page2 = app
        .get(&format!(
            "/dashboard/vehicles/{id}/timeline?before_date={}",
            next.replace('+', "%2B")
        ))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    let items2 = page2["items"].as_array().unwrap();
    assert_eq!(items2.len(), 10);
    assert!(page2["next_before_date"].is_null());
    assert_eq!(items2[9]["type"], "trip");
    app.get(&format!(
        "/dashboard/vehicles/{id}/timeline?before_date=yesterday"
    ))
    .token(&admin)
    .send()
    .await
    .fails(400, -10);
}

#[tokio::test]
async fn decommissioning_frees_the_spot_and_happens_once() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = register(&app, &admin, "SXB123", lyon).await["id"]
        .as_i64()
        .unwrap();
    let cluster = relais_store::entity::cluster::ActiveModel {
        network_id: Set(lyon),
        name: Set("Bellecour".into()),
        created_at: Set(Utc::now()),
        max_unlock_distance: Set(100),
        forced_down: Set(false),
        badge_reader: Set(false),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let station = relais_store::entity::station::ActiveModel {
        cluster_id: Set(cluster.id),
        created_at: Set(Utc::now()),
        power_ok: Set(true),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let spot = relais_store::entity::spot::ActiveModel {
        station_id: Set(station.id),
        number: Set(1),
        vehicle_id: Set(Some(id)),
        occupied: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let mut vehicle: relais_store::entity::vehicle::ActiveModel =
        relais_store::vehicles::get(&app.db, id)
            .await
            .unwrap()
            .into();
    vehicle.spot_id = Set(Some(spot.id));
    vehicle.update(&app.db).await.unwrap();

    let detail = app
        .get(&format!("/dashboard/vehicles/{id}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(detail["placement"]["kind"], "spot");
    assert_eq!(detail["placement"]["cluster_name"], "Bellecour");
    assert_eq!(detail["placement"]["spot_number"], 1);

    let path = format!("/dashboard/vehicles/{id}/decommission");
    app.post(&format!("{path}?reason=broken"))
        .token(&admin)
        .send()
        .await
        .fails(400, -10);
    app.post(&format!("{path}?reason=sold&comment="))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("comment");
    app.post(&format!("{path}?reason=sold&amount=1.23456"))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("amount");
    let unit = app.unit("Lyon unit", &[lyon]).await;
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::VehiclesManage, Some(unit), false)],
        )
        .await;
    app.post(&format!("{path}?reason=sold"))
        .token(&reader)
        .send()
        .await
        .fails(403, -30);

    let gone = app
        .post(&format!("{path}?reason=economical&amount=-25.5"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(gone["status"], "decommissioned");
    assert_eq!(gone["decommission_amount"], "-25.50");
    assert_eq!(gone["placement"]["kind"], "free");
    assert!(gone["decommissioned_at"].is_string());
    let spot = relais_store::entity::spot::Entity::find_by_id(spot.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spot.vehicle_id, None);
    assert!(!spot.occupied);
    app.post(&format!("{path}?reason=sold"))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);
    // The timeline shows it.
    let page = app
        .get(&format!("/dashboard/vehicles/{id}/timeline"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(page["items"][0]["detail"]["kind"], "decommissioned");
}

#[tokio::test]
async fn changing_network_checks_both_networks() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let nice = app.network("Nice").await;
    let id = register(&app, &admin, "SXB123", lyon).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/dashboard/vehicles/{id}/network");

    let unit = app.unit("Lyon unit", &[lyon]).await;
    let (_, staff) = app
        .staff(
            "lyon@relais.test",
            &[(Permission::VehiclesManage, Some(unit), true)],
        )
        .await;
    app.put(&path)
        .token(&staff)
        .json(json!({"network_id": paris}))
        .send()
        .await
        .fails(403, -31)
        .names("network_id");
    app.put(&path)
        .token(&admin)
        .json(json!({"network_id": 0}))
        .send()
        .await
        .fails(422, -11)
        .names("network_id");
    app.put(&path)
        .token(&admin)
        .json(json!({"network_id": 999_999}))
        .send()
        .await
        .fails(404, -2)
        .names("network_id");
    app.put(&path)
        .token(&admin)
        .json(json!({"network_id": lyon}))
        .send()
        .await
        .fails(409, -41);
    app.delete(&format!("/dashboard/networks/{nice}"))
        .token(&admin)
        .send()
        .await
        .ok();
    app.put(&path)
        .token(&admin)
        .json(json!({"network_id": nice}))
        .send()
        .await
        .fails(409, -41);

    let moved = app
        .put(&path)
        .token(&admin)
        .json(json!({"network_id": paris}))
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(moved["network_id"], paris);
    let list = app
        .get(&format!("/dashboard/vehicles?networks={paris}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(list[0]["id"], id);
    // Now outside the Lyon staff's scope.
    app.get(&format!("/dashboard/vehicles/{id}"))
        .token(&staff)
        .send()
        .await
        .fails(403, -31);
}

#[tokio::test]
async fn a_timeline_page_never_splits_entries_of_one_date() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let id = register(&app, &admin, "SXB123", lyon).await["id"]
        .as_i64()
        .unwrap();
    let base = Utc::now() - Duration::days(10);
    // Minutes 1..=19 once each, minute 0 twice: the page boundary falls inside minute 0.
    for minute in (0..20i64).chain([0]) {
        relais_store::entity::vehicle_event::ActiveModel {
            vehicle_id: Set(id),
            kind: Set("moved".into()),
            payload: Set("{}".into()),
            created_at: Set(base + Duration::minutes(minute)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let page = app
        .get(&format!("/dashboard/vehicles/{id}/timeline"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(page["items"].as_array().unwrap().len(), 19);
    let next = page["next_before_date"].as_str().expect("more").to_owned();
    let page2 = app
        .get(&format!(
            "/dashboard/vehicles/{id}/timeline?before_date={}",
            next.replace('+', "%2B")
        ))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(page2["items"].as_array().unwrap().len(), 2);
    assert!(page2["next_before_date"].is_null());
}

/// Label sheets are built off the async workers: on a runtime of one thread, a sheet built
/// inline keeps every other request (and this test's timer) waiting until it is done, about
/// two seconds for this size in a debug build; built aside, the pauses stay near 10 ms (the
/// bound leaves room for a busy machine).
#[tokio::test]
async fn the_server_answers_while_label_sheets_render() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let sheets: Vec<_> = (0..4)
        .map(|i| {
            app.get(&format!(
                "/dashboard/vehicles/qr-code-sheet?prefix=SXB&begin_id={}&width_in_cm=200&height_in_cm=200",
                i * 10_000
            ))
            .token(&admin)
            .spawn()
        })
        .collect();
    let started = std::time::Instant::now();
    let (mut probes, mut longest) = (0, std::time::Duration::ZERO);
    while sheets.iter().any(|s| !s.is_finished()) {
        let start = std::time::Instant::now();
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        app.get("/healthz").send().await;
        longest = longest.max(start.elapsed());
        probes += 1;
    }
    let rendering = started.elapsed();
    for sheet in sheets {
        let reply = sheet.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.text.starts_with("%PDF"));
    }
    assert!(
        longest < std::time::Duration::from_millis(500),
        "a 10 ms pause and /healthz took up to {longest:?} ({probes} probes in {rendering:?})"
    );
}
