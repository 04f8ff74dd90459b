//! The Stripe client against a local stand-in that speaks Stripe's HTTP API.
//!
//! The stand-in keeps customers, SetupIntents, PaymentMethods (with fingerprints), PaymentIntents
//! and refunds in memory and answers as Stripe does: form-encoded requests, a bearer secret key, the
//! pinned `Stripe-Version`, Stripe's error envelope, and idempotency (a repeated `Idempotency-Key`
//! replays the first answer; the same key with other parameters is an `idempotency_error`). It also
//! refuses what Stripe would accept but relais must never do: a `POST` without an idempotency key,
//! and any form field the endpoint does not know.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use relais_payments::stripe::{API_VERSION, DEFAULT_TOLERANCE, WebhookError, verify_webhook};
use relais_payments::{
    CaptureRequest, CustomerRef, HoldRequest, MethodStatus, PaymentError, PaymentProvider,
    ProviderKey, RefundRequest, RefundStatus, SandboxCard, SetupRequest, SetupStart, StripeClient,
    StripeConfig,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const SECRET_KEY: &str = "sk_test_relais_4eC39HqLyjWDarjtT1zdp7dc";
const WEBHOOK_SECRET: &str = "whsec_relais_test_secret";

const VISA: &str = "4242424242424242";
const INSUFFICIENT_FUNDS: &str = "4000000000009995";
const THREE_D_SECURE: &str = "4000002760003184";

/// A stand-in Stripe.
#[derive(Clone)]
struct StandIn(Arc<Mutex<Stripe>>);

#[derive(Default)]
struct Stripe {
    next_id: u64,
    customers: HashMap<String, Value>,
    setup_intents: HashMap<String, Value>,
    payment_methods: HashMap<String, Value>,
    payment_intents: HashMap<String, Value>,
    refunds: HashMap<String, Value>,
    /// What each test card number does when charged, by payment method id.
    behaviours: HashMap<String, &'static str>,
    /// Amount refunded so far, by PaymentIntent id.
    refunded: HashMap<String, i64>,
    /// The first answer to each idempotency key, with the request it answered.
    idempotent: HashMap<String, Saved>,
    /// Every request: `METHOD /path`, in order.
    requests: Vec<String>,
    /// How many answers were replays of an earlier one.
    replays: usize,
    /// Answer every request with this instead (an outage).
    outage: Option<(u16, Value)>,
}

struct Saved {
    request: String,
    status: u16,
    body: Value,
}

type Answer = (u16, Value);

impl StandIn {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Stripe::default())))
    }

    fn stripe(&self) -> MutexGuard<'_, Stripe> {
        self.0.lock().unwrap()
    }

    /// Serves the stand-in on a free local port; returns its base URL.
    async fn serve(&self) -> String {
        serve(Router::new().fallback(handle).with_state(self.clone())).await
    }

    /// What Stripe's SDK does in the app: confirms the SetupIntent with a card, creating the
    /// PaymentMethod. 3-D Secure cards stay `requires_action` unless `authenticated`.
    fn confirm_setup(&self, setup_id: &str, number: &str, authenticated: bool) -> String {
        let mut stripe = self.stripe();
        let customer = stripe.setup_intents[setup_id]["customer"].clone();
        let id = stripe.id("pm");
        let fingerprint = hex::encode(&Sha256::digest(number.as_bytes())[..8]);
        stripe.payment_methods.insert(
            id.clone(),
            json!({
                "id": id, "object": "payment_method", "type": "card", "customer": customer,
                "card": {
                    "brand": if number.starts_with('4') { "visa" } else { "mastercard" },
                    "last4": &number[number.len() - 4..], "exp_month": 12, "exp_year": 2034,
                    "fingerprint": fingerprint, "funding": "credit", "country": "US"
                }
            }),
        );
        let behaviour = match number {
            INSUFFICIENT_FUNDS => "insufficient_funds",
            THREE_D_SECURE => "authentication_required",
            _ => "ok",
        };
        stripe.behaviours.insert(id.clone(), behaviour);
        let status = if behaviour == "authentication_required" && !authenticated {
            "requires_action"
        } else {
            "succeeded"
        };
        let setup = stripe.setup_intents.get_mut(setup_id).unwrap();
        setup["payment_method"] = json!(id);
        setup["status"] = json!(status);
        id
    }
}

