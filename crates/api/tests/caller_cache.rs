//! The caller cache: a known token costs no query, and a security change holds from the next
//! request on when this process made it, within a second when another process did.
//!
//! A test binary of its own, its cases run one after the other: a security change committed by
//! any test of a process empties every cache of the process, which would make the counts of
//! hits below depend on what other tests do at the same moment.

#[path = "http/common.rs"]
mod common;

use common::TestApp;
use relais_domain::Permission;
use relais_store::grants::Granted;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::time::{Duration, Instant};

/// A read that needs a token and `users.permissions`, and touches nothing.
async fn permissions(app: &TestApp, token: &str) -> common::Reply {
    app.get("/dashboard/permissions?lang=en")
        .token(token)
        .send()
        .await
}

/// The value of a counter in `/metrics`.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.get("/metrics").send().await.text;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

/// Change the database as another process would: without this process's commit count moving.
async fn elsewhere(app: &TestApp, sql: &str) {
    app.db
        .execute_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_caller_cache_answers_from_memory_and_follows_every_change() {
    a_known_token_is_answered_from_memory().await;
    a_change_made_by_this_process_holds_from_the_next_request().await;
    a_change_made_by_another_process_reaches_this_one_within_a_second().await;
}

async fn a_known_token_is_answered_from_memory() {
    let app = TestApp::new().await;
    let (_, token) = app
        .staff(
            "ann@relais.test",
            &[(Permission::UsersPermissions, None, false)],
        )
        .await;
    permissions(&app, &token).await.ok();
    // The epoch's first reading, a quarter of a second after start, empties the cache once.
    tokio::time::sleep(Duration::from_millis(400)).await;
    permissions(&app, &token).await.ok();
    let (hits, misses) = (
        metric(&app, "relais_caller_cache_hits_total").await,
        metric(&app, "relais_caller_cache_misses_total").await,
    );
    for _ in 0..5 {
        permissions(&app, &token).await.ok();
    }
    assert_eq!(
        metric(&app, "relais_caller_cache_hits_total").await,
        hits + 5
    );
    assert_eq!(
        metric(&app, "relais_caller_cache_misses_total").await,
        misses
    );
    // A wrong secret for a cached token id is refused, from memory as well.
    let (id, _) = token.split_once('.').unwrap();
    let forged = format!("{id}.{}", "0".repeat(64));
    permissions(&app, &forged).await.fails(401, -20);
}

async fn a_change_made_by_this_process_holds_from_the_next_request() {
    let app = TestApp::new().await;
    let (ann, token) = app
        .staff(
            "ann@relais.test",
            &[(Permission::UsersPermissions, None, false)],
        )
        .await;
    permissions(&app, &token).await.ok();
    // A grant taken back through the store, not through an HTTP request.
    relais_store::grants::remove(
        &app.db,
        ann,
        Granted::Permission(Permission::UsersPermissions),
        None,
    )
    .await
    .unwrap();
    permissions(&app, &token).await.fails(403, -30);
    // And given again.
    app.grant(ann, Permission::UsersPermissions, None, false)
        .await;
    permissions(&app, &token).await.ok();
    // Signing out ends the token at once.
    app.post("/auth/logout").token(&token).send().await;
    permissions(&app, &token).await.fails(401, -20);
}

async fn a_change_made_by_another_process_reaches_this_one_within_a_second() {
    let app = TestApp::new().await;
    let (_, token) = app
        .staff(
            "ann@relais.test",
            &[(Permission::UsersPermissions, None, false)],
        )
        .await;
    // The epoch raised by the grants above is read by then: nothing empties the cache below
    // but what the test does.
    tokio::time::sleep(Duration::from_millis(600)).await;
    permissions(&app, &token).await.ok();
    let now = match app.db.get_database_backend() {
        DbBackend::Postgres => "now()",
        _ => "CURRENT_TIMESTAMP",
    };
    // Revoked behind the server's back and without raising the epoch: the cache still answers,
    // which shows that it is the cache answering.
    elsewhere(&app, &format!("UPDATE api_tokens SET revoked_at = {now}")).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    permissions(&app, &token).await.ok();
    // The other process raises the epoch, as the store does in every security change.
    relais_store::security_epoch::raise(&app.db).await.unwrap();
    let start = Instant::now();
    loop {
        let reply = app
            .get("/dashboard/permissions?lang=en")
            .token(&token)
            .send()
            .await;
        if reply.status == 401 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "the revocation did not reach the server within a second"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
