//! The settings tree and how it is loaded: compiled-in defaults (`config/default.toml`), then
//! `config/{APP_ENV}.toml`, then `DATABASE_URL`, then `INQUIRY_DESK__SECTION__KEY` variables.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use ipnet::IpNet;
use lettre::message::Mailbox;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use crate::domain::host_pattern::{HostPattern, TrackingParameter};
pub use crate::domain::recipient::Recipient;
pub use channels::{Channel, ChannelKind};

pub mod channels;

/// The defaults, compiled in so the binary runs without any file next to it.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");
const ENV_PREFIX: &str = "INQUIRY_DESK__";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub intake: IntakeSettings,
    pub notify: NotifySettings,
    pub staff: StaffSettings,
    pub privacy: PrivacySettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    #[serde(deserialize_with = "de::string")]
    pub host: String,
    pub port: u16,
    #[serde(deserialize_with = "de::string")]
    pub public_base_url: String,
    #[serde(deserialize_with = "de::list")]
    pub trusted_proxies: Vec<ProxyNet>,
    /// How long a request body may take to arrive after the headers (SPEC §5); later: 408.
    #[serde(deserialize_with = "de::duration")]
    pub body_timeout: Duration,
    /// How long a CSV export waits for its client to take more data before it gives up and
    /// returns its database connection (a client that stopped reading must not hold a pool
    /// connection, and with it every other staff request).
    #[serde(deserialize_with = "de::duration")]
    pub stalled_download_timeout: Duration,
    /// `/metrics` on its own listener (e.g. `127.0.0.1:9090`) instead of the main one.
    #[serde(deserialize_with = "de::opt_socket_addr")]
    pub metrics_address: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    #[serde(deserialize_with = "de::secret")]
    pub url: SecretString,
    pub max_connections: u32,
    /// Connections of the intake's own pool (`storage::writers`), besides `max_connections`.
    pub intake_connections: u32,
    #[serde(deserialize_with = "de::duration")]
    pub acquire_timeout: Duration,
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeSettings {
    #[serde(deserialize_with = "de::list")]
    pub allowed_site_hosts: Vec<HostPattern>,
    #[serde(deserialize_with = "de::string")]
    pub honeypot_field: String,
    #[serde(deserialize_with = "de::duration")]
    pub min_fill_time: Duration,
    #[serde(deserialize_with = "de::secret")]
    pub form_token_secret: SecretString,
    /// Extra query parameters dropped from article URLs, besides SPEC §2's list (lower case).
    #[serde(deserialize_with = "de::list")]
    pub tracking_parameters: Vec<TrackingParameter>,
    #[serde(deserialize_with = "de::duration")]
    pub dedup_window: Duration,
    pub require_consent: bool,
    #[serde(deserialize_with = "de::string")]
    pub privacy_notice_version: String,
    #[serde(deserialize_with = "de::string")]
    pub thank_you_url: String,
    pub rate_limit_per_minute: u32,
    pub rate_limit_burst: u32,
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    pub worker_enabled: bool,
    #[serde(deserialize_with = "de::mailbox")]
    pub from: Mailbox,
    #[serde(deserialize_with = "de::list")]
    pub default_recipients: Vec<Recipient>,
    #[serde(deserialize_with = "de::routes")]
    pub routes: Vec<Route>,
    /// Group robots and partner webhooks (SPEC §6).
    #[serde(deserialize_with = "channels::channels")]
    pub channels: Vec<Channel>,
    /// The channels of an inquiry no route matches, by name.
    #[serde(deserialize_with = "de::list")]
    pub default_channels: Vec<String>,
    /// New-inquiry messages one recipient gets in a clock hour before the rest of that hour is
    /// folded into one summary (SPEC §3's flood guard).
    pub max_per_hour: u32,
    pub max_attempts: u32,
    #[serde(deserialize_with = "de::duration")]
    pub retry_initial_delay: Duration,
    #[serde(deserialize_with = "de::duration")]
    pub poll_interval: Duration,
    pub smtp: SmtpSettings,
}

