//! The Odoo connector: companies read from `res.partner` through Odoo's external JSON-RPC API.
//!
//! Every call is a `POST {url}/jsonrpc` of a JSON-RPC 2.0 `call` whose params name an Odoo service:
//! `common.authenticate(db, login, key, {})` gives the user id (or `false`), then
//! `object.execute_kw(db, uid, key, model, method, args, kwargs)` runs an ORM method. Odoo answers errors
//! with HTTP 200 and `{"error": {"code": 200, "message": "Odoo Server Error", "data": {"name": <exception
//! class>, "message": ...}}}`.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::{Erp, ErpError, ErpFuture, ErpPartner, PartnerQuery};

/// How long one call to Odoo may take, connection included, unless told otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long opening the connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `res.partner` fields relais reads; those a given Odoo lacks are skipped (see `fields_get`).
const PARTNER_FIELDS: [&str; 14] = [
    "id",
    "name",
    "vat",
    "email",
    "phone",
    "street",
    "street2",
    "zip",
    "city",
    "country_id",
    "company_registry",
    "ref",
    "website",
    "active",
];
/// Stable order, so that paging never skips or repeats a company with a shared name.
const PARTNER_ORDER: &str = "name, id";
/// The Odoo exception raised when the credentials (or the uid given with them) are refused.
const ACCESS_DENIED: &str = "odoo.exceptions.AccessDenied";

/// Where and as whom to reach Odoo.
///
/// `Debug` never shows the API key.
#[derive(Clone, Deserialize)]
pub struct OdooConfig {
    /// Base URL of the Odoo server (`https://erp.example.com`), without `/jsonrpc`.
    pub url: String,
    /// Name of the Odoo database.
    pub database: String,
    /// Login of the Odoo user relais acts as.
    pub login: String,
    /// API key of that user (its password also works, but a key can be revoked alone).
    pub api_key: String,
}

impl fmt::Debug for OdooConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OdooConfig")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("login", &self.login)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// A client of Odoo's external JSON-RPC API, implementing [`Erp`] over `res.partner`.
///
/// It authenticates on first use, keeps the user id, and authenticates again once if Odoo later refuses it.
pub struct OdooClient {
    http: reqwest::Client,
    endpoint: Url,
    /// The base URL without any user info, for messages.
    shown_url: String,
    /// `name()`, computed once.
    label: String,
    config: OdooConfig,
    next_id: AtomicU64,
    session: Mutex<Session>,
}

/// What the client learnt from Odoo and keeps between calls.
#[derive(Default)]
struct Session {
    uid: Option<i64>,
    /// The [`PARTNER_FIELDS`] this Odoo has, once asked.
    partner_fields: Option<Vec<&'static str>>,
}

impl fmt::Debug for OdooClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OdooClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl OdooClient {
    /// A client for this configuration, with a 10 s timeout per call.
    pub fn new(config: OdooConfig) -> Result<Self, ErpError> {
        Self::with_timeout(config, DEFAULT_TIMEOUT)
    }

