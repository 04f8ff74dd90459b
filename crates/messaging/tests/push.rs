//! The push clients against local stand-ins: Google's OAuth 2 token endpoint and FCM's HTTP v1 API
//! for [`FcmClient`], Apple's HTTP/2 provider API (served as h2c) for [`ApnsClient`]. The stand-ins
//! verify the JWTs' signatures with public keys generated here, and drive their answers by device token.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use relais_messaging::Delivery;
use relais_messaging::push::{
    ApnsClient, ApnsConfig, FCM_SCOPE, FcmClient, FcmConfig, Platform, Push, PushSender,
    RecordingPush, ServiceAccount,
};
use serde::Deserialize;
use serde_json::{Value, json};

const PROJECT: &str = "relais-demo";
const CLIENT_EMAIL: &str = "push@relais-demo.iam.gserviceaccount.com";
const PRIVATE_KEY_ID: &str = "0123456789abcdef0123456789abcdef01234567";
const TEAM_ID: &str = "TEAM123456";
const KEY_ID: &str = "KEY987654A";
const TOPIC: &str = "com.example.rider";

/// Key pairs made for this test run only: an RSA one for the service account, a P-256 one for APNs.
struct Keys {
    rsa_private: String,
    rsa_public: String,
    ec_private: String,
    ec_public: String,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    use p256::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
    use rsa::pkcs8::LineEnding;
    let rsa_key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let ec_key = p256::SecretKey::random(&mut rand::rngs::OsRng);
    Keys {
        rsa_private: rsa_key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        rsa_public: rsa::RsaPublicKey::from(&rsa_key)
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
        ec_private: ec_key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        ec_public: ec_key
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
    }
});

/// Serves `app` on a free local port; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn push(token: &str, platform: Platform) -> Push {
    Push {
        token: token.into(),
        platform,
        title: "Ride ended".into(),
        body: "12 min, 3.40 EUR".into(),
        data: BTreeMap::from([
            ("ride_id".to_owned(), "4711".to_owned()),
            ("kind".to_owned(), "receipt".to_owned()),
        ]),
    }
}

fn sent_id(delivery: Delivery) -> String {
    match delivery {
        Delivery::Sent {
            provider_id: Some(id),
        } => id,
        other => panic!("expected a sent push with an id, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// FCM

/// A stand-in for Google's token endpoint and FCM's `messages:send`.
#[derive(Clone)]
struct Fcm(Arc<Mutex<FcmState>>);

#[derive(Default)]
struct FcmState {
    /// The base URL, whose `/token` is the service account's `token_uri` (the assertions' `aud`).
    url: String,
    token_requests: usize,
    /// Access tokens handed out and still accepted.
    valid_tokens: HashSet<String>,
    /// The `message` of every accepted send, in order.
    messages: Vec<Value>,
    /// Answer 503 at the token endpoint.
    token_endpoint_down: bool,
}

impl Fcm {
    async fn start() -> Self {
        let fcm = Self(Arc::new(Mutex::new(FcmState::default())));
        let app = Router::new()
            .route("/token", post(fcm_token))
            .route("/v1/projects/{project}/{action}", post(fcm_send))
            .with_state(fcm.clone());
        fcm.state().url = serve(app).await;
        fcm
    }

    fn state(&self) -> MutexGuard<'_, FcmState> {
        self.0.lock().unwrap()
    }

    fn account(&self) -> ServiceAccount {
        let url = self.state().url.clone();
        ServiceAccount::from_json(
            &json!({
                "type": "service_account",
                "project_id": PROJECT,
                "private_key_id": PRIVATE_KEY_ID,
                "private_key": KEYS.rsa_private,
                "client_email": CLIENT_EMAIL,
                "client_id": "1234567890",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "token_uri": format!("{url}/token"),
            })
            .to_string(),
        )
        .unwrap()
    }

    fn client(&self) -> FcmClient {
        self.client_for(self.account())
    }

    fn client_for(&self, account: ServiceAccount) -> FcmClient {
        let base_url = self.state().url.clone();
        FcmClient::new(FcmConfig {
            service_account: account,
            base_url,
        })
        .unwrap()
    }
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    scope: String,
    aud: String,
    iat: u64,
    exp: u64,
}

async fn fcm_token(State(fcm): State<Fcm>, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut state = fcm.state();
    state.token_requests += 1;
    if state.token_endpoint_down {
        return (StatusCode::SERVICE_UNAVAILABLE, "backend unavailable").into_response();
    }
    let invalid_grant = |description: String| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": description})),
        )
            .into_response()
    };
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return invalid_grant(format!(
            "unexpected grant_type {:?}",
            form.get("grant_type")
        ));
    }
    let Some(assertion) = form.get("assertion") else {
        return invalid_grant("no assertion".into());
    };
    let header = match jsonwebtoken::decode_header(assertion) {
        Ok(header) => header,
        Err(e) => return invalid_grant(format!("unreadable assertion: {e}")),
    };
    if header.alg != Algorithm::RS256 || header.kid.as_deref() != Some(PRIVATE_KEY_ID) {
        return invalid_grant(format!("unexpected header {header:?}"));
    }
    let audience = format!("{}/token", state.url);
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&audience]);
    validation.set_issuer(&[CLIENT_EMAIL]);
    validation.set_required_spec_claims(&["iss", "aud", "iat", "exp"]);
    let key = DecodingKey::from_rsa_pem(KEYS.rsa_public.as_bytes()).unwrap();
    let claims = match jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation) {
        Ok(data) => data.claims,
        Err(e) => return invalid_grant(format!("Invalid JWT: {e}")),
    };
    assert_eq!(claims.iss, CLIENT_EMAIL);
    assert_eq!(claims.aud, audience);
    if claims.scope != FCM_SCOPE {
        return invalid_grant(format!("unexpected scope {:?}", claims.scope));
    }
    if claims.iat.abs_diff(now()) > 60 || claims.exp != claims.iat + 3600 {
        return invalid_grant(format!(
            "bad lifetime: iat {} exp {}",
            claims.iat, claims.exp
        ));
    }
    let token = format!("ya29.stand-in-{}", state.token_requests);
    state.valid_tokens.insert(token.clone());
    Json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})).into_response()
}