/// One routing rule of `notify.routes`: the first rule whose prefix or host matches the
/// inquiry's article wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    #[serde(default)]
    pub article_url_prefix: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    /// Who is emailed; a route may tell channels only.
    #[serde(default, deserialize_with = "de::list")]
    pub recipients: Vec<Recipient>,
    /// The channels this route's inquiries go to, by name (`notify.channels`).
    #[serde(default, deserialize_with = "de::list")]
    pub channels: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    #[serde(deserialize_with = "de::string")]
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    #[serde(deserialize_with = "de::string")]
    pub username: String,
    #[serde(deserialize_with = "de::secret")]
    pub password: SecretString,
    /// PEM file with root certificates to trust besides the public ones; empty: none.
    #[serde(deserialize_with = "de::string")]
    pub ca_file: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSettings {
    #[serde(deserialize_with = "de::list")]
    pub cors_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    #[serde(deserialize_with = "de::opt_duration")]
    pub retention: Option<Duration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    #[serde(deserialize_with = "de::string")]
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// An address or network of `server.trusted_proxies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet(pub IpNet);

impl std::str::FromStr for ProxyNet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(Self(net.trunc()));
        }
        s.parse::<IpAddr>()
            .map(|ip| Self(IpNet::from(ip)))
            .map_err(|_| format!("`{s}` is not an IP address or CIDR"))
    }
}

impl ServerSettings {
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        self.trusted_proxies.iter().any(|net| net.0.contains(&ip))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are compared as IPv4.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl IntakeSettings {
    /// Whether an article from this host may be recorded; an empty list allows any host.
    pub fn host_allowed(&self, host: &str) -> bool {
        self.allowed_site_hosts.is_empty()
            || self.allowed_site_hosts.iter().any(|p| p.matches(host))
    }

    /// Whether `_next` may redirect to this host: only hosts listed explicitly (no wildcard, and
    /// never because the list is empty), so the form cannot be used as an open redirect.
    pub fn host_listed_explicitly(&self, host: &str) -> bool {
        self.allowed_site_hosts
            .iter()
            .any(|p| matches!(p, HostPattern::Exact(h) if host.eq_ignore_ascii_case(h)))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Loads the settings as the binary does: defaults, `config/{APP_ENV}.toml` (relative to
    /// `config_dir`), `DATABASE_URL`, then `INQUIRY_DESK__…` variables.
    pub fn load(config_dir: &Path) -> Result<Self, SettingsError> {
        let app_env = std::env::var("APP_ENV").unwrap_or_else(|_| "development".into());
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML))
            .merge(Toml::file(config_dir.join(format!("{app_env}.toml"))));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database.url", url));
        }
        figment = figment.merge(
            Env::prefixed(ENV_PREFIX)
                .filter(|key| {
                    !key.as_str().eq_ignore_ascii_case("notify__routes")
                        && !key.as_str().eq_ignore_ascii_case("notify__channels")
                })
                .split("__"),
        );
        // `notify.routes` comes as JSON text; read it ourselves so that Env's own value syntax
        // does not reinterpret it.
        if let Ok(routes) = std::env::var(format!("{ENV_PREFIX}NOTIFY__ROUTES")) {
            figment = figment.merge(Serialized::default("notify.routes", routes));
        }
        // So does `notify.channels` (`[{"name": …, "kind": …}]`).
        if let Ok(channels) = std::env::var(format!("{ENV_PREFIX}NOTIFY__CHANNELS")) {
            figment = figment.merge(Serialized::default("notify.channels", channels));
        }
        Self::from_figment(figment)
    }

    /// The compiled-in defaults alone (tests start from these).
    pub fn defaults() -> Result<Self, SettingsError> {
        Self::from_figment(Figment::from(Toml::string(DEFAULT_TOML)))
    }

    fn from_figment(figment: Figment) -> Result<Self, SettingsError> {
        let mut settings: Self = figment.extract().map_err(Box::new)?;
        channels::check_all(&mut settings.notify.channels).map_err(SettingsError::Invalid)?;
        settings.check()?;
        Ok(settings)
    }