    /// A client for this configuration, with the given timeout per call.
    pub fn with_timeout(config: OdooConfig, timeout: Duration) -> Result<Self, ErpError> {
        let mut base = Url::parse(config.url.trim())
            .map_err(|e| ErpError::Misconfigured(format!("Odoo URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ErpError::Misconfigured(
                "Odoo URL: must be an http:// or https:// URL".into(),
            ));
        }
        for (key, value) in [("database", &config.database), ("login", &config.login)] {
            if value.trim().is_empty() {
                return Err(ErpError::Misconfigured(format!("Odoo {key}: is empty")));
            }
        }
        if config.api_key.is_empty() {
            return Err(ErpError::Misconfigured("Odoo API key: is empty".into()));
        }
        base.set_query(None);
        base.set_fragment(None);
        let endpoint = base
            .join(&format!("{}/jsonrpc", base.path().trim_end_matches('/')))
            .map_err(|e| ErpError::Misconfigured(format!("Odoo URL: {e}")))?;
        let mut shown = base.clone();
        // Both only fail on URLs that cannot have user info, which http(s) URLs can.
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        let shown_url = shown.as_str().trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .user_agent(concat!("relais-erp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ErpError::Misconfigured(format!("HTTP client: {e}")))?;
        let label = format!("Odoo {shown_url} (database {})", config.database);
        Ok(Self {
            http,
            endpoint,
            shown_url,
            label,
            config,
            next_id: AtomicU64::new(1),
            session: Mutex::new(Session::default()),
        })
    }

    /// The active companies matching `query`, ordered by name, then by id.
    pub async fn partners(&self, query: &PartnerQuery) -> Result<Vec<ErpPartner>, ErpError> {
        if query.limit == Some(0) {
            // Odoo reads a limit of 0 as "no limit".
            return Ok(Vec::new());
        }
        let mut domain = vec![json!(["is_company", "=", true])];
        if let Some(term) = query.search_term() {
            domain.push(json!(["name", "ilike", term]));
        }
        if !query.exclude.is_empty() {
            domain.push(json!(["id", "not in", query.exclude]));
        }
        self.search_partners(domain, query.limit, query.offset)
            .await
    }

    /// The active company with this id, or `None`.
    pub async fn partner(&self, erp_id: i64) -> Result<Option<ErpPartner>, ErpError> {
        if erp_id <= 0 {
            return Ok(None);
        }
        let domain = vec![json!(["id", "=", erp_id]), json!(["is_company", "=", true])];
        let found = self.search_partners(domain, Some(1), 0).await?;
        Ok(found.into_iter().next())
    }

    async fn search_partners(
        &self,
        domain: Vec<Value>,
        limit: Option<u32>,
        offset: u32,
    ) -> Result<Vec<ErpPartner>, ErpError> {
        let fields = self.partner_fields().await?;
        let mut kwargs = json!({"fields": fields, "offset": offset, "order": PARTNER_ORDER});
        if let Some(limit) = limit {
            kwargs["limit"] = limit.into();
        }
        let rows = self
            .execute_kw("res.partner", "search_read", json!([domain]), kwargs)
            .await?;
        let rows: Vec<OdooPartner> = decode("res.partner.search_read", rows)?;
        let codes = self.country_codes(&rows).await?;
        Ok(rows
            .into_iter()
            .map(|row| row.into_partner(&codes))
            .collect())
    }

    /// The fields of [`PARTNER_FIELDS`] this Odoo has (`company_registry` is on partners only from Odoo 17).
    async fn partner_fields(&self) -> Result<Vec<&'static str>, ErpError> {
        if let Some(fields) = &self.session().partner_fields {
            return Ok(fields.clone());
        }
        let all = self
            .execute_kw(
                "res.partner",
                "fields_get",
                json!([]),
                json!({"attributes": ["type"]}),
            )
            .await?;
        let all: HashMap<String, Value> = decode("res.partner.fields_get", all)?;
        let fields: Vec<&'static str> = PARTNER_FIELDS
            .into_iter()
            .filter(|field| matches!(*field, "id" | "name") || all.contains_key(*field))
            .collect();
        let skipped: Vec<&str> = PARTNER_FIELDS
            .into_iter()
            .filter(|field| !fields.contains(field))
            .collect();
        if !skipped.is_empty() {
            tracing::info!(erp = %self.label, ?skipped, "Odoo partners lack some fields, read without them");
        }
        self.session().partner_fields = Some(fields.clone());
        Ok(fields)
    }

    /// The ISO codes of the countries of these partners, by Odoo country id.
    async fn country_codes(&self, rows: &[OdooPartner]) -> Result<HashMap<i64, String>, ErpError> {
        let ids: BTreeSet<i64> = rows
            .iter()
            .filter_map(|row| row.country_id.as_ref().map(|country| country.0))
            .collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let countries = self
            .execute_kw(
                "res.country",
                "search_read",
                json!([[["id", "in", ids]]]),
                json!({"fields": ["code"]}),
            )
            .await?;
        let countries: Vec<OdooCountry> = decode("res.country.search_read", countries)?;
        Ok(countries
            .into_iter()
            .filter_map(|country| {
                let code = clean(country.code)?.to_ascii_uppercase();
                Some((country.id, code))
            })
            .collect())
    }

    /// Runs `model.method(*args, **kwargs)` through `object.execute_kw`, authenticating as needed.
    async fn execute_kw(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Value, ErpError> {
        let mut retried = false;
        loop {
            let uid = self.uid().await?;
            let params = json!([
                self.config.database,
                uid,
                self.config.api_key,
                model,
                method,
                args,
                kwargs
            ]);
            tracing::debug!(erp = %self.label, model, method, "Odoo call");
            match self.call("object", "execute_kw", params).await {
                Ok(result) => return Ok(result),
                Err(Failure::Fault(fault)) if fault.is_access_denied() => {
                    self.forget_uid(uid);
                    if retried {
                        return Err(ErpError::Authentication(format!(
                            "Odoo at {} refused the calls of user {:?} on database {:?}: {}",
                            self.shown_url, self.config.login, self.config.database, fault.message
                        )));
                    }
                    // The user may have been recreated, or the key rotated to the same value.
                    tracing::warn!(erp = %self.label, "Odoo refused the cached user id, authenticating again");
                    retried = true;
                }
                Err(failure) => return Err(failure.into()),
            }
        }
    }

    /// The cached user id, or a fresh one from `common.authenticate`.
    async fn uid(&self) -> Result<i64, ErpError> {
        if let Some(uid) = self.session().uid {
            return Ok(uid);
        }
        let params = json!([
            self.config.database,
            self.config.login,
            self.config.api_key,
            {}
        ]);
        tracing::debug!(erp = %self.label, "Odoo authentication");
        let refused = |detail: &str| {
            ErpError::Authentication(format!(
                "Odoo at {} refused login {:?} on database {:?} with the configured API key{detail}",
                self.shown_url, self.config.login, self.config.database
            ))
        };
        let result = match self.call("common", "authenticate", params).await {
            Ok(result) => result,
            Err(Failure::Fault(fault)) if fault.is_access_denied() => {
                return Err(refused(&format!(": {}", fault.message)));
            }
            Err(failure) => return Err(failure.into()),
        };
        match result {
            Value::Bool(false) => Err(refused("")),
            Value::Number(ref n) if n.as_i64().is_some_and(|uid| uid > 0) => {
                let uid = n.as_i64().unwrap_or_default();
                self.session().uid = Some(uid);
                Ok(uid)
            }
            other => Err(ErpError::Protocol(format!(
                "common.authenticate answered {}, not a user id",
                kind(&other)
            ))),
        }
    }

    /// Forgets `uid` if it is still the cached one.
    fn forget_uid(&self, uid: i64) {
        let mut session = self.session();
        if session.uid == Some(uid) {
            session.uid = None;
        }
    }

    fn session(&self) -> MutexGuard<'_, Session> {
        // The session holds plain values, each written in one statement: a panic cannot leave it torn.
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One JSON-RPC `call` of `service.method(*args)`.
    async fn call(&self, service: &str, method: &str, args: Value) -> Result<Value, Failure> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": id,
        });
        let response = self
            .http
            .post(self.endpoint.clone())
            .json(&body)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let status = response.status();
        if !status.is_success() {
            let message = format!(
                "{} answered HTTP {status} to {service}.{method}",
                self.shown_url
            );
            return Err(Failure::Error(match status {
                StatusCode::BAD_GATEWAY
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT => ErpError::Unreachable(message),
                _ => ErpError::Protocol(format!("{message}: is this an Odoo server?")),
            }));
        }
        let bytes = response.bytes().await.map_err(|e| self.unreachable(e))?;
        let answer: RpcResponse = serde_json::from_slice(&bytes).map_err(|e| {
            Failure::Error(ErpError::Protocol(format!(
                "{service}.{method} answered with something other than JSON-RPC: {e}"
            )))
        })?;
        if answer.id.as_ref().is_some_and(|got| *got != json!(id)) {
            return Err(Failure::Error(ErpError::Protocol(format!(
                "{service}.{method} answered request {id} with the id of another request"
            ))));
        }
        match (answer.error, answer.result) {
            (Some(error), _) => Err(Failure::Fault(error.into())),
            (None, Some(result)) => Ok(result),
            (None, None) => Err(Failure::Error(ErpError::Protocol(format!(
                "{service}.{method} answered with neither a result nor an error"
            )))),
        }
    }

    fn unreachable(&self, error: reqwest::Error) -> Failure {
        let what = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        // Without the URL, which may carry user info; the base URL shown is stripped of it.
        let error = error.without_url();
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            detail.push_str(": ");
            detail.push_str(&cause.to_string());
            source = cause.source();
        }
        Failure::Error(ErpError::Unreachable(format!(
            "{} {what}: {detail}",
            self.shown_url
        )))
    }
}

