//! Seed groups `Networks` (settings: access rules, sponsorship, rent settings and timings,
//! free-float to station reward, out of orders) and `Out of order`.

use crate::common::TestApp;
use relais_domain::Permission;
use serde_json::{Value, json};

fn rules(network: i64) -> String {
    format!("/dashboard/networks/{network}/access-rules")
}

fn rent_settings_body() -> Value {
    json!({
        "default_vehicle_guarantee": "200.5",
        "trip_to_skip_pre_auth_guarantee": -1,
        "first_purchase_required": true,
        "min_battery_to_rent": 30,
        "max_simultaneous_rented_vehicle": 3,
        "trip_on_hold": false,
        "credit_depletion_auto_lock": true,
        "min_battery_to_auto_lock": 15
    })
}

fn timings_body() -> Value {
    json!({
        "trip_too_long_notifications": 7200,
        "trip_too_long_notifications_frequency": 1800,
        "vehicle_stolen": 86400,
        "trip_auto_pause": 600,
        "trip_max_pause": 1200,
        "trip_auto_lock": 43200
    })
}

#[tokio::test]
async fn access_rules_are_created_listed_updated_and_deleted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let other = app.network("Paris").await;
    let label = app.app_label("partner").await;

    assert_eq!(
        app.get(&rules(network)).token(&admin).send().await.ok(),
        &json!([])
    );
    let by_email = app
        .post(&rules(network))
        .token(&admin)
        .json(json!({"email_pattern": "%@relais-(lyon|paris).example"}))
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(by_email["email_pattern"], "%@relais-(lyon|paris).example");
    assert_eq!(by_email["organization"], Value::Null);
    assert_eq!(by_email["app_label"], Value::Null);
    assert_eq!(by_email["network_id"], network);
    let by_label = app
        .post(&rules(network))
        .token(&admin)
        .json(json!({"app_label": label, "organization": 12}))
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(by_label["app_label"], label);
    assert_eq!(by_label["organization"], 12);
    assert_eq!(by_label["email_pattern"], Value::Null);

    let listed = app.get(&rules(network)).token(&admin).send().await;
    let listed = listed.ok().as_array().unwrap().clone();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], by_email["id"]);
    assert_eq!(listed[1]["id"], by_label["id"]);
    assert_eq!(
        app.get(&rules(other)).token(&admin).send().await.ok(),
        &json!([])
    );

    let rid = by_label["id"].as_i64().unwrap();
    let updated = app
        .put(&format!("{}/{rid}", rules(network)))
        .token(&admin)
        .json(json!({"email_pattern": "_%@x.fr", "organization": null, "app_label": null}))
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(updated["email_pattern"], "_%@x.fr");
    assert_eq!(updated["organization"], Value::Null);
    assert_eq!(updated["app_label"], Value::Null);
    let listed = app.get(&rules(network)).token(&admin).send().await;
    assert_eq!(listed.ok()[1]["email_pattern"], "_%@x.fr");
    assert_eq!(listed.ok()[1]["app_label"], Value::Null);

    // A rule is reached only through its own network.
    app.put(&format!("{}/{rid}", rules(other)))
        .token(&admin)
        .json(json!({"email_pattern": "a", "organization": null, "app_label": null}))
        .send()
        .await
        .fails(404, -2);
    app.delete(&format!("{}/{rid}", rules(other)))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);

    app.delete(&format!("{}/{rid}", rules(network)))
        .token(&admin)
        .send()
        .await
        .ok();
    let listed = app.get(&rules(network)).token(&admin).send().await;
    assert_eq!(listed.ok().as_array().unwrap().len(), 1);
    app.delete(&format!("{}/{rid}", rules(network)))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.get(&rules(9999))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.post(&rules(9999))
        .token(&admin)
        .json(json!({"organization": 1}))
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn access_rule_requests_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let create = |body| app.post(&rules(network)).token(&admin).json(body).send();

    create(json!({}))
        .await
        .fails(422, -11)
        .names("email_pattern")
        .names("organization")
        .names("app_label");
    create(json!({"email_pattern": null, "organization": null}))
        .await
        .fails(422, -11)
        .names("email_pattern");
    for bad in ["a b@x.fr", "", "é@x.fr", "a'b", "a;b"] {
        create(json!({"email_pattern": bad}))
            .await
            .fails(422, -11)
            .names("email_pattern");
    }
    create(json!({"email_pattern": format!("%{}", "a".repeat(255))}))
        .await
        .fails(422, -11)
        .names("email_pattern");
    let all_allowed = r"aZ09@._(){}[]|*+?%#\-";
    let accepted = create(json!({"email_pattern": all_allowed})).await;
    assert_eq!(accepted.ok()["email_pattern"], all_allowed);
    create(json!({"organization": 0}))
        .await
        .fails(422, -11)
        .names("organization");
    create(json!({"app_label": 0}))
        .await
        .fails(422, -11)
        .names("app_label");
    create(json!({"app_label": 9999}))
        .await
        .fails(404, -2)
        .names("app_label");
    create(json!({"organization": 1, "network": 2}))
        .await
        .fails(400, -10)
        .names("network");
    create(json!({"organization": "one"}))
        .await
        .fails(400, -10)
        .names("organization");

    let rid = create(json!({"organization": 5})).await.ok()["id"]
        .as_i64()
        .unwrap();
    let update = |body| {
        app.put(&format!("{}/{rid}", rules(network)))
            .token(&admin)
            .json(body)
            .send()
    };
    update(json!({"email_pattern": null, "organization": 3}))
        .await
        .fails(400, -10)
        .names("app_label");
    update(json!({"organization": 3, "app_label": null}))
        .await
        .fails(400, -10)
        .names("email_pattern");
    update(json!({"email_pattern": null, "organization": null, "app_label": null}))
        .await
        .fails(422, -11)
        .names("email_pattern")
        .names("organization")
        .names("app_label");
    update(json!({"email_pattern": "a b", "organization": null, "app_label": null}))
        .await
        .fails(422, -11)
        .names("email_pattern");
    update(json!({"email_pattern": null, "organization": 0, "app_label": null}))
        .await
        .fails(422, -11)
        .names("organization");
    update(json!({"email_pattern": null, "organization": null, "app_label": 9999}))
        .await
        .fails(404, -2)
        .names("app_label");
    // Nothing of the refused updates was kept.
    let listed = app.get(&rules(network)).token(&admin).send().await;
    let kept = listed
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == rid)
        .unwrap()
        .clone();
    assert_eq!(kept["organization"], 5);
    app.put(&format!("{}/0", rules(network)))
        .token(&admin)
        .json(json!({"email_pattern": null, "organization": 1, "app_label": null}))
        .send()
        .await
        .fails(422, -11)
        .names("rid");
}

