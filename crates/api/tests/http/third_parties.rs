//! Seed group `ThirdParties`: third parties created by hand, the ERP's companies not imported
//! yet, and importing them (with an in-memory ERP).

use crate::common::TestApp;
use relais_domain::Permission;
use relais_erp::{Erp, ErpError, ErpFuture, ErpPartner, MemoryErp, PartnerQuery};
use serde_json::{Value, json};
use std::sync::Arc;

fn new_third_party() -> Value {
    json!({
        "name": "Vélos du Rhône",
        "address": "12 quai Perrache",
        "zipcode": "69002",
        "city": "Lyon",
        "country_id": 250,
    })
}

/// A complete ERP company.
fn company(erp_id: i64, name: &str) -> ErpPartner {
    let mut p = ErpPartner::new(erp_id, name);
    p.street = Some("Keizersgracht 1".into());
    p.zip = Some("1015 CJ".into());
    p.city = Some("Amsterdam".into());
    p.country_code = Some("NL".into());
    p
}

fn erp() -> Arc<dyn Erp> {
    let mut acme = company(7, "Acme Mobility");
    acme.street = Some("12 rue de la Paix".into());
    acme.street2 = Some("Bâtiment B".into());
    acme.zip = Some("75002".into());
    acme.city = Some("Paris".into());
    acme.country_code = Some("FR".into());
    acme.vat = Some("FR12345678901".into());
    acme.email = Some("contact@acme.example".into());
    acme.phone = Some("+33 1 23 45 67 89".into());
    let mut no_address = ErpPartner::new(8, "Bare Bikes");
    no_address.street = None;
    no_address.city = Some("Lyon".into());
    let mut odd_country = company(9, "Cyclo Oddland");
    odd_country.country_code = Some("XX".into());
    let mut long_zip = company(10, "Dutch Wheels");
    long_zip.zip = Some("12345678901".into());
    let mut archived = company(11, "Archived Cycles");
    archived.active = false;
    Arc::new(MemoryErp::new([
        acme,
        no_address,
        odd_country,
        long_zip,
        archived,
        company(12, "Electric Fleet"),
    ]))
}

/// An ERP that cannot be reached.
struct DownErp;

impl Erp for DownErp {
    fn name(&self) -> &str {
        "down"
    }

    fn partners<'a>(&'a self, _query: &'a PartnerQuery) -> ErpFuture<'a, Vec<ErpPartner>> {
        Box::pin(async {
            Err(ErpError::Unreachable(
                "connection refused to 10.0.0.1".into(),
            ))
        })
    }

    fn partner(&self, _erp_id: i64) -> ErpFuture<'_, Option<ErpPartner>> {
        Box::pin(async { Err(ErpError::Authentication("secret-detail".into())) })
    }
}

fn erp_ids(page: &Value) -> Vec<i64> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["erp_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_third_party_is_created_and_listed_by_name() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let created = app
        .post("/dashboard/third-parties")
        .token(&admin)
        .json(new_third_party())
        .send()
        .await;
    let third = created.ok().clone();
    let id = third["id"].as_i64().unwrap();
    assert_eq!(third["name"], "Vélos du Rhône");
    assert_eq!(third["address"], "12 quai Perrache");
    assert_eq!(third["zipcode"], "69002");
    assert_eq!(third["city"], "Lyon");
    assert_eq!(
        third["country"],
        json!({"id": 250, "code": "FR", "name": "France"})
    );
    assert_eq!(third["erp_id"], Value::Null);
    assert_eq!(third["email"], Value::Null);
    assert!(third["created_at"].is_string());

    let mut other = new_third_party();
    other["name"] = json!("Alpha Transports");
    other["country_id"] = json!(56);
    let other = app
        .post("/dashboard/third-parties")
        .token(&admin)
        .json(other)
        .send()
        .await;
    let other_id = other.ok()["id"].as_i64().unwrap();

    let list = app
        .get("/dashboard/third-parties")
        .token(&admin)
        .send()
        .await;
    let rows = list.ok().as_array().unwrap().clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], other_id, "listed by name");
    assert_eq!(rows[0]["country"]["code"], "BE");
    assert_eq!(rows[1], third);

    // It can own a network.
    let label = app.app_label("lyon").await;
    let network = app
        .post("/dashboard/networks")
        .token(&admin)
        .json(json!({
            "name": "Lyon Vélo", "default_vat": 0.2, "country_id": 250, "currency": "EUR",
            "default_vehicle_guarantee": "150", "trip_to_skip_pre_auth_guarantee": 0,
            "timezone": "Europe/Paris", "app_label_id": label, "third_party_id": id,
        }))
        .send()
        .await;
    assert_eq!(
        network.ok()["owner"],
        json!({"id": id, "name": "Vélos du Rhône"})
    );
}

