//! The rider's trips, through HTTP as the app drives them, with the vehicle's answers given
//! as the IoT link gives them (`store::iot::acknowledge`, which the link calls for each ack).

use crate::common::{PASSWORD, TestApp};
use chrono::Utc;
use relais_api::ApiSettings;
use relais_store::entity::{vehicle, vehicle_command, vehicle_model};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};
use std::time::Duration;

/// A server that answers "Start a trip" at once (the vehicle answers when the test says),
/// with a short unlock timeout.
async fn app() -> TestApp {
    TestApp::with_settings(ApiSettings {
        unlock_wait: Duration::ZERO,
        unlock_timeout: chrono::Duration::seconds(2),
        ..ApiSettings::default()
    })
    .await
}

struct Setup {
    admin: String,
    network: i64,
    vehicle: i64,
}

/// A network "Lyon" whose app label offers sandbox cards, priced 1.00 to unlock (5 minutes
/// included), 2.50 to lock in free floating, 0.20 a minute, nothing on hold; one vehicle free
/// floating, charged and heard from just now.
async fn setup(app: &TestApp) -> Setup {
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    let label = relais_store::networks::existing(&app.db, network)
        .await
        .unwrap()
        .app_label_id;
    let card = relais_store::payment_methods::kind(&app.db, "sandbox-card")
        .await
        .unwrap()
        .unwrap();
    relais_store::app_labels::enable_payment_method(&app.db, label, card.id)
        .await
        .unwrap();
    app.post("/dashboard/pricing")
        .token(&admin)
        .json(json!({
            "start_dow": 0, "start_hod": "00:00:00", "end_dow": 6, "end_hod": "24:00:00",
            "unlock_price": 1, "unlock_included_time": 300, "freefloat_lock_price": 2.5,
            "use_per_minute_price": 0.2, "on_hold_price": 0, "network_id": network,
        }))
        .send()
        .await
        .ok();
    let model = vehicle_model::ActiveModel {
        name: Set("City bike".into()),
        kind: Set("bike".into()),
        manufacturer: Set("Acme".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id;
    let vehicle = vehicle::ActiveModel {
        serial: Set("RIDE001".into()),
        network_id: Set(network),
        model_id: Set(model),
        created_at: Set(Utc::now()),
        status: Set("available".into()),
        locked: Set(true),
        latitude: Set(Some(45.7600)),
        longitude: Set(Some(4.8400)),
        battery: Set(Some(80)),
        last_seen_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id;
    Setup {
        admin,
        network,
        vehicle,
    }
}

/// A rider of the network's app label with `card` saved (none when `None`): token and id.
async fn rider(app: &TestApp, email: &str, card: Option<&str>) -> (String, i64) {
    let signed = app
        .post("/rider/sign-up")
        .json(json!({
            "email": email, "password": PASSWORD, "first_name": "Ada", "last_name": "Lovelace",
            "language": "en", "app_label": "lyon"
        }))
        .send()
        .await;
    let token = signed.ok()["token"].as_str().unwrap().to_owned();
    let id = signed.ok()["user"]["id"].as_i64().unwrap();
    if let Some(number) = card {
        app.post("/rider/me/payment-methods")
            .token(&token)
            .json(json!({
                "method": "sandbox-card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
                "idempotency_key": format!("card-{email}")
            }))
            .send()
            .await
            .ok();
    }
    (token, id)
}

async fn start(app: &TestApp, token: &str, vehicle: i64, key: &str) -> crate::common::Reply {
    app.post("/rider/me/trips")
        .token(token)
        .json(json!({"vehicle_id": vehicle, "idempotency_key": key}))
        .send()
        .await
}

/// The trip's unlock command, as the link would publish it.
async fn unlock_command(app: &TestApp, trip: i64) -> vehicle_command::Model {
    vehicle_command::Entity::find()
        .filter(vehicle_command::Column::TripId.eq(trip))
        .order_by_desc(vehicle_command::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("an unlock command for the trip")
}

/// The vehicle answers its unlock.
async fn vehicle_answers(app: &TestApp, vehicle: i64, trip: i64, error: Option<&str>) {
    let command = unlock_command(app, trip).await;
    assert_eq!(command.command, "unlock");
    let txn = relais_store::db::begin_write(&app.db).await.unwrap();
    relais_store::iot::acknowledge(&txn, vehicle, command.id, error)
        .await
        .unwrap();
    txn.commit().await.unwrap();
}

async fn my_trip(app: &TestApp, token: &str, trip: i64) -> Value {
    app.get(&format!("/rider/me/trips/{trip}"))
        .token(token)
        .send()
        .await
        .ok()
        .clone()
}

async fn wait_for_state(app: &TestApp, token: &str, trip: i64, state: &str) -> Value {
    for _ in 0..100 {
        let t = my_trip(app, token, trip).await;
        if t["state"] == state {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("trip {trip} never became {state}");
}

#[tokio::test]
async fn a_rider_finds_starts_pauses_ends_and_pays_a_trip_by_card() {
    let app = app().await;
    let s = setup(&app).await;
    let (token, rider_id) = rider(&app, "ada@example.org", Some("4242 4242 4242 4242")).await;
    // Found near where they stand.
    let near = app
        .get("/rider/vehicles/nearby?latitude=45.7601&longitude=4.8401&radius=200")
        .token(&token)
        .send()
        .await;
    let found = near.ok().as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], s.vehicle);
    assert_eq!(found[0]["unlock_price"], "1.00");
    assert!(found[0]["distance_m"].as_i64().unwrap() < 20);
    // Started: the guarantee (the network's 150.00, a first trip) is held, the unlock sent.
    let started = start(&app, &token, s.vehicle, "first-trip-key").await;
    let trip = started.ok()["id"].as_i64().unwrap();
    assert_eq!(started.ok()["state"], "unlocking");
    // The same request again: the same trip.
    let again = start(&app, &token, s.vehicle, "first-trip-key").await;
    assert_eq!(again.ok()["id"], trip);
    // The vehicle is taken meanwhile: nobody else gets it.
    let (other, _) = rider(&app, "bob@example.org", Some("4242 4242 4242 4242")).await;
    let taken = start(&app, &other, s.vehicle, "bob-trip-key").await;
    taken.fails(409, -41).names("vehicle_id");
    assert!(taken.text.contains("vehicle_unavailable"), "{}", taken.text);
    // The vehicle answers: running, billed from its answer.
    vehicle_answers(&app, s.vehicle, trip, None).await;
    let running = my_trip(&app, &token, trip).await;
    assert_eq!(running["state"], "running");
    assert_eq!(running["price"], "3.50", "{running}");
    // Paused and resumed.
    let paused = app
        .post(&format!("/rider/me/trips/{trip}/pause"))
        .token(&token)
        .send()
        .await;
    assert_eq!(paused.ok()["state"], "on-hold");
    app.post(&format!("/rider/me/trips/{trip}/pause"))
        .token(&token)
        .send()
        .await
        .fails(409, -41);
    let resumed = app
        .post(&format!("/rider/me/trips/{trip}/resume"))
        .token(&token)
        .send()
        .await;
    assert_eq!(resumed.ok()["state"], "running");
    assert_eq!(resumed.ok()["pauses"].as_array().unwrap().len(), 1);
    // Another rider cannot end it, nor see it.
    app.post(&format!("/rider/me/trips/{trip}/end"))
        .token(&other)
        .json(json!({}))
        .send()
        .await
        .fails(404, -2);
    // Ended free floating: unlock and free-float lock, within the included time; paid by a
    // capture on the guarantee.
    let ended = app
        .post(&format!("/rider/me/trips/{trip}/end"))
        .token(&token)
        .json(json!({}))
        .send()
        .await;
    let t = ended.ok();
    assert_eq!(t["state"], "finished");
    assert_eq!(t["end_place"], "free_floating");
    assert_eq!(t["price"], "3.50");
    assert_eq!(t["amount_paid"], "3.50");
    assert_eq!(t["payment_status"], "paid");
    // The vehicle is free again, asked to lock.
    let v = vehicle::Entity::find_by_id(s.vehicle)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.trip_id, None);
    assert_eq!(v.status, "available");
    // The rider's transactions; staff see the same and refund part of it.
    let mine = app.get("/rider/me/transactions").token(&token).send().await;
    let paid = mine.ok()[0].clone();
    assert_eq!(paid["amount_w_vat"], "3.50");
    assert_eq!(paid["source"], "provider");
    assert_eq!(paid["trip_id"], trip);
    let tx = paid["id"].as_i64().unwrap();
    let listed = app
        .get(&format!(
            "/dashboard/transactions?networks={}&user_id={rider_id}",
            s.network
        ))
        .token(&s.admin)
        .send()
        .await;
    assert_eq!(listed.ok()[0]["id"], tx);
    assert_eq!(listed.ok()[0]["auto_payment"], true);
    let refund = app
        .post(&format!("/dashboard/transactions/{tx}/refunds"))
        .token(&s.admin)
        .json(json!({"reason": "The saddle was broken", "amount": "1.00"}))
        .send()
        .await;
    assert_eq!(refund.ok()["status"], "succeeded");
    let detail = app
        .get(&format!("/dashboard/trips/{trip}"))
        .token(&s.admin)
        .send()
        .await;
    assert_eq!(detail.ok()["amount_paid"], "3.50");
    let kinds: Vec<&str> = detail.ok()["price_breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"unlock"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"freefloat_lock"), "{kinds:?}");
    // My trips lists it; everything adds up.
    let trips = app.get("/rider/me/trips").token(&token).send().await;
    assert_eq!(trips.ok()[0]["id"], trip);
    assert!(
        relais_store::transactions::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_start_is_refused_by_the_first_rule_that_fails_and_recorded() {
    let app = app().await;
    let s = setup(&app).await;
    // No card, no credit.
    let (token, rider_id) = rider(&app, "nocard@example.org", None).await;
    let refused = start(&app, &token, s.vehicle, "no-card-key").await;
    refused.fails(409, -41).names("payment");
    assert!(
        refused.text.contains("no_payment_method"),
        "{}",
        refused.text
    );
    // A battery below the network's minimum comes first.
    let mut low: vehicle::ActiveModel = vehicle::Entity::find_by_id(s.vehicle)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    low.battery = Set(Some(5));
    low.update(&app.db).await.unwrap();
    let refused = start(&app, &token, s.vehicle, "low-battery-key").await;
    refused.fails(409, -41).names("vehicle_id");
    assert!(refused.text.contains("battery_too_low"), "{}", refused.text);
    // Both are the rider's last actions.
    let actions = app
        .get(&format!("/dashboard/users/{rider_id}/last-actions"))
        .token(&s.admin)
        .send()
        .await;
    let reasons: Vec<&str> = actions
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, vec!["battery_too_low", "no_payment_method"]);
    // Unknown vehicle; neither id nor serial; a key too short.
    start(&app, &token, 999_999, "unknown-key")
        .await
        .fails(404, -2)
        .names("vehicle_id");
    app.post("/rider/me/trips")
        .token(&token)
        .json(json!({"idempotency_key": "neither-key"}))
        .send()
        .await
        .fails(422, -11)
        .names("vehicle_id");
    app.post("/rider/me/trips")
        .token(&token)
        .json(json!({"serial": "RIDE001", "idempotency_key": "short"}))
        .send()
        .await
        .fails(422, -11)
        .names("idempotency_key");
}

#[tokio::test]
async fn a_vehicle_that_refuses_or_never_answers_cancels_the_trip_and_frees_everything() {
    let app = app().await;
    let s = setup(&app).await;
    let (token, _) = rider(&app, "ada@example.org", Some("4242 4242 4242 4242")).await;
    // Refused by the vehicle: cancelled at once.
    let trip = start(&app, &token, s.vehicle, "refused-key").await.ok()["id"]
        .as_i64()
        .unwrap();
    vehicle_answers(&app, s.vehicle, trip, Some("motor fault")).await;
    let t = my_trip(&app, &token, trip).await;
    assert_eq!(t["state"], "cancelled");
    assert_eq!(t["cancel_reason"], "vehicle_refused");
    // No answer: cancelled by the timeout, its unlock never delivered after it.
    let trip = start(&app, &token, s.vehicle, "silent-key").await.ok()["id"]
        .as_i64()
        .unwrap();
    let t = wait_for_state(&app, &token, trip, "cancelled").await;
    assert_eq!(t["cancel_reason"], "vehicle_not_responding");
    assert_eq!(unlock_command(&app, trip).await.state, "expired");
    // The guarantees held for both are released; the vehicle can be rented again.
    for _ in 0..100 {
        let open = relais_store::entity::bank_guarantee::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|g| g.closed_at.is_none())
            .count();
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let held = relais_store::entity::bank_guarantee::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(held.len(), 2);
    assert!(held.iter().all(|g| g.closed_at.is_some()), "{held:?}");
    let late = start(&app, &token, s.vehicle, "third-key").await;
    assert_eq!(late.ok()["state"], "unlocking");
}

#[tokio::test]
async fn a_trip_is_paid_from_the_wallet_first_and_a_declined_card_leaves_a_debt() {
    let app = app().await;
    let s = setup(&app).await;
    // A rider with credit and no guarantee to hold (staff disabled it).
    let (token, rider_id) = rider(&app, "wallet@example.org", Some("4000 0000 0000 9995")).await;
    let mut user: relais_store::entity::user::ActiveModel =
        relais_store::users::get(&app.db, rider_id)
            .await
            .unwrap()
            .into();
    user.pre_auth_disabled = Set(true);
    user.update(&app.db).await.unwrap();
    relais_store::wallets::apply(
        &app.db,
        rider_id,
        "EUR",
        relais_store::wallets::Movement {
            amount: 20_000,
            kind: relais_store::entity::wallet_movement::MovementKind::StaffCredit,
            reason: "Welcome credits".into(),
            actor_id: None,
            at: Utc::now(),
            transaction_id: None,
        },
    )
    .await
    .unwrap();
    let trip = start(&app, &token, s.vehicle, "wallet-trip").await.ok()["id"]
        .as_i64()
        .unwrap();
    vehicle_answers(&app, s.vehicle, trip, None).await;
    let ended = app
        .post(&format!("/rider/me/trips/{trip}/end"))
        .token(&token)
        .json(json!({}))
        .send()
        .await;
    // 2.00 from the wallet, 1.50 on the card, which is declined: a debt.
    let t = ended.ok();
    assert_eq!(t["amount_paid"], "2.00");
    assert_eq!(t["payment_status"], "debt");
    let balance = relais_store::wallets::of_user(&app.db, rider_id, true)
        .await
        .unwrap()[0]
        .balance;
    assert_eq!(balance, 0);
    let mine = app.get("/rider/me/transactions").token(&token).send().await;
    let statuses: Vec<(&str, &str)> = mine
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["source"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        vec![("provider", "failed"), ("wallet", "succeeded")]
    );
    // The debt blocks the next trip.
    let refused = start(&app, &token, s.vehicle, "after-debt").await;
    refused.fails(409, -41).names("payment");
    assert!(refused.text.contains("unpaid_debt"), "{}", refused.text);
    assert!(refused.text.contains("1.5"), "{}", refused.text);
    assert!(
        relais_store::transactions::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        relais_store::wallets::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A trip of the rider on the setup's vehicle, started and answered: its id.
async fn ride(app: &TestApp, s: &Setup, token: &str, key: &str) -> i64 {
    let trip = start(app, token, s.vehicle, key).await.ok()["id"]
        .as_i64()
        .unwrap();
    vehicle_answers(app, s.vehicle, trip, None).await;
    trip
}

#[tokio::test]
async fn staff_stop_a_trips_billing_and_only_the_unpaid_part_moves() {
    let app = app().await;
    let s = setup(&app).await;
    let (token, _) = rider(&app, "ada@example.org", Some("4242 4242 4242 4242")).await;
    let trip = ride(&app, &s, &token, "billed-trip").await;
    // Started nine and a half minutes ago: the trip's minutes (counted from its start) beyond
    // the five included are five, and the sixth starts only half a minute from now.
    let ten_ago = Utc::now() - chrono::Duration::seconds(570);
    let mut row: relais_store::entity::trip::ActiveModel =
        relais_store::entity::trip::Entity::find_by_id(trip)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .into();
    row.started_at = Set(ten_ago);
    row.update(&app.db).await.unwrap();
    let path = format!("/dashboard/trips/{trip}/billing-stop");
    // Outside the trip, or missing: refused naming the date.
    app.put(&path)
        .token(&s.admin)
        .json(json!({"date": (ten_ago - chrono::Duration::minutes(1)).to_rfc3339()}))
        .send()
        .await
        .fails(422, -11)
        .names("date");
    app.put(&path)
        .token(&s.admin)
        .json(json!({}))
        .send()
        .await
        .fails(400, -10);
    // Stopped at six minutes: when the rider ends, the price stops there.
    let stop = ten_ago + chrono::Duration::minutes(6);
    let done = app
        .put(&path)
        .token(&s.admin)
        .json(json!({"date": stop.to_rfc3339()}))
        .send()
        .await;
    assert_eq!(done.body, json!({"code": 0}));
    let ended = app
        .post(&format!("/rider/me/trips/{trip}/end"))
        .token(&token)
        .json(json!({}))
        .send()
        .await;
    // 1.00 to unlock, one minute beyond the five included at 0.20, 2.50 to lock.
    assert_eq!(ended.ok()["price"], "3.70", "{}", ended.text);
    assert_eq!(ended.ok()["duration"], 360);
    assert_eq!(ended.ok()["amount_paid"], "3.70");
    // Erased: the trip is priced again up to its end and the difference charged.
    app.put(&path)
        .token(&s.admin)
        .json(json!({"date": null}))
        .send()
        .await
        .ok();
    let detail = app
        .get(&format!("/dashboard/trips/{trip}"))
        .token(&s.admin)
        .send()
        .await;
    let d = detail.ok();
    assert_eq!(d["billing_stop_date"], json!(null));
    // Five minutes beyond the included time, up to the end.
    assert_eq!(d["price"], "4.50", "{d}");
    assert_eq!(d["amount_paid"], "4.50");
    assert_eq!(d["payment_status"], "paid");
    let kinds: Vec<&str> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"billing_stopped") && kinds.contains(&"repriced"),
        "{kinds:?}"
    );
    // Stopped earlier again: nothing is refunded by itself; what was paid stays.
    app.put(&path)
        .token(&s.admin)
        .json(json!({"date": (ten_ago + chrono::Duration::minutes(1)).to_rfc3339()}))
        .send()
        .await
        .ok();
    let detail = app
        .get(&format!("/dashboard/trips/{trip}"))
        .token(&s.admin)
        .send()
        .await;
    assert_eq!(detail.ok()["price"], "3.50");
    assert_eq!(detail.ok()["amount_paid"], "4.50");
    assert!(
        relais_store::transactions::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    // A trip that never started has no billing to stop.
    let cancelled = start(&app, &token, s.vehicle, "never-started").await.ok()["id"]
        .as_i64()
        .unwrap();
    vehicle_answers(&app, s.vehicle, cancelled, Some("jammed")).await;
    app.put(&format!("/dashboard/trips/{cancelled}/billing-stop"))
        .token(&s.admin)
        .json(json!({"date": null}))
        .send()
        .await
        .fails(409, -41);
}

#[tokio::test]
async fn a_trip_too_long_or_paused_too_long_is_ended_by_its_timer() {
    let app = app().await;
    let s = setup(&app).await;
    let (token, _) = rider(&app, "ada@example.org", Some("4242 4242 4242 4242")).await;
    // A network that locks trips after 1 s, and ends pauses after 1 s.
    let mut net: relais_store::entity::network::ActiveModel =
        relais_store::networks::existing(&app.db, s.network)
            .await
            .unwrap()
            .into();
    net.trip_auto_lock = Set(1);
    net.trip_max_pause = Set(1);
    net.update(&app.db).await.unwrap();
    let trip = ride(&app, &s, &token, "auto-locked").await;
    wait_for_state(&app, &token, trip, "finished").await;
    // Paid by the timer's job right after the end it commits.
    let mut paid = false;
    for _ in 0..100 {
        if my_trip(&app, &token, trip).await["payment_status"] == "paid" {
            paid = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(paid, "{}", my_trip(&app, &token, trip).await);
    let detail = app
        .get(&format!("/dashboard/trips/{trip}"))
        .token(&s.admin)
        .send()
        .await;
    assert_eq!(detail.ok()["ended_by"], "auto_lock");
    // Paused: the pause's timer ends it first (the network's lock is longer now).
    let mut net: relais_store::entity::network::ActiveModel =
        relais_store::networks::existing(&app.db, s.network)
            .await
            .unwrap()
            .into();
    net.trip_auto_lock = Set(3600);
    net.update(&app.db).await.unwrap();
    let trip = ride(&app, &s, &token, "max-paused").await;
    app.post(&format!("/rider/me/trips/{trip}/pause"))
        .token(&token)
        .send()
        .await
        .ok();
    wait_for_state(&app, &token, trip, "finished").await;
    let detail = app
        .get(&format!("/dashboard/trips/{trip}"))
        .token(&s.admin)
        .send()
        .await;
    assert_eq!(detail.ok()["ended_by"], "max_pause");
    assert!(
        relais_store::transactions::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}
