//! Seed group `Pricing`: the weekly pricing rules of each network.

use crate::common::TestApp;
use relais_domain::Permission;
use serde_json::{Value, json};

/// A rule body with fixed prices.
fn rule(network: i64, start_dow: i64, start_hod: &str, end_dow: i64, end_hod: &str) -> Value {
    json!({
        "start_dow": start_dow,
        "start_hod": start_hod,
        "end_dow": end_dow,
        "end_hod": end_hod,
        "unlock_price": 1,
        "unlock_included_time": 300,
        "freefloat_lock_price": 2.5,
        "use_per_minute_price": 0.25,
        "on_hold_price": 0.1,
        "network_id": network,
    })
}

async fn add(app: &TestApp, token: &str, body: Value) -> i64 {
    app.post("/dashboard/pricing")
        .token(token)
        .json(body)
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap()
}

async fn pricing(app: &TestApp, token: &str, networks: &str) -> Value {
    app.get(&format!("/dashboard/pricing?networks={networks}"))
        .token(token)
        .send()
        .await
        .ok()
        .clone()
}

/// The windows of the rules of the only network read, as `(id, start_dow, start_hod, end_dow, end_hod)`.
fn windows(read: &Value) -> Vec<(i64, i64, String, i64, String)> {
    read[0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["start_dow"].as_i64().unwrap(),
                r["start_hod"].as_str().unwrap().to_owned(),
                r["end_dow"].as_i64().unwrap(),
                r["end_hod"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_rule_is_added_read_updated_and_deleted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;

    let created = app
        .post("/dashboard/pricing")
        .token(&admin)
        .json(rule(network, 1, "7:00:00", 1, "20:00:00"))
        .send()
        .await;
    let created = created.ok().clone();
    let day = created["id"].as_i64().unwrap();
    assert_eq!(created["network_id"], network);
    assert_eq!(created["start_dow"], 1);
    assert_eq!(created["start_hod"], "07:00:00");
    assert_eq!(created["end_hod"], "20:00:00");
    assert_eq!(created["unlock_price"], "1.00");
    assert_eq!(created["unlock_included_time"], 300);
    assert_eq!(created["freefloat_lock_price"], "2.50");
    assert_eq!(created["use_per_minute_price"], "0.25");
    assert_eq!(created["on_hold_price"], "0.10");

    // Touching windows: Monday 20:00 to Tuesday 07:00 starts where the day rule ends.
    let mut night = rule(network, 1, "20:00:00", 2, "07:00:00");
    night["unlock_price"] = json!("1.5");
    night["use_per_minute_price"] = json!("0.4025");
    let night = add(&app, &admin, night).await;

    let read = pricing(&app, &admin, &network.to_string()).await;
    assert_eq!(read.as_array().unwrap().len(), 1);
    assert_eq!(read[0]["network_id"], network);
    assert_eq!(read[0]["currency"], "EUR");
    assert_eq!(read[0]["timezone"], "Europe/Paris");
    assert_eq!(
        windows(&read),
        vec![
            (day, 1, "07:00:00".into(), 1, "20:00:00".into()),
            (night, 1, "20:00:00".into(), 2, "07:00:00".into()),
        ]
    );
    assert_eq!(read[0]["rules"][1]["unlock_price"], "1.50");
    assert_eq!(read[0]["rules"][1]["use_per_minute_price"], "0.4025");

    // Update in place: the rule is not checked against itself.
    let mut changed = rule(network, 1, "06:30:00", 1, "20:00:00");
    changed["unlock_price"] = json!(0);
    changed["unlock_included_time"] = json!(0);
    changed["on_hold_price"] = json!("0.05");
    let updated = app
        .put(&format!("/dashboard/pricing/{day}"))
        .token(&admin)
        .json(changed)
        .send()
        .await;
    let updated = updated.ok().clone();
    assert_eq!(updated["id"], day);
    assert_eq!(updated["start_hod"], "06:30:00");
    let read = pricing(&app, &admin, &network.to_string()).await;
    let first = &read[0]["rules"][0];
    assert_eq!(first["id"], day);
    assert_eq!(first["start_hod"], "06:30:00");
    assert_eq!(first["unlock_price"], "0.00");
    assert_eq!(first["unlock_included_time"], 0);
    assert_eq!(first["on_hold_price"], "0.05");

    app.delete(&format!("/dashboard/pricing/{day}"))
        .token(&admin)
        .send()
        .await
        .ok();
    let read = pricing(&app, &admin, &network.to_string()).await;
    assert_eq!(
        windows(&read),
        vec![(night, 1, "20:00:00".into(), 2, "07:00:00".into())]
    );
    app.delete(&format!("/dashboard/pricing/{day}"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.put(&format!("/dashboard/pricing/{day}"))
        .token(&admin)
        .json(rule(network, 1, "07:00:00", 1, "20:00:00"))
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn the_whole_week_and_the_end_of_day_are_accepted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let week = add(&app, &admin, rule(network, 0, "00:00:00", 6, "24:00:00")).await;
    let read = pricing(&app, &admin, &network.to_string()).await;
    assert_eq!(
        windows(&read),
        vec![(week, 0, "00:00:00".into(), 6, "24:00:00".into())]
    );
    // The whole week overlaps everything.
    app.post("/dashboard/pricing")
        .token(&admin)
        .json(rule(network, 3, "12:00:00", 3, "12:00:01"))
        .send()
        .await
        .fails(409, -41)
        .names("start_dow");
}

#[tokio::test]
async fn every_constraint_is_checked_and_named() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let existing = add(&app, &admin, rule(network, 2, "07:00:00", 2, "20:00:00")).await;
    let with = |field: &str, value: Value| {
        let mut body = rule(network, 1, "07:00:00", 1, "20:00:00");
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = rule(network, 1, "07:00:00", 1, "20:00:00");
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let unprocessable: Vec<(Value, &str)> = vec![
        (with("start_hod", json!("25:00:00")), "start_hod"),
        (with("start_hod", json!("24:00:01")), "start_hod"),
        (with("start_hod", json!("07:00")), "start_hod"),
        (with("start_hod", json!("+7:00:00")), "start_hod"),
        (with("end_hod", json!("12:60:00")), "end_hod"),
        (with("start_dow", json!(7)), "start_dow"),
        (with("start_dow", json!(-1)), "start_dow"),
        (with("end_dow", json!(7)), "end_dow"),
        (with("unlock_price", json!(-1)), "unlock_price"),
        (
            with("freefloat_lock_price", json!("-0.01")),
            "freefloat_lock_price",
        ),
        (
            with("use_per_minute_price", json!(0.12345)),
            "use_per_minute_price",
        ),
        (with("on_hold_price", json!("0.00001")), "on_hold_price"),
        (
            with("unlock_included_time", json!(-1)),
            "unlock_included_time",
        ),
        (with("network_id", json!(0)), "network_id"),
        // A window ending where it starts is ambiguous.
        (with("end_hod", json!("07:00:00")), "end_hod"),
        (rule(network, 1, "24:00:00", 2, "00:00:00"), "end_hod"),
    ];
    for (body, field) in unprocessable {
        app.post("/dashboard/pricing")
            .token(&admin)
            .json(body.clone())
            .send()
            .await
            .fails(422, -11)
            .names(field);
        app.put(&format!("/dashboard/pricing/{existing}"))
            .token(&admin)
            .json(body)
            .send()
            .await
            .fails(422, -11)
            .names(field);
    }
    let malformed: Vec<(Value, &str)> = vec![
        (without("start_dow"), "start_dow"),
        (without("start_hod"), "start_hod"),
        (without("end_dow"), "end_dow"),
        (without("end_hod"), "end_hod"),
        (without("unlock_price"), "unlock_price"),
        (without("unlock_included_time"), "unlock_included_time"),
        (without("freefloat_lock_price"), "freefloat_lock_price"),
        (without("use_per_minute_price"), "use_per_minute_price"),
        (without("on_hold_price"), "on_hold_price"),
        (without("network_id"), "network_id"),
        (with("currency", json!("EUR")), "currency"),
        (with("start_hod", json!(7)), "start_hod"),
        (with("unlock_price", json!("one")), "unlock_price"),
        (
            with("unlock_included_time", json!(1.5)),
            "unlock_included_time",
        ),
    ];
    for (body, field) in malformed {
        app.post("/dashboard/pricing")
            .token(&admin)
            .json(body.clone())
            .send()
            .await
            .fails(400, -10)
            .names(field);
        app.put(&format!("/dashboard/pricing/{existing}"))
            .token(&admin)
            .json(body)
            .send()
            .await
            .fails(400, -10)
            .names(field);
    }
    app.post("/dashboard/pricing")
        .token(&admin)
        .json(rule(9999, 1, "07:00:00", 1, "20:00:00"))
        .send()
        .await
        .fails(404, -2)
        .names("network_id");
    // A rule stays on its network.
    let other = app.network("Paris").await;
    app.put(&format!("/dashboard/pricing/{existing}"))
        .token(&admin)
        .json(rule(other, 2, "07:00:00", 2, "20:00:00"))
        .send()
        .await
        .fails(422, -11)
        .names("network_id");
    app.put("/dashboard/pricing/0")
        .token(&admin)
        .json(rule(network, 2, "07:00:00", 2, "20:00:00"))
        .send()
        .await
        .fails(422, -11)
        .names("id");

    // Nothing was stored by the refusals.
    let read = pricing(&app, &admin, &network.to_string()).await;
    assert_eq!(
        windows(&read),
        vec![(existing, 2, "07:00:00".into(), 2, "20:00:00".into())]
    );

    // The query of "Get pricing".
    for (query, status, code) in [
        ("", 400, -10),
        ("?networks=", 400, -10),
        ("?networks=1,x", 400, -10),
        ("?networks=0", 422, -11),
        (&format!("?networks={network},{network}") as &str, 422, -11),
        ("?networks=9999", 404, -2),
    ] {
        app.get(&format!("/dashboard/pricing{query}"))
            .token(&admin)
            .send()
            .await
            .fails(status, code)
            .names("networks");
    }
}

#[tokio::test]
async fn overlapping_rules_are_refused_touching_ones_accepted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    // Saturday 22:00 to Monday 06:00 wraps over the end of the week.
    let weekend = add(&app, &admin, rule(network, 6, "22:00:00", 1, "06:00:00")).await;

    for (start_dow, start_hod, end_dow, end_hod) in [
        (0, "10:00:00", 0, "12:00:00"), // inside, on Sunday
        (6, "21:00:00", 6, "23:00:00"), // across its start
        (1, "05:59:59", 1, "12:00:00"), // across its end
        (5, "00:00:00", 2, "00:00:00"), // around it, itself wrapping
        (6, "23:00:00", 6, "24:00:00"), // ending at the end of the week
    ] {
        let refused = app
            .post("/dashboard/pricing")
            .token(&admin)
            .json(rule(network, start_dow, start_hod, end_dow, end_hod))
            .send()
            .await;
        refused.fails(409, -41).names("start_dow");
        let text = refused.body["message"]["text"].as_str().unwrap();
        assert!(text.contains(&format!("pricing rule {weekend}")), "{text}");
    }

    // Touching at either boundary is allowed.
    let monday = add(&app, &admin, rule(network, 1, "06:00:00", 1, "12:00:00")).await;
    let saturday = add(&app, &admin, rule(network, 6, "20:00:00", 6, "22:00:00")).await;
    // Another network's rules do not count.
    let other = app.network("Paris").await;
    add(&app, &admin, rule(other, 0, "00:00:00", 6, "24:00:00")).await;

    // An update that would overlap another rule is refused, naming it.
    let refused = app
        .put(&format!("/dashboard/pricing/{monday}"))
        .token(&admin)
        .json(rule(network, 1, "05:00:00", 1, "12:00:00"))
        .send()
        .await;
    refused.fails(409, -41).names("start_dow");
    let text = refused.body["message"]["text"].as_str().unwrap();
    assert!(text.contains(&format!("pricing rule {weekend}")), "{text}");
    // Updating within its own window, or growing into free time, is accepted.
    app.put(&format!("/dashboard/pricing/{monday}"))
        .token(&admin)
        .json(rule(network, 1, "06:00:00", 1, "12:00:00"))
        .send()
        .await
        .ok();
    app.put(&format!("/dashboard/pricing/{monday}"))
        .token(&admin)
        .json(rule(network, 1, "06:00:00", 1, "18:00:00"))
        .send()
        .await
        .ok();

    let read = pricing(&app, &admin, &network.to_string()).await;
    assert_eq!(
        windows(&read),
        vec![
            (monday, 1, "06:00:00".into(), 1, "18:00:00".into()),
            (saturday, 6, "20:00:00".into(), 6, "22:00:00".into()),
            (weekend, 6, "22:00:00".into(), 1, "06:00:00".into()),
        ]
    );
}

#[tokio::test]
async fn rules_are_read_for_several_networks() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let empty = app.network("Nantes").await;
    let lyon_rule = add(&app, &admin, rule(lyon, 1, "07:00:00", 1, "20:00:00")).await;
    let paris_late = add(&app, &admin, rule(paris, 5, "07:00:00", 5, "20:00:00")).await;
    let paris_early = add(&app, &admin, rule(paris, 0, "07:00:00", 0, "20:00:00")).await;

    let read = pricing(&app, &admin, &format!("{paris},{empty},{lyon}")).await;
    let read = read.as_array().unwrap();
    assert_eq!(read.len(), 3);
    assert_eq!(read[0]["network_id"], paris);
    let ids = |entry: &Value| -> Vec<i64> {
        entry["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(&read[0]), vec![paris_early, paris_late]);
    assert_eq!(read[1]["network_id"], empty);
    assert_eq!(ids(&read[1]), Vec::<i64>::new());
    assert_eq!(read[2]["network_id"], lyon);
    assert_eq!(ids(&read[2]), vec![lyon_rule]);
    assert!(
        read[0]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["network_id"] == paris)
    );
}

#[tokio::test]
async fn pricing_is_limited_to_the_callers_networks() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let mine = app.network("Lyon").await;
    let theirs = app.network("Paris").await;
    let unit = app.unit("Lyon", &[mine]).await;
    let (_, staff) = app
        .staff(
            "manager@relais.test",
            &[(Permission::NetworksManage, Some(unit), true)],
        )
        .await;
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::NetworksManage, Some(unit), false)],
        )
        .await;
    let (_, nobody) = app.staff("nobody@relais.test", &[]).await;

    let their_rule = add(&app, &admin, rule(theirs, 1, "07:00:00", 1, "20:00:00")).await;
    let my_rule = add(&app, &staff, rule(mine, 1, "07:00:00", 1, "20:00:00")).await;

    // In the body.
    app.post("/dashboard/pricing")
        .token(&staff)
        .json(rule(theirs, 2, "07:00:00", 2, "20:00:00"))
        .send()
        .await
        .fails(403, -31)
        .names("network_id");
    // In the query.
    for networks in [format!("{theirs}"), format!("{mine},{theirs}")] {
        app.get(&format!("/dashboard/pricing?networks={networks}"))
            .token(&staff)
            .send()
            .await
            .fails(403, -31)
            .names("networks");
    }
    // By the rule's own id.
    app.put(&format!("/dashboard/pricing/{their_rule}"))
        .token(&staff)
        .json(rule(theirs, 1, "08:00:00", 1, "20:00:00"))
        .send()
        .await
        .fails(403, -31);
    app.delete(&format!("/dashboard/pricing/{their_rule}"))
        .token(&staff)
        .send()
        .await
        .fails(403, -31);
    // Their rule is untouched.
    let read = pricing(&app, &admin, &theirs.to_string()).await;
    assert_eq!(
        windows(&read),
        vec![(their_rule, 1, "07:00:00".into(), 1, "20:00:00".into())]
    );

    // Within the scope: read, update, delete.
    let read = pricing(&app, &reader, &mine.to_string()).await;
    assert_eq!(
        windows(&read),
        vec![(my_rule, 1, "07:00:00".into(), 1, "20:00:00".into())]
    );
    app.put(&format!("/dashboard/pricing/{my_rule}"))
        .token(&staff)
        .json(rule(mine, 1, "08:00:00", 1, "20:00:00"))
        .send()
        .await
        .ok();

    // Reading is not writing; no permission is nothing.
    app.post("/dashboard/pricing")
        .token(&reader)
        .json(rule(mine, 3, "07:00:00", 3, "20:00:00"))
        .send()
        .await
        .fails(403, -30);
    app.delete(&format!("/dashboard/pricing/{my_rule}"))
        .token(&reader)
        .send()
        .await
        .fails(403, -30);
    app.get(&format!("/dashboard/pricing?networks={mine}"))
        .token(&nobody)
        .send()
        .await
        .fails(403, -30);
    app.get(&format!("/dashboard/pricing?networks={mine}"))
        .send()
        .await
        .fails(401, -20);

    app.delete(&format!("/dashboard/pricing/{my_rule}"))
        .token(&staff)
        .send()
        .await
        .ok();
    let read = pricing(&app, &staff, &mine.to_string()).await;
    assert_eq!(read[0]["rules"], json!([]));
}

#[tokio::test]
async fn a_closed_network_keeps_its_rules_but_refuses_changes() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let kept = add(&app, &admin, rule(network, 1, "07:00:00", 1, "20:00:00")).await;
    app.delete(&format!("/dashboard/networks/{network}"))
        .token(&admin)
        .send()
        .await
        .ok();

    app.post("/dashboard/pricing")
        .token(&admin)
        .json(rule(network, 2, "07:00:00", 2, "20:00:00"))
        .send()
        .await
        .fails(409, -41);
    app.put(&format!("/dashboard/pricing/{kept}"))
        .token(&admin)
        .json(rule(network, 1, "08:00:00", 1, "20:00:00"))
        .send()
        .await
        .fails(409, -41);
    app.delete(&format!("/dashboard/pricing/{kept}"))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);

    let read = pricing(&app, &admin, &network.to_string()).await;
    assert_eq!(
        windows(&read),
        vec![(kept, 1, "07:00:00".into(), 1, "20:00:00".into())]
    );
}
