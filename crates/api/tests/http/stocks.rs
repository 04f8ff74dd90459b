//! Seed group `Stocks`: stock addresses (of a network or operator-wide), their auto-stock shape,
//! and the vehicles they hold (assigned, or inside the shape).

use crate::common::TestApp;
use crate::stations::{vehicle, vehicle_row};
use chrono::Utc;
use relais_domain::Permission;
use relais_store::entity::vehicle as vehicle_entity;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

/// A square around Place Bellecour, counter-clockwise.
const BELLECOUR: [[f64; 2]; 4] = [
    [4.83, 45.7565],
    [4.8345, 45.7565],
    [4.8345, 45.759],
    [4.83, 45.759],
];
const INSIDE: [f64; 2] = [4.832, 45.758];
const OUTSIDE: [f64; 2] = [4.85, 45.76];

fn address(name: &str, network: Option<i64>) -> Value {
    let mut body = json!({
        "name": name,
        "country": 250,
        "city": "Lyon",
        "zipcode": "69002",
        "street": "1 place Bellecour",
    });
    if let Some(network) = network {
        body["network_id"] = json!(network);
    }
    body
}

async fn create(app: &TestApp, token: &str, body: Value) -> i64 {
    app.post("/dashboard/stocks")
        .token(token)
        .json(body)
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap()
}

