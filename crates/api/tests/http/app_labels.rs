//! Seed group `AppLabel`: the public list, creating a label with its billing information, its
//! settings, mail setting, billing updates and payment methods, within the caller's scope.

use crate::common::TestApp;
use relais_domain::Permission;
use relais_store::units::UnitContents;
use serde_json::{Value, json};

fn billing() -> Value {
    json!({
        "name": "Vélos Lyonnais SAS",
        "legal_form": "SAS",
        "vat_number": "FR12345678901",
        "street": "12 quai Perrache",
        "zip_code": "69002",
        "city": "Lyon",
        "country": "France",
    })
}

fn new_label(name: &str) -> Value {
    json!({"name": name, "display_name": "Vélo Lyon", "billing_info": billing()})
}

fn settings() -> Value {
    json!({
        "require_sms_validation": true,
        "phone_sms_provider_id": 1,
        "require_terms_of_use": true,
        "auto_delete_users": false,
        "android_store_url": "https://play.google.com/store/apps/details?id=fr.velo",
        "ios_store_url": "https://apps.apple.com/app/id123",
        "saved_payment_method_is_optional": true,
        "website": "https://velo.example",
        "contact_email": "hello@velo.example",
        "contact_phone_number": "+33 4 00 00 00 00",
    })
}

fn mail() -> Value {
    json!({
        "send_mails": true,
        "sender_address": "no-reply@velo.example",
        "sender_name": "Vélo Lyon",
        "reply_to": "support@velo.example",
        "notification_email": "ops@velo.example",
    })
}

