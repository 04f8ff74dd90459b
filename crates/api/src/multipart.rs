//! `multipart/form-data` bodies, deserialized and validated like the other extractors of
//! [`crate::extract`].
//!
//! Every part is a text field named by its `name`; its text is read the way a query string is:
//! `true`/`false` for booleans, decimal text for numbers and amounts (`12.50`). A field that
//! may be null is sent null as an empty text or as the text `null`. Each field is sent once.
//!
//! Failures name the field at fault: a body that is not `multipart/form-data` answers -12/415,
//! shape errors (a file part, a field given twice, a missing or unknown field, a value of the
//! wrong type) -10/400, broken constraints -11/422.

use crate::error::{ApiError, ErrorCode};
use crate::extract::check;
use crate::input::{self, Mode};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use validator::Validate;

/// A `multipart/form-data` body of text fields, deserialized and validated.
#[derive(Debug)]
pub struct ValidMultipart<T>(pub T);

impl<S, T> FromRequest<S> for ValidMultipart<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("multipart/form-data"));
        if !is_form {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected a body of type multipart/form-data",
            ));
        }
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|rejection| ApiError::new(ErrorCode::Malformed, rejection.body_text()))?;
        let mut fields = Vec::new();
        let mut seen = HashSet::new();
        while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name.is_empty() {
                return Err(ApiError::new(
                    ErrorCode::Malformed,
                    "every part of the body must have a name",
                ));
            }
            if field.file_name().is_some() {
                return Err(malformed(name, "must be a text field, not a file"));
            }
            if !seen.insert(name.clone()) {
                return Err(malformed(name, "is given more than once"));
            }
            let text = field.text().await.map_err(multipart_error)?;
            fields.push((name, text));
        }
        let value = parse_fields::<T>(fields)?;
        check(&value)?;
        Ok(ValidMultipart(value))
    }
}

fn malformed(field: String, problem: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Malformed,
        "the request does not have the expected shape",
    )
    .with_field(field, problem)
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, "request body too large")
    } else {
        ApiError::new(
            ErrorCode::Malformed,
            format!("invalid multipart body: {}", err.body_text()),
        )
    }
}

/// Deserialize named text fields, naming every field at fault when it fails (see
/// [`crate::input`]: texts read in [`Mode::Text`], control characters refused).
pub fn parse_fields<T: DeserializeOwned>(fields: Vec<(String, String)>) -> Result<T, ApiError> {
    let refused = input::control_characters_in(
        fields
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str())),
    );
    let document = input::texts(fields);
    let value = input::decode::<T>(&document, Mode::Text)?;
    input::refuse_control_characters(refused)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::required_nullable;
    use rust_decimal::Decimal;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        flag: bool,
        #[serde(deserialize_with = "required_nullable")]
        #[validate(range(min = 1, max = 3))]
        mode: Option<i16>,
        amount: Decimal,
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_text_fields_like_a_query_string() {
        let s: Sample = parse_fields(fields(&[
            ("flag", "true"),
            ("mode", "2"),
            ("amount", "12.50"),
        ]))
        .unwrap();
        assert!(s.flag);
        assert_eq!(s.mode, Some(2));
        assert_eq!(s.amount, Decimal::new(1250, 2));
        for null in ["", "null", " "] {
            let s: Sample = parse_fields(fields(&[
                ("flag", "false"),
                ("mode", null),
                ("amount", "0"),
            ]))
            .unwrap();
            assert_eq!(s.mode, None);
            assert!(!s.flag);
        }
    }

    #[test]
    fn shape_errors_name_the_field() {
        let err =
            parse_fields::<Sample>(fields(&[("flag", "yes"), ("mode", "1"), ("amount", "1")]))
                .unwrap_err();
        assert_eq!(err.code, ErrorCode::Malformed);
        assert!(err.fields.contains_key("flag"), "{err:?}");
        let err = parse_fields::<Sample>(fields(&[("flag", "true"), ("amount", "1")])).unwrap_err();
        assert!(err.fields.contains_key("mode"), "{err:?}");
        let err =
            parse_fields::<Sample>(fields(&[("flag", "true"), ("mode", "x"), ("amount", "1")]))
                .unwrap_err();
        assert!(err.fields.contains_key("mode"), "{err:?}");
        let err = parse_fields::<Sample>(fields(&[
            ("flag", "true"),
            ("mode", "1"),
            ("amount", "1"),
            ("other", "1"),
        ]))
        .unwrap_err();
        assert!(err.fields.contains_key("other"), "{err:?}");
        let s: Sample =
            parse_fields(fields(&[("flag", "true"), ("mode", "7"), ("amount", "1")])).unwrap();
        assert_eq!(check(&s).unwrap_err().code, ErrorCode::Validation);
    }
}
