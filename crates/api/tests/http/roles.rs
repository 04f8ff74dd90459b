//! Seed group `Roles`: listing, creating and reshaping roles, and who may do it.

use crate::common::TestApp;
use relais_domain::Permission;
use serde_json::json;

#[tokio::test]
async fn an_administrator_creates_lists_and_reshapes_roles() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    app.post("/dashboard/roles?lang=en")
        .token(&admin)
        .json(json!({"key": "support", "perms": ["users.list", "users.support"]}))
        .send()
        .await
        .ok();

    let roles = app
        .get("/dashboard/roles?lang=fr")
        .token(&admin)
        .send()
        .await;
    let support = roles
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "support")
        .expect("the new role is listed")
        .clone();
    let keys: Vec<&str> = support["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(keys.contains(&"users.list") && keys.contains(&"users.support"));
    // Labels follow `lang`.
    assert!(
        support["permissions"]
            .to_string()
            .contains("Lister les utilisateurs")
    );

    app.patch("/dashboard/roles/support")
        .token(&admin)
        .json(
            json!({"key": "support", "perms_to_add": ["trips"], "perms_to_remove": ["users.list"]}),
        )
        .send()
        .await
        .ok();
    let roles = app
        .get("/dashboard/roles?lang=en")
        .token(&admin)
        .send()
        .await;
    let support = roles
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "support")
        .unwrap()
        .clone();
    let mut keys: Vec<&str> = support["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    keys.sort();
    assert_eq!(keys, ["trips", "users.support"]);
}

#[tokio::test]
async fn role_requests_are_validated_and_keys_are_unique() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let create = |body| {
        app.post("/dashboard/roles?lang=en")
            .token(&admin)
            .json(body)
            .send()
    };
    create(json!({"key": "ab", "perms": []}))
        .await
        .fails(422, -11)
        .names("key");
    create(json!({"key": "x".repeat(51), "perms": []}))
        .await
        .fails(422, -11)
        .names("key");
    create(json!({"key": "support", "perms": ["no.such.permission"]}))
        .await
        .fails(400, -10)
        .names("perms[0]");
    create(json!({"key": "support", "perms": ["trips", "trips"]}))
        .await
        .fails(422, -11)
        .names("perms");
    create(json!({"key": "support"}))
        .await
        .fails(400, -10)
        .names("perms");
    create(json!({"key": "support", "perms": [], "color": "red"}))
        .await
        .fails(400, -10)
        .names("color");
    create(json!({"key": "support", "perms": ["trips"]}))
        .await
        .ok();
    create(json!({"key": "support", "perms": ["trips"]}))
        .await
        .fails(409, -40);

    let update = |path: &str, body| app.patch(path).token(&admin).json(body).send();
    update(
        "/dashboard/roles/support",
        json!({"key": "other", "perms_to_add": [], "perms_to_remove": []}),
    )
    .await
    .fails(422, -11)
    .names("key");
    update(
        "/dashboard/roles/support",
        json!({"key": "support", "perms_to_add": ["trips"], "perms_to_remove": ["trips"]}),
    )
    .await
    .fails(422, -11)
    .names("perms_to_remove");
    update(
        "/dashboard/roles/nobody",
        json!({"key": "nobody", "perms_to_add": [], "perms_to_remove": []}),
    )
    .await
    .fails(404, -2);
    app.get("/dashboard/roles?lang=french")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("lang");
}

#[tokio::test]
async fn only_global_role_managers_holding_the_permissions_shape_roles() {
    let app = TestApp::new().await;
    app.network("Net one").await;
    app.network("Net two").await;
    let unit = app.unit("North", &[1]).await;
    // Reading roles needs `users.permissions`.
    let (_, nobody) = app.staff("nobody@relais.test", &[]).await;
    app.get("/dashboard/roles?lang=en")
        .token(&nobody)
        .send()
        .await
        .fails(403, -30);

    // `roles` read only: may not create.
    let (_, reader) = app
        .staff("reader@relais.test", &[(Permission::Roles, None, false)])
        .await;
    app.post("/dashboard/roles?lang=en")
        .token(&reader)
        .json(json!({"key": "support", "perms": []}))
        .send()
        .await
        .fails(403, -30);

    // `roles` with write, but only in a unit: roles are global.
    let (_, local) = app
        .staff(
            "local@relais.test",
            &[
                (Permission::Roles, Some(unit), true),
                (Permission::Trips, None, true),
            ],
        )
        .await;
    app.post("/dashboard/roles?lang=en")
        .token(&local)
        .json(json!({"key": "support", "perms": ["trips"]}))
        .send()
        .await
        .fails(403, -31);

    // Global `roles` with write, holding `trips` but not `developer`.
    let (_, shaper) = app
        .staff(
            "shaper@relais.test",
            &[
                (Permission::Roles, None, true),
                (Permission::Trips, None, true),
            ],
        )
        .await;
    let reply = app
        .post("/dashboard/roles?lang=en")
        .token(&shaper)
        .json(json!({"key": "support", "perms": ["trips", "developer"]}))
        .send()
        .await;
    reply.fails(403, -30);
    assert!(reply.text.contains("developer"), "{}", reply.text);
    app.post("/dashboard/roles?lang=en")
        .token(&shaper)
        .json(json!({"key": "support", "perms": ["trips"]}))
        .send()
        .await
        .ok();
    app.patch("/dashboard/roles/support")
        .token(&shaper)
        .json(json!({"key": "support", "perms_to_add": ["developer"], "perms_to_remove": []}))
        .send()
        .await
        .fails(403, -30);
}