#[tokio::test]
async fn creation_is_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let send = |body: Value| {
        app.post("/dashboard/third-parties")
            .token(&admin)
            .json(body)
            .send()
    };
    let with = |field: &str, value: Value| {
        let mut body = new_third_party();
        body[field] = value;
        body
    };
    for (field, value, status, code) in [
        ("name", json!(""), 422, -11),
        ("name", json!("n".repeat(256)), 422, -11),
        ("address", json!(""), 422, -11),
        ("address", json!("a".repeat(513)), 422, -11),
        ("zipcode", json!(""), 422, -11),
        ("zipcode", json!("12345678901"), 422, -11),
        ("city", json!(""), 422, -11),
        ("city", json!("c".repeat(129)), 422, -11),
        ("country_id", json!(0), 422, -11),
        ("country_id", json!(999), 422, -11),
        ("country_id", json!("FR"), 400, -10),
        ("name", json!(null), 400, -10),
    ] {
        send(with(field, value.clone()))
            .await
            .fails(status, code)
            .names(field);
    }
    // The longest values fit.
    let mut longest = new_third_party();
    longest["name"] = json!("é".repeat(255));
    longest["address"] = json!("a".repeat(512));
    longest["zipcode"] = json!("1".repeat(10));
    longest["city"] = json!("c".repeat(128));
    send(longest).await.ok();
    for field in ["name", "address", "zipcode", "city", "country_id"] {
        let mut body = new_third_party();
        body.as_object_mut().unwrap().remove(field);
        send(body).await.fails(400, -10).names(field);
    }
    send(with("erp_id", json!(7)))
        .await
        .fails(400, -10)
        .names("erp_id");
    let list = app
        .get("/dashboard/third-parties")
        .token(&admin)
        .send()
        .await;
    assert_eq!(list.ok().as_array().unwrap().len(), 1, "only the valid one");
}

#[tokio::test]
async fn permissions_are_enforced() {
    let app = TestApp::with_erp(erp()).await;
    let lyon = app.network("Lyon").await;
    let unit = app.unit("Lyon", &[lyon]).await;
    let (_, nobody) = app.staff("nobody@example.com", &[]).await;
    let (_, reader) = app
        .staff(
            "reader@example.com",
            &[(Permission::NetworksManage, None, false)],
        )
        .await;
    let (_, local) = app
        .staff(
            "local@example.com",
            &[(Permission::NetworksManage, Some(unit), true)],
        )
        .await;
    let (_, manager) = app
        .staff(
            "manager@example.com",
            &[(Permission::NetworksManage, None, true)],
        )
        .await;

    app.get("/dashboard/third-parties")
        .send()
        .await
        .fails(401, -20);
    app.get("/dashboard/third-parties")
        .token(&nobody)
        .send()
        .await
        .fails(403, -30);
    app.get("/dashboard/third-parties")
        .token(&reader)
        .send()
        .await
        .ok();
    // Third parties are operator-wide: a unit-scoped holder sees them all.
    app.get("/dashboard/third-parties")
        .token(&local)
        .send()
        .await
        .ok();

    let create = |token: &str| {
        app.post("/dashboard/third-parties")
            .token(token)
            .json(new_third_party())
            .send()
    };
    create(&nobody).await.fails(403, -30);
    create(&reader).await.fails(403, -30);
    create(&local).await.fails(403, -31);
    create(&manager).await.ok();

    let browse = |token: &str| app.get("/dashboard/third-parties/erp").token(token).send();
    browse(&nobody).await.fails(403, -30);
    browse(&local).await.fails(403, -31);
    browse(&reader).await.ok();

    let import = |token: &str| {
        app.post("/dashboard/third-parties/import")
            .token(token)
            .json(json!({"erp_id": 7}))
            .send()
    };
    import(&nobody).await.fails(403, -30);
    import(&reader).await.fails(403, -30);
    import(&local).await.fails(403, -31);
    import(&manager).await.ok();
}

