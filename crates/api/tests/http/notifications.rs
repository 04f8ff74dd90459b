//! Seed group `Networks`: notification settings and their targets.

use crate::common::TestApp;
use relais_domain::Permission;
use serde_json::{Value, json};

fn settings_body() -> Value {
    json!({
        "notification_type": "fleet-alert",
        "alert_types": ["vehicle-lifted", "vehicle-out-of-network-area"],
        "alert_severities": ["high", "critical"],
        "check_interval": 60,
        "check_delay": 0
    })
}

fn settings_path(network: i64) -> String {
    format!("/dashboard/networks/{network}/notification-settings")
}

fn setting_path(network: i64, setting: i64) -> String {
    format!("/dashboard/networks/{network}/notification-settings/{setting}")
}

fn targets_path(network: i64, setting: i64) -> String {
    format!("/dashboard/networks/{network}/notification-settings/{setting}/targets")
}

async fn create_setting(app: &TestApp, token: &str, network: i64) -> i64 {
    app.post(&settings_path(network))
        .token(token)
        .json(settings_body())
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn settings_are_created_listed_updated_and_deleted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon Vélo").await;
    let other = app.network("Paris Vélo").await;
    create_setting(&app, &admin, other).await;

    let created = app
        .post(&settings_path(network))
        .token(&admin)
        .json(settings_body())
        .send()
        .await;
    let setting = created.ok().clone();
    let id = setting["id"].as_i64().unwrap();
    assert_eq!(setting["network_id"], network);
    assert_eq!(setting["notification_type"], "fleet-alert");
    assert_eq!(
        setting["alert_types"],
        json!(["vehicle-lifted", "vehicle-out-of-network-area"])
    );
    assert_eq!(setting["alert_severities"], json!(["high", "critical"]));
    assert_eq!(setting["check_interval"], 60);
    assert_eq!(setting["check_delay"], 0);
    assert_eq!(setting["targets"], json!([]));

    let list = app.get(&settings_path(network)).token(&admin).send().await;
    assert_eq!(list.ok(), &json!([setting]), "only this network's settings");

    // Optional values are optional, and a replacement clears those left out.
    let updated = app
        .put(&setting_path(network, id))
        .token(&admin)
        .json(json!({
            "notification_type": "station-down",
            "alert_types": ["station-power-cut"],
            "alert_severities": ["low"]
        }))
        .send()
        .await;
    let updated = updated.ok().clone();
    assert_eq!(updated["id"], id);
    assert_eq!(updated["notification_type"], "station-down");
    assert_eq!(updated["alert_types"], json!(["station-power-cut"]));
    assert_eq!(updated["alert_severities"], json!(["low"]));
    assert_eq!(updated["check_interval"], Value::Null);
    assert_eq!(updated["check_delay"], Value::Null);
    let list = app.get(&settings_path(network)).token(&admin).send().await;
    assert_eq!(list.ok(), &json!([updated]));

    app.delete(&setting_path(network, id))
        .token(&admin)
        .send()
        .await
        .ok();
    let list = app.get(&settings_path(network)).token(&admin).send().await;
    assert_eq!(list.ok(), &json!([]));
    app.delete(&setting_path(network, id))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    let list = app.get(&settings_path(other)).token(&admin).send().await;
    assert_eq!(
        list.ok().as_array().unwrap().len(),
        1,
        "other network untouched"
    );
    app.get(&settings_path(999))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn setting_requests_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon Vélo").await;
    let id = create_setting(&app, &admin, network).await;
    let with = |field: &str, value: Value| {
        let mut body = settings_body();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = settings_body();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        (with("alert_types", json!([])), 422, -11, "alert_types"),
        (
            with("alert_types", json!(["vehicle-lifted", "vehicle-lifted"])),
            422,
            -11,
            "alert_types",
        ),
        (
            with("alert_severities", json!([])),
            422,
            -11,
            "alert_severities",
        ),
        (
            with("alert_severities", json!(["low", "low"])),
            422,
            -11,
            "alert_severities",
        ),
        (
            with("check_interval", json!(-1)),
            422,
            -11,
            "check_interval",
        ),
        (with("check_delay", json!(-1)), 422, -11, "check_delay"),
        (
            with("notification_type", json!("sms")),
            400,
            -10,
            "notification_type",
        ),
        (
            with("alert_types", json!(["vehicle-stolen"])),
            400,
            -10,
            "alert_types[0]",
        ),
        (
            with("alert_severities", json!(["Low"])),
            400,
            -10,
            "alert_severities[0]",
        ),
        (with("check_delay", json!("10")), 400, -10, "check_delay"),
        (with("colour", json!("red")), 400, -10, "colour"),
        (without("notification_type"), 400, -10, "notification_type"),
        (without("alert_types"), 400, -10, "alert_types"),
        (without("alert_severities"), 400, -10, "alert_severities"),
    ];
    for (body, status, code, field) in cases {
        app.post(&settings_path(network))
            .token(&admin)
            .json(body.clone())
            .send()
            .await
            .fails(status, code)
            .names(field);
        app.put(&setting_path(network, id))
            .token(&admin)
            .json(body)
            .send()
            .await
            .fails(status, code)
            .names(field);
    }
    app.put(&setting_path(network, 0))
        .token(&admin)
        .json(settings_body())
        .send()
        .await
        .fails(422, -11)
        .names("notification_id");
    app.put(&setting_path(network, 999))
        .token(&admin)
        .json(settings_body())
        .send()
        .await
        .fails(404, -2);
    // Every alert type and severity of the seed is accepted.
    let all = with(
        "alert_types",
        json!([
            "unexpected-unlock",
            "spot-identify-fail",
            "spot-high-temperature",
            "station-power-cut",
            "station-alarm-triggered",
            "vehicle-illegal-moving",
            "vehicle-dismantling",
            "vehicle-lifted",
            "vehicle-fallen",
            "vehicle-out-of-network-area"
        ]),
    );
    let mut all = all;
    all["alert_severities"] = json!(["low", "high", "critical"]);
    for kind in [
        "fleet-alert",
        "vehicle-fault",
        "station-down",
        "support-report",
        "support-message",
    ] {
        all["notification_type"] = json!(kind);
        let setting = app
            .put(&setting_path(network, id))
            .token(&admin)
            .json(all.clone())
            .send()
            .await;
        let setting = setting.ok();
        assert_eq!(setting["notification_type"], kind);
        assert_eq!(setting["alert_types"], all["alert_types"]);
        assert_eq!(setting["alert_severities"], all["alert_severities"]);
    }
}

