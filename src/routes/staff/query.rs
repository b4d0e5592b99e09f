//! Staff query strings as types. [`read`] decodes the query string ([`params::query_pairs`]:
//! UTF-8 only, no control characters, none too long), reads it into `T` (serde, with
//! `deny_unknown_fields`) and validates it with `validator`, exactly as a staff body is read
//! (`body::typed`): every parameter that fails is named in the one 422, in the type's order.
//! The types derive their OpenAPI parameters (`IntoParams`), so the document describes what
//! the code reads.
//!
//! A parameter given twice is refused (which one was meant?), except `status`, whose values add
//! up (`status=new&status=won` is `status=new,won`). An empty value is no value, as a filter
//! form that leaves a box empty sends it. `_` (a client's cache-buster) is ignored.

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use validator::{Validate, ValidationError};

mod types;
pub use types::*;

use super::body::{parsed, typed};
use super::filters::decode_cursor;
use super::params;
use crate::domain::field::{FieldCode, FieldError};
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

/// A query string (without `?`) into `T`, with its decoded pairs; errors as [`read`]: every
/// failing parameter is named — undecodable, unknown, given twice, unreadable or breaking a
/// rule — in one 422.
pub fn parse<T: DeserializeOwned + Validate>(
    query_string: &str,
) -> Result<(T, Vec<(String, String)>), ApiError> {
    let (pairs, mut errors) = params::decode_pairs(query_string);
    let fields = serde_aux::serde_introspection::serde_introspect::<T>();
    let mut object = serde_json::Map::new();
    let named = |errors: &mut Vec<FieldError>, name: &str, code: FieldCode| {
        if !errors.iter().any(|e| e.field == name) {
            errors.push(FieldError::new(name, code));
        }
    };
    for (name, value) in &pairs {
        if name == CACHE_BUSTER {
            continue;
        }
        if !fields.contains(&name.as_str()) {
            named(&mut errors, name, FieldCode::UnknownField);
            continue;
        }
        // An empty box of a filter form is no value.
        if value.trim().is_empty() {
            continue;
        }
        match object.get(name) {
            Some(serde_json::Value::String(before)) if name == "status" => {
                let both = format!("{before},{value}");
                object.insert(name.clone(), serde_json::Value::String(both));
            }
            // Which one was meant? Refused rather than guessed.
            Some(_) => named(&mut errors, name, FieldCode::InvalidValue),
            None => {
                object.insert(name.clone(), serde_json::Value::String(value.clone()));
            }
        }
    }
    for name in errors.iter().map(|e| e.field.clone()).collect::<Vec<_>>() {
        object.remove(&name);
    }
    // Every value here is text: one serde cannot read is a value outside the parameter's set.
    match typed::<T>(object, fields, |_| FieldCode::InvalidValue) {
        Ok(value) if errors.is_empty() => Ok((value, pairs)),
        Ok(_) => Err(ApiError::Validation(errors)),
        Err(ApiError::Validation(more)) => {
            errors.extend(more);
            Err(ApiError::Validation(errors))
        }
        Err(other) => Err(other),
    }
}

/// The parameter jQuery's `cache: false` (and other clients) add to defeat caches, `_=<time>`:
/// ignored wherever it appears.
pub const CACHE_BUSTER: &str = "_";

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
