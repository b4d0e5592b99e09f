//! The list filters of SPEC §4 from the query string; a bad value is a 422 naming the parameter.

use chrono::DateTime;
use uuid::Uuid;

use crate::domain::field::{FieldCode, FieldError};
use crate::domain::phone::PhoneNumber;
use crate::domain::search;
use crate::domain::status::Status;
use crate::domain::text::{self, Lines};
use crate::storage::listing::{Filter, Position};

use super::params;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 50;
/// The largest `limit`.
pub const MAX_LIMIT: i64 = 200;
const MAX_QUERY_CHARS: usize = 100;
/// An assignee is free text of at most this many characters (SPEC §4, PATCH).
pub const MAX_ASSIGNEE_CHARS: usize = 50;

/// The filters, and the paging parameters when the endpoint pages.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub filter: Filter,
    pub limit: i64,
    pub cursor: Option<Position>,
    pub lang_en: bool,
}

/// The list's query from its pairs ([`super::query_pairs`]): every bad value is named, none
/// reaches the database.
/// Longest filter value written to the access log, in characters.
const MAX_AUDIT_VALUE_CHARS: usize = 100;

/// What a list, search or export asked for, as the access log keeps it (SPEC §4): the
/// parameters (not `cursor` and `limit`), a `phone` masked (`139****5678`), phone numbers and
/// emails in `q` blanked, each value cut to 100 characters. `search` tells a search (`q`, `phone`)
/// from a plain list.
pub fn audit_details(pairs: &[(String, String)]) -> (serde_json::Value, bool) {
    let mut filters = serde_json::Map::new();
    let mut search = false;
    for (name, value) in pairs {
        if matches!(name.as_str(), "cursor" | "limit") {
            continue;
        }
        let value = match name.as_str() {
            "phone" => {
                search = true;
                crate::domain::phone::PhoneNumber::parse(value)
                    .map(|p| p.masked())
                    .unwrap_or_else(|| "***".into())
            }
            "q" => {
                search = true;
                crate::telemetry::mask_pii(&crate::domain::redact::blank_contacts(value))
            }
            _ => value.clone(),
        };
        let value: String = value.chars().take(MAX_AUDIT_VALUE_CHARS).collect();
        filters.insert(name.clone(), serde_json::Value::String(value));
    }
    (serde_json::json!({ "filters": filters }), search)
}

pub fn parse(pairs: &[(String, String)]) -> Result<ListQuery, Vec<FieldError>> {
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        ..Default::default()
    };
    let mut errors = Vec::new();
    let bad = |errors: &mut Vec<FieldError>, name: &str| {
        errors.push(FieldError::new(name, FieldCode::InvalidValue))
    };
    for (name, value) in pairs {
        let value = value.trim();
        match name.as_str() {
            "status" => {
                for part in value.split(',').filter(|p| !p.trim().is_empty()) {
                    match Status::parse(part.trim()) {
                        Some(s) if !query.filter.statuses.contains(&s) => {
                            query.filter.statuses.push(s)
                        }
                        Some(_) => {}
                        None => {
                            bad(&mut errors, "status");
                            break;
                        }
                    }
                }
            }
            "article_id" => match Uuid::parse_str(value) {
                Ok(id) => query.filter.article_id = Some(id),
                Err(_) => bad(&mut errors, "article_id"),
            },
            "q" => {
                let q = search::lower(&text::normalise(value));
                if q.chars().count() > MAX_QUERY_CHARS || q.chars().any(char::is_control) {
                    bad(&mut errors, "q");
                } else if !q.is_empty() {
                    query.filter.q = Some(q);
                }
            }
            "phone" => match PhoneNumber::parse(value) {
                Some(phone) => query.filter.phone = Some(phone.as_e164().to_string()),
                None => bad(&mut errors, "phone"),
            },
            "from" | "to" => match params::timestamp(name, value) {
                Ok(t) if name == "from" => query.filter.from = Some(t),
                Ok(t) => query.filter.to = Some(t),
                Err(e) => errors.push(e),
            },
            "assignee" if !value.is_empty() => {
                // Checked as PATCH checks what it stores: a longer one can match nothing.
                let assignee = text::normalise(value);
                match text::check(name, &assignee, MAX_ASSIGNEE_CHARS, Lines::Single) {
                    Ok(()) => query.filter.assignee = Some(assignee),
                    Err(e) => errors.push(e),
                }
            }
            "min_tax" => match value.parse::<i64>() {
                Ok(n) if n >= 0 => query.filter.min_tax = Some(n),
                _ => bad(&mut errors, "min_tax"),
            },
            "notification" => match value {
                "dead" => query.filter.notification_dead = true,
                _ => bad(&mut errors, "notification"),
            },
            "limit" => match value.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => query.limit = n,
                _ => bad(&mut errors, "limit"),
            },
            "cursor" if !value.is_empty() => match decode_cursor(value) {
                Some(position) => query.cursor = Some(position),
                None => bad(&mut errors, "cursor"),
            },
            "lang" => match value {
                "en" => query.lang_en = true,
                "zh" | "" => {}
                _ => bad(&mut errors, "lang"),
            },
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(errors)
    }
}