impl Erp for OdooClient {
    fn name(&self) -> &str {
        &self.label
    }

    fn partners<'a>(&'a self, query: &'a PartnerQuery) -> ErpFuture<'a, Vec<ErpPartner>> {
        Box::pin(OdooClient::partners(self, query))
    }

    fn partner(&self, erp_id: i64) -> ErpFuture<'_, Option<ErpPartner>> {
        Box::pin(OdooClient::partner(self, erp_id))
    }
}

/// Why a JSON-RPC call failed: Odoo answered with an error (a fault), or there was no proper answer.
enum Failure {
    Fault(Fault),
    Error(ErpError),
}

impl From<Failure> for ErpError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Fault(fault) => ErpError::Remote {
                name: fault.name,
                message: fault.message,
            },
            Failure::Error(error) => error,
        }
    }
}

/// An error answered by Odoo.
struct Fault {
    name: Option<String>,
    message: String,
}

impl Fault {
    fn is_access_denied(&self) -> bool {
        self.name.as_deref() == Some(ACCESS_DENIED)
    }
}

#[derive(Deserialize)]
struct RpcResponse {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<RpcError>,
}

#[derive(Deserialize)]
struct RpcError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, deserialize_with = "false_as_none")]
    data: Option<RpcErrorData>,
}

