//! How every extractor reads request input into typed values, and words its refusals.
//!
//! - **Text.** NUL and the other C0 control characters (U+0000 to U+001F) except tab, line
//!   feed and carriage return are refused in every text a request carries: JSON strings and
//!   keys, query strings, path parameters, multipart fields. No field of the API needs them,
//!   PostgreSQL cannot store NUL (it answered 500), and the others hide in names and keys.
//! - **Shape.** A JSON body is read into a [`serde_json::Value`] first (refusing duplicate
//!   keys), then into the request type by [`Strict`], which differs from serde_json in one
//!   point: a struct must be a JSON object (serde_json also reads an array into a struct,
//!   field by field, so `["email", "password"]` signed in). Query strings and multipart fields
//!   are read the same way in [`Mode::Text`], where a text is parsed into the number or
//!   boolean the field asks for.
//! - **Words.** serde's messages name Rust types (`expected struct LoginRequest`, `i64`,
//!   `a formatted date string`) or only the parser's complaint (`trailing input`). They are
//!   translated into what the field must be, learning the expected type by asking the type
//!   itself when the message does not say (see [`describe`]). When required fields are
//!   missing, all of them are reported at once (see [`explain`]).

use crate::error::{ApiError, ErrorCode};
use serde::de::value::{MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::fmt;

/// Whether `c` is refused in request text: C0 controls other than tab, LF and CR.
pub fn forbidden(c: char) -> bool {
    c.is_ascii_control() && c != '\x7f' && !matches!(c, '\t' | '\n' | '\r')
}

/// What is wrong with `text`, if it holds a refused character.
pub fn text_problem(text: &str) -> Option<String> {
    let c = text.chars().find(|c| forbidden(*c))?;
    Some(if c == '\0' {
        "must not contain the NUL character (U+0000)".to_owned()
    } else {
        format!(
            "must not contain control characters (found U+{:04X})",
            c as u32
        )
    })
}

/// Every string and key of `value` holding a refused character: (JSON path, problem).
pub fn control_characters(value: &Value) -> Vec<(String, String)> {
    fn walk(value: &Value, path: &mut Vec<Step>, out: &mut Vec<(String, String)>) {
        match value {
            Value::String(s) => {
                if let Some(problem) = text_problem(s) {
                    out.push((display(path), problem));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(item, path, out);
                    path.pop();
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    if let Some(problem) = text_problem(key) {
                        path.push(Step::Key(key.escape_debug().to_string()));
                        out.push((display(path), format!("the key {problem}")));
                        path.pop();
                        continue;
                    }
                    path.push(Step::Key(key.clone()));
                    walk(item, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

/// -11 naming each field whose text holds a refused character.
pub fn refuse_control_characters(found: Vec<(String, String)>) -> Result<(), ApiError> {
    if found.is_empty() {
        return Ok(());
    }
    let mut err = ApiError::new(ErrorCode::Validation, "invalid request");
    for (field, problem) in found {
        err = err.with_field(field, problem);
    }
    Err(err)
}

/// Read a JSON document, refusing a key given twice in one object (serde_json's `Value`
/// would keep the last one silently, where a typed read refuses it).
pub fn read_json(bytes: &[u8]) -> Result<Value, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: Unique = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = steps(err.path());
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(ErrorCode::Malformed, format!("invalid JSON: {inner}"))
        } else {
            shape(&path, &inner.to_string())
        }
    })?;
    de.end()
        .map_err(|e| ApiError::new(ErrorCode::Malformed, format!("invalid JSON: {e}")))?;
    Ok(value.0)
}

struct Unique(Value);

impl<'de> de::Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueVisitor).map(Unique)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            let Unique(item) = map.next_value()?;
            object.insert(key, item);
        }
        Ok(Value::Object(object))
    }
}

/// How the texts of a document are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// JSON: a number is a JSON number, a boolean a JSON boolean.
    Json,
    /// Query strings and multipart fields: every value is a text, read as the number or the
    /// boolean the field asks for; an empty text or `null` reads as null where null is allowed.
    Text,
}

/// A deserializer over a borrowed [`Value`], like serde_json's, except that a struct must be
/// a JSON object and that [`Mode::Text`] parses texts into the scalars asked for.
#[derive(Clone, Copy)]
pub struct Strict<'a> {
    value: &'a Value,
    mode: Mode,
}

impl<'a> Strict<'a> {
    pub fn new(value: &'a Value, mode: Mode) -> Self {
        Strict { value, mode }
    }