/// A Google API error as FCM answers it.
fn fcm_error(status: StatusCode, google_status: &str, fcm_code: Option<&str>) -> Response {
    let details: Vec<Value> = fcm_code
        .map(|code| {
            json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code})
        })
        .into_iter()
        .collect();
    let body = json!({"error": {
        "code": status.as_u16(),
        "message": format!("stand-in says {google_status}"),
        "status": google_status,
        "details": details,
    }});
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert("retry-after", "30".parse().unwrap());
    }
    response
}

async fn fcm_send(
    State(fcm): State<Fcm>,
    Path((project, action)): Path<(String, String)>,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> Response {
    let mut state = fcm.state();
    if project != PROJECT || action != "messages:send" {
        return fcm_error(StatusCode::NOT_FOUND, "NOT_FOUND", None);
    }
    let bearer = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if !bearer.is_some_and(|token| state.valid_tokens.contains(token)) {
        return fcm_error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", None);
    }
    let message = &request["message"];
    match message["token"].as_str().unwrap_or_default() {
        "token-unregistered" => {
            return fcm_error(StatusCode::NOT_FOUND, "NOT_FOUND", Some("UNREGISTERED"));
        }
        "token-invalid" => {
            return fcm_error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                Some("INVALID_ARGUMENT"),
            );
        }
        "token-throttled" => {
            return fcm_error(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                Some("QUOTA_EXCEEDED"),
            );
        }
        "token-outage" => {
            return fcm_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                Some("UNAVAILABLE"),
            );
        }
        _ => {}
    }
    state.messages.push(message.clone());
    let name = format!("projects/{PROJECT}/messages/0:{}", state.messages.len());
    Json(json!({ "name": name })).into_response()
}

#[tokio::test]
async fn fcm_sends_with_one_cached_access_token() {
    let fcm = Fcm::start().await;
    let client = fcm.client();
    let first = sent_id(
        client
            .send(&push("token-android-1", Platform::Android))
            .await
            .unwrap(),
    );
    let second = sent_id(
        client
            .send(&push("token-ios-2", Platform::Ios))
            .await
            .unwrap(),
    );
    assert_eq!(first, format!("projects/{PROJECT}/messages/0:1"));
    assert_eq!(second, format!("projects/{PROJECT}/messages/0:2"));
    let state = fcm.state();
    assert_eq!(state.token_requests, 1, "the access token is reused");
    assert_eq!(
        state.messages[0],
        json!({
            "token": "token-android-1",
            "notification": {"title": "Ride ended", "body": "12 min, 3.40 EUR"},
            "data": {"ride_id": "4711", "kind": "receipt"},
        })
    );
    assert_eq!(state.messages[1]["token"], "token-ios-2");
}

