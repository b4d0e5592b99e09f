//! Article URLs: the canonical form under which an article is found or created.

use url::Url;

/// Longest article URL accepted (SPEC §2).
pub const MAX_URL_CHARS: usize = 2048;

/// Query parameters that track a visit rather than identify a page: dropped from the canonical
/// URL so that the same article shared through WeChat, Baidu ads or a newsletter is one article.
const TRACKING_PARAMS: &[&str] = &[
    "gclid",
    "fbclid",
    "spm",
    "from",
    "isappinstalled",
    "scene",
    "nsukey",
];

/// The canonical URL of an article: lower-case scheme and host, no fragment, no default port,
/// no tracking parameters, the remaining parameters sorted.
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
    pub fn parse(input: &str) -> Result<Self, ArticleUrlError> {
        let input = input.trim();
        if input.chars().count() > MAX_URL_CHARS {
            return Err(ArticleUrlError::Invalid);
        }
        let mut url = Url::parse(input).map_err(|_| ArticleUrlError::Invalid)?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none_or(str::is_empty)
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(ArticleUrlError::Invalid);
        }
        // The url crate already lower-cases scheme and host and drops default ports.
        url.set_fragment(None);
        let mut params: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_tracking_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        params.sort();
        if params.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(params);
        }
        if url.as_str().chars().count() > MAX_URL_CHARS {
            return Err(ArticleUrlError::Invalid);
        }
        Ok(Self { url })
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// The site's home page is not an article.
    pub fn is_root(&self) -> bool {
        self.url.path() == "/" && self.url.query().is_none()
    }
}

fn is_tracking_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("utm_") || TRACKING_PARAMS.contains(&key.as_str())
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
