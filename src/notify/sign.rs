//! The signatures the channels' platforms check (SPEC §6), each as its platform publishes it:
//!
//! - DingTalk custom robot 加签 (open.dingtalk.com, "自定义机器人安全设置"): HMAC-SHA256 keyed by
//!   the secret over `<timestamp in ms>\n<secret>`, Base64; sent URL-encoded as the `timestamp`
//!   and `sign` query parameters. DingTalk refuses a timestamp more than an hour from its clock.
//! - Feishu/Lark custom bot (open.feishu.cn, "自定义机器人使用指南", 签名校验): HMAC-SHA256 keyed by
//!   `<timestamp in s>\n<secret>` over an empty message, Base64; sent as `timestamp` and `sign`
//!   in the JSON body.
//! - Standard Webhooks (standardwebhooks.com, spec v1): `webhook-signature: v1,<Base64
//!   HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">` keyed by the secret's bytes
//!   (`whsec_` + Base64), computed by the specification's own crate, `standardwebhooks`.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// DingTalk's `sign` for `timestamp_ms` (before URL-encoding).
pub fn dingtalk(secret: &str, timestamp_ms: i64) -> String {
    hmac_base64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    )
}

/// The robot's URL with `timestamp` and `sign` added (URL-encoded, as DingTalk requires).
pub fn dingtalk_url(webhook_url: &url::Url, secret: &str, timestamp_ms: i64) -> url::Url {
    let mut url = webhook_url.clone();
    url.query_pairs_mut()
        .append_pair("timestamp", &timestamp_ms.to_string())
        .append_pair("sign", &dingtalk(secret, timestamp_ms));
    url
}

/// Feishu's `sign` for `timestamp_s`.
pub fn feishu(secret: &str, timestamp_s: i64) -> String {
    hmac_base64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

/// The Standard Webhooks signer of a secret (`whsec_` + Base64, or the Base64 alone). Errors:
/// the secret is not Base64.
pub fn webhook_key(
    secret: &str,
) -> Result<standardwebhooks::Webhook, standardwebhooks::WebhookError> {
    standardwebhooks::Webhook::new(secret)
}

/// The `webhook-signature` header of a message: `v1,<Base64>`. Errors: the secret is not
/// Base64, or the body is not UTF-8 (ours is JSON).
pub fn webhook(
    secret: &str,
    msg_id: &str,
    timestamp_s: i64,
    body: &[u8],
) -> Result<String, standardwebhooks::WebhookError> {
    webhook_key(secret)?.sign(msg_id, timestamp_s, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The expected values were computed independently with Python's `hmac` and `base64`.

    #[test]
    fn dingtalk_signs_the_timestamp_and_secret_and_url_encodes_it() {
        let secret = "SECxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
        assert_eq!(
            dingtalk(secret, 1_732_950_000_123),
            "dgpxIIM3ErQlhd0UBJTid8YKZoJn61B+X+p10dLDW10="
        );
        let robot =
            url::Url::parse("https://oapi.dingtalk.com/robot/send?access_token=abc").unwrap();
        let signed = dingtalk_url(&robot, secret, 1_732_950_000_123);
        assert_eq!(
            signed.as_str(),
            "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1732950000123\
             &sign=dgpxIIM3ErQlhd0UBJTid8YKZoJn61B%2BX%2Bp10dLDW10%3D"
        );
    }

    #[test]
    fn feishu_signs_an_empty_message_keyed_by_timestamp_and_secret() {
        assert_eq!(
            feishu("demo-secret", 1_732_950_000),
            "jpRpe5lXvXkCYGlCl7BLXsKdlBWM87A3Gyhtojch5/w="
        );
    }

    #[test]
    fn webhooks_are_signed_as_the_standard_webhooks_example() {
        // The specification's own example (standard-webhooks spec, "Signature scheme").
        let signature = webhook(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(webhook_key("not base64!").is_err());
    }
}
