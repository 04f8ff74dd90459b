//! Seed group `Networks`: vehicle model settings and guarantees, speed settings, reset, and the
//! command outbox they feed.

use crate::common::{Reply, TestApp};
use chrono::Utc;
use relais_domain::Permission;
use relais_store::entity::vehicle_command;
use relais_store::network_vehicles::{self as outbox, MAX_ATTEMPTS};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

const BOUNDARY: &str = "relais-test-boundary-7MA4YWxk";

/// A `multipart/form-data` body of text fields.
fn form(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    (
        format!("multipart/form-data; boundary={BOUNDARY}"),
        body.into_bytes(),
    )
}

async fn put_form(app: &TestApp, token: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
    let (content_type, body) = form(fields);
    app.put(path)
        .token(token)
        .raw(&content_type, body)
        .send()
        .await
}

fn settings_path(network: i64, model: i64) -> String {
    format!("/dashboard/networks/{network}/vehicle-model-settings/{model}")
}

fn guarantees_path(network: i64, model: i64) -> String {
    format!("/dashboard/networks/{network}/vehicle-model-guarantees/{model}")
}

fn speeds_path(network: i64) -> String {
    format!("/dashboard/networks/{network}/vehicle-speed-settings")
}

fn reset_path(network: i64) -> String {
    format!("/dashboard/networks/{network}/vehicles/reset-settings")
}

const SPEEDS: [(&str, &str); 5] = [
    ("default_low_speed", "10"),
    ("default_medium_speed", "20"),
    ("default_high_speed", "30"),
    ("min_battery_to_slow_down", "15"),
    ("battery_slow_down_speed", "12"),
];