impl Stripe {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}_{:014}", self.next_id)
    }

    fn answer(&mut self, method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> Answer {
        self.requests.push(format!("{method} {path}"));
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if header("authorization") != Some(&format!("Bearer {SECRET_KEY}")) {
            return error(
                401,
                "invalid_request_error",
                None,
                "Invalid API Key provided: sk_test_****",
                None,
            );
        }
        if header("stripe-version") != Some(API_VERSION) {
            return error(
                400,
                "invalid_request_error",
                None,
                "stand-in: the Stripe-Version header must pin the API version",
                None,
            );
        }
        if let Some(outage) = &self.outage {
            return outage.clone();
        }
        if *method == Method::GET {
            return self.get(path);
        }
        if header("content-type") != Some("application/x-www-form-urlencoded") {
            return error(
                400,
                "invalid_request_error",
                None,
                "stand-in: POST bodies must be form-encoded",
                None,
            );
        }
        let Some(key) = header("idempotency-key").map(str::to_owned) else {
            return error(
                400,
                "invalid_request_error",
                None,
                "stand-in: every POST must carry an Idempotency-Key",
                None,
            );
        };
        let request = format!("{path}?{}", String::from_utf8_lossy(body));
        if let Some(saved) = self.idempotent.get(&key) {
            if saved.request != request {
                return error(
                    400,
                    "idempotency_error",
                    None,
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    None,
                );
            }
            self.replays += 1;
            return (saved.status, saved.body.clone());
        }
        let form: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        let (status, answer) = self.post(path, &Form(form));
        // As Stripe: requests that fail validation are not saved.
        if status != 400 {
            self.idempotent.insert(
                key,
                Saved {
                    request,
                    status,
                    body: answer.clone(),
                },
            );
        }
        (status, answer)
    }

    fn get(&mut self, path: &str) -> Answer {
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        let (collection, name) = match segments[..] {
            ["setup_intents", id] => (&self.setup_intents, id),
            ["payment_methods", id] => (&self.payment_methods, id),
            ["payment_intents", id] => (&self.payment_intents, id),
            _ => return not_found_route(path),
        };
        match collection.get(name) {
            Some(object) => (200, object.clone()),
            None => no_such("id", name),
        }
    }

    fn post(&mut self, path: &str, form: &Form) -> Answer {
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        match segments[..] {
            ["customers"] => self.create_customer(form),
            ["setup_intents"] => self.create_setup_intent(form),
            ["payment_methods", id, "detach"] => self.detach(id, form),
            ["payment_intents"] => self.create_payment_intent(form),
            ["payment_intents", id, "capture"] => self.capture(id, form),
            ["payment_intents", id, "cancel"] => self.cancel(id, form),
            ["refunds"] => self.create_refund(form),
            _ => not_found_route(path),
        }
    }

    fn create_customer(&mut self, form: &Form) -> Answer {
        if let Err(unknown) = form.only(&["email", "name"], true) {
            return unknown;
        }
        let id = self.id("cus");
        let customer = json!({
            "id": id, "object": "customer", "email": form.get("email"), "name": form.get("name"),
            "metadata": form.metadata()
        });
        self.customers.insert(id, customer.clone());
        (200, customer)
    }

    fn create_setup_intent(&mut self, form: &Form) -> Answer {
        if let Err(unknown) = form.only(&["customer", "usage", "payment_method_types[]"], true) {
            return unknown;
        }
        let Some(customer) = form
            .get("customer")
            .filter(|c| self.customers.contains_key(*c))
        else {
            return no_such("customer", form.get("customer").unwrap_or_default());
        };
        if form.get("usage") != Some("off_session")
            || form.all("payment_method_types[]") != ["card"]
        {
            return error(
                400,
                "invalid_request_error",
                None,
                "stand-in: expected usage=off_session and payment_method_types[]=card",
                None,
            );
        }
        let id = self.id("seti");
        let setup = json!({
            "id": id, "object": "setup_intent", "customer": customer, "usage": "off_session",
            "payment_method_types": ["card"], "status": "requires_payment_method",
            "payment_method": null, "client_secret": format!("{id}_secret_stand_in"),
            "metadata": form.metadata()
        });
        self.setup_intents.insert(id, setup.clone());
        (200, setup)
    }

    fn detach(&mut self, id: &str, form: &Form) -> Answer {
        if let Err(unknown) = form.only(&[], false) {
            return unknown;
        }
        let Some(method) = self.payment_methods.get_mut(id) else {
            return no_such("payment_method", id);
        };
        if method["customer"].is_null() {
            return error(
                400,
                "invalid_request_error",
                Some("payment_method_unexpected_state"),
                "The payment method you provided is not attached to a customer so detachment is impossible.",
                None,
            );
        }
        method["customer"] = Value::Null;
        (200, method.clone())
    }

    fn create_payment_intent(&mut self, form: &Form) -> Answer {
        let allowed = [
            "amount",
            "currency",
            "customer",
            "payment_method",
            "payment_method_types[]",
            "capture_method",
            "confirm",
            "off_session",
        ];
        if let Err(unknown) = form.only(&allowed, true) {
            return unknown;
        }
        let Some(amount) = form.get("amount").and_then(|a| a.parse::<i64>().ok()) else {
            return error(
                400,
                "invalid_request_error",
                Some("parameter_invalid_integer"),
                "Invalid integer",
                Some("amount"),
            );
        };
        let currency = form.get("currency").unwrap_or_default();
        if currency.is_empty() || currency != currency.to_lowercase() {
            return error(
                400,
                "invalid_request_error",
                None,
                "Invalid currency: currencies are lowercase ISO codes",
                Some("currency"),
            );
        }
        let customer = form.get("customer").unwrap_or_default();
        if !self.customers.contains_key(customer) {
            return no_such("customer", customer);
        }
        let method_id = form.get("payment_method").unwrap_or_default();
        let Some(method) = self.payment_methods.get(method_id) else {
            return no_such("payment_method", method_id);
        };
        if method["customer"] != json!(customer) {
            return error(
                400,
                "invalid_request_error",
                None,
                "The provided PaymentMethod does not belong to this Customer.",
                Some("payment_method"),
            );
        }
        let expected = [
            ("capture_method", "manual"),
            ("confirm", "true"),
            ("off_session", "true"),
        ];
        if expected.iter().any(|(k, v)| form.get(k) != Some(*v))
            || form.all("payment_method_types[]") != ["card"]
        {
            return error(
                400,
                "invalid_request_error",
                None,
                "stand-in: expected a confirmed, manual-capture, off-session card intent",
                None,
            );
        }
        let id = self.id("pi");
        let mut intent = json!({
            "id": id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_received": 0, "currency": currency, "customer": customer,
            "payment_method": method_id, "capture_method": "manual",
            "client_secret": format!("{id}_secret_stand_in"), "status": "requires_capture",
            "last_payment_error": null, "metadata": form.metadata()
        });
        let behaviour = self.behaviours[method_id];
        let answer = match behaviour {
            "ok" => {
                intent["amount_capturable"] = json!(amount);
                (200, intent.clone())
            }
            _ => {
                let (code, message) = if behaviour == "insufficient_funds" {
                    ("card_declined", "Your card has insufficient funds.")
                } else {
                    (
                        "authentication_required",
                        "Your card was declined. This transaction requires authentication.",
                    )
                };
                let card_error = json!({
                    "type": "card_error", "code": code, "decline_code": behaviour,
                    "message": message, "payment_method": {"id": method_id}
                });
                intent["status"] = json!("requires_payment_method");
                intent["last_payment_error"] = card_error.clone();
                let mut envelope = json!({"error": card_error});
                envelope["error"]["payment_intent"] = intent.clone();
                (402, envelope)
            }
        };
        self.payment_intents.insert(id, intent);
        answer
    }

    fn capture(&mut self, id: &str, form: &Form) -> Answer {
        if let Err(unknown) = form.only(&["amount_to_capture"], false) {
            return unknown;
        }
        let Some(intent) = self.payment_intents.get_mut(id) else {
            return no_such("intent", id);
        };
        if intent["status"] != "requires_capture" {
            return error(
                400,
                "invalid_request_error",
                Some("payment_intent_unexpected_state"),
                &format!(
                    "This PaymentIntent could not be captured because it has a status of {}.",
                    intent["status"].as_str().unwrap()
                ),
                None,
            );
        }
        let capturable = intent["amount_capturable"].as_i64().unwrap();
        let amount = form
            .get("amount_to_capture")
            .map_or(capturable, |a| a.parse().unwrap());
        if amount > capturable {
            return error(
                400,
                "invalid_request_error",
                Some("amount_too_large"),
                "The amount to capture must be less than or equal to the amount capturable.",
                Some("amount_to_capture"),
            );
        }
        intent["amount_received"] = json!(amount);
        intent["amount_capturable"] = json!(0);
        intent["status"] = json!("succeeded");
        (200, intent.clone())
    }

    fn cancel(&mut self, id: &str, form: &Form) -> Answer {
        if let Err(unknown) = form.only(&["cancellation_reason"], false) {
            return unknown;
        }
        let Some(intent) = self.payment_intents.get_mut(id) else {
            return no_such("intent", id);
        };
        let status = intent["status"].as_str().unwrap().to_owned();
        if ![
            "requires_payment_method",
            "requires_capture",
            "requires_action",
        ]
        .contains(&status.as_str())
        {
            return error(
                400,
                "invalid_request_error",
                Some("payment_intent_unexpected_state"),
                &format!(
                    "You cannot cancel this PaymentIntent because it has a status of {status}."
                ),
                None,
            );
        }
        intent["status"] = json!("canceled");
        intent["amount_capturable"] = json!(0);
        (200, intent.clone())
    }

    fn create_refund(&mut self, form: &Form) -> Answer {
        if let Err(unknown) = form.only(&["payment_intent", "amount"], true) {
            return unknown;
        }
        let intent_id = form.get("payment_intent").unwrap_or_default().to_owned();
        let Some(intent) = self.payment_intents.get(&intent_id) else {
            return no_such("payment_intent", &intent_id);
        };
        if intent["status"] != "succeeded" {
            return error(
                400,
                "invalid_request_error",
                None,
                "This PaymentIntent does not have a successful charge to refund.",
                Some("payment_intent"),
            );
        }
        let refunded = self.refunded.get(&intent_id).copied().unwrap_or(0);
        let remaining = intent["amount_received"].as_i64().unwrap() - refunded;
        let amount = form.get("amount").map_or(remaining, |a| a.parse().unwrap());
        if amount > remaining {
            return error(
                400,
                "invalid_request_error",
                Some("amount_too_large"),
                &format!(
                    "Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"
                ),
                Some("amount"),
            );
        }
        let currency = intent["currency"].clone();
        let id = self.id("re");
        let refund = json!({
            "id": id, "object": "refund", "amount": amount, "currency": currency,
            "payment_intent": intent_id, "status": "succeeded", "metadata": form.metadata()
        });
        *self.refunded.entry(intent_id).or_default() += amount;
        self.refunds.insert(id, refund.clone());
        (200, refund)
    }
}