#[tokio::test]
async fn sponsorship_is_updated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let path = format!("/dashboard/networks/{network}/sponsorship");
    let put = |body| app.put(&path).token(&admin).json(body).send();

    let reply = put(json!({"sponsoring_reward": 5, "sponsored_reward": "2.5"})).await;
    assert_eq!(
        reply.ok(),
        &json!({"sponsoring_reward": "5.00", "sponsored_reward": "2.50"})
    );
    let stored = relais_store::networks::existing(&app.db, network)
        .await
        .unwrap();
    assert_eq!(stored.sponsoring_reward, 50_000);
    assert_eq!(stored.sponsored_reward, 25_000);

    put(json!({"sponsoring_reward": 0, "sponsored_reward": 0}))
        .await
        .ok();
    put(json!({"sponsoring_reward": -1, "sponsored_reward": 0}))
        .await
        .fails(422, -11)
        .names("sponsoring_reward");
    put(json!({"sponsoring_reward": 1, "sponsored_reward": "0.00001"}))
        .await
        .fails(422, -11)
        .names("sponsored_reward");
    put(json!({"sponsoring_reward": 1}))
        .await
        .fails(400, -10)
        .names("sponsored_reward");
    let stored = relais_store::networks::existing(&app.db, network)
        .await
        .unwrap();
    assert_eq!(stored.sponsoring_reward, 0);
    app.put("/dashboard/networks/9999/sponsorship")
        .token(&admin)
        .json(json!({"sponsoring_reward": 1, "sponsored_reward": 1}))
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn rent_settings_and_timings_are_read_and_updated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let path = format!("/dashboard/networks/{network}/rent-settings");

    let initial = app.get(&path).token(&admin).send().await;
    assert_eq!(
        initial.ok(),
        &json!({
            "settings": {
                "default_vehicle_guarantee": "150.00",
                "trip_to_skip_pre_auth_guarantee": 3,
                "first_purchase_required": false,
                "min_battery_to_rent": 20,
                "max_simultaneous_rented_vehicle": 1,
                "trip_on_hold": true,
                "credit_depletion_auto_lock": false,
                "min_battery_to_auto_lock": null
            },
            "timings": {
                "trip_too_long_notifications": 14400,
                "trip_too_long_notifications_frequency": 3600,
                "vehicle_stolen": 172800,
                "trip_auto_pause": 0,
                "trip_max_pause": 3600,
                "trip_auto_lock": 86400
            }
        })
    );

    let settings = app
        .put(&path)
        .token(&admin)
        .json(rent_settings_body())
        .send()
        .await;
    let mut expected = rent_settings_body();
    expected["default_vehicle_guarantee"] = json!("200.50");
    assert_eq!(settings.ok(), &expected);
    let timings = app
        .put(&format!("{path}/timings"))
        .token(&admin)
        .json(timings_body())
        .send()
        .await;
    assert_eq!(timings.ok(), &timings_body());

    let read = app.get(&path).token(&admin).send().await;
    assert_eq!(read.ok()["settings"], expected);
    assert_eq!(read.ok()["timings"], timings_body());

    // The guarantee is the network's own: its detail shows the change.
    let detail = app
        .get(&format!("/dashboard/networks/{network}"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(detail.ok()["default_vehicle_guarantee"], "200.50");

    let mut cleared = rent_settings_body();
    cleared["min_battery_to_auto_lock"] = Value::Null;
    app.put(&path).token(&admin).json(cleared).send().await.ok();
    let read = app.get(&path).token(&admin).send().await;
    assert_eq!(
        read.ok()["settings"]["min_battery_to_auto_lock"],
        Value::Null
    );
    app.get("/dashboard/networks/9999/rent-settings")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn rent_settings_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let path = format!("/dashboard/networks/{network}/rent-settings");
    let with = |field: &str, value: Value| {
        let mut body = rent_settings_body();
        body[field] = value;
        app.put(&path).token(&admin).json(body).send()
    };

    for (field, bad, good) in [
        ("default_vehicle_guarantee", json!(-0.01), json!(0)),
        (
            "default_vehicle_guarantee",
            json!("1.00001"),
            json!("1.0001"),
        ),
        ("trip_to_skip_pre_auth_guarantee", json!(-2), json!(-1)),
        ("min_battery_to_rent", json!(9), json!(10)),
        ("min_battery_to_rent", json!(96), json!(95)),
        ("max_simultaneous_rented_vehicle", json!(0), json!(1)),
        ("max_simultaneous_rented_vehicle", json!(11), json!(10)),
        ("min_battery_to_auto_lock", json!(0), json!(1)),
        ("min_battery_to_auto_lock", json!(51), json!(50)),
    ] {
        with(field, bad).await.fails(422, -11).names(field);
        with(field, good).await.ok();
    }
    let mut missing = rent_settings_body();
    missing
        .as_object_mut()
        .unwrap()
        .remove("min_battery_to_auto_lock");
    app.put(&path)
        .token(&admin)
        .json(missing)
        .send()
        .await
        .fails(400, -10)
        .names("min_battery_to_auto_lock");
    with("trip_on_hold", json!("yes"))
        .await
        .fails(400, -10)
        .names("trip_on_hold");
    let mut unknown = rent_settings_body();
    unknown["vehicle_stolen"] = json!(86400);
    app.put(&path)
        .token(&admin)
        .json(unknown)
        .send()
        .await
        .fails(400, -10)
        .names("vehicle_stolen");
}

#[tokio::test]
async fn rent_timings_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let path = format!("/dashboard/networks/{network}/rent-settings/timings");
    let with = |field: &str, value: i64| {
        let mut body = timings_body();
        body[field] = json!(value);
        app.put(&path).token(&admin).json(body).send()
    };
    for (field, min, max) in [
        ("trip_too_long_notifications", 3600, 604800),
        ("trip_too_long_notifications_frequency", 900, 604800),
        ("vehicle_stolen", 43200, 2592000),
        ("trip_auto_pause", 0, 604800),
        ("trip_max_pause", 0, 604800),
        ("trip_auto_lock", 0, 604800),
    ] {
        with(field, min - 1).await.fails(422, -11).names(field);
        with(field, max + 1).await.fails(422, -11).names(field);
        assert_eq!(with(field, min).await.ok()[field], min);
        assert_eq!(with(field, max).await.ok()[field], max);
    }
    let mut missing = timings_body();
    missing.as_object_mut().unwrap().remove("trip_auto_lock");
    app.put(&path)
        .token(&admin)
        .json(missing)
        .send()
        .await
        .fails(400, -10)
        .names("trip_auto_lock");
}

