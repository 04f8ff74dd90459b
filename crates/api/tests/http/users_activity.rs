//! "Get user last actions": a rider's refused unlocks, trips and transactions, newest first.

use crate::common::TestApp;
use chrono::{Duration, Utc};
use relais_domain::Permission;
use relais_store::entity::unlock_request;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::Value;

fn kinds(reply: &Value) -> Vec<(String, i64)> {
    reply
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn refused(app: &TestApp, user: i64, network: i64, vehicle: i64, minutes_ago: i64) -> i64 {
    unlock_request::ActiveModel {
        user_id: Set(Some(user)),
        network_id: Set(Some(network)),
        vehicle_id: Set(Some(vehicle)),
        serial: Set(None),
        at: Set(Utc::now() - Duration::minutes(minutes_ago)),
        reason: Set("battery_too_low".into()),
        latitude: Set(None),
        longitude: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn a_users_last_actions_merge_unlocks_trips_and_transactions_newest_first() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let path = format!("/dashboard/users/{}/last-actions", w.user_n1);
    // Older refusals, written in time order as they happen.
    for minutes in (200..212).rev() {
        refused(&app, w.user_n1, w.n1, w.vehicle_a, minutes).await;
    }
    // The world: a trip two hours ago, paid just now.
    let unlock = refused(&app, w.user_n1, w.n1, w.vehicle_a, 150).await;
    let reply = app.get(&path).token(&w.admin).send().await;
    let actions = reply.ok();
    assert_eq!(
        kinds(actions)[..3],
        [
            ("transaction".to_owned(), w.transaction_n1),
            ("trip".to_owned(), w.trip_n1),
            ("unlock_request".to_owned(), unlock),
        ]
    );
    let a = &actions[2];
    assert_eq!(a["reason"], "battery_too_low");
    assert!(a["serial_number"].is_string(), "{a}");
    let t = &actions[1];
    assert_eq!(t["state"], "finished");
    assert_eq!(t["duration"], 14 * 60);
    let p = &actions[0];
    assert_eq!(p["transaction_kind"], "trip");
    assert_eq!(p["amount_w_vat"], "2.40");
    assert_eq!(p["status"], "succeeded");
    // Ten at most; `before_date` pages back without skipping.
    let first = app.get(&path).token(&w.admin).send().await;
    let first = first.ok().as_array().unwrap().clone();
    assert_eq!(first.len(), 10);
    let oldest = first.last().unwrap()["date"].as_str().unwrap().to_owned();
    let next = app
        .get(&format!(
            "{path}?before_date={}",
            oldest.replace('+', "%2B")
        ))
        .token(&w.admin)
        .send()
        .await;
    let next = next.ok().as_array().unwrap().clone();
    assert_eq!(next.len(), 5);
    let seen: Vec<i64> = first
        .iter()
        .chain(&next)
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(seen.len(), 15);
    app.get(&format!("{path}?before_date=yesterday"))
        .token(&w.admin)
        .send()
        .await
        .fails(400, -10);
}

#[tokio::test]
async fn last_actions_show_only_the_networks_reached_whole() {
    let app = TestApp::new().await;
    let w = app.world().await;
    // The rider also rode on network 2.
    relais_store::users::join_network(&app.db, w.user_n1, w.n2, Utc::now())
        .await
        .unwrap();
    let elsewhere = refused(&app, w.user_n1, w.n2, w.vehicle_a, 5).await;
    let unit_n2 = app.unit("Paris only", &[w.n2]).await;
    let (_, paris) = app
        .staff(
            "paris@relais.test",
            &[(Permission::UsersList, Some(unit_n2), false)],
        )
        .await;
    let reply = app
        .get(&format!("/dashboard/users/{}/last-actions", w.user_n1))
        .token(&paris)
        .send()
        .await;
    assert_eq!(
        kinds(reply.ok()),
        vec![("unlock_request".to_owned(), elsewhere)]
    );
    // Without the permission: refused.
    let (_, trips) = app
        .staff("trips@relais.test", &[(Permission::Trips, None, false)])
        .await;
    app.get(&format!("/dashboard/users/{}/last-actions", w.user_n1))
        .token(&trips)
        .send()
        .await
        .fails(403, -30);
}
