//! Seed group `OrganizationalUnits`: the places grants apply in, and who sees which.

use crate::common::TestApp;
use chrono::{Duration, Utc};
use relais_domain::Permission;
use serde_json::{Value, json};

fn unit_body(name: &str, networks: &[i64]) -> Value {
    json!({"name": name, "app_labels": [], "organizations": [], "networks": networks, "clusters": []})
}

#[tokio::test]
async fn a_unit_is_created_listed_updated_and_deleted() {
    let app = TestApp::new().await;
    let world = app.world().await;
    let admin = world.admin.clone();
    let label = app.app_label("metropole").await;
    let created = app
        .post("/dashboard/organizational-units")
        .token(&admin)
        .json(json!({"name": "Lyon", "app_labels": [label], "organizations": [], "networks": [world.n1, world.n2], "clusters": [world.cluster_b]}))
        .send()
        .await;
    let unit = created.ok().clone();
    let id = unit["id"].as_i64().unwrap();
    assert_eq!(unit["name"], "Lyon");
    assert_eq!(unit["networks"], json!([world.n1, world.n2]));
    assert_eq!(unit["clusters"], json!([world.cluster_b]));
    assert_eq!(unit["app_labels"], json!([label]));
    assert_eq!(unit["organizations"], json!([]));

    let mut body = unit_body("Lyon métropole", &[world.n1]);
    body["ou_id"] = json!(id);
    app.put(&format!("/dashboard/organizational-units/{id}"))
        .token(&admin)
        .json(body)
        .send()
        .await
        .ok();
    let list = app
        .get("/dashboard/organizational-units")
        .token(&admin)
        .send()
        .await;
    // The world's own unit is listed too.
    let listed: Vec<Value> = list
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["id"] == id)
        .cloned()
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "Lyon métropole");
    assert_eq!(listed[0]["networks"], json!([world.n1]));
    assert_eq!(listed[0]["clusters"], json!([]));

    app.delete(&format!("/dashboard/organizational-units/{id}"))
        .token(&admin)
        .send()
        .await
        .ok();
    let list = app
        .get("/dashboard/organizational-units")
        .token(&admin)
        .send()
        .await;
    assert!(!list.ok().as_array().unwrap().iter().any(|u| u["id"] == id));
    app.delete(&format!("/dashboard/organizational-units/{id}"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn unit_requests_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    app.network("North").await;
    app.network("South").await;
    let create = |body| {
        app.post("/dashboard/organizational-units")
            .token(&admin)
            .json(body)
            .send()
    };
    create(unit_body("ab", &[1]))
        .await
        .fails(422, -11)
        .names("name");
    create(unit_body(&"n".repeat(51), &[1]))
        .await
        .fails(422, -11)
        .names("name");
    create(unit_body("Lyon", &[1, 1]))
        .await
        .fails(422, -11)
        .names("networks");
    create(unit_body("Lyon", &[0]))
        .await
        .fails(422, -11)
        .names("networks");
    create(json!({"name": "Lyon", "app_labels": [], "organizations": [], "networks": []}))
        .await
        .fails(400, -10)
        .names("clusters");
    let mut extra = unit_body("Lyon", &[1]);
    extra["ou_id"] = json!(1);
    create(extra).await.fails(400, -10).names("ou_id");

    let id = create(unit_body("Lyon", &[1])).await.ok()["id"]
        .as_i64()
        .unwrap();
    create(unit_body("Lyon", &[2])).await.fails(409, -40);

    let path = format!("/dashboard/organizational-units/{id}");
    let mut wrong_id = unit_body("Lyon", &[1]);
    wrong_id["ou_id"] = json!(id + 1);
    app.put(&path)
        .token(&admin)
        .json(wrong_id)
        .send()
        .await
        .fails(422, -11)
        .names("ou_id");
    app.put(&path)
        .token(&admin)
        .json(unit_body("Lyon", &[1]))
        .send()
        .await
        .fails(400, -10)
        .names("ou_id");
    app.get("/dashboard/organizational-units/abc/users")
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("id");
    app.get("/dashboard/organizational-units/0/users")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("id");
    app.get("/dashboard/organizational-units/999/users")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn a_unit_still_granted_in_cannot_be_deleted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    app.network("Net one").await;
    app.network("Net two").await;
    let unit = app.unit("Lyon", &[1]).await;
    let ann = app.user("ann@relais.test").await;
    app.grant(ann, Permission::Trips, Some(unit), true).await;

    let users = app
        .get(&format!("/dashboard/organizational-units/{unit}/users"))
        .token(&admin)
        .send()
        .await;
    let users = users.ok().as_array().unwrap().clone();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["user"]["id"], ann);
    assert_eq!(users[0]["grants"][0]["permission"], "trips");
    assert_eq!(users[0]["grants"][0]["write"], true);
    assert_eq!(users[0]["grants"][0]["active"], true);

    let path = format!("/dashboard/organizational-units/{unit}");
    app.delete(&path).token(&admin).send().await.fails(409, -41);
    app.delete(&format!(
        "/dashboard/users/{ann}/permissions?perm_key=trips&organizational_unit={unit}"
    ))
    .token(&admin)
    .send()
    .await
    .ok();
    app.delete(&path).token(&admin).send().await.ok();
}