/// The speed fields with `changes` applied: a new value, or `None` to leave the field out.
fn speeds_with(changes: &[(&str, Option<&'static str>)]) -> Vec<(&'static str, &'static str)> {
    SPEEDS
        .iter()
        .filter_map(
            |&(name, value)| match changes.iter().find(|(changed, _)| *changed == name) {
                Some((_, Some(new))) => Some((name, *new)),
                Some((_, None)) => None,
                None => Some((name, value)),
            },
        )
        .collect()
}

/// The identifier of the catalogue's model `name`.
async fn model(app: &TestApp, name: &str) -> i64 {
    relais_store::reference::vehicle_models(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("model {name}"))
        .id
}

/// A vehicle made directly in the store, in service or decommissioned.
async fn vehicle(app: &TestApp, serial: &str, network: i64, model: i64, in_service: bool) -> i64 {
    relais_store::entity::vehicle::ActiveModel {
        serial: Set(serial.into()),
        network_id: Set(network),
        model_id: Set(model),
        created_at: Set(Utc::now()),
        decommissioned_at: Set((!in_service).then(Utc::now)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("vehicle")
    .id
}

/// The commands of a vehicle, oldest first.
async fn commands(app: &TestApp, vehicle: i64) -> Vec<vehicle_command::Model> {
    outbox::vehicle_commands(&app.db, vehicle).await.unwrap()
}

fn payload(command: &vehicle_command::Model) -> Value {
    serde_json::from_str(&command.payload).expect("JSON payload")
}

fn states(commands: &[vehicle_command::Model]) -> Vec<(&str, &str)> {
    commands
        .iter()
        .map(|c| (c.command.as_str(), c.state.as_str()))
        .collect()
}

#[tokio::test]
async fn model_settings_are_stored_listed_and_sent_to_the_vehicles_of_that_model() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let paris = app.network("Paris").await;
    let lyon = app.network("Lyon").await;
    let bike = model(&app, "Relais City Bike").await;
    let scooter = model(&app, "Okai ES400").await;
    let b1 = vehicle(&app, "B1", paris, bike, true).await;
    let b2 = vehicle(&app, "B2", paris, bike, true).await;
    let retired = vehicle(&app, "B3", paris, bike, false).await;
    let s1 = vehicle(&app, "S1", paris, scooter, true).await;
    let elsewhere = vehicle(&app, "B4", lyon, bike, true).await;

    let list = |network: i64| {
        app.get(&format!(
            "/dashboard/networks/{network}/vehicle-model-settings"
        ))
        .token(&admin)
        .send()
    };
    assert_eq!(list(paris).await.ok(), &json!([]));

    put_form(
        &app,
        &admin,
        &settings_path(paris, bike),
        &[("auto_light", "true"), ("speed_mode", "2")],
    )
    .await
    .ok();
    let listed = list(paris).await.ok().clone();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["model_id"], bike);
    assert_eq!(listed[0]["model_name"], "Relais City Bike");
    assert_eq!(listed[0]["auto_light"], true);
    assert_eq!(listed[0]["speed_mode"], 2);
    assert!(listed[0]["updated_at"].is_string());
    assert_eq!(list(lyon).await.ok(), &json!([]));

    // One command per vehicle of that model in service on that network.
    for v in [b1, b2] {
        let queued = commands(&app, v).await;
        assert_eq!(states(&queued), [("apply-settings", "pending")]);
        assert_eq!(
            payload(&queued[0]),
            json!({"auto_light": true, "speed_mode": 2})
        );
        assert_eq!(queued[0].attempts, 0);
        assert!(queued[0].delivered_at.is_none());
    }
    for v in [retired, s1, elsewhere] {
        assert!(commands(&app, v).await.is_empty(), "vehicle {v}");
    }

    // A new change supersedes the undelivered command; null is an empty field or `null`.
    put_form(
        &app,
        &admin,
        &settings_path(paris, bike),
        &[("auto_light", "false"), ("speed_mode", "")],
    )
    .await
    .ok();
    let queued = commands(&app, b1).await;
    assert_eq!(
        states(&queued),
        [
            ("apply-settings", "superseded"),
            ("apply-settings", "pending")
        ]
    );
    assert_eq!(
        payload(&queued[1]),
        json!({"auto_light": false, "speed_mode": null})
    );
    put_form(
        &app,
        &admin,
        &settings_path(paris, scooter),
        &[("auto_light", "true"), ("speed_mode", "null")],
    )
    .await
    .ok();
    let listed = list(paris).await.ok().clone();
    assert_eq!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (
                m["model_name"].clone(),
                m["auto_light"].clone(),
                m["speed_mode"].clone()
            ))
            .collect::<Vec<_>>(),
        [
            (json!("Okai ES400"), json!(true), Value::Null),
            (json!("Relais City Bike"), json!(false), Value::Null),
        ]
    );
    assert_eq!(
        states(&commands(&app, s1).await),
        [("apply-settings", "pending")]
    );
    // The bike's pending command is not superseded by the scooter's change.
    assert_eq!(
        states(&commands(&app, b2).await),
        [
            ("apply-settings", "superseded"),
            ("apply-settings", "pending")
        ]
    );
}