#[tokio::test]
async fn the_erp_lists_companies_not_imported_with_what_they_lack() {
    let app = TestApp::with_erp(erp()).await;
    let (_, admin) = app.admin().await;
    let page = app
        .get("/dashboard/third-parties/erp")
        .token(&admin)
        .send()
        .await;
    page.ok();
    assert_eq!(
        erp_ids(&page.body),
        [7, 8, 9, 10, 12],
        "active ones, by name"
    );
    assert_eq!(
        page.body["page"],
        json!({"page": 1, "page_size": 20, "has_more": false})
    );
    let acme = &page.body["data"][0];
    assert_eq!(acme["name"], "Acme Mobility");
    assert_eq!(acme["address"], "12 rue de la Paix, Bâtiment B");
    assert_eq!(acme["zipcode"], "75002");
    assert_eq!(acme["city"], "Paris");
    assert_eq!(acme["country_id"], 250);
    assert_eq!(acme["country_code"], "FR");
    assert_eq!(acme["vat_number"], "FR12345678901");
    assert_eq!(acme["email"], "contact@acme.example");
    assert_eq!(acme["phone"], "+33 1 23 45 67 89");
    assert_eq!(acme["importable"], true);
    assert_eq!(acme["missing"], json!([]));
    let bare = &page.body["data"][1];
    assert_eq!(bare["importable"], false);
    assert_eq!(bare["missing"], json!(["address", "zipcode", "country_id"]));
    assert_eq!(page.body["data"][2]["missing"], json!(["country_id"]));
    assert_eq!(page.body["data"][2]["country_id"], Value::Null);
    assert_eq!(page.body["data"][3]["missing"], json!(["zipcode"]));

    // Searching, case-insensitively.
    let found = app
        .get("/dashboard/third-parties/erp?search=CYCLO")
        .token(&admin)
        .send()
        .await;
    found.ok();
    assert_eq!(erp_ids(&found.body), [9]);
    let blank = app
        .get("/dashboard/third-parties/erp?search=%20")
        .token(&admin)
        .send()
        .await;
    blank.ok();
    assert_eq!(erp_ids(&blank.body).len(), 5);

    // Imported companies leave the list.
    app.post("/dashboard/third-parties/import")
        .token(&admin)
        .json(json!({"erp_id": 7}))
        .send()
        .await
        .ok();
    let after = app
        .get("/dashboard/third-parties/erp")
        .token(&admin)
        .send()
        .await;
    after.ok();
    assert_eq!(erp_ids(&after.body), [8, 9, 10, 12]);
}

#[tokio::test]
async fn the_erp_list_is_paged() {
    let companies: Vec<ErpPartner> = (1..=25)
        .map(|i| company(i, &format!("Company {i:02}")))
        .collect();
    let app = TestApp::with_erp(Arc::new(MemoryErp::new(companies))).await;
    let (_, admin) = app.admin().await;
    let get = |query: &str| {
        app.get(&format!("/dashboard/third-parties/erp?{query}"))
            .token(&admin)
            .send()
    };
    let first = get("page_size=10").await;
    first.ok();
    assert_eq!(erp_ids(&first.body), (1..=10).collect::<Vec<_>>());
    assert_eq!(
        first.body["page"],
        json!({"page": 1, "page_size": 10, "has_more": true})
    );
    let third = get("page_size=10&page=3").await;
    third.ok();
    assert_eq!(erp_ids(&third.body), (21..=25).collect::<Vec<_>>());
    assert_eq!(third.body["page"]["has_more"], false);
    let exact = get("page_size=25").await;
    exact.ok();
    assert_eq!(exact.body["page"]["has_more"], false);
    assert_eq!(erp_ids(&exact.body).len(), 25);
    let beyond = get("page_size=10&page=4").await;
    beyond.ok();
    assert_eq!(erp_ids(&beyond.body), Vec::<i64>::new());

    for (query, field) in [
        ("page_size=9", "page_size"),
        ("page_size=501", "page_size"),
        ("page=0", "page"),
        ("page=100001", "page"),
    ] {
        get(query).await.fails(422, -11).names(field);
    }
    get("page=x").await.fails(400, -10).names("page");
    get(&format!("search={}", "s".repeat(256)))
        .await
        .fails(422, -11)
        .names("search");
}