/// A unit over the given app labels.
async fn label_unit(app: &TestApp, name: &str, labels: &[i64]) -> i64 {
    relais_store::units::create(
        &app.db,
        name,
        &UnitContents {
            app_labels: labels.iter().copied().collect(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn the_list_is_public_and_shows_only_public_fields() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let id = app
        .post("/dashboard/app-labels")
        .token(&admin)
        .json(new_label("velo"))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    app.put(&format!("/dashboard/app-labels/{id}"))
        .token(&admin)
        .json(settings())
        .send()
        .await
        .ok();
    let other = app.app_label("other").await;

    let list = app.get("/dashboard/app-labels").send().await;
    let list = list.ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[1]["id"], other);
    let shown: Vec<&str> = list[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut shown = shown;
    shown.sort_unstable();
    assert_eq!(
        shown,
        [
            "android_store_url",
            "contact_email",
            "contact_phone_number",
            "display_name",
            "id",
            "ios_store_url",
            "name",
            "website"
        ]
    );
    assert_eq!(list[0]["name"], "velo");
    assert_eq!(list[0]["display_name"], "Vélo Lyon");
    assert_eq!(list[0]["website"], "https://velo.example");
    assert_eq!(list[0]["contact_email"], "hello@velo.example");
    assert_eq!(list[1]["website"], Value::Null);
}

#[tokio::test]
async fn a_label_is_created_with_its_billing_and_read_back() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let created = app
        .post("/dashboard/app-labels")
        .token(&admin)
        .json(new_label("velo"))
        .send()
        .await;
    let label = created.ok().clone();
    let id = label["id"].as_i64().unwrap();
    assert_eq!(label["name"], "velo");
    assert_eq!(label["display_name"], "Vélo Lyon");
    assert_eq!(label["require_sms_validation"], false);
    assert_eq!(label["phone_sms_provider_id"], Value::Null);
    assert_eq!(label["billing_info"]["name"], "Vélos Lyonnais SAS");
    assert_eq!(label["billing_info"]["capital"], Value::Null);
    assert_eq!(label["billing_info"]["city"], "Lyon");

    let read = app
        .get(&format!("/dashboard/app-labels/{id}"))
        .token(&admin)
        .send()
        .await;
    let read = read.ok();
    assert_eq!(read["name"], "velo");
    assert_eq!(read["billing_info"]["vat_number"], "FR12345678901");
    assert_eq!(read["billing_info"]["street"], "12 quai Perrache");
    assert_eq!(read["billing_info"]["issuer"], Value::Null);

    // The name is unique.
    app.post("/dashboard/app-labels")
        .token(&admin)
        .json(new_label("velo"))
        .send()
        .await
        .fails(409, -40)
        .names("name");
    // Neither the label nor a billing row was left behind by the refused creation.
    let list = app.get("/dashboard/app-labels").send().await;
    assert_eq!(list.ok().as_array().unwrap().len(), 1);

    app.get("/dashboard/app-labels/999")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.get("/dashboard/app-labels/0")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("app_label_id");
}

#[tokio::test]
async fn creation_is_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let create = |body: Value| {
        app.post("/dashboard/app-labels")
            .token(&admin)
            .json(body)
            .send()
    };
    for bad in ["Velo", "velo2", "", "abcdefghijklmnopqrstu", "vé"] {
        create(new_label(bad)).await.fails(422, -11).names("name");
    }
    create(new_label("abcdefghijklmnopqrst")).await.ok();
    let mut body = new_label("velo");
    body["display_name"] = json!("x".repeat(33));
    create(body).await.fails(422, -11).names("display_name");
    let mut body = new_label("velo");
    body["display_name"] = json!("");
    create(body).await.fails(422, -11).names("display_name");
    let mut body = new_label("velo");
    body["billing_info"]["street"] = json!("");
    create(body)
        .await
        .fails(422, -11)
        .names("billing_info.street");
    let mut body = new_label("velo");
    body["billing_info"]["legal_form"] = json!("x".repeat(51));
    create(body)
        .await
        .fails(422, -11)
        .names("billing_info.legal_form");
    let mut body = new_label("velo");
    body["billing_info"]["zip_code"] = json!("x".repeat(21));
    create(body)
        .await
        .fails(422, -11)
        .names("billing_info.zip_code");
    let mut body = new_label("velo");
    body["billing_info"]
        .as_object_mut()
        .unwrap()
        .remove("country");
    create(body)
        .await
        .fails(400, -10)
        .names("billing_info.country");
    let mut body = new_label("velo");
    body.as_object_mut().unwrap().remove("billing_info");
    create(body).await.fails(400, -10).names("billing_info");
    let mut body = new_label("velo");
    body["website"] = json!("https://velo.example");
    create(body).await.fails(400, -10).names("website");
    // Nullable billing fields may be null on creation.
    let mut body = new_label("velo");
    body["billing_info"]["issuer"] = Value::Null;
    create(body).await.ok();
}

#[tokio::test]
async fn creating_needs_the_permission_globally_with_write() {
    let app = TestApp::new().await;
    let label = app.app_label("velo").await;
    let unit = label_unit(&app, "Velo", &[label]).await;
    let (_, scoped) = app
        .staff(
            "scoped@relais.test",
            &[(Permission::AppLabel, Some(unit), true)],
        )
        .await;
    let (_, reader) = app
        .staff("reader@relais.test", &[(Permission::AppLabel, None, false)])
        .await;
    let (_, writer) = app
        .staff("writer@relais.test", &[(Permission::AppLabel, None, true)])
        .await;
    app.post("/dashboard/app-labels")
        .json(new_label("bike"))
        .send()
        .await
        .fails(401, -20);
    app.post("/dashboard/app-labels")
        .token(&scoped)
        .json(new_label("bike"))
        .send()
        .await
        .fails(403, -31);
    app.post("/dashboard/app-labels")
        .token(&reader)
        .json(new_label("bike"))
        .send()
        .await
        .fails(403, -30);
    app.post("/dashboard/app-labels")
        .token(&writer)
        .json(new_label("bike"))
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn put_replaces_the_settings() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let id = app.app_label("velo").await;
    let path = format!("/dashboard/app-labels/{id}");
    app.put(&path)
        .token(&admin)
        .json(settings())
        .send()
        .await
        .ok();
    let read = app.get(&path).token(&admin).send().await;
    let read = read.ok();
    assert_eq!(read["require_sms_validation"], true);
    assert_eq!(read["phone_sms_provider_id"], 1);
    // A provider "Get phone provider" does not list is refused, naming the field.
    let mut unknown = settings();
    unknown["phone_sms_provider_id"] = json!(999);
    app.put(&path)
        .token(&admin)
        .json(unknown)
        .send()
        .await
        .fails(422, -11)
        .names("phone_sms_provider_id");
    assert_eq!(read["require_terms_of_use"], true);
    assert_eq!(read["saved_payment_method_is_optional"], true);
    assert_eq!(read["ios_store_url"], "https://apps.apple.com/app/id123");
    assert_eq!(read["contact_phone_number"], "+33 4 00 00 00 00");
    // Not touched by Put.
    assert_eq!(read["name"], "velo");
    assert_eq!(read["display_name"], "VELO");
    // A label made without billing information says so.
    assert_eq!(read["billing_info"], Value::Null);

    // Nullable fields take null to clear.
    let mut body = settings();
    for field in [
        "phone_sms_provider_id",
        "android_store_url",
        "ios_store_url",
        "website",
        "contact_email",
        "contact_phone_number",
    ] {
        body[field] = Value::Null;
    }
    body["require_sms_validation"] = json!(false);
    app.put(&path).token(&admin).json(body).send().await.ok();
    let read = app.get(&path).token(&admin).send().await;
    let read = read.ok();
    assert_eq!(read["phone_sms_provider_id"], Value::Null);
    assert_eq!(read["website"], Value::Null);
    assert_eq!(read["contact_email"], Value::Null);
    assert_eq!(read["require_sms_validation"], false);
    assert_eq!(read["require_terms_of_use"], true);

    app.put("/dashboard/app-labels/999")
        .token(&admin)
        .json(settings())
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn put_is_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let id = app.app_label("velo").await;
    let path = format!("/dashboard/app-labels/{id}");
    let put = |body: Value| app.put(&path).token(&admin).json(body).send();

    // Every field is required, the nullable ones too.
    for field in [
        "require_sms_validation",
        "phone_sms_provider_id",
        "android_store_url",
        "website",
        "contact_email",
        "contact_phone_number",
    ] {
        let mut body = settings();
        body.as_object_mut().unwrap().remove(field);
        put(body).await.fails(400, -10).names(field);
    }
    let long_url = format!("https://velo.example/{}", "x".repeat(80));
    for (field, bad) in [
        ("phone_sms_provider_id", json!(0)),
        ("android_store_url", json!("")),
        ("android_store_url", json!("not a url")),
        ("android_store_url", json!("ftp://velo.example/app")),
        ("android_store_url", json!(long_url)),
        ("ios_store_url", json!("velo.example")),
        ("website", json!("mailto:hello@velo.example")),
        ("website", json!(long_url)),
        ("contact_email", json!("not an email")),
        (
            "contact_email",
            json!(format!("{}@velo.example", "x".repeat(90))),
        ),
        ("contact_phone_number", json!("1".repeat(101))),
    ] {
        let mut body = settings();
        body[field] = bad.clone();
        put(body).await.fails(422, -11).names(field);
    }
    let mut body = settings();
    body["require_terms_of_use"] = Value::Null;
    put(body)
        .await
        .fails(400, -10)
        .names("require_terms_of_use");
    let mut body = settings();
    body["name"] = json!("other");
    put(body).await.fails(400, -10).names("name");
    // Nothing changed.
    let read = app.get(&path).token(&admin).send().await;
    assert_eq!(read.ok()["website"], Value::Null);
}

#[tokio::test]
async fn the_mail_setting_has_a_default_until_it_is_set() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let id = app.app_label("velo").await;
    let path = format!("/dashboard/app-labels/{id}/mail-setting");
    let read = app.get(&path).token(&admin).send().await;
    assert_eq!(
        read.ok(),
        &json!({
            "configured": false,
            "send_mails": false,
            "sender_address": null,
            "sender_name": null,
            "reply_to": null,
            "notification_email": null,
            "updated_at": null,
        })
    );

    app.put(&path).token(&admin).json(mail()).send().await.ok();
    let read = app.get(&path).token(&admin).send().await;
    let read = read.ok();
    assert_eq!(read["configured"], true);
    assert_eq!(read["send_mails"], true);
    assert_eq!(read["sender_address"], "no-reply@velo.example");
    assert_eq!(read["sender_name"], "Vélo Lyon");
    assert_eq!(read["reply_to"], "support@velo.example");
    assert_eq!(read["notification_email"], "ops@velo.example");
    assert!(read["updated_at"].is_string());

    // Setting again replaces it.
    let mut body = mail();
    body["send_mails"] = json!(false);
    body["reply_to"] = Value::Null;
    body["sender_name"] = json!("Vélo");
    app.put(&path).token(&admin).json(body).send().await.ok();
    let read = app.get(&path).token(&admin).send().await;
    let read = read.ok();
    assert_eq!(read["send_mails"], false);
    assert_eq!(read["reply_to"], Value::Null);
    assert_eq!(read["sender_name"], "Vélo");
    assert_eq!(read["configured"], true);

    app.get("/dashboard/app-labels/999/mail-setting")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.put("/dashboard/app-labels/999/mail-setting")
        .token(&admin)
        .json(mail())
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn the_mail_setting_is_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let id = app.app_label("velo").await;
    let path = format!("/dashboard/app-labels/{id}/mail-setting");
    let set = |body: Value| app.put(&path).token(&admin).json(body).send();
    for field in [
        "send_mails",
        "sender_address",
        "sender_name",
        "reply_to",
        "notification_email",
    ] {
        let mut body = mail();
        body.as_object_mut().unwrap().remove(field);
        set(body).await.fails(400, -10).names(field);
    }
    for (field, bad) in [
        ("sender_address", json!("nobody")),
        (
            "sender_address",
            json!(format!("{}@velo.example", "x".repeat(250))),
        ),
        ("sender_name", json!("x".repeat(33))),
        ("reply_to", json!("support")),
        ("notification_email", json!("ops@")),
    ] {
        let mut body = mail();
        body[field] = bad;
        set(body).await.fails(422, -11).names(field);
    }
    for field in ["sender_address", "notification_email"] {
        let mut body = mail();
        body[field] = Value::Null;
        set(body).await.fails(400, -10).names(field);
    }
    let read = app.get(&path).token(&admin).send().await;
    assert_eq!(read.ok()["configured"], false);
}