#[tokio::test]
async fn model_guarantees_are_stored_and_listed_without_commands() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let paris = app.network("Paris").await;
    let bike = model(&app, "Relais City Bike").await;
    let scooter = model(&app, "Segway Ninebot Max G30").await;
    let v = vehicle(&app, "S1", paris, scooter, true).await;
    let list = || {
        app.get(&format!(
            "/dashboard/networks/{paris}/vehicle-model-guarantees"
        ))
        .token(&admin)
        .send()
    };
    assert_eq!(list().await.ok(), &json!([]));

    put_form(
        &app,
        &admin,
        &guarantees_path(paris, scooter),
        &[("guarantee", "300"), ("pre_auth", "49.9")],
    )
    .await
    .ok();
    let listed = list().await.ok().clone();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["model_id"], scooter);
    assert_eq!(listed[0]["model_name"], "Segway Ninebot Max G30");
    assert_eq!(listed[0]["guarantee"], "300.00");
    assert_eq!(listed[0]["pre_auth"], "49.90");
    assert!(commands(&app, v).await.is_empty());

    // Guarantees and settings share a row but not a list.
    let settings = app
        .get(&format!(
            "/dashboard/networks/{paris}/vehicle-model-settings"
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(settings.ok(), &json!([]));
    put_form(
        &app,
        &admin,
        &settings_path(paris, scooter),
        &[("auto_light", "true"), ("speed_mode", "1")],
    )
    .await
    .ok();
    put_form(
        &app,
        &admin,
        &guarantees_path(paris, scooter),
        &[("guarantee", "0"), ("pre_auth", "12.3456")],
    )
    .await
    .ok();
    put_form(
        &app,
        &admin,
        &guarantees_path(paris, bike),
        &[("guarantee", "150.5"), ("pre_auth", "0")],
    )
    .await
    .ok();
    let listed = list().await.ok().clone();
    assert_eq!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (
                m["model_id"].as_i64().unwrap(),
                m["guarantee"].clone(),
                m["pre_auth"].clone()
            ))
            .collect::<Vec<_>>(),
        [
            (bike, json!("150.50"), json!("0.00")),
            (scooter, json!("0.00"), json!("12.3456")),
        ]
    );
    // Setting guarantees kept the settings.
    let settings = app
        .get(&format!(
            "/dashboard/networks/{paris}/vehicle-model-settings"
        ))
        .token(&admin)
        .send()
        .await;
    let settings = settings.ok();
    assert_eq!(settings[0]["speed_mode"], 1);
    assert_eq!(settings.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn speed_settings_are_read_updated_and_sent_to_every_vehicle_in_service() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let paris = app.network("Paris").await;
    let lyon = app.network("Lyon").await;
    let bike = model(&app, "Relais City Bike").await;
    let scooter = model(&app, "Okai ES400").await;
    let b1 = vehicle(&app, "B1", paris, bike, true).await;
    let s1 = vehicle(&app, "S1", paris, scooter, true).await;
    let retired = vehicle(&app, "S2", paris, scooter, false).await;
    let elsewhere = vehicle(&app, "L1", lyon, bike, true).await;

    let get = |network: i64| app.get(&speeds_path(network)).token(&admin).send();
    assert_eq!(
        get(paris).await.ok(),
        &json!({"default_low_speed": 15, "default_medium_speed": 20, "default_high_speed": 25,
                "min_battery_to_slow_down": null, "battery_slow_down_speed": null})
    );

    put_form(&app, &admin, &speeds_path(paris), &SPEEDS)
        .await
        .ok();
    let expected = json!({"default_low_speed": 10, "default_medium_speed": 20, "default_high_speed": 30,
                          "min_battery_to_slow_down": 15, "battery_slow_down_speed": 12});
    assert_eq!(get(paris).await.ok(), &expected);
    assert_eq!(get(lyon).await.ok()["default_low_speed"], 15);
    for v in [b1, s1] {
        let queued = commands(&app, v).await;
        assert_eq!(states(&queued), [("apply-speed-settings", "pending")]);
        assert_eq!(payload(&queued[0]), expected);
    }
    assert!(commands(&app, retired).await.is_empty());
    assert!(commands(&app, elsewhere).await.is_empty());

    // Equal speeds are allowed; no slow down is both null.
    put_form(
        &app,
        &admin,
        &speeds_path(paris),
        &[
            ("default_low_speed", "25"),
            ("default_medium_speed", "25"),
            ("default_high_speed", "45"),
            ("min_battery_to_slow_down", ""),
            ("battery_slow_down_speed", "null"),
        ],
    )
    .await
    .ok();
    let expected = json!({"default_low_speed": 25, "default_medium_speed": 25, "default_high_speed": 45,
                          "min_battery_to_slow_down": null, "battery_slow_down_speed": null});
    assert_eq!(get(paris).await.ok(), &expected);
    let queued = commands(&app, b1).await;
    assert_eq!(
        states(&queued),
        [
            ("apply-speed-settings", "superseded"),
            ("apply-speed-settings", "pending")
        ]
    );
    assert_eq!(payload(&queued[1]), expected);

    app.get(&speeds_path(999_999))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn speed_settings_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let paris = app.network("Paris").await;
    let path = speeds_path(paris);
    let refused = [
        (vec![("default_low_speed", Some("0"))], "default_low_speed"),
        (
            vec![("default_high_speed", Some("46"))],
            "default_high_speed",
        ),
        (
            vec![("default_low_speed", Some("21"))],
            "default_medium_speed",
        ),
        (
            vec![("default_medium_speed", Some("31"))],
            "default_high_speed",
        ),
        (
            vec![("min_battery_to_slow_down", Some("101"))],
            "min_battery_to_slow_down",
        ),
        (
            vec![("min_battery_to_slow_down", Some("-1"))],
            "min_battery_to_slow_down",
        ),
        (
            vec![("battery_slow_down_speed", Some("0"))],
            "battery_slow_down_speed",
        ),
        (
            vec![("battery_slow_down_speed", Some("46"))],
            "battery_slow_down_speed",
        ),
        (
            vec![("battery_slow_down_speed", Some(""))],
            "battery_slow_down_speed",
        ),
        (
            vec![("min_battery_to_slow_down", Some("null"))],
            "min_battery_to_slow_down",
        ),
    ];
    for (changes, field) in refused {
        put_form(&app, &admin, &path, &speeds_with(&changes))
            .await
            .fails(422, -11)
            .names(field);
    }
    let malformed = [
        (vec![("default_low_speed", None)], "default_low_speed"),
        (
            vec![("min_battery_to_slow_down", None)],
            "min_battery_to_slow_down",
        ),
        (
            vec![("battery_slow_down_speed", None)],
            "battery_slow_down_speed",
        ),
        (
            vec![("default_medium_speed", Some("fast"))],
            "default_medium_speed",
        ),
        (
            vec![("default_high_speed", Some("30.5"))],
            "default_high_speed",
        ),
        (vec![("default_low_speed", Some(""))], "default_low_speed"),
    ];
    for (changes, field) in malformed {
        put_form(&app, &admin, &path, &speeds_with(&changes))
            .await
            .fails(400, -10)
            .names(field);
    }
    let mut unknown = SPEEDS.to_vec();
    unknown.push(("turbo", "1"));
    put_form(&app, &admin, &path, &unknown)
        .await
        .fails(400, -10)
        .names("turbo");
    // Nothing changed.
    let speeds = app.get(&path).token(&admin).send().await;
    assert_eq!(speeds.ok()["default_low_speed"], 15);
}