#[derive(Deserialize)]
struct RpcErrorData {
    #[serde(default, deserialize_with = "false_as_none")]
    name: Option<String>,
    #[serde(default, deserialize_with = "false_as_none")]
    message: Option<String>,
}

impl From<RpcError> for Fault {
    fn from(error: RpcError) -> Self {
        let (name, detail) = match error.data {
            Some(data) => (data.name, data.message),
            None => (None, None),
        };
        let message = detail
            .or(error.message)
            .unwrap_or_else(|| "unknown Odoo error".into());
        Fault { name, message }
    }
}

/// A `res.partner` record as `search_read` returns it: `false` for every empty field.
#[derive(Deserialize)]
struct OdooPartner {
    id: i64,
    #[serde(default, deserialize_with = "false_as_none")]
    name: Option<String>,
    #[serde(default, deserialize_with = "false_as_none")]
    vat: Option<String>,
    #[serde(default, deserialize_with = "false_as_none")]
    email: Option<String>,
    #[serde(default, deserialize_with = "false_as_none")]
    phone: Option<String>,
    #[serde(default, deserialize_with = "false_as_none")]
    street: Option<String>,
    #[serde(default, deserialize_with = "false_as_none")]
    street2: Option<String>,
    #[serde(default, deserialize_with = "false_as_none")]
    zip: Option<String>,
    #[serde(default, deserialize_with = "false_as_none")]
    city: Option<String>,
    /// A many2one: `[id, display name]`.
    #[serde(default, deserialize_with = "false_as_none")]
    country_id: Option<(i64, String)>,
    #[serde(default, deserialize_with = "false_as_none")]
    company_registry: Option<String>,
    #[serde(default, rename = "ref", deserialize_with = "false_as_none")]
    reference: Option<String>,
    #[serde(default, deserialize_with = "false_as_none")]
    website: Option<String>,
    #[serde(default = "active_by_default")]
    active: bool,
}

