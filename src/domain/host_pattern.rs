//! Value types of the site settings: which hosts' pages are articles (`intake.allowed_site_hosts`)
//! and which query parameters are tracking (`intake.tracking_parameters`).

/// An entry of `intake.allowed_site_hosts`: a host name, or `*.example.cn` for its subdomains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    Exact(String),
    Subdomains(String),
}

impl std::str::FromStr for HostPattern {
    type Err = String;
    /// Reads `www.example.cn`, `*.example.cn`, or a host written in Unicode (`招商.中国`),
    /// which is kept in its ASCII (punycode, IDNA/UTS #46) form — the form the `url` crate gives
    /// an article URL's host — so that either spelling matches the other.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().trim_end_matches('.').to_lowercase();
        let (wildcard, host) = match s.strip_prefix("*.") {
            Some(rest) => (true, rest.to_string()),
            None => (false, s.clone()),
        };
        if host.is_empty()
            || host.contains(['/', ':', '*', ' ', '@'])
            || host.split('.').any(str::is_empty)
        {
            return Err(format!("`{s}` is not a host name or `*.domain` pattern"));
        }
        let host = idna::domain_to_ascii(&host)
            .map_err(|_| format!("`{s}` is not a valid host name (IDNA)"))?;
        Ok(if wildcard {
            Self::Subdomains(host)
        } else {
            Self::Exact(host)
        })
    }
}

impl HostPattern {
    /// Whether `host` (ASCII form, as the `url` crate gives it; a trailing dot ignored) is
    /// this host, or a subdomain of this pattern's domain.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        match self {
            Self::Exact(h) => host.eq_ignore_ascii_case(h),
            Self::Subdomains(domain) => {
                host.len() > domain.len() + 1
                    && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
                    && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
            }
        }
    }
}

/// An entry of `intake.tracking_parameters`: a query parameter name, compared without case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingParameter(pub String);

impl std::str::FromStr for TrackingParameter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        if name.is_empty() || name.contains(['&', '=', '#', ' ', '?']) {
            return Err(format!("`{s}` is not a query parameter name"));
        }
        Ok(Self(name))
    }
}