#[tokio::test]
async fn a_company_is_imported_once() {
    let app = TestApp::with_erp(erp()).await;
    let (_, admin) = app.admin().await;
    let import = |erp_id: Value| {
        app.post("/dashboard/third-parties/import")
            .token(&admin)
            .json(json!({"erp_id": erp_id}))
            .send()
    };
    let imported = import(json!(7)).await;
    let third = imported.ok().clone();
    assert!(third["id"].as_i64().unwrap() >= 1);
    assert_eq!(third["erp_id"], 7);
    assert_eq!(third["name"], "Acme Mobility");
    assert_eq!(third["address"], "12 rue de la Paix, Bâtiment B");
    assert_eq!(third["zipcode"], "75002");
    assert_eq!(third["city"], "Paris");
    assert_eq!(
        third["country"],
        json!({"id": 250, "code": "FR", "name": "France"})
    );
    assert_eq!(third["vat_number"], "FR12345678901");
    assert_eq!(third["email"], "contact@acme.example");
    assert_eq!(third["phone"], "+33 1 23 45 67 89");

    let list = app
        .get("/dashboard/third-parties")
        .token(&admin)
        .send()
        .await;
    assert_eq!(list.ok(), &json!([third]));

    let again = import(json!(7)).await;
    again.fails(409, -40).names("erp_id");
    assert!(
        again.body["message"]["text"]
            .as_str()
            .unwrap()
            .contains("already imported")
    );

    // Another complete company, without optional fields.
    let fleet = import(json!(12)).await;
    let fleet = fleet.ok();
    assert_eq!(fleet["address"], "Keizersgracht 1");
    assert_eq!(fleet["country"]["id"], 528);
    assert_eq!(fleet["vat_number"], Value::Null);
    assert_eq!(fleet["email"], Value::Null);

    import(json!(99)).await.fails(404, -2).names("erp_id");
    import(json!(11)).await.fails(404, -2).names("erp_id"); // archived
    let bare = import(json!(8)).await;
    bare.fails(422, -11)
        .names("address")
        .names("zipcode")
        .names("country_id");
    assert!(bare.body["message"]["fields"].get("city").is_none());
    import(json!(9)).await.fails(422, -11).names("country_id");
    import(json!(10)).await.fails(422, -11).names("zipcode");
    import(json!(0)).await.fails(422, -11).names("erp_id");
    import(json!("7")).await.fails(400, -10).names("erp_id");
    app.post("/dashboard/third-parties/import")
        .token(&admin)
        .json(json!({}))
        .send()
        .await
        .fails(400, -10)
        .names("erp_id");
    app.post("/dashboard/third-parties/import")
        .token(&admin)
        .json(json!({"erp_id": 12, "name": "x"}))
        .send()
        .await
        .fails(400, -10)
        .names("name");

    let list = app
        .get("/dashboard/third-parties")
        .token(&admin)
        .send()
        .await;
    assert_eq!(
        list.ok().as_array().unwrap().len(),
        2,
        "nothing else imported"
    );
}

#[tokio::test]
async fn without_an_erp_the_erp_operations_are_unavailable() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let listed = app
        .get("/dashboard/third-parties/erp")
        .token(&admin)
        .send()
        .await;
    listed.fails(503, -50);
    assert_eq!(listed.body["message"]["text"], "no ERP is configured");
    let imported = app
        .post("/dashboard/third-parties/import")
        .token(&admin)
        .json(json!({"erp_id": 7}))
        .send()
        .await;
    imported.fails(503, -50);
    assert_eq!(imported.body["message"]["text"], "no ERP is configured");
    // Third parties made by hand still work.
    app.post("/dashboard/third-parties")
        .token(&admin)
        .json(new_third_party())
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn erp_failures_answer_503_without_their_detail() {
    let app = TestApp::with_erp(Arc::new(DownErp)).await;
    let (_, admin) = app.admin().await;
    let listed = app
        .get("/dashboard/third-parties/erp")
        .token(&admin)
        .send()
        .await;
    listed.fails(503, -50);
    assert!(!listed.text.contains("10.0.0.1"), "{}", listed.text);
    let imported = app
        .post("/dashboard/third-parties/import")
        .token(&admin)
        .json(json!({"erp_id": 7}))
        .send()
        .await;
    imported.fails(503, -50);
    assert!(
        !imported.text.contains("secret-detail"),
        "{}",
        imported.text
    );
    let list = app
        .get("/dashboard/third-parties")
        .token(&admin)
        .send()
        .await;
    assert_eq!(list.ok(), &json!([]));
}
