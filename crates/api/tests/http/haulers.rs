//! Hauler connections (seed 003) and their operator side (`/dashboard/hauler-connections`).

use crate::common::TestApp;
use axum::http::Method;
use relais_domain::Permission;
use serde_json::{Value, json};

struct Hauler {
    uuid: String,
    user: i64,
    token: String,
}

async fn hauler(app: &TestApp, name: &str, email: &str, role: &str) -> Hauler {
    let hauler = relais_store::haulers::create(&app.db, name).await.unwrap();
    let user = app.user(email).await;
    relais_store::haulers::add_user(&app.db, hauler.id, user, role)
        .await
        .unwrap();
    let token = app.token_for(user).await;
    Hauler {
        uuid: hauler.uuid,
        user,
        token,
    }
}

/// A network whose tenant code is `<code>+<id>`; answers its id and app label id.
async fn location(app: &TestApp, name: &str, code: &str) -> (i64, i64, String) {
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let id = app.network(name).await;
    let model = relais_store::entity::network::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let label = model.app_label_id;
    let tenant_code = format!("{code}+{id}");
    let mut active: relais_store::entity::network::ActiveModel = model.into();
    active.tenant_code = Set(Some(tenant_code.clone()));
    active.update(&app.db).await.unwrap();
    (id, label, tenant_code)
}

fn path(h: &Hauler) -> String {
    format!("/haulers/{}/connections", h.uuid)
}

#[track_caller]
fn refused(reply: &crate::common::Reply, status: u16, code: &str, field: Option<&str>) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert_eq!(reply.body["status"], status, "{}", reply.text);
    assert_eq!(reply.body["code"], code, "{}", reply.text);
    assert!(reply.body["message"].is_string(), "{}", reply.text);
    let expected = field.map_or(Value::Null, |f| Value::String(f.to_owned()));
    assert_eq!(reply.body["field"], expected, "{}", reply.text);
    assert_eq!(reply.headers["allow"], "GET,POST");
}

#[track_caller]
fn is_seed_date(value: &Value) {
    let text = value.as_str().expect("a date string");
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.6f").expect("seed date");
    assert_eq!(text.len(), 26, "{text}");
}