#[tokio::test]
async fn freefloat_reward_is_read_and_changed_field_by_field() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let path = format!("/dashboard/networks/{network}/freefloat-reward");
    let nothing = json!({
        "freefloat_to_station_discount_per_km": null,
        "freefloat_to_station_free_credits": null,
        "freefloat_to_receiver_station_free_credits": null,
        "freefloat_to_station_min_battery": null
    });
    assert_eq!(app.get(&path).token(&admin).send().await.ok(), &nothing);

    let set = app
        .patch(&path)
        .token(&admin)
        .json(json!({
            "freefloat_to_station_discount_per_km": 0.1,
            "freefloat_to_station_free_credits": "1.5",
            "freefloat_to_receiver_station_free_credits": 99999999,
            "freefloat_to_station_min_battery": 40
        }))
        .send()
        .await;
    let all = json!({
        "freefloat_to_station_discount_per_km": "0.10",
        "freefloat_to_station_free_credits": "1.50",
        "freefloat_to_receiver_station_free_credits": "99999999.00",
        "freefloat_to_station_min_battery": 40
    });
    assert_eq!(set.ok(), &all);
    assert_eq!(app.get(&path).token(&admin).send().await.ok(), &all);

    // Absent fields keep their value; null clears.
    let changed = app
        .patch(&path)
        .token(&admin)
        .json(json!({"freefloat_to_station_free_credits": null, "freefloat_to_station_min_battery": 0}))
        .send()
        .await;
    let mut expected = all.clone();
    expected["freefloat_to_station_free_credits"] = Value::Null;
    expected["freefloat_to_station_min_battery"] = json!(0);
    assert_eq!(changed.ok(), &expected);
    assert_eq!(app.get(&path).token(&admin).send().await.ok(), &expected);
    let unchanged = app.patch(&path).token(&admin).json(json!({})).send().await;
    assert_eq!(unchanged.ok(), &expected);

    let patch = |body| app.patch(&path).token(&admin).json(body).send();
    for field in [
        "freefloat_to_station_discount_per_km",
        "freefloat_to_station_free_credits",
        "freefloat_to_receiver_station_free_credits",
    ] {
        patch(json!({ field: -1 }))
            .await
            .fails(422, -11)
            .names(field);
        patch(json!({ field: "100000000" }))
            .await
            .fails(422, -11)
            .names(field);
        patch(json!({ field: "0.00001" }))
            .await
            .fails(422, -11)
            .names(field);
    }
    patch(json!({"freefloat_to_station_min_battery": 101}))
        .await
        .fails(422, -11)
        .names("freefloat_to_station_min_battery");
    patch(json!({"freefloat_to_station_min_battery": -1}))
        .await
        .fails(422, -11)
        .names("freefloat_to_station_min_battery");
    patch(json!({"freefloat_to_station_reward": 1}))
        .await
        .fails(400, -10)
        .names("freefloat_to_station_reward");
    assert_eq!(app.get(&path).token(&admin).send().await.ok(), &expected);
}

