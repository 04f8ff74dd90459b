//! No list runs a query per row: the statements a page runs are counted with few rows and with
//! many, and must be the same number. Run with `RELAIS_TEST_PRINT_SQL=1` to see them.

use crate::common::{Recorded, TestApp};
use serde_json::json;

/// The statements `path` runs, as `token`, once the caller is known (the first request of a
/// token resolves it).
async fn statements(app: &TestApp, recorded: &Recorded, token: &str, path: &str) -> usize {
    recorded.settle(app, token).await;
    let (n, reply) = recorded.count(app.get(path).token(token).send()).await;
    reply.ok();
    if std::env::var_os("RELAIS_TEST_PRINT_SQL").is_some() {
        eprintln!("{path}: {n}");
        for sql in recorded.requests() {
            eprintln!("  {sql}");
        }
    }
    n
}

async fn model(app: &TestApp) -> i64 {
    relais_store::reference::vehicle_models(&app.db)
        .await
        .unwrap()
        .first()
        .expect("a vehicle model")
        .id
}

#[tokio::test]
async fn fleet_pages_cost_the_same_with_few_rows_and_with_many() {
    let mut app = TestApp::new().await;
    let world = app.world().await;
    let recorded = app.record_statements().await;
    let admin = world.admin.clone();
    let lists = [
        format!("/dashboard/vehicles?networks={}", world.n1),
        format!("/dashboard/clusters?networks={}", world.n1),
        format!("/dashboard/maintenances?networks={}&lang=en", world.n1),
        format!("/dashboard/fleet-alerts?networks={}", world.n1),
        format!("/dashboard/clusters/{}/maintenances", world.cluster_a),
    ];
    // Grow each list: vehicles, clusters, maintenances on vehicles and
    // stations, alerts. The costs with 12 rows of each kind and with 36 must be the same: a
    // lookup skipped for a kind of row absent from the page is not a query per row.
    let model = model(&app).await;
    for i in 0..12 {
        grow_one(&app, &admin, model, world.n1, world.station_a, i).await;
    }
    let mut few = Vec::new();
    for path in &lists {
        few.push(statements(&app, &recorded, &admin, path).await);
    }
    for i in 12..36 {
        grow_one(&app, &admin, model, world.n1, world.station_a, i).await;
    }
    for (path, few) in lists.iter().zip(few) {
        let many = statements(&app, &recorded, &admin, path).await;
        assert_eq!(
            many, few,
            "{path}: {few} statements with 12 rows of each kind, {many} with 36"
        );
    }
}

#[tokio::test]
async fn creating_a_cluster_costs_the_same_whatever_its_spots() {
    let mut app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let recorded = app.record_statements().await;
    let mut counts = Vec::new();
    for (i, spots) in [1, 60].into_iter().enumerate() {
        recorded.settle(&app, &admin).await;
        let (n, reply) = recorded
            .count(
                app.post("/dashboard/clusters")
                    .token(&admin)
                    .json(json!({
                        "network_id": network, "name": format!("C{i}"), "latitude": 45.76,
                        "longitude": 4.84, "location": "Lyon centre", "badge_reader": false,
                        "stations": [{"serial": format!("CS{i:04}"), "name": "S", "spot_count": spots}]
                    }))
                    .send(),
            )
            .await;
        reply.ok();
        counts.push(n);
    }
    assert_eq!(counts[0], counts[1], "one INSERT for a station's spots");
}

#[tokio::test]
async fn hauler_connection_lists_cost_the_same_with_one_connection_and_with_many() {
    let mut app = TestApp::new().await;
    let (admin_id, admin) = app.admin().await;
    let mut networks = Vec::new();
    for name in ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"] {
        networks.push(app.network(name).await);
    }
    let recorded = app.record_statements().await;
    let mut counts = Vec::new();
    for (round, how_many) in [1usize, 6].into_iter().enumerate() {
        for (i, network) in networks.iter().take(how_many).enumerate() {
            let hauler = relais_store::haulers::create(&app.db, &format!("Hauler {round} {i}"))
                .await
                .unwrap();
            relais_store::haulers::request(
                &app.db,
                hauler.id,
                *network,
                admin_id,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        }
        counts.push(
            statements(
                &app,
                &recorded,
                &admin,
                "/dashboard/hauler-connections?status=pending",
            )
            .await,
        );
    }
    assert_eq!(counts[0], counts[1], "haulers looked up once for the page");
}

