//! Field errors: which input failed and why, as a stable code. Messages are localised in
//! `crate::error`, never built from the value itself.

use serde::Serialize;

/// A stable, documented reason why a field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldCode {
    Required,
    TooLong,
    InvalidType,
    ControlCharacters,
    LineBreak,
    InvalidPhone,
    InvalidEmail,
    ConsentRequired,
    InvalidConsent,
    InvalidValue,
    UnknownField,
}

impl FieldCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::TooLong => "too_long",
            Self::InvalidType => "invalid_type",
            Self::ControlCharacters => "control_characters",
            Self::LineBreak => "line_break",
            Self::InvalidPhone => "invalid_phone",
            Self::InvalidEmail => "invalid_email",
            Self::ConsentRequired => "consent_required",
            Self::InvalidConsent => "invalid_consent",
            Self::InvalidValue => "invalid_value",
            Self::UnknownField => "unknown_field",
        }
    }
}

/// One failing field. `max` carries the limit for `too_long` so the message can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: FieldCode,
    pub max: Option<usize>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: FieldCode) -> Self {
        Self {
            field: field.into(),
            code,
            max: None,
        }
    }

    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        Self {
            field: field.into(),
            code: FieldCode::TooLong,
            max: Some(max),
        }
    }
}
