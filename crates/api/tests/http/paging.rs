//! The lists the seed leaves unpaged are paged by relais (extension): a default page of 100,
//! `page_size` 10..500, and walking on with `last_primary_key` neither skips nor repeats a row,
//! in the list's own order.

use crate::common::TestApp;
use relais_domain::alerts::{AlertSeverity, AlertType};
use serde_json::{Value, json};

/// Every row of `path` (which has a query already), walking pages of `size`: the rows in
/// order and the number of pages.
async fn walk(app: &TestApp, token: &str, path: &str, size: u64) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut pages = 0;
    let mut last: Option<i64> = None;
    loop {
        let uri = match last {
            None => format!("{path}&page_size={size}"),
            Some(k) => format!("{path}&page_size={size}&last_primary_key={k}"),
        };
        let reply = app.get(&uri).token(token).send().await;
        reply.ok();
        let body = reply.body.clone();
        pages += 1;
        let data = body["data"].as_array().expect("data is an array").clone();
        assert!(data.len() as u64 <= size, "{uri}: page longer than asked");
        let page = &body["page"];
        assert_eq!(page["page_size"], size, "{uri}");
        rows.extend(data);
        if page["has_more"] == true {
            last = Some(
                page["last_primary_key"]
                    .as_i64()
                    .expect("a cursor when more follow"),
            );
            assert_eq!(
                Some(rows.last().unwrap()["id"].as_i64().unwrap()),
                last,
                "the cursor is the last row's id"
            );
        } else {
            assert!(
                page["last_primary_key"].is_null(),
                "{uri}: no cursor on the last page"
            );
            break;
        }
        assert!(pages < 50, "{path}: no end");
    }
    (rows, pages)
}

fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["id"].as_i64().unwrap()).collect()
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
async fn vehicles_are_paged_by_serial_and_the_default_page_is_100() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let other = app.network("Paris").await;
    let model = model(&app).await;
    // Registered out of serial order, so that id order and serial order differ.
    let mut serials: Vec<String> = (0..25).map(|i| format!("VEH{:03}", (i * 7) % 25)).collect();
    for serial in &serials {
        app.post("/dashboard/vehicles")
            .token(&admin)
            .json(json!({"serial": serial, "model_id": model, "network_id": network}))
            .send()
            .await
            .ok();
    }
    app.post("/dashboard/vehicles")
        .token(&admin)
        .json(json!({"serial": "OTHER001", "model_id": model, "network_id": other}))
        .send()
        .await
        .ok();
    let path = format!("/dashboard/vehicles?networks={network}");
    let (rows, pages) = walk(&app, &admin, &path, 10).await;
    assert_eq!(pages, 3);
    let got: Vec<String> = rows
        .iter()
        .map(|r| r["serial"].as_str().unwrap().to_owned())
        .collect();
    serials.sort();
    assert_eq!(got, serials, "every vehicle of the network once, by serial");

    let first = app.get(&path).token(&admin).send().await;
    assert_eq!(first.ok().as_array().unwrap().len(), 25);
    assert_eq!(first.body["page"]["page_size"], 100);
    assert_eq!(first.body["page"]["has_more"], false);

    for bad in ["9", "501", "ten"] {
        let reply = app
            .get(&format!("{path}&page_size={bad}"))
            .token(&admin)
            .send()
            .await;
        assert!(
            [400, 422].contains(&reply.status.as_u16()),
            "page_size={bad}: {}",
            reply.text
        );
        reply.names("page_size");
    }
}