/// A decoded form body.
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `metadata[key]=value` fields as an object.
    fn metadata(&self) -> Value {
        let mut metadata = serde_json::Map::new();
        for (key, value) in &self.0 {
            if let Some(name) = key
                .strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
            {
                metadata.insert(name.to_owned(), json!(value));
            }
        }
        Value::Object(metadata)
    }

    /// Refuses any field but these (and `metadata[...]` if `metadata`), as Stripe does.
    fn only(&self, allowed: &[&str], metadata: bool) -> Result<(), Answer> {
        for (key, _) in &self.0 {
            let known = allowed.contains(&key.as_str())
                || (metadata && key.starts_with("metadata[") && key.ends_with(']'));
            if !known {
                return Err(error(
                    400,
                    "invalid_request_error",
                    Some("parameter_unknown"),
                    &format!("Received unknown parameter: {key}"),
                    Some(key),
                ));
            }
        }
        Ok(())
    }
}

fn error(
    status: u16,
    kind: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
) -> Answer {
    (
        status,
        json!({"error": {"type": kind, "code": code, "message": message, "param": param}}),
    )
}

fn no_such(param: &str, id: &str) -> Answer {
    let status = if param == "id" || param == "intent" {
        404
    } else {
        400
    };
    error(
        status,
        "invalid_request_error",
        Some("resource_missing"),
        &format!("No such {param}: '{id}'"),
        Some(param),
    )
}

