//! `notify.channels` (SPEC §6): the group robots sales teams read — WeCom (企业微信), DingTalk
//! (钉钉), Feishu (飞书, and Lark on its own host) — and signed partner webhooks. Each channel is
//! named; routes and `notify.default_channels` name channels beside email recipients.
//!
//! A channel's URL and secret are secrets: they are kept as `SecretString`, never logged, and
//! `check-config` shows them masked ([`Channel::masked_url`]). Everything is checked when the
//! settings load, without touching the network.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use crate::domain::phone::PhoneNumber;

/// The platform a channel posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// A WeCom group robot: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…` (the key is
    /// its only credential).
    Wecom,
    /// A DingTalk custom robot: `https://oapi.dingtalk.com/robot/send?access_token=…`, with an
    /// optional 加签 secret (`SEC…`).
    Dingtalk,
    /// A Feishu custom bot: `https://open.feishu.cn/open-apis/bot/v2/hook/…` (Lark:
    /// `open.larksuite.com`), with an optional signature secret.
    Feishu,
    /// A partner system's endpoint, signed as Standard Webhooks specifies.
    Webhook,
}

impl ChannelKind {
    /// Its name in settings, the outbox and `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wecom => "wecom",
            Self::Dingtalk => "dingtalk",
            Self::Feishu => "feishu",
            Self::Webhook => "webhook",
        }
    }

    /// The platform's own limit, requests per minute per robot, when the channel sets none
    /// (SPEC §6: WeCom and DingTalk 20, Feishu 100; webhooks none).
    pub fn default_rate_per_minute(self) -> Option<u32> {
        match self {
            Self::Wecom | Self::Dingtalk => Some(20),
            Self::Feishu => Some(100),
            Self::Webhook => None,
        }
    }

    /// The platform's limit per second, beside the minute's (SPEC §6: Feishu 5 a second,
    /// "自定义机器人使用指南", 频率限制; the others have none).
    pub fn rate_per_second(self) -> Option<u32> {
        match self {
            Self::Feishu => Some(5),
            _ => None,
        }
    }

    /// How long a throttled channel sends nothing, when it sets no `throttle_pause` (SPEC §6:
    /// WeCom 65 s, DingTalk its 10-minute ban, Feishu 60 s; a webhook's 429, 60 s).
    pub fn default_throttle_pause(self) -> Duration {
        match self {
            Self::Wecom => Duration::from_secs(65),
            Self::Dingtalk => Duration::from_secs(600),
            Self::Feishu | Self::Webhook => Duration::from_secs(60),
        }
    }
}

/// One channel of `notify.channels`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// How routes and `notify.default_channels` name it, and how the detail's `notifications`
    /// show it: 1–50 lowercase letters, digits, `-` and `_`; never `email`.
    pub name: String,
    pub kind: ChannelKind,
    /// The robot's or endpoint's URL, credential included: a secret.
    #[serde(deserialize_with = "secret")]
    pub webhook_url: SecretString,
    /// DingTalk's 加签 secret, Feishu's signature secret, the webhook's Standard Webhooks secret
    /// (`whsec_` and Base64; required for a webhook). Empty: none.
    #[serde(default, deserialize_with = "optional_secret")]
    pub secret: Option<SecretString>,
    /// Mainland mobile numbers to @-mention (WeCom, DingTalk), in any spelling; kept as their 11
    /// digits.
    #[serde(default)]
    pub mention_mobiles: Vec<String>,
    /// Feishu users to @-mention, by open_id (`ou_…`).
    #[serde(default)]
    pub mention_open_ids: Vec<String>,
    /// Send the phone whole instead of masked (`139****5678`). Off by default: the group lives
    /// outside this system (PIPL).
    #[serde(default)]
    pub show_phone: bool,
    /// A word added to every message, for a robot secured by a keyword other than `新询盘`.
    #[serde(default)]
    pub keyword: String,
    /// Requests a minute at most, across every instance; default: the platform's own limit.
    #[serde(default)]
    pub rate_per_minute: Option<u32>,
    /// How long the channel sends nothing after a throttling answer; default: the platform's.
    #[serde(default, deserialize_with = "optional_duration")]
    pub throttle_pause: Option<Duration>,
}

/// The longest channel name.
const MAX_NAME_CHARS: usize = 50;

impl Channel {
    /// Requests a minute at most (`None`: no limit).
    pub fn rate_per_minute(&self) -> Option<u32> {
        self.rate_per_minute
            .or_else(|| self.kind.default_rate_per_minute())
    }

