//! Access control as an attacker would probe it: each test reproduces a hole found in review
//! (hardening issue, part 1) and checks that it stays closed.

use crate::common::{TestApp, World};
use relais_domain::Permission;
use serde_json::json;

/// A staff member holding `permissions` (with write) in a unit of `network` restricted to
/// `clusters` (none: the whole network).
async fn restricted(
    app: &TestApp,
    email: &str,
    network: i64,
    clusters: &[i64],
    permissions: &[Permission],
) -> (i64, String, i64) {
    let unit = app.unit_with(email, &[network], clusters).await;
    let grants: Vec<(Permission, Option<i64>, bool)> =
        permissions.iter().map(|p| (*p, Some(unit), true)).collect();
    let (user, token) = app.staff(email, &grants).await;
    (user, token, unit)
}

#[tokio::test]
async fn a_partner_account_never_hands_out_the_token_of_an_existing_user() {
    let app = TestApp::new().await;
    app.admin().await;
    let (_, organizer) = app
        .staff(
            "organizer@relais.test",
            &[(Permission::Organizations, None, true)],
        )
        .await;
    let reply = app
        .post("/dashboard/partner-accounts")
        .token(&organizer)
        .json(json!({"company": "Takeover", "email": "Admin@Relais.test"}))
        .send()
        .await;
    reply.fails(409, -40).names("email");
    assert!(!reply.text.contains("token\""), "{}", reply.text);
    // The organizer's own email too.
    app.post("/dashboard/partner-accounts")
        .token(&organizer)
        .json(json!({"company": "Self", "email": "organizer@relais.test"}))
        .send()
        .await
        .fails(409, -40)
        .names("email");
    // A new email gets a new manager and its token.
    let created = app
        .post("/dashboard/partner-accounts")
        .token(&organizer)
        .json(json!({"company": "Transports Martin", "email": "boss@martin.test"}))
        .send()
        .await;
    assert!(created.ok()["token"].is_string());
}

#[tokio::test]
async fn a_cluster_restricted_manager_cannot_widen_its_own_unit() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let (_, token, unit) = restricted(
        &app,
        "partial@relais.test",
        w.n1,
        &[w.cluster_a],
        &[Permission::UsersPermissions],
    )
    .await;
    let body = |clusters: Vec<i64>| {
        json!({"ou_id": unit, "name": "Wider", "app_labels": [], "organizations": [],
               "networks": [w.n1], "clusters": clusters})
    };
    // Dropping the restriction means the whole network: refused.
    app.put(&format!("/dashboard/organizational-units/{unit}"))
        .token(&token)
        .json(body(vec![]))
        .send()
        .await
        .fails(403, -31);
    // Another cluster of the same network: refused.
    app.put(&format!("/dashboard/organizational-units/{unit}"))
        .token(&token)
        .json(body(vec![w.cluster_b]))
        .send()
        .await
        .fails(403, -31);
    // Nor can it create a wider unit to grant itself in.
    for clusters in [vec![], vec![w.cluster_b], vec![w.cluster_a, w.cluster_b]] {
        app.post("/dashboard/organizational-units")
            .token(&token)
            .json(
                json!({"name": "Side door", "app_labels": [], "organizations": [],
                         "networks": [w.n1], "clusters": clusters}),
            )
            .send()
            .await
            .fails(403, -31);
    }
    // The same contents stay allowed.
    app.put(&format!("/dashboard/organizational-units/{unit}"))
        .token(&token)
        .json(body(vec![w.cluster_a]))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn units_refuse_foreign_and_unknown_ids_naming_the_field() {
    let app = TestApp::new().await;
    let w = app.world().await;
    // Scoped to network 1 as a whole: a cluster of network 2 is not covered.
    let (_, scoped, _) = restricted(
        &app,
        "n1@relais.test",
        w.n1,
        &[],
        &[Permission::UsersPermissions],
    )
    .await;
    app.post("/dashboard/organizational-units")
        .token(&scoped)
        .json(
            json!({"name": "Foreign", "app_labels": [], "organizations": [],
                     "networks": [w.n1], "clusters": [w.cluster_c]}),
        )
        .send()
        .await
        .fails(403, -31);
    let create = |body: serde_json::Value| {
        app.post("/dashboard/organizational-units")
            .token(&w.admin)
            .json(body)
            .send()
    };
    let body = |networks: Vec<i64>, clusters: Vec<i64>, organizations: Vec<i64>| {
        json!({"name": "Probe", "app_labels": [], "organizations": organizations,
               "networks": networks, "clusters": clusters})
    };
    create(body(vec![99], vec![], vec![]))
        .await
        .fails(422, -11)
        .names("networks");
    create(body(vec![w.n1], vec![999], vec![]))
        .await
        .fails(422, -11)
        .names("clusters");
    create(body(vec![w.n1], vec![], vec![77]))
        .await
        .fails(422, -11)
        .names("organizations");
    create(body(vec![w.n1], vec![w.cluster_c], vec![]))
        .await
        .fails(422, -11)
        .names("clusters");
    create(
        json!({"name": "Probe", "app_labels": [4242], "organizations": [],
                  "networks": [w.n1], "clusters": []}),
    )
    .await
    .fails(422, -11)
    .names("app_labels");
}

