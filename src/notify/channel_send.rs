//! One request to a channel (SPEC §6), and what its answer means for the outbox: sent, throttled
//! (the channel pauses; not a failed attempt), dead at once (a bad key, signature or keyword, a
//! refused payload: the platform's code and message kept), or a transient failure (network,
//! 5xx: §3's backoff). The codes are the platforms' published ones:
//!
//! | platform | success | throttled | permanent |
//! |---|---|---|---|
//! | WeCom (errcode) | 0 | 45009 | 93000 bad key; 40008, 40035, 40058, 44004 refused payload |
//! | DingTalk (errcode) | 0 | 130101 (a 10-minute ban) | 300001, 310000 token, sign, keyword; 40035, 460101 payload |
//! | Feishu (code) | 0 | 11232 | 19001, 19021, 19024 hook, sign, keyword; 9499, 19002 payload |
//! | webhook (HTTP) | 2xx | 429 | 410 and every other 4xx but 408 |
//!
//! HTTP 429 is throttling everywhere; 5xx and network errors are transient. An answer code
//! outside the table is transient too: the attempts run out (`notify.max_attempts`) before a
//! message is given up, rather than a message being dropped on an answer nobody documented.

use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::Value;

use super::sign;
use crate::settings::{Channel, ChannelKind};

/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What a channel's answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// The platform's rate limit: pause the channel for its `throttle_pause`.
    Throttled {
        code: String,
        message: String,
    },
    /// Will never succeed as it is: dead at once, the platform's code and message kept.
    Permanent {
        code: String,
        message: String,
    },
    /// Try again later (§3's backoff).
    Transient {
        error: String,
    },
}

/// The HTTP client of the channels: rustls, no proxy from the environment, a deadline per
/// request, no redirects (a robot URL that redirects is not the robot).
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("inquiry-desk/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Sends `body` (a rendered robot message, or a webhook's inquiry JSON) to `channel`, signed
/// as its platform requires at `now_ms` (milliseconds since 1970). `message_id` is the
/// webhook's `webhook-id`: the outbox row's id, the same on every attempt.
pub async fn send(
    client: &reqwest::Client,
    channel: &Channel,
    body: &Value,
    message_id: &str,
    now_ms: i64,
) -> Outcome {
    let url = match url::Url::parse(channel.webhook_url.expose_secret()) {
        Ok(url) => url,
        Err(e) => {
            return Outcome::Permanent {
                code: "invalid_url".into(),
                message: e.to_string(),
            }
        }
    };
    let secret = channel
        .secret
        .as_ref()
        .map(|s| s.expose_secret().to_string());
    let request = match channel.kind {
        ChannelKind::Dingtalk => {
            let url = match &secret {
                Some(secret) => sign::dingtalk_url(&url, secret, now_ms),
                None => url,
            };
            client.post(url).json(body)
        }
        ChannelKind::Feishu => {
            let mut body = body.clone();
            if let (Some(secret), Some(object)) = (&secret, body.as_object_mut()) {
                let seconds = now_ms / 1000;
                object.insert("timestamp".into(), Value::String(seconds.to_string()));
                object.insert("sign".into(), Value::String(sign::feishu(secret, seconds)));
            }
            client.post(url).json(&body)
        }
        ChannelKind::Wecom => client.post(url).json(body),
        ChannelKind::Webhook => {
            let payload = body.to_string();
            let seconds = now_ms / 1000;
            let signature = match secret
                .as_deref()
                .map(|s| sign::webhook(s, message_id, seconds, payload.as_bytes()))
            {
                Some(Ok(signature)) => signature,
                _ => {
                    return Outcome::Permanent {
                        code: "invalid_secret".into(),
                        message: "the channel's secret cannot sign (whsec_ and Base64)".into(),
                    }
                }
            };
            client
                .post(url)
                .header("content-type", "application/json")
                .header("webhook-id", message_id)
                .header("webhook-timestamp", seconds.to_string())
                .header("webhook-signature", signature)
                .body(payload)
        }
    };
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            classify(channel.kind, status, &text)
        }
        // The error's text names the URL, whose query is the robot's credential: not kept.
        Err(e) if e.is_timeout() => Outcome::Transient {
            error: "timed out".into(),
        },
        Err(e) if e.is_connect() => Outcome::Transient {
            error: "could not connect".into(),
        },
        Err(_) => Outcome::Transient {
            error: "request failed".into(),
        },
    }
}

