//! What PostgreSQL can take, checked once for every staff route before any SQL. A value it
//! cannot take is a 422 naming the parameter, never a 500 and never a download cut short:
//! PostgreSQL `text` and `jsonb` cannot hold U+0000 at all, and `timestamptz` ends where chrono
//! does not. Every staff query string goes through [`query_pairs`], every staff JSON body
//! through [`nul_fields`], every staff timestamp through [`timestamp`] or [`storable`].

use chrono::{DateTime, Utc};

use crate::domain::field::{FieldCode, FieldError};
use crate::domain::text;

/// No staff query parameter is longer (searches are at most 100 characters, assignees 50,
/// cursors 48): a longer value is a mistake, refused rather than sent to the database.
pub const MAX_PARAM_CHARS: usize = 1000;

/// PostgreSQL's first `timestamptz`, 4714-11-24 00:00:00 UTC BC (Julian day 0), in microseconds
/// since 1970. chrono goes back to 262145 BC; such a value bound as a parameter is refused by the
/// server ("timestamp out of range"). PostgreSQL's last one (294276 AD) is beyond chrono's own
/// maximum (262143 AD), so no chrono value is too late.
const POSTGRES_FIRST_MICROS: i64 = -210_866_803_200_000_000;

/// Whether PostgreSQL can hold this instant as a `timestamptz`.
pub fn storable(t: DateTime<Utc>) -> bool {
    t.timestamp_micros() >= POSTGRES_FIRST_MICROS
}

/// An RFC 3339 timestamp (a space for the `T` is accepted) that PostgreSQL can hold.
pub fn timestamp(field: &str, value: &str) -> Result<DateTime<Utc>, FieldError> {
    // chrono's RFC 3339 parser takes four-digit years only (0000–9999), all inside
    // `timestamptz`; the range check keeps that true whatever parses the text.
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .filter(|t| storable(*t))
        .ok_or_else(|| FieldError::new(field, FieldCode::InvalidValue))
}

/// A query string as `(name, value)` pairs, as `application/x-www-form-urlencoded` encodes them.
/// Unlike a lossy decoder, a value that is not UTF-8 (a GBK page's link) is refused instead of
/// becoming U+FFFD that matches nothing; so is a value holding a control character (U+0000
/// included: no staff parameter has one) or longer than [`MAX_PARAM_CHARS`]. Every failing
/// parameter is named.
pub fn query_pairs(query: &str) -> Result<Vec<(String, String)>, Vec<FieldError>> {
    let (pairs, errors) = decode_pairs(query);
    if errors.is_empty() {
        Ok(pairs)
    } else {
        Err(errors)
    }
}

/// [`query_pairs`], as the pairs it could read and the errors of those it could not: a caller
/// that checks the readable ones too can name every failing parameter at once.
pub fn decode_pairs(query: &str) -> (Vec<(String, String)>, Vec<FieldError>) {
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = part.split_once('=').unwrap_or((part, ""));
        let name = String::from_utf8_lossy(&text::form_unescape(raw_name.as_bytes())).into_owned();
        let value = match String::from_utf8(text::form_unescape(raw_value.as_bytes()).into_owned())
        {
            Ok(value) => value,
            Err(_) => {
                errors.push(FieldError::new(name, FieldCode::InvalidValue));
                continue;
            }
        };
        if value.chars().any(char::is_control) {
            errors.push(FieldError::new(name, FieldCode::ControlCharacters));
        } else if value.chars().count() > MAX_PARAM_CHARS {
            errors.push(FieldError::too_long(name, MAX_PARAM_CHARS));
        } else {
            pairs.push((name, value));
        }
    }
    (pairs, errors)
}

/// `+` is a space, `%XX` a byte; a `%` without two hex digits stays as it is (as browsers do).
/// The top-level fields of a staff JSON body that hold U+0000 anywhere (in a string or a key,
/// at any depth): PostgreSQL can store it neither in `text` nor in `jsonb`. Other control
/// characters are each field's own rule (a note may hold line breaks and tabs).
pub fn nul_fields(object: &serde_json::Map<String, serde_json::Value>) -> Vec<FieldError> {
    object
        .iter()
        .filter(|(name, value)| name.contains('\0') || holds_nul(value))
        .map(|(name, _)| FieldError::new(name.clone(), FieldCode::ControlCharacters))
        .collect()
}

fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(query: &str) -> Vec<(String, FieldCode)> {
        match query_pairs(query) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
        }
    }

    #[test]
    fn query_pairs_decode_like_a_browser_form() {
        let pairs =
            query_pairs("q=%E5%B7%A5%E4%B8%9A+%E7%94%A8%E5%9C%B0&a=1%2B1&b=100%&c&=x&&d=%zz")
                .unwrap();
        let expected = [
            ("q", "工业 用地"),
            ("a", "1+1"),
            ("b", "100%"),
            ("c", ""),
            ("", "x"),
            ("d", "%zz"),
        ];
        let got: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, expected);
        // A sign after `%` is not a hex digit.
        assert_eq!(query_pairs("a=%+1").unwrap()[0].1, "% 1");
    }

    #[test]
    fn query_values_postgres_cannot_take_are_named() {
        for (query, field, code) in [
            ("assignee=%00", "assignee", FieldCode::ControlCharacters),
            (
                "assignee=%E7%8E%8B%00",
                "assignee",
                FieldCode::ControlCharacters,
            ),
            ("q=%1B%5B31m", "q", FieldCode::ControlCharacters),
            ("q=a%0Ab", "q", FieldCode::ControlCharacters),
            ("q=a%09b", "q", FieldCode::ControlCharacters),
            ("q=a%C2%85b", "q", FieldCode::ControlCharacters),
            ("q=a%7F", "q", FieldCode::ControlCharacters),
            ("assignee=%D5%C5%C8%FD", "assignee", FieldCode::InvalidValue),
            ("assignee=%ED%A0%80", "assignee", FieldCode::InvalidValue),
            ("assignee=%FF", "assignee", FieldCode::InvalidValue),
        ] {
            assert_eq!(codes(query), [(field.to_string(), code)], "{query}");
        }
        let long = format!("q={}", "a".repeat(MAX_PARAM_CHARS + 1));
        assert_eq!(
            codes(&long),
            [("q".to_string(), FieldCode::TooLong)],
            "overlong"
        );
        assert!(query_pairs(&format!("q={}", "厂".repeat(MAX_PARAM_CHARS))).is_ok());
        let both = codes("from=%00&status=new&to=%FF");
        assert_eq!(both.len(), 2, "every failing parameter is named: {both:?}");
    }

    #[test]
    fn timestamps_are_rfc3339_inside_postgres_range() {
        for ok in [
            "2026-11-27T08:00:00+08:00",
            "2026-11-27 08:00:00Z",
            "0000-01-01T00:00:00Z",
            "0000-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59.999999999-23:59",
            "2016-12-31T23:59:60Z",
            " 2026-11-27T00:00:00Z ",
        ] {
            assert!(timestamp("from", ok).is_ok(), "{ok}");
        }
        for bad in [
            "+10000-01-01T00:00:00Z",
            "-0001-01-01T00:00:00Z",
            "10000-01-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27",
            "2026-11-27T00:00:00+24:00",
            "yesterday",
            "",
        ] {
            let error = timestamp("from", bad).unwrap_err();
            assert_eq!(
                (error.field.as_str(), error.code),
                ("from", FieldCode::InvalidValue),
                "{bad}"
            );
        }
    }

    #[test]
    fn postgres_range_starts_at_julian_day_zero_and_chrono_never_passes_its_end() {
        let first = DateTime::from_timestamp_micros(POSTGRES_FIRST_MICROS).unwrap();
        assert_eq!(first.to_rfc3339(), "-4713-11-24T00:00:00+00:00");
        assert!(storable(first));
        assert!(!storable(first - chrono::Duration::microseconds(1)));
        assert!(!storable(DateTime::<Utc>::MIN_UTC));
        // PostgreSQL's last timestamptz is 294276-12-31; chrono stops earlier.
        assert!(storable(DateTime::<Utc>::MAX_UTC));
        assert!(chrono::Datelike::year(&DateTime::<Utc>::MAX_UTC) < 294_276);
    }

    #[test]
    fn nul_anywhere_in_a_body_names_its_field() {
        let body = serde_json::json!({
            "assignee": "王\u{0}总",
            "status": "new",
            "nested": {"a": ["x", "y\u{0}"]},
            "key": {"k\u{0}": 1},
            "note": "第一行\n\t第二行",
            "number": 0,
        });
        let object = body.as_object().unwrap();
        let mut named: Vec<String> = nul_fields(object).into_iter().map(|e| e.field).collect();
        named.sort();
        assert_eq!(named, ["assignee", "key", "nested"]);
    }
}