impl OdooPartner {
    fn into_partner(self, country_codes: &HashMap<i64, String>) -> ErpPartner {
        let (country_code, country_name) = match self.country_id {
            Some((id, name)) => (country_codes.get(&id).cloned(), clean(Some(name))),
            None => (None, None),
        };
        ErpPartner {
            erp_id: self.id,
            name: clean(self.name).unwrap_or_default(),
            vat: clean(self.vat),
            email: clean(self.email),
            phone: clean(self.phone),
            street: clean(self.street),
            street2: clean(self.street2),
            zip: clean(self.zip),
            city: clean(self.city),
            country_code,
            country_name,
            company_registry: clean(self.company_registry),
            reference: clean(self.reference),
            website: clean(self.website),
            active: self.active,
        }
    }
}

/// A `res.country` record read for its ISO code.
#[derive(Deserialize)]
struct OdooCountry {
    id: i64,
    #[serde(default, deserialize_with = "false_as_none")]
    code: Option<String>,
}

fn active_by_default() -> bool {
    true
}

/// Reads Odoo's `false` (its "no value", even for text and relations) and `null` as `None`.
fn false_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Bool(false)) => Ok(None),
        Some(value) => T::deserialize(value).map(Some).map_err(D::Error::custom),
    }
}

/// Trims a text value, turning a blank one into `None`.
fn clean(value: Option<String>) -> Option<String> {
    let value = value?;
    let trimmed = value.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == value.len() {
        Some(value)
    } else {
        Some(trimmed.to_owned())
    }
}

/// Decodes the result of `what`, a protocol error if it has another shape.
fn decode<T: DeserializeOwned>(what: &str, result: Value) -> Result<T, ErpError> {
    let shape = kind(&result);
    serde_json::from_value(result).map_err(|e| {
        ErpError::Protocol(format!(
            "{what} answered {shape} of an unexpected shape: {e}"
        ))
    })
}

/// The JSON type of a value, for messages that must not echo the value itself.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> OdooConfig {
        OdooConfig {
            url: url.into(),
            database: "prod".into(),
            login: "relais@example.com".into(),
            api_key: "s3cr3t-key".into(),
        }
    }

    #[test]
    fn debug_hides_the_api_key() {
        let config = config("https://erp.example.com");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t-key"), "{shown}");
        assert!(shown.contains("relais@example.com"), "{shown}");
        let client = OdooClient::new(config).unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("s3cr3t-key"), "{shown}");
    }

    #[test]
    fn endpoint_is_jsonrpc_under_the_base_url() {
        let client = OdooClient::new(config("https://erp.example.com")).unwrap();
        assert_eq!(client.endpoint.as_str(), "https://erp.example.com/jsonrpc");
        let client = OdooClient::new(config("https://example.com/odoo/?x=1")).unwrap();
        assert_eq!(client.endpoint.as_str(), "https://example.com/odoo/jsonrpc");
    }

    #[test]
    fn name_shows_no_user_info() {
        let client = OdooClient::new(config("https://bob:pw@erp.example.com/")).unwrap();
        assert_eq!(
            client.name(),
            "Odoo https://erp.example.com (database prod)"
        );
    }

    #[test]
    fn rejects_invalid_configurations() {
        for url in [
            "",
            "erp.example.com",
            "ftp://erp.example.com",
            "mailto:x@y.z",
        ] {
            let error = OdooClient::new(config(url)).unwrap_err();
            assert!(
                matches!(error, ErpError::Misconfigured(_)),
                "{url}: {error}"
            );
        }
        let mut empty_database = config("https://erp.example.com");
        empty_database.database = " ".into();
        assert!(matches!(
            OdooClient::new(empty_database),
            Err(ErpError::Misconfigured(_))
        ));
        let mut empty_key = config("https://erp.example.com");
        empty_key.api_key.clear();
        assert!(matches!(
            OdooClient::new(empty_key),
            Err(ErpError::Misconfigured(_))
        ));
    }

    #[test]
    fn false_fields_are_none() {
        let row: OdooPartner = serde_json::from_value(json!({
            "id": 3, "name": "Acme", "vat": false, "email": " ", "country_id": false,
            "ref": "C-3", "active": true
        }))
        .unwrap();
        let partner = row.into_partner(&HashMap::new());
        assert_eq!(partner.vat, None);
        assert_eq!(partner.email, None);
        assert_eq!(partner.country_code, None);
        assert_eq!(partner.reference.as_deref(), Some("C-3"));
        assert_eq!(partner.company_registry, None);
    }
}