    /// Checks what serde cannot: relations between keys and values that must parse.
    pub fn check(&self) -> Result<(), SettingsError> {
        let invalid = |m: String| Err(SettingsError::Invalid(m));
        let named = |name: &String| self.notify.channels.iter().any(|c| &c.name == name);
        let routes = self.notify.routes.iter().flat_map(|r| &r.channels);
        if let Some(name) = self
            .notify
            .default_channels
            .iter()
            .chain(routes)
            .find(|n| !named(n))
        {
            return invalid(format!(
                "notify: the channel {name:?} is not one of notify.channels"
            ));
        }
        if url::Url::parse(&self.server.public_base_url).is_err() {
            return invalid("server.public_base_url must be an absolute URL".into());
        }
        if !self.intake.thank_you_url.is_empty() {
            match url::Url::parse(&self.intake.thank_you_url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => return invalid("intake.thank_you_url must be an absolute http(s) URL".into()),
            }
        }
        if self.intake.honeypot_field.trim().is_empty() {
            return invalid("intake.honeypot_field must not be empty".into());
        }
        // A honeypot named like a field people or the form's script fill in would file every
        // real lead as spam.
        if crate::domain::inquiry::is_form_field(&self.intake.honeypot_field) {
            return invalid(format!(
                "intake.honeypot_field must not be a field the form sends ({:?} is one)",
                self.intake.honeypot_field
            ));
        }
        if self.database.max_connections == 0 {
            return invalid("database.max_connections must be at least 1".into());
        }
        if self.database.intake_connections == 0 {
            return invalid("database.intake_connections must be at least 1".into());
        }
        if self.intake.max_body_bytes < 1024 {
            return invalid("intake.max_body_bytes must be at least 1024".into());
        }
        if self.notify.max_attempts == 0 {
            return invalid("notify.max_attempts must be at least 1".into());
        }
        for (i, route) in self.notify.routes.iter().enumerate() {
            if route.article_url_prefix.is_none() == route.host.is_none() {
                return invalid(format!(
                    "notify.routes[{i}] needs exactly one of article_url_prefix or host"
                ));
            }
            if route.recipients.is_empty() && route.channels.is_empty() {
                return invalid(format!(
                    "notify.routes[{i}] has no recipients and no channels"
                ));
            }
        }
        if let Err(e) = self.log.level.parse::<tracing_subscriber::EnvFilter>() {
            return invalid(format!("log.level: {e}"));
        }
        Ok(())
    }

    /// Warnings worth printing at start-up and by `check-config`.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for c in &self.notify.channels {
            let platform = c.kind.default_rate_per_minute();
            if let (Some(rate), Some(limit)) = (c.rate_per_minute, platform) {
                if rate > limit {
                    warnings.push(format!(
                        "notify.channels[{}].rate_per_minute = {rate} is more than the platform \
                         allows ({limit} a minute): the robot will be throttled or banned",
                        c.name
                    ));
                }
            }
        }
        let mut urls: Vec<&str> = self
            .notify
            .channels
            .iter()
            .map(|c| c.webhook_url.expose_secret())
            .collect();
        urls.sort_unstable();
        if urls.windows(2).any(|pair| pair[0] == pair[1]) {
            warnings.push(
                "two notify.channels share one webhook_url: each counts its own rate, so the \
                 robot sees both and may throttle or ban them"
                    .into(),
            );
        }
        if self.notify.default_recipients.is_empty() && self.notify.routes.is_empty() {
            warnings.push(
                "no notification recipients configured (notify.default_recipients, notify.routes): \
                 inquiries are stored but nobody is emailed"
                    .into(),
            );
        }
        for channel in self.notify.channels.iter().filter(|c| c.insecure()) {
            warnings.push(format!(
                "notify.channels[{}] posts over plain http to a host that is not this machine: \
                 its credential and every lead can be read on the way",
                channel.name
            ));
        }
        if self.intake.allowed_site_hosts.is_empty() {
            warnings.push(
                "intake.allowed_site_hosts is empty: articles from any host are accepted \
                 (development only)"
                    .into(),
            );
        }
        if let Some(warning) = unverified_database_tls(self.database.url.expose_secret()) {
            warnings.push(warning);
        }
        warnings
    }
}

