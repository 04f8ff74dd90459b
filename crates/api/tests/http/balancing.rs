//! Seed group `Networks`: clusters balancing, balancing discounts and the trip estimate.

use crate::common::TestApp;
use chrono::{DateTime, Duration, Utc};
use relais_domain::Permission;
use relais_store::units::UnitContents;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

/// A cluster of `network`, made directly in the store.
async fn cluster(app: &TestApp, network: i64, name: &str, decommissioned: bool) -> i64 {
    let now = Utc::now();
    relais_store::entity::cluster::ActiveModel {
        network_id: Set(network),
        name: Set(name.into()),
        created_at: Set(now),
        decommissioned_at: Set(decommissioned.then_some(now)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("cluster")
    .id
}

/// A trip of `network` from `start` to `end` lasting `seconds` (unfinished when `None`).
async fn trip(app: &TestApp, network: i64, start: i64, end: i64, seconds: Option<i64>) {
    let started: DateTime<Utc> = "2026-11-02T08:00:00Z".parse().unwrap();
    relais_store::trips::record(
        &app.db,
        relais_store::trips::NewTrip {
            network_id: network,
            start_cluster_id: Some(start),
            end_cluster_id: seconds.map(|_| end),
            started_at: started,
            ended_at: seconds.map(|s| started + Duration::seconds(s)),
            ..Default::default()
        },
    )
    .await
    .expect("trip");
}

fn clusters_path(network: i64) -> String {
    format!("/dashboard/networks/{network}/balancing/clusters")
}

fn discount_path(network: i64, donor: i64, receiver: i64) -> String {
    format!("/dashboard/networks/{network}/balancing/discounts/{donor}/{receiver}")
}

fn discounts_path(network: i64) -> String {
    format!("/dashboard/networks/{network}/balancing/discounts")
}

fn estimate_path(network: i64, donor: i64, receiver: i64, percentage: i64) -> String {
    format!(
        "/dashboard/networks/{network}/balancing/estimate?donor_cluster_id={donor}&receiver_cluster_id={receiver}&fastest_trip_percentage={percentage}"
    )
}

async fn balance(app: &TestApp, token: &str, network: i64, cluster: i64, kind: &str) {
    app.post(&clusters_path(network))
        .token(token)
        .json(json!({"cluster_id": cluster, "target_count": 10, "balancing_type": kind}))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn clusters_join_change_and_leave_balancing() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon Vélo").await;
    let bellecour = cluster(&app, network, "Bellecour", false).await;
    let part_dieu = cluster(&app, network, "Part-Dieu", false).await;

    let created = app
        .post(&clusters_path(network))
        .token(&admin)
        .json(json!({"cluster_id": part_dieu, "target_count": 12, "balancing_type": "receiver"}))
        .send()
        .await;
    assert_eq!(
        created.ok(),
        &json!({"cluster_id": part_dieu, "cluster_name": "Part-Dieu", "target_count": 12, "balancing_type": "receiver"})
    );
    app.post(&clusters_path(network))
        .token(&admin)
        .json(json!({"cluster_id": bellecour, "target_count": 0, "balancing_type": "donor"}))
        .send()
        .await
        .ok();
    let list = app.get(&clusters_path(network)).token(&admin).send().await;
    assert_eq!(
        list.ok(),
        &json!([
            {"cluster_id": bellecour, "cluster_name": "Bellecour", "target_count": 0, "balancing_type": "donor"},
            {"cluster_id": part_dieu, "cluster_name": "Part-Dieu", "target_count": 12, "balancing_type": "receiver"}
        ])
    );

    // A cluster takes part once.
    app.post(&clusters_path(network))
        .token(&admin)
        .json(json!({"cluster_id": bellecour, "target_count": 3, "balancing_type": "receiver"}))
        .send()
        .await
        .fails(409, -40)
        .names("cluster_id");

    let updated = app
        .patch(&format!("{}/{bellecour}", clusters_path(network)))
        .token(&admin)
        .json(json!({"cluster_id": bellecour, "target_count": 4}))
        .send()
        .await;
    assert_eq!(updated.ok()["target_count"], 4);
    assert_eq!(updated.ok()["balancing_type"], "donor");
    let list = app.get(&clusters_path(network)).token(&admin).send().await;
    assert_eq!(list.ok()[0]["target_count"], 4);

    app.delete(&format!(
        "{}?cluster_id={bellecour}",
        clusters_path(network)
    ))
    .token(&admin)
    .send()
    .await
    .ok();
    let list = app.get(&clusters_path(network)).token(&admin).send().await;
    let list = list.ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["cluster_id"], part_dieu);
    app.delete(&format!(
        "{}?cluster_id={bellecour}",
        clusters_path(network)
    ))
    .token(&admin)
    .send()
    .await
    .fails(404, -2)
    .names("cluster_id");
    app.patch(&format!("{}/{bellecour}", clusters_path(network)))
        .token(&admin)
        .json(json!({"cluster_id": bellecour, "target_count": 4}))
        .send()
        .await
        .fails(404, -2)
        .names("cluster_id");
    app.get(&clusters_path(999))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn cluster_balancing_requests_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon Vélo").await;
    let other = app.network("Paris Vélo").await;
    let mine = cluster(&app, network, "Bellecour", false).await;
    let closed = cluster(&app, network, "Vaise", true).await;
    let theirs = cluster(&app, other, "Opéra", false).await;
    let body = |cluster: Value| json!({"cluster_id": cluster, "target_count": 5, "balancing_type": "donor"});
    let with = |field: &str, value: Value| {
        let mut b = body(json!(mine));
        b[field] = value;
        b
    };
    let without = |field: &str| {
        let mut b = body(json!(mine));
        b.as_object_mut().unwrap().remove(field);
        b
    };
    let cases = [
        (body(json!(-1)), 422, -11, "cluster_id"),
        (body(json!(0)), 404, -2, "cluster_id"),
        (body(json!(theirs)), 404, -2, "cluster_id"),
        (body(json!(9999)), 404, -2, "cluster_id"),
        (body(json!(closed)), 422, -11, "cluster_id"),
        (body(json!("1")), 400, -10, "cluster_id"),
        (with("target_count", json!(-1)), 422, -11, "target_count"),
        (with("target_count", json!(1.5)), 400, -10, "target_count"),
        (
            with("balancing_type", json!("both")),
            400,
            -10,
            "balancing_type",
        ),
        (
            with("balancing_type", json!("Donor")),
            400,
            -10,
            "balancing_type",
        ),
        (with("extra", json!(1)), 400, -10, "extra"),
        (without("cluster_id"), 400, -10, "cluster_id"),
        (without("target_count"), 400, -10, "target_count"),
        (without("balancing_type"), 400, -10, "balancing_type"),
    ];
    for (body, status, code, field) in cases {
        app.post(&clusters_path(network))
            .token(&admin)
            .json(body)
            .send()
            .await
            .fails(status, code)
            .names(field);
    }
    let list = app.get(&clusters_path(network)).token(&admin).send().await;
    assert_eq!(list.ok(), &json!([]), "nothing was created");

    balance(&app, &admin, network, mine, "donor").await;
    let patch = |cluster: i64, body: Value| {
        app.patch(&format!("{}/{cluster}", clusters_path(network)))
            .token(&admin)
            .json(body)
            .send()
    };
    patch(mine, json!({"cluster_id": closed, "target_count": 3}))
        .await
        .fails(422, -11)
        .names("cluster_id");
    patch(mine, json!({"cluster_id": mine, "target_count": -3}))
        .await
        .fails(422, -11)
        .names("target_count");
    patch(
        mine,
        json!({"cluster_id": mine, "balancing_type": "receiver", "target_count": 3}),
    )
    .await
    .fails(400, -10)
    .names("balancing_type");
    patch(mine, json!({"cluster_id": mine}))
        .await
        .fails(400, -10)
        .names("target_count");
    patch(0, json!({"cluster_id": 0, "target_count": 3}))
        .await
        .fails(422, -11)
        .names("cluster_id");
    patch(theirs, json!({"cluster_id": theirs, "target_count": 3}))
        .await
        .fails(404, -2)
        .names("cluster_id");
    let list = app.get(&clusters_path(network)).token(&admin).send().await;
    assert_eq!(list.ok()[0]["target_count"], 10, "unchanged");

    for (query, status, code) in [
        ("", 400, -10),
        ("?cluster_id=0", 422, -11),
        ("?cluster_id=abc", 400, -10),
    ] {
        app.delete(&format!("{}{query}", clusters_path(network)))
            .token(&admin)
            .send()
            .await
            .fails(status, code)
            .names("cluster_id");
    }
}

#[tokio::test]
async fn a_decommissioned_cluster_can_leave_balancing() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon Vélo").await;
    let id = cluster(&app, network, "Vaise", false).await;
    balance(&app, &admin, network, id, "donor").await;
    relais_store::entity::cluster::ActiveModel {
        id: Set(id),
        decommissioned_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    app.patch(&format!("{}/{id}", clusters_path(network)))
        .token(&admin)
        .json(json!({"cluster_id": id, "target_count": 1}))
        .send()
        .await
        .fails(422, -11)
        .names("cluster_id");
    app.delete(&format!("{}?cluster_id={id}", clusters_path(network)))
        .token(&admin)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn discounts_go_from_a_donor_to_a_receiver() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon Vélo").await;
    let donor = cluster(&app, network, "Croix-Rousse", false).await;
    let receiver = cluster(&app, network, "Perrache", false).await;
    let second = cluster(&app, network, "Gerland", false).await;
    let outside = cluster(&app, network, "Vaise", false).await;
    balance(&app, &admin, network, donor, "donor").await;
    balance(&app, &admin, network, receiver, "receiver").await;
    balance(&app, &admin, network, second, "receiver").await;
    let put = |d: i64, r: i64, body: Value| {
        app.put(&discount_path(network, d, r))
            .token(&admin)
            .json(body)
            .send()
    };
    let body = |d: i64, r: i64, amount: Value| json!({"donor_cluster_id": d, "receiver_cluster_id": r, "discount_amount": amount});

    let route = put(donor, receiver, body(donor, receiver, json!("0.5"))).await;
    assert_eq!(
        route.ok(),
        &json!({
            "donor_cluster_id": donor, "donor_cluster_name": "Croix-Rousse",
            "receiver_cluster_id": receiver, "receiver_cluster_name": "Perrache",
            "discount_amount": "0.50"
        })
    );
    // A number is accepted as the seed sends it; setting the route again replaces the amount.
    put(donor, second, body(donor, second, json!(1))).await.ok();
    let route = put(donor, receiver, body(donor, receiver, json!("1.2575"))).await;
    assert_eq!(route.ok()["discount_amount"], "1.2575");
    let list = app.get(&discounts_path(network)).token(&admin).send().await;
    let list = list.ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    let amounts: Vec<(i64, &str)> = list
        .iter()
        .map(|r| {
            (
                r["receiver_cluster_id"].as_i64().unwrap(),
                r["discount_amount"].as_str().unwrap(),
            )
        })
        .collect();
    let mut expected = vec![(receiver, "1.2575"), (second, "1.00")];
    expected.sort();
    assert_eq!(amounts, expected, "by donor then receiver");

    // Refusals naming the field.
    put(receiver, donor, body(receiver, donor, json!("1")))
        .await
        .fails(422, -11)
        .names("donor_cluster_id");
    put(donor, outside, body(donor, outside, json!("1")))
        .await
        .fails(422, -11)
        .names("receiver_cluster_id");
    put(outside, receiver, body(outside, receiver, json!("1")))
        .await
        .fails(422, -11)
        .names("donor_cluster_id");
    put(donor, 9999, body(donor, 9999, json!("1")))
        .await
        .fails(404, -2)
        .names("receiver_cluster_id");
    put(donor, receiver, body(donor, receiver, json!("-0.5")))
        .await
        .fails(422, -11)
        .names("discount_amount");
    put(donor, receiver, body(donor, receiver, json!("0.12345")))
        .await
        .fails(422, -11)
        .names("discount_amount");
    put(donor, receiver, body(donor, receiver, json!("lots")))
        .await
        .fails(400, -10)
        .names("discount_amount");
    put(donor, receiver, body(donor, second, json!("1")))
        .await
        .fails(422, -11)
        .names("receiver_cluster_id");
    put(donor, receiver, body(second, receiver, json!("1")))
        .await
        .fails(422, -11)
        .names("donor_cluster_id");
    put(
        donor,
        receiver,
        json!({"donor_cluster_id": donor, "receiver_cluster_id": receiver}),
    )
    .await
    .fails(400, -10)
    .names("discount_amount");
    put(0, receiver, body(0, receiver, json!("1")))
        .await
        .fails(422, -11)
        .names("donor_cluster_id");
    let list = app.get(&discounts_path(network)).token(&admin).send().await;
    assert_eq!(list.ok()[0]["discount_amount"], "1.2575", "unchanged");

    // A cluster leaving balancing takes its routes with it.
    app.delete(&format!("{}?cluster_id={receiver}", clusters_path(network)))
        .token(&admin)
        .send()
        .await
        .ok();
    let list = app.get(&discounts_path(network)).token(&admin).send().await;
    let list = list.ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["receiver_cluster_id"], second);
}