    fn child(&self, value: &'a Value) -> Self {
        Strict {
            value,
            mode: self.mode,
        }
    }

    /// The text of a text-mode field, if this is one.
    fn text(&self) -> Option<&'a str> {
        match (self.mode, self.value) {
            (Mode::Text, Value::String(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    fn invalid(&self, expected: &dyn de::Expected) -> serde_json::Error {
        de::Error::invalid_type(unexpected(self.value), expected)
    }
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (_, Some(i)) => Unexpected::Signed(i),
            _ => Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'de, 'a> IntoDeserializer<'de, serde_json::Error> for Strict<'a> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// The variants of an enum, as an expectation: "one of `a`, `b`".
struct OneOf(&'static [&'static str]);

impl de::Expected for OneOf {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let names: Vec<String> = self.0.iter().map(|v| format!("`{v}`")).collect();
        write!(f, "one of {}", names.join(", "))
    }
}

macro_rules! text_numbers {
    ($($method:ident => $visit:ident: $ty:ty;)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
            match self.text() {
                Some(text) => match text.trim().parse::<$ty>() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => Err(de::Error::invalid_value(Unexpected::Str(text), &stringify!($ty))),
                },
                None => self.deserialize_any(visitor),
            }
        })*
    };
}

impl<'de, 'a> Deserializer<'de> for Strict<'a> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (_, Some(i), _) => visitor.visit_i64(i),
                (_, _, f) => visitor.visit_f64(f.unwrap_or(f64::NAN)),
            },
            Value::String(s) => visitor.visit_str(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(|item| self.child(item)));
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Value::Object(map) => {
                let mut map = MapDeserializer::new(
                    map.iter()
                        .map(|(key, item)| (key.as_str(), self.child(item))),
                );
                let out = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match (self.value, self.text().map(str::trim)) {
            (Value::Null, _) | (_, Some("" | "null")) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.text() {
            Some(text) => match text.trim() {
                "true" => visitor.visit_bool(true),
                "false" => visitor.visit_bool(false),
                _ => Err(de::Error::invalid_value(
                    Unexpected::Str(text),
                    &"a boolean",
                )),
            },
            None => self.deserialize_any(visitor),
        }
    }

    text_numbers! {
        deserialize_i8 => visit_i8: i8;
        deserialize_i16 => visit_i16: i16;
        deserialize_i32 => visit_i32: i32;
        deserialize_i64 => visit_i64: i64;
        deserialize_u8 => visit_u8: u8;
        deserialize_u16 => visit_u16: u16;
        deserialize_u32 => visit_u32: u32;
        deserialize_u64 => visit_u64: u64;
        deserialize_f32 => visit_f32: f32;
        deserialize_f64 => visit_f64: f64;
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => Err(self.invalid(&"null")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.value {
            Value::Object(_) => self.deserialize_any(visitor),
            _ => Err(self.invalid(&"a JSON object")),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.value {
            Value::Array(_) => self.deserialize_any(visitor),
            _ => Err(self.invalid(&"a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Object(map) if map.len() == 1 => {
                visitor.visit_enum(MapAccessDeserializer::new(MapDeserializer::new(
                    map.iter()
                        .map(|(key, item)| (key.as_str(), self.child(item))),
                )))
            }
            _ => Err(self.invalid(&OneOf(variants))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit_struct identifier
    }
}

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
    /// serde_path_to_error could not tell (a buffered value): the path stops being followed.
    Unknown,
}

/// `a.b[0].c`, the way fields are named in errors; the document itself is `body`.
pub fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
            Step::Unknown => out.push_str(if out.is_empty() { "?" } else { ".?" }),
        }
    }
    if out.is_empty() {
        "body".to_owned()
    } else {
        out
    }
}

pub fn steps(path: &serde_path_to_error::Path) -> Vec<Step> {
    use serde_path_to_error::Segment;
    path.iter()
        .map(|segment| match segment {
            Segment::Seq { index } => Step::Index(*index),
            Segment::Map { key } => Step::Key(key.clone()),
            Segment::Enum { variant } => Step::Key(variant.clone()),
            Segment::Unknown => Step::Unknown,
        })
        .collect()
}

fn get_mut<'v>(value: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut at = value;
    for step in path {
        at = match (step, at) {
            (Step::Key(key), Value::Object(map)) => map.get_mut(key)?,
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(at)
}

/// Put `new` at `path` (the parent must exist); whether it could.
fn set(value: &mut Value, path: &[Step], new: Value) -> bool {
    let Some((last, parent)) = path.split_last() else {
        *value = new;
        return true;
    };
    match (last, get_mut(value, parent)) {
        (Step::Key(key), Some(Value::Object(map))) => {
            map.insert(key.clone(), new);
            true
        }
        (Step::Index(i), Some(Value::Array(items))) if *i < items.len() => {
            items[*i] = new;
            true
        }
        _ => false,
    }
}

/// A failed typed read: where, and serde's message.
#[derive(Debug)]
pub struct Failure {
    pub path: Vec<Step>,
    pub message: String,
}

impl<E: fmt::Display> From<serde_path_to_error::Error<E>> for Failure {
    fn from(err: serde_path_to_error::Error<E>) -> Self {
        Failure {
            path: steps(err.path()),
            message: err.inner().to_string(),
        }
    }
}

fn attempt<T: DeserializeOwned>(value: &Value, mode: Mode) -> Result<T, Failure> {
    serde_path_to_error::deserialize(Strict::new(value, mode)).map_err(Failure::from)
}

/// Read `T` from `value`, or the error naming every field at fault.
pub fn decode<T: DeserializeOwned>(value: &Value, mode: Mode) -> Result<T, ApiError> {
    attempt(value, mode).map_err(|failure| explain::<T>(value, mode, failure))
}

/// The most typed reads spent looking for further missing fields.
const MAX_ATTEMPTS: usize = 64;

/// The error for `first`, a failed read of `T` from `value`.
///
/// serde stops at the first missing field. To report all of them, the read is tried again
/// with a placeholder where each missing field was: `null` first, which the field's own type
/// refuses naming what it expects ("invalid type: null, expected a formatted date string"),
/// then a value of that kind (see [`placeholder`]). Whatever fails inside a placeholder is
/// ours, not the client's, and is not reported. The search stops at the first error in the
/// client's own data (reported too), when a placeholder cannot be found, or after
/// [`MAX_ATTEMPTS`] reads. serde is the truth about what is required (`Option`s, defaults,
/// `required_nullable`), so no second description of the request types can drift from it.
pub fn explain<T: DeserializeOwned>(value: &Value, mode: Mode, first: Failure) -> ApiError {
    let mut err = ApiError::new(
        ErrorCode::Malformed,
        "the request does not have the expected shape",
    );
    if missing_name(&first.message).is_none() {
        let (field, problem) = describe::<T>(value, mode, &first);
        return err.with_field(field, problem);
    }
    let mut doc = value.clone();
    let mut placeholders: Vec<Vec<Step>> = Vec::new();
    let mut failure = first;
    for _ in 0..MAX_ATTEMPTS {
        let ours = |path: &[Step]| placeholders.iter().any(|p| path.starts_with(p));
        if let Some(name) = missing_name(&failure.message) {
            let mut at = failure.path.clone();
            at.push(Step::Key(name.to_owned()));
            if !ours(&at) {
                err = err.with_field(display(&at), "is required");
            }
            if !set(&mut doc, &at, Value::Null) {
                break;
            }
            placeholders.push(at);
        } else if ours(&failure.path) {
            let fits = placeholder(&failure.message);
            let current = get_mut(&mut doc, &failure.path).map(|v| v.clone());
            match fits {
                Some(new) if current.as_ref() != Some(&new) => {
                    if !set(&mut doc, &failure.path, new) {
                        break;
                    }
                }
                _ => break,
            }
        } else {
            let (field, problem) = describe::<T>(&doc, mode, &failure);
            err = err.with_field(field, problem);
            break;
        }
        match attempt::<T>(&doc, mode) {
            Ok(_) => break,
            Err(next) => failure = next,
        }
    }
    err
}

fn missing_name(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

/// A value of the kind an "invalid type: null, expected ..." message asks for.
fn placeholder(message: &str) -> Option<Value> {
    let expected = message.split(", expected ").nth(1)?;
    let kind = Kind::of(expected);
    Some(match kind {
        Kind::DateTime => Value::String("2000-01-01T00:00:00Z".into()),
        Kind::Date => Value::String("2000-01-01".into()),
        Kind::Time => Value::String("00:00:00".into()),
        Kind::Uuid => Value::String("00000000-0000-0000-0000-000000000000".into()),
        Kind::Decimal => Value::String("0".into()),
        Kind::Integer(..) | Kind::Number => Value::Number(0.into()),
        Kind::Boolean => Value::Bool(false),
        Kind::Text => Value::String(String::new()),
        Kind::List => Value::Array(Vec::new()),
        Kind::Object => Value::Object(Map::new()),
        Kind::Variants => Value::String(expected.split('`').nth(1)?.to_owned()),
        Kind::Other => return None,
    })
}

/// What a field must be, from serde's "expected ..." words.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    DateTime,
    Date,
    Time,
    Uuid,
    Decimal,
    /// An integer type, with its bounds when narrower than 64 bits.
    Integer(Option<(i64, i64)>, bool),
    Number,
    Boolean,
    Text,
    List,
    Object,
    /// "one of `a`, `b`", "`a` or `b`"
    Variants,
    Other,
}

impl Kind {
    fn of(expected: &str) -> Kind {
        let expected = expected.trim();
        // A Rust path (`chrono::naive::date::NaiveDate`, from axum's path errors): its name.
        let name = expected.rsplit("::").next().unwrap_or(expected);
        match name {
            "i8" => Kind::Integer(Some((i8::MIN.into(), i8::MAX.into())), false),
            "i16" => Kind::Integer(Some((i16::MIN.into(), i16::MAX.into())), false),
            "i32" => Kind::Integer(Some((i32::MIN.into(), i32::MAX.into())), false),
            "i64" | "i128" | "isize" | "an integer" => Kind::Integer(None, false),
            "u8" => Kind::Integer(Some((0, u8::MAX.into())), true),
            "u16" => Kind::Integer(Some((0, u16::MAX.into())), true),
            "u32" => Kind::Integer(Some((0, u32::MAX.into())), true),
            "u64" | "u128" | "usize" | "a non-negative integer" => Kind::Integer(None, true),
            "f32" | "f64" | "a number" => Kind::Number,
            "a boolean" | "bool" | "`true` or `false`" => Kind::Boolean,
            "a string" | "a borrowed string" | "String" | "str" | "a character" | "char" => {
                Kind::Text
            }
            "a list" | "a sequence" => Kind::List,
            "a JSON object" | "a map" => Kind::Object,
            _ if name.contains("date and time") || name.starts_with("DateTime") => Kind::DateTime,
            _ if name.contains("date string") || name == "NaiveDate" => Kind::Date,
            _ if name.contains("time string") || name == "NaiveTime" => Kind::Time,
            _ if name.contains("UUID") || name == "Uuid" => Kind::Uuid,
            _ if name.contains("Decimal") || name.contains("decimal") => Kind::Decimal,
            _ if name.starts_with("one of `") || name.starts_with('`') => Kind::Variants,
            _ if name.starts_with("struct ") || name.starts_with("map") => Kind::Object,
            _ if name.starts_with("tuple") || name.starts_with("a sequence") => Kind::List,
            _ => Kind::Other,
        }
    }

    /// Whether a text is parsed into this kind: then a parser's complaint ("trailing input")
    /// is better said as the kind expected.
    fn parsed_from_text(self) -> bool {
        !matches!(
            self,
            Kind::Text | Kind::List | Kind::Object | Kind::Variants | Kind::Other
        )
    }

    fn words(self, expected: &str) -> String {
        match self {
            Kind::DateTime => "a date-time in RFC 3339 form, e.g. 2026-12-01T08:00:00Z".into(),
            Kind::Date => "a date, YYYY-MM-DD (e.g. 2026-12-01)".into(),
            Kind::Time => "a time of day, HH:MM:SS (e.g. 08:00:00)".into(),
            Kind::Uuid => "a UUID".into(),
            Kind::Decimal => "a decimal number, e.g. \"12.50\"".into(),
            Kind::Integer(Some((min, max)), _) => format!("an integer from {min} to {max}"),
            Kind::Integer(None, false) => "an integer".into(),
            Kind::Integer(None, true) => "a non-negative integer".into(),
            Kind::Number => "a number".into(),
            Kind::Boolean => "`true` or `false`".into(),
            Kind::Text => "a string".into(),
            Kind::List => "a list".into(),
            Kind::Object => "a JSON object".into(),
            Kind::Variants => expected.to_owned(),
            Kind::Other => scrub(expected),
        }
    }
}

/// What a field must be, in plain words, from serde's expectation (`i64`, `struct X`, ...).
pub fn friendly(expected: &str) -> String {
    Kind::of(expected).words(expected)
}

/// serde's words for what was given, said plainly.
fn given(unexpected: &str) -> &'static str {
    match unexpected.split([' ', '`', '"']).next().unwrap_or("") {
        "string" => "a string",
        "integer" | "floating" => "a number",
        "boolean" => "a boolean",
        "null" | "unit" => "null",
        "sequence" => "a list",
        "map" => "a JSON object",
        _ => "something else",
    }
}

/// Rust type names left in a message, in plain words.
fn scrub(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            let bare = word.trim_matches(|c: char| matches!(c, ',' | '`' | '.' | ':'));
            match Kind::of(bare) {
                Kind::Integer(..) | Kind::Number if bare.len() <= 5 => {
                    word.replace(bare, &Kind::of(bare).words(bare))
                }
                _ => word.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace("struct ", "object ")
}

/// The field at fault and its problem, for one failed read of `T` from `value`.
pub fn describe<T: DeserializeOwned>(
    value: &Value,
    mode: Mode,
    failure: &Failure,
) -> (String, String) {
    let message = failure.message.as_str();
    let field = display(&failure.path);
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(|name| {
                // An unknown field's path already ends with it; a missing one's is its parent.
                if failure.path.last() == Some(&Step::Key(name.to_owned())) {
                    field.clone()
                } else if failure.path.is_empty() {
                    name.to_owned()
                } else {
                    format!("{field}.{name}")
                }
            })
    };
    if let Some(field) = named("missing field `") {
        return (field, "is required".into());
    }
    if let Some(field) = named("unknown field `") {
        return (field, "is not a known field".into());
    }
    if let Some(field) = named("duplicate field `") {
        return (field, "is given more than once".into());
    }
    if let Some((got, expected)) = message
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        return (
            field,
            format!("must be {}, not {}", friendly(expected), given(got)),
        );
    }
    for prefix in ["invalid value: ", "invalid length "] {
        if let Some((_, expected)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once(", expected "))
        {
            return (field, format!("must be {}", friendly(expected)));
        }
    }
    if message.starts_with("unknown variant `") {
        let expected = message.split_once(", expected ").map_or("", |(_, e)| e);
        return (field, format!("must be {expected}"));
    }
    // The type's own parser spoke ("trailing input", "invalid digit found in string"): ask
    // the type what it expects by handing it something it cannot take.
    if let Some(kind) = expected_at::<T>(value, mode, &failure.path)
        && kind.0.parsed_from_text()
    {
        return (field, format!("must be {}", kind.0.words(&kind.1)));
    }
    (field, scrub(message))
}

