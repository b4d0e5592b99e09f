//! Which sales contacts and channels are told about an inquiry: the first matching rule of
//! `notify.routes`, else `notify.default_recipients` and `notify.default_channels`.

use crate::domain::article::ArticleUrl;
use crate::settings::{HostPattern, NotifySettings, Recipient, Route};

/// The rule of `notify.routes` that decides this article's notifications: the first whose
/// prefix or host matches; `None` for an inquiry without an article or when none matches.
fn matching_route<'a>(
    settings: &'a NotifySettings,
    article: Option<&ArticleUrl>,
) -> Option<&'a Route> {
    article.and_then(|url| {
        settings.routes.iter().find(|route| {
            let by_prefix = route
                .article_url_prefix
                .as_deref()
                .is_some_and(|prefix| url.as_str().starts_with(prefix));
            let by_host = route
                .host
                .as_deref()
                .and_then(|h| h.parse::<HostPattern>().ok())
                .is_some_and(|pattern| pattern.matches(url.host()));
            by_prefix || by_host
        })
    })
}

/// Who is told about an inquiry on this article (or without one), as the outbox's recipients:
/// the mailboxes, then each channel as `channel:<name>` ([`CHANNEL_PREFIX`]; the outbox's
/// `channel` column reads it back). The route is matched once (this runs on the intake path).
pub fn recipients_for(settings: &NotifySettings, article: Option<&ArticleUrl>) -> Vec<String> {
    let route = matching_route(settings, article);
    let mut out = unique(mailboxes(settings, route).iter().map(ToString::to_string));
    out.extend(
        channels(settings, route)
            .iter()
            .map(|name| format!("{CHANNEL_PREFIX}{name}")),
    );
    out
}

/// How an outbox row names a channel as its recipient.
pub const CHANNEL_PREFIX: &str = "channel:";

/// The channel an outbox recipient names, if it names one.
pub fn channel_of(recipient: &str) -> Option<&str> {
    recipient.strip_prefix(CHANNEL_PREFIX)
}

/// The channels (`notify.channels`, by name) for an inquiry on this article: the matching
/// route's, else `notify.default_channels` (SPEC §6).
pub fn channels_for(settings: &NotifySettings, article: Option<&ArticleUrl>) -> Vec<String> {
    channels(settings, matching_route(settings, article))
}

/// The route's mailboxes, else the default ones.
fn mailboxes<'a>(settings: &'a NotifySettings, route: Option<&'a Route>) -> &'a [Recipient] {
    route.map_or(&settings.default_recipients, |r| &r.recipients)
}

/// The route's channels, else the default ones; each once, in order.
fn channels(settings: &NotifySettings, route: Option<&Route>) -> Vec<String> {
    let names = route.map_or(&settings.default_channels, |r| &r.channels);
    unique(names.iter().cloned())
}

/// Each item once, in the order first given.
fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Route, Settings};

    fn route(prefix: Option<&str>, host: Option<&str>, to: &str) -> Route {
        Route {
            article_url_prefix: prefix.map(Into::into),
            host: host.map(Into::into),
            recipients: vec![to.parse().unwrap()],
            channels: Vec::new(),
        }
    }

    #[test]
    fn first_matching_route_wins_else_defaults() {
        let mut notify = Settings::defaults().unwrap().notify;
        notify.default_recipients = vec!["default@example.cn".parse().unwrap()];
        notify.routes = vec![
            route(
                Some("https://www.example.cn/zhuhai/"),
                None,
                "zhuhai@example.cn",
            ),
            route(None, Some("www.example.cn"), "site@example.cn"),
            route(None, Some("*.example.hk"), "hk@example.cn"),
        ];
        let url = |u: &str| ArticleUrl::parse(u).unwrap();
        let cases = [
            (
                Some(url("https://www.example.cn/zhuhai/1.html")),
                "zhuhai@example.cn",
            ),
            (
                Some(url("https://www.example.cn/shenzhen/1.html")),
                "site@example.cn",
            ),
            (Some(url("https://news.example.hk/a")), "hk@example.cn"),
            (Some(url("https://other.cn/a")), "default@example.cn"),
            (None, "default@example.cn"),
        ];
        for (article, expected) in cases {
            assert_eq!(
                recipients_for(&notify, article.as_ref()),
                vec![expected.to_string()]
            );
        }
    }

    #[test]
    fn a_route_names_its_channels_and_the_defaults_hold_elsewhere() {
        let mut notify = Settings::defaults().unwrap().notify;
        notify.default_channels = vec!["all-sales".into()];
        let mut zhuhai = route(Some("https://www.example.cn/zhuhai/"), None, "z@example.cn");
        zhuhai.channels = vec!["zhuhai-wecom".into(), "crm".into()];
        let quiet = route(None, Some("www.example.hk"), "hk@example.cn");
        notify.routes = vec![zhuhai, quiet];
        let url = |u: &str| ArticleUrl::parse(u).unwrap();
        let zh = url("https://www.example.cn/zhuhai/1.html");
        assert_eq!(channels_for(&notify, Some(&zh)), ["zhuhai-wecom", "crm"]);
        // A route that names no channel sends to none (its email recipients only).
        let hk = url("https://www.example.hk/a");
        assert!(channels_for(&notify, Some(&hk)).is_empty());
        assert_eq!(channels_for(&notify, None), ["all-sales"]);
        // The outbox's recipients: mailboxes, then the channels.
        assert_eq!(
            recipients_for(&notify, Some(&zh)),
            ["z@example.cn", "channel:zhuhai-wecom", "channel:crm"]
        );
        assert_eq!(channel_of("channel:crm"), Some("crm"));
        assert_eq!(channel_of("sales@example.cn"), None);
        let other = url("https://other.cn/a");
        assert_eq!(channels_for(&notify, Some(&other)), ["all-sales"]);
    }
}
