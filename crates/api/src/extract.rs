//! Typed, validated extractors: the one place where requests are read and their constraints
//! checked, so that handlers only ever see valid input.
//!
//! Constraints are declared on the request types with `validator` attributes, which read like
//! the seed (`length(min = 3, max = 50)`, `range(min = 1)`). Failures name the field at fault:
//! shape errors (bad JSON, wrong type, missing or unknown field) answer -10/400, broken
//! constraints -11/422.

use crate::error::{ApiError, ErrorCode};
use crate::input::{self, Mode, friendly};
use axum::body::Bytes;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;
use std::str::FromStr;
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

/// A JSON body, deserialized and validated.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

/// A query string, deserialized and validated.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

/// Path parameters, deserialized and validated.
#[derive(Debug)]
pub struct ValidPath<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected a body of type application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge, "request body too large")
            } else {
                ApiError::new(ErrorCode::Malformed, rejection.body_text())
            }
        })?;
        let value = parse_json::<T>(&bytes)?;
        check(&value)?;
        Ok(ValidJson(value))
    }
}

/// Read a JSON body into `T`: the document first (syntax, keys given twice), then its shape
/// (a struct must be an object; every missing field named), then its texts (no control
/// characters); see [`crate::input`].
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let document = input::read_json(bytes)?;
    let value = input::decode::<T>(&document, Mode::Json)?;
    input::refuse_control_characters(input::control_characters(&document))?;
    Ok(value)
}

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        let value: T = serde_path_to_error::deserialize(de).map_err(|err| {
            let pairs = form_urlencoded::parse(query.as_bytes()).into_owned();
            let document = input::texts(pairs);
            let err = input::explain::<T>(&document, Mode::Text, err.into());
            in_the_query_not_the_body(err, parts)
        })?;
        let pairs: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
        input::refuse_control_characters(input::control_characters_in(
            pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
        ))?;
        check(&value)?;
        Ok(ValidQuery(value))
    }
}

/// The JSON body of a request, kept by [`keep_json_body`] for the errors of the query.
#[derive(Clone)]
struct KeptBody(Bytes);

/// Keep a handle on a JSON body (a shared buffer, not a copy of the bytes) where
/// [`ValidQuery`] can see it: when a parameter that goes in the query string is missing and
/// the body carries a key of that name, the error says where it goes.
pub async fn keep_json_body(
    State(limit): State<usize>,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    // The length announced (Content-Length); a streamed body of unknown length is left alone.
    let small = axum::body::HttpBody::size_hint(req.body())
        .upper()
        .is_some_and(|length| length > 0 && length <= limit as u64);
    if !(json && small) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return ApiError::new(ErrorCode::Malformed, "the body could not be read").into_response();
    };
    parts.extensions.insert(KeptBody(bytes.clone()));
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

fn in_the_query_not_the_body(mut err: ApiError, parts: &Parts) -> ApiError {
    let Some(KeptBody(bytes)) = parts.extensions.get::<KeptBody>() else {
        return err;
    };
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(bytes) else {
        return err;
    };
    for (field, problems) in err.fields.iter_mut() {
        if body.contains_key(field) && problems.iter().any(|p| p == "is required") {
            *problems = vec![format!("`{field}` goes in the query string, not the body")];
        }
    }
    err
}

impl<S, T> FromRequestParts<S> for ValidPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if let Ok(params) = RawPathParams::from_request_parts(parts, state).await {
            input::refuse_control_characters(input::control_characters_in(params.iter()))?;
        }
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| match &rejection {
                PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                    ErrorKind::ParseErrorAtKey {
                        key, expected_type, ..
                    } => ApiError::new(ErrorCode::Malformed, "invalid path parameter")
                        .with_field(key.as_str(), format!("must be {}", friendly(expected_type))),
                    ErrorKind::DeserializeError { key, message, .. } => {
                        ApiError::new(ErrorCode::Malformed, "invalid path parameter")
                            .with_field(key.as_str(), message.as_str())
                    }
                    _ => ApiError::new(ErrorCode::Malformed, "invalid path parameter"),
                },
                _ => ApiError::internal(rejection.body_text()),
            })?;
        check(&value)?;
        Ok(ValidPath(value))
    }
}

/// Run the declared constraints of `value`.
pub fn check<T: Validate>(value: &T) -> Result<(), ApiError> {
    value.validate().map_err(|errors| {
        let mut fields = BTreeMap::new();
        flatten("", &errors, &mut fields);
        let mut err = ApiError::new(ErrorCode::Validation, "invalid request");
        err.fields = fields;
        err
    })
}

fn flatten(prefix: &str, errors: &ValidationErrors, out: &mut BTreeMap<String, Vec<String>>) {
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.entry(name)
                    .or_default()
                    .extend(list.iter().map(describe));
            }
            ValidationErrorsKind::Struct(inner) => flatten(&name, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(&format!("{name}[{index}]"), inner, out);
                }
            }
        }
    }
}

fn describe(error: &ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |key: &str| error.params.get(key).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max"), param("equal")) {
            (_, _, Some(n)) => format!("must be exactly {n} characters long"),
            (Some(min), Some(max), _) => format!("must be {min} to {max} characters long"),
            (Some(min), None, _) => format!("must be at least {min} characters long"),
            (None, Some(max), _) => format!("must be at most {max} characters long"),
            _ => "has a wrong length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_owned(),
        },
        "email" => "must be an email address".to_owned(),
        "url" => "must be a URL".to_owned(),
        "required" => "is required".to_owned(),
        code => code.replace('_', " "),
    }
}