/// Form fields, the status they are refused with, and the field named.
type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);

#[tokio::test]
async fn multipart_bodies_are_parsed_and_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let paris = app.network("Paris").await;
    let bike = model(&app, "Relais City Bike").await;
    let path = settings_path(paris, bike);

    // Not multipart: 415, whatever the content.
    app.put(&path)
        .token(&admin)
        .json(json!({"auto_light": true, "speed_mode": 1}))
        .send()
        .await
        .fails(415, -12);
    app.put(&path)
        .token(&admin)
        .raw(
            "application/x-www-form-urlencoded",
            "auto_light=true&speed_mode=1",
        )
        .send()
        .await
        .fails(415, -12);
    app.put(&path).token(&admin).send().await.fails(415, -12);
    // Multipart without a boundary.
    app.put(&path)
        .token(&admin)
        .raw("multipart/form-data", "auto_light=true")
        .send()
        .await
        .fails(400, -10);

    let cases: [Case; 8] = [
        (
            &[("auto_light", "yes"), ("speed_mode", "1")],
            400,
            "auto_light",
        ),
        (
            &[("auto_light", ""), ("speed_mode", "1")],
            400,
            "auto_light",
        ),
        (&[("speed_mode", "1")], 400, "auto_light"),
        (&[("auto_light", "true")], 400, "speed_mode"),
        (
            &[("auto_light", "true"), ("speed_mode", "eco")],
            400,
            "speed_mode",
        ),
        (
            &[
                ("auto_light", "true"),
                ("speed_mode", "1"),
                ("speed_mode", "2"),
            ],
            400,
            "speed_mode",
        ),
        (
            &[("auto_light", "true"), ("speed_mode", "4")],
            422,
            "speed_mode",
        ),
        (
            &[("auto_light", "true"), ("speed_mode", "0")],
            422,
            "speed_mode",
        ),
    ];
    for (fields, status, field) in cases {
        let code = if status == 400 { -10 } else { -11 };
        put_form(&app, &admin, &path, fields)
            .await
            .fails(status, code)
            .names(field);
    }

    // A file part is refused, naming it.
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"auto_light\"\r\n\r\ntrue\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"speed_mode\"; filename=\"mode.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n1\r\n--{BOUNDARY}--\r\n"
    );
    app.put(&path)
        .token(&admin)
        .raw(&format!("multipart/form-data; boundary={BOUNDARY}"), body)
        .send()
        .await
        .fails(400, -10)
        .names("speed_mode");

    let gpath = guarantees_path(paris, bike);
    let cases: [Case; 6] = [
        (&[("guarantee", "-1"), ("pre_auth", "0")], 422, "guarantee"),
        (
            &[("guarantee", "1"), ("pre_auth", "-0.01")],
            422,
            "pre_auth",
        ),
        (
            &[("guarantee", "1.00001"), ("pre_auth", "0")],
            422,
            "guarantee",
        ),
        (&[("guarantee", "ten"), ("pre_auth", "0")], 400, "guarantee"),
        (&[("guarantee", "1")], 400, "pre_auth"),
        (&[("guarantee", ""), ("pre_auth", "0")], 400, "guarantee"),
    ];
    for (fields, status, field) in cases {
        let code = if status == 400 { -10 } else { -11 };
        put_form(&app, &admin, &gpath, fields)
            .await
            .fails(status, code)
            .names(field);
    }

    // Nothing was stored by the refused requests.
    for list in ["vehicle-model-settings", "vehicle-model-guarantees"] {
        let reply = app
            .get(&format!("/dashboard/networks/{paris}/{list}"))
            .token(&admin)
            .send()
            .await;
        assert_eq!(reply.ok(), &json!([]));
    }

    // Unknown model or network; invalid identifiers in the path.
    let fields = [("auto_light", "true"), ("speed_mode", "1")];
    put_form(&app, &admin, &settings_path(paris, 999_999), &fields)
        .await
        .fails(404, -2)
        .names("model_id");
    put_form(
        &app,
        &admin,
        &guarantees_path(paris, 999_999),
        &[("guarantee", "1"), ("pre_auth", "1")],
    )
    .await
    .fails(404, -2)
    .names("model_id");
    put_form(&app, &admin, &settings_path(999_999, bike), &fields)
        .await
        .fails(404, -2);
    put_form(&app, &admin, &settings_path(paris, 0), &fields)
        .await
        .fails(422, -11)
        .names("model_id");
    put_form(
        &app,
        &admin,
        &format!("/dashboard/networks/{paris}/vehicle-model-settings/x"),
        &fields,
    )
    .await
    .fails(400, -10)
    .names("model_id");
}