#[tokio::test]
async fn partner_pages_cost_the_same_with_one_company_and_with_many() {
    let mut app = TestApp::new().await;
    let (_, user) = relais_store::partner::create_account(&app.db, "Book", "book@partner.test")
        .await
        .expect("account");
    let token = app.token_for(user.id).await;
    let recorded = app.record_statements().await;
    let mut counts = Vec::new();
    for (round, how_many) in [1usize, 8].into_iter().enumerate() {
        for i in 0..how_many {
            let reply = app
                .post("/api/v4/companies/")
                .header("authentication", &token)
                .json(json!({"name": format!("Company {round} {i}"), "remote_id": format!("R{round}-{i}")}))
                .send()
                .await;
            assert!(reply.status.is_success(), "{}", reply.text);
            let company =
                serde_json::from_str::<serde_json::Value>(&reply.text).unwrap()["pk"].clone();
            let reply = app
                .post("/api/v4/contacts/")
                .header("authentication", &token)
                .json(json!({"first_name": "A", "last_name": "B", "email": format!("c{round}{i}@x.test"), "company": {"pk": company}}))
                .send()
                .await;
            assert!(reply.status.is_success(), "{}", reply.text);
        }
        let mut n = Vec::new();
        for path in ["/api/v4/companies/", "/api/v4/contacts/"] {
            recorded.settle(&app, &token).await;
            recorded.clear();
            let reply = app.get(path).header("authentication", &token).send().await;
            assert!(reply.status.is_success(), "{path}: {}", reply.text);
            n.push(recorded.requests().len());
        }
        counts.push(n);
    }
    assert_eq!(
        counts[0], counts[1],
        "companies and contacts: the same statements for 1 or 9 rows"
    );
}

/// Row `i` of each kind the fleet lists show.
async fn grow_one(app: &TestApp, admin: &str, model: i64, n1: i64, station_a: i64, i: usize) {
    let vehicle = app
        .post("/dashboard/vehicles")
        .token(admin)
        .json(json!({"serial": format!("MORE{i:04}"), "model_id": model, "network_id": n1}))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    let cluster = app
        .post("/dashboard/clusters")
        .token(admin)
        .json(json!({
            "network_id": n1, "name": format!("More {i}"), "latitude": 45.76,
            "longitude": 4.84, "location": "Lyon centre", "badge_reader": false,
            "stations": [{"serial": format!("MST{i:04}"), "name": "More", "spot_count": 3}]
        }))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    let key = format!("more-{i}");
    app.post("/dashboard/maintenance-types")
        .token(admin)
        .json(json!({"key": key, "target_type": "vehicle", "severity": "low"}))
        .send()
        .await
        .ok();
    app.post("/dashboard/maintenances")
        .token(admin)
        .json(json!({"key": key, "target_type": "vehicle", "target_id": vehicle}))
        .send()
        .await
        .ok();
    let station_key = format!("more-station-{i}");
    app.post("/dashboard/maintenance-types")
        .token(admin)
        .json(json!({"key": station_key, "target_type": "station", "severity": "low"}))
        .send()
        .await
        .ok();
    app.post("/dashboard/maintenances")
        .token(admin)
        .json(json!({"key": station_key, "target_type": "station", "target_id": station_a}))
        .send()
        .await
        .ok();
    relais_store::fleet_alerts::raise(
        &app.db,
        relais_store::fleet_alerts::NewAlert {
            network_id: n1,
            alert_type: relais_domain::alerts::AlertType::VehicleLifted,
            severity: relais_domain::alerts::AlertSeverity::High,
            cluster_id: Some(cluster),
            station_id: None,
            spot_id: None,
            vehicle_id: Some(vehicle),
            user_id: None,
            details: "{}".into(),
            created_at: chrono::Utc::now(),
        },
    )
    .await
    .unwrap();
}