/// A warning when `database.url` names a remote host without `sslmode=verify-full` or
/// `verify-ca`: without one the connection is unencrypted (`disable`, `allow`, or `prefer`
/// against a server without TLS) or encrypted to a server nobody checked (`require`), so the
/// password and every lead can be read or changed on the way (libpq's `sslmode` table:
/// postgresql.org/docs/15/libpq-ssl.html). Loopback and Unix sockets never leave the machine.
pub fn unverified_database_tls(url: &str) -> Option<String> {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(url).ok()?;
    let host = options.get_host();
    let local = host.starts_with('/')
        || host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if local {
        return None;
    }
    // As the connection will use it: `sslmode` (or `ssl-mode`) in the URL, else PGSSLMODE, else
    // `prefer` (`storage::connection::connect_options`).
    let explicit = url.contains("sslmode=") || url.contains("ssl-mode=");
    let from_env = std::env::var_os("PGSSLMODE").is_some();
    let mode = (explicit || from_env).then(|| options.get_ssl_mode());
    use sqlx::postgres::PgSslMode;
    let name = match mode {
        Some(PgSslMode::VerifyFull | PgSslMode::VerifyCa) => return None,
        Some(PgSslMode::Disable) => "disable",
        Some(PgSslMode::Allow) => "allow",
        Some(PgSslMode::Prefer) => "prefer",
        Some(PgSslMode::Require) => "require",
        None => "",
    };
    match mode {
        Some(_) => Some(format!(
            "database.url: sslmode={name} to the remote host {host}: the server's certificate \
             is not verified, so the connection can be read or changed on the way; use \
             sslmode=verify-full"
        )),
        None => Some(format!(
            "database.url has no sslmode for the remote host {host}: the connection is not \
             verified (TLS only if the server offers it, its certificate unchecked); add \
             sslmode=verify-full"
        )),
    }
}

/// Deserializers for values that arrive either typed (TOML) or as text (environment variables).
mod de {
    use std::fmt::Display;
    use std::str::FromStr;
    use std::time::Duration;