async fn stock_vehicle(app: &TestApp, vehicle: i64, stock: i64) {
    vehicle_entity::ActiveModel {
        id: Set(vehicle),
        stock_id: Set(Some(stock)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn stocks_are_created_listed_and_deleted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;

    let data = app
        .post("/dashboard/stocks")
        .token(&admin)
        .json(address("Lyon depot", Some(lyon)))
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(data["network_id"], lyon);
    assert_eq!(data["name"], "Lyon depot");
    // As networks and third parties show their country.
    assert_eq!(
        data["country"],
        json!({"id": 250, "code": "FR", "name": "France"})
    );
    assert_eq!(data["city"], "Lyon");
    assert_eq!(data["zipcode"], "69002");
    assert_eq!(data["street"], "1 place Bellecour");
    assert_eq!(data["shape"], Value::Null);
    let lyon_stock = data["id"].as_i64().unwrap();
    // `country_id`, the name of a country everywhere else, is accepted for the seed's `country`.
    let mut by_id = address("Lyon annex", Some(lyon));
    let country = by_id.as_object_mut().unwrap().remove("country").unwrap();
    by_id["country_id"] = country;
    let annex = app
        .post("/dashboard/stocks")
        .token(&admin)
        .json(by_id)
        .send()
        .await;
    assert_eq!(annex.ok()["country"]["id"], 250);
    app.delete(&format!("/dashboard/stocks/{}", annex.ok()["id"]))
        .token(&admin)
        .send()
        .await
        .ok();
    let shared = create(&app, &admin, address("Central depot", None)).await;
    let paris_stock = create(&app, &admin, address("Paris depot", Some(paris))).await;

    let list = app
        .get(&format!("/dashboard/stocks?networks={lyon}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![lyon_stock, shared]);
    assert_eq!(list[1]["network_id"], Value::Null);
    let list = app
        .get(&format!("/dashboard/stocks?networks={lyon},{paris}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(list.as_array().unwrap().len(), 3);

    app.delete(&format!("/dashboard/stocks/{paris_stock}"))
        .token(&admin)
        .send()
        .await
        .ok();
    let list = app
        .get(&format!("/dashboard/stocks?networks={paris}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], shared);
    app.delete(&format!("/dashboard/stocks/{paris_stock}"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn creating_a_stock_validates_every_field() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let cases: Vec<(&str, Value)> = vec![
        ("name", json!("abc")),
        ("name", json!("x".repeat(129))),
        ("country", json!(0)),
        ("country", json!(999)),
        ("city", json!("")),
        ("city", json!("x".repeat(129))),
        ("zipcode", json!("")),
        ("zipcode", json!("x".repeat(17))),
        ("street", json!("")),
        ("street", json!("x".repeat(129))),
        ("network_id", json!(0)),
    ];
    for (field, value) in cases {
        let mut body = address("Lyon depot", Some(lyon));
        body[field] = value;
        app.post("/dashboard/stocks")
            .token(&admin)
            .json(body)
            .send()
            .await
            .fails(422, -11)
            .names(field);
    }
    let mut body = address("Lyon depot", None);
    body.as_object_mut().unwrap().remove("street");
    app.post("/dashboard/stocks")
        .token(&admin)
        .json(body)
        .send()
        .await
        .fails(400, -10)
        .names("street");
    let mut body = address("Lyon depot", None);
    body["colour"] = json!("red");
    app.post("/dashboard/stocks")
        .token(&admin)
        .json(body)
        .send()
        .await
        .fails(400, -10)
        .names("colour");
    app.post("/dashboard/stocks")
        .token(&admin)
        .json(address("Lyon depot", Some(999999)))
        .send()
        .await
        .fails(404, -2)
        .names("network_id");
    // Boundaries accepted.
    let mut body = address("abcd", Some(lyon));
    body["zipcode"] = json!("x".repeat(16));
    create(&app, &admin, body).await;
}

#[tokio::test]
async fn stocks_respect_permission_scope_and_closed_networks() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let unit = app.unit("Lyon team", &[lyon]).await;
    let paris_stock = create(&app, &admin, address("Paris depot", Some(paris))).await;
    let shared = create(&app, &admin, address("Central depot", None)).await;

    let (_, reader) = app
        .staff(
            "reader@example.com",
            &[(Permission::StocksManage, Some(unit), false)],
        )
        .await;
    app.get(&format!("/dashboard/stocks?networks={lyon}"))
        .token(&reader)
        .send()
        .await
        .ok();
    app.get(&format!("/dashboard/stocks?networks={paris}"))
        .token(&reader)
        .send()
        .await
        .fails(403, -31);
    app.post("/dashboard/stocks")
        .token(&reader)
        .json(address("Lyon depot", Some(lyon)))
        .send()
        .await
        .fails(403, -30);

    let (_, writer) = app
        .staff(
            "writer@example.com",
            &[(Permission::StocksManage, Some(unit), true)],
        )
        .await;
    let lyon_stock = create(&app, &writer, address("Lyon depot", Some(lyon))).await;
    app.post("/dashboard/stocks")
        .token(&writer)
        .json(address("Paris depot", Some(paris)))
        .send()
        .await
        .fails(403, -31)
        .names("network_id");
    // Operator-wide stocks need the permission globally.
    app.post("/dashboard/stocks")
        .token(&writer)
        .json(address("Central depot", None))
        .send()
        .await
        .fails(403, -31);
    app.delete(&format!("/dashboard/stocks/{paris_stock}"))
        .token(&writer)
        .send()
        .await
        .fails(403, -31);
    app.delete(&format!("/dashboard/stocks/{shared}"))
        .token(&writer)
        .send()
        .await
        .fails(403, -31);
    app.put("/dashboard/stocks/shape")
        .token(&writer)
        .json(json!({"stock_id": paris_stock, "shape": BELLECOUR}))
        .send()
        .await
        .fails(403, -31);
    // Shared stocks are listed for the networks the caller reaches.
    let list = app
        .get(&format!("/dashboard/stocks?networks={lyon}"))
        .token(&writer)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(list.as_array().unwrap().len(), 2);

    relais_store::networks::close(&app.db, lyon, Utc::now())
        .await
        .unwrap();
    app.post("/dashboard/stocks")
        .token(&writer)
        .json(address("Lyon depot 2", Some(lyon)))
        .send()
        .await
        .fails(409, -41);
    app.delete(&format!("/dashboard/stocks/{lyon_stock}"))
        .token(&writer)
        .send()
        .await
        .fails(409, -41);
    app.put("/dashboard/stocks/shape")
        .token(&writer)
        .json(json!({"stock_id": lyon_stock, "shape": BELLECOUR}))
        .send()
        .await
        .fails(409, -41);
    // Still readable.
    let list = app
        .get(&format!("/dashboard/stocks?networks={lyon}"))
        .token(&writer)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_stock_holding_vehicles_cannot_be_deleted() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let stock = create(&app, &admin, address("Lyon depot", Some(lyon))).await;
    let v = vehicle(&app, lyon, "V-1", None).await;
    stock_vehicle(&app, v, stock).await;
    app.delete(&format!("/dashboard/stocks/{stock}"))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);
    vehicle_entity::ActiveModel {
        id: Set(v),
        stock_id: Set(None),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    app.delete(&format!("/dashboard/stocks/{stock}"))
        .token(&admin)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn the_shape_is_validated_and_stored() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let stock = create(&app, &admin, address("Lyon depot", Some(lyon))).await;

    app.put("/dashboard/stocks/shape")
        .token(&admin)
        .json(json!({"stock_id": stock, "shape": BELLECOUR}))
        .send()
        .await
        .ok();
    let list = app
        .get(&format!("/dashboard/stocks?networks={lyon}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    let mut ring = BELLECOUR.to_vec();
    ring.push(BELLECOUR[0]);
    assert_eq!(
        list[0]["shape"],
        json!({"type": "Polygon", "coordinates": [ring]})
    );

    app.put("/dashboard/stocks/shape")
        .token(&admin)
        .json(json!({"stock_id": stock, "shape": [[4.83, 45.75], [4.84, 45.76]]}))
        .send()
        .await
        .fails(422, -11);
    app.put("/dashboard/stocks/shape")
        .token(&admin)
        .json(json!({"stock_id": stock, "shape": [[4.83, 45.75], [4.84, 95.0], [4.84, 45.76]]}))
        .send()
        .await
        .fails(422, -11)
        .names("shape[1]");
    app.put("/dashboard/stocks/shape")
        .token(&admin)
        .json(json!({"stock_id": stock, "shape": [[4.83, 45.75], [4.84, 45.76], [4.84, 45.75], [4.83, 45.76]]}))
        .send()
        .await
        .fails(422, -11);
    app.put("/dashboard/stocks/shape")
        .token(&admin)
        .json(json!({"stock_id": 0, "shape": BELLECOUR}))
        .send()
        .await
        .fails(422, -11)
        .names("stock_id");
    app.put("/dashboard/stocks/shape")
        .token(&admin)
        .json(json!({"stock_id": 999999, "shape": BELLECOUR}))
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn vehicles_are_in_a_stock_by_assignment_or_by_position() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let stock = create(&app, &admin, address("Lyon depot", Some(lyon))).await;
    let other = create(&app, &admin, address("Lyon depot 2", Some(lyon))).await;
    app.put("/dashboard/stocks/shape")
        .token(&admin)
        .json(json!({"stock_id": stock, "shape": BELLECOUR}))
        .send()
        .await
        .ok();
    let assigned = vehicle(&app, lyon, "V-ASSIGNED", Some(OUTSIDE)).await;
    stock_vehicle(&app, assigned, stock).await;
    let inside = vehicle(&app, lyon, "V-INSIDE", Some(INSIDE)).await;
    let _outside = vehicle(&app, lyon, "V-OUTSIDE", Some(OUTSIDE)).await;
    let _nowhere = vehicle(&app, lyon, "V-NOWHERE", None).await;
    // Inside the shape but assigned to another stock: counted there only.
    let elsewhere = vehicle(&app, lyon, "V-ELSEWHERE", Some(INSIDE)).await;
    stock_vehicle(&app, elsewhere, other).await;
    // Inside the shape but of another network.
    let _foreign = vehicle(&app, paris, "V-PARIS", Some(INSIDE)).await;

    let data = app
        .get(&format!("/dashboard/stocks/vehicles?stocks={stock}"))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    let got: Vec<(i64, String)> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["vehicle_id"].as_i64().unwrap(),
                v["stocked_by"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (assigned, "assigned".to_owned()),
            (inside, "inside_shape".to_owned())
        ]
    );
    assert_eq!(data[0]["stock_id"], stock);
    assert_eq!(data[0]["serial"], "V-ASSIGNED");
    assert_eq!(data[1]["latitude"], INSIDE[1]);

    let data = app
        .get(&format!(
            "/dashboard/stocks/vehicles?stocks={stock},{other}"
        ))
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert_eq!(data.as_array().unwrap().len(), 3);
    assert_eq!(data[2]["vehicle_id"], elsewhere);
    assert_eq!(data[2]["stock_id"], other);
    // The vehicle rows were not changed by being counted.
    assert_eq!(vehicle_row(&app, inside).await.stock_id, None);

    app.get("/dashboard/stocks/vehicles?stocks=999999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2)
        .names("stocks");
    app.get("/dashboard/stocks/vehicles?stocks=0")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("stocks");
    app.get(&format!(
        "/dashboard/stocks/vehicles?stocks={stock},{stock}"
    ))
    .token(&admin)
    .send()
    .await
    .fails(422, -11)
    .names("stocks");
    app.get("/dashboard/stocks/vehicles")
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("stocks");
}

#[tokio::test]
async fn stock_vehicles_need_their_permission_and_scope() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let lyon = app.network("Lyon").await;
    let paris = app.network("Paris").await;
    let unit = app.unit("Lyon team", &[lyon]).await;
    let lyon_stock = create(&app, &admin, address("Lyon depot", Some(lyon))).await;
    let paris_stock = create(&app, &admin, address("Paris depot", Some(paris))).await;

    let (_, manager) = app
        .staff(
            "manager@example.com",
            &[(Permission::StocksManage, None, true)],
        )
        .await;
    app.get(&format!("/dashboard/stocks/vehicles?stocks={lyon_stock}"))
        .token(&manager)
        .send()
        .await
        .fails(403, -30);
    let (_, viewer) = app
        .staff(
            "viewer@example.com",
            &[(Permission::StocksVehicles, Some(unit), false)],
        )
        .await;
    app.get(&format!("/dashboard/stocks/vehicles?stocks={lyon_stock}"))
        .token(&viewer)
        .send()
        .await
        .ok();
    app.get(&format!(
        "/dashboard/stocks/vehicles?stocks={lyon_stock},{paris_stock}"
    ))
    .token(&viewer)
    .send()
    .await
    .fails(403, -31)
    .names("stocks");
}