/// What the field at `path` expects, learned from the type's refusal of a boolean there.
fn expected_at<T: DeserializeOwned>(
    value: &Value,
    mode: Mode,
    path: &[Step],
) -> Option<(Kind, String)> {
    if path.is_empty() || path.contains(&Step::Unknown) {
        return None;
    }
    let mut probe = value.clone();
    if !set(&mut probe, path, Value::Bool(true)) {
        return None;
    }
    let failure = attempt::<T>(&probe, mode).err()?;
    if failure.path != path {
        return None;
    }
    let expected = failure
        .message
        .strip_prefix("invalid type: boolean `true`, expected ")?
        .to_owned();
    Some((Kind::of(&expected), expected))
}

/// A shape error (-10) at `path` with serde's `message` (no typed value to ask).
pub fn shape(path: &[Step], message: &str) -> ApiError {
    let failure = Failure {
        path: path.to_vec(),
        message: message.to_owned(),
    };
    let (field, problem) = describe::<serde::de::IgnoredAny>(&Value::Null, Mode::Json, &failure);
    ApiError::new(
        ErrorCode::Malformed,
        "the request does not have the expected shape",
    )
    .with_field(field, problem)
}

/// The fields of a query string or a multipart body as a document of texts (the last value
/// of a name given twice).
pub fn texts(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(name, text)| (name, Value::String(text)))
            .collect(),
    )
}