#[tokio::test]
async fn clusters_are_paged_by_name_with_ties_broken_by_id() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let names = [
        "Part-Dieu",
        "Bellecour",
        "Same",
        "Terreaux",
        "Same",
        "Croix-Rousse",
        "Perrache",
        "Same",
        "Gerland",
        "Vaise",
        "Confluence",
        "Brotteaux",
        "Saxe",
    ];
    for (i, name) in names.iter().enumerate() {
        app.post("/dashboard/clusters")
            .token(&admin)
            .json(json!({
                "network_id": network, "name": name, "latitude": 45.76, "longitude": 4.84,
                "location": "Lyon centre", "badge_reader": false,
                "stations": [{"serial": format!("ST{i:04}"), "name": name, "spot_count": 1}]
            }))
            .send()
            .await
            .ok();
    }
    for dir in ["DESC", "ASC"] {
        let path = format!("/dashboard/clusters?networks={network}&primary_key_dir={dir}");
        let (rows, pages) = walk(&app, &admin, &path, 10).await;
        assert_eq!(pages, 2);
        let got: Vec<(String, i64)> = rows
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_owned(),
                    r["id"].as_i64().unwrap(),
                )
            })
            .collect();
        let mut expected = got.clone();
        expected.sort_by(|a, b| {
            a.0.cmp(&b.0).then(if dir == "ASC" {
                a.1.cmp(&b.1)
            } else {
                b.1.cmp(&a.1)
            })
        });
        assert_eq!(got, expected, "by name, ties by id {dir}");
        assert_eq!(got.len(), names.len());
    }
    // The search pages the same way.
    let path = format!("/dashboard/clusters/search?networks={network}&name=a");
    let (rows, _) = walk(&app, &admin, &path, 10).await;
    let expected = names
        .iter()
        .filter(|n| n.to_lowercase().contains('a'))
        .count();
    assert_eq!(rows.len(), expected);
}

#[tokio::test]
async fn open_alerts_and_maintenances_are_paged_newest_first() {
    let app = TestApp::new().await;
    let world = app.world().await;
    let admin = world.admin.clone();
    for i in 0..12 {
        relais_store::fleet_alerts::raise(
            &app.db,
            relais_store::fleet_alerts::NewAlert {
                network_id: world.n1,
                alert_type: AlertType::SpotHighTemperature,
                severity: AlertSeverity::Low,
                cluster_id: Some(world.cluster_a),
                station_id: Some(world.station_a),
                spot_id: None,
                vehicle_id: None,
                user_id: None,
                details: format!("reading {i}"),
                created_at: chrono::Utc::now(),
            },
        )
        .await
        .unwrap();
    }
    let path = format!("/dashboard/fleet-alerts?networks={}", world.n1);
    let (rows, _) = walk(&app, &admin, &path, 10).await;
    let got = ids(&rows);
    let mut expected = got.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(got, expected, "newest first");
    assert!(!got.is_empty());
    let unique: std::collections::BTreeSet<i64> = got.iter().copied().collect();
    assert_eq!(unique.len(), got.len(), "no row twice");

    // Eleven more maintenances on vehicles of network 1, beside the world's.
    for i in 0..11 {
        let key = format!("check-{i}");
        app.post("/dashboard/maintenance-types")
            .token(&admin)
            .json(json!({"key": key, "target_type": "vehicle", "severity": "low"}))
            .send()
            .await
            .ok();
        let vehicle = if i % 2 == 0 {
            world.vehicle_a
        } else {
            world.vehicle_n1
        };
        app.post("/dashboard/maintenances")
            .token(&admin)
            .json(json!({"key": key, "target_type": "vehicle", "target_id": vehicle}))
            .send()
            .await
            .ok();
    }
    let all = app
        .get(&format!(
            "/dashboard/maintenances?networks={}&lang=en&page_size=500",
            world.n1
        ))
        .token(&admin)
        .send()
        .await;
    let total = all.ok().as_array().unwrap().len();
    for dir in ["DESC", "ASC"] {
        let path = format!(
            "/dashboard/maintenances?networks={}&lang=en&primary_key_dir={dir}",
            world.n1
        );
        let (rows, _) = walk(&app, &admin, &path, 10).await;
        let got = ids(&rows);
        let mut expected = got.clone();
        expected.sort();
        if dir == "DESC" {
            expected.reverse();
        }
        assert_eq!(got, expected, "by id {dir}");
        assert_eq!(got.len(), total, "the same rows as one big page");
    }

    // A vehicle's own maintenances.
    let path = format!(
        "/dashboard/vehicles/{}/maintenances?lang=en",
        world.vehicle_a
    );
    let (rows, _) = walk(&app, &admin, &path, 10).await;
    assert!(rows.len() >= 6, "{}", rows.len());
    let got = ids(&rows);
    let mut expected = got.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(got, expected);
}

