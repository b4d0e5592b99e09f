//! Staff query strings as types. [`read`] decodes the query string ([`params::query_pairs`]:
//! UTF-8 only, no control characters, none too long), reads it into `T` (serde, with
//! `deny_unknown_fields`) and validates it with `validator`, exactly as a staff body is read
//! (`body::typed`): every parameter that fails is named in the one 422, in the type's order.
//! The types derive their OpenAPI parameters (`IntoParams`), so the document describes what
//! the code reads.
//!
//! A parameter given twice counts once, the last one; `status` is the exception, its values
//! add up (`status=new&status=won` is `status=new,won`). An empty value is no value for the
//! parameters that filter (`status`, `q`, `assignee`, `cursor`, `lang`), as a form that
//! leaves a box empty sends them.

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use validator::{Validate, ValidationError};

mod types;
pub use types::*;

use super::body::typed;
use super::filters::decode_cursor;
use super::params;
use crate::domain::field::FieldCode;
use crate::domain::phone::PhoneNumber;
use crate::domain::search;
use crate::domain::status::Status;
use crate::domain::text;
use crate::error::ApiError;
use crate::storage::inquiries::Position;

/// Reads the request's query string into `T`: 422 naming every parameter that fails, unknown
/// ones included.
pub fn read<T: DeserializeOwned + Validate>(req: &HttpRequest) -> Result<T, ApiError> {
    read_pairs(req).map(|(value, _)| value)
}

/// [`read`], with the decoded pairs as sent (the access log keeps what a search asked for).
pub fn read_pairs<T: DeserializeOwned + Validate>(
    req: &HttpRequest,
) -> Result<(T, Vec<(String, String)>), ApiError> {
    parse(req.query_string())
}

/// A query string (without `?`) into `T`, with its decoded pairs; errors as [`read`].
pub fn parse<T: DeserializeOwned + Validate>(
    query_string: &str,
) -> Result<(T, Vec<(String, String)>), ApiError> {
    let pairs = params::query_pairs(query_string).map_err(ApiError::Validation)?;
    let fields = serde_aux::serde_introspection::serde_introspect::<T>();
    let mut object = serde_json::Map::new();
    let mut unknown = Vec::new();
    for (name, value) in &pairs {
        if !fields.contains(&name.as_str()) {
            if !unknown
                .iter()
                .any(|e: &crate::domain::field::FieldError| &e.field == name)
            {
                unknown.push(crate::domain::field::FieldError::new(
                    name.clone(),
                    FieldCode::UnknownField,
                ));
            }
            continue;
        }
        let value = match object.get(name) {
            Some(serde_json::Value::String(before)) if name == "status" => {
                format!("{before},{value}")
            }
            _ => value.clone(),
        };
        object.insert(name.clone(), serde_json::Value::String(value));
    }
    if !unknown.is_empty() {
        return Err(ApiError::Validation(unknown));
    }
    // Every value here is text: one serde cannot read is a value outside the parameter's set.
    let value = typed(object, fields, |_| FieldCode::InvalidValue)?;
    Ok((value, pairs))
}

/// A value parsed from its text, surrounding spaces ignored.
fn parsed<'de, D: Deserializer<'de>, T: std::str::FromStr>(d: D) -> Result<Option<T>, D::Error> {
    let text = String::deserialize(d)?;
    text.trim()
        .parse()
        .map(Some)
        .map_err(|_| serde::de::Error::custom("invalid value"))
}

/// An RFC 3339 instant PostgreSQL can hold ([`params::timestamp`]).
fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text = String::deserialize(d)?;
    params::timestamp("", &text)
        .map(Some)
        .map_err(|_| serde::de::Error::custom("invalid timestamp"))
}

/// One or several statuses, comma-separated, each once, in the order given; empty is none.
fn statuses<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Status>>, D::Error> {
    let text = String::deserialize(d)?;
    let mut statuses = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let status = Status::parse(part).ok_or_else(|| serde::de::Error::custom("status"))?;
        if !statuses.contains(&status) {
            statuses.push(status);
        }
    }
    Ok(Some(statuses))
}

/// Any spelling of a phone number the intake accepts, as E.164.
fn phone<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    PhoneNumber::parse(text.trim())
        .map(|p| Some(p.as_e164().to_string()))
        .ok_or_else(|| serde::de::Error::custom("phone"))
}

/// Search text as the index holds it (normalised, lower-cased); empty is none.
fn search_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    let q = search::lower(&text::normalise(text.trim()));
    Ok(Some(q).filter(|q| !q.is_empty()))
}

/// Text normalised as PATCH stores it; empty is none.
fn normalised_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    Ok(Some(text::normalise(text.trim())).filter(|s| !s.is_empty()))
}

/// A list cursor ([`super::filters::encode_cursor`]); empty is none.
fn list_cursor<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Position>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    decode_cursor(text)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("cursor"))
}

/// A rule's failure as the `invalid_value` of the one 422.
fn invalid() -> ValidationError {
    ValidationError::new("invalid_value")
}