#[tokio::test]
async fn targets_are_users_or_external_emails() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon Vélo").await;
    let id = create_setting(&app, &admin, network).await;
    let other_setting = create_setting(&app, &admin, network).await;
    let alice = app.user("alice@relais.test").await;
    let targets = targets_path(network, id);

    let target = app
        .post(&targets)
        .token(&admin)
        .json(json!({"user_id": alice}))
        .send()
        .await;
    let target = target.ok().clone();
    assert_eq!(target["user_id"], alice);
    assert_eq!(target["email"], "alice@relais.test");
    let external = app
        .post(&targets)
        .token(&admin)
        .json(json!({"email": "Ops@Example.com"}))
        .send()
        .await;
    let external = external.ok().clone();
    assert_eq!(external["user_id"], Value::Null);
    assert_eq!(external["email"], "ops@example.com");

    let list = app.get(&settings_path(network)).token(&admin).send().await;
    let list = list.ok().as_array().unwrap().clone();
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["targets"], json!([target, external]));
    assert_eq!(list[1]["targets"], json!([]));

    // A target appears once per setting, but may be on several settings.
    app.post(&targets)
        .token(&admin)
        .json(json!({"user_id": alice}))
        .send()
        .await
        .fails(409, -40)
        .names("user_id");
    app.post(&targets)
        .token(&admin)
        .json(json!({"email": "ops@example.COM"}))
        .send()
        .await
        .fails(409, -40)
        .names("email");
    app.post(&targets_path(network, other_setting))
        .token(&admin)
        .json(json!({"user_id": alice}))
        .send()
        .await
        .ok();

    // Exactly one of user_id and email, both valid.
    for body in [
        json!({}),
        json!({"user_id": alice, "email": "x@example.com"}),
    ] {
        app.post(&targets)
            .token(&admin)
            .json(body)
            .send()
            .await
            .fails(422, -11)
            .names("user_id")
            .names("email");
    }
    app.post(&targets)
        .token(&admin)
        .json(json!({"user_id": 0}))
        .send()
        .await
        .fails(422, -11)
        .names("user_id");
    app.post(&targets)
        .token(&admin)
        .json(json!({"email": "not an email"}))
        .send()
        .await
        .fails(422, -11)
        .names("email");
    app.post(&targets)
        .token(&admin)
        .json(json!({"user_id": "5"}))
        .send()
        .await
        .fails(400, -10)
        .names("user_id");
    app.post(&targets)
        .token(&admin)
        .json(json!({"user_id": alice, "name": "Alice"}))
        .send()
        .await
        .fails(400, -10)
        .names("name");
    app.post(&targets)
        .token(&admin)
        .json(json!({"user_id": 9999}))
        .send()
        .await
        .fails(404, -2)
        .names("user_id");
    app.post(&targets_path(network, 999))
        .token(&admin)
        .json(json!({"user_id": alice}))
        .send()
        .await
        .fails(404, -2);

    // Removing, by user or by email.
    for query in ["", "?user_id=1&email=x@example.com"] {
        app.delete(&format!("{targets}{query}"))
            .token(&admin)
            .send()
            .await
            .fails(422, -11)
            .names("user_id")
            .names("email");
    }
    app.delete(&format!("{targets}?user_id=0"))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("user_id");
    app.delete(&format!("{targets}?email=nope"))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("email");
    app.delete(&format!("{targets}?user_id={alice}"))
        .token(&admin)
        .send()
        .await
        .ok();
    app.delete(&format!("{targets}?user_id={alice}"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.delete(&format!("{targets}?email=OPS@example.com"))
        .token(&admin)
        .send()
        .await
        .ok();
    app.delete(&format!("{targets}?email=ops@example.com"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    let list = app.get(&settings_path(network)).token(&admin).send().await;
    let list = list.ok().as_array().unwrap().clone();
    assert_eq!(list[0]["targets"], json!([]));
    assert_eq!(
        list[1]["targets"][0]["user_id"], alice,
        "other setting kept"
    );

    // Deleting a setting takes its targets with it.
    app.delete(&setting_path(network, other_setting))
        .token(&admin)
        .send()
        .await
        .ok();
    let list = app.get(&settings_path(network)).token(&admin).send().await;
    assert_eq!(list.ok().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_setting_is_only_reached_through_its_network() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon Vélo").await;
    let paris = app.network("Paris Vélo").await;
    let id = create_setting(&app, &admin, lyon).await;
    let alice = app.user("alice@relais.test").await;
    app.put(&setting_path(paris, id))
        .token(&admin)
        .json(settings_body())
        .send()
        .await
        .fails(404, -2);
    app.delete(&setting_path(paris, id))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.post(&targets_path(paris, id))
        .token(&admin)
        .json(json!({"user_id": alice}))
        .send()
        .await
        .fails(404, -2);
    app.post(&targets_path(lyon, id))
        .token(&admin)
        .json(json!({"user_id": alice}))
        .send()
        .await
        .ok();
    app.delete(&format!("{}?user_id={alice}", targets_path(paris, id)))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    let list = app.get(&settings_path(lyon)).token(&admin).send().await;
    assert_eq!(list.ok()[0]["targets"][0]["user_id"], alice);
}

#[tokio::test]
async fn notifications_need_the_permission_over_the_network() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon Vélo").await;
    let paris = app.network("Paris Vélo").await;
    let id = create_setting(&app, &admin, lyon).await;
    let paris_setting = create_setting(&app, &admin, paris).await;
    let unit = app.unit("Lyon", &[lyon]).await;
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::Notifications, Some(unit), false)],
        )
        .await;
    let (_, writer) = app
        .staff(
            "writer@relais.test",
            &[(Permission::Notifications, Some(unit), true)],
        )
        .await;
    let (_, other) = app
        .staff(
            "other@relais.test",
            &[(Permission::NetworksManage, None, true)],
        )
        .await;

    app.get(&settings_path(lyon)).send().await.fails(401, -20);
    app.get(&settings_path(lyon))
        .token(&other)
        .send()
        .await
        .fails(403, -30);
    app.get(&settings_path(lyon))
        .token(&reader)
        .send()
        .await
        .ok();
    app.post(&settings_path(lyon))
        .token(&reader)
        .json(settings_body())
        .send()
        .await
        .fails(403, -30);
    app.delete(&setting_path(lyon, id))
        .token(&reader)
        .send()
        .await
        .fails(403, -30);
    app.post(&targets_path(lyon, id))
        .token(&reader)
        .json(json!({"email": "ops@example.com"}))
        .send()
        .await
        .fails(403, -30);

    // The writer works on Lyon, not on Paris.
    let mine = create_setting(&app, &writer, lyon).await;
    app.put(&setting_path(lyon, mine))
        .token(&writer)
        .json(settings_body())
        .send()
        .await
        .ok();
    app.post(&targets_path(lyon, mine))
        .token(&writer)
        .json(json!({"email": "ops@example.com"}))
        .send()
        .await
        .ok();
    app.delete(&format!(
        "{}?email=ops@example.com",
        targets_path(lyon, mine)
    ))
    .token(&writer)
    .send()
    .await
    .ok();
    app.delete(&setting_path(lyon, mine))
        .token(&writer)
        .send()
        .await
        .ok();
    app.get(&settings_path(paris))
        .token(&writer)
        .send()
        .await
        .fails(403, -31);
    app.post(&settings_path(paris))
        .token(&writer)
        .json(settings_body())
        .send()
        .await
        .fails(403, -31);
    app.put(&setting_path(paris, paris_setting))
        .token(&writer)
        .json(settings_body())
        .send()
        .await
        .fails(403, -31);
    app.delete(&setting_path(paris, paris_setting))
        .token(&writer)
        .send()
        .await
        .fails(403, -31);
    app.post(&targets_path(paris, paris_setting))
        .token(&writer)
        .json(json!({"email": "ops@example.com"}))
        .send()
        .await
        .fails(403, -31);
    app.delete(&format!(
        "{}?email=ops@example.com",
        targets_path(paris, paris_setting)
    ))
    .token(&writer)
    .send()
    .await
    .fails(403, -31);
    let list = app.get(&settings_path(paris)).token(&admin).send().await;
    assert_eq!(list.ok().as_array().unwrap().len(), 1, "Paris untouched");
}