#[tokio::test]
async fn a_reset_sends_the_full_settings_to_every_vehicle_in_service() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let paris = app.network("Paris").await;
    let lyon = app.network("Lyon").await;
    let bike = model(&app, "Relais City Bike").await;
    let scooter = model(&app, "Okai ES400").await;
    let b1 = vehicle(&app, "B1", paris, bike, true).await;
    let s1 = vehicle(&app, "S1", paris, scooter, true).await;
    let retired = vehicle(&app, "S2", paris, scooter, false).await;
    let elsewhere = vehicle(&app, "L1", lyon, bike, true).await;

    put_form(
        &app,
        &admin,
        &settings_path(paris, bike),
        &[("auto_light", "true"), ("speed_mode", "3")],
    )
    .await
    .ok();
    put_form(&app, &admin, &speeds_path(paris), &SPEEDS)
        .await
        .ok();

    let reply = app.post(&reset_path(paris)).token(&admin).send().await;
    assert_eq!(reply.ok(), &json!({"queued": 2}));

    let speeds = json!({"default_low_speed": 10, "default_medium_speed": 20, "default_high_speed": 30,
                        "min_battery_to_slow_down": 15, "battery_slow_down_speed": 12});
    let with = |auto_light: bool, speed_mode: Value| {
        let mut p = speeds.clone();
        p["auto_light"] = json!(auto_light);
        p["speed_mode"] = speed_mode;
        p
    };
    // The reset carries everything: it supersedes the settings commands not delivered yet.
    let queued = commands(&app, b1).await;
    assert_eq!(
        states(&queued),
        [
            ("apply-settings", "superseded"),
            ("apply-speed-settings", "superseded"),
            ("reset-settings", "pending"),
        ]
    );
    assert_eq!(payload(&queued[2]), with(true, json!(3)));
    // A model without settings on the network: no automatic light, speed mode not blocked.
    let queued = commands(&app, s1).await;
    assert_eq!(
        states(&queued),
        [
            ("apply-speed-settings", "superseded"),
            ("reset-settings", "pending")
        ]
    );
    assert_eq!(payload(&queued[1]), with(false, Value::Null));
    assert!(commands(&app, retired).await.is_empty());
    assert!(commands(&app, elsewhere).await.is_empty());

    // A second reset supersedes the first; a network without vehicles queues nothing.
    let reply = app.post(&reset_path(paris)).token(&admin).send().await;
    assert_eq!(reply.ok(), &json!({"queued": 2}));
    assert_eq!(
        states(&commands(&app, s1).await),
        [
            ("apply-speed-settings", "superseded"),
            ("reset-settings", "superseded"),
            ("reset-settings", "pending"),
        ]
    );
    let empty = app.network("Nice").await;
    let reply = app.post(&reset_path(empty)).token(&admin).send().await;
    assert_eq!(reply.ok(), &json!({"queued": 0}));
    app.post(&reset_path(999_999))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn permission_and_scope_are_enforced() {
    let app = TestApp::new().await;
    let paris = app.network("Paris").await;
    let lyon = app.network("Lyon").await;
    let bike = model(&app, "Relais City Bike").await;
    let unit = app.unit("Paris area", &[paris]).await;
    let (_, writer) = app
        .staff(
            "writer@relais.test",
            &[(Permission::VehiclesManage, Some(unit), true)],
        )
        .await;
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::VehiclesManage, Some(unit), false)],
        )
        .await;
    let (_, other) = app
        .staff(
            "other@relais.test",
            &[(Permission::NetworksManage, None, true)],
        )
        .await;
    let settings = [("auto_light", "true"), ("speed_mode", "1")];
    let guarantees = [("guarantee", "1"), ("pre_auth", "1")];

    // Within the scope, with write: everything answers.
    put_form(&app, &writer, &settings_path(paris, bike), &settings)
        .await
        .ok();
    put_form(&app, &writer, &guarantees_path(paris, bike), &guarantees)
        .await
        .ok();
    put_form(&app, &writer, &speeds_path(paris), &SPEEDS)
        .await
        .ok();
    app.post(&reset_path(paris))
        .token(&writer)
        .send()
        .await
        .ok();
    let reads = |network: i64| {
        [
            format!("/dashboard/networks/{network}/vehicle-model-settings"),
            format!("/dashboard/networks/{network}/vehicle-model-guarantees"),
            speeds_path(network),
        ]
    };
    for path in reads(paris) {
        app.get(&path).token(&reader).send().await.ok();
        app.get(&path).token(&writer).send().await.ok();
        app.get(&path).token(&other).send().await.fails(403, -30);
    }

    // Outside the scope: -31, reads and changes.
    for path in reads(lyon) {
        app.get(&path).token(&reader).send().await.fails(403, -31);
    }
    put_form(&app, &writer, &settings_path(lyon, bike), &settings)
        .await
        .fails(403, -31);
    put_form(&app, &writer, &guarantees_path(lyon, bike), &guarantees)
        .await
        .fails(403, -31);
    put_form(&app, &writer, &speeds_path(lyon), &SPEEDS)
        .await
        .fails(403, -31);
    app.post(&reset_path(lyon))
        .token(&writer)
        .send()
        .await
        .fails(403, -31);

    // Without write, or without the permission: -30.
    for token in [&reader, &other] {
        put_form(&app, token, &settings_path(paris, bike), &settings)
            .await
            .fails(403, -30);
        put_form(&app, token, &guarantees_path(paris, bike), &guarantees)
            .await
            .fails(403, -30);
        put_form(&app, token, &speeds_path(paris), &SPEEDS)
            .await
            .fails(403, -30);
        app.post(&reset_path(paris))
            .token(token)
            .send()
            .await
            .fails(403, -30);
    }
    app.get(&speeds_path(paris)).send().await.fails(401, -20);

    // Nothing changed on Lyon.
    let (_, admin) = app.admin().await;
    let reply = app.get(&speeds_path(lyon)).token(&admin).send().await;
    assert_eq!(reply.ok()["default_low_speed"], 15);
}

