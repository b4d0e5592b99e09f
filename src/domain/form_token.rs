//! The fill-time token (SPEC §2): a timestamp signed with HMAC-SHA256, issued by
//! `GET /api/v1/form-token` and returned in the form's `_ts` field. A submission faster than a
//! human can fill the form, or with a forged or day-old token, is treated as a bot.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Tokens older than this are refused.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

fn mac(secret: &[u8], millis: u64) -> HmacSha256 {
    // HMAC accepts keys of any length.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(millis.to_string().as_bytes());
    mac
}

/// A token for the moment `now_millis` (milliseconds since the Unix epoch).
pub fn issue(secret: &[u8], now_millis: u64) -> String {
    let signature = mac(secret, now_millis).finalize().into_bytes();
    format!("{now_millis}.{}", hex::encode(signature))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    /// Signed by us, and the form was open this long.
    Valid(Duration),
    /// Forged, garbled, from the future, or too old.
    Invalid,
}

pub fn verify(secret: &[u8], token: &str, now_millis: u64) -> TokenCheck {
    let Some((millis, signature)) = token.trim().split_once('.') else {
        return TokenCheck::Invalid;
    };
    let (Ok(millis), Ok(signature)) = (millis.parse::<u64>(), hex::decode(signature)) else {
        return TokenCheck::Invalid;
    };
    if mac(secret, millis).verify_slice(&signature).is_err() || millis > now_millis {
        return TokenCheck::Invalid;
    }
    let age = Duration::from_millis(now_millis - millis);
    if age > MAX_AGE {
        TokenCheck::Invalid
    } else {
        TokenCheck::Valid(age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_their_secret_and_within_a_day() {
        let now = 1_800_000_000_000;
        let token = issue(b"secret", now);
        assert_eq!(
            verify(b"secret", &token, now + 5_000),
            TokenCheck::Valid(Duration::from_secs(5))
        );
        assert_eq!(verify(b"other", &token, now + 5_000), TokenCheck::Invalid);
        assert_eq!(
            verify(b"secret", &token, now + 25 * 3600 * 1000),
            TokenCheck::Invalid
        );
        assert_eq!(
            verify(b"secret", &token, now - 1),
            TokenCheck::Invalid,
            "from the future"
        );
        let forged = format!("{}.{}", now - 60_000, token.split_once('.').unwrap().1);
        assert_eq!(verify(b"secret", &forged, now), TokenCheck::Invalid);
        for garbage in ["", "x", "1.2", "abc.def", "..", "123.zz"] {
            assert_eq!(
                verify(b"secret", garbage, now),
                TokenCheck::Invalid,
                "{garbage}"
            );
        }
    }
}