#[tokio::test]
async fn a_closed_network_refuses_every_change() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon Vélo").await;
    let id = create_setting(&app, &admin, network).await;
    let alice = app.user("alice@relais.test").await;
    app.post(&targets_path(network, id))
        .token(&admin)
        .json(json!({"user_id": alice}))
        .send()
        .await
        .ok();
    relais_store::networks::close(&app.db, network, chrono::Utc::now())
        .await
        .unwrap();

    app.post(&settings_path(network))
        .token(&admin)
        .json(settings_body())
        .send()
        .await
        .fails(409, -41);
    app.put(&setting_path(network, id))
        .token(&admin)
        .json(settings_body())
        .send()
        .await
        .fails(409, -41);
    app.post(&targets_path(network, id))
        .token(&admin)
        .json(json!({"email": "ops@example.com"}))
        .send()
        .await
        .fails(409, -41);
    app.delete(&format!("{}?user_id={alice}", targets_path(network, id)))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);
    app.delete(&setting_path(network, id))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);
    // Still readable, unchanged.
    let list = app.get(&settings_path(network)).token(&admin).send().await;
    let list = list.ok();
    assert_eq!(list[0]["notification_type"], "fleet-alert");
    assert_eq!(list[0]["targets"][0]["user_id"], alice);
}
