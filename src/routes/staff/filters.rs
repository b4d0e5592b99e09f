//! What the list's query becomes besides its filters (`query::ListParams`): the list cursor,
//! and the access log's record of what a list, search or export asked for.

use chrono::DateTime;
use uuid::Uuid;

use crate::storage::inquiries::Position;

use super::params;

/// An assignee is free text of at most this many characters (SPEC §4, PATCH).
pub const MAX_ASSIGNEE_CHARS: usize = 50;

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
        if matches!(
            name.as_str(),
            "cursor" | "limit" | super::query::CACHE_BUSTER
        ) {
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
}