#[tokio::test]
async fn the_estimate_averages_the_fastest_trips() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon Vélo").await;
    let other = app.network("Paris Vélo").await;
    let donor = cluster(&app, network, "Croix-Rousse", false).await;
    let receiver = cluster(&app, network, "Perrache", false).await;
    let empty = cluster(&app, network, "Gerland", false).await;
    for seconds in [600, 300, 900, 1200, 450] {
        trip(&app, network, donor, receiver, Some(seconds)).await;
    }
    // Not on the route, not finished, or on another network: left out.
    trip(&app, network, receiver, donor, Some(10)).await;
    trip(&app, network, donor, receiver, None).await;
    trip(&app, other, donor, receiver, Some(5)).await;

    let estimate = |percentage: i64| {
        app.get(&estimate_path(network, donor, receiver, percentage))
            .token(&admin)
            .send()
    };
    let reply = estimate(10).await;
    assert_eq!(
        reply.ok(),
        &json!({
            "donor_cluster_id": donor, "receiver_cluster_id": receiver,
            "fastest_trip_percentage": 10, "trip_count": 5, "sample_size": 1,
            "average_duration": 300.0
        })
    );
    // 40 % of 5 is 2 trips, 50 % is 2.5 rounded up to 3.
    let reply = estimate(40).await;
    assert_eq!(reply.ok()["sample_size"], 2);
    assert_eq!(reply.ok()["average_duration"], 375.0);
    let reply = estimate(50).await;
    assert_eq!(reply.ok()["sample_size"], 3);
    assert_eq!(reply.ok()["average_duration"], 450.0);
    let reply = estimate(1).await;
    assert_eq!(reply.ok()["average_duration"], 300.0);

    // No trip on the route is not an error.
    let reply = app
        .get(&estimate_path(network, donor, empty, 20))
        .token(&admin)
        .send()
        .await;
    assert_eq!(reply.ok()["trip_count"], 0);
    assert_eq!(reply.ok()["sample_size"], 0);
    assert_eq!(reply.ok()["average_duration"], Value::Null);

    for (percentage, status, code) in [(0, 422, -11), (51, 422, -11), (300, 422, -11)] {
        estimate(percentage)
            .await
            .fails(status, code)
            .names("fastest_trip_percentage");
    }
    let base = format!("/dashboard/networks/{network}/balancing/estimate");
    for (query, status, code, field) in [
        (
            format!("?receiver_cluster_id={receiver}&fastest_trip_percentage=10"),
            400,
            -10,
            "donor_cluster_id",
        ),
        (
            format!("?donor_cluster_id={donor}&fastest_trip_percentage=10"),
            400,
            -10,
            "receiver_cluster_id",
        ),
        (
            format!("?donor_cluster_id={donor}&receiver_cluster_id={receiver}"),
            400,
            -10,
            "fastest_trip_percentage",
        ),
        (
            format!(
                "?donor_cluster_id=0&receiver_cluster_id={receiver}&fastest_trip_percentage=10"
            ),
            422,
            -11,
            "donor_cluster_id",
        ),
        (
            format!("?donor_cluster_id={donor}&receiver_cluster_id=0&fastest_trip_percentage=10"),
            422,
            -11,
            "receiver_cluster_id",
        ),
        (
            format!(
                "?donor_cluster_id=9999&receiver_cluster_id={receiver}&fastest_trip_percentage=10"
            ),
            404,
            -2,
            "donor_cluster_id",
        ),
        (
            format!(
                "?donor_cluster_id={donor}&receiver_cluster_id=9999&fastest_trip_percentage=10"
            ),
            404,
            -2,
            "receiver_cluster_id",
        ),
    ] {
        app.get(&format!("{base}{query}"))
            .token(&admin)
            .send()
            .await
            .fails(status, code)
            .names(field);
    }
}

