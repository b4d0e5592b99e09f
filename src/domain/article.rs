//! Article URLs: the canonical form under which an article is found or created, and the ad
//! click IDs a paid visit carries in it (SPEC §2, Article and Attribution).

use std::collections::BTreeMap;

use url::Url;

use super::text;
use crate::settings::TrackingParameter;

/// Longest article URL accepted (SPEC §2).
pub const MAX_URL_CHARS: usize = 2048;

/// Query parameters that track a visit rather than identify a page (besides every `utm_*` and
/// Google Translate's `_x_tr_*`): dropped from the canonical URL so that the same article
/// shared through WeChat, reached from a Baidu or Tencent ad or a newsletter is one article.
/// SPEC §2's list, with the click IDs of [`CLICK_IDS`].
const TRACKING_PARAMS: &[&str] = &[
    // SPEC §2 and WeChat's share parameters.
    "spm",
    "from",
    "isappinstalled",
    "scene",
    "nsukey",
    "share_token",
    "sharer_sharetime",
    "sharer_shareid",
    "ascene",
    "devicetype",
    "clicktime",
    "enterid",
    // Baidu Tongji's campaign parameters (its UTM) and Baidu ads' extra ones.
    "hmsr",
    "hmpl",
    "hmcu",
    "hmkw",
    "hmci",
    "sdclkid",
    "bd_bxst",
    // Google Ads' own. (Ocean Engine's `adid`, `creativeid`, `projectid`, … are names each
    // advertiser chooses, and `projectid` may well name a page on an industrial-park site:
    // add them to `intake.tracking_parameters` where they are trackers.)
    "gad_source",
    "gad_campaignid",
];

/// Ad click IDs by query parameter name, with the platform that writes them (each platform's
/// conversion-tracking documentation): kept as attribution, dropped from the canonical URL.
pub const CLICK_IDS: &[(&str, &str)] = &[
    ("bd_vid", "Baidu"),
    ("qz_gdt", "Tencent"),
    ("gdt_vid", "Tencent"),
    ("click_id", "Tencent"),
    ("weixinadinfo", "Tencent (WeChat)"),
    ("wx_aid", "Tencent (WeChat)"),
    ("clickid", "Ocean Engine"),
    ("gclid", "Google"),
    ("gbraid", "Google"),
    ("wbraid", "Google"),
    ("fbclid", "Meta"),
    ("msclkid", "Microsoft"),
    ("ttclid", "TikTok"),
];

/// Longest click ID kept; real ones are well under 200 characters.
const MAX_CLICK_ID_CHARS: usize = 256;

/// Google Translate's proxy serves `www.example.cn` as `www-example-cn.translate.goog`.
const TRANSLATE_PROXY_SUFFIX: &str = ".translate.goog";

/// The canonical URL of an article: lower-case scheme and host, no fragment, no default port,
/// no tracking parameters, the remaining parameters sorted; a page read through Google's
/// translation proxy is its original page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleUrl {
    url: Url,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleUrlError {
    /// Not an absolute http(s) URL with a host, or longer than 2048 characters.
    Invalid,
}

impl ArticleUrl {
    /// Canonicalises with SPEC §2's tracking parameters only.
    pub fn parse(input: &str) -> Result<Self, ArticleUrlError> {
        Self::parse_with(input, &[])
    }

    /// Canonicalises, also dropping `extra` parameters (`intake.tracking_parameters`).
    pub fn parse_with(input: &str, extra: &[TrackingParameter]) -> Result<Self, ArticleUrlError> {
        let url = parse_page(input).ok_or(ArticleUrlError::Invalid)?;
        Self::from_url(url, extra)
    }