/// Riders' lists under filters whose rows lie anywhere in the list's order (a counter's range,
/// a part of a text: see `Keyset::fetch_narrowed`) page exactly as the unfiltered list filtered
/// row by row, in every order: when the filter's rows are common at the list's start, spread
/// thinly, bunched at its far end, few, or mostly in another network.
#[tokio::test]
async fn users_under_narrowing_filters_page_as_the_whole_list_filtered() {
    use relais_store::entity::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let now = chrono::Utc::now();
    for i in 0..700i64 {
        // The oldest 300 ride a lot, and only one in 25 of them in Lyon; the others are Lyon's
        // three times in four. One in 7 is at `spread.test`, one in 30 has `rare` in the
        // address, one in 97 a phone with 777.
        let domain = if i % 7 == 0 { "spread" } else { "plain" };
        let rare = if i % 30 == 3 { "rare" } else { "" };
        let phone = if i % 97 == 5 {
            format!("+3361777{i:04}")
        } else {
            format!("+3361000{i:04}")
        };
        let created = relais_store::users::create(
            &app.db,
            relais_store::users::NewUser {
                email: format!("r{i}{rare}@{domain}.test"),
                phone: Some(phone),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let heavy = i < 300;
        let network = if (heavy && i % 25 == 0) || (!heavy && i % 4 != 0) {
            lyon
        } else {
            paris
        };
        relais_store::users::join_network(&app.db, created.id, network, now)
            .await
            .unwrap();
        let trips = if heavy { 10 + i % 5 } else { i % 3 };
        user::Entity::update_many()
            .col_expr(user::Column::TripCount, Expr::value(trips))
            .filter(user::Column::Id.eq(created.id))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let base =
        format!("/dashboard/users?networks={lyon}&currency=EUR&timezone=UTC&without_network=false");
    let text = |row: &Value, field: &str, part: &str| {
        row[field]
            .as_str()
            .is_some_and(|v| v.to_lowercase().contains(part))
    };
    type Keeps<'a> = &'a dyn Fn(&Value) -> bool;
    let filters: [(&str, Keeps); 6] = [
        ("trip_count_min=10", &|r| {
            r["trip_count"].as_i64() >= Some(10)
        }),
        ("trip_count_max=0", &|r| r["trip_count"].as_i64() <= Some(0)),
        ("email=spread", &|r| text(r, "email", "spread")),
        ("email=rare", &|r| text(r, "email", "rare")),
        ("phone_number=777", &|r| text(r, "phone", "777")),
        ("email=plain&trip_count_min=10", &|r| {
            text(r, "email", "plain") && r["trip_count"].as_i64() >= Some(10)
        }),
    ];
    for order in [
        "",
        "&primary_key_dir=ASC",
        "&sort_by=register_at",
        "&sort_by=trip_count&sort_dir=ASC",
        "&sort_by=last_activity&sort_dir=ASC&primary_key_dir=DESC",
    ] {
        let (all, _) = walk(&app, &admin, &format!("{base}{order}"), 500).await;
        assert!(all.len() > 300, "{order}: the whole list");
        for (filter, keeps) in &filters {
            let expected: Vec<i64> =
                ids(&all.iter().filter(|r| keeps(r)).cloned().collect::<Vec<_>>());
            assert!(!expected.is_empty(), "{filter}: matches some");
            for size in [10, 25] {
                let (rows, _) = walk(&app, &admin, &format!("{base}{order}&{filter}"), size).await;
                assert_eq!(ids(&rows), expected, "{filter}{order}, pages of {size}");
            }
        }
    }
}