#[tokio::test]
async fn a_closed_network_refuses_every_change() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let paris = app.network("Paris").await;
    let bike = model(&app, "Relais City Bike").await;
    let v = vehicle(&app, "B1", paris, bike, true).await;
    relais_store::networks::close(&app.db, paris, Utc::now())
        .await
        .unwrap();

    put_form(
        &app,
        &admin,
        &settings_path(paris, bike),
        &[("auto_light", "true"), ("speed_mode", "1")],
    )
    .await
    .fails(409, -41);
    put_form(
        &app,
        &admin,
        &guarantees_path(paris, bike),
        &[("guarantee", "1"), ("pre_auth", "1")],
    )
    .await
    .fails(409, -41);
    put_form(&app, &admin, &speeds_path(paris), &SPEEDS)
        .await
        .fails(409, -41);
    app.post(&reset_path(paris))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);
    assert!(commands(&app, v).await.is_empty());

    // Reading is still possible.
    let speeds = app.get(&speeds_path(paris)).token(&admin).send().await;
    assert_eq!(speeds.ok()["default_low_speed"], 15);
    let settings = app
        .get(&format!(
            "/dashboard/networks/{paris}/vehicle-model-settings"
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(settings.ok(), &json!([]));
}

/// New speed settings for `network` and settings for `model`: one command of each per vehicle.
async fn send_speeds_and_settings(app: &TestApp, admin: &str, network: i64, model: i64) {
    put_form(app, admin, &speeds_path(network), &SPEEDS)
        .await
        .ok();
    put_form(
        app,
        admin,
        &settings_path(network, model),
        &[("auto_light", "true"), ("speed_mode", "")],
    )
    .await
    .ok();
}

#[tokio::test]
async fn the_outbox_hands_pending_commands_out_and_records_deliveries() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let paris = app.network("Paris").await;
    let bike = model(&app, "Relais City Bike").await;
    let b1 = vehicle(&app, "B1", paris, bike, true).await;
    let b2 = vehicle(&app, "B2", paris, bike, true).await;
    let b3 = vehicle(&app, "B3", paris, bike, true).await;

    assert!(
        outbox::pending_commands(&app.db, 10)
            .await
            .unwrap()
            .is_empty()
    );
    send_speeds_and_settings(&app, &admin, paris, bike).await;

    // Oldest first, at most `limit`.
    let pending = outbox::pending_commands(&app.db, 10).await.unwrap();
    assert_eq!(pending.len(), 6);
    assert!(pending.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(
        pending
            .iter()
            .map(|c| (c.vehicle_id, c.command.as_str()))
            .collect::<Vec<_>>(),
        [
            (b1, "apply-speed-settings"),
            (b2, "apply-speed-settings"),
            (b3, "apply-speed-settings"),
            (b1, "apply-settings"),
            (b2, "apply-settings"),
            (b3, "apply-settings"),
        ]
    );
    let first = outbox::pending_commands(&app.db, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|c| c.id).collect::<Vec<_>>(),
        [pending[0].id, pending[1].id]
    );

    // Delivered: out of the pending list, with its time.
    let delivered = outbox::mark_delivered(&app.db, pending[0].id)
        .await
        .unwrap();
    assert_eq!(delivered.state, "delivered");
    assert_eq!(delivered.attempts, 1);
    assert!(delivered.delivered_at.is_some());
    assert!(
        outbox::mark_delivered(&app.db, pending[0].id)
            .await
            .is_err()
    );
    assert!(
        outbox::mark_failed(&app.db, pending[0].id, "late")
            .await
            .is_err()
    );

    // Failed: retried until MAX_ATTEMPTS, then `failed`.
    let id = pending[1].id;
    for attempt in 1..MAX_ATTEMPTS {
        let failed = outbox::mark_failed(&app.db, id, "vehicle offline")
            .await
            .unwrap();
        assert_eq!(failed.state, "pending");
        assert_eq!(failed.attempts, attempt);
        assert_eq!(failed.last_error.as_deref(), Some("vehicle offline"));
    }
    let failed = outbox::mark_failed(&app.db, id, "gave up").await.unwrap();
    assert_eq!(failed.state, "failed");
    assert_eq!(failed.attempts, MAX_ATTEMPTS);
    assert_eq!(failed.last_error.as_deref(), Some("gave up"));
    assert!(failed.delivered_at.is_none());

    let left: Vec<i64> = outbox::pending_commands(&app.db, 10)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(left, pending[2..].iter().map(|c| c.id).collect::<Vec<_>>());

    // A delivered command is not superseded by a newer one; a pending one is.
    put_form(&app, &admin, &speeds_path(paris), &SPEEDS)
        .await
        .ok();
    assert_eq!(
        states(&commands(&app, b1).await),
        [
            ("apply-speed-settings", "delivered"),
            ("apply-settings", "pending"),
            ("apply-speed-settings", "pending"),
        ]
    );
    assert_eq!(
        states(&commands(&app, b3).await),
        [
            ("apply-speed-settings", "superseded"),
            ("apply-settings", "pending"),
            ("apply-speed-settings", "pending"),
        ]
    );
    // A command superseded while being delivered is recorded as delivered.
    let superseded = commands(&app, b3).await.remove(0);
    let delivered = outbox::mark_delivered(&app.db, superseded.id)
        .await
        .unwrap();
    assert_eq!(delivered.state, "delivered");

    assert!(outbox::mark_delivered(&app.db, 999_999).await.is_err());
}

