//! Staff request bodies as types. [`read`] reads a JSON object into `T` (serde, with
//! `deny_unknown_fields`) and validates it with `validator`; every field that fails — of the
//! wrong type, breaking a rule — is listed in the one 422, in the type's order. (Unknown fields
//! and fields holding U+0000 are refused first, all of them in one 422: `json_object`.) The types
//! derive their OpenAPI schema, so the document describes what the code reads.
//!
//! Text fields are normalised as they are read (`domain::text::normalise`: NFC, line breaks,
//! invisible copy-paste characters), so the rules apply to what is stored.

use actix_web::HttpRequest;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use validator::{Validate, ValidationError, ValidationErrors};

use super::filters::MAX_ASSIGNEE_CHARS;
use crate::domain::field::{FieldCode, FieldError};
use crate::domain::role::Role;
use crate::domain::status::Status;
use crate::domain::text::{self, Lines};
use crate::error::ApiError;

/// A staff request body: its fields are serde's, its rules `validator`'s.
pub trait StaffBody: DeserializeOwned + Validate {
    /// The code of a value serde cannot read into `field`: `invalid_type` for text, but
    /// `invalid_value` for a field that takes one of a set of codes (a status, a role).
    fn unreadable(field: &str) -> FieldCode {
        let _ = field;
        FieldCode::InvalidType
    }
}

/// Reads a JSON body into `T` and validates it: 415 unless JSON, 400 unless an object, 422
/// naming every field that fails. Called in the handler, after the key is checked (so a
/// stranger learns nothing from the body's errors) and, where a path names an inquiry, after it
/// is found (a missing one is a 404 whatever the body). Not an extractor: extractors run side
/// by side, so the body's errors could come before the key's.
pub fn read<T: StaffBody>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    let fields = serde_aux::serde_introspection::serde_introspect::<T>();
    let object = super::json_object(req, body, fields)?;
    typed(object, fields, T::unreadable)
}

/// Reads a JSON object whose names are all among `fields` (the type's, in its order) into `T`
/// and validates it. Each field is read on its own first, so that every unreadable one is
/// named (serde stops at the first; the types take every field as optional, so one field alone
/// is a whole object), with the code `unreadable` gives; the rest is read and validated without
/// them, so that their rules are reported too. Errors: 422 naming every failing field, in the type's
/// order; a field left out because its value was unreadable is not also reported as missing.
pub(super) fn typed<T: DeserializeOwned + Validate>(
    object: serde_json::Map<String, serde_json::Value>,
    fields: &[&str],
    unreadable_code: impl Fn(&str) -> FieldCode,
) -> Result<T, ApiError> {
    let mut readable = object;
    let unreadable: Vec<&str> = fields
        .iter()
        .copied()
        .filter(|name| {
            readable.get(*name).is_some_and(|value| {
                let single = serde_json::Map::from_iter([(name.to_string(), value.clone())]);
                serde_json::from_value::<T>(serde_json::Value::Object(single)).is_err()
            })
        })
        .collect();
    for name in &unreadable {
        readable.remove(*name);
    }
    let value: T = serde_json::from_value(serde_json::Value::Object(readable))
        .map_err(|_| ApiError::MalformedBody)?;
    let invalid = match value.validate() {
        Ok(()) => Vec::new(),
        Err(errors) => field_errors(&errors, fields),
    };
    if unreadable.is_empty() && invalid.is_empty() {
        return Ok(value);
    }
    let mut errors = Vec::new();
    for &field in fields {
        if unreadable.contains(&field) {
            errors.push(FieldError::new(field, unreadable_code(field)));
        } else {
            errors.extend(invalid.iter().filter(|e| e.field == field).cloned());
        }
    }
    Err(ApiError::Validation(errors))
}

/// `validator`'s errors as field errors, in the order the type declares its fields. Each rule
/// below sets its error's code to a `FieldCode` and, for `too_long`, the `max` parameter.
fn field_errors(errors: &ValidationErrors, order: &[&str]) -> Vec<FieldError> {
    let by_field = errors.field_errors();
    let mut out = Vec::new();
    for &field in order {
        let failed = by_field.iter().filter(|(name, _)| name.as_ref() == field);
        for error in failed.flat_map(|(_, errors)| errors.iter()) {
            let code = match error.code.as_ref() {
                "required" => FieldCode::Required,
                "too_long" => FieldCode::TooLong,
                "line_break" => FieldCode::LineBreak,
                "control_characters" => FieldCode::ControlCharacters,
                "invalid_type" => FieldCode::InvalidType,
                _ => FieldCode::InvalidValue,
            };
            let max = error.params.get("max").and_then(|m| m.as_u64());
            out.push(match (code, max) {
                (FieldCode::TooLong, Some(max)) => FieldError::too_long(field, max as usize),
                _ => FieldError::new(field, code),
            });
        }
    }
    out
}