    use lettre::message::Mailbox;
    use secrecy::SecretString;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};

    use super::Route;

    /// Text, number or boolean, as text: an environment variable `…__PASSWORD=123456` arrives as
    /// a number.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Int(i64),
        UInt(u64),
        Float(f64),
        Bool(bool),
    }

    impl Scalar {
        fn into_string(self) -> String {
            match self {
                Scalar::Text(s) => s,
                Scalar::Int(n) => n.to_string(),
                Scalar::UInt(n) => n.to_string(),
                Scalar::Float(n) => n.to_string(),
                Scalar::Bool(b) => b.to_string(),
            }
        }
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Scalar::deserialize(d).map(Scalar::into_string)
    }

    pub fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        string(d).map(SecretString::from)
    }

    pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        match Scalar::deserialize(d)? {
            Scalar::Int(n) if n >= 0 => Ok(Duration::from_secs(n as u64)),
            Scalar::UInt(n) => Ok(Duration::from_secs(n)),
            Scalar::Text(s) => humantime::parse_duration(s.trim())
                .map_err(|e| D::Error::custom(format!("`{s}` is not a duration ({e})"))),
            _ => Err(D::Error::custom(
                "expected a duration such as \"3s\" or \"24h\"",
            )),
        }
    }

    pub fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        match Scalar::deserialize(d)? {
            Scalar::Text(s) if s.trim().is_empty() => Ok(None),
            Scalar::Text(s) => humantime::parse_duration(s.trim())
                .map(Some)
                .map_err(|e| D::Error::custom(format!("`{s}` is not a duration ({e})"))),
            _ => Err(D::Error::custom(
                "expected a duration such as \"730d\", or \"\"",
            )),
        }
    }

    pub fn opt_socket_addr<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<std::net::SocketAddr>, D::Error> {
        let text = string(d)?;
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| {
            D::Error::custom(format!(
                "`{text}` is not an address and port such as \"127.0.0.1:9090\""
            ))
        })
    }

    pub fn mailbox<'de, D: Deserializer<'de>>(d: D) -> Result<Mailbox, D::Error> {
        let s = string(d)?;
        s.trim()
            .parse()
            .map_err(|e| D::Error::custom(format!("`{s}` is not an email address: {e}")))
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<Scalar>),
        Text(String),
    }

    /// A list, or comma-separated text (environment variables).
    pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: FromStr,
        T::Err: Display,
    {
        let items: Vec<String> = match ListOrText::deserialize(d)? {
            ListOrText::List(items) => items.into_iter().map(Scalar::into_string).collect(),
            ListOrText::Text(text) => text.split(',').map(str::to_string).collect(),
        };
        items
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<T>().map_err(D::Error::custom))
            .collect()
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum RoutesOrJson {
        Routes(Vec<Route>),
        Json(String),
    }

    pub fn routes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Route>, D::Error> {
        match RoutesOrJson::deserialize(d)? {
            RoutesOrJson::Routes(routes) => Ok(routes),
            RoutesOrJson::Json(text) if text.trim().is_empty() => Ok(Vec::new()),
            RoutesOrJson::Json(text) => serde_json::from_str(&text)
                .map_err(|e| D::Error::custom(format!("notify.routes is not valid JSON: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_in_defaults_match_the_spec() {
        let s = Settings::defaults().expect("defaults load");
        assert_eq!(s.server.host, "127.0.0.1");
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.server.body_timeout, Duration::from_secs(10));
        assert_eq!(s.server.stalled_download_timeout, Duration::from_secs(60));
        assert_eq!(s.server.metrics_address, None);
        assert_eq!(s.notify.max_per_hour, 120);
        assert_eq!(s.database.max_connections, 16);
        assert_eq!(s.database.intake_connections, 16);
        assert_eq!(s.database.acquire_timeout, Duration::from_secs(3));
        assert_eq!(s.intake.honeypot_field, "website");
        assert_eq!(s.intake.dedup_window, Duration::from_secs(24 * 3600));
        assert_eq!(s.intake.min_fill_time, Duration::from_secs(3));
        assert_eq!(s.intake.rate_limit_per_minute, 10);
        assert_eq!(s.intake.rate_limit_burst, 5);
        assert_eq!(s.intake.max_body_bytes, 65536);
        assert!(s.notify.worker_enabled);
        assert_eq!(s.notify.max_attempts, 12);
        assert_eq!(s.notify.smtp.tls, SmtpTls::Starttls);
        assert_eq!(s.notify.smtp.port, 587);
        assert_eq!(s.privacy.retention, None);
        assert_eq!(s.log.format, LogFormat::Text);
    }

    #[test]
    fn a_honeypot_named_like_a_field_the_form_sends_is_refused() {
        // It would file every real lead as spam.
        for name in [
            "company",
            "phone",
            " need ",
            "_charset_",
            "_ts",
            "utm_source",
            "consent",
        ] {
            let mut s = Settings::defaults().unwrap();
            s.intake.honeypot_field = name.into();
            assert!(s.check().is_err(), "{name:?}");
        }
        for name in ["website", "fax_number", "homepage"] {
            let mut s = Settings::defaults().unwrap();
            s.intake.honeypot_field = name.into();
            assert!(s.check().is_ok(), "{name:?}");
        }
    }

    #[test]
    fn host_patterns_match_exact_hosts_and_subdomains() {
        let exact: HostPattern = "Example.cn".parse().unwrap();
        let sub: HostPattern = "*.example.cn".parse().unwrap();
        assert!(exact.matches("example.cn"));
        assert!(!exact.matches("www.example.cn"));
        assert!(sub.matches("www.example.cn"));
        assert!(sub.matches("a.b.example.cn"));
        assert!(!sub.matches("example.cn"));
        assert!(!sub.matches("badexample.cn"));
        assert!("http://x".parse::<HostPattern>().is_err());
    }

    #[test]
    fn trusted_proxies_accept_addresses_and_networks() {
        let a: ProxyNet = "10.0.0.0/8".parse().unwrap();
        assert!(a.0.contains(&"10.1.2.3".parse::<IpAddr>().unwrap()));
        let b: ProxyNet = "::1".parse().unwrap();
        assert!(b.0.contains(&"::1".parse::<IpAddr>().unwrap()));
        assert!("nope".parse::<ProxyNet>().is_err());
    }

    #[test]
    fn remote_database_without_verified_tls_warns() {
        let table = [
            ("postgres://postgres@localhost:5432/db", false),
            ("postgres://postgres@127.0.0.1/db", false),
            ("postgres://postgres@[::1]/db", false),
            ("postgres:///db?host=/var/run/postgresql", false),
            ("postgres://u:p@db.internal:5432/db", true),
            ("postgres://u:p@10.0.0.5/db?sslmode=prefer", true),
            ("postgres://u:p@10.0.0.5/db?sslmode=require", true),
            ("postgres://u:p@10.0.0.5/db?sslmode=disable", true),
            ("postgres://u:p@10.0.0.5/db?sslmode=verify-full", false),
            ("postgres://u:p@pg.example.cn/db?sslmode=verify-ca", false),
        ];
        for (url, warns) in table {
            let warning = unverified_database_tls(url);
            assert_eq!(warning.is_some(), warns, "{url}: {warning:?}");
            if let Some(w) = warning {
                assert!(!w.contains(":p@"), "the password stays out: {w}");
            }
        }
    }
}