/// Refuse a list filter whose maximum lies below its minimum, naming the maximum (-11).
pub fn in_order<T: PartialOrd>(
    max_field: &'static str,
    min: Option<T>,
    max: Option<T>,
) -> Result<(), ApiError> {
    match (min, max) {
        (Some(min), Some(max)) if max < min => {
            Err(ApiError::field(max_field, "must not be below its minimum"))
        }
        _ => Ok(()),
    }
}

/// A list given as comma-separated values in a query string (`networks=1,5,7`).
// `Serialize` because validator reports the value of a field whose custom check fails.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct CommaSeparated<T>(pub Vec<T>);

impl<'de, T> Deserialize<'de> for CommaSeparated<T>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        text.split(',')
            .map(|item| {
                let item = item.trim();
                item.parse::<T>()
                    .map_err(|e| serde::de::Error::custom(format!("invalid item `{item}`: {e}")))
            })
            .collect::<Result<Vec<T>, _>>()
            .map(CommaSeparated)
    }
}

impl<T> CommaSeparated<T> {
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
}

/// Constraint: no item appears twice.
pub fn unique<T: Eq + Hash>(items: &[T]) -> Result<(), ValidationError> {
    let mut seen = HashSet::new();
    if items.iter().all(|i| seen.insert(i)) {
        Ok(())
    } else {
        Err(ValidationError::new("unique").with_message("items must be unique".into()))
    }
}

/// Constraint: identifiers are unique and >= 1.
pub fn unique_ids(items: &[i64]) -> Result<(), ValidationError> {
    if items.iter().any(|&id| id < 1) {
        return Err(ValidationError::new("range").with_message("items must be >= 1".into()));
    }
    unique(items)
}

/// Constraint for comma-separated identifiers: unique and >= 1.
pub fn unique_id_list(items: &CommaSeparated<i64>) -> Result<(), ValidationError> {
    unique_ids(items.as_slice())
}

/// Constraint: a language code is two lowercase ASCII letters (ISO 639-1).
pub fn language(code: &str) -> Result<(), ValidationError> {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(ValidationError::new("language")
            .with_message("must be a two-letter language code".into()))
    }
}

/// For `Option` fields the seed marks required but nullable: with
/// `#[serde(deserialize_with = "required_nullable")]` an absent field is refused (-10, naming
/// it) while `null` reads as `None` (serde reads a missing `Option` as `None` otherwise).
pub fn required_nullable<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)
}

/// Constraint: an amount of money `>= 0` with at most four decimal places (what is stored).
pub fn non_negative_amount(amount: &rust_decimal::Decimal) -> Result<(), ValidationError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(ValidationError::new("range").with_message("must be at least 0".into()));
    }
    stored_precision(amount)
}

/// Constraint: a rate between 0 and 1 (a VAT of 20 % is `0.2`), at most four decimal places.
pub fn rate(value: &rust_decimal::Decimal) -> Result<(), ValidationError> {
    if *value < rust_decimal::Decimal::ZERO || *value > rust_decimal::Decimal::ONE {
        return Err(ValidationError::new("range").with_message("must be between 0 and 1".into()));
    }
    stored_precision(value)
}

/// Constraint: at most four decimal places, the precision amounts are stored with.
pub fn stored_precision(value: &rust_decimal::Decimal) -> Result<(), ValidationError> {
    if relais_domain::money::fits_storage(value) {
        Ok(())
    } else {
        Err(ValidationError::new("precision")
            .with_message("must have at most four decimal places".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[validate(length(min = 3, max = 50))]
        name: String,
        #[validate(custom(function = "unique_ids"))]
        ids: Vec<i64>,
    }

    #[derive(Debug, Deserialize)]
    struct ListQuery {
        networks: Option<CommaSeparated<i64>>,
    }

    #[test]
    fn shape_errors_name_the_field() {
        let err = parse_json::<Sample>(br#"{"ids": []}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::Malformed);
        assert!(err.fields.contains_key("name"), "{err:?}");
        let err = parse_json::<Sample>(br#"{"name": "abc", "ids": [], "x": 1}"#).unwrap_err();
        assert!(err.fields.contains_key("x"), "{err:?}");
        let err = parse_json::<Sample>(br#"{"name": 5, "ids": []}"#).unwrap_err();
        assert!(err.fields.contains_key("name"), "{err:?}");
        let err = parse_json::<Sample>(br#"{"name": "abc", "ids": ["a"]}"#).unwrap_err();
        assert!(err.fields.contains_key("ids[0]"), "{err:?}");
        let err = parse_json::<Sample>(br#"{"name": "abc""#).unwrap_err();
        assert!(err.fields.is_empty());
    }

    #[test]
    fn constraint_errors_name_the_field() {
        let value = parse_json::<Sample>(br#"{"name": "ab", "ids": [1, 1]}"#).unwrap();
        let err = check(&value).unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.fields["name"], vec!["must be 3 to 50 characters long"]);
        assert_eq!(err.fields["ids"], vec!["items must be unique"]);
        let value = parse_json::<Sample>(br#"{"name": "abc", "ids": [0]}"#).unwrap();
        assert_eq!(
            check(&value).unwrap_err().fields["ids"],
            vec!["items must be >= 1"]
        );
    }

    #[test]
    fn comma_separated_lists() {
        let q: ListQuery = serde_urlencoded::from_str("networks=1,5,7").unwrap();
        assert_eq!(q.networks.unwrap().0, vec![1, 5, 7]);
        let q: ListQuery = serde_urlencoded::from_str("").unwrap();
        assert!(q.networks.is_none());
        assert!(serde_urlencoded::from_str::<ListQuery>("networks=1,x").is_err());
    }
}
