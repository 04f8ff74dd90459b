//! How requests are read, on every surface: control characters refused (PostgreSQL cannot
//! store NUL: it answered 500), non-object bodies refused where an object is required, errors
//! in plain words naming every field at fault.

use crate::common::{PASSWORD, TestApp};
use axum::http::Method;
use serde_json::{Value, json};

const NUL: &str = "a\u{0}b";

/// The problems named for `field`.
fn problems(body: &Value, field: &str) -> Vec<String> {
    body["message"]["fields"][field]
        .as_array()
        .unwrap_or_else(|| panic!("no field `{field}` in {body}"))
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

/// No Rust type name leaks into the words of an error.
#[track_caller]
fn plain_words(text: &str) {
    for rust in [
        "struct ",
        "i64",
        "i32",
        "i16",
        "u64",
        "u32",
        "Option<",
        "enum ",
        "NaiveDate",
        "Decimal",
        "formatted",
    ] {
        assert!(!text.contains(rust), "`{rust}` in {text}");
    }
}

#[tokio::test]
async fn nul_is_refused_in_every_part_of_a_dashboard_request() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;

    // JSON body, without a token (login) and with one.
    app.post("/auth/login")
        .json(json!({"email": "a\u{0}@b.c", "password": PASSWORD}))
        .send()
        .await
        .fails(422, -11)
        .names("email");
    for (path, body, field) in [
        (
            "/dashboard/maintenance-types",
            json!({"key": NUL, "target_type": "vehicle", "severity": "low"}),
            "key",
        ),
        (
            "/dashboard/roles",
            json!({"key": NUL, "perms": ["faq"]}),
            "key",
        ),
        (
            "/dashboard/partner-accounts",
            json!({"company": NUL, "email": "boss@example.com"}),
            "company",
        ),
    ] {
        let reply = app.post(path).token(&admin).json(body).send().await;
        reply.fails(422, -11).names(field);
        assert_eq!(
            problems(&reply.body, field),
            ["must not contain the NUL character (U+0000)"],
            "{path}"
        );
    }
    // Nested and in a key.
    app.post("/dashboard/roles")
        .token(&admin)
        .json(json!({"key": "abcd", "perms": ["faq", NUL]}))
        .send()
        .await
        .fails(400, -10);
    app.post("/dashboard/roles")
        .token(&admin)
        .json(json!({"key": "abcd", "perms": [], "x\u{0}": 1}))
        .send()
        .await
        .fails(400, -10);

    // Other control characters too, but tab, line feed and carriage return are text.
    let reply = app
        .post("/dashboard/maintenance-types")
        .token(&admin)
        .json(json!({"key": "a\u{1b}[31m", "target_type": "vehicle", "severity": "low"}))
        .send()
        .await;
    reply.fails(422, -11).names("key");
    assert_eq!(
        problems(&reply.body, "key"),
        ["must not contain control characters (found U+001B)"]
    );
    app.post("/dashboard/maintenance-types")
        .token(&admin)
        .json(json!({"key": "two\tparts\r\n", "target_type": "vehicle", "severity": "low"}))
        .send()
        .await
        .ok();

    // Query string, path parameter, multipart field.
    app.get("/dashboard/access-logs?ip=%00")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("ip");
    app.delete("/dashboard/maintenance-types?key=a%00b")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("key");
    app.patch("/dashboard/roles/ab%00cd")
        .token(&admin)
        .json(json!({"perms": ["faq"]}))
        .send()
        .await
        .fails(422, -11)
        .names("key");
    let network = app.network("Paris").await;
    let boundary = "relais-test-boundary";
    let mut form = String::new();
    for (name, value) in [
        ("default_low_speed", "10\u{0}"),
        ("default_medium_speed", "20"),
        ("default_high_speed", "30"),
        ("min_battery_to_slow_down", "15"),
        ("battery_slow_down_speed", "12"),
    ] {
        form.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    form.push_str(&format!("--{boundary}--\r\n"));
    let reply = app
        .put(&format!(
            "/dashboard/networks/{network}/vehicle-speed-settings"
        ))
        .token(&admin)
        .raw(&format!("multipart/form-data; boundary={boundary}"), form)
        .send()
        .await;
    assert!(matches!(reply.status.as_u16(), 400 | 422), "{}", reply.text);
    reply.names("default_low_speed");
}

#[tokio::test]
async fn nul_is_refused_on_the_partner_and_hauler_surfaces_in_their_shapes() {
    let app = TestApp::new().await;
    let (_, user) = relais_store::partner::create_account(&app.db, "Acme", "boss@acme.example")
        .await
        .expect("account");
    let token = app.token_for(user.id).await;

    // The driver's app redeems an invite code, without a token.
    let reply = app
        .post("/api/v4/invite-codes/redeem/")
        .json(json!({"invite_code": NUL}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({"invite_code": ["Null characters are not allowed."]})
    );
    let reply = app
        .post("/api/v4/companies/")
        .header("authorization", &format!("Token {token}"))
        .json(json!({"name": "Bouvet", "primary_address": {"city": NUL}}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text);
    assert_eq!(
        reply.body["primary_address.city"],
        json!(["Null characters are not allowed."]),
        "{}",
        reply.text
    );
    for path in [
        "/api/v4/companies/?name=a%00b",
        "/api/v4/contacts/a%00b/",
        "/api/v4/companies/a%00b/?lookup_field=remote_id",
    ] {
        let reply = app
            .get(path)
            .header("authorization", &format!("Token {token}"))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 400, "{path}: {}", reply.text);
        let fields = reply.body.as_object().expect("field errors");
        assert_eq!(fields.len(), 1, "{path}: {}", reply.text);
        assert_eq!(
            fields.values().next().unwrap(),
            &json!(["Null characters are not allowed."])
        );
    }

    // Haulers: the tenant code is a pattern of letters and digits, the path a UUID.
    let hauler = relais_store::haulers::create(&app.db, "Haul")
        .await
        .unwrap();
    let driver = app.user("driver@haul.example").await;
    relais_store::haulers::add_user(&app.db, hauler.id, driver, "Admin")
        .await
        .unwrap();
    let driver = app.token_for(driver).await;
    for (path, body) in [
        (
            format!("/haulers/{}/connections", hauler.uuid),
            json!({"tenant_code": "A\u{0}+1"}),
        ),
        (
            "/haulers/a%00b/connections".to_owned(),
            json!({"tenant_code": "A+1"}),
        ),
    ] {
        let reply = app
            .call(Method::POST, &path)
            .token(&driver)
            .json(body)
            .send()
            .await;
        assert!(
            reply.status.is_client_error(),
            "{path}: {} {}",
            reply.status,
            reply.text
        );
        assert!(reply.body["code"].is_string(), "{}", reply.text);
        assert!(reply.body["field"].is_string(), "{}", reply.text);
    }
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Paris").await;
    let path = format!("/dashboard/networks/{network}/freefloat-reward");
    let before = app.get(&path).token(&admin).send().await.ok().clone();

    for (method, path, body) in [
        (Method::PATCH, path.as_str(), json!([1, 2])),
        (
            Method::POST,
            "/auth/login",
            json!(["admin@relais.test", PASSWORD]),
        ),
        (Method::POST, "/dashboard/roles", json!(["abcd", ["faq"]])),
        (Method::POST, "/dashboard/roles", json!("abcd")),
    ] {
        let reply = app.call(method, path).token(&admin).json(body).send().await;
        reply.fails(400, -10).names("body");
        assert_eq!(
            problems(&reply.body, "body"),
            [if reply.text.contains("not a string") {
                "must be a JSON object, not a string"
            } else {
                "must be a JSON object, not a list"
            }]
        );
        plain_words(&reply.text);
    }
    // Nothing changed, nobody signed in, no role made.
    assert_eq!(app.get(&path).token(&admin).send().await.ok(), &before);
    let roles = app
        .get("/dashboard/roles?lang=en")
        .token(&admin)
        .send()
        .await
        .ok()
        .clone();
    assert!(!roles.to_string().contains("abcd"), "{roles}");
    // A nested object given as a list is refused the same way.
    app.post("/auth/login")
        .json(json!({"email": ["admin@relais.test"], "password": PASSWORD}))
        .send()
        .await
        .fails(400, -10)
        .names("email");
}

#[tokio::test]
async fn shape_errors_say_what_the_field_must_be_in_plain_words() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Paris").await;

    // A date given a date-time: the expected form, not the parser's "trailing input".
    let reply = app
        .get(&format!(
            "/dashboard/fleet-alerts/history?networks={network}&creation_date_min=2026-12-01T08:00:00Z"
        ))
        .token(&admin)
        .send()
        .await;
    reply.fails(400, -10);
    assert_eq!(
        problems(&reply.body, "creation_date_min"),
        ["must be a date, YYYY-MM-DD (e.g. 2026-12-01)"]
    );

    // Wrong JSON types, in words.
    let reply = app
        .post("/dashboard/maintenance-types")
        .token(&admin)
        .json(json!({"key": 5, "target_type": "vehicle", "severity": "low"}))
        .send()
        .await;
    reply.fails(400, -10);
    assert_eq!(
        problems(&reply.body, "key"),
        ["must be a string, not a number"]
    );
    let reply = app
        .post("/dashboard/maintenance-types")
        .token(&admin)
        .json(json!({"key": "k", "target_type": "boat", "severity": "low"}))
        .send()
        .await;
    reply.fails(400, -10);
    let problem = &problems(&reply.body, "target_type")[0];
    assert!(problem.starts_with("must be one of `"), "{problem}");
    let reply = app
        .get(&format!("/dashboard/networks/{network}/freefloat-reward"))
        .token(&admin)
        .send()
        .await;
    reply.ok();
    let reply = app
        .get("/dashboard/networks/abc/freefloat-reward")
        .token(&admin)
        .send()
        .await;
    reply.fails(400, -10).names("network_id");
    plain_words(&reply.text);

    // Every missing field at once.
    let reply = app
        .post("/dashboard/maintenance-types")
        .token(&admin)
        .json(json!({}))
        .send()
        .await;
    reply.fails(400, -10);
    let fields: Vec<&String> = reply.body["message"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(fields, ["key", "severity", "target_type"], "{}", reply.text);
    for field in ["key", "severity", "target_type"] {
        assert_eq!(problems(&reply.body, field), ["is required"]);
    }
    let reply = app.post("/auth/login").json(json!({})).send().await;
    reply.fails(400, -10).names("email").names("password");

    // A query parameter sent in the body is told where it goes (on a vehicle that exists: the
    // declared object is checked first).
    let vehicle = {
        use sea_orm::{ActiveModelTrait, Set};
        let network = app.network("Lyon").await;
        let model = relais_store::entity::vehicle_model::ActiveModel {
            name: Set("Input bike".into()),
            kind: Set("bike".into()),
            manufacturer: Set("Acme".into()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        relais_store::entity::vehicle::ActiveModel {
            serial: Set("INPUT01".into()),
            network_id: Set(network),
            model_id: Set(model.id),
            created_at: Set(chrono::Utc::now()),
            status: Set("available".into()),
            locked: Set(true),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap()
        .id
    };
    let reply = app
        .post(&format!("/dashboard/vehicles/{vehicle}/decommission"))
        .token(&admin)
        .json(json!({"reason": "sold"}))
        .send()
        .await;
    reply.fails(400, -10);
    assert_eq!(
        problems(&reply.body, "reason"),
        ["`reason` goes in the query string, not the body"]
    );
    plain_words(&reply.text);
}
