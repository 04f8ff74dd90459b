//! The rider app's API (`/rider/`, tag `Rider`): a rider is created, confirmed, signed in,
//! given a card on the sandbox provider and credits in a wallet, blocked and unblocked,
//! entirely through HTTP; and the mails of sign-up reach the outbox folder or an SMTP server.

use crate::common::{Reply, TestApp};
use relais_api::outbox::dispatch::Transports;
use serde_json::{Value, json};
use std::sync::Arc;

const PASSWORD: &str = "a long enough secret";

/// An app label offering the sandbox's cards, with its rules.
async fn label(app: &TestApp, name: &str, sms: bool, terms: bool) -> i64 {
    use sea_orm::{ActiveModelTrait, Set};
    let id = app.app_label(name).await;
    let mut label: relais_store::entity::app_label::ActiveModel =
        relais_store::app_labels::existing(&app.db, id)
            .await
            .unwrap()
            .into();
    label.require_sms_validation = Set(sms);
    label.require_terms_of_use = Set(terms);
    label.update(&app.db).await.unwrap();
    let card = relais_store::payment_methods::kind(&app.db, "sandbox-card")
        .await
        .unwrap()
        .unwrap();
    relais_store::app_labels::enable_payment_method(&app.db, id, card.id)
        .await
        .unwrap();
    id
}

fn code_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}