#[tokio::test]
async fn out_of_orders_are_set_and_updated() {
    let app = TestApp::new().await;
    let (admin_id, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let path = format!("/dashboard/networks/{network}/out-of-orders");

    let created = app
        .post(&path)
        .token(&admin)
        .json(json!({"type": "winter", "reason": "Snow", "start_date": "2026-12-01T00:00:00Z", "end_date": "2027-03-01T00:00:00+01:00"}))
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(created["type"], "winter");
    assert_eq!(created["reason"], "Snow");
    assert_eq!(created["network_id"], network);
    assert_eq!(created["created_by"], admin_id);
    assert_eq!(created["start_date"], "2026-12-01T00:00:00Z");
    assert_eq!(created["end_date"], "2027-02-28T23:00:00Z");
    let open_ended = app
        .post(&path)
        .token(&admin)
        .json(json!({"type": "other", "start_date": "2026-06-01T08:00:00Z"}))
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(open_ended["type"], "other");
    assert_eq!(open_ended["reason"], Value::Null);
    assert_eq!(open_ended["end_date"], Value::Null);

    let id = created["id"].as_i64().unwrap();
    let update = |body| {
        app.patch(&format!("/dashboard/out-of-orders/{id}"))
            .token(&admin)
            .json(body)
            .send()
    };
    let changed = update(json!({"reason": "Ice"})).await.ok().clone();
    assert_eq!(changed["reason"], "Ice");
    assert_eq!(changed["end_date"], "2027-02-28T23:00:00Z");
    let changed = update(json!({"end_date": null})).await.ok().clone();
    assert_eq!(changed["reason"], "Ice");
    assert_eq!(changed["end_date"], Value::Null);
    let changed = update(json!({"reason": null, "end_date": "2027-01-15T00:00:00Z"}))
        .await
        .ok()
        .clone();
    assert_eq!(changed["reason"], Value::Null);
    assert_eq!(changed["end_date"], "2027-01-15T00:00:00Z");
    let unchanged = update(json!({})).await.ok().clone();
    assert_eq!(unchanged["end_date"], "2027-01-15T00:00:00Z");
    assert_eq!(unchanged["type"], "winter");
    assert_eq!(unchanged["start_date"], "2026-12-01T00:00:00Z");

    // Persisted.
    let stored = relais_store::out_of_orders::get(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.reason, None);
    assert_eq!(stored.kind, "winter");
    assert_eq!(
        stored.end_date.map(|d| d.to_rfc3339()),
        Some("2027-01-15T00:00:00+00:00".to_owned())
    );

    app.patch("/dashboard/out-of-orders/9999")
        .token(&admin)
        .json(json!({"reason": "x"}))
        .send()
        .await
        .fails(404, -2);
    app.post("/dashboard/networks/9999/out-of-orders")
        .token(&admin)
        .json(json!({"type": "other", "start_date": "2026-06-01T08:00:00Z"}))
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn out_of_order_requests_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let path = format!("/dashboard/networks/{network}/out-of-orders");
    let set = |body| app.post(&path).token(&admin).json(body).send();
    let start = "2026-12-01T00:00:00Z";

    set(json!({"type": "summer", "start_date": start}))
        .await
        .fails(400, -10)
        .names("type");
    set(json!({"start_date": start}))
        .await
        .fails(400, -10)
        .names("type");
    set(json!({"type": "other"}))
        .await
        .fails(400, -10)
        .names("start_date");
    set(json!({"type": "other", "start_date": "tomorrow"}))
        .await
        .fails(400, -10)
        .names("start_date");
    set(json!({"type": "other", "start_date": start, "reason": ""}))
        .await
        .fails(422, -11)
        .names("reason");
    set(json!({"type": "other", "start_date": start, "reason": "r".repeat(101)}))
        .await
        .fails(422, -11)
        .names("reason");
    set(json!({"type": "other", "start_date": start, "end_date": start}))
        .await
        .fails(422, -11)
        .names("end_date");
    set(json!({"type": "other", "start_date": start, "end_date": "2026-11-30T00:00:00Z"}))
        .await
        .fails(422, -11)
        .names("end_date");
    set(json!({"type": "other", "start_date": start, "id": 4}))
        .await
        .fails(400, -10)
        .names("id");
    let accepted = set(
        json!({"type": "other", "start_date": start, "reason": "é".repeat(100), "end_date": null}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(accepted["end_date"], Value::Null);

    let id = accepted["id"].as_i64().unwrap();
    let update = |body| {
        app.patch(&format!("/dashboard/out-of-orders/{id}"))
            .token(&admin)
            .json(body)
            .send()
    };
    update(json!({"reason": ""}))
        .await
        .fails(422, -11)
        .names("reason");
    update(json!({"reason": "r".repeat(101)}))
        .await
        .fails(422, -11)
        .names("reason");
    update(json!({"end_date": "2026-11-30T00:00:00Z"}))
        .await
        .fails(422, -11)
        .names("end_date");
    update(json!({"start_date": "2026-11-30T00:00:00Z"}))
        .await
        .fails(400, -10)
        .names("start_date");
    app.patch("/dashboard/out-of-orders/0")
        .token(&admin)
        .json(json!({}))
        .send()
        .await
        .fails(422, -11)
        .names("id");
    let stored = relais_store::out_of_orders::get(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.reason, Some("é".repeat(100)));
    assert_eq!(stored.end_date, None);
}

#[tokio::test]
async fn settings_need_networks_manage_within_scope() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let unit = app.unit("Lyon unit", &[lyon]).await;
    let (_, none) = app.staff("none@relais.test", &[]).await;
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::NetworksManage, Some(unit), false)],
        )
        .await;
    let (_, writer) = app
        .staff(
            "writer@relais.test",
            &[(Permission::NetworksManage, Some(unit), true)],
        )
        .await;
    let paris_ooo = app
        .post(&format!("/dashboard/networks/{paris}/out-of-orders"))
        .token(&admin)
        .json(json!({"type": "other", "start_date": "2026-06-01T08:00:00Z"}))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    let lyon_ooo = app
        .post(&format!("/dashboard/networks/{lyon}/out-of-orders"))
        .token(&writer)
        .json(json!({"type": "other", "start_date": "2026-06-01T08:00:00Z"}))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();

    let reads = |network: i64| {
        [
            format!("/dashboard/networks/{network}/access-rules"),
            format!("/dashboard/networks/{network}/rent-settings"),
            format!("/dashboard/networks/{network}/freefloat-reward"),
        ]
    };
    for path in reads(lyon) {
        app.get(&path).token(&reader).send().await.ok();
        app.get(&path).token(&none).send().await.fails(403, -30);
        app.get(&path).send().await.fails(401, -20);
    }
    for path in reads(paris) {
        app.get(&path).token(&reader).send().await.fails(403, -31);
    }

    let writes = |network: i64| {
        vec![
            (
                "POST",
                format!("/dashboard/networks/{network}/access-rules"),
                json!({"organization": 1}),
            ),
            (
                "PUT",
                format!("/dashboard/networks/{network}/sponsorship"),
                json!({"sponsoring_reward": 1, "sponsored_reward": 1}),
            ),
            (
                "PUT",
                format!("/dashboard/networks/{network}/rent-settings"),
                rent_settings_body(),
            ),
            (
                "PUT",
                format!("/dashboard/networks/{network}/rent-settings/timings"),
                timings_body(),
            ),
            (
                "PATCH",
                format!("/dashboard/networks/{network}/freefloat-reward"),
                json!({"freefloat_to_station_min_battery": 10}),
            ),
            (
                "POST",
                format!("/dashboard/networks/{network}/out-of-orders"),
                json!({"type": "other", "start_date": "2026-06-01T08:00:00Z"}),
            ),
        ]
    };
    let send = |method: &str, path: &str, token: &str, body: Value| {
        let call = match method {
            "POST" => app.post(path),
            "PUT" => app.put(path),
            _ => app.patch(path),
        };
        call.token(token).json(body).send()
    };
    for (method, path, body) in writes(lyon) {
        send(method, &path, &reader, body.clone())
            .await
            .fails(403, -30);
        send(method, &path, &writer, body).await.ok();
    }
    for (method, path, body) in writes(paris) {
        send(method, &path, &writer, body).await.fails(403, -31);
    }

    // Access rules of a network out of scope can be neither changed nor deleted.
    let paris_rule = app
        .post(&rules(paris))
        .token(&admin)
        .json(json!({"organization": 1}))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    app.put(&format!("{}/{paris_rule}", rules(paris)))
        .token(&writer)
        .json(json!({"email_pattern": null, "organization": 2, "app_label": null}))
        .send()
        .await
        .fails(403, -31);
    app.delete(&format!("{}/{paris_rule}", rules(paris)))
        .token(&writer)
        .send()
        .await
        .fails(403, -31);
    // Nor reached through a network in scope.
    app.delete(&format!("{}/{paris_rule}", rules(lyon)))
        .token(&writer)
        .send()
        .await
        .fails(404, -2);

    // Out of orders changed by id: their network decides.
    app.patch(&format!("/dashboard/out-of-orders/{paris_ooo}"))
        .token(&writer)
        .json(json!({"reason": "x"}))
        .send()
        .await
        .fails(403, -31);
    app.patch(&format!("/dashboard/out-of-orders/{lyon_ooo}"))
        .token(&reader)
        .json(json!({"reason": "x"}))
        .send()
        .await
        .fails(403, -30);
    let changed = app
        .patch(&format!("/dashboard/out-of-orders/{lyon_ooo}"))
        .token(&writer)
        .json(json!({"reason": "x"}))
        .send()
        .await;
    assert_eq!(changed.ok()["reason"], "x");
    let stored = relais_store::out_of_orders::get(&app.db, paris_ooo)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.reason, None);
}

