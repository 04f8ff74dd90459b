//! Seed group `FleetAlerts`: current alerts, their history and their resolution.

use crate::common::TestApp;
use chrono::{DateTime, Duration, TimeZone, Utc};
use relais_domain::Permission;
use relais_store::entity::{cluster, fleet_alert, vehicle, vehicle_model};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

async fn model(app: &TestApp) -> i64 {
    vehicle_model::ActiveModel {
        name: Set(format!(
            "Model {}",
            Utc::now().timestamp_nanos_opt().unwrap()
        )),
        kind: Set("bike".into()),
        manufacturer: Set("Acme".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

async fn vehicle(app: &TestApp, network: i64, serial: &str) -> i64 {
    let model_id = model(app).await;
    vehicle::ActiveModel {
        serial: Set(serial.into()),
        network_id: Set(network),
        model_id: Set(model_id),
        created_at: Set(Utc::now()),
        status: Set("available".into()),
        locked: Set(true),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

async fn cluster(app: &TestApp, network: i64, name: &str) -> i64 {
    cluster::ActiveModel {
        network_id: Set(network),
        name: Set(name.into()),
        created_at: Set(Utc::now()),
        max_unlock_distance: Set(50),
        forced_down: Set(false),
        badge_reader: Set(false),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

/// An alert as stored; `resolved` sets resolved_at (and resolved_by).
#[derive(Clone, Copy)]
struct A<'a> {
    network: i64,
    kind: &'a str,
    severity: &'a str,
    cluster: Option<i64>,
    vehicle: Option<i64>,
    user: Option<i64>,
    created: DateTime<Utc>,
    resolved: Option<(DateTime<Utc>, i64)>,
}

impl<'a> A<'a> {
    fn new(network: i64, kind: &'a str, severity: &'a str, created: DateTime<Utc>) -> Self {
        A {
            network,
            kind,
            severity,
            cluster: None,
            vehicle: None,
            user: None,
            created,
            resolved: None,
        }
    }
}

async fn alert(app: &TestApp, a: A<'_>) -> i64 {
    fleet_alert::ActiveModel {
        network_id: Set(a.network),
        alert_type: Set(a.kind.into()),
        severity: Set(a.severity.into()),
        cluster_id: Set(a.cluster),
        station_id: Set(None),
        spot_id: Set(None),
        vehicle_id: Set(a.vehicle),
        user_id: Set(a.user),
        details: Set(format!("{} details", a.kind)),
        created_at: Set(a.created),
        resolved_at: Set(a.resolved.map(|r| r.0)),
        resolved_by: Set(a.resolved.map(|r| r.1)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

fn ids(data: &Value) -> Vec<i64> {
    data.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

fn day(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

#[tokio::test]
async fn current_alerts_are_the_open_ones_of_the_networks_newest_first() {
    let app = TestApp::new().await;
    let (admin, token) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let nice = app.network("Nice").await;
    let other = app.network("Other").await;
    let rider = app.user("rider@example.com").await;
    let v = vehicle(&app, lyon, "LYN00001").await;
    let c = cluster(&app, lyon, "Bellecour").await;
    let now = Utc::now();
    let mut first = A::new(lyon, "vehicle-lifted", "high", now - Duration::hours(2));
    first.vehicle = Some(v);
    first.cluster = Some(c);
    first.user = Some(rider);
    let first = alert(&app, first).await;
    let second = alert(
        &app,
        A::new(
            nice,
            "station-power-cut",
            "critical",
            now - Duration::hours(1),
        ),
    )
    .await;
    let mut resolved = A::new(lyon, "vehicle-fallen", "low", now);
    resolved.resolved = Some((now, admin));
    alert(&app, resolved).await;
    alert(&app, A::new(other, "vehicle-fallen", "low", now)).await;

    let data = app
        .get(&format!("/dashboard/fleet-alerts?networks={lyon},{nice}"))
        .token(&token)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(ids(&data), vec![second, first]);
    let a = &data[1];
    // The names of the history's filter: one name per concept.
    assert_eq!(a["alert_type"], "vehicle-lifted");
    assert_eq!(a["alert_severity"], "high");
    assert!(
        a.get("type").is_none() && a.get("severity").is_none(),
        "{a}"
    );
    assert_eq!(a["network_id"], lyon);
    assert_eq!(a["cluster"], json!({"id": c, "name": "Bellecour"}));
    assert_eq!(a["vehicle"], json!({"id": v, "serial": "LYN00001"}));
    assert_eq!(
        a["user"],
        json!({"id": rider, "email": "rider@example.com"})
    );
    assert_eq!(a["station"], Value::Null);
    assert_eq!(a["spot"], Value::Null);
    assert_eq!(a["resolved_at"], Value::Null);
    assert_eq!(a["details"], "vehicle-lifted details");
    assert!(a["created_at"].is_string());
}

#[tokio::test]
async fn current_alerts_check_permission_scope_and_networks() {
    let app = TestApp::new().await;
    let lyon = app.network("Lyon").await;
    let nice = app.network("Nice").await;
    let unit = app.unit("Lyon unit", &[lyon]).await;
    let (_, reader) = app
        .staff(
            "reader@example.com",
            &[(Permission::VehiclesAlerts, Some(unit), false)],
        )
        .await;
    let (_, other) = app
        .staff("other@example.com", &[(Permission::Stations, None, true)])
        .await;
    alert(&app, A::new(lyon, "vehicle-lifted", "high", Utc::now())).await;

    let data = app
        .get(&format!("/dashboard/fleet-alerts?networks={lyon}"))
        .token(&reader)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(data.as_array().unwrap().len(), 1);
    app.get(&format!("/dashboard/fleet-alerts?networks={lyon},{nice}"))
        .token(&reader)
        .send()
        .await
        .fails(403, -31);
    app.get(&format!("/dashboard/fleet-alerts?networks={lyon}"))
        .token(&other)
        .send()
        .await
        .fails(403, -30);
    app.get(&format!("/dashboard/fleet-alerts?networks={lyon}"))
        .send()
        .await
        .fails(401, -20);
    let (_, admin) = app.admin().await;
    app.get("/dashboard/fleet-alerts")
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("networks");
    app.get("/dashboard/fleet-alerts?networks=abc")
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("networks");
    app.get(&format!("/dashboard/fleet-alerts?networks={lyon},{lyon}"))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("networks");
    app.get("/dashboard/fleet-alerts?networks=0")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("networks");
    app.get("/dashboard/fleet-alerts?networks=9999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2)
        .names("networks");
}

async fn history(app: &TestApp, token: &str, query: &str) -> Value {
    let reply = app
        .get(&format!("/dashboard/fleet-alerts/history?{query}"))
        .token(token)
        .send()
        .await;
    reply.ok();
    reply.body.clone()
}

#[tokio::test]
async fn history_filters_every_way_the_seed_says() {
    let app = TestApp::new().await;
    let (admin, token) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let nice = app.network("Nice").await;
    let alice = app.user("Alice.Martin@example.com").await;
    let bob = app.user("bob@example.org").await;
    let v1 = vehicle(&app, lyon, "SER00001").await;
    let v2 = vehicle(&app, lyon, "SER00002").await;
    let bellecour = cluster(&app, lyon, "Place Bellecour").await;
    let part_dieu = cluster(&app, lyon, "Part-Dieu").await;

    let mut a1 = A::new(lyon, "vehicle-lifted", "high", day(2026, 3, 1, 10));
    a1.vehicle = Some(v1);
    a1.cluster = Some(bellecour);
    a1.user = Some(alice);
    a1.resolved = Some((day(2026, 3, 2, 23), admin));
    let a1 = alert(&app, a1).await;
    let mut a2 = A::new(lyon, "vehicle-fallen", "low", day(2026, 3, 5, 0));
    a2.vehicle = Some(v2);
    a2.cluster = Some(part_dieu);
    a2.user = Some(bob);
    a2.resolved = Some((day(2026, 3, 6, 0), admin));
    let a2 = alert(&app, a2).await;
    let mut a3 = A::new(lyon, "station-power-cut", "critical", day(2026, 3, 10, 12));
    a3.cluster = Some(bellecour);
    a3.resolved = Some((day(2026, 3, 10, 13), admin));
    let a3 = alert(&app, a3).await;
    let mut a4 = A::new(nice, "vehicle-lifted", "high", day(2026, 3, 1, 10));
    a4.resolved = Some((day(2026, 3, 1, 11), admin));
    let a4 = alert(&app, a4).await;
    // Open: never in the history.
    alert(
        &app,
        A::new(lyon, "vehicle-lifted", "high", day(2026, 3, 1, 10)),
    )
    .await;

    let q = |extra: &str| format!("networks={lyon}{extra}");
    let body = history(&app, &token, &q("")).await;
    // Default: newest id first.
    assert_eq!(ids(&body["data"]), vec![a3, a2, a1]);
    assert_eq!(body["page"]["has_more"], false);
    assert_eq!(body["data"][2]["resolved_by"]["id"], admin);
    assert!(body["data"][2]["resolved_at"].is_string());
    let both = history(&app, &token, &format!("networks={lyon},{nice}")).await;
    assert_eq!(ids(&both["data"]), vec![a4, a3, a2, a1]);

    for (extra, expected) in [
        ("&alert_type=vehicle-lifted", vec![a1]),
        ("&alert_severity=critical", vec![a3]),
        ("&creation_date_min=2026-03-05", vec![a3, a2]),
        ("&creation_date_max=2026-03-05", vec![a2, a1]),
        (
            "&creation_date_min=2026-03-05&creation_date_max=2026-03-05",
            vec![a2],
        ),
        ("&resolved_at_min=2026-03-03", vec![a3, a2]),
        ("&resolved_at_max=2026-03-02", vec![a1]),
        (
            "&resolved_at_min=2026-03-06&resolved_at_max=2026-03-06",
            vec![a2],
        ),
        (&format!("&user_id={alice}"), vec![a1]),
        ("&email=MARTIN@", vec![a1]),
        ("&email=example", vec![a2, a1]),
        ("&cluster_name=bellecour", vec![a3, a1]),
        ("&cluster_name=Dieu", vec![a2]),
        (&format!("&cluster_id={part_dieu}"), vec![a2]),
        (&format!("&vehicle_id={v1}"), vec![a1]),
        ("&serial_number=SER00002", vec![a2]),
        ("&serial_number=SER000", vec![]),
        ("&email=nobody", vec![]),
    ] {
        let body = history(&app, &token, &q(extra)).await;
        assert_eq!(ids(&body["data"]), expected, "{extra}");
    }
}

#[tokio::test]
async fn history_sorts_and_pages_without_skipping_or_repeating() {
    let app = TestApp::new().await;
    let (admin, token) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let severities = ["low", "critical", "high"];
    let mut made = Vec::new();
    for i in 0..25u32 {
        let severity = severities[(i % 3) as usize];
        let mut a = A::new(lyon, "vehicle-lifted", severity, day(2026, 1, 1 + i % 5, 0));
        a.resolved = Some((day(2026, 2, 1 + (24 - i), 0), admin));
        let id = alert(&app, a).await;
        made.push((id, severity, i % 5, 24 - i));
    }
    let rank = |s: &str| {
        ["low", "high", "critical"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };

    // Default: id DESC, page of 20 then 5.
    let first = history(&app, &token, &format!("networks={lyon}")).await;
    assert_eq!(first["page"]["page_size"], 20);
    assert_eq!(first["page"]["has_more"], true);
    let mut all = ids(&first["data"]);
    let last = first["page"]["last_primary_key"].as_i64().unwrap();
    let second = history(
        &app,
        &token,
        &format!("networks={lyon}&last_primary_key={last}"),
    )
    .await;
    assert_eq!(second["page"]["has_more"], false);
    assert_eq!(second["page"]["last_primary_key"], Value::Null);
    all.extend(ids(&second["data"]));
    let mut expected: Vec<i64> = made.iter().map(|m| m.0).collect();
    expected.reverse();
    assert_eq!(all, expected);
    let asc = history(
        &app,
        &token,
        &format!("networks={lyon}&primary_key_dir=ASC&page_size=10"),
    )
    .await;
    assert_eq!(
        ids(&asc["data"]),
        made.iter().take(10).map(|m| m.0).collect::<Vec<_>>()
    );

    // Every sort, both directions, paged by 10: the pages concatenated are the full order.
    for (sort_by, key) in [
        (
            "alert_severity",
            Box::new(|m: &(i64, &str, u32, u32)| rank(m.1) as i64)
                as Box<dyn Fn(&(i64, &str, u32, u32)) -> i64>,
        ),
        (
            "creation_date",
            Box::new(|m: &(i64, &str, u32, u32)| m.2 as i64),
        ),
        (
            "resolved_at",
            Box::new(|m: &(i64, &str, u32, u32)| m.3 as i64),
        ),
    ] {
        for (sort_dir, pk_dir) in [("ASC", "ASC"), ("DESC", "DESC"), ("ASC", "DESC"), ("", "")] {
            let mut params = format!("networks={lyon}&page_size=10&sort_by={sort_by}");
            if !sort_dir.is_empty() {
                params.push_str(&format!("&sort_dir={sort_dir}&primary_key_dir={pk_dir}"));
            }
            let mut got = Vec::new();
            let mut last: Option<i64> = None;
            loop {
                let mut p = params.clone();
                if let Some(l) = last {
                    p.push_str(&format!("&last_primary_key={l}"));
                }
                let body = history(&app, &token, &p).await;
                got.extend(ids(&body["data"]));
                match body["page"]["last_primary_key"].as_i64() {
                    Some(l) => last = Some(l),
                    None => break,
                }
            }
            let (sd, pd) = if sort_dir.is_empty() {
                ("DESC", "DESC")
            } else {
                (sort_dir, pk_dir)
            };
            let mut want = made.clone();
            want.sort_by(|a, b| {
                let by = key(a).cmp(&key(b));
                let by = if sd == "DESC" { by.reverse() } else { by };
                let tie = a.0.cmp(&b.0);
                by.then(if pd == "DESC" { tie.reverse() } else { tie })
            });
            let want: Vec<i64> = want.iter().map(|m| m.0).collect();
            assert_eq!(
                got, want,
                "sort_by={sort_by} sort_dir={sort_dir} primary_key_dir={pk_dir}"
            );
        }
    }
}

#[tokio::test]
async fn history_refuses_invalid_parameters_naming_them() {
    let app = TestApp::new().await;
    let (_, token) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let nice = app.network("Nice").await;
    let long = "x".repeat(51);
    for (extra, status, code, field) in [
        ("&page_size=9", 422, -11, "page_size"),
        ("&page_size=501", 422, -11, "page_size"),
        ("&last_primary_key=0", 422, -11, "last_primary_key"),
        ("&primary_key_dir=UP", 400, -10, "primary_key_dir"),
        ("&sort_by=name", 400, -10, "sort_by"),
        ("&sort_dir=down", 400, -10, "sort_dir"),
        ("&alert_type=fire", 400, -10, "alert_type"),
        ("&alert_severity=medium", 400, -10, "alert_severity"),
        (
            "&creation_date_min=2026-13-01",
            400,
            -10,
            "creation_date_min",
        ),
        (
            "&creation_date_max=yesterday",
            400,
            -10,
            "creation_date_max",
        ),
        ("&resolved_at_min=2026-02-30", 400, -10, "resolved_at_min"),
        ("&resolved_at_max=x", 400, -10, "resolved_at_max"),
        (
            "&creation_date_min=2026-03-02&creation_date_max=2026-03-01",
            422,
            -11,
            "creation_date_max",
        ),
        (
            "&resolved_at_min=2026-03-02&resolved_at_max=2026-03-01",
            422,
            -11,
            "resolved_at_max",
        ),
        ("&user_id=0", 422, -11, "user_id"),
        ("&email=", 422, -11, "email"),
        ("&cluster_name=", 422, -11, "cluster_name"),
        (&format!("&cluster_name={long}"), 422, -11, "cluster_name"),
        ("&cluster_id=0", 422, -11, "cluster_id"),
        ("&vehicle_id=0", 422, -11, "vehicle_id"),
        ("&serial_number=ABCDE", 422, -11, "serial_number"),
        ("&serial_number=ABCDEFGHIJK", 422, -11, "serial_number"),
    ] {
        let reply = app
            .get(&format!(
                "/dashboard/fleet-alerts/history?networks={lyon}{extra}"
            ))
            .token(&token)
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), status, "{extra}: {}", reply.text);
        reply.fails(status, code).names(field);
    }
    app.get("/dashboard/fleet-alerts/history")
        .token(&token)
        .send()
        .await
        .fails(400, -10)
        .names("networks");
    let unit = app.unit("Lyon unit", &[lyon]).await;
    let (_, reader) = app
        .staff(
            "reader@example.com",
            &[(Permission::VehiclesAlerts, Some(unit), false)],
        )
        .await;
    history(&app, &reader, &format!("networks={lyon}")).await;
    app.get(&format!("/dashboard/fleet-alerts/history?networks={nice}"))
        .token(&reader)
        .send()
        .await
        .fails(403, -31);
    let (_, other) = app
        .staff("other@example.com", &[(Permission::Stations, None, true)])
        .await;
    app.get(&format!("/dashboard/fleet-alerts/history?networks={lyon}"))
        .token(&other)
        .send()
        .await
        .fails(403, -30);
}

#[tokio::test]
async fn resolving_alerts_records_who_and_when() {
    let app = TestApp::new().await;
    let lyon = app.network("Lyon").await;
    let unit = app.unit("Lyon unit", &[lyon]).await;
    let (writer_id, writer) = app
        .staff(
            "writer@example.com",
            &[(Permission::VehiclesAlerts, Some(unit), true)],
        )
        .await;
    let now = Utc::now();
    let a = alert(&app, A::new(lyon, "vehicle-lifted", "high", now)).await;
    let b = alert(&app, A::new(lyon, "vehicle-fallen", "low", now)).await;
    let c = alert(&app, A::new(lyon, "vehicle-fallen", "low", now)).await;
    let before = Utc::now();
    app.post("/dashboard/fleet-alerts/resolve")
        .token(&writer)
        .json(json!({"alert_ids": [a, b]}))
        .send()
        .await
        .ok();
    let current = app
        .get(&format!("/dashboard/fleet-alerts?networks={lyon}"))
        .token(&writer)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(ids(&current), vec![c]);
    let body = history(
        &app,
        &writer,
        &format!("networks={lyon}&primary_key_dir=ASC"),
    )
    .await;
    assert_eq!(ids(&body["data"]), vec![a, b]);
    assert_eq!(
        body["data"][0]["resolved_by"],
        json!({"id": writer_id, "email": "writer@example.com"})
    );
    let stored = fleet_alert::Entity::find_by_id(a)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.resolved_by, Some(writer_id));
    assert!(stored.resolved_at.unwrap() >= before - Duration::seconds(1));

    // Already resolved: refused, and nothing changes for the others in the request.
    app.post("/dashboard/fleet-alerts/resolve")
        .token(&writer)
        .json(json!({"alert_ids": [c, a]}))
        .send()
        .await
        .fails(409, -41)
        .names("alert_ids");
    let stored = fleet_alert::Entity::find_by_id(c)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.resolved_at, None);
}

#[tokio::test]
async fn resolving_alerts_checks_body_existence_scope_permission_and_closed_networks() {
    let app = TestApp::new().await;
    let lyon = app.network("Lyon").await;
    let nice = app.network("Nice").await;
    let unit = app.unit("Lyon unit", &[lyon]).await;
    let (_, writer) = app
        .staff(
            "writer@example.com",
            &[(Permission::VehiclesAlerts, Some(unit), true)],
        )
        .await;
    let (_, reader) = app
        .staff(
            "reader@example.com",
            &[(Permission::VehiclesAlerts, None, false)],
        )
        .await;
    let now = Utc::now();
    let mine = alert(&app, A::new(lyon, "vehicle-lifted", "high", now)).await;
    let theirs = alert(&app, A::new(nice, "vehicle-lifted", "high", now)).await;
    let post = |token: &str, body: Value| {
        app.post("/dashboard/fleet-alerts/resolve")
            .token(token)
            .json(body)
    };
    post(&writer, json!({"alert_ids": []}))
        .send()
        .await
        .fails(422, -11)
        .names("alert_ids");
    post(&writer, json!({"alert_ids": [mine, mine]}))
        .send()
        .await
        .fails(422, -11)
        .names("alert_ids");
    post(&writer, json!({"alert_ids": [0]}))
        .send()
        .await
        .fails(422, -11)
        .names("alert_ids");
    post(&writer, json!({}))
        .send()
        .await
        .fails(400, -10)
        .names("alert_ids");
    post(&writer, json!({"alert_ids": "1"}))
        .send()
        .await
        .fails(400, -10)
        .names("alert_ids");
    post(&writer, json!({"alert_ids": [mine], "extra": 1}))
        .send()
        .await
        .fails(400, -10);
    post(&writer, json!({"alert_ids": [mine, 999999]}))
        .send()
        .await
        .fails(404, -2)
        .names("alert_ids");
    post(&writer, json!({"alert_ids": [mine, theirs]}))
        .send()
        .await
        .fails(403, -31);
    post(&reader, json!({"alert_ids": [mine]}))
        .send()
        .await
        .fails(403, -30);
    // None of the refusals changed anything.
    for id in [mine, theirs] {
        let stored = fleet_alert::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.resolved_at, None);
    }
    relais_store::networks::close(&app.db, lyon, Utc::now())
        .await
        .unwrap();
    post(&writer, json!({"alert_ids": [mine]}))
        .send()
        .await
        .fails(409, -41);
    let stored = fleet_alert::Entity::find_by_id(mine)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.resolved_at, None);
}

#[test]
fn the_history_documents_the_defaults_it_applies() {
    let doc = serde_json::to_value(relais_api::openapi()).unwrap();
    let params = doc["paths"]["/dashboard/fleet-alerts/history"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let default = |name: &str| {
        params.iter().find(|p| p["name"] == name).unwrap()["schema"]["default"].clone()
    };
    // The seed's defaults, which the history applies (see the ordering tests above).
    assert_eq!(default("primary_key_dir"), "DESC");
    assert_eq!(default("sort_dir"), "DESC");
    assert_eq!(default("page_size"), 20);
}

#[test]
fn an_alert_kind_and_severity_have_one_name_in_every_schema() {
    let doc = serde_json::to_value(relais_api::openapi()).unwrap();
    for (schema, body) in doc["components"]["schemas"].as_object().unwrap() {
        for (field, property) in body["properties"].as_object().into_iter().flatten() {
            // What the property itself is (or is a list of), not what it contains.
            let mut refs = vec![&property["$ref"], &property["items"]["$ref"]];
            for any in ["oneOf", "allOf"] {
                refs.extend(
                    property[any]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|s| &s["$ref"]),
                );
            }
            for (kind, names) in [
                ("AlertType", ["alert_type", "alert_types"]),
                ("AlertSeverity", ["alert_severity", "alert_severities"]),
            ] {
                let target = format!("#/components/schemas/{kind}");
                if refs.iter().any(|r| r.as_str() == Some(target.as_str())) {
                    assert!(
                        names.contains(&field.as_str()),
                        "{schema}.{field} is a {kind}"
                    );
                }
            }
        }
    }
}