    /// Its limits: the minute's (`rate_per_minute`, or the platform's) and the second's.
    pub fn limits(&self) -> crate::storage::channels::Limits {
        crate::storage::channels::Limits {
            per_minute: self.rate_per_minute(),
            per_second: self.kind.rate_per_second(),
        }
    }

    /// Requests one message takes: two for WeCom with mentions (a markdown, then a text message,
    /// the only kind in which WeCom honours a mention by mobile).
    pub fn requests_per_message(&self) -> u32 {
        if self.kind == ChannelKind::Wecom && !self.mention_mobiles.is_empty() {
            2
        } else {
            1
        }
    }

    /// How long the channel pauses after a throttling answer.
    pub fn throttle_pause(&self) -> Duration {
        self.throttle_pause
            .unwrap_or_else(|| self.kind.default_throttle_pause())
    }

    /// The URL as `check-config` shows it: scheme, host and port, and the path of the robots'
    /// fixed endpoints, with the query (WeCom's `key`, DingTalk's `access_token`) and Feishu's
    /// hook id masked; a webhook's path (partners put tokens there) is not shown at all.
    pub fn masked_url(&self) -> String {
        let Ok(url) = url::Url::parse(self.webhook_url.expose_secret()) else {
            return "(invalid)".into();
        };
        let host = url.host_str().unwrap_or("");
        let origin = match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        let path = match self.kind {
            // The hook id is the credential: keep its first characters only.
            ChannelKind::Feishu => mask_hook_id(url.path()),
            ChannelKind::Webhook => "/***".to_string(),
            _ => url.path().to_string(),
        };
        let query = if url.query().is_some() && self.kind != ChannelKind::Webhook {
            "?***"
        } else {
            ""
        };
        format!("{origin}{path}{query}")
    }

    /// Whether the URL leaves the machine unencrypted: `http://` to a host that is not a
    /// loopback address (allowed, as tests use peers on loopback; `check-config` warns).
    pub fn insecure(&self) -> bool {
        url::Url::parse(self.webhook_url.expose_secret()).is_ok_and(|url| {
            url.scheme() == "http"
                && !matches!(
                    url.host(),
                    Some(url::Host::Ipv4(ip)) if ip.is_loopback()
                )
                && !matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
                && url.host_str() != Some("localhost")
        })
    }