#[tokio::test]
async fn a_closed_network_keeps_its_settings_readable_but_refuses_changes() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let rid = app
        .post(&rules(network))
        .token(&admin)
        .json(json!({"organization": 1}))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    let ooo = app
        .post(&format!("/dashboard/networks/{network}/out-of-orders"))
        .token(&admin)
        .json(json!({"type": "other", "start_date": "2026-06-01T08:00:00Z"}))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    app.delete(&format!("/dashboard/networks/{network}"))
        .token(&admin)
        .send()
        .await
        .ok();

    for path in [
        rules(network),
        format!("/dashboard/networks/{network}/rent-settings"),
        format!("/dashboard/networks/{network}/freefloat-reward"),
    ] {
        app.get(&path).token(&admin).send().await.ok();
    }
    let refused = [
        app.post(&rules(network))
            .token(&admin)
            .json(json!({"organization": 1}))
            .send()
            .await,
        app.put(&format!("{}/{rid}", rules(network)))
            .token(&admin)
            .json(json!({"email_pattern": null, "organization": 2, "app_label": null}))
            .send()
            .await,
        app.delete(&format!("{}/{rid}", rules(network)))
            .token(&admin)
            .send()
            .await,
        app.put(&format!("/dashboard/networks/{network}/sponsorship"))
            .token(&admin)
            .json(json!({"sponsoring_reward": 1, "sponsored_reward": 1}))
            .send()
            .await,
        app.put(&format!("/dashboard/networks/{network}/rent-settings"))
            .token(&admin)
            .json(rent_settings_body())
            .send()
            .await,
        app.put(&format!(
            "/dashboard/networks/{network}/rent-settings/timings"
        ))
        .token(&admin)
        .json(timings_body())
        .send()
        .await,
        app.patch(&format!("/dashboard/networks/{network}/freefloat-reward"))
            .token(&admin)
            .json(json!({"freefloat_to_station_min_battery": 10}))
            .send()
            .await,
        app.patch(&format!("/dashboard/networks/{network}/freefloat-reward"))
            .token(&admin)
            .json(json!({}))
            .send()
            .await,
        app.post(&format!("/dashboard/networks/{network}/out-of-orders"))
            .token(&admin)
            .json(json!({"type": "other", "start_date": "2026-06-01T08:00:00Z"}))
            .send()
            .await,
        app.patch(&format!("/dashboard/out-of-orders/{ooo}"))
            .token(&admin)
            .json(json!({"reason": "x"}))
            .send()
            .await,
    ];
    for reply in &refused {
        reply.fails(409, -41);
    }
    let listed = app.get(&rules(network)).token(&admin).send().await;
    assert_eq!(listed.ok().as_array().unwrap().len(), 1);
    let stored = relais_store::networks::existing(&app.db, network)
        .await
        .unwrap();
    assert_eq!(stored.sponsoring_reward, 0);
    assert_eq!(stored.min_battery_to_rent, 20);
    assert_eq!(stored.vehicle_stolen, 172800);
    assert_eq!(stored.freefloat_to_station_min_battery, None);
}
