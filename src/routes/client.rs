//! What a request says about its sender: client IP (behind trusted proxies), user agent, and
//! what kind of answer it wants.

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::settings::{canonical_ip, ServerSettings};

/// Longest user agent stored.
const MAX_USER_AGENT_CHARS: usize = 512;

/// The socket peer, unless it is a trusted proxy: then the right-most address of
/// `X-Forwarded-For` that is not a trusted proxy itself. Entries are read as proxies write them
/// ([`forwarded_entry`]); one that is no address (`unknown`, an obfuscated name, garbage) is
/// skipped. `None` when a trusted proxy names no such address: never the proxy's own, which
/// would put every visitor behind it in one rate-limit bucket (SPEC §2).
pub fn client_ip(req: &HttpRequest, server: &ServerSettings) -> Option<IpAddr> {
    let peer = canonical_ip(req.peer_addr()?.ip());
    if !server.is_trusted_proxy(peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    forwarded
        .iter()
        .rev()
        .filter_map(|e| forwarded_entry(e))
        .map(canonical_ip)
        .find(|ip| !server.is_trusted_proxy(*ip))
}

/// One `X-Forwarded-For` entry as proxies write it: `203.0.113.7`, `203.0.113.7:51234`,
/// `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:443` (nginx, HAProxy, Azure and AWS load
/// balancers write ports; RFC 7239 brackets IPv6), optionally quoted. `None` for anything else
/// (`unknown`, RFC 7239's obfuscated `_hidden`, garbage).
pub fn forwarded_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"').trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        let (ip, tail) = rest.split_once(']')?;
        let port_ok = tail.is_empty()
            || tail
                .strip_prefix(':')
                .is_some_and(|p| p.parse::<u16>().is_ok());
        return port_ok
            .then(|| ip.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6))
            .flatten();
    }
    entry
        .parse::<std::net::SocketAddrV4>()
        .ok()
        .map(|a| IpAddr::V4(*a.ip()))
}

/// The key a client is counted by (rate limits, Idempotency-Key scope): its IPv4 address, or
/// the /64 network of its IPv6 address — one subscriber's line or phone gets a whole /64
/// (RFC 6177 and the RIPE-690 practice), so counting single IPv6 addresses would let one client
/// pose as 2^64.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match canonical_ip(ip) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

pub fn user_agent(req: &HttpRequest) -> Option<String> {
    let ua = req.headers().get(header::USER_AGENT)?.to_str().ok()?.trim();
    (!ua.is_empty()).then(|| ua.chars().take(MAX_USER_AGENT_CHARS).collect())
}

pub fn referer(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::REFERER)?.to_str().ok()
}

/// Whether `Accept` ranks `text/html` above `application/json` (a browser's form post).
pub fn prefers_html(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    // At equal quality, a type named outright outranks one reached by a wildcard (RFC 9110
    // §12.5.1): Internet Explorer 11 and 360 Browser's compatibility mode send
    // "text/html, application/xhtml+xml, image/jxr, */*" and want the page, not JSON.
    let (html, html_named) = ranking(accept, "text", "html");
    let (json, json_named) = ranking(accept, "application", "json");
    html > json || (html == json && html > 0.0 && html_named > json_named)
}

/// The quality `Accept` gives a media type.
#[cfg(test)]
fn quality(accept: &str, kind: &str, subtype: &str) -> f32 {
    ranking(accept, kind, subtype).0
}

/// The quality `Accept` gives a media type — that of its most specific matching range — and
/// how specific that range is (3 the type itself, 2 `type/*`, 1 `*/*`, 0 none).
fn ranking(accept: &str, kind: &str, subtype: &str) -> (f32, u8) {
    let mut best: Option<(u8, f32)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let (k, s) = range.split_once('/').unwrap_or((range.as_str(), ""));
        let specificity = match (k, s) {
            (k, s) if k == kind && s == subtype => 3,
            (k, "*") if k == kind => 2,
            ("*", "*") => 1,
            _ => continue,
        };
        if best.is_none_or(|(bs, _)| specificity > bs) {
            best = Some((specificity, q));
        }
    }
    best.map_or((0.0, 0), |(specificity, q)| (q, specificity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_ranking() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(quality(browser, "text", "html") > quality(browser, "application", "json"));
        let fetch = "*/*";
        assert_eq!(
            quality(fetch, "text", "html"),
            quality(fetch, "application", "json")
        );
        let api = "application/json";
        assert!(quality(api, "text", "html") < quality(api, "application", "json"));
        let both = "application/json, text/html;q=0.5";
        assert!(quality(both, "text", "html") < quality(both, "application", "json"));
    }

    #[test]
    fn forwarded_entries_as_proxies_write_them() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        let table = [
            ("203.0.113.7", ip("203.0.113.7")),
            (" 203.0.113.7 ", ip("203.0.113.7")),
            ("203.0.113.7:51234", ip("203.0.113.7")),
            ("\"203.0.113.7:51234\"", ip("203.0.113.7")),
            ("2001:db8::1", ip("2001:db8::1")),
            ("[2001:db8::1]", ip("2001:db8::1")),
            ("[2001:db8::1]:443", ip("2001:db8::1")),
            ("\"[2001:db8::1]:443\"", ip("2001:db8::1")),
            ("::ffff:203.0.113.7", ip("::ffff:203.0.113.7")),
            ("unknown", None),
            ("_hidden", None),
            ("", None),
            ("203.0.113.7:99999", None),
            ("[2001:db8::1]:x", None),
            ("[203.0.113.7]", None),
            ("203.0.113", None),
            ("example.com", None),
        ];
        for (entry, expected) in table {
            assert_eq!(forwarded_entry(entry), expected, "{entry:?}");
        }
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let key = |s: &str| client_key(s.parse().expect("address"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("2001:db8:1:2:3:4:5:6").to_string(), "2001:db8:1:2::");
        assert_eq!(key("203.0.113.7").to_string(), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7").to_string(), "203.0.113.7");
    }
}