#[tokio::test]
async fn a_cluster_restricted_grant_reaches_its_cluster_not_the_whole_network() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let (_, token, _) = restricted(
        &app,
        "cluster-a@relais.test",
        w.n1,
        &[w.cluster_a],
        &[
            Permission::NetworksManage,
            Permission::VirtualParking,
            Permission::Maintenances,
            Permission::Stations,
            Permission::StocksManage,
            Permission::VehiclesManage,
        ],
    )
    .await;
    // Network-wide objects: refused (before the body is even read).
    for reply in [
        app.put(&format!("/dashboard/networks/{}/rent-settings", w.n1))
            .token(&token)
            .json(json!({}))
            .send()
            .await,
        app.put(&format!("/dashboard/pricing/{}", w.rule_n1))
            .token(&token)
            .json(json!({}))
            .send()
            .await,
        app.put("/dashboard/geofencing/border/shape")
            .token(&token)
            .json(json!({"network_id": w.n1, "shape": crate::common::square(4.8, 45.7)}))
            .send()
            .await,
        app.delete(&format!("/dashboard/speed-zones/{}", w.zone_n1))
            .token(&token)
            .send()
            .await,
        app.delete(&format!("/dashboard/stocks/{}", w.stock_n1))
            .token(&token)
            .send()
            .await,
        app.put(&format!("/dashboard/virtual-parkings/{}", w.parking_n1))
            .token(&token)
            .json(json!({"shape": crate::common::square(4.9, 45.7), "capacity": 2}))
            .send()
            .await,
        app.delete(&format!("/dashboard/virtual-parkings/{}", w.parking_b))
            .token(&token)
            .send()
            .await,
        app.post(&format!(
            "/dashboard/maintenances/{}/close",
            w.maintenance_b
        ))
        .token(&token)
        .send()
        .await,
        app.get(&format!("/dashboard/vehicles/{}", w.vehicle_b))
            .token(&token)
            .send()
            .await,
        app.get(&format!("/dashboard/clusters/{}?lang=en", w.cluster_b))
            .token(&token)
            .send()
            .await,
    ] {
        reply.fails(403, -31);
    }
    // Lists narrow to the cluster: another cluster's parking and maintenance are not shown.
    let parkings = app
        .get(&format!("/dashboard/virtual-parkings?network_id={}", w.n1))
        .token(&token)
        .send()
        .await;
    assert_eq!(parkings.ok(), &json!([]), "{}", parkings.text);
    let maintenances = app
        .get(&format!(
            "/dashboard/maintenances?networks={}&lang=en",
            w.n1
        ))
        .token(&token)
        .send()
        .await;
    assert_eq!(maintenances.ok(), &json!([]));
    let clusters = app
        .get(&format!("/dashboard/clusters?networks={}", w.n1))
        .token(&token)
        .send()
        .await;
    let ids: Vec<i64> = clusters
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![w.cluster_a]);
    let vehicles = app
        .get(&format!("/dashboard/vehicles?networks={}", w.n1))
        .token(&token)
        .send()
        .await;
    let ids: Vec<i64> = vehicles
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![w.vehicle_a],
        "only the vehicle docked in cluster a"
    );
    // Its own cluster's objects are reached.
    app.get(&format!("/dashboard/vehicles/{}", w.vehicle_a))
        .token(&token)
        .send()
        .await
        .ok();
    app.get(&format!("/dashboard/clusters/{}?lang=en", w.cluster_a))
        .token(&token)
        .send()
        .await
        .ok();
    // The same operations answer for a grant over the whole network.
    let (_, whole, _) = restricted(
        &app,
        "whole@relais.test",
        w.n1,
        &[],
        &[Permission::VirtualParking, Permission::Maintenances],
    )
    .await;
    let parkings = app
        .get(&format!("/dashboard/virtual-parkings?network_id={}", w.n1))
        .token(&whole)
        .send()
        .await;
    assert_eq!(parkings.ok().as_array().unwrap().len(), 2);
    app.post(&format!(
        "/dashboard/maintenances/{}/close",
        w.maintenance_b
    ))
    .token(&whole)
    .send()
    .await
    .ok();
}