/// An opaque cursor: the position of the last row of a page (microseconds and id), hex.
pub fn encode_cursor(position: Position) -> String {
    let mut bytes = position
        .received_at
        .timestamp_micros()
        .to_be_bytes()
        .to_vec();
    bytes.extend_from_slice(position.id.as_bytes());
    hex::encode(bytes)
}

/// The position a cursor holds; `None` for anything [`encode_cursor`] cannot have written,
/// including an instant PostgreSQL cannot hold (a hand-made cursor).
pub fn decode_cursor(text: &str) -> Option<Position> {
    let bytes = hex::decode(text).ok()?;
    if bytes.len() != 24 {
        return None;
    }
    let micros = i64::from_be_bytes(bytes[..8].try_into().ok()?);
    Some(Position {
        received_at: DateTime::from_timestamp_micros(micros).filter(|t| params::storable(*t))?,
        id: Uuid::from_slice(&bytes[8..]).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let position = Position {
            received_at: Utc::now(),
            id: Uuid::now_v7(),
        };
        let decoded = decode_cursor(&encode_cursor(position)).unwrap();
        assert_eq!(decoded.id, position.id);
        assert_eq!(
            decoded.received_at.timestamp_micros(),
            position.received_at.timestamp_micros()
        );
        assert!(decode_cursor("zz").is_none());
        assert!(decode_cursor("00").is_none());
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let errors = parse(&pairs(&[
            ("status", "new,nope"),
            ("article_id", "x"),
            ("phone", "123"),
            ("from", "yesterday"),
            ("to", "2026-13-01"),
            ("min_tax", "-1"),
            ("notification", "sent"),
            ("limit", "201"),
            ("cursor", "abc"),
        ]))
        .unwrap_err();
        let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            named,
            [
                "status",
                "article_id",
                "phone",
                "from",
                "to",
                "min_tax",
                "notification",
                "limit",
                "cursor"
            ]
        );
        assert!(parse(&pairs(&[("limit", "0")])).is_err());
        let ok = parse(&pairs(&[
            ("status", "new,contacted"),
            ("phone", "+86 139-1234-5678"),
            ("limit", "200"),
        ]))
        .unwrap();
        assert_eq!(ok.filter.statuses, vec![Status::New, Status::Contacted]);
        assert_eq!(ok.filter.phone.as_deref(), Some("+8613912345678"));
        assert_eq!(ok.limit, 200);
        // Any spelling the intake accepts finds the lead: full-width, pasted with marks.
        for phone in ["１３９１２３４５６７８", "\u{202a}139–1234–5678\u{202c}"] {
            let ok = parse(&pairs(&[("phone", phone)])).unwrap();
            assert_eq!(
                ok.filter.phone.as_deref(),
                Some("+8613912345678"),
                "{phone}"
            );
        }
    }
}