fn not_found_route(path: &str) -> Answer {
    error(
        404,
        "invalid_request_error",
        None,
        &format!("Unrecognized request URL ({path})."),
        None,
    )
}

async fn handle(
    State(stand_in): State<StandIn>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (status, answer) = stand_in
        .stripe()
        .answer(&method, uri.path(), &headers, &body);
    (StatusCode::from_u16(status).unwrap(), axum::Json(answer)).into_response()
}

/// Serves `app` on a free local port; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

fn config(url: &str) -> StripeConfig {
    StripeConfig {
        base_url: url.into(),
        webhook_secret: Some(WEBHOOK_SECRET.into()),
        ..StripeConfig::new(SECRET_KEY)
    }
}

async fn client(stand_in: &StandIn) -> StripeClient {
    StripeClient::new(config(&stand_in.serve().await)).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn user(id: &str) -> CustomerRef {
    CustomerRef {
        email: Some(format!("{id}@example.com")),
        name: Some(format!("Rider {id}")),
        ..CustomerRef::new(id)
    }
}

fn setup(customer: &CustomerRef, key: &str) -> SetupRequest {
    SetupRequest {
        customer: customer.clone(),
        card: None,
        idempotency_key: key.into(),
    }
}

fn hold_request(customer_id: &str, token: &str, amount: &str, key: &str) -> HoldRequest {
    HoldRequest {
        customer_id: customer_id.into(),
        method_token: token.into(),
        amount: dec(amount),
        currency: "EUR".into(),
        reference: Some("rental-42".into()),
        idempotency_key: key.into(),
    }
}

fn capture_request(hold_id: &str, amount: &str, key: &str) -> CaptureRequest {
    CaptureRequest {
        hold_id: hold_id.into(),
        amount: dec(amount),
        currency: "EUR".into(),
        idempotency_key: key.into(),
    }
}

fn refund_request(hold_id: &str, amount: &str, key: &str) -> RefundRequest {
    RefundRequest {
        hold_id: hold_id.into(),
        amount: dec(amount),
        currency: "EUR".into(),
        reason: Some("battery died mid-ride".into()),
        idempotency_key: key.into(),
    }
}

/// Saves `number` for `customer` the way the app does: begin, confirm in the SDK, complete.
async fn save_card(
    stripe: &StripeClient,
    stand_in: &StandIn,
    customer: &mut CustomerRef,
    number: &str,
    key: &str,
) -> relais_payments::SavedMethod {
    let SetupStart::Pending(pending) = stripe.begin_setup(&setup(customer, key)).await.unwrap()
    else {
        panic!("Stripe setups are pending until the app confirms them");
    };
    customer.provider_id = Some(pending.customer_id.clone());
    stand_in.confirm_setup(&pending.setup_id, number, true);
    stripe
        .complete_setup(customer, &pending.setup_id)
        .await
        .unwrap()
}

#[tokio::test]
async fn full_flow_from_customer_to_refunds() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    assert_eq!(stripe.key(), ProviderKey::Stripe);

    // Customer and setup.
    let mut rider = user("u-1");
    let start = stripe.begin_setup(&setup(&rider, "setup-1")).await.unwrap();
    let SetupStart::Pending(pending) = start else {
        panic!("{start:?}")
    };
    assert!(pending.customer_id.starts_with("cus_"));
    assert!(pending.setup_id.starts_with("seti_"));
    assert_eq!(
        pending.client_secret.expose(),
        format!("{}_secret_stand_in", pending.setup_id)
    );
    {
        let state = stand_in.stripe();
        let customer = &state.customers[&pending.customer_id];
        assert_eq!(customer["metadata"]["user_id"], "u-1");
        assert_eq!(customer["email"], "u-1@example.com");
        assert_eq!(customer["name"], "Rider u-1");
        let setup = &state.setup_intents[&pending.setup_id];
        assert_eq!(setup["customer"], json!(pending.customer_id));
        assert_eq!(setup["metadata"]["user_id"], "u-1");
    }

    // The app confirms; relais reads the method back.
    rider.provider_id = Some(pending.customer_id.clone());
    let method_id = stand_in.confirm_setup(&pending.setup_id, VISA, true);
    let method = stripe
        .complete_setup(&rider, &pending.setup_id)
        .await
        .unwrap();
    assert_eq!(method.token, method_id);
    assert_eq!(method.customer_id, pending.customer_id);
    assert_eq!(method.brand, "visa");
    assert_eq!(method.last4, "4242");
    assert_eq!((method.exp_month, method.exp_year), (12, 2034));
    assert_eq!(method.status, MethodStatus::Ready);
    assert_eq!(
        stripe.fingerprint(&method.token).await.unwrap(),
        method.fingerprint
    );

    // The same card on another account has the same fingerprint.
    let mut other = user("u-2");
    let shared = save_card(&stripe, &stand_in, &mut other, VISA, "setup-2").await;
    assert_ne!(shared.token, method.token);
    assert_ne!(shared.customer_id, method.customer_id);
    assert_eq!(shared.fingerprint, method.fingerprint);

    // Hold, partial capture.
    let hold = stripe
        .hold(&hold_request(
            &method.customer_id,
            &method.token,
            "20",
            "hold-1",
        ))
        .await
        .unwrap();
    assert!(hold.id.starts_with("pi_"));
    assert_eq!(hold.amount, dec("20.00"));
    assert_eq!(hold.currency, "EUR");
    {
        let state = stand_in.stripe();
        let intent = &state.payment_intents[&hold.id];
        assert_eq!(intent["amount"], 2000);
        assert_eq!(intent["currency"], "eur");
        assert_eq!(intent["status"], "requires_capture");
        assert_eq!(intent["metadata"]["reference"], "rental-42");
    }
    let capture = stripe
        .capture(&capture_request(&hold.id, "12.34", "capture-1"))
        .await
        .unwrap();
    assert_eq!(capture.hold_id, hold.id);
    assert_eq!(capture.amount, dec("12.34"));
    assert_eq!(
        stand_in.stripe().payment_intents[&hold.id]["amount_received"],
        1234
    );

    // Refund a part, refuse more than is left, refund the rest.
    let refund = stripe
        .refund(&refund_request(&hold.id, "5", "refund-1"))
        .await
        .unwrap();
    assert!(refund.id.starts_with("re_"));
    assert_eq!(refund.hold_id, hold.id);
    assert_eq!(refund.amount, dec("5.00"));
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(
        stand_in.stripe().refunds[&refund.id]["metadata"]["reason"],
        "battery died mid-ride"
    );
    let over = stripe
        .refund(&refund_request(&hold.id, "7.35", "refund-2"))
        .await
        .unwrap_err();
    match &over {
        PaymentError::InvalidRequest { message, param } => {
            assert_eq!(param.as_deref(), Some("amount"));
            assert!(
                message.contains("greater than unrefunded amount"),
                "{message}"
            );
        }
        other => panic!("expected an invalid request, got {other:?}"),
    }
    assert!(!over.retryable());
    let rest = stripe
        .refund(&refund_request(&hold.id, "7.34", "refund-3"))
        .await
        .unwrap();
    assert_eq!(rest.amount, dec("7.34"));

    // Every POST carried an idempotency key (the stand-in refuses those that do not).
    let state = stand_in.stripe();
    let posts = state
        .requests
        .iter()
        .filter(|r| r.starts_with("POST"))
        .count();
    assert_eq!(posts, state.idempotent.len() + 1, "{:?}", state.requests);
}