    /// Canonicalises a page URL already read by [`parse_page`]. Errors: `Invalid` when the
    /// canonical form is longer than 2048 characters.
    pub fn from_url(mut url: Url, extra: &[TrackingParameter]) -> Result<Self, ArticleUrlError> {
        if let Some(original) = untranslated(&url) {
            url = original;
        }
        // "www.example.cn." is www.example.cn.
        if let Some(host) = url.host_str().and_then(|h| h.strip_suffix('.')) {
            let host = host.to_string();
            url.set_host(Some(&host))
                .map_err(|_| ArticleUrlError::Invalid)?;
        }
        // The url crate already lower-cases scheme and host (IDNA for Unicode hosts) and drops
        // default ports.
        url.set_fragment(None);
        // A servlet session id in the path (";jsessionid=…") names a visit, not a page.
        if let Some(at) = url.path().to_ascii_lowercase().find(";jsessionid=") {
            let path = url.path()[..at].to_string();
            url.set_path(&path);
        }
        let query = url.query().unwrap_or_default().to_string();
        let kept: Vec<&str> = query
            .split('&')
            .filter(|part| !part.is_empty() && !is_tracking_param(&param_name(part), extra))
            .collect();
        // Parameters are decoded and written again in one form, sorted — unless that would
        // change them: a value in a legacy charset (a GBK site's `?kw=%D6%D0`) or a bare path
        // (`index.php?/article/12.html`) is kept byte for byte.
        let lossless = kept
            .iter()
            .all(|part| part.contains('=') && form_decoded(part.as_bytes()).is_ok());
        if kept.is_empty() {
            url.set_query(None);
        } else if lossless {
            let mut params: Vec<(String, String)> = kept
                .iter()
                .filter_map(|part| {
                    let (k, v) = part.split_once('=')?;
                    Some((
                        form_decoded(k.as_bytes()).ok()?,
                        form_decoded(v.as_bytes()).ok()?,
                    ))
                })
                .collect();
            params.sort();
            url.query_pairs_mut().clear().extend_pairs(params);
        } else {
            let mut raw = kept;
            raw.sort_unstable();
            url.set_query(Some(&raw.join("&")));
        }
        if url.as_str().chars().count() > MAX_URL_CHARS {
            return Err(ArticleUrlError::Invalid);
        }
        Ok(Self { url })
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The host in ASCII (punycode for IDN hosts), lower case.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// The site's home page is not an article.
    pub fn is_root(&self) -> bool {
        self.url.path() == "/" && self.url.query().is_none()
    }
}

/// Longest page URL read at all: a URL made long by ad parameters (which canonicalisation
/// drops) still names its article.
pub const MAX_PAGE_URL_CHARS: usize = 8 * MAX_URL_CHARS;

/// A page URL as the form or the `Referer` gives it: an absolute http(s) URL with a host and no
/// credentials, at most [`MAX_PAGE_URL_CHARS`]; `None` otherwise.
pub fn parse_page(input: &str) -> Option<Url> {
    let input = input.trim();
    if input.len() > 4 * MAX_PAGE_URL_CHARS || input.chars().count() > MAX_PAGE_URL_CHARS {
        return None;
    }
    let url = Url::parse(input).ok()?;
    let usable = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none();
    usable.then_some(url)
}

/// The original page of a URL on Google's translation proxy: in the first label of
/// `*.translate.goog`, `--` stands for `-` and `-` for `.`; `_x_tr_sch=http` marks an http
/// site (https otherwise); the other `_x_tr_*` parameters go with the tracking ones.
fn untranslated(url: &Url) -> Option<Url> {
    let host = untranslated_host(url.host_str()?)?;
    let http = url
        .query_pairs()
        .any(|(k, v)| k.eq_ignore_ascii_case("_x_tr_sch") && v == "http");
    let mut original = url.clone();
    original
        .set_scheme(if http { "http" } else { "https" })
        .ok()?;
    original.set_host(Some(&host)).ok()?;
    original.set_port(None).ok()?;
    Some(original)
}

/// The original host of a host on Google's translation proxy (`www-example-cn.translate.goog`
/// → `www.example.cn`; `--` stands for `-`); `None` for any other host. The embedded form on a
/// translated page posts with that origin, so CORS reads it the same way.
pub fn untranslated_host(host: &str) -> Option<String> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let proxied = host.strip_suffix(TRANSLATE_PROXY_SUFFIX)?;
    if proxied.is_empty() || proxied.contains('.') {
        return None;
    }
    let mut original = String::with_capacity(proxied.len());
    let mut chars = proxied.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                chars.next();
                original.push('-');
            }
            '-' => original.push('.'),
            c => original.push(c),
        }
    }
    Some(original)
}