/// What an answer (`status`, body `text`) from a `kind` channel means.
pub fn classify(kind: ChannelKind, status: u16, text: &str) -> Outcome {
    let http = || status.to_string();
    if status == 429 {
        return Outcome::Throttled {
            code: http(),
            message: "HTTP 429".into(),
        };
    }
    if kind == ChannelKind::Webhook {
        return match status {
            200..=299 => Outcome::Sent,
            408 | 500..=599 => Outcome::Transient {
                error: format!("HTTP {status}"),
            },
            _ => Outcome::Permanent {
                code: http(),
                message: format!("HTTP {status}"),
            },
        };
    }
    // The platform's code decides, whatever the HTTP status (Feishu answers some refusals
    // with 400 and a code); Feishu's older answers carry `StatusCode` instead of `code`.
    let answer: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let (code, message) = match kind {
        ChannelKind::Feishu => (
            answer.get("code").or_else(|| answer.get("StatusCode")),
            answer.get("msg").or_else(|| answer.get("StatusMessage")),
        ),
        _ => (answer.get("errcode"), answer.get("errmsg")),
    };
    let Some(code) = code.and_then(Value::as_i64) else {
        return Outcome::Transient {
            error: format!("HTTP {status}, an answer without a code"),
        };
    };
    let message: String = message
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    let (throttled, permanent): (&[i64], &[i64]) = match kind {
        ChannelKind::Wecom => (&[45009], &[93000, 40008, 40035, 40058, 44004]),
        ChannelKind::Dingtalk => (&[130101], &[300001, 310000, 40035, 460101]),
        ChannelKind::Feishu => (&[11232], &[19001, 19021, 19024, 9499, 19002]),
        ChannelKind::Webhook => (&[], &[]),
    };
    let code_text = code.to_string();
    if code == 0 {
        Outcome::Sent
    } else if throttled.contains(&code) {
        Outcome::Throttled {
            code: code_text,
            message,
        }
    } else if permanent.contains(&code) {
        Outcome::Permanent {
            code: code_text,
            message,
        }
    } else {
        Outcome::Transient {
            error: format!("{code_text} {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_by_each_platforms_codes() {
        use ChannelKind::*;
        let sent = [
            (Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#),
            (Dingtalk, 200, r#"{"errcode":0,"errmsg":"ok"}"#),
            (Feishu, 200, r#"{"StatusCode":0,"code":0,"msg":"success"}"#),
            (Feishu, 200, r#"{"StatusCode":0,"StatusMessage":"success"}"#),
            (Webhook, 204, ""),
        ];
        for (kind, status, text) in sent {
            assert_eq!(classify(kind, status, text), Outcome::Sent, "{kind:?}");
        }
        let throttled = [
            (
                Wecom,
                200,
                r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#,
            ),
            (
                Dingtalk,
                200,
                r#"{"errcode":130101,"errmsg":"send too fast"}"#,
            ),
            (Feishu, 200, r#"{"code":11232,"msg":"frequency limited"}"#),
            (Webhook, 429, ""),
            (Wecom, 429, ""),
        ];
        for (kind, status, text) in throttled {
            assert!(
                matches!(classify(kind, status, text), Outcome::Throttled { .. }),
                "{kind:?} {text}"
            );
        }
        let dead = [
            (
                Wecom,
                r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#,
                "93000",
            ),
            (
                Wecom,
                r#"{"errcode":40058,"errmsg":"content exceed max length"}"#,
                "40058",
            ),
            (
                Dingtalk,
                r#"{"errcode":310000,"errmsg":"sign not match"}"#,
                "310000",
            ),
            (
                Dingtalk,
                r#"{"errcode":300001,"errmsg":"token is not exist"}"#,
                "300001",
            ),
            (Feishu, r#"{"code":19021,"msg":"sign match fail"}"#, "19021"),
            (Feishu, r#"{"code":9499,"msg":"Bad Request"}"#, "9499"),
        ];
        for (kind, text, expected) in dead {
            // Refusals come with 200 or with a 4xx: the code decides.
            for status in [200, 400] {
                match classify(kind, status, text) {
                    Outcome::Permanent { code, .. } => assert_eq!(code, expected),
                    other => panic!("{kind:?} {status} {text}: {other:?}"),
                }
            }
            match classify(kind, 200, text) {
                Outcome::Permanent { code, message } => {
                    assert_eq!(code, expected);
                    assert!(!message.is_empty());
                }
                other => panic!("{kind:?} {text}: {other:?}"),
            }
        }
        assert!(matches!(
            classify(Webhook, 410, ""),
            Outcome::Permanent { .. }
        ));
        assert!(matches!(
            classify(Webhook, 400, ""),
            Outcome::Permanent { .. }
        ));
        for (kind, status, text) in [
            (Webhook, 408, ""),
            (Webhook, 503, ""),
            (Wecom, 502, "<html>bad gateway</html>"),
            (Dingtalk, 200, "not json"),
            (Feishu, 200, r#"{"code":99991400,"msg":"unknown"}"#),
        ] {
            assert!(
                matches!(classify(kind, status, text), Outcome::Transient { .. }),
                "{kind:?} {status} {text}"
            );
        }
    }
}