#[tokio::test]
async fn billing_updates_change_only_the_given_fields() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let id = app
        .post("/dashboard/app-labels")
        .token(&admin)
        .json(new_label("velo"))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/dashboard/app-labels/{id}/billing");
    app.patch(&path)
        .token(&admin)
        .json(json!({
            "capital": "10 000 EUR",
            "vat_number": null,
            "street": "1 place Bellecour",
            "zip_code": "69002",
            "city": "Lyon",
            "country": "France",
        }))
        .send()
        .await
        .ok();
    let read = app
        .get(&format!("/dashboard/app-labels/{id}"))
        .token(&admin)
        .send()
        .await;
    let billing = read.ok()["billing_info"].clone();
    assert_eq!(billing["capital"], "10 000 EUR");
    assert_eq!(billing["vat_number"], Value::Null);
    assert_eq!(billing["street"], "1 place Bellecour");
    // Untouched.
    assert_eq!(billing["name"], "Vélos Lyonnais SAS");
    assert_eq!(billing["legal_form"], "SAS");
    assert_eq!(billing["issuer"], Value::Null);

    // A label made without billing information gets it from the first update.
    let bare = app.app_label("bare").await;
    app.patch(&format!("/dashboard/app-labels/{bare}/billing"))
        .token(&admin)
        .json(json!({"issuer": "Bare", "street": "2 rue", "zip_code": "75001", "city": "Paris", "country": "France"}))
        .send()
        .await
        .ok();
    let read = app
        .get(&format!("/dashboard/app-labels/{bare}"))
        .token(&admin)
        .send()
        .await;
    let billing = read.ok()["billing_info"].clone();
    assert_eq!(billing["issuer"], "Bare");
    assert_eq!(billing["city"], "Paris");
    assert_eq!(billing["name"], Value::Null);

    app.patch("/dashboard/app-labels/999/billing")
        .token(&admin)
        .json(billing_address())
        .send()
        .await
        .fails(404, -2);
}