#[tokio::test]
async fn a_repeated_key_replays_the_first_answer() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    let mut rider = user("u-1");
    let method = save_card(&stripe, &stand_in, &mut rider, VISA, "setup-1").await;

    let request = hold_request(&method.customer_id, &method.token, "15", "hold-1");
    let first = stripe.hold(&request).await.unwrap();
    let again = stripe.hold(&request).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(stand_in.stripe().payment_intents.len(), 1);
    assert_eq!(stand_in.stripe().replays, 1);

    let other = hold_request(&method.customer_id, &method.token, "16", "hold-1");
    let error = stripe.hold(&other).await.unwrap_err();
    assert!(
        matches!(error, PaymentError::InvalidRequest { ref message, .. } if message.contains("same parameters")),
        "{error:?}"
    );

    // A repeated setup creates neither a second customer nor a second SetupIntent.
    let new_rider = user("u-3");
    let a = stripe
        .begin_setup(&setup(&new_rider, "setup-9"))
        .await
        .unwrap();
    let b = stripe
        .begin_setup(&setup(&new_rider, "setup-9"))
        .await
        .unwrap();
    assert_eq!(a, b);
    let state = stand_in.stripe();
    assert_eq!(state.customers.len(), 2);
    assert_eq!(state.setup_intents.len(), 2);
}