#[tokio::test]
async fn the_seed_sample_creates_a_pending_connection() {
    let app = TestApp::new().await;
    let (network, label, code) = location(&app, "Smscorp", "SMSCORP").await;
    let h = hauler(
        &app,
        "Roll Offs",
        "disp@hauler.test",
        "ThirdPartyDispatcher",
    )
    .await;
    // The sample request: trailing slash, bearer, content type, x-tenant-id.
    let reply = app
        .post(&format!("{}/", path(&h)))
        .token(&h.token)
        .header("x-tenant-id", &label.to_string())
        .json(json!({"tenant_code": code}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    let body = reply.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "approved_by",
            "approved_on",
            "denied_on",
            "is_approved",
            "location_id",
            "provider_id",
            "provider_name",
            "requested_on",
            "third_party_hauler_id"
        ]
    );
    assert_eq!(reply.body["approved_by"], Value::Null);
    assert_eq!(reply.body["approved_on"], Value::Null);
    assert_eq!(reply.body["denied_on"], Value::Null);
    assert_eq!(reply.body["is_approved"], false);
    assert_eq!(reply.body["location_id"], network);
    assert_eq!(reply.body["provider_id"], label);
    assert_eq!(reply.body["provider_name"], "SMSCORP");
    assert_eq!(reply.body["third_party_hauler_id"], h.uuid.as_str());
    is_seed_date(&reply.body["requested_on"]);
    // The seed's response headers.
    let headers = &reply.headers;
    assert_eq!(headers["allow"], "GET,POST");
    assert_eq!(headers["access-control-allow-methods"], "GET,POST");
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(
        headers["access-control-allow-headers"],
        "Authorization, Accept, X-TENANT-ID, Content-Type"
    );
    assert_eq!(headers["x-api-version"], "2023/04/19");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    uuid::Uuid::parse_str(headers["x-request-id"].to_str().unwrap()).expect("request id uuid");

    // The cURL and Python samples: no trailing slash; then GET lists it.
    let (_, label2, code2) = location(&app, "Other", "SMSCORP").await;
    let reply = app
        .post(&path(&h))
        .token(&h.token)
        .header("x-tenant-id", &label2.to_string())
        .header("x-api-version", "2019/02/08")
        .json(json!({"tenant_code": code2}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    assert_eq!(reply.headers["x-api-version"], "2019/02/08");
    for p in [path(&h), format!("{}/", path(&h))] {
        let reply = app.get(&p).token(&h.token).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.body.as_array().unwrap().len(), 2);
        assert_eq!(reply.headers["allow"], "GET,POST");
    }
    // x-tenant-id narrows the list to that provider.
    let reply = app
        .get(&path(&h))
        .token(&h.token)
        .header("x-tenant-id", &label.to_string())
        .send()
        .await;
    assert_eq!(reply.body.as_array().unwrap().len(), 1, "{}", reply.text);
    assert_eq!(reply.body[0]["location_id"], network);
}

#[tokio::test]
async fn other_methods_answer_405_with_allow() {
    let app = TestApp::new().await;
    let h = hauler(&app, "H", "h@hauler.test", "ThirdPartyDispatcher").await;
    for p in [path(&h), format!("{}/", path(&h))] {
        for method in [Method::PUT, Method::DELETE, Method::PATCH] {
            let reply = app.call(method, &p).token(&h.token).send().await;
            assert_eq!(reply.status.as_u16(), 405, "{}", reply.text);
            assert_eq!(reply.headers["allow"], "GET,POST");
            assert_eq!(reply.headers["access-control-allow-origin"], "*");
            // The surface's own error shape, not the Dashboard envelope.
            assert_eq!(reply.body["code"], "method_not_allowed", "{}", reply.text);
            assert_eq!(reply.body["status"], 405);
        }
        // A CORS preflight is answered with the seed's headers.
        let preflight = app.call(Method::OPTIONS, &p).send().await;
        assert_eq!(preflight.status.as_u16(), 204, "{}", preflight.text);
        assert_eq!(
            preflight.headers["access-control-allow-methods"],
            "GET,POST"
        );
        assert_eq!(preflight.headers["x-api-version"], "2023/04/19");
    }
}

#[tokio::test]
async fn request_headers_are_checked() {
    let app = TestApp::new().await;
    let (_, _, code) = location(&app, "Loc", "RELAIS").await;
    let h = hauler(&app, "H", "h@hauler.test", "ThirdPartyDispatcher").await;
    let body = json!({"tenant_code": code});
    // Authorization: missing, wrong scheme, too long, bad characters, unknown token.
    let reply = app.post(&path(&h)).json(body.clone()).send().await;
    refused(&reply, 401, "not_authenticated", Some("authorization"));
    for value in [
        format!("Token {}", h.token),
        format!("Bearer {}", "a".repeat(250)),
        "Bearer abc".to_owned(),
        "Bearer ab!c.def".to_owned(),
        format!("Bearer {}.{}", "0".repeat(16), "0".repeat(64)),
    ] {
        let reply = app
            .post(&path(&h))
            .header("authorization", &value)
            .json(body.clone())
            .send()
            .await;
        refused(&reply, 401, "not_authenticated", Some("authorization"));
    }
    // A lowercase scheme fits the seed's pattern.
    let reply = app
        .get(&path(&h))
        .header("authorization", &format!("bearer {}", h.token))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    // x-tenant-id must be an integer.
    let reply = app
        .post(&path(&h))
        .token(&h.token)
        .header("x-tenant-id", "abc")
        .json(body.clone())
        .send()
        .await;
    refused(&reply, 400, "invalid_header", Some("x-tenant-id"));
    // x-api-version must be one of the seed's.
    for version in ["2020/01/01", "latest", ""] {
        let reply = app
            .post(&path(&h))
            .token(&h.token)
            .header("x-api-version", version)
            .json(body.clone())
            .send()
            .await;
        refused(&reply, 400, "invalid_header", Some("x-api-version"));
        assert_eq!(reply.headers["x-api-version"], "2023/04/19");
    }
    // Content-Type must be JSON.
    let reply = app
        .post(&path(&h))
        .token(&h.token)
        .raw("text/plain", body.to_string())
        .send()
        .await;
    refused(&reply, 415, "unsupported_media_type", Some("content-type"));
    // Path: a valid UUID, of the caller's hauler.
    let reply = app
        .post("/haulers/not-a-uuid/connections")
        .token(&h.token)
        .json(body.clone())
        .send()
        .await;
    refused(&reply, 400, "invalid_path", Some("hauler_uuid"));
    let reply = app
        .post(&format!("/haulers/{}/connections", uuid::Uuid::new_v4()))
        .token(&h.token)
        .json(body.clone())
        .send()
        .await;
    // Unknown: refused as another hauler's would be (see `haulers_and_tenants_are_isolated`).
    refused(&reply, 403, "forbidden", None);
    // Nothing was created by the refusals.
    let reply = app.get(&path(&h)).token(&h.token).send().await;
    assert_eq!(reply.body, json!([]));
}

#[tokio::test]
async fn the_body_is_checked() {
    let app = TestApp::new().await;
    let (_, _, code) = location(&app, "Loc", "RELAIS").await;
    let h = hauler(&app, "H", "h@hauler.test", "Driver").await;
    let reply = app
        .post(&path(&h))
        .token(&h.token)
        .raw("application/json", "{not json")
        .send()
        .await;
    refused(&reply, 400, "malformed_body", None);
    for (bad, field) in [
        (json!({}), "tenant_code"),
        (json!({"tenant_code": 3}), "tenant_code"),
        (json!({"tenant_code": ""}), "tenant_code"),
        (json!({"tenant_code": "x".repeat(129)}), "tenant_code"),
        (json!({"tenant_code": "+3"}), "tenant_code"),
        (json!({"tenant_code": "SMSCORP+"}), "tenant_code"),
        (json!({"tenant_code": "SMSCORP+12345678901"}), "tenant_code"),
        (json!({"tenant_code": "SMS CORP+3"}), "tenant_code"),
        (json!({"tenant_code": code, "extra": 1}), "extra"),
    ] {
        let reply = app
            .post(&path(&h))
            .token(&h.token)
            .json(bad.clone())
            .send()
            .await;
        refused(&reply, 422, "validation_error", Some(field));
    }
    // Unknown tenant code.
    let reply = app
        .post(&path(&h))
        .token(&h.token)
        .json(json!({"tenant_code": "NOPE+999"}))
        .send()
        .await;
    refused(&reply, 404, "unknown_tenant_code", Some("tenant_code"));
    // A repeated request for the same location.
    let reply = app
        .post(&path(&h))
        .token(&h.token)
        .json(json!({"tenant_code": code}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    let reply = app
        .post(&format!("{}/", path(&h)))
        .token(&h.token)
        .json(json!({"tenant_code": code}))
        .send()
        .await;
    refused(&reply, 409, "connection_exists", Some("tenant_code"));
}

#[tokio::test]
async fn haulers_and_tenants_are_isolated() {
    let app = TestApp::new().await;
    let (_, label_a, code_a) = location(&app, "Alpha", "ALPHA").await;
    let (_, label_b, _) = location(&app, "Beta", "BETA").await;
    let one = hauler(&app, "One", "one@hauler.test", "ThirdPartyDispatcher").await;
    let two = hauler(&app, "Two", "two@hauler.test", "ThirdPartyDriver").await;
    // A hauler's user acts only for their hauler.
    let reply = app
        .post(&path(&two))
        .token(&one.token)
        .json(json!({"tenant_code": code_a}))
        .send()
        .await;
    refused(&reply, 403, "forbidden", None);
    let reply = app.get(&path(&two)).token(&one.token).send().await;
    refused(&reply, 403, "forbidden", None);
    // A UUID no hauler has answers exactly as another hauler's: UUIDs cannot be probed.
    let other = reply.body.clone();
    let unknown = format!("/haulers/{}/connections", uuid::Uuid::new_v4());
    for reply in [
        app.get(&unknown).token(&one.token).send().await,
        app.post(&unknown)
            .token(&one.token)
            .json(json!({"tenant_code": code_a}))
            .send()
            .await,
    ] {
        refused(&reply, 403, "forbidden", None);
        assert_eq!(reply.body, other);
    }
    // A user of no hauler (even a relais admin) may not call.
    let (_, admin) = app.admin().await;
    let reply = app.get(&path(&one)).token(&admin).send().await;
    refused(&reply, 403, "forbidden", None);
    // A location of another tenant than x-tenant-id.
    let reply = app
        .post(&path(&one))
        .token(&one.token)
        .header("x-tenant-id", &label_b.to_string())
        .json(json!({"tenant_code": code_a}))
        .send()
        .await;
    refused(&reply, 403, "tenant_mismatch", Some("x-tenant-id"));
    // Two haulers may each connect to the same location; each sees only its own.
    for h in [&one, &two] {
        let reply = app
            .post(&path(h))
            .token(&h.token)
            .header("x-tenant-id", &label_a.to_string())
            .json(json!({"tenant_code": code_a}))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    }
    for h in [&one, &two] {
        let reply = app.get(&path(h)).token(&h.token).send().await;
        let list = reply.body.as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["third_party_hauler_id"], h.uuid.as_str());
    }
}

#[tokio::test]
async fn the_operator_approves_denies_and_revokes() {
    let app = TestApp::new().await;
    let (net_a, _, code_a) = location(&app, "Alpha", "ALPHA").await;
    let (net_b, _, code_b) = location(&app, "Beta", "BETA").await;
    let h = hauler(&app, "One", "one@hauler.test", "ThirdPartyDispatcher").await;
    for code in [&code_a, &code_b] {
        let reply = app
            .post(&path(&h))
            .token(&h.token)
            .json(json!({"tenant_code": code}))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    }
    let vehicles = format!("/dashboard/vehicles?networks={net_a}");
    // Before approval the hauler's user has no Dashboard access.
    app.get(&vehicles)
        .token(&h.token)
        .send()
        .await
        .fails(403, -30);

    // An operator scoped to network A.
    let unit_a = app.unit("A only", &[net_a]).await;
    let (_, op) = app
        .staff(
            "op@relais.test",
            &[
                (Permission::DashboardAccess, None, false),
                (Permission::NetworksManage, Some(unit_a), true),
                // Approving gives the hauler's users these: the approver must hold them.
                (Permission::StocksVehicles, Some(unit_a), false),
                (Permission::VehiclesManage, Some(unit_a), false),
            ],
        )
        .await;
    let list = app
        .get("/dashboard/hauler-connections?status=pending")
        .token(&op)
        .send()
        .await;
    let data = list.ok().as_array().unwrap().clone();
    assert_eq!(data.len(), 1, "only the caller's networks: {data:?}");
    assert_eq!(data[0]["network_id"], net_a);
    assert_eq!(data[0]["status"], "pending");
    assert_eq!(data[0]["hauler"]["uuid"], h.uuid.as_str());
    assert_eq!(data[0]["requested_by"], h.user);
    let id_a = data[0]["id"].as_i64().unwrap();
    // Network B is outside the operator's scope.
    app.get(&format!("/dashboard/hauler-connections?networks={net_b}"))
        .token(&op)
        .send()
        .await
        .fails(403, -31);
    let (_, admin) = app.admin().await;
    let all = app
        .get("/dashboard/hauler-connections")
        .token(&admin)
        .send()
        .await;
    let id_b = all
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["network_id"] == net_b)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    app.post(&format!("/dashboard/hauler-connections/{id_b}/approve"))
        .token(&op)
        .send()
        .await
        .fails(403, -31);

    // Approve A: records who and when; the hauler sees it approved.
    let approved = app
        .post(&format!("/dashboard/hauler-connections/{id_a}/approve"))
        .token(&op)
        .send()
        .await;
    let data = approved.ok();
    assert_eq!(data["status"], "approved");
    assert!(data["approved_on"].is_string());
    let op_id = app_user_id(&app, "op@relais.test").await;
    assert_eq!(data["approved_by"], op_id);
    let mine = app.get(&path(&h)).token(&h.token).send().await;
    let a = mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["location_id"] == net_a)
        .unwrap()
        .clone();
    assert_eq!(a["is_approved"], true);
    assert_eq!(a["approved_by"], op_id);
    is_seed_date(&a["approved_on"]);
    // Approving twice is refused.
    app.post(&format!("/dashboard/hauler-connections/{id_a}/approve"))
        .token(&op)
        .send()
        .await
        .fails(409, -41);
    // The hauler's user now reads network A's vehicles, not network B's.
    app.get(&vehicles).token(&h.token).send().await.ok();
    app.get(&format!("/dashboard/vehicles?networks={net_b}"))
        .token(&h.token)
        .send()
        .await
        .fails(403, -31);

    // Deny B (by the admin): records when.
    let denied = app
        .post(&format!("/dashboard/hauler-connections/{id_b}/deny"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(denied.ok()["status"], "denied");
    let mine = app.get(&path(&h)).token(&h.token).send().await;
    let b = mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["location_id"] == net_b)
        .unwrap()
        .clone();
    assert_eq!(b["is_approved"], false);
    is_seed_date(&b["denied_on"]);
    app.post(&format!("/dashboard/hauler-connections/{id_b}/revoke"))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);

    // Revoke A: the access is taken back; the hauler may ask again.
    let revoked = app
        .post(&format!("/dashboard/hauler-connections/{id_a}/revoke"))
        .token(&op)
        .send()
        .await;
    assert_eq!(revoked.ok()["status"], "revoked");
    app.get(&vehicles)
        .token(&h.token)
        .send()
        .await
        .fails(403, -30);
    let reply = app
        .post(&path(&h))
        .token(&h.token)
        .json(json!({"tenant_code": code_a}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    assert_eq!(reply.body["is_approved"], false);
    assert_eq!(reply.body["approved_by"], Value::Null);

    // Permission: reading needs networks.manage; deciding needs it with write.
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[
                (Permission::DashboardAccess, None, false),
                (Permission::NetworksManage, None, false),
            ],
        )
        .await;
    app.get("/dashboard/hauler-connections")
        .token(&reader)
        .send()
        .await
        .ok();
    app.post(&format!("/dashboard/hauler-connections/{id_a}/deny"))
        .token(&reader)
        .send()
        .await
        .fails(403, -30);
    app.post("/dashboard/hauler-connections/999999/deny")
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
}

async fn app_user_id(app: &TestApp, email: &str) -> i64 {
    relais_store::users::find_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[test]
fn hauler_operations_declare_the_bearer_token_and_their_refusals() {
    let doc = serde_json::to_value(relais_api::openapi()).unwrap();
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/haulers/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            seen += 1;
            assert_eq!(
                op["x-permission"]["authentication"], "surface_token",
                "{method} {path}"
            );
            // The seed takes `Authorization: Bearer` only.
            assert_eq!(op["security"], json!([{"bearer": []}]), "{method} {path}");
            for status in ["400", "401", "403"] {
                let schema = &op["responses"][status]["content"]["application/json"]["schema"];
                assert_eq!(
                    schema["$ref"], "#/components/schemas/HaulerError",
                    "{method} {path} {status}"
                );
            }
        }
    }
    assert_eq!(seen, 4);
}