fn billing_address() -> Value {
    json!({"street": "1 place Bellecour", "zip_code": "69002", "city": "Lyon", "country": "France"})
}

#[tokio::test]
async fn billing_updates_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let id = app
        .post("/dashboard/app-labels")
        .token(&admin)
        .json(new_label("velo"))
        .send()
        .await
        .ok()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/dashboard/app-labels/{id}/billing");
    let patch = |body: Value| app.patch(&path).token(&admin).json(body).send();
    for field in ["street", "zip_code", "city", "country"] {
        let mut body = billing_address();
        body.as_object_mut().unwrap().remove(field);
        patch(body).await.fails(400, -10).names(field);
    }
    // `name` is optional but not nullable.
    let mut body = billing_address();
    body["name"] = Value::Null;
    patch(body).await.fails(400, -10).names("name");
    for (field, bad) in [
        ("name", json!("")),
        ("name", json!("x".repeat(101))),
        ("legal_form", json!("")),
        ("vat_number", json!("x".repeat(51))),
        ("registration_number", json!("x".repeat(51))),
        ("capital", json!("")),
        ("street", json!("x".repeat(201))),
        ("city", json!("x".repeat(151))),
        ("country", json!("")),
        ("issuer", json!("x".repeat(101))),
    ] {
        let mut body = billing_address();
        body[field] = bad;
        patch(body).await.fails(422, -11).names(field);
    }
    let mut body = billing_address();
    body["iban"] = json!("FR76");
    patch(body).await.fails(400, -10).names("iban");
    let read = app
        .get(&format!("/dashboard/app-labels/{id}"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(read.ok()["billing_info"]["street"], "12 quai Perrache");
}

#[tokio::test]
async fn payment_methods_are_enabled_and_disabled() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let id = app.app_label("velo").await;
    let other = app.app_label("other").await;
    let list_path = format!("/dashboard/app-labels/{id}/payment-methods");
    let list = app.get(&list_path).token(&admin).send().await;
    let methods = list.ok().as_array().unwrap().clone();
    let keys: Vec<&str> = methods.iter().map(|m| m["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "stripe-card",
            "stripe-apple-pay",
            "stripe-google-pay",
            "braintree-card",
            "braintree-paypal",
            "uzcard",
            "hdcpay",
            "sandbox-card"
        ]
    );
    assert!(methods.iter().all(|m| m["enabled"] == false));
    assert_eq!(methods[0]["provider"], "stripe");
    assert_eq!(methods[0]["kind"], "card");
    let card = methods[0]["id"].as_i64().unwrap();
    let paypal = methods[4]["id"].as_i64().unwrap();

    let method_path = |m: i64| format!("/dashboard/app-labels/{id}/payment-methods/{m}");
    app.put(&method_path(card)).token(&admin).send().await.ok();
    app.put(&method_path(paypal))
        .token(&admin)
        .send()
        .await
        .ok();
    let list = app.get(&list_path).token(&admin).send().await;
    let methods = list.ok().as_array().unwrap().clone();
    let enabled: Vec<i64> = methods
        .iter()
        .filter(|m| m["enabled"] == true)
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(enabled, [card, paypal]);
    let first_enabled_at = methods[0]["enabled_at"].clone();
    assert!(first_enabled_at.is_string());
    assert_eq!(methods[1]["enabled_at"], Value::Null);

    // Enabling again changes nothing.
    app.put(&method_path(card)).token(&admin).send().await.ok();
    let list = app.get(&list_path).token(&admin).send().await;
    assert_eq!(list.ok()[0]["enabled_at"], first_enabled_at);

    // Another label is not affected.
    let list = app
        .get(&format!("/dashboard/app-labels/{other}/payment-methods"))
        .token(&admin)
        .send()
        .await;
    assert!(
        list.ok()
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["enabled"] == false)
    );

    app.delete(&method_path(card))
        .token(&admin)
        .send()
        .await
        .ok();
    // Disabling again changes nothing.
    app.delete(&method_path(card))
        .token(&admin)
        .send()
        .await
        .ok();
    let list = app.get(&list_path).token(&admin).send().await;
    let methods = list.ok().as_array().unwrap().clone();
    let enabled: Vec<i64> = methods
        .iter()
        .filter(|m| m["enabled"] == true)
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(enabled, [paypal]);

    app.put(&method_path(999))
        .token(&admin)
        .send()
        .await
        .fails(404, -2)
        .names("method_id");
    app.delete(&method_path(999))
        .token(&admin)
        .send()
        .await
        .fails(404, -2)
        .names("method_id");
    app.put(&method_path(0))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("method_id");
    app.put(&format!("/dashboard/app-labels/999/payment-methods/{card}"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.get("/dashboard/app-labels/999/payment-methods")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn labels_outside_the_scope_are_refused() {
    let app = TestApp::new().await;
    let mine = app.app_label("mine").await;
    let theirs = app.app_label("theirs").await;
    let unit = label_unit(&app, "Mine", &[mine]).await;
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::AppLabel, Some(unit), false)],
        )
        .await;
    let (_, writer) = app
        .staff(
            "writer@relais.test",
            &[(Permission::AppLabel, Some(unit), true)],
        )
        .await;
    let (_, nobody) = app.staff("nobody@relais.test", &[]).await;

    // Reading within the scope.
    for path in [
        format!("/dashboard/app-labels/{mine}"),
        format!("/dashboard/app-labels/{mine}/mail-setting"),
        format!("/dashboard/app-labels/{mine}/payment-methods"),
    ] {
        app.get(&path).token(&reader).send().await.ok();
        app.get(&path).token(&nobody).send().await.fails(403, -30);
        // Outside it; a label that does not exist is unknown (404), as every declared object.
        let outside = path.replace(&format!("/{mine}"), &format!("/{theirs}"));
        app.get(&outside)
            .token(&reader)
            .send()
            .await
            .fails(403, -31)
            .names("app_label_id");
        let missing = path.replace(&format!("/{mine}"), "/999");
        app.get(&missing)
            .token(&reader)
            .send()
            .await
            .fails(404, -2)
            .names("app_label_id");
    }

    // Changing needs write, within the scope.
    let changes = |label: i64| {
        vec![
            (
                "PUT",
                format!("/dashboard/app-labels/{label}"),
                Some(settings()),
            ),
            (
                "PUT",
                format!("/dashboard/app-labels/{label}/mail-setting"),
                Some(mail()),
            ),
            (
                "PATCH",
                format!("/dashboard/app-labels/{label}/billing"),
                Some(billing_address()),
            ),
            (
                "PUT",
                format!("/dashboard/app-labels/{label}/payment-methods/1"),
                None,
            ),
            (
                "DELETE",
                format!("/dashboard/app-labels/{label}/payment-methods/1"),
                None,
            ),
        ]
    };
    for (label, token, status, code) in [
        (mine, &reader, 403, -30),
        (theirs, &writer, 403, -31),
        (mine, &writer, 200, 0),
    ] {
        for (method, path, body) in changes(label) {
            let mut call = app.call(method.parse().unwrap(), &path).token(token);
            if let Some(body) = body {
                call = call.json(body);
            }
            let reply = call.send().await;
            if status == 200 {
                reply.ok();
            } else {
                reply.fails(status, code);
            }
        }
    }
    // The writer's changes landed on their label only.
    let (_, admin) = app.admin().await;
    let read = app
        .get(&format!("/dashboard/app-labels/{mine}"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(read.ok()["website"], "https://velo.example");
    let read = app
        .get(&format!("/dashboard/app-labels/{theirs}"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(read.ok()["website"], Value::Null);
    assert_eq!(read.ok()["billing_info"], Value::Null);
}