/// A `domain::text::check` failure as `validator`'s error.
pub(super) fn text_rule(
    field: &'static str,
    value: &str,
    max: usize,
    lines: Lines,
) -> Result<(), ValidationError> {
    text::check(field, value, max, lines).map_err(|e| {
        let mut error = ValidationError::new(e.code.as_str());
        if let Some(max) = e.max {
            error.add_param("max".into(), &max);
        }
        error
    })
}

/// Text, normalised as it is read.
fn normalised<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(|s| Some(text::normalise(&s)))
}

/// Text or `null` (present: `Some`), normalised; empty text is `Some(None)` as `null` is.
fn normalised_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d)
        .map(|s| Some(s.map(|s| text::normalise(&s)).filter(|s| !s.is_empty())))
}

/// A value parsed from its text (a code such as `Status` or `Role`, a number, an id):
/// surrounding spaces are ignored, nothing else.
pub(super) fn parsed<'de, D: Deserializer<'de>, T: std::str::FromStr>(
    d: D,
) -> Result<Option<T>, D::Error> {
    let text = String::deserialize(d)?;
    text.trim()
        .parse()
        .map(Some)
        .map_err(|_| serde::de::Error::custom("unknown code"))
}

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// The longest key name, in characters.
pub const MAX_KEY_NAME_CHARS: usize = 100;

/// `PATCH /api/v1/inquiries/{id}`: only these fields; each left out is kept.
#[derive(Debug, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InquiryPatch {
    /// new, contacted, qualified, won, lost or spam (allowed moves only).
    #[serde(deserialize_with = "parsed")]
    #[schema(value_type = Option<Status>)]
    pub status: Option<Status>,
    /// ≤ 50 characters, one line; `null` (or empty) unassigns.
    #[serde(deserialize_with = "normalised_or_null")]
    #[validate(custom(function = "assignee_rule"))]
    #[schema(value_type = Option<String>, nullable)]
    pub assignee: Option<Option<String>>,
}

fn assignee_rule(value: &str) -> Result<(), ValidationError> {
    text_rule("assignee", value, MAX_ASSIGNEE_CHARS, Lines::Single)
}

impl StaffBody for InquiryPatch {
    fn unreadable(field: &str) -> FieldCode {
        match field {
            "status" => FieldCode::InvalidValue,
            _ => FieldCode::InvalidType,
        }
    }
}

/// `POST /api/v1/inquiries/{id}/notes`.
#[derive(Debug, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NoteRequest {
    /// 1–2000 characters, several lines.
    #[serde(deserialize_with = "normalised")]
    #[validate(required, custom(function = "note_rule"))]
    #[schema(value_type = String, required = true)]
    pub body: Option<String>,
}

fn note_rule(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new("required"));
    }
    text_rule("body", value, MAX_NOTE_CHARS, Lines::Multi)
}

impl StaffBody for NoteRequest {}

/// `POST /api/v1/keys` (admin).
#[derive(Debug, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct KeyRequest {
    /// 1–100 characters, one line: who or what uses the key.
    #[serde(deserialize_with = "normalised")]
    #[validate(required, custom(function = "key_name_rule"))]
    #[schema(value_type = String, required = true)]
    pub name: Option<String>,
    /// sales or admin.
    #[serde(deserialize_with = "parsed")]
    #[validate(required(code = "invalid_value"))]
    #[schema(value_type = Role, required = true)]
    pub role: Option<Role>,
}

fn key_name_rule(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new("required"));
    }
    text_rule("name", value, MAX_KEY_NAME_CHARS, Lines::Single)
}

impl StaffBody for KeyRequest {
    fn unreadable(field: &str) -> FieldCode {
        match field {
            // A name that is not text is no name.
            "name" => FieldCode::Required,
            _ => FieldCode::InvalidValue,
        }
    }
}

/// `PATCH /api/v1/articles/{id}`: `{"title": "..." | null}`. Visitors can no longer rename an
/// article (the first inquiry that is not spam sets its title); staff correct it here.
#[derive(Debug, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ArticlePatch {
    /// 1–200 characters, one line; `null` or empty clears it (the next inquiry naming a title
    /// sets it again).
    #[serde(deserialize_with = "normalised_or_null")]
    #[validate(required, custom(function = "title_rule"))]
    #[schema(value_type = Option<String>, nullable, required = true)]
    pub title: Option<Option<String>>,
}

fn title_rule(value: &str) -> Result<(), ValidationError> {
    text_rule(
        "title",
        value,
        crate::domain::catalogue::ARTICLE_TITLE.max,
        Lines::Single,
    )
}

impl StaffBody for ArticlePatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_lists_are_serdes() {
        assert_eq!(
            serde_aux::serde_introspection::serde_introspect::<InquiryPatch>(),
            ["status", "assignee"]
        );
        assert_eq!(
            serde_aux::serde_introspection::serde_introspect::<KeyRequest>(),
            ["name", "role"]
        );
    }
}
