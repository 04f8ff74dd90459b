//! Concurrent writers: on SQLite they queue on the write lock, they never fail.

use crate::common::TestApp;
use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use tower::ServiceExt;

const WRITERS: usize = 64;

/// A vehicle in service on `network`, made directly in the store.
async fn vehicle(app: &TestApp, serial: &str, network: i64) {
    let model = relais_store::reference::vehicle_models(&app.db)
        .await
        .expect("models")[0]
        .id;
    relais_store::entity::vehicle::ActiveModel {
        serial: Set(serial.into()),
        network_id: Set(network),
        model_id: Set(model),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("vehicle");
}

// Each reset reads the network and its vehicles, then writes a command per vehicle, in one
// transaction: the read-then-write pattern a deferred SQLite transaction cannot upgrade under
// contention ("database is locked" at once, despite the busy timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_wait_for_each_other_and_all_succeed() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Paris").await;
    for serial in ["B1", "B2", "B3", "B4"] {
        vehicle(&app, serial, network).await;
    }
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..WRITERS {
        let router = app.router.clone();
        let request = Request::post(format!(
            "/dashboard/networks/{network}/vehicles/reset-settings"
        ))
        .header("authorization", format!("Bearer {admin}"))
        .body(Body::empty())
        .expect("request");
        writers.spawn(async move {
            let response = router.oneshot(request).await.expect("response");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            (status, String::from_utf8_lossy(&body).into_owned())
        });
    }
    let mut failures = Vec::new();
    while let Some(done) = writers.join_next().await {
        let (status, body) = done.expect("writer");
        if !status.is_success() {
            failures.push(format!("{status} {body}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {WRITERS} writers failed: {failures:#?}",
        failures.len()
    );
    // Every reset queued one command per vehicle.
    let queued = relais_store::entity::vehicle_command::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(queued, (WRITERS * 4) as u64);
}
