//! Seed group `Networks`, the networks themselves: listing with indicators, creation, the
//! selector, detail and closing; and the reference lists the creation form needs.

use crate::common::TestApp;
use relais_domain::Permission;
use serde_json::{Value, json};

fn new_network(app_label_id: i64) -> Value {
    json!({
        "name": "Lyon Vélo",
        "default_vat": 0.2,
        "country_id": 250,
        "currency": "EUR",
        "default_vehicle_guarantee": "150.50",
        "trip_to_skip_pre_auth_guarantee": 3,
        "timezone": "Europe/Paris",
        "app_label_id": app_label_id,
    })
}

#[tokio::test]
async fn a_network_is_created_shown_and_listed_with_indicators() {
    let app = TestApp::new().await;
    let (admin_id, admin) = app.admin().await;
    let label = app.app_label("lyon").await;
    let created = app
        .post("/dashboard/networks")
        .token(&admin)
        .json(new_network(label))
        .send()
        .await;
    let network = created.ok().clone();
    let id = network["id"].as_i64().unwrap();
    assert_eq!(network["name"], "Lyon Vélo");
    assert_eq!(network["status"], "active");
    assert_eq!(
        network["country"],
        json!({"id": 250, "code": "FR", "name": "France"})
    );
    assert_eq!(network["currency"], "EUR");
    assert_eq!(network["timezone"], "Europe/Paris");
    assert_eq!(network["default_vat"], "0.20");
    assert_eq!(network["default_vehicle_guarantee"], "150.50");
    assert_eq!(network["created_by"], admin_id);
    assert_eq!(network["owner"], Value::Null);
    // Haulers quote it to ask to work on the network: provider (app label) + location.
    assert_eq!(network["tenant_code"], format!("LYON+{id}"));

    let detail = app
        .get(&format!("/dashboard/networks/{id}"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(detail.ok(), &network);

    // Indicators count what is in service, kept as counters by every change.
    let other = app.network("Paris Vélo").await;
    let cluster = app
        .post("/dashboard/clusters")
        .token(&admin)
        .json(json!({
            "network_id": id, "name": "Bellecour", "latitude": 45.76, "longitude": 4.83,
            "location": "Place Bellecour", "badge_reader": false,
            "stations": [
                {"serial": "ST-1", "name": "One", "spot_count": 2},
                {"serial": "ST-2", "name": "Two", "spot_count": 2},
                {"serial": "ST-3", "name": "Three", "spot_count": 2},
            ]
        }))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    let stations = app
        .get(&format!("/dashboard/clusters/{cluster}/stations"))
        .token(&admin)
        .send()
        .await;
    let station = stations.ok()[0]["id"].as_i64().unwrap();
    app.post(&format!("/dashboard/stations/{station}/decommission"))
        .token(&admin)
        .send()
        .await
        .ok();
    let model = relais_store::reference::vehicle_models(&app.db)
        .await
        .unwrap()[0]
        .id;
    let mut vehicles = Vec::new();
    for serial in ["LYON0001", "LYON0002", "LYON0003"] {
        let vehicle = app
            .post("/dashboard/vehicles")
            .token(&admin)
            .json(json!({"serial": serial, "model_id": model, "network_id": id}))
            .send()
            .await;
        vehicles.push(vehicle.ok()["id"].as_i64().unwrap());
    }
    app.post(&format!(
        "/dashboard/vehicles/{}/decommission?reason=sold",
        vehicles[1]
    ))
    .token(&admin)
    .send()
    .await
    .ok();
    app.put(&format!("/dashboard/vehicles/{}/network", vehicles[2]))
        .token(&admin)
        .json(json!({"network_id": other}))
        .send()
        .await
        .ok();
    for _ in 0..4 {
        relais_store::trips::record(
            &app.db,
            relais_store::trips::NewTrip {
                network_id: id,
                vehicle_id: Some(vehicles[0]),
                user_id: None,
                start_cluster_id: None,
                end_cluster_id: None,
                started_at: chrono::Utc::now(),
                ended_at: None,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let list = app.get("/dashboard/networks").token(&admin).send().await;
    let rows = list.ok().as_array().unwrap().clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], id, "listed by name");
    assert_eq!(rows[0]["total_stations"], 2);
    assert_eq!(rows[0]["total_vehicles"], 1);
    assert_eq!(rows[0]["total_trips"], 4);
    assert_eq!(rows[1]["id"], other);
    assert_eq!(rows[1]["total_vehicles"], 1, "the vehicle that moved in");
    assert_eq!(rows[1]["total_trips"], 0);
    // The counters agree with the rows they count.
    assert_eq!(
        relais_store::network_counters::check(&app.db)
            .await
            .unwrap(),
        []
    );
}

#[tokio::test]
async fn creation_is_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let label = app.app_label("lyon").await;
    let send = |body: Value| {
        app.post("/dashboard/networks")
            .token(&admin)
            .json(body)
            .send()
    };
    let with = |field: &str, value: Value| {
        let mut body = new_network(label);
        body[field] = value;
        body
    };
    for (field, value, status) in [
        ("name", json!(""), 422),
        ("name", json!("n".repeat(201)), 422),
        ("default_vat", json!(1.5), 422),
        ("default_vat", json!(-0.1), 422),
        ("default_vat", json!("0.123456"), 422),
        ("country_id", json!(0), 422),
        ("country_id", json!(999), 422),
        ("currency", json!("EURO"), 400),
        ("currency", json!("eur"), 400),
        ("default_vehicle_guarantee", json!(-1), 422),
        ("trip_to_skip_pre_auth_guarantee", json!(-2), 422),
        ("timezone", json!("Mars/Olympus"), 400),
        ("third_party_id", json!(0), 422),
        ("app_label_id", json!(0), 422),
    ] {
        let reply = send(with(field, value.clone())).await;
        let code = if status == 400 { -10 } else { -11 };
        reply.fails(status, code).names(field);
    }
    let mut missing = new_network(label);
    missing.as_object_mut().unwrap().remove("timezone");
    send(missing).await.fails(400, -10).names("timezone");
    send(with("color", json!("blue")))
        .await
        .fails(400, -10)
        .names("color");
    send(with("app_label_id", json!(999)))
        .await
        .fails(404, -2)
        .names("app_label_id");
    send(with("third_party_id", json!(999)))
        .await
        .fails(404, -2)
        .names("third_party_id");
    // Nothing was created by the refusals.
    let list = app.get("/dashboard/networks").token(&admin).send().await;
    assert_eq!(list.ok(), &json!([]));
}

#[tokio::test]
async fn scoped_staff_see_their_networks_only() {
    let app = TestApp::new().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let unit = app.unit("Lyon team", &[lyon]).await;
    let (_, staff) = app
        .staff(
            "lyon@relais.test",
            &[(Permission::NetworksManage, Some(unit), true)],
        )
        .await;
    let list = app.get("/dashboard/networks").token(&staff).send().await;
    let ids: Vec<i64> = list
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [lyon]);
    app.get(&format!("/dashboard/networks/{lyon}"))
        .token(&staff)
        .send()
        .await
        .ok();
    app.get(&format!("/dashboard/networks/{paris}"))
        .token(&staff)
        .send()
        .await
        .fails(403, -31);
    // Creating and closing are global acts.
    let label = app.app_label("other").await;
    app.post("/dashboard/networks")
        .token(&staff)
        .json(new_network(label))
        .send()
        .await
        .fails(403, -31);
    app.delete(&format!("/dashboard/networks/{lyon}"))
        .token(&staff)
        .send()
        .await
        .fails(403, -31);
    let (_, nobody) = app.staff("nobody@relais.test", &[]).await;
    app.get("/dashboard/networks")
        .token(&nobody)
        .send()
        .await
        .fails(403, -30);
    app.get("/dashboard/networks/999")
        .token(&app.admin().await.1)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn the_short_list_holds_the_callers_active_networks() {
    let app = TestApp::new().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let nice = app.network("Nice").await;
    let unit = app.unit("South", &[lyon, nice]).await;
    let (_, staff) = app
        .staff(
            "south@relais.test",
            &[(Permission::Trips, Some(unit), false)],
        )
        .await;
    let app = &app;
    let short = |token: String| async move {
        app.get("/dashboard/networks/short")
            .token(&token)
            .send()
            .await
            .ok()
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(short(staff.clone()).await, ["Lyon", "Nice"]);
    let (_, admin) = app.admin().await;
    assert_eq!(short(admin.clone()).await, ["Lyon", "Nice", "Paris"]);
    // Holding only `dashboard.access` authorizes no network.
    let (_, bare) = app.staff("bare@relais.test", &[]).await;
    assert!(short(bare).await.is_empty());

    app.delete(&format!("/dashboard/networks/{nice}"))
        .token(&admin)
        .send()
        .await
        .ok();
    assert_eq!(short(staff).await, ["Lyon"]);
    assert_eq!(short(admin.clone()).await, ["Lyon", "Paris"]);
    let _ = paris;
}

#[tokio::test]
async fn a_closed_network_keeps_its_history_and_refuses_closing_again() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let path = format!("/dashboard/networks/{lyon}");
    app.delete(&path).token(&admin).send().await.ok();
    let detail = app.get(&path).token(&admin).send().await;
    assert_eq!(detail.ok()["status"], "closed");
    assert!(detail.ok()["closed_at"].is_string());
    let list = app.get("/dashboard/networks").token(&admin).send().await;
    assert_eq!(list.ok()[0]["status"], "closed");
    app.delete(&path).token(&admin).send().await.fails(409, -41);
    app.delete("/dashboard/networks/999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn reference_lists_are_offered() {
    let app = TestApp::new().await;
    let (_, staff) = app.staff("ann@relais.test", &[]).await;
    let countries = app.get("/dashboard/countries").token(&staff).send().await;
    let countries = countries.ok().as_array().unwrap().clone();
    assert_eq!(countries.len(), 249);
    let france = countries.iter().find(|c| c["id"] == 250).unwrap();
    assert_eq!(france["alpha2"], "FR");
    let models = app
        .get("/dashboard/vehicle-models")
        .token(&staff)
        .send()
        .await;
    assert!(models.ok().as_array().unwrap().len() >= 3);
    app.get("/dashboard/countries").send().await.fails(401, -20);
}

async fn third_party(app: &TestApp, name: &str) -> i64 {
    relais_store::third_parties::create(
        &app.db,
        relais_store::third_parties::NewThirdParty {
            name: name.into(),
            address: "1 rue de la République".into(),
            zipcode: "69001".into(),
            city: "Lyon".into(),
            country_id: 250,
            erp_id: None,
            email: None,
            phone: None,
            vat_number: None,
        },
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn a_network_is_corrected_field_by_field() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let label = app.app_label("lyon").await;
    let mut body = new_network(label);
    body["name"] = json!("Lyon Velo");
    body["country_id"] = json!(56);
    body["default_vat"] = json!(0.02);
    let created = app
        .post("/dashboard/networks")
        .token(&admin)
        .json(body)
        .send()
        .await;
    let id = created.ok()["id"].as_i64().unwrap();
    let path = format!("/dashboard/networks/{id}");
    let owner = third_party(&app, "Métropole de Lyon").await;

    let fixed = app
        .patch(&path)
        .token(&admin)
        .json(
            json!({"name": "Lyon Vélo", "default_vat": "0.2", "country_id": 250,
                     "third_party_id": owner}),
        )
        .send()
        .await;
    let fixed = fixed.ok().clone();
    assert_eq!(fixed["name"], "Lyon Vélo");
    assert_eq!(fixed["default_vat"], "0.20");
    assert_eq!(fixed["country"]["code"], "FR");
    assert_eq!(
        fixed["owner"],
        json!({"id": owner, "name": "Métropole de Lyon"})
    );
    // What was not sent stays; the currency, time zone and tenant code never change.
    assert_eq!(fixed["currency"], "EUR");
    assert_eq!(fixed["timezone"], "Europe/Paris");
    assert_eq!(fixed["tenant_code"], format!("LYON+{id}"));
    let detail = app.get(&path).token(&admin).send().await;
    assert_eq!(detail.ok(), &fixed);
    // Absent keeps, null removes the owner.
    let kept = app
        .patch(&path)
        .token(&admin)
        .json(json!({"name": "Lyon Vélo 2"}))
        .send()
        .await;
    assert_eq!(kept.ok()["owner"]["id"], owner);
    let cleared = app
        .patch(&path)
        .token(&admin)
        .json(json!({"third_party_id": null}))
        .send()
        .await;
    assert_eq!(cleared.ok()["owner"], Value::Null);
    assert_eq!(cleared.ok()["name"], "Lyon Vélo 2");

    // The constraints of creation; what cannot change is refused by name.
    for (field, value, status, code) in [
        ("name", json!(""), 422, -11),
        ("default_vat", json!(1.5), 422, -11),
        ("country_id", json!(999), 422, -11),
        ("third_party_id", json!(0), 422, -11),
        ("third_party_id", json!(999), 404, -2),
        ("currency", json!("USD"), 400, -10),
        ("timezone", json!("Europe/London"), 400, -10),
        ("app_label_id", json!(label), 400, -10),
    ] {
        app.patch(&path)
            .token(&admin)
            .json(json!({ field: value }))
            .send()
            .await
            .fails(status, code)
            .names(field);
    }
    app.patch("/dashboard/networks/999")
        .token(&admin)
        .json(json!({"name": "Nowhere"}))
        .send()
        .await
        .fails(404, -2);

    // Scoped staff correct their own network only; read-only staff may not.
    let paris = app.network("Paris").await;
    let unit = app.unit("Lyon team", &[id]).await;
    let (_, manager) = app
        .staff(
            "lyon@relais.test",
            &[(Permission::NetworksManage, Some(unit), true)],
        )
        .await;
    app.patch(&path)
        .token(&manager)
        .json(json!({"name": "Vélo Lyon"}))
        .send()
        .await
        .ok();
    app.patch(&format!("/dashboard/networks/{paris}"))
        .token(&manager)
        .json(json!({"name": "Paris 2"}))
        .send()
        .await
        .fails(403, -31);
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::NetworksManage, None, false)],
        )
        .await;
    app.patch(&path)
        .token(&reader)
        .json(json!({"name": "Lyon"}))
        .send()
        .await
        .fails(403, -30);

    // A closed network refuses.
    app.delete(&path).token(&admin).send().await.ok();
    app.patch(&path)
        .token(&admin)
        .json(json!({"name": "Lyon again"}))
        .send()
        .await
        .fails(409, -41);
}

#[tokio::test]
async fn a_name_is_unique_within_an_app_label() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.app_label("lyon").await;
    let paris = app.app_label("paris").await;
    let create = |label: i64, name: &str| {
        let mut body = new_network(label);
        body["name"] = json!(name);
        app.post("/dashboard/networks")
            .token(&admin)
            .json(body)
            .send()
    };
    let first = create(lyon, "Vélo").await.ok()["id"].as_i64().unwrap();
    create(lyon, "Vélo").await.fails(409, -40).names("name");
    // Another app label may use it.
    create(paris, "Vélo").await.ok();
    let second = create(lyon, "Vélo bis").await.ok()["id"].as_i64().unwrap();
    app.patch(&format!("/dashboard/networks/{second}"))
        .token(&admin)
        .json(json!({"name": "Vélo"}))
        .send()
        .await
        .fails(409, -40)
        .names("name");
    // Keeping one's own name is no conflict; a closed network keeps its name taken.
    app.patch(&format!("/dashboard/networks/{first}"))
        .token(&admin)
        .json(json!({"name": "Vélo"}))
        .send()
        .await
        .ok();
    app.delete(&format!("/dashboard/networks/{first}"))
        .token(&admin)
        .send()
        .await
        .ok();
    create(lyon, "Vélo").await.fails(409, -40).names("name");
    let list = app.get("/dashboard/networks").token(&admin).send().await;
    assert_eq!(list.ok().as_array().unwrap().len(), 3);
}