#[tokio::test]
async fn insufficient_funds_is_its_own_error() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    let mut rider = user("u-1");
    let method = save_card(
        &stripe,
        &stand_in,
        &mut rider,
        INSUFFICIENT_FUNDS,
        "setup-1",
    )
    .await;
    assert_eq!(method.last4, "9995");
    let error = stripe
        .hold(&hold_request(
            &method.customer_id,
            &method.token,
            "10",
            "hold-1",
        ))
        .await
        .unwrap_err();
    let PaymentError::InsufficientFunds { hold_id } = &error else {
        panic!("expected insufficient funds, got {error:?}");
    };
    let hold_id = hold_id.clone().expect("the declined intent's id");
    assert_eq!(
        stand_in.stripe().payment_intents[&hold_id]["status"],
        "requires_payment_method"
    );
    assert!(!error.retryable());
    // The decline is replayed, not retried, under the same key.
    let again = stripe
        .hold(&hold_request(
            &method.customer_id,
            &method.token,
            "10",
            "hold-1",
        ))
        .await
        .unwrap_err();
    assert_eq!(again, error);
    assert_eq!(stand_in.stripe().payment_intents.len(), 1);
}

#[tokio::test]
async fn a_card_needing_authentication_requires_action() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    let mut rider = user("u-1");
    let SetupStart::Pending(pending) = stripe.begin_setup(&setup(&rider, "s-1")).await.unwrap()
    else {
        panic!()
    };
    rider.provider_id = Some(pending.customer_id.clone());
    stand_in.confirm_setup(&pending.setup_id, THREE_D_SECURE, false);
    let waiting = stripe
        .complete_setup(&rider, &pending.setup_id)
        .await
        .unwrap();
    assert_eq!(waiting.status, MethodStatus::RequiresAction);

    let error = stripe
        .hold(&hold_request(
            &waiting.customer_id,
            &waiting.token,
            "10",
            "hold-1",
        ))
        .await
        .unwrap_err();
    match error {
        PaymentError::RequiresAction {
            hold_id,
            client_secret,
        } => {
            let hold_id = hold_id.unwrap();
            assert_eq!(
                client_secret.unwrap().expose(),
                format!("{hold_id}_secret_stand_in")
            );
        }
        other => panic!("expected requires_action, got {other:?}"),
    }
}

#[tokio::test]
async fn release_cancels_and_nothing_can_be_captured_after() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    let mut rider = user("u-1");
    let method = save_card(&stripe, &stand_in, &mut rider, VISA, "setup-1").await;
    let hold = stripe
        .hold(&hold_request(
            &method.customer_id,
            &method.token,
            "30",
            "hold-1",
        ))
        .await
        .unwrap();
    stripe.release(&hold.id, "release-1").await.unwrap();
    assert_eq!(
        stand_in.stripe().payment_intents[&hold.id]["status"],
        "canceled"
    );
    // Repeating the release replays it.
    stripe.release(&hold.id, "release-1").await.unwrap();
    let error = stripe
        .capture(&capture_request(&hold.id, "5", "capture-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, PaymentError::InvalidRequest { ref message, .. } if message.contains("status of canceled")),
        "{error:?}"
    );
    // A captured hold cannot be released.
    let hold = stripe
        .hold(&hold_request(
            &method.customer_id,
            &method.token,
            "30",
            "hold-2",
        ))
        .await
        .unwrap();
    stripe
        .capture(&capture_request(&hold.id, "30", "capture-2"))
        .await
        .unwrap();
    assert!(matches!(
        stripe.release(&hold.id, "release-2").await.unwrap_err(),
        PaymentError::InvalidRequest { .. }
    ));
}

#[tokio::test]
async fn capture_is_bounded_by_the_hold_and_its_currency() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    let mut rider = user("u-1");
    let method = save_card(&stripe, &stand_in, &mut rider, VISA, "setup-1").await;
    let hold = stripe
        .hold(&hold_request(
            &method.customer_id,
            &method.token,
            "10",
            "hold-1",
        ))
        .await
        .unwrap();
    let over = stripe
        .capture(&capture_request(&hold.id, "10.01", "capture-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(over, PaymentError::InvalidRequest { param: Some(ref p), .. } if p == "amount_to_capture"),
        "{over:?}"
    );
    let posts_before = stand_in.stripe().requests.len();
    let yen = CaptureRequest {
        currency: "JPY".into(),
        ..capture_request(&hold.id, "10", "capture-2")
    };
    let error = stripe.capture(&yen).await.unwrap_err();
    assert!(
        matches!(error, PaymentError::InvalidRequest { param: Some(ref p), .. } if p == "currency"),
        "{error:?}"
    );
    // Only the intent was read: nothing was captured.
    let state = stand_in.stripe();
    assert_eq!(
        state.requests[posts_before..],
        [format!("GET /v1/payment_intents/{}", hold.id)]
    );
    assert_eq!(
        state.payment_intents[&hold.id]["status"],
        "requires_capture"
    );
}