#[tokio::test]
async fn declared_objects_answer_404_when_unknown_and_31_when_out_of_scope() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let (_, token, _) = restricted(
        &app,
        "n1@relais.test",
        w.n1,
        &[],
        &[Permission::VehiclesManage, Permission::NetworksManage],
    )
    .await;
    app.get(&format!("/dashboard/vehicles/{}", w.vehicle_n2))
        .token(&token)
        .send()
        .await
        .fails(403, -31)
        .names("id");
    app.get("/dashboard/vehicles/987654")
        .token(&token)
        .send()
        .await
        .fails(404, -2)
        .names("id");
    app.delete(&format!("/dashboard/speed-zones/{}", w.zone_n2))
        .token(&token)
        .send()
        .await
        .fails(403, -31);
    // Nothing was deleted.
    let zones = app
        .get(&format!("/dashboard/speed-zones?network_id={}", w.n2))
        .token(&w.admin)
        .send()
        .await;
    assert_eq!(zones.ok().as_array().unwrap().len(), 1);
    // A body's network: the same.
    app.post("/dashboard/speed-zones")
        .token(&token)
        .json(
            json!({"network_id": w.n2, "shape": crate::common::square(2.3, 48.8), "max_speed": 10}),
        )
        .send()
        .await
        .fails(403, -31)
        .names("network_id");
}

#[tokio::test]
async fn approving_a_hauler_connection_needs_what_the_approval_grants() {
    let app = TestApp::new().await;
    let network = app.network("Lyon").await;
    let hauler = relais_store::haulers::create(&app.db, "Fast Haul")
        .await
        .unwrap();
    let driver = app.user("driver@haul.test").await;
    relais_store::haulers::add_user(&app.db, hauler.id, driver, "ThirdPartyDispatcher")
        .await
        .unwrap();
    let connection =
        relais_store::haulers::request(&app.db, hauler.id, network, driver, chrono::Utc::now())
            .await
            .unwrap();
    let unit = app.unit("Lyon", &[network]).await;
    let (_, manager) = app
        .staff(
            "manager@relais.test",
            &[(Permission::NetworksManage, Some(unit), true)],
        )
        .await;
    let reply = app
        .post(&format!(
            "/dashboard/hauler-connections/{}/approve",
            connection.id
        ))
        .token(&manager)
        .send()
        .await;
    reply.fails(403, -30);
    assert!(reply.text.contains("vehicles.manage"), "{}", reply.text);
    // The hauler's users gained nothing.
    let driver_token = app.token_for(driver).await;
    app.get(&format!("/dashboard/vehicles?networks={network}"))
        .token(&driver_token)
        .send()
        .await
        .fails(403, -30);
}

#[tokio::test]
async fn a_cursor_row_out_of_scope_behaves_as_an_unknown_id() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let (_, token, _) = restricted(
        &app,
        "alerts@relais.test",
        w.n1,
        &[],
        &[Permission::VehiclesAlerts],
    )
    .await;
    for dir in ["ASC", "DESC"] {
        let page = |cursor: i64| {
            let token = token.clone();
            let app = &app;
            async move {
                app.get(&format!(
                    "/dashboard/fleet-alerts/history?networks={}&sort_by=resolved_at&sort_dir={dir}&primary_key_dir={dir}&last_primary_key={cursor}",
                    w.n1
                ))
                .token(&token)
                .send()
                .await
                .body
                .clone()
            }
        };
        let foreign = page(w.alert_n2).await;
        let unknown = page(987_654).await;
        assert_eq!(foreign["code"], 0, "{foreign}");
        assert_eq!(foreign, unknown, "{dir}");
        // And a cursor of the list itself still pages.
        assert_eq!(page(w.alert_b).await["code"], 0);
    }
}

#[tokio::test]
async fn the_built_in_administrator_role_cannot_be_emptied() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    app.patch("/dashboard/roles/administrator")
        .token(&admin)
        .json(json!({"key": "administrator", "perms_to_add": [], "perms_to_remove": ["dashboard.access"]}))
        .send()
        .await
        .fails(409, -41)
        .names("key");
    // The administrator still reads the dashboard.
    app.get("/dashboard/permissions?lang=en")
        .token(&admin)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn head_is_served_as_get_without_a_body() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let reply = app
        .call(axum::http::Method::HEAD, "/dashboard/permissions?lang=en")
        .token(&admin)
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    assert!(reply.text.is_empty());
    let reply = app
        .call(axum::http::Method::HEAD, "/dashboard/permissions?lang=en")
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 401);
}

/// A log writer the test reads back.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn every_mutation_writes_one_audit_line_refusals_included() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_env_filter("relais::audit=info")
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::NetworksManage, None, false)],
        )
        .await;
    app.delete(&format!("/dashboard/speed-zones/{}", w.zone_n1))
        .token(&w.admin)
        .send()
        .await
        .ok();
    app.delete(&format!("/dashboard/speed-zones/{}", w.zone_n2))
        .token(&reader)
        .send()
        .await
        .fails(403, -30);
    // Reads write no audit line.
    app.get(&format!("/dashboard/speed-zones?network_id={}", w.n1))
        .token(&w.admin)
        .send()
        .await
        .ok();
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("relais::audit"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("Delete speed zone"), "{}", lines[0]);
    assert!(
        lines[0].contains(&format!("id={}", w.zone_n1)),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("status=200"), "{}", lines[0]);
    assert!(lines[1].contains("status=403"), "{}", lines[1]);
    assert!(lines[1].contains("code=-30"), "{}", lines[1]);
}