#[tokio::test]
async fn balancing_needs_networks_manage_over_the_network_and_its_clusters() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon Vélo").await;
    let paris = app.network("Paris Vélo").await;
    let donor = cluster(&app, lyon, "Croix-Rousse", false).await;
    let receiver = cluster(&app, lyon, "Perrache", false).await;
    let hidden = cluster(&app, lyon, "Gerland", false).await;
    let opera = cluster(&app, paris, "Opéra", false).await;
    balance(&app, &admin, lyon, donor, "donor").await;
    balance(&app, &admin, lyon, receiver, "receiver").await;
    balance(&app, &admin, lyon, hidden, "receiver").await;
    let route = |d: i64, r: i64| json!({"donor_cluster_id": d, "receiver_cluster_id": r, "discount_amount": "1"});
    app.put(&discount_path(lyon, donor, hidden))
        .token(&admin)
        .json(route(donor, hidden))
        .send()
        .await
        .ok();

    let unit = app.unit("Lyon", &[lyon]).await;
    let restricted = relais_store::units::create(
        &app.db,
        "Lyon nord",
        &UnitContents {
            networks: [lyon].into(),
            clusters: [donor, receiver].into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
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
    let (_, partial) = app
        .staff(
            "partial@relais.test",
            &[(Permission::NetworksManage, Some(restricted), true)],
        )
        .await;
    let (_, stranger) = app
        .staff(
            "stranger@relais.test",
            &[(Permission::Notifications, None, true)],
        )
        .await;

    app.get(&clusters_path(lyon)).send().await.fails(401, -20);
    for token in [&stranger] {
        app.get(&clusters_path(lyon))
            .token(token)
            .send()
            .await
            .fails(403, -30);
        app.get(&estimate_path(lyon, donor, receiver, 10))
            .token(token)
            .send()
            .await
            .fails(403, -30);
    }
    // Reading needs no write; changing does.
    app.get(&clusters_path(lyon))
        .token(&reader)
        .send()
        .await
        .ok();
    app.get(&discounts_path(lyon))
        .token(&reader)
        .send()
        .await
        .ok();
    app.get(&estimate_path(lyon, donor, receiver, 10))
        .token(&reader)
        .send()
        .await
        .ok();
    app.patch(&format!("{}/{donor}", clusters_path(lyon)))
        .token(&reader)
        .json(json!({"cluster_id": donor, "target_count": 1}))
        .send()
        .await
        .fails(403, -30);
    app.put(&discount_path(lyon, donor, receiver))
        .token(&reader)
        .json(route(donor, receiver))
        .send()
        .await
        .fails(403, -30);

    // The writer's unit covers Lyon, not Paris.
    app.put(&discount_path(lyon, donor, receiver))
        .token(&writer)
        .json(route(donor, receiver))
        .send()
        .await
        .ok();
    for reply in [
        app.get(&clusters_path(paris)).token(&writer).send().await,
        app.get(&discounts_path(paris)).token(&writer).send().await,
        app.get(&estimate_path(paris, opera, opera, 10))
            .token(&writer)
            .send()
            .await,
        app.post(&clusters_path(paris))
            .token(&writer)
            .json(json!({"cluster_id": opera, "target_count": 1, "balancing_type": "donor"}))
            .send()
            .await,
        app.patch(&format!("{}/{opera}", clusters_path(paris)))
            .token(&writer)
            .json(json!({"cluster_id": opera, "target_count": 1}))
            .send()
            .await,
        app.delete(&format!("{}?cluster_id={opera}", clusters_path(paris)))
            .token(&writer)
            .send()
            .await,
        app.put(&discount_path(paris, opera, opera))
            .token(&writer)
            .json(route(opera, opera))
            .send()
            .await,
    ] {
        reply.fails(403, -31);
    }

    // A unit restricted to some clusters sees and changes only those.
    let list = app.get(&clusters_path(lyon)).token(&partial).send().await;
    let ids: Vec<i64> = list
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cluster_id"].as_i64().unwrap())
        .collect();
    let mut expected = vec![donor, receiver];
    expected.sort();
    assert_eq!(ids, expected);
    let list = app.get(&discounts_path(lyon)).token(&partial).send().await;
    let routes = list.ok().as_array().unwrap().clone();
    assert_eq!(
        routes.len(),
        1,
        "the route to the hidden cluster is left out"
    );
    assert_eq!(routes[0]["receiver_cluster_id"], receiver);
    app.patch(&format!("{}/{donor}", clusters_path(lyon)))
        .token(&partial)
        .json(json!({"cluster_id": donor, "target_count": 2}))
        .send()
        .await
        .ok();
    for reply in [
        app.patch(&format!("{}/{hidden}", clusters_path(lyon)))
            .token(&partial)
            .json(json!({"cluster_id": hidden, "target_count": 2}))
            .send()
            .await,
        app.delete(&format!("{}?cluster_id={hidden}", clusters_path(lyon)))
            .token(&partial)
            .send()
            .await,
        app.put(&discount_path(lyon, donor, hidden))
            .token(&partial)
            .json(route(donor, hidden))
            .send()
            .await,
        app.get(&estimate_path(lyon, donor, hidden, 10))
            .token(&partial)
            .send()
            .await,
    ] {
        reply.fails(403, -31);
    }
    let list = app.get(&clusters_path(lyon)).token(&admin).send().await;
    assert_eq!(list.ok().as_array().unwrap().len(), 3, "nothing removed");
}

#[tokio::test]
async fn a_closed_network_refuses_every_balancing_change() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon Vélo").await;
    let donor = cluster(&app, network, "Croix-Rousse", false).await;
    let receiver = cluster(&app, network, "Perrache", false).await;
    let spare = cluster(&app, network, "Gerland", false).await;
    balance(&app, &admin, network, donor, "donor").await;
    balance(&app, &admin, network, receiver, "receiver").await;
    trip(&app, network, donor, receiver, Some(120)).await;
    relais_store::networks::close(&app.db, network, Utc::now())
        .await
        .unwrap();

    app.post(&clusters_path(network))
        .token(&admin)
        .json(json!({"cluster_id": spare, "target_count": 1, "balancing_type": "donor"}))
        .send()
        .await
        .fails(409, -41);
    app.patch(&format!("{}/{donor}", clusters_path(network)))
        .token(&admin)
        .json(json!({"cluster_id": donor, "target_count": 1}))
        .send()
        .await
        .fails(409, -41);
    app.put(&discount_path(network, donor, receiver))
        .token(&admin)
        .json(json!({"donor_cluster_id": donor, "receiver_cluster_id": receiver, "discount_amount": "1"}))
        .send()
        .await
        .fails(409, -41);
    app.delete(&format!("{}?cluster_id={donor}", clusters_path(network)))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);
    // Reading still works.
    let list = app.get(&clusters_path(network)).token(&admin).send().await;
    assert_eq!(list.ok().as_array().unwrap().len(), 2);
    assert_eq!(list.ok()[0]["target_count"], 10);
    app.get(&discounts_path(network))
        .token(&admin)
        .send()
        .await
        .ok();
    let estimate = app
        .get(&estimate_path(network, donor, receiver, 50))
        .token(&admin)
        .send()
        .await;
    assert_eq!(estimate.ok()["average_duration"], 120.0);
}