#[tokio::test]
async fn amounts_are_sent_in_the_currencys_minor_units() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    let mut rider = user("u-1");
    let method = save_card(&stripe, &stand_in, &mut rider, VISA, "setup-1").await;
    let yen = HoldRequest {
        currency: "JPY".into(),
        ..hold_request(&method.customer_id, &method.token, "500", "hold-1")
    };
    let hold = stripe.hold(&yen).await.unwrap();
    assert_eq!(hold.amount, dec("500"));
    assert_eq!(hold.currency, "JPY");
    assert_eq!(stand_in.stripe().payment_intents[&hold.id]["amount"], 500);
    assert_eq!(
        stand_in.stripe().payment_intents[&hold.id]["currency"],
        "jpy"
    );

    let requests = stand_in.stripe().requests.len();
    for (amount, currency) in [
        ("12.5", "JPY"),
        ("1.001", "EUR"),
        ("0", "EUR"),
        ("-3", "EUR"),
        ("1", "XYZ"),
    ] {
        let request = HoldRequest {
            currency: currency.into(),
            ..hold_request(&method.customer_id, &method.token, amount, "hold-2")
        };
        let error = stripe.hold(&request).await.unwrap_err();
        assert!(
            matches!(error, PaymentError::InvalidRequest { .. }),
            "{amount} {currency}: {error:?}"
        );
    }
    assert_eq!(
        stand_in.stripe().requests.len(),
        requests,
        "refused before any request"
    );
}

#[tokio::test]
async fn setups_are_checked_against_their_customer() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    let mut alice = user("alice");
    let SetupStart::Pending(pending) = stripe.begin_setup(&setup(&alice, "s-a")).await.unwrap()
    else {
        panic!()
    };
    alice.provider_id = Some(pending.customer_id.clone());
    let mut bob = user("bob");
    save_card(&stripe, &stand_in, &mut bob, VISA, "s-b").await;

    // Not confirmed yet.
    let error = stripe
        .complete_setup(&alice, &pending.setup_id)
        .await
        .unwrap_err();
    assert!(
        matches!(error, PaymentError::InvalidRequest { ref message, .. } if message.contains("requires_payment_method")),
        "{error:?}"
    );
    stand_in.confirm_setup(&pending.setup_id, VISA, true);
    let error = stripe
        .complete_setup(&bob, &pending.setup_id)
        .await
        .unwrap_err();
    assert!(
        matches!(error, PaymentError::InvalidRequest { ref message, .. } if message.contains("not one of this customer's")),
        "{error:?}"
    );
    let unknown = stripe
        .complete_setup(&alice, "seti_nope")
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, PaymentError::InvalidRequest { .. }),
        "{unknown:?}"
    );
    let bad_id = stripe
        .complete_setup(&alice, "../customers")
        .await
        .unwrap_err();
    assert!(
        matches!(bad_id, PaymentError::InvalidRequest { .. }),
        "{bad_id:?}"
    );
    assert!(
        stripe
            .complete_setup(&alice, &pending.setup_id)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn card_details_are_refused_before_any_request() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    let request = SetupRequest {
        card: Some(SandboxCard::new(VISA, 12, 2034, "123")),
        ..setup(&user("u-1"), "s-1")
    };
    let error = stripe.begin_setup(&request).await.unwrap_err();
    assert!(
        matches!(error, PaymentError::InvalidRequest { param: Some(ref p), .. } if p == "card"),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains(VISA));
    assert!(stand_in.stripe().requests.is_empty());
}

#[tokio::test]
async fn remove_detaches_the_method() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    let mut rider = user("u-1");
    let method = save_card(&stripe, &stand_in, &mut rider, VISA, "setup-1").await;
    stripe.remove(&method.token, "remove-1").await.unwrap();
    assert!(stand_in.stripe().payment_methods[&method.token]["customer"].is_null());
    // The same key replays the success; another is refused, as Stripe does.
    stripe.remove(&method.token, "remove-1").await.unwrap();
    assert!(matches!(
        stripe.remove(&method.token, "remove-2").await.unwrap_err(),
        PaymentError::InvalidRequest { .. }
    ));
    // And the method cannot be held any more.
    assert!(matches!(
        stripe
            .hold(&hold_request(
                &method.customer_id,
                &method.token,
                "10",
                "hold-1"
            ))
            .await
            .unwrap_err(),
        PaymentError::InvalidRequest { .. }
    ));
}

#[tokio::test]
async fn a_wrong_key_is_a_misconfiguration_that_never_shows_the_key() {
    let stand_in = StandIn::new();
    let url = stand_in.serve().await;
    let stripe = StripeClient::new(StripeConfig {
        base_url: url,
        ..StripeConfig::new("sk_test_wrong_key_9876543210")
    })
    .unwrap();
    let error = stripe
        .begin_setup(&setup(&user("u-1"), "s-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, PaymentError::Misconfigured { .. }),
        "{error:?}"
    );
    assert!(!error.retryable());
    let shown = format!("{error} {error:?} {stripe:?}");
    assert!(!shown.contains("wrong_key_9876543210"), "{shown}");
}

#[tokio::test]
async fn outages_and_rate_limits_are_retryable() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    for (status, kind) in [
        (503, "api_error"),
        (500, "api_error"),
        (429, "invalid_request_error"),
    ] {
        stand_in.stripe().outage = Some(error(status, kind, None, "Try again later.", None));
        let error = stripe
            .hold(&hold_request("cus_1", "pm_1", "10", "hold-1"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, PaymentError::Unavailable { .. }),
            "{status}: {error:?}"
        );
        assert!(error.retryable());
    }
}

