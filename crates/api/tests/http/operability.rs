//! Health, readiness, metrics, request ids, and the envelope of every kind of failure.

use crate::common::TestApp;
use relais_api::ApiSettings;
use relais_domain::Permission;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/healthz").send().await.text, "ok");
    assert_eq!(app.get("/readyz").send().await.text, "ready");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::new().await;
    app.db.clone().close().await.unwrap();
    app.get("/readyz").send().await.fails(503, -50);
}

#[tokio::test]
async fn an_outage_answers_503_at_once_not_500() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    app.get("/dashboard/roles?lang=en")
        .token(&admin)
        .send()
        .await
        .ok();
    app.db.clone().close().await.unwrap();
    let start = Instant::now();
    // The token is resolved first, then the handler's own queries: both answer 503 -50.
    let reply = app
        .get("/dashboard/roles?lang=en")
        .token(&admin)
        .send()
        .await;
    reply.fails(503, -50);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    app.post("/auth/login")
        .json(json!({"email": "admin@relais.test", "password": "x"}))
        .send()
        .await
        .fails(503, -50);
}

// PostgreSQL only: the server refuses the test database's connections, then takes them again.
#[tokio::test]
async fn a_postgresql_outage_answers_503_and_the_server_recovers_by_itself() {
    let Ok(server) = std::env::var("RELAIS_TEST_DATABASE_URL") else {
        return;
    };
    if !server.starts_with("postgres") {
        return;
    }
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let roles = "/dashboard/roles?lang=en";
    app.get(roles).token(&admin).send().await.ok();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_database() AS name",
        ))
        .await
        .unwrap()
        .unwrap();
    let name: String = row.try_get("", "name").unwrap();
    let operator = relais_store::connect(&server, 1).await.unwrap();
    let outage = |allow: bool| {
        let (operator, name) = (&operator, &name);
        async move {
            operator
                .execute_unprepared(&format!(
                    "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {allow}"
                ))
                .await
                .unwrap();
            if !allow {
                operator
                    .execute_unprepared(&format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                    ))
                    .await
                    .unwrap();
            }
        }
    };
    outage(false).await;
    let start = Instant::now();
    let reply = app.get(roles).token(&admin).send().await;
    let elapsed = start.elapsed();
    outage(true).await;
    reply.fails(503, -50);
    // Within the pool's acquire timeout (3 s), not a TCP timeout.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    // Back: the pool opens new connections by itself.
    app.get(roles).token(&admin).send().await.ok();
    operator.close().await.ok();
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let app = TestApp::new().await;
    for path in ["/healthz", "/nowhere", "/dashboard/roles?lang=en"] {
        let reply = app.get(path).send().await;
        let id = reply.headers["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{path}: {id}");
    }
    let reply = app
        .get("/healthz")
        .header("x-request-id", "abc-123")
        .send()
        .await;
    assert_eq!(reply.headers["x-request-id"], "abc-123");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::new().await;
    app.get("/healthz").send().await;
    app.get("/dashboard/roles?lang=en").send().await;
    let text = app.get("/metrics").send().await.text;
    assert!(
        text.contains(
            r#"relais_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/dashboard/roles",status="401""#),
        "{text}"
    );
    assert!(
        text.contains("relais_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("relais_db_pool_connections"), "{text}");
}

#[tokio::test]
async fn metrics_answer_the_content_type_the_document_declares() {
    let app = TestApp::new().await;
    let served = app.get("/metrics").send().await;
    assert_eq!(served.status, 200);
    let document = app.get("/openapi.json").send().await.body;
    let declared = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
        .as_object()
        .expect("content of /metrics");
    let declared: Vec<&String> = declared.keys().collect();
    assert_eq!(
        declared,
        [served.headers["content-type"].to_str().unwrap()],
        "served vs documented"
    );
    assert!(served.text.ends_with("# EOF\n"), "OpenMetrics text");
}

#[test]
fn the_openapi_document_is_the_same_text_at_every_serialization() {
    // Separate documents hash their extension maps differently, as separate runs would.
    let texts: Vec<String> = (0..4)
        .map(|_| relais_api::openapi_json().unwrap())
        .collect();
    for text in &texts[1..] {
        assert!(text == &texts[0], "two serializations differ");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_envelope() {
    let app = TestApp::new().await;
    app.get("/nowhere").send().await.fails(404, -3);
    app.get("/dashboard/nothing-here")
        .send()
        .await
        .fails(404, -3);
    app.delete("/healthz").send().await.fails(405, -4);
}

#[tokio::test]
async fn bodies_must_be_json_of_reasonable_size() {
    let app = TestApp::with_settings(ApiSettings {
        body_limit: 1024,
        ..ApiSettings::default()
    })
    .await;
    let (_, token) = app.admin().await;
    app.post("/dashboard/roles")
        .token(&token)
        .raw("text/plain", "key=abc")
        .send()
        .await
        .fails(415, -12);
    app.post("/dashboard/roles")
        .token(&token)
        .raw("application/json", "{\"key\": ")
        .send()
        .await
        .fails(400, -10);
    let big = json!({"key": "x".repeat(4096), "perms": []});
    app.post("/dashboard/roles")
        .token(&token)
        .json(big)
        .send()
        .await
        .fails(413, -13);
}

#[tokio::test]
async fn path_parameters_are_validated() {
    let app = TestApp::new().await;
    let (_, token) = app
        .staff(
            "ann@relais.test",
            &[(Permission::UsersPermissions, None, false)],
        )
        .await;
    app.get("/dashboard/users/abc/permissions")
        .token(&token)
        .send()
        .await
        .fails(400, -10)
        .names("id");
    app.get("/dashboard/users/0/permissions")
        .token(&token)
        .send()
        .await
        .fails(422, -11)
        .names("id");
}