/// A query parameter's name or value as forms write it, decoded as UTF-8.
fn form_decoded(raw: &[u8]) -> Result<String, std::string::FromUtf8Error> {
    String::from_utf8(text::form_unescape(raw).into_owned())
}

/// The decoded name of a raw `name=value` query part (lossy: only compared with ASCII names).
fn param_name(part: &str) -> String {
    let name = part.split('=').next().unwrap_or_default();
    String::from_utf8_lossy(&text::form_unescape(name.as_bytes())).into_owned()
}

/// The value of query parameter `name` (compared without case) in a page URL, decoded as the
/// page wrote it: UTF-8, else GB18030 (a GBK site's links); `None` when absent, empty or
/// neither — never text with replacement characters.
pub fn query_value(url: &Url, name: &str) -> Option<String> {
    let query = url.query()?;
    let raw = query
        .split('&')
        .find(|part| param_name(part).eq_ignore_ascii_case(name))?;
    let value = raw.split_once('=').map(|(_, v)| v).unwrap_or_default();
    let text = match String::from_utf8(text::form_unescape(value.as_bytes()).into_owned()) {
        Ok(text) => text,
        Err(e) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(e.as_bytes())?
            .into_owned(),
    };
    (!text.is_empty()).then_some(text)
}

fn is_tracking_param(key: &str, extra: &[TrackingParameter]) -> bool {
    let prefixed = |p: &str| {
        key.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    // WeChat's share parameters (`sharer_shareid`, `sharer_shareinfo`, …) and Google Ads'
    // (`gad_source`, `gad_campaignid`, …) come in families.
    prefixed("utm_")
        || prefixed("_x_tr_")
        || prefixed("sharer_")
        || prefixed("gad_")
        || TRACKING_PARAMS.iter().any(|p| key.eq_ignore_ascii_case(p))
        || CLICK_IDS
            .iter()
            .any(|(name, _)| key.eq_ignore_ascii_case(name))
        || extra.iter().any(|p| key.eq_ignore_ascii_case(&p.0))
}

/// The ad click IDs in a page URL, by parameter name (lower case): `bd_vid=…` from a Baidu ad,
/// `gdt_vid=…` from Tencent's, and so on ([`CLICK_IDS`]). Unreplaced macros (`__CLICKID__`,
/// `{gclid}`) and empty values are not click IDs; a name given twice keeps its first value.
pub fn click_ids(page: &str) -> BTreeMap<String, String> {
    parse_page(page)
        .map(|url| click_ids_of(&url))
        .unwrap_or_default()
}

/// [`click_ids`] of a URL already parsed.
pub fn click_ids_of(url: &Url) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for (key, value) in url.query_pairs() {
        let key = key.to_ascii_lowercase();
        let value = value.trim();
        if !CLICK_IDS.iter().any(|(name, _)| *name == key) || is_macro(value) {
            continue;
        }
        // Click IDs are ASCII tokens; one that decoded into control or replacement characters
        // is not one.
        if value
            .chars()
            .any(|c| c.is_control() || c == char::REPLACEMENT_CHARACTER)
        {
            continue;
        }
        found
            .entry(key)
            .or_insert_with(|| value.chars().take(MAX_CLICK_ID_CHARS).collect());
    }
    found
}