#[tokio::test]
async fn fcm_concurrent_sends_share_one_token_exchange() {
    let fcm = Fcm::start().await;
    let client: Arc<dyn PushSender> = Arc::new(fcm.client());
    assert_eq!(client.provider_key(), "fcm");
    assert_eq!(client.name(), format!("FCM project {PROJECT}"));
    let sends: Vec<_> = (0..4)
        .map(|i| {
            let client = Arc::clone(&client);
            tokio::spawn(async move {
                client
                    .send(&push(&format!("token-{i}"), Platform::Web))
                    .await
            })
        })
        .collect();
    for send in sends {
        send.await.unwrap().unwrap();
    }
    assert_eq!(fcm.state().token_requests, 1);
    assert_eq!(fcm.state().messages.len(), 4);
}

#[tokio::test]
async fn fcm_refused_access_token_is_replaced_once() {
    let fcm = Fcm::start().await;
    let client = fcm.client();
    client
        .send(&push("token-a", Platform::Android))
        .await
        .unwrap();
    // Google revokes every token handed out so far.
    fcm.state().valid_tokens.clear();
    client
        .send(&push("token-b", Platform::Android))
        .await
        .unwrap();
    assert_eq!(fcm.state().token_requests, 2);
    assert_eq!(fcm.state().messages.len(), 2);
}

#[tokio::test]
async fn fcm_invalid_tokens_are_not_retryable() {
    let fcm = Fcm::start().await;
    let client = fcm.client();
    let error = client
        .send(&push("token-unregistered", Platform::Android))
        .await
        .unwrap_err();
    assert!(!error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("UNREGISTERED"));
    assert!(error.message.contains("404"), "{error}");
    assert!(error.message.contains("no longer valid"), "{error}");
    assert!(error.to_string().ends_with("(not retryable)"), "{error}");

    let error = client
        .send(&push("token-invalid", Platform::Android))
        .await
        .unwrap_err();
    assert!(!error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("INVALID_ARGUMENT"));
    assert!(
        !error.message.contains("ya29"),
        "no access token in {error}"
    );
}

#[tokio::test]
async fn fcm_throttling_and_outages_are_retryable() {
    let fcm = Fcm::start().await;
    let client = fcm.client();
    let error = client
        .send(&push("token-throttled", Platform::Android))
        .await
        .unwrap_err();
    assert!(error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("QUOTA_EXCEEDED"));
    assert_eq!(error.retry_after, Some(Duration::from_secs(30)));

    let error = client
        .send(&push("token-outage", Platform::Android))
        .await
        .unwrap_err();
    assert!(error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("UNAVAILABLE"));
}

#[tokio::test]
async fn fcm_refused_service_account_is_not_retryable() {
    let fcm = Fcm::start().await;
    let mut account = fcm.account();
    account.client_email = "someone-else@relais-demo.iam.gserviceaccount.com".into();
    let client = fcm.client_for(account);
    let error = client
        .send(&push("token-a", Platform::Android))
        .await
        .unwrap_err();
    assert!(!error.retryable, "{error}");
    assert!(error.message.contains("invalid_grant"), "{error}");
    assert!(!error.message.contains("PRIVATE KEY"), "{error}");
    assert!(fcm.state().messages.is_empty());
}

#[tokio::test]
async fn fcm_token_endpoint_outage_is_retryable() {
    let fcm = Fcm::start().await;
    fcm.state().token_endpoint_down = true;
    let error = fcm
        .client()
        .send(&push("token-a", Platform::Android))
        .await
        .unwrap_err();
    assert!(error.retryable, "{error}");
    assert!(error.message.contains("503"), "{error}");
}

