//! The Twilio client against a local stand-in of Twilio's Messages API that checks the basic auth
//! and the form fields, and answers as Twilio does (`201` with the message resource, or an error).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use relais_messaging::Delivery;
use relais_messaging::sms::{RecordingSms, Sms, SmsSender, TwilioClient, TwilioConfig};
use serde_json::json;

const ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
const AUTH_TOKEN: &str = "auth-token-0123456789abcdef";
const API_KEY_SID: &str = "SK00000000000000000000000000000002";
const API_KEY_SECRET: &str = "api-key-secret-fedcba9876543210";
const FROM: &str = "+15005550006";

/// A stand-in of `POST /2010-04-01/Accounts/{sid}/Messages.json`.
#[derive(Clone)]
struct Twilio(Arc<Mutex<Vec<HashMap<String, String>>>>);

impl Twilio {
    async fn start() -> (Self, String) {
        let twilio = Self(Arc::new(Mutex::new(Vec::new())));
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create_message),
            )
            .with_state(twilio.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (twilio, format!("http://{address}"))
    }

    /// The form of every message created, in order.
    fn created(&self) -> MutexGuard<'_, Vec<HashMap<String, String>>> {
        self.0.lock().unwrap()
    }
}

fn twilio_error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, Json(body)).into_response()
}

async fn create_message(
    State(twilio): State<Twilio>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let credentials = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| BASE64.decode(encoded).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok());
    let authenticated = matches!(
        credentials.as_deref().and_then(|c| c.split_once(':')),
        Some((ACCOUNT_SID, AUTH_TOKEN)) | Some((API_KEY_SID, API_KEY_SECRET))
    );
    if account != ACCOUNT_SID || !authenticated {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let to = form.get("To").cloned().unwrap_or_default();
    match to.as_str() {
        "+15005550001" => {
            return twilio_error(
                StatusCode::BAD_REQUEST,
                21211,
                "The 'To' number +15005550001 is not a valid phone number.",
            );
        }
        "+15005550429" => {
            return twilio_error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests");
        }
        "+15005550500" => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "upstream error").into_response();
        }
        _ => {}
    }
    if !form.contains_key("From") && !form.contains_key("MessagingServiceSid") {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21603,
            "A 'From' or 'MessagingServiceSid' parameter is required to send a message",
        );
    }
    let mut created = twilio.created();
    created.push(form.clone());
    let sid = format!("SM{:032x}", created.len());
    let body = json!({
        "account_sid": ACCOUNT_SID,
        "sid": sid,
        "to": to,
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "body": form.get("Body"),
        "status": "queued",
        "num_segments": "1",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json"),
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

fn config(url: &str) -> TwilioConfig {
    TwilioConfig {
        base_url: url.into(),
        ..TwilioConfig::new(ACCOUNT_SID, AUTH_TOKEN, FROM)
    }
}

fn sms(to: &str) -> Sms {
    Sms {
        to: to.into(),
        from: None,
        body: "Your relais code: 123456 & welcome!".into(),
    }
}

fn sid(delivery: Delivery) -> String {
    match delivery {
        Delivery::Sent {
            provider_id: Some(id),
        } => id,
        other => panic!("expected a sent SMS with an id, got {other:?}"),
    }
}

#[tokio::test]
async fn sends_with_the_account_auth_token() {
    let (twilio, url) = Twilio::start().await;
    let client = TwilioClient::new(config(&url)).unwrap();
    let id = sid(client.send(&sms("+33612345678")).await.unwrap());
    assert_eq!(id, format!("SM{:032x}", 1));
    let created = twilio.created();
    let form = &created[0];
    assert_eq!(form["To"], "+33612345678");
    assert_eq!(form["From"], FROM);
    assert_eq!(form["Body"], "Your relais code: 123456 & welcome!");
    assert!(!form.contains_key("MessagingServiceSid"));
    assert_eq!(form.len(), 3, "{form:?}");
}

#[tokio::test]
async fn sends_with_an_api_key_through_a_messaging_service() {
    let (twilio, url) = Twilio::start().await;
    let client: Arc<dyn SmsSender> = Arc::new(
        TwilioClient::new(TwilioConfig {
            api_key_sid: Some(API_KEY_SID.into()),
            secret: API_KEY_SECRET.into(),
            from: None,
            messaging_service_sid: Some("MG00000000000000000000000000000003".into()),
            ..config(&url)
        })
        .unwrap(),
    );
    assert_eq!(client.provider_key(), "twilio");
    assert_eq!(client.name(), format!("Twilio account {ACCOUNT_SID}"));
    client.send(&sms("+33612345678")).await.unwrap();
    // The message's own sender wins over the service's pool.
    let own = Sms {
        from: Some("RELAIS".into()),
        ..sms("+33612345679")
    };
    client.send(&own).await.unwrap();
    let created = twilio.created();
    assert_eq!(
        created[0]["MessagingServiceSid"],
        "MG00000000000000000000000000000003"
    );
    assert!(!created[0].contains_key("From"));
    assert_eq!(created[1]["From"], "RELAIS");
    assert_eq!(
        created[1]["MessagingServiceSid"],
        "MG00000000000000000000000000000003"
    );
}

#[tokio::test]
async fn invalid_number_is_not_retryable() {
    let (twilio, url) = Twilio::start().await;
    let client = TwilioClient::new(config(&url)).unwrap();
    let error = client.send(&sms("+15005550001")).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("21211"));
    assert!(error.message.contains("400"), "{error}");
    assert!(
        error.message.contains("not a valid phone number"),
        "{error}"
    );
    assert!(twilio.created().is_empty());
}

#[tokio::test]
async fn throttling_and_server_errors_are_retryable() {
    let (_twilio, url) = Twilio::start().await;
    let client = TwilioClient::new(config(&url)).unwrap();
    let error = client.send(&sms("+15005550429")).await.unwrap_err();
    assert!(error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("20429"));
    let error = client.send(&sms("+15005550500")).await.unwrap_err();
    assert!(error.retryable, "{error}");
    assert_eq!(error.code, None);
    assert!(error.message.contains("upstream error"), "{error}");
}

#[tokio::test]
async fn refused_credentials_are_not_retryable_and_not_shown() {
    let (_twilio, url) = Twilio::start().await;
    let client = TwilioClient::new(TwilioConfig {
        secret: "wrong-token-0000".into(),
        ..config(&url)
    })
    .unwrap();
    let error = client.send(&sms("+33612345678")).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert_eq!(error.code.as_deref(), Some("20003"));
    assert!(error.message.contains("auth token"), "{error}");
    assert!(!format!("{error} {error:?} {client:?}").contains("wrong-token-0000"));
}

#[tokio::test]
async fn unreachable_twilio_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = TwilioClient::new(config(&format!("http://{address}"))).unwrap();
    let error = client.send(&sms("+33612345678")).await.unwrap_err();
    assert!(error.retryable, "{error}");
    assert!(!error.message.contains(AUTH_TOKEN), "{error}");
}

#[tokio::test]
async fn recording_sms_is_the_quiet_default() {
    let senders: Vec<Arc<dyn SmsSender>> = vec![Arc::new(RecordingSms)];
    let keys: Vec<&str> = senders.iter().map(|s| s.provider_key()).collect();
    assert_eq!(keys, ["recording"]);
    assert_eq!(
        senders[0].send(&sms("+33612345678")).await,
        Ok(Delivery::Recorded)
    );
}