/// An ad platform's placeholder left in the URL because the platform did not fill it in:
/// `__CLICKID__`, `__CALLBACK_PARAM__`, `{gclid}`, `${click_id}`, `%%CLICK_ID%%`.
fn is_macro(value: &str) -> bool {
    value.is_empty()
        || (value.len() > 4 && value.starts_with("__") && value.ends_with("__"))
        || (value.starts_with('{') && value.ends_with('}'))
        || (value.starts_with("${") && value.ends_with('}'))
        || (value.len() > 4 && value.starts_with("%%") && value.ends_with("%%"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(input: &str) -> String {
        ArticleUrl::parse(input).expect(input).as_str().to_string()
    }

    #[test]
    fn canonicalises_urls() {
        let cases = [
            (
                "https://www.example.cn/a/1.html",
                "https://www.example.cn/a/1.html",
                "unchanged",
            ),
            (
                "HTTPS://WWW.Example.CN/a/1.html",
                "https://www.example.cn/a/1.html",
                "case",
            ),
            (
                "https://www.example.cn:443/a",
                "https://www.example.cn/a",
                "default https port",
            ),
            (
                "http://www.example.cn:80/a",
                "http://www.example.cn/a",
                "default http port",
            ),
            (
                "http://www.example.cn:8080/a",
                "http://www.example.cn:8080/a",
                "other port",
            ),
            (
                "https://www.example.cn/a#form",
                "https://www.example.cn/a",
                "fragment",
            ),
            (
                "https://www.example.cn/a?utm_source=wx&utm_medium=social&id=3",
                "https://www.example.cn/a?id=3",
                "utm",
            ),
            (
                "https://www.example.cn/a?from=singlemessage&isappinstalled=0",
                "https://www.example.cn/a",
                "WeChat share",
            ),
            (
                "https://www.example.cn/a?b=2&a=1&gclid=x&fbclid=y&spm=z&scene=1&nsukey=k",
                "https://www.example.cn/a?a=1&b=2",
                "sorted, trackers gone",
            ),
            (
                "https://www.example.cn/a?UTM_Source=x",
                "https://www.example.cn/a",
                "case of key",
            ),
            (
                "https://www.example.cn",
                "https://www.example.cn/",
                "root path",
            ),
            (
                "  https://www.example.cn/a  ",
                "https://www.example.cn/a",
                "spaces",
            ),
            (
                "https://www.example.cn/厂房/1",
                "https://www.example.cn/%E5%8E%82%E6%88%BF/1",
                "Chinese path",
            ),
        ];
        for (input, expected, what) in cases {
            assert_eq!(canonical(input), expected, "{what}");
        }
    }

    #[test]
    fn ad_clicks_and_configured_trackers_do_not_split_an_article() {
        let extra = vec![TrackingParameter("fromuid".into())];
        let cases = [
            (
                "https://www.example.cn/a/1.html?bd_vid=11962813526391466291",
                "Baidu",
            ),
            (
                "https://www.example.cn/a/1.html?qz_gdt=wx2ptmeoaaaeahkcb2ea",
                "Tencent qz_gdt",
            ),
            (
                "https://www.example.cn/a/1.html?gdt_vid=wx0ab1cdefgh&weixinadinfo=123.wx0.0.0",
                "Tencent gdt_vid",
            ),
            (
                "https://www.example.cn/a/1.html?click_id=abc&wx_aid=42",
                "Tencent click_id",
            ),
            (
                "https://www.example.cn/a/1.html?clickid=B.abc123&ad_platform=oe",
                "Ocean Engine, other kept",
            ),
            (
                "https://www.example.cn/a/1.html?gclid=Cj0KCQ&gbraid=0AA&wbraid=Cl",
                "Google",
            ),
            (
                "https://www.example.cn/a/1.html?msclkid=3f2&ttclid=E.C.P",
                "Microsoft, TikTok",
            ),
            ("https://www.example.cn/a/1.html?fromuid=77", "configured"),
            (
                "https://www.example.cn/a/1.html?BD_VID=x&Utm_Source=y",
                "upper case",
            ),
        ];
        for (input, what) in cases {
            let url = ArticleUrl::parse_with(input, &extra).expect(input);
            let expected = if what.contains("other kept") {
                "https://www.example.cn/a/1.html?ad_platform=oe"
            } else {
                "https://www.example.cn/a/1.html"
            };
            assert_eq!(url.as_str(), expected, "{what}");
        }
        assert_eq!(
            ArticleUrl::parse("https://www.example.cn/a?fromuid=77")
                .unwrap()
                .as_str(),
            "https://www.example.cn/a?fromuid=77",
            "not configured: kept"
        );
    }

    #[test]
    fn a_page_read_through_google_translate_is_its_original() {
        let cases = [
            (
                "https://www-example-cn.translate.goog/a/1.html?_x_tr_sl=auto&_x_tr_tl=en&_x_tr_hl=zh-CN&_x_tr_pto=wapp",
                "https://www.example.cn/a/1.html",
            ),
            (
                "https://gba--park-example-cn.translate.goog/a?id=3&_x_tr_sl=zh-CN&_x_tr_tl=en",
                "https://gba-park.example.cn/a?id=3",
            ),
            (
                "https://www-example-cn.translate.goog/a?_x_tr_sch=http&_x_tr_sl=auto",
                "http://www.example.cn/a",
            ),
            (
                "https://xn----fiqs8s-xn----fiqs8s.translate.goog/a",
                "https://xn--fiqs8s.xn--fiqs8s/a",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical(input), expected, "{input}");
        }
    }

    #[test]
    fn legacy_charset_values_and_bare_paths_are_kept_byte_for_byte() {
        let cases = [
            (
                "https://www.example.cn/g/1.html?kw=%D6%D0&utm_source=x",
                "https://www.example.cn/g/1.html?kw=%D6%D0",
            ),
            (
                "https://www.example.cn/g/1.html?kw=%B9%FA",
                "https://www.example.cn/g/1.html?kw=%B9%FA",
            ),
            (
                "https://www.example.cn/index.php?/article/12.html&bd_vid=1",
                "https://www.example.cn/index.php?/article/12.html",
            ),
            (
                "https://www.example.cn/a;jsessionid=ABC123?id=3",
                "https://www.example.cn/a?id=3",
            ),
            (
                "https://www-example-cn.translate.goog./a?_x_tr_sl=auto",
                "https://www.example.cn/a",
            ),
            (
                "https://www.example.cn/s?q=a+b&id=2",
                "https://www.example.cn/s?id=2&q=a+b",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical(input), expected, "{input}");
        }
        let url =
            parse_page("https://www.example.cn/a?utm_source=%D6%D0%B9%FA&x=%E5%8E%82").unwrap();
        assert_eq!(query_value(&url, "UTM_SOURCE").as_deref(), Some("中国"));
        assert_eq!(query_value(&url, "x").as_deref(), Some("厂"));
        assert_eq!(query_value(&url, "y"), None);
    }

    #[test]
    fn reads_click_ids_and_ignores_unreplaced_macros() {
        let ids = click_ids(
            "https://www.example.cn/a?bd_vid=11962813526391466291&clickid=__CLICKID__&gclid={gclid}&gdt_vid=wx0abc&id=3",
        );
        let got: Vec<(&str, &str)> = ids.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            [("bd_vid", "11962813526391466291"), ("gdt_vid", "wx0abc")]
        );
        assert!(click_ids("not a url").is_empty());
        assert!(click_ids("https://www.example.cn/a?click_id=").is_empty());
    }

    #[test]
    fn refuses_what_is_not_an_article_url() {
        for input in [
            "",
            "www.example.cn/a",
            "/a/1.html",
            "ftp://example.cn/a",
            "javascript:alert(1)",
            "https://user:pw@example.cn/a",
            "http://",
        ] {
            assert!(ArticleUrl::parse(input).is_err(), "{input:?}");
        }
        let long = format!("https://example.cn/{}", "a".repeat(2048));
        assert!(ArticleUrl::parse(&long).is_err());
    }

    #[test]
    fn knows_the_home_page() {
        assert!(ArticleUrl::parse("https://example.cn/").unwrap().is_root());
        assert!(ArticleUrl::parse("https://example.cn/?utm_source=x")
            .unwrap()
            .is_root());
        assert!(!ArticleUrl::parse("https://example.cn/a").unwrap().is_root());
    }
}