#[tokio::test]
async fn a_claimed_command_is_handed_to_no_other_claim_until_its_lease_ends() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let paris = app.network("Paris").await;
    let bike = model(&app, "Relais City Bike").await;
    for serial in ["B1", "B2", "B3"] {
        vehicle(&app, serial, paris, bike, true).await;
    }
    send_speeds_and_settings(&app, &admin, paris, bike).await;
    let pending: Vec<i64> = outbox::pending_commands(&app.db, 10)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(pending.len(), 6);
    let now = chrono::Utc::now();
    let lease = chrono::Duration::seconds(30);
    let ids = |commands: Vec<relais_store::entity::vehicle_command::Model>| -> Vec<i64> {
        commands.iter().map(|c| c.id).collect()
    };

    // Oldest first; what one claim holds, the next does not get.
    let first = ids(outbox::claim_commands(&app.db, now, lease, 4)
        .await
        .unwrap());
    assert_eq!(first, pending[..4]);
    let second = ids(outbox::claim_commands(&app.db, now, lease, 10)
        .await
        .unwrap());
    assert_eq!(second, pending[4..]);
    assert!(
        outbox::claim_commands(&app.db, now, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Given back unpublished, or its attempt counted as failed: free at once.
    outbox::release_commands(&app.db, &[first[1]])
        .await
        .unwrap();
    outbox::mark_failed(&app.db, first[2], "no ack in time")
        .await
        .unwrap();
    let again = ids(outbox::claim_commands(&app.db, now, lease, 10)
        .await
        .unwrap());
    assert_eq!(again, [first[1], first[2]]);

    // Delivered ones are never handed out again; the others once their lease is over.
    outbox::mark_delivered(&app.db, first[0]).await.unwrap();
    let later = now + chrono::Duration::seconds(31);
    let after = ids(outbox::claim_commands(&app.db, later, lease, 10)
        .await
        .unwrap());
    assert_eq!(after, pending[1..]);
}