#[tokio::test]
async fn an_unreachable_stripe_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let stripe = StripeClient::new(config(&format!("http://{address}"))).unwrap();
    let error = stripe.fingerprint("pm_1").await.unwrap_err();
    assert!(
        matches!(error, PaymentError::Unavailable { .. }),
        "{error:?}"
    );
    assert!(error.retryable());
    assert!(!error.to_string().contains(SECRET_KEY));
}

#[tokio::test]
async fn a_slow_stripe_times_out_as_unavailable() {
    async fn never_in_time() -> &'static str {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "{}"
    }
    let url = serve(Router::new().fallback(never_in_time)).await;
    let stripe = StripeClient::with_timeout(config(&url), Duration::from_millis(300)).unwrap();
    let error = stripe.fingerprint("pm_1").await.unwrap_err();
    assert!(
        matches!(error, PaymentError::Unavailable { ref message } if message.contains("timed out")),
        "{error:?}"
    );
}

#[tokio::test]
async fn works_as_a_shared_trait_object() {
    let stand_in = StandIn::new();
    let stripe = client(&stand_in).await;
    let mut rider = user("u-1");
    let method = save_card(&stripe, &stand_in, &mut rider, VISA, "setup-1").await;
    let provider: Arc<dyn PaymentProvider> = Arc::new(stripe);
    let shared = Arc::clone(&provider);
    let token = method.token.clone();
    let fingerprint = tokio::spawn(async move { shared.fingerprint(&token).await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fingerprint, method.fingerprint);
}

fn sign(timestamp: i64, payload: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

fn at(timestamp: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(timestamp, 0).unwrap()
}

const EVENT: &[u8] = br#"{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2025-03-31.basil","created":1700000000,"livemode":false,"type":"payment_intent.amount_capturable_updated","data":{"object":{"id":"pi_1","object":"payment_intent","amount_capturable":2000,"status":"requires_capture"}}}"#;

#[tokio::test]
async fn webhook_with_a_good_signature_is_accepted() {
    let t = 1_700_000_000;
    let header = format!("t={t},v1={}", sign(t, EVENT, WEBHOOK_SECRET));
    let event = verify_webhook(
        EVENT,
        &header,
        WEBHOOK_SECRET,
        DEFAULT_TOLERANCE,
        at(t + 42),
    )
    .unwrap();
    assert_eq!(event.id, "evt_1NG8Du2eZvKYlo2CUI79vXWy");
    assert_eq!(event.event_type, "payment_intent.amount_capturable_updated");
    assert_eq!(event.created, 1_700_000_000);
    assert_eq!(event.object["amount_capturable"], 2000);

    // Through the client, with the configured secret.
    let stripe = StripeClient::new(config("http://127.0.0.1:9")).unwrap();
    assert_eq!(stripe.verify_webhook(EVENT, &header, at(t)).unwrap(), event);
    let without_secret = StripeClient::new(StripeConfig::new(SECRET_KEY)).unwrap();
    assert_eq!(
        without_secret
            .verify_webhook(EVENT, &header, at(t))
            .unwrap_err(),
        WebhookError::NoSecret
    );
}

#[tokio::test]
async fn webhook_with_a_bad_signature_is_refused() {
    let t = 1_700_000_000;
    let now = at(t);
    let wrong_secret = format!("t={t},v1={}", sign(t, EVENT, "whsec_someone_else"));
    assert_eq!(
        verify_webhook(EVENT, &wrong_secret, WEBHOOK_SECRET, DEFAULT_TOLERANCE, now).unwrap_err(),
        WebhookError::Mismatch
    );
    let good = format!("t={t},v1={}", sign(t, EVENT, WEBHOOK_SECRET));
    let tampered = String::from_utf8_lossy(EVENT).replace("2000", "200000");
    assert_eq!(
        verify_webhook(
            tampered.as_bytes(),
            &good,
            WEBHOOK_SECRET,
            DEFAULT_TOLERANCE,
            now
        )
        .unwrap_err(),
        WebhookError::Mismatch
    );
    // The timestamp is signed too: moving it breaks the signature.
    let moved = good.replace(&format!("t={t}"), &format!("t={}", t + 1));
    assert_eq!(
        verify_webhook(EVENT, &moved, WEBHOOK_SECRET, DEFAULT_TOLERANCE, now).unwrap_err(),
        WebhookError::Mismatch
    );
}

#[tokio::test]
async fn a_stale_webhook_is_refused() {
    let t = 1_700_000_000;
    let header = format!("t={t},v1={}", sign(t, EVENT, WEBHOOK_SECRET));
    assert!(
        verify_webhook(
            EVENT,
            &header,
            WEBHOOK_SECRET,
            DEFAULT_TOLERANCE,
            at(t + 300)
        )
        .is_ok()
    );
    assert_eq!(
        verify_webhook(
            EVENT,
            &header,
            WEBHOOK_SECRET,
            DEFAULT_TOLERANCE,
            at(t + 301)
        )
        .unwrap_err(),
        WebhookError::OutsideTolerance {
            age_secs: 301,
            tolerance_secs: 300
        }
    );
    assert!(
        verify_webhook(
            EVENT,
            &header,
            WEBHOOK_SECRET,
            Duration::from_secs(3600),
            at(t + 301)
        )
        .is_ok()
    );
}
