//! The demonstration's riders: a few hundred accounts spread over the networks, with devices,
//! cards saved on the sandbox provider (so that they can be held and charged like any) and
//! some credits in their wallets, moved by recorded movements like any credit.

use chrono::{Duration, Utc};
use rand::Rng;
use rand::seq::SliceRandom;
use relais_domain::credentials::hash_password;
use relais_payments::{CustomerRef, PaymentProvider, SandboxCard, SetupRequest, SetupStart};
use relais_store::Db;
use relais_store::entity::user_device::Platform;
use relais_store::entity::user_payment_method::MethodStatus;
use relais_store::entity::wallet_movement::MovementKind;
use relais_store::users::NewUser;
use std::sync::Arc;

const FIRST: &[&str] = &[
    "Camille", "Louis", "Chloé", "Gabriel", "Manon", "Raphaël", "Jade", "Arthur", "Emma", "Jules",
    "Aziz", "Dilnoza", "Olivia", "Liam", "Noah", "Sofia", "Yusuf", "Malika",
];
const LAST: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Leroy",
    "Karimov",
    "Tashkentova",
    "Smith",
    "Tremblay",
    "Roy",
    "Gagnon",
    "Nguyen",
    "Moreau",
];

/// The test cards riders save: most succeed, some will be short of funds at their first hold.
const CARDS: &[&str] = &[
    "4242424242424242",
    "4242424242424242",
    "5555555555554444",
    "4000000000009995",
];

/// Make `count` riders over `networks` (network, currency) in `app_label`; the first one gets a
/// password, returned with its address to be printed once.
pub async fn load(
    db: &Db,
    app_label: i64,
    networks: &[(i64, &'static str)],
    count: usize,
    staff: i64,
) -> anyhow::Result<(String, String)> {
    let sandbox = relais_payments::Sandbox::new(
        relais_payments::SandboxConfig::new(relais_api::ApiSettings::default().sandbox_secret),
        Arc::new(relais_store::sandbox::SqlLedger::new(db.clone())),
    )?;
    let mut rng = rand::thread_rng();
    let password = super::new_password();
    let first_email = "rider@demo.relais.example".to_owned();
    for i in 0..count {
        let first = FIRST.choose(&mut rng).expect("names");
        let last = LAST.choose(&mut rng).expect("names");
        let email = if i == 0 {
            first_email.clone()
        } else {
            format!(
                "{}.{}.{i}@riders.demo.relais.example",
                first.to_lowercase(),
                last.to_lowercase()
            )
        };
        let user = relais_store::users::create(
            db,
            NewUser {
                email,
                // One rider signs in with a password; the others would reset theirs.
                password_hash: (i == 0).then(|| hash_password(&password)),
                first_name: Some((*first).to_owned()),
                last_name: Some((*last).to_owned()),
                phone: Some(format!("+336{:08}", rng.gen_range(0..100_000_000))),
                language: Some(if rng.gen_bool(0.6) { "fr" } else { "en" }.to_owned()),
                app_label_id: Some(app_label),
                terms_accepted_at: Some(Utc::now()),
            },
        )
        .await?;
        let now = Utc::now() - Duration::days(rng.gen_range(0..300));
        relais_store::users::confirm(db, user.id, false, now).await?;
        let (network, currency) = networks[i % networks.len()];
        relais_store::users::join_network(db, user.id, network, now).await?;
        if rng.gen_bool(0.1) {
            let (other, _) = networks[(i + 1) % networks.len()];
            relais_store::users::join_network(db, user.id, other, now).await?;
        }
        relais_store::devices::register(
            db,
            user.id,
            relais_store::devices::DeviceReport {
                // A few phones are shared by two accounts, as staff will find.
                device_id: format!("demo-device-{}", if i % 25 == 1 { i - 1 } else { i }),
                platform: if rng.gen_bool(0.55) {
                    Platform::Android
                } else {
                    Platform::Ios
                },
                model: Some(
                    if rng.gen_bool(0.5) {
                        "Pixel 8"
                    } else {
                        "iPhone 15"
                    }
                    .to_owned(),
                ),
                app_version: Some("4.2.0".to_owned()),
                push_token: Some(format!("demo-push-{}", uuid::Uuid::new_v4().simple())),
            },
            now,
        )
        .await?;
        if rng.gen_bool(0.85) {
            let number = CARDS.choose(&mut rng).expect("cards");
            let started = sandbox
                .begin_setup(&SetupRequest {
                    customer: CustomerRef::new(user.id.to_string()),
                    card: Some(SandboxCard::new(
                        number.to_string(),
                        12,
                        2030,
                        "123".to_owned(),
                    )),
                    idempotency_key: format!("demo-card-{}", user.id),
                })
                .await
                .map_err(|e| anyhow::anyhow!("sandbox: {e}"))?;
            if let SetupStart::Saved(saved) = started {
                relais_store::payment_methods::add(
                    db,
                    user.id,
                    relais_store::payment_methods::SavedMethod {
                        method_key: "sandbox-card".into(),
                        provider: "sandbox".into(),
                        provider_token: saved.token,
                        provider_customer: Some(saved.customer_id),
                        brand: Some(saved.brand),
                        last4: Some(saved.last4),
                        exp_month: Some(saved.exp_month as i16),
                        exp_year: Some(saved.exp_year as i16),
                        fingerprint: Some(saved.fingerprint),
                        status: MethodStatus::Ready,
                    },
                    now,
                )
                .await?;
            }
        }
        if rng.gen_bool(0.4) {
            let cents: i64 = rng.gen_range(1..40) * 50;
            relais_store::wallets::apply(
                db,
                user.id,
                currency,
                relais_store::wallets::Movement {
                    amount: cents * 100,
                    kind: MovementKind::StaffCredit,
                    reason: "Welcome credits".into(),
                    actor_id: Some(staff),
                    at: now,
                    transaction_id: None,
                },
            )
            .await?;
        }
    }
    Ok((first_email, password))
}