/// Refused characters in named texts (query pairs, multipart fields, path parameters).
pub fn control_characters_in<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, String)> {
    let mut found = BTreeMap::new();
    for (name, text) in pairs {
        if let Some(problem) = text_problem(name) {
            found
                .entry(name.escape_debug().to_string())
                .or_insert(format!("the name {problem}"));
        } else if let Some(problem) = text_problem(text) {
            found.entry(name.to_owned()).or_insert(problem);
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Address {
        city: String,
        postcode: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Color {
        Red,
        Blue,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        day: chrono::NaiveDate,
        at: chrono::DateTime<chrono::Utc>,
        color: Color,
        count: i16,
        address: Address,
        #[serde(deserialize_with = "crate::extract::required_nullable")]
        note: Option<String>,
        tags: Vec<String>,
        optional: Option<i64>,
    }

    fn fields(err: &ApiError) -> Vec<(&str, &str)> {
        err.fields
            .iter()
            .map(|(k, v)| (k.as_str(), v[0].as_str()))
            .collect()
    }

    #[test]
    fn every_missing_field_is_named_and_only_those() {
        let err = decode::<Sample>(&serde_json::json!({"count": 1}), Mode::Json).unwrap_err();
        assert_eq!(err.code, ErrorCode::Malformed);
        let names: Vec<&str> = fields(&err).iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            ["address", "at", "color", "day", "name", "note", "tags"]
        );
        // Inside an object given, its own missing fields.
        let err = decode::<Sample>(
            &serde_json::json!({"name": "n", "day": "2026-12-01", "at": "2026-12-01T08:00:00Z",
                "color": "red", "count": 1, "address": {}, "note": null, "tags": []}),
            Mode::Json,
        )
        .unwrap_err();
        assert_eq!(
            fields(&err),
            [
                ("address.city", "is required"),
                ("address.postcode", "is required")
            ]
        );
    }

    #[test]
    fn shapes_are_said_in_plain_words() {
        let ok = serde_json::json!({"name": "n", "day": "2026-12-01", "at": "2026-12-01T08:00:00Z",
            "color": "red", "count": 1, "address": {"city": "c", "postcode": "p"}, "note": null,
            "tags": []});
        assert!(decode::<Sample>(&ok, Mode::Json).is_ok());
        for (field, value, problem) in [
            (
                "day",
                serde_json::json!("2026-12-01T08:00:00Z"),
                "must be a date, YYYY-MM-DD (e.g. 2026-12-01)",
            ),
            (
                "at",
                serde_json::json!("2026-12-01"),
                "must be a date-time in RFC 3339 form, e.g. 2026-12-01T08:00:00Z",
            ),
            (
                "color",
                serde_json::json!("green"),
                "must be `red` or `blue`",
            ),
            (
                "color",
                serde_json::json!(3),
                "must be one of `red`, `blue`, not a number",
            ),
            (
                "count",
                serde_json::json!(70000),
                "must be an integer from -32768 to 32767",
            ),
            (
                "count",
                serde_json::json!("1"),
                "must be an integer from -32768 to 32767, not a string",
            ),
            (
                "address",
                serde_json::json!(["c", "p"]),
                "must be a JSON object, not a list",
            ),
            (
                "tags",
                serde_json::json!("a"),
                "must be a list, not a string",
            ),
        ] {
            let mut body = ok.clone();
            body[field] = value;
            let err = decode::<Sample>(&body, Mode::Json).unwrap_err();
            assert_eq!(fields(&err), [(field, problem)], "{field}");
        }
        let err = decode::<Sample>(&serde_json::json!([1, 2]), Mode::Json).unwrap_err();
        assert_eq!(
            fields(&err),
            [("body", "must be a JSON object, not a list")]
        );
    }

    #[test]
    fn texts_are_read_as_the_field_asks() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Form {
            flag: bool,
            count: Option<i64>,
            day: chrono::NaiveDate,
        }
        let form = texts([
            ("flag".to_owned(), "true".to_owned()),
            ("count".to_owned(), "".to_owned()),
            ("day".to_owned(), "2026-12-01".to_owned()),
        ]);
        let read: Form = decode(&form, Mode::Text).unwrap();
        assert!(read.flag && read.count.is_none());
        let form = texts([
            ("flag".to_owned(), "yes".to_owned()),
            ("day".to_owned(), "2026-12-01".to_owned()),
        ]);
        let err = decode::<Form>(&form, Mode::Text).unwrap_err();
        assert_eq!(fields(&err), [("flag", "must be `true` or `false`")]);
    }

    #[test]
    fn control_characters_are_found_with_their_path() {
        let found =
            control_characters(&serde_json::json!({"a": ["ok\t\n", "x\u{0}"], "b\u{7}": 1}));
        assert_eq!(
            found,
            [
                (
                    "a[1]".to_owned(),
                    "must not contain the NUL character (U+0000)".to_owned()
                ),
                (
                    "b\\u{7}".to_owned(),
                    "the key must not contain control characters (found U+0007)".to_owned()
                ),
            ]
        );
    }
}