    /// Checks the channel and normalises its mentions. Errors: what is wrong, naming the
    /// channel and the key, never the URL or secret.
    pub fn check(&mut self) -> Result<(), String> {
        let at = |key: &str| format!("notify.channels[{}].{key}", self.name);
        let name_ok = !self.name.is_empty()
            && self.name.chars().count() <= MAX_NAME_CHARS
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !name_ok || self.name == "email" {
            return Err(format!(
                "notify.channels: name {:?} must be 1–{MAX_NAME_CHARS} lowercase letters, digits, \
                 `-` or `_`, and not `email`",
                self.name
            ));
        }
        let url = url::Url::parse(self.webhook_url.expose_secret())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| format!("{} must be an absolute http(s) URL", at("webhook_url")))?;
        let query_has = |key: &str| url.query_pairs().any(|(k, v)| k == key && !v.is_empty());
        match self.kind {
            ChannelKind::Wecom if !query_has("key") => {
                return Err(format!(
                    "{} must carry the robot's `key`",
                    at("webhook_url")
                ))
            }
            ChannelKind::Dingtalk if !query_has("access_token") => {
                return Err(format!(
                    "{} must carry the robot's `access_token`",
                    at("webhook_url")
                ))
            }
            ChannelKind::Feishu if !url.path().contains("/bot/v2/hook/") => {
                return Err(format!(
                    "{} must be a custom bot's hook URL (…/open-apis/bot/v2/hook/…)",
                    at("webhook_url")
                ))
            }
            _ => {}
        }
        match (&self.kind, &self.secret) {
            (ChannelKind::Webhook, None) => {
                return Err(format!(
                    "{} is required for a webhook (Standard Webhooks: whsec_…)",
                    at("secret")
                ))
            }
            (ChannelKind::Webhook, Some(secret)) => {
                // Standard Webhooks (standardwebhooks.com, "Signature scheme"): `whsec_` and
                // the Base64 of 24 to 64 random bytes. The library would take a bare Base64
                // text too, which a partner given it as written could never verify.
                let key = secret
                    .expose_secret()
                    .strip_prefix("whsec_")
                    .and_then(|b64| {
                        use base64::Engine as _;
                        base64::engine::general_purpose::STANDARD.decode(b64).ok()
                    });
                if !key.is_some_and(|k| (24..=64).contains(&k.len())) {
                    return Err(format!(
                        "{} must be a Standard Webhooks secret: whsec_ and the Base64 of 24 to \
                         64 random bytes",
                        at("secret")
                    ));
                }
            }
            (ChannelKind::Wecom, Some(_)) => {
                return Err(format!(
                    "{}: a WeCom robot has no secret (its key is in the URL)",
                    at("secret")
                ))
            }
            _ => {}
        }
        if !self.mention_mobiles.is_empty()
            && !matches!(self.kind, ChannelKind::Wecom | ChannelKind::Dingtalk)
        {
            return Err(format!(
                "{}: only WeCom and DingTalk mention by mobile number",
                at("mention_mobiles")
            ));
        }
        let mut mobiles = Vec::with_capacity(self.mention_mobiles.len());
        for raw in &self.mention_mobiles {
            let national = PhoneNumber::parse(raw)
                .and_then(|p| p.as_e164().strip_prefix("+86").map(str::to_string))
                .filter(|n| n.len() == 11 && n.starts_with('1'))
                .ok_or_else(|| {
                    format!(
                        "{}: {raw:?} is not a mainland mobile number",
                        at("mention_mobiles")
                    )
                })?;
            mobiles.push(national);
        }
        self.mention_mobiles = mobiles;
        if !self.mention_open_ids.is_empty() && self.kind != ChannelKind::Feishu {
            return Err(format!(
                "{}: only Feishu mentions by open_id",
                at("mention_open_ids")
            ));
        }
        if let Some(bad) = self.mention_open_ids.iter().find(|id| {
            !id.starts_with("ou_") || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }) {
            return Err(format!(
                "{}: {bad:?} is not an open_id (ou_…)",
                at("mention_open_ids")
            ));
        }
        // Sent as it is (it must match the robot's own), so it holds nothing visitor text is
        // made inert for: letters, digits, CJK, spaces, `-`, `:` and the like.
        if self.keyword.chars().count() > 20
            || self.keyword != self.keyword.trim()
            || crate::notify::robot::inert(&self.keyword) != self.keyword
        {
            return Err(format!(
                "{} must be at most 20 characters without markdown or HTML characters \
                 (* _ [ ] ( ) < > # ~ | ! ` @ & \\), dots between letters or a line break",
                at("keyword")
            ));
        }
        if self.rate_per_minute == Some(0) {
            return Err(format!(
                "{} must be at least 1 (leave it out for the platform's limit)",
                at("rate_per_minute")
            ));
        }
        if let Some(rate) = self.rate_per_minute {
            if rate < self.requests_per_message() {
                return Err(format!(
                    "{} must be at least {} with mention_mobiles on WeCom (each message is a \
                     markdown and a text message)",
                    at("rate_per_minute"),
                    self.requests_per_message()
                ));
            }
        }
        if self.throttle_pause == Some(Duration::ZERO) {
            return Err(format!("{} must be longer than 0", at("throttle_pause")));
        }
        Ok(())
    }
}

/// `/open-apis/bot/v2/hook/0a1b2c3d-…` (with a trailing `/` or not) as
/// `/open-apis/bot/v2/hook/0a1b***`.
fn mask_hook_id(path: &str) -> String {
    match path.split_once("/hook/") {
        Some((head, id)) => {
            let kept: String = id.chars().take(4).collect();
            format!("{head}/hook/{kept}***")
        }
        None => "/***".to_string(),
    }
}

/// Every channel checked, and the names unique. Errors: the first problem.
pub fn check_all(channels: &mut [Channel]) -> Result<(), String> {
    for channel in channels.iter_mut() {
        channel.check()?;
    }
    let mut names: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(format!(
            "notify.channels: the name {:?} is used twice",
            pair[0]
        ));
    }
    Ok(())
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    String::deserialize(d).map(|s| SecretString::from(s.trim().to_string()))
}

fn optional_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    Ok((!text.is_empty()).then(|| SecretString::from(text.to_string())))
}

/// A duration as the other settings take it: `"65s"`, `"10m"`, or a number of seconds.
fn optional_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_f64()
            .filter(|s| *s >= 0.0)
            .map(|s| Some(Duration::from_secs_f64(s)))
            .ok_or_else(|| serde::de::Error::custom("a duration must not be negative")),
        serde_json::Value::String(text) if text.trim().is_empty() => Ok(None),
        serde_json::Value::String(text) => humantime::parse_duration(text.trim())
            .map(Some)
            .map_err(serde::de::Error::custom),
        _ => Err(serde::de::Error::custom(
            "a duration: \"65s\", \"10m\" or a number of seconds",
        )),
    }
}