#[tokio::test]
async fn fcm_client_debug_shows_no_key() {
    let fcm = Fcm::start().await;
    let client = fcm.client();
    client
        .send(&push("token-a", Platform::Android))
        .await
        .unwrap();
    let shown = format!("{client:?} {:?}", fcm.account());
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    assert!(!shown.contains("ya29"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// APNs

/// A stand-in for APNs' provider API.
#[derive(Clone)]
struct Apns(Arc<Mutex<ApnsState>>);

#[derive(Default)]
struct ApnsState {
    /// The HTTP version of every request.
    versions: Vec<Version>,
    /// Every distinct provider token seen.
    provider_tokens: Vec<String>,
    /// Provider tokens to answer `403 ExpiredProviderToken`.
    expired: HashSet<String>,
    /// (device token, payload) of every accepted notification.
    accepted: Vec<(String, Value)>,
}

impl Apns {
    async fn start() -> (Self, String) {
        let apns = Self(Arc::new(Mutex::new(ApnsState::default())));
        let app = Router::new()
            .route("/3/device/{token}", post(apns_send))
            .with_state(apns.clone());
        let url = serve(app).await;
        (apns, url)
    }

    fn state(&self) -> MutexGuard<'_, ApnsState> {
        self.0.lock().unwrap()
    }
}

fn apns_config(url: &str) -> ApnsConfig {
    ApnsConfig {
        base_url: url.into(),
        ..ApnsConfig::new(TEAM_ID, KEY_ID, KEYS.ec_private.clone(), TOPIC)
    }
}

#[derive(Deserialize)]
struct ProviderClaims {
    iss: String,
    iat: u64,
}

fn apns_refusal(status: StatusCode, reason: &str) -> Response {
    let mut body = json!({ "reason": reason });
    if status == StatusCode::GONE {
        body["timestamp"] = json!(now() * 1000);
    }
    (status, [("apns-id", uuid_like())], Json(body)).into_response()
}

fn uuid_like() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("8F4E6A2C-0000-4000-8000-{nanos:012X}")
}

async fn apns_send(
    State(apns): State<Apns>,
    Path(device): Path<String>,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = apns.state();
    state.versions.push(version);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let Some(jwt) = header("authorization")
        .strip_prefix("bearer ")
        .map(str::to_owned)
    else {
        return apns_refusal(StatusCode::FORBIDDEN, "MissingProviderToken");
    };
    let jwt_header = jsonwebtoken::decode_header(&jwt).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_required_spec_claims::<&str>(&[]);
    validation.validate_exp = false;
    let key = DecodingKey::from_ec_pem(KEYS.ec_public.as_bytes()).unwrap();
    let Ok(claims) = jsonwebtoken::decode::<ProviderClaims>(&jwt, &key, &validation) else {
        return apns_refusal(StatusCode::FORBIDDEN, "InvalidProviderToken");
    };
    if jwt_header.kid.as_deref() != Some(KEY_ID)
        || claims.claims.iss != TEAM_ID
        || claims.claims.iat.abs_diff(now()) > 60
    {
        return apns_refusal(StatusCode::FORBIDDEN, "InvalidProviderToken");
    }
    if !state.provider_tokens.contains(&jwt) {
        state.provider_tokens.push(jwt.clone());
    }
    if state.expired.contains(&jwt) {
        return apns_refusal(StatusCode::FORBIDDEN, "ExpiredProviderToken");
    }
    if header("apns-topic") != TOPIC {
        return apns_refusal(StatusCode::BAD_REQUEST, "DeviceTokenNotForTopic");
    }
    assert_eq!(header("apns-push-type"), "alert");
    assert_eq!(header("apns-priority"), "10");
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return apns_refusal(StatusCode::BAD_REQUEST, "PayloadEmpty");
    };
    match device.as_str() {
        "bad" => return apns_refusal(StatusCode::BAD_REQUEST, "BadDeviceToken"),
        "gone" => return apns_refusal(StatusCode::GONE, "Unregistered"),
        "busy" => return apns_refusal(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests"),
        "broken" => return apns_refusal(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        "down" => return apns_refusal(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        _ => {}
    }
    state.accepted.push((device, payload));
    let id = format!("6D1E3F0A-1B2C-4D5E-8F90-{:012X}", state.accepted.len());
    (StatusCode::OK, [("apns-id", id)]).into_response()
}

#[tokio::test]
async fn apns_sends_over_http2_with_one_provider_token() {
    let (apns, url) = Apns::start().await;
    let client = ApnsClient::new(apns_config(&url)).unwrap();
    let device = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let first = sent_id(client.send(&push(device, Platform::Ios)).await.unwrap());
    let second = sent_id(client.send(&push(device, Platform::Ios)).await.unwrap());
    assert_eq!(first, "6D1E3F0A-1B2C-4D5E-8F90-000000000001");
    assert_eq!(second, "6D1E3F0A-1B2C-4D5E-8F90-000000000002");
    let state = apns.state();
    assert_eq!(state.versions, [Version::HTTP_2, Version::HTTP_2]);
    assert_eq!(
        state.provider_tokens.len(),
        1,
        "the provider token is reused"
    );
    assert_eq!(state.accepted[0].0, device);
    assert_eq!(
        state.accepted[0].1,
        json!({
            "aps": {"alert": {"title": "Ride ended", "body": "12 min, 3.40 EUR"}},
            "ride_id": "4711",
            "kind": "receipt",
        })
    );
}

#[tokio::test]
async fn apns_invalid_device_tokens_are_not_retryable() {
    let (apns, url) = Apns::start().await;
    let client = ApnsClient::new(apns_config(&url)).unwrap();
    let error = client.send(&push("bad", Platform::Ios)).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("BadDeviceToken"));
    assert!(error.message.contains("400"), "{error}");
    let error = client.send(&push("gone", Platform::Ios)).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("Unregistered"));
    assert!(error.message.contains("no longer active"), "{error}");
    assert!(apns.state().accepted.is_empty());
}

#[tokio::test]
async fn apns_throttling_and_outages_are_retryable() {
    let (_apns, url) = Apns::start().await;
    let client = ApnsClient::new(apns_config(&url)).unwrap();
    for (device, reason) in [
        ("busy", "TooManyRequests"),
        ("broken", "InternalServerError"),
        ("down", "ServiceUnavailable"),
    ] {
        let error = client.send(&push(device, Platform::Ios)).await.unwrap_err();
        assert!(error.retryable, "{device}: {error}");
        assert_eq!(error.code.as_deref(), Some(reason));
    }
}

#[tokio::test]
async fn apns_expired_provider_token_is_signed_again() {
    let (apns, url) = Apns::start().await;
    let client = ApnsClient::new(apns_config(&url)).unwrap();
    client.send(&push("device-1", Platform::Ios)).await.unwrap();
    {
        let mut state = apns.state();
        let seen = state.provider_tokens.clone();
        state.expired.extend(seen);
    }
    client.send(&push("device-2", Platform::Ios)).await.unwrap();
    let state = apns.state();
    assert_eq!(
        state.provider_tokens.len(),
        2,
        "a fresh token after the refusal"
    );
    assert_eq!(state.accepted.len(), 2);
}

#[tokio::test]
async fn apns_wrong_topic_or_key_is_not_retryable() {
    let (_apns, url) = Apns::start().await;
    let client = ApnsClient::new(ApnsConfig {
        topic: "com.example.other".into(),
        ..apns_config(&url)
    })
    .unwrap();
    let error = client
        .send(&push("device", Platform::Ios))
        .await
        .unwrap_err();
    assert!(!error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("DeviceTokenNotForTopic"));

    let client = ApnsClient::new(ApnsConfig {
        team_id: "OTHERTEAM1".into(),
        ..apns_config(&url)
    })
    .unwrap();
    let error = client
        .send(&push("device", Platform::Ios))
        .await
        .unwrap_err();
    assert!(!error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("InvalidProviderToken"));
    assert!(!error.message.contains("PRIVATE KEY"), "{error}");
}

#[tokio::test]
async fn apns_refuses_what_it_cannot_deliver_without_asking() {
    let (apns, url) = Apns::start().await;
    let client: Arc<dyn PushSender> = Arc::new(ApnsClient::new(apns_config(&url)).unwrap());
    assert_eq!(client.provider_key(), "apns");
    let error = client
        .send(&push("device", Platform::Android))
        .await
        .unwrap_err();
    assert!(!error.retryable && error.message.contains("iOS"), "{error}");
    let mut reserved = push("device", Platform::Ios);
    reserved.data.insert("aps".into(), "{}".into());
    let error = client.send(&reserved).await.unwrap_err();
    assert!(!error.retryable && error.message.contains("aps"), "{error}");
    assert!(apns.state().versions.is_empty(), "no request was made");
}

#[tokio::test]
async fn apns_unreachable_is_retryable_and_hides_the_device_token() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = ApnsClient::new(apns_config(&format!("http://{address}"))).unwrap();
    let error = client
        .send(&push("secretdevicetoken", Platform::Ios))
        .await
        .unwrap_err();
    assert!(error.retryable, "{error}");
    assert!(!error.message.contains("secretdevicetoken"), "{error}");
}

#[tokio::test]
async fn recording_push_is_the_quiet_default() {
    let sender: Arc<dyn PushSender> = Arc::new(RecordingPush);
    assert_eq!(
        sender.send(&push("any", Platform::Web)).await,
        Ok(Delivery::Recorded)
    );
}