async fn sign_up(app: &TestApp, email: &str, extra: Value) -> Reply {
    let mut body = json!({
        "email": email, "password": PASSWORD, "first_name": "Ada", "last_name": "Lovelace",
        "language": "fr", "app_label": "velo"
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.post("/rider/sign-up").json(body).send().await
}

async fn add_card(app: &TestApp, token: &str, number: &str, key: &str) -> Reply {
    app.post("/rider/me/payment-methods")
        .token(token)
        .json(json!({
            "method": "sandbox-card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
            "idempotency_key": key
        }))
        .send()
        .await
}

#[tokio::test]
async fn a_rider_is_made_confirmed_given_a_card_and_credits_then_blocked_and_unblocked() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let network = app.network("Lyon").await;
    label(&app, "velo", false, false).await;
    let signed = sign_up(&app, "Ada@Example.org", json!({"network_id": network})).await;
    let token = signed.ok()["token"].as_str().unwrap().to_owned();
    let rider = signed.body["data"]["user"]["id"].as_i64().unwrap();
    assert_eq!(signed.body["data"]["user"]["email"], "ada@example.org");
    // The rider belongs to the network the app opened on.
    let members = app
        .get(&format!(
            "/dashboard/users?networks={network}&currency=EUR&timezone=UTC&without_network=false"
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(members.ok()[0]["id"], rider);
    // The address is confirmed with the code mailed, in the rider's language.
    let mail = app.last_message(rider, "confirm_email").await;
    assert!(mail.contains("code de confirmation"), "{mail}");
    let code = code_in(&mail);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    app.post("/rider/me/email/confirm")
        .token(&token)
        .json(json!({"code": wrong}))
        .send()
        .await
        .fails(422, -11)
        .names("code");
    app.post("/rider/me/email/confirm")
        .token(&token)
        .json(json!({"code": code}))
        .send()
        .await
        .ok();
    app.post("/rider/me/email/confirm")
        .token(&token)
        .json(json!({"code": code}))
        .send()
        .await
        .fails(422, -11)
        .names("code");
    let me = app.get("/rider/me").token(&token).send().await;
    assert_eq!(me.ok()["email_confirmed"], true);
    // Staff see that the code was mailed, never the code.
    let mails = app
        .get(&format!("/dashboard/users/{rider}/mails"))
        .token(&admin)
        .send()
        .await;
    assert!(!mails.text.contains(&code), "{}", mails.text);
    assert_eq!(mails.ok()[0]["template"], "confirm_email");
    // A device, and a card on the sandbox.
    app.put("/rider/me/devices")
        .token(&token)
        .json(json!({"device_id": "iphone-15-x", "platform": "ios", "push_token": "apns-token"}))
        .send()
        .await
        .ok();
    let card = add_card(&app, &token, "4242 4242 4242 4242", "first-card-key").await;
    let method = &card.ok()["payment_method"];
    assert_eq!(method["last4"], "4242");
    assert_eq!(method["brand"], "visa");
    assert_eq!(method["is_default"], true);
    assert_eq!(method["status"], "ready");
    assert!(!card.text.contains("4242 4242"), "{}", card.text);
    let first = method["id"].as_i64().unwrap();
    // The same request again saves nothing new.
    let again = add_card(&app, &token, "4242 4242 4242 4242", "first-card-key").await;
    assert_eq!(
        again.ok()["payment_method"]["fingerprint"],
        method["fingerprint"]
    );
    add_card(&app, &token, "4000 0000 0000 0002", "declined-key")
        .await
        .fails(409, -41);
    // Insufficient funds shows at the first hold, as with Stripe's card: it saves.
    let poor = add_card(&app, &token, "4000 0000 0000 9995", "poor-card-key").await;
    assert_eq!(poor.ok()["payment_method"]["is_default"], false);
    add_card(&app, &token, "4242 4242 4242 4241", "bad-luhn-key")
        .await
        .fails(422, -11);
    let secure = add_card(&app, &token, "4000 0027 6000 3184", "secure-card-key").await;
    assert_eq!(secure.ok()["payment_method"]["status"], "requires_action");
    let secure_id = secure.body["data"]["payment_method"]["id"]
        .as_i64()
        .unwrap();
    app.put(&format!("/rider/me/payment-methods/{secure_id}/default"))
        .token(&token)
        .send()
        .await
        .fails(422, -11)
        .names("id");
    let methods = app
        .get("/rider/me/payment-methods")
        .token(&token)
        .send()
        .await;
    assert_eq!(methods.ok()[0]["provider"], "sandbox");
    // The 4242 card once (its retry saved nothing new), the poor card, the 3-D Secure one.
    assert_eq!(
        methods.body["data"][0]["methods"].as_array().unwrap().len(),
        3
    );
    assert_eq!(methods.body["data"][0]["methods"][0]["id"], first);
    // Another rider's method is not this one's.
    let (_, other) = app.rider("other@relais.test", &[]).await;
    app.delete(&format!("/rider/me/payment-methods/{first}"))
        .token(&other)
        .send()
        .await
        .fails(404, -2);
    // Credits from staff, seen by the rider.
    app.post(&format!("/dashboard/users/{rider}/wallets"))
        .token(&admin)
        .json(json!({"amount": "5", "currency": "EUR", "reason": "Welcome credits"}))
        .send()
        .await
        .ok();
    let wallets = app.get("/rider/me/wallets").token(&token).send().await;
    assert_eq!(wallets.ok()[0]["balance"], "5.00");
    // Blocked: refused everywhere at once; unblocked: back.
    app.post(&format!("/dashboard/users/{rider}/block"))
        .token(&admin)
        .json(json!({"reason": "Fraudulent cards"}))
        .send()
        .await
        .ok();
    app.get("/rider/me")
        .token(&token)
        .send()
        .await
        .fails(403, -22);
    app.post("/rider/sign-in")
        .json(json!({"email": "ada@example.org", "password": PASSWORD}))
        .send()
        .await
        .fails(403, -22);
    app.delete(&format!("/dashboard/users/{rider}/block"))
        .token(&admin)
        .send()
        .await
        .ok();
    app.get("/rider/me").token(&token).send().await.ok();
    // A rider's token opens nothing of the Dashboard.
    app.get("/dashboard/permissions?lang=en")
        .token(&token)
        .send()
        .await
        .fails(403, -30);
    // Sign out, in again.
    app.post("/rider/sign-out").token(&token).send().await.ok();
    app.get("/rider/me")
        .token(&token)
        .send()
        .await
        .fails(401, -20);
    let back = app
        .post("/rider/sign-in")
        .json(json!({"email": "ada@example.org", "password": PASSWORD}))
        .send()
        .await;
    assert!(back.ok()["token"].is_string());
}

#[tokio::test]
async fn the_app_labels_rules_apply_at_sign_up() {
    let app = TestApp::new().await;
    label(&app, "velo", true, true).await;
    sign_up(&app, "a@example.org", json!({"accept_terms": true}))
        .await
        .fails(422, -11)
        .names("phone");
    sign_up(&app, "a@example.org", json!({"phone": "+33612345678"}))
        .await
        .fails(422, -11)
        .names("accept_terms");
    sign_up(
        &app,
        "a@example.org",
        json!({"phone": "0612345678", "accept_terms": true}),
    )
    .await
    .fails(422, -11)
    .names("phone");
    let signed = sign_up(
        &app,
        "a@example.org",
        json!({"phone": "+33612345678", "accept_terms": true}),
    )
    .await;
    let token = signed.ok()["token"].as_str().unwrap().to_owned();
    let rider = signed.body["data"]["user"]["id"].as_i64().unwrap();
    let sms = app.last_message(rider, "confirm_phone").await;
    app.post("/rider/me/phone/confirm")
        .token(&token)
        .json(json!({"code": code_in(&sms)}))
        .send()
        .await
        .ok();
    let me = app.get("/rider/me").token(&token).send().await;
    assert_eq!(me.ok()["phone_confirmed"], true);
    assert!(me.body["data"]["terms_accepted_at"].is_string());
    // A new number needs confirming again.
    let changed = app
        .patch("/rider/me")
        .token(&token)
        .json(json!({"phone": "+33698765432", "first_name": "Augusta"}))
        .send()
        .await;
    assert_eq!(changed.ok()["phone_confirmed"], false);
    assert_eq!(changed.body["data"]["first_name"], "Augusta");
    // Refusals.
    sign_up(
        &app,
        "A@example.org",
        json!({"phone": "+33612345678", "accept_terms": true}),
    )
    .await
    .fails(409, -40)
    .names("email");
    sign_up(&app, "not-an-address", json!({}))
        .await
        .fails(422, -11)
        .names("email");
    let short = json!({"email": "b@example.org", "password": "short", "first_name": "B",
        "last_name": "C", "language": "en", "app_label": "velo"});
    app.post("/rider/sign-up")
        .json(short)
        .send()
        .await
        .fails(422, -11)
        .names("password");
    let unknown = json!({"email": "b@example.org", "password": PASSWORD, "first_name": "B",
        "last_name": "C", "language": "en", "app_label": "nowhere"});
    app.post("/rider/sign-up")
        .json(unknown)
        .send()
        .await
        .fails(404, -2)
        .names("app_label");
}

#[tokio::test]
async fn a_password_is_reset_by_mail_and_an_account_deleted_keeps_its_money() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    label(&app, "velo", false, false).await;
    let signed = sign_up(&app, "ada@example.org", json!({})).await;
    let token = signed.ok()["token"].as_str().unwrap().to_owned();
    let rider = signed.body["data"]["user"]["id"].as_i64().unwrap();
    // The same answer for an unknown address.
    app.post("/rider/password/reset-request")
        .json(json!({"email": "nobody@example.org"}))
        .send()
        .await
        .ok();
    app.post("/rider/password/reset-request")
        .json(json!({"email": "ADA@example.org"}))
        .send()
        .await
        .ok();
    let code = code_in(&app.last_message(rider, "password_reset").await);
    app.post("/rider/password/reset")
        .json(json!({"email": "ada@example.org", "code": code, "password": "short"}))
        .send()
        .await
        .fails(422, -11)
        .names("password");
    app.post("/rider/password/reset")
        .json(json!({"email": "nobody@example.org", "code": code, "password": "a new long secret"}))
        .send()
        .await
        .fails(422, -11)
        .names("code");
    app.post("/rider/password/reset")
        .json(json!({"email": "ada@example.org", "code": code, "password": "a new long secret"}))
        .send()
        .await
        .ok();
    // Every earlier token stops; the new password works, the old one does not.
    app.get("/rider/me")
        .token(&token)
        .send()
        .await
        .fails(401, -20);
    app.post("/rider/sign-in")
        .json(json!({"email": "ada@example.org", "password": PASSWORD}))
        .send()
        .await
        .fails(401, -21);
    let token = app
        .post("/rider/sign-in")
        .json(json!({"email": "ada@example.org", "password": "a new long secret"}))
        .send()
        .await
        .ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    add_card(&app, &token, "4242424242424242", "card-before-leaving")
        .await
        .ok();
    app.post(&format!("/dashboard/users/{rider}/wallets"))
        .token(&admin)
        .json(json!({"amount": "3.20", "currency": "EUR", "reason": "Credits kept by law"}))
        .send()
        .await
        .ok();
    app.delete("/rider/me").token(&token).send().await.ok();
    app.get("/rider/me")
        .token(&token)
        .send()
        .await
        .fails(401, -20);
    app.post("/rider/sign-in")
        .json(json!({"email": "ada@example.org", "password": "a new long secret"}))
        .send()
        .await
        .fails(401, -21);
    let profile = app
        .get(&format!("/dashboard/users/{rider}"))
        .token(&admin)
        .send()
        .await;
    let profile = profile.ok();
    assert!(profile["deleted_at"].is_string());
    assert_eq!(profile["first_name"], Value::Null);
    assert!(!profile["email"].as_str().unwrap().contains("ada"));
    let wallets = app
        .get(&format!("/dashboard/users/{rider}/wallets"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(wallets.ok()[0]["balance"], "3.20");
    let methods = app
        .get(&format!("/dashboard/users/{rider}/payment-methods"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(methods.ok(), &json!([]));
}

/// Wait until `check` holds (the dispatcher works beside the requests).
async fn eventually(mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("not within 5 s");
}

#[tokio::test]
async fn the_sign_up_mail_lands_in_the_outbox_folder() {
    let outbox = tempfile::tempdir().unwrap();
    let dir = outbox.path().to_owned();
    let app = TestApp::with_state(|state| {
        state.with_transports(Transports {
            mail: Some(Arc::new(relais_messaging::mail::OutboxMailer::new(
                dir.clone(),
            ))),
            ..Transports::default()
        })
    })
    .await;
    label(&app, "velo", false, false).await;
    sign_up(&app, "ada@example.org", json!({})).await.ok();
    let files = || {
        std::fs::read_dir(outbox.path())
            .map(|d| d.count())
            .unwrap_or(0)
    };
    eventually(|| files() == 1).await;
    let file = std::fs::read_dir(outbox.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let eml = std::fs::read_to_string(file.path()).unwrap();
    assert!(eml.contains("To: ada@example.org"), "{eml}");
    assert!(eml.contains("Subject:"), "{eml}");
}

#[tokio::test]
async fn the_sign_up_mail_reaches_an_smtp_server() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    // A local SMTP server that takes one message and keeps what it was sent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 test ESMTP\r\n").await.unwrap();
        let mut data = String::new();
        let mut in_data = false;
        while let Ok(Some(line)) = lines.next_line().await {
            if in_data {
                if line == "." {
                    in_data = false;
                    write
                        .write_all(b"250 2.0.0 queued as 42\r\n")
                        .await
                        .unwrap();
                } else {
                    data.push_str(&line);
                    data.push('\n');
                }
                continue;
            }
            let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
            let answer: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250-test\r\n250 8BITMIME\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 go on\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => b"250 ok\r\n",
            };
            write.write_all(answer).await.unwrap();
        }
        let _ = tx.send(data);
    });
    let smtp: relais_messaging::mail::SmtpConfig = serde_json::from_value(json!({
        "host": "127.0.0.1", "port": port, "security": "none"
    }))
    .unwrap();
    let mailer = relais_messaging::mail::SmtpMailer::new(smtp).unwrap();
    let app = TestApp::with_state(|state| {
        state.with_transports(Transports {
            mail: Some(Arc::new(mailer)),
            mail_from: "rides@velo.example".into(),
            ..Transports::default()
        })
    })
    .await;
    label(&app, "velo", false, false).await;
    let signed = sign_up(&app, "ada@example.org", json!({})).await;
    let rider = signed.ok()["user"]["id"].as_i64().unwrap();
    let data = tokio::time::timeout(std::time::Duration::from_secs(10), rx)
        .await
        .expect("the mail within 10 s")
        .unwrap();
    assert!(data.contains("To: ada@example.org"), "{data}");
    assert!(data.contains("rides@velo.example"), "{data}");
    // Recorded as sent, with the server's answer.
    let (_, admin) = app.admin().await;
    for _ in 0..100 {
        let mails = app
            .get(&format!("/dashboard/users/{rider}/mails"))
            .token(&admin)
            .send()
            .await;
        if mails.ok()[0]["status"] == "sent" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the mail was not recorded as sent");
}

#[tokio::test]
async fn a_staff_member_is_invited_sets_a_password_and_is_granted() {
    use relais_domain::Permission;
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let invite = json!({"email": "grace@operator.example", "first_name": "Grace",
        "last_name": "Hopper", "language": "en"});
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::UsersPermissions, None, false)],
        )
        .await;
    app.post("/dashboard/users/invitations")
        .token(&reader)
        .json(invite.clone())
        .send()
        .await
        .fails(403, -30);
    let invited = app
        .post("/dashboard/users/invitations")
        .token(&admin)
        .json(invite.clone())
        .send()
        .await;
    let grace = invited.ok()["user"]["id"].as_i64().unwrap();
    app.post("/dashboard/users/invitations")
        .token(&admin)
        .json(invite)
        .send()
        .await
        .fails(409, -40)
        .names("email");
    // No password yet: no sign-in.
    app.post("/auth/login")
        .json(json!({"email": "grace@operator.example", "password": "anything at all"}))
        .send()
        .await
        .fails(401, -21);
    let code = code_in(&app.last_message(grace, "staff_invite").await);
    app.post("/rider/password/reset")
        .json(json!({"email": "grace@operator.example", "code": code, "password": "Grace's own secret"}))
        .send()
        .await
        .ok();
    let token = app
        .post("/auth/login")
        .json(json!({"email": "grace@operator.example", "password": "Grace's own secret"}))
        .send()
        .await
        .ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get("/dashboard/permissions?lang=en")
        .token(&token)
        .send()
        .await
        .fails(403, -30);
    app.post(&format!("/dashboard/users/{grace}/permissions"))
        .token(&admin)
        .json(
            json!({"start_date": "2020-01-01T00:00:00Z", "end_date": null,
            "organizational_unit": null, "write": false, "perm_key": "dashboard.access"}),
        )
        .send()
        .await
        .ok();
    let me = app.get("/auth/me").token(&token).send().await;
    assert!(
        me.ok()["permissions"]
            .to_string()
            .contains("dashboard.access"),
        "{}",
        me.text
    );
}

#[tokio::test]
async fn each_caller_of_the_rider_api_has_its_own_rate_limit() {
    let app = TestApp::with_settings(relais_api::ApiSettings {
        rider_requests_per_minute: std::num::NonZeroU32::new(1).unwrap(),
        rider_burst: std::num::NonZeroU32::new(3).unwrap(),
        ..Default::default()
    })
    .await;
    let (_, ann) = app.rider("ann@riders.test", &[]).await;
    let (_, bob) = app.rider("bob@riders.test", &[]).await;
    for _ in 0..3 {
        app.get("/rider/me").token(&ann).send().await.ok();
    }
    let refused = app.get("/rider/me").token(&ann).send().await;
    refused.fails(429, -24);
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // One request a minute: the next is a minute away at most.
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    // Another rider is not held back by the first.
    app.get("/rider/me").token(&bob).send().await.ok();
    // Requests without a token count against their address, apart from the riders'.
    for _ in 0..3 {
        app.get("/rider/me").send().await.fails(401, -20);
    }
    app.get("/rider/me").send().await.fails(429, -24);
    app.get("/rider/me").token(&bob).send().await.ok();
    // The Dashboard is not the rider API's to limit.
    let (_, admin) = app.admin().await;
    for _ in 0..5 {
        app.get("/dashboard/permissions?lang=en")
            .token(&admin)
            .send()
            .await
            .ok();
    }
}