/// `notify.channels` as an array of tables (TOML), or as JSON text (the environment:
/// `INQUIRY_DESK__NOTIFY__CHANNELS='[{"name": …}]'`). Each channel is read on its own, so an
/// error names the channel's position and serde's own reason (the key, the value).
pub fn channels<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Channel>, D::Error> {
    use serde::de::Error;
    let items = match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(items) => items,
        serde_json::Value::String(text) if text.trim().is_empty() => Vec::new(),
        serde_json::Value::String(text) => match serde_json::from_str(&text) {
            Ok(serde_json::Value::Array(items)) => items,
            Ok(_) => return Err(D::Error::custom("notify.channels must be a JSON array")),
            Err(e) => {
                return Err(D::Error::custom(format!(
                    "notify.channels is not valid JSON: {e}"
                )))
            }
        },
        _ => return Err(D::Error::custom("notify.channels must be a list of tables")),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(item)
                .map_err(|e| D::Error::custom(format!("notify.channels[{i}]: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(json: serde_json::Value) -> Result<Channel, String> {
        let mut channel: Channel = serde_json::from_value(json).map_err(|e| e.to_string())?;
        channel.check()?;
        Ok(channel)
    }

    #[test]
    fn each_kind_is_read_with_its_platforms_defaults() {
        let wecom = channel(serde_json::json!({
            "name": "sales-wecom", "kind": "wecom",
            "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
            "mention_mobiles": ["139-1234-5678", "+86 138 0013 8000", "１３７００１３７０００"],
        }))
        .unwrap();
        assert_eq!(wecom.rate_per_minute(), Some(20));
        assert_eq!(wecom.throttle_pause(), Duration::from_secs(65));
        assert_eq!(
            wecom.mention_mobiles,
            ["13912345678", "13800138000", "13700137000"]
        );
        assert_eq!(
            wecom.masked_url(),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?***"
        );
        let dingtalk = channel(serde_json::json!({
            "name": "dd", "kind": "dingtalk",
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=abc123",
            "secret": "SEC0123456789abcdef", "throttle_pause": "5m",
        }))
        .unwrap();
        assert_eq!(dingtalk.rate_per_minute(), Some(20));
        assert_eq!(dingtalk.throttle_pause(), Duration::from_secs(300));
        let feishu = channel(serde_json::json!({
            "name": "fs", "kind": "feishu",
            "webhook_url": "https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d-4e5f",
            "mention_open_ids": ["ou_7d8a6e6df7621556ce0d21922b676706ccs"], "rate_per_minute": 50,
        }))
        .unwrap();
        assert_eq!(feishu.rate_per_minute(), Some(50));
        assert_eq!(
            feishu.masked_url(),
            "https://open.feishu.cn/open-apis/bot/v2/hook/0a1b***"
        );
        let slash = channel(serde_json::json!({"name": "fs", "kind": "feishu",
            "webhook_url": "https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d-4e5f/"}))
        .unwrap();
        assert_eq!(
            slash.masked_url(),
            "https://open.feishu.cn/open-apis/bot/v2/hook/0a1b***"
        );
        let partner = channel(serde_json::json!({"name": "crm", "kind": "webhook",
            "webhook_url": "https://crm.example.cn:8443/hooks/tok-123?sig=abc",
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "throttle_pause": 30}))
        .unwrap();
        assert_eq!(partner.masked_url(), "https://crm.example.cn:8443/***");
        assert_eq!(partner.throttle_pause(), Duration::from_secs(30));
        for bad in ["lead_bot", "#线索", "C&I", "a.com", " 招商"] {
            let keyworded = channel(serde_json::json!({"name": "w", "kind": "wecom",
                "webhook_url": "https://x/send?key=k", "keyword": bad}));
            assert!(keyworded.unwrap_err().contains("keyword"), "{bad}");
        }
        assert!(channel(serde_json::json!({"name": "w", "kind": "wecom",
            "webhook_url": "https://x/send?key=k", "keyword": "招商线索"}))
        .is_ok());
        let webhook = channel(serde_json::json!({
            "name": "crm", "kind": "webhook", "webhook_url": "http://127.0.0.1:9000/hooks",
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        }))
        .unwrap();
        assert_eq!(webhook.rate_per_minute(), None);
        assert!(!webhook.insecure(), "loopback over http is fine");
    }

    #[test]
    fn a_wrong_channel_is_refused_without_showing_its_secrets() {
        for (json, says) in [
            (
                serde_json::json!({"name": "Sales Group", "kind": "wecom", "webhook_url": "https://x/send?key=k"}),
                "name",
            ),
            (
                serde_json::json!({"name": "email", "kind": "wecom", "webhook_url": "https://x/send?key=k"}),
                "name",
            ),
            (
                serde_json::json!({"name": "w", "kind": "wecom", "webhook_url": "https://x/send?token=k"}),
                "`key`",
            ),
            (
                serde_json::json!({"name": "w", "kind": "wecom", "webhook_url": "https://x/send?key=k", "secret": "s3cr3t"}),
                "no secret",
            ),
            (
                serde_json::json!({"name": "d", "kind": "dingtalk", "webhook_url": "https://x/robot/send"}),
                "access_token",
            ),
            (
                serde_json::json!({"name": "f", "kind": "feishu", "webhook_url": "https://open.feishu.cn/x"}),
                "hook URL",
            ),
            (
                serde_json::json!({"name": "h", "kind": "webhook", "webhook_url": "https://crm.example.cn/h"}),
                "required",
            ),
            (
                serde_json::json!({"name": "h", "kind": "webhook", "webhook_url": "https://crm.example.cn/h", "secret": "not base64!"}),
                "whsec_",
            ),
            (
                // Base64 without the prefix: the library would take it; a partner could not.
                serde_json::json!({"name": "h", "kind": "webhook", "webhook_url": "https://crm.example.cn/h", "secret": "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
                "whsec_",
            ),
            (
                serde_json::json!({"name": "h", "kind": "webhook", "webhook_url": "https://crm.example.cn/h", "secret": "whsec_c2hvcnQ="}),
                "24 to",
            ),
            (
                serde_json::json!({"name": "w", "kind": "wecom", "webhook_url": "qyapi.weixin.qq.com/send?key=k"}),
                "absolute",
            ),
            (
                serde_json::json!({"name": "w", "kind": "wecom", "webhook_url": "https://x/send?key=k", "mention_mobiles": ["0756-3331234"]}),
                "mainland mobile",
            ),
            (
                serde_json::json!({"name": "f", "kind": "feishu", "webhook_url": "https://open.feishu.cn/open-apis/bot/v2/hook/a", "mention_mobiles": ["13912345678"]}),
                "only WeCom and DingTalk",
            ),
            (
                serde_json::json!({"name": "d", "kind": "dingtalk", "webhook_url": "https://x/robot/send?access_token=t", "mention_open_ids": ["ou_1"]}),
                "only Feishu",
            ),
            (
                serde_json::json!({"name": "d", "kind": "dingtalk", "webhook_url": "https://x/robot/send?access_token=t", "rate_per_minute": 0}),
                "at least 1",
            ),
        ] {
            let error = channel(json.clone()).unwrap_err();
            assert!(error.contains(says), "{json}: {error}");
            assert!(
                !error.contains("s3cr3t") && !error.contains("key=k"),
                "{error}"
            );
        }
        let mut twice = vec![
            channel(serde_json::json!({"name": "w", "kind": "wecom", "webhook_url": "https://x/send?key=a"})).unwrap(),
            channel(serde_json::json!({"name": "w", "kind": "wecom", "webhook_url": "https://x/send?key=b"})).unwrap(),
        ];
        assert!(check_all(&mut twice).unwrap_err().contains("twice"));
    }

    #[test]
    fn plain_http_to_another_host_is_insecure() {
        let remote = channel(serde_json::json!({
            "name": "w", "kind": "wecom", "webhook_url": "http://qyapi.weixin.qq.com/send?key=k"
        }))
        .unwrap();
        assert!(remote.insecure());
        for local in [
            "http://127.0.0.1:1/send?key=k",
            "http://localhost:1/send?key=k",
            "http://[::1]:1/send?key=k",
        ] {
            let c =
                channel(serde_json::json!({"name": "w", "kind": "wecom", "webhook_url": local}))
                    .unwrap();
            assert!(!c.insecure(), "{local}");
        }
    }

    #[test]
    fn a_wecom_channel_with_mentions_needs_room_for_two_requests() {
        let mut channel: Channel = serde_json::from_value(serde_json::json!({
            "name": "w", "kind": "wecom", "rate_per_minute": 1, "mention_mobiles": ["13900001111"],
            "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}))
        .unwrap();
        let error = channel.check().unwrap_err();
        assert!(
            error.contains("rate_per_minute must be at least 2"),
            "{error}"
        );
        channel.rate_per_minute = Some(2);
        assert!(channel.check().is_ok());
    }
}