#[tokio::test]
async fn a_scoped_manager_sees_and_shapes_only_units_within_reach() {
    let app = TestApp::new().await;
    app.network("Net one").await;
    app.network("Net two").await;
    let north = app.unit("North", &[1]).await;
    let wide = app.unit("North and South", &[1, 2]).await;
    let (_, manager) = app
        .staff(
            "manager@relais.test",
            &[(Permission::UsersPermissions, Some(north), true)],
        )
        .await;

    let list = app
        .get("/dashboard/organizational-units")
        .token(&manager)
        .send()
        .await;
    let names: Vec<&str> = list
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["North"]);

    // Inside their networks: allowed. Beyond: refused, and nothing is created.
    app.post("/dashboard/organizational-units")
        .token(&manager)
        .json(unit_body("North depots", &[1]))
        .send()
        .await
        .ok();
    app.post("/dashboard/organizational-units")
        .token(&manager)
        .json(unit_body("South", &[2]))
        .send()
        .await
        .fails(403, -31);
    let mut widen = unit_body("North", &[1, 2]);
    widen["ou_id"] = json!(north);
    app.put(&format!("/dashboard/organizational-units/{north}"))
        .token(&manager)
        .json(widen)
        .send()
        .await
        .fails(403, -31);
    let mut rename = unit_body("North and South", &[1]);
    rename["ou_id"] = json!(wide);
    app.put(&format!("/dashboard/organizational-units/{wide}"))
        .token(&manager)
        .json(rename)
        .send()
        .await
        .fails(403, -31);
    app.delete(&format!("/dashboard/organizational-units/{wide}"))
        .token(&manager)
        .send()
        .await
        .fails(403, -31);
    app.get(&format!("/dashboard/organizational-units/{wide}/users"))
        .token(&manager)
        .send()
        .await
        .fails(403, -31);
    // Global figures are for global managers only.
    app.get("/dashboard/organizational-units/global/user-count")
        .token(&manager)
        .send()
        .await
        .fails(403, -31);

    let (_, admin) = app.admin().await;
    let all = app
        .get("/dashboard/organizational-units")
        .token(&admin)
        .send()
        .await;
    assert_eq!(all.ok().as_array().unwrap().len(), 3);

    // Read-only managers list but do not change.
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::UsersPermissions, None, false)],
        )
        .await;
    app.get("/dashboard/organizational-units")
        .token(&reader)
        .send()
        .await
        .ok();
    app.post("/dashboard/organizational-units")
        .token(&reader)
        .json(unit_body("Anywhere", &[3]))
        .send()
        .await
        .fails(403, -30);
}

#[tokio::test]
async fn the_global_user_count_counts_global_grants_in_force() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let count = || async {
        app.get("/dashboard/organizational-units/global/user-count")
            .token(&admin)
            .send()
            .await
            .ok()
            .clone()
    };
    // The administrator holds global grants.
    assert_eq!(count().await, json!(1));
    app.network("Net one").await;
    app.network("Net two").await;
    let unit = app.unit("Lyon", &[1]).await;
    let local = app.user("local@relais.test").await;
    app.grant(local, Permission::Trips, Some(unit), false).await;
    assert_eq!(count().await, json!(1));
    let global = app.user("global@relais.test").await;
    app.grant(global, Permission::Trips, None, false).await;
    assert_eq!(count().await, json!(2));
    let expired = app.user("expired@relais.test").await;
    app.grant_between(
        expired,
        Permission::Trips,
        None,
        false,
        Utc::now() - Duration::days(10),
        Some(Utc::now() - Duration::days(1)),
    )
    .await;
    let future = app.user("future@relais.test").await;
    app.grant_between(
        future,
        Permission::Trips,
        None,
        false,
        Utc::now() + Duration::days(1),
        None,
    )
    .await;
    assert_eq!(count().await, json!(2));
}
