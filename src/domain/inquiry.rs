//! A new inquiry, parsed from the fields of the public form: every rule of SPEC §2, every
//! failing field reported at once.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use validator::ValidateEmail;

use super::article::{self, ArticleUrl};
use super::catalogue;
use super::derive;
use super::field::{FieldCode, FieldError};
use super::phone::PhoneNumber;
use super::text::{self, Lines};
use super::wechat;
use crate::settings::IntakeSettings;

/// A submitted value before parsing. JSON numbers arrive as their text.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Text(String),
    Bool(bool),
    /// An array or object where text was expected.
    Other,
}

/// The submitted fields by name; unknown names are simply never read.
#[derive(Debug, Clone, Default)]
pub struct RawFields(HashMap<String, RawValue>);

impl RawFields {
    /// From a JSON object: `null` counts as absent.
    pub fn from_json(object: serde_json::Map<String, serde_json::Value>) -> Self {
        use serde_json::Value;
        let fields = object
            .into_iter()
            .filter_map(|(k, v)| {
                let raw = match v {
                    Value::Null => return None,
                    Value::String(s) => RawValue::Text(s),
                    Value::Bool(b) => RawValue::Bool(b),
                    Value::Number(n) => RawValue::Text(n.to_string()),
                    Value::Array(_) | Value::Object(_) => RawValue::Other,
                };
                Some((k, raw))
            })
            .collect();
        Self(fields)
    }

    /// From decoded form pairs: the first occurrence of a name wins.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut fields = HashMap::with_capacity(pairs.len());
        for (k, v) in pairs {
            fields.entry(k).or_insert(RawValue::Text(v));
        }
        Self(fields)
    }

    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.0.get(name)
    }

    /// The text of a field, trimmed, when it is text and not empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(RawValue::Text(s)) if !s.trim().is_empty() => Some(s.trim()),
            _ => None,
        }
    }
}

/// Where the inquiry was sent from, besides its fields.
#[derive(Debug, Clone, Default)]
pub struct Origin<'a> {
    pub referer: Option<&'a str>,
}

/// Where a visit came from (SPEC §2, Attribution).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Attribution {
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    /// The page URL as the form sent it (`article_url`, tracking parameters and all), cut at
    /// 2048 characters.
    pub landing_url: Option<String>,
    /// Ad click IDs found in the page URL, by parameter name: `{"bd_vid": "1196…"}`.
    pub click_ids: BTreeMap<String, String>,
    /// The request's `Referer` header, cut at 2048 characters.
    pub referrer: Option<String>,
}

/// Something staff should know about how an inquiry was read, kept with it (`flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// `article_url` named a host outside `intake.allowed_site_hosts`: no article was linked
    /// and the URL is kept as the landing URL only.
    ArticleHostNotAllowed,
    /// `article_url` was not an absolute http(s) URL: no article was linked.
    ArticleUrlInvalid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ArticleRef {
    pub url: ArticleUrl,
    pub title: Option<String>,
}

/// A parsed inquiry, ready to store. `phone` is always present unless the inquiry is spam
/// (a bot's form is stored as far as it can be read).
///
/// Serialised, it is the inquiry's own columns of `inquiries` by their column names (the
/// intake's database call reads it with `jsonb_populate_record`): a new column the visitor
/// fills in is one field here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewInquiry {
    pub need: String,
    #[serde(rename = "use")]
    pub use_: Option<String>,
    pub tax: Option<String>,
    pub company: Option<String>,
    pub contact: Option<String>,
    /// E.164.
    #[serde(serialize_with = "e164")]
    pub phone: Option<PhoneNumber>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub message: Option<String>,
    /// Stored as the article it names (`article_id`), not as a column of its own.
    #[serde(skip)]
    pub article: Option<ArticleRef>,
    #[serde(flatten)]
    pub attribution: Attribution,
    pub flags: Vec<Flag>,
    pub consent: Option<bool>,
    pub tax_cny_per_year: Option<i64>,
    pub area_sqm: Option<f64>,
}

fn e164<S: serde::Serializer>(phone: &Option<PhoneNumber>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_some(&phone.as_ref().map(PhoneNumber::as_e164))
}

/// Limits in characters (SPEC §2): the catalogue's (`domain::catalogue`), and those of fields it does
/// not list (attribution, page URLs).
pub mod limits {
    use super::catalogue;
    pub const PHONE: usize = catalogue::PHONE.max;
    pub const EMAIL: usize = catalogue::EMAIL.max;
    pub const WECHAT: usize = catalogue::WECHAT.max;
    pub const ARTICLE_TITLE: usize = catalogue::ARTICLE_TITLE.max;
    pub const UTM: usize = 100;
    /// `landing_url` and `referrer` are kept up to this many characters.
    pub const PAGE_URL: usize = super::article::MAX_URL_CHARS;
    /// An `article_url` longer than this is not read as an article at all.
    pub const ARTICLE_URL_INPUT: usize = 8 * super::article::MAX_URL_CHARS;
}

pub const UTM_FIELDS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// Whether a field name is one the intake reads or the embedded form sends: a catalogue field,
/// an attribution field, `consent`, or one the browser or the form's script fills in (`_ts`,
/// `_charset_`, `_next`). The honeypot must be none of them.
pub fn is_form_field(name: &str) -> bool {
    let name = name.trim();
    catalogue::by_name(name).is_some()
        || UTM_FIELDS.contains(&name)
        || ["consent", "_ts", "_charset_", "_next"].contains(&name)
}

impl NewInquiry {
    /// Parses the form strictly: `Err` lists every failing field.
    pub fn parse(
        raw: &RawFields,
        origin: &Origin<'_>,
        settings: &IntakeSettings,
    ) -> Result<Self, Vec<FieldError>> {
        let mut reader = Reader {
            raw,
            errors: Vec::new(),
        };
        let inquiry = reader.read(origin, settings);
        match (inquiry, reader.errors.is_empty()) {
            (Some(inquiry), true) => Ok(inquiry),
            _ => Err(reader.errors),
        }
    }

    /// The submitted values as stored on the timeline for a repeat submission.
    pub fn payload(&self) -> serde_json::Value {
        serde_json::json!({
            "need": self.need,
            "use": self.use_,
            "tax": self.tax,
            "company": self.company,
            "contact": self.contact,
            "phone": self.phone.as_ref().map(PhoneNumber::as_e164),
            "email": self.email,
            "wechat": self.wechat,
            "message": self.message,
            "article_url": self.article.as_ref().map(|a| a.url.as_str()),
            "article_title": self.article.as_ref().and_then(|a| a.title.as_deref()),
            "attribution": self.attribution,
            "flags": self.flags,
            "consent": self.consent,
        })
    }

    /// The identity of what the visitor wrote (need, use, tax, company, contact, email, WeChat,
    /// message): 16 hex digits of a SHA-256 over the fields, each with its length, so that two
    /// submissions with the same text have the same digest and a changed field changes it. A
    /// repeat whose digest was seen before on the inquiry sends no `补充信息` (SPEC §2).
    pub fn text_digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for field in [
            Some(self.need.as_str()),
            self.use_.as_deref(),
            self.tax.as_deref(),
            self.company.as_deref(),
            self.contact.as_deref(),
            self.email.as_deref(),
            self.wechat.as_deref(),
            self.message.as_deref(),
        ] {
            match field {
                Some(text) => {
                    hasher.update((text.len() as u64).to_le_bytes());
                    hasher.update(text.as_bytes());
                }
                None => hasher.update(u64::MAX.to_le_bytes()),
            }
        }
        hex::encode(&hasher.finalize()[..8])
    }
}

struct Reader<'a> {
    raw: &'a RawFields,
    errors: Vec<FieldError>,
}

impl Reader<'_> {
    fn read(&mut self, origin: &Origin<'_>, settings: &IntakeSettings) -> Option<NewInquiry> {
        let need = self.field(&catalogue::NEED);
        let use_ = self.field(&catalogue::USE);
        let tax = self.field(&catalogue::TAX);
        let company = self.field(&catalogue::COMPANY);
        let contact = self.field(&catalogue::CONTACT);
        let phone = self.phone();
        let email = self.email();
        let wechat = self.wechat(phone.as_ref());
        let message = self.field(&catalogue::MESSAGE);
        let page = self.page(origin, settings);
        let attribution = self.attribution(&page, origin);
        let article = page.article;
        let flags = page.flags;
        let consent = self.consent(settings.require_consent);

        let tax_cny_per_year = tax.as_deref().and_then(derive::tax_cny_per_year);
        let area_sqm = need.as_deref().and_then(derive::area_sqm);
        let need = need?;
        if contact.is_none() || phone.is_none() {
            return None;
        }
        Some(NewInquiry {
            need,
            use_,
            tax,
            company,
            contact,
            phone,
            email,
            wechat,
            message,
            article,
            attribution,
            flags,
            consent,
            tax_cny_per_year,
            area_sqm,
        })
    }

    fn fail(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// A text field as the catalogue describes it.
    fn field(&mut self, field: &catalogue::Field) -> Option<String> {
        self.text(field.name, field.max, field.lines, field.required)
    }

    /// A normalised text field; `None` when absent or empty (then `Required` if required).
    fn text(&mut self, name: &str, max: usize, lines: Lines, required: bool) -> Option<String> {
        let value = match self.raw.get(name) {
            None => None,
            Some(RawValue::Text(s)) => Some(text::normalise(s))
                // A tab in a one-line field looks like a space and comes from pasting a
                // spreadsheet cell ("王\t先生"): it is one.
                .map(|s| match lines {
                    Lines::Single if s.contains('\t') => s.replace('\t', " "),
                    _ => s,
                })
                .filter(|s| !s.is_empty()),
            Some(RawValue::Bool(_) | RawValue::Other) => {
                self.fail(FieldError::new(name, FieldCode::InvalidType));
                return None;
            }
        };
        let Some(value) = value else {
            if required {
                self.fail(FieldError::new(name, FieldCode::Required));
            }
            return None;
        };
        match text::check(name, &value, max, lines) {
            Ok(()) => Some(value),
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }

    fn phone(&mut self) -> Option<PhoneNumber> {
        let text = self.text("phone", limits::PHONE, Lines::Single, true)?;
        let phone = PhoneNumber::parse(&text);
        if phone.is_none() {
            self.fail(FieldError::new("phone", FieldCode::InvalidPhone));
        }
        phone
    }

    /// An email address, folded first (`wang＠example.cn` typed in full-width mode is
    /// `wang@example.cn`; the ideographic full stop of `wang@qq。com` is a dot, as UTS #46
    /// maps it in domain names) and stored folded. Valid when `validator` and the mailer
    /// (`lettre`, which writes it as the notification's Reply-To) both take it.
    fn email(&mut self) -> Option<String> {
        let text = text::fold(&self.text("email", limits::EMAIL, Lines::Single, false)?)
            .replace(['\u{3002}', '\u{FF61}'], ".");
        // Punctuation an input method leaves after the address ("wang@163.com、", "…。").
        let text = text
            .trim_end_matches(['、', '，', ',', '.', ';', '；', ':', '：', '!', '！', ' '])
            .to_string();
        // A mail domain has a dot: "wang@163" is the visitor's typo, not an address.
        let dotted = text
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.'));
        // Domains have no case: `ＷＡＮＧ＠ＱＱ．ＣＯＭ` is stored as `WANG@qq.com`.
        let text = match text.rsplit_once('@') {
            Some((local, domain)) if domain.bytes().any(|b| b.is_ascii_uppercase()) => {
                format!("{local}@{}", domain.to_ascii_lowercase())
            }
            _ => text,
        };
        let mailable = dotted && text.parse::<lettre::Address>().is_ok();
        if text.validate_email() && mailable {
            Some(text)
        } else {
            self.fail(FieldError::new("email", FieldCode::InvalidEmail));
            None
        }
    }

    /// Free text that never blocks a lead (SPEC §2), read by [`wechat::read`]. Folded first; a
    /// line break becomes a space and an over-long value is cut, as for a hidden field.
    fn wechat(&mut self, phone: Option<&PhoneNumber>) -> Option<String> {
        let text = self.lenient_folded("wechat", limits::WECHAT, true)?;
        wechat::read(&text, phone)
    }

    /// A field the visitor neither sees nor can correct (the page's URL and title, UTM values
    /// the script copies from the address): read as far as it can be — control characters
    /// dropped, line breaks made spaces, cut at `max` — and never an error.
    fn lenient(&mut self, name: &str, max: usize) -> Option<String> {
        self.lenient_folded(name, max, false)
    }

    /// [`Self::lenient`], folded (NFKC) first when `fold` is set: the limit holds for the
    /// value as stored, which folding can lengthen (`㎡` is `m2`).
    fn lenient_folded(&mut self, name: &str, max: usize, fold: bool) -> Option<String> {
        let Some(RawValue::Text(raw)) = self.raw.get(name) else {
            return None;
        };
        let value = text::normalise(raw);
        let value = if fold { text::fold(&value) } else { value };
        let value = match text::check(name, &value, max, Lines::Single) {
            Ok(()) => value,
            Err(_) => text::sanitise(&value, max, Lines::Single)
                .trim()
                .to_string(),
        };
        (!value.is_empty()).then_some(value)
    }

    /// The page the form was on: its article from `article_url`, else from the `Referer`
    /// unless that is a home page. A URL that is not http(s) or whose host is not allowed
    /// links no article and is never an error (the visitor cannot see or fix a hidden field):
    /// the inquiry is flagged instead, and no article row is created.
    fn page(&mut self, origin: &Origin<'_>, settings: &IntakeSettings) -> Page {
        let title = self.lenient("article_title", limits::ARTICLE_TITLE);
        let explicit = self.lenient("article_url", limits::ARTICLE_URL_INPUT);
        let referer = origin.referer.map(str::trim).filter(|r| !r.is_empty());
        let extra = &settings.tracking_parameters;
        let mut page = Page {
            landing_url: explicit
                .as_deref()
                .map(|t| t.chars().take(limits::PAGE_URL).collect()),
            ..Page::default()
        };
        // The URL the visit was on, parsed once: the article, its UTM values and click IDs.
        let explicit_url = explicit.as_deref().and_then(article::parse_page);
        page.visited = explicit_url
            .clone()
            .or_else(|| referer.and_then(article::parse_page));
        if explicit.is_some() {
            match explicit_url.map(|u| ArticleUrl::from_url(u, extra)) {
                Some(Ok(url)) if settings.host_allowed(url.host()) => {
                    page.article = Some(ArticleRef { url, title });
                    return page;
                }
                Some(Ok(_)) => page.flags.push(Flag::ArticleHostNotAllowed),
                _ => page.flags.push(Flag::ArticleUrlInvalid),
            }
        }
        // No usable `article_url`: the page that sent the form, unless it is a home page.
        page.article = referer
            .and_then(|r| linked_article(r, settings, Source::Referer))
            .map(|url| ArticleRef { url, title });
        page
    }

    /// UTM fields from the form, each falling back to the same parameter of the page's
    /// address (the page URL carries them when a campaign link was followed); the landing
    /// URL, its ad click IDs and the `Referer`.
    fn attribution(&mut self, page: &Page, origin: &Origin<'_>) -> Attribution {
        let visited = page.visited.as_ref();
        let mut values = UTM_FIELDS.map(|name| {
            self.lenient(name, limits::UTM).or_else(|| {
                let v = text::normalise(&article::query_value(visited?, name)?);
                (!v.is_empty() && text::check(name, &v, limits::UTM, Lines::Single).is_ok())
                    .then_some(v)
            })
        });
        let mut take = |i: usize| values[i].take();
        Attribution {
            utm_source: take(0),
            utm_medium: take(1),
            utm_campaign: take(2),
            utm_term: take(3),
            utm_content: take(4),
            landing_url: page.landing_url.clone(),
            click_ids: visited.map(article::click_ids_of).unwrap_or_default(),
            referrer: origin
                .referer
                .map(|r| text::sanitise(r.trim(), limits::PAGE_URL, Lines::Single))
                .filter(|r| !r.is_empty()),
        }
    }

    /// `consent`: must be true when required; recorded when given.
    fn consent(&mut self, required: bool) -> Option<bool> {
        let value = match self.raw.get("consent") {
            None => None,
            Some(RawValue::Bool(b)) => Some(*b),
            Some(RawValue::Text(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "on" | "1" | "yes" => Some(true),
                "false" | "off" | "0" | "no" | "" => Some(false),
                _ => {
                    if required {
                        self.fail(FieldError::new("consent", FieldCode::InvalidConsent));
                    }
                    return None;
                }
            },
            Some(RawValue::Other) => {
                if required {
                    self.fail(FieldError::new("consent", FieldCode::InvalidConsent));
                }
                return None;
            }
        };
        if required && value != Some(true) {
            self.fail(FieldError::new("consent", FieldCode::ConsentRequired));
        }
        value
    }
}

/// Where a page URL came from: the form's `article_url`, or the request's `Referer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    ArticleUrl,
    Referer,
}

/// The article a page URL links, as the intake reads it (SPEC §2): its canonical URL when its
/// host is allowed and, for a `Referer`, it is not the home page; `None` otherwise.
pub fn linked_article(page: &str, settings: &IntakeSettings, source: Source) -> Option<ArticleUrl> {
    let url =
        ArticleUrl::from_url(article::parse_page(page)?, &settings.tracking_parameters).ok()?;
    let home = source == Source::Referer && url.is_root();
    (settings.host_allowed(url.host()) && !home).then_some(url)
}

/// What [`Reader::page`] found.
#[derive(Debug, Default)]
struct Page {
    article: Option<ArticleRef>,
    /// The URL the visit was on (the `article_url` sent, else the `Referer`), read for UTM
    /// values and click IDs.
    visited: Option<url::Url>,
    landing_url: Option<String>,
    flags: Vec<Flag>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    fn settings() -> IntakeSettings {
        Settings::defaults().unwrap().intake
    }

    fn form(pairs: &[(&str, &str)]) -> RawFields {
        RawFields::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn codes(result: Result<NewInquiry, Vec<FieldError>>) -> Vec<(String, &'static str)> {
        result
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code.as_str()))
            .collect()
    }

    #[test]
    fn parses_a_complete_form() {
        let raw = form(&[
            ("need", " 求租高新区标准厂房2000平方米\r\n要求层高8米 "),
            ("use", "电子元器件组装、仓储"),
            ("tax", "年纳税约300万"),
            ("company", "珠海某某电子有限公司"),
            ("contact", "王总"),
            ("phone", "139-1234-5678"),
            ("email", "wang@example.cn"),
            ("wechat", "wang_zong88"),
            (
                "article_url",
                "https://www.example.cn/a/1.html?utm_source=baidu&from=timeline",
            ),
            ("article_title", "高新区标准厂房出租"),
            ("unknown", "ignored"),
        ]);
        let inquiry = NewInquiry::parse(&raw, &Origin::default(), &settings()).unwrap();
        assert_eq!(inquiry.need, "求租高新区标准厂房2000平方米\n要求层高8米");
        assert_eq!(inquiry.phone.unwrap().as_e164(), "+8613912345678");
        assert_eq!(inquiry.tax_cny_per_year, Some(3_000_000));
        assert_eq!(inquiry.area_sqm, Some(2000.0));
        let article = inquiry.article.unwrap();
        assert_eq!(article.url.as_str(), "https://www.example.cn/a/1.html");
        assert_eq!(article.title.as_deref(), Some("高新区标准厂房出租"));
        assert_eq!(inquiry.attribution.utm_source.as_deref(), Some("baidu"));
    }

    #[test]
    fn the_catalogue_says_which_fields_are_cut_and_which_refused() {
        for field in catalogue::FIELDS {
            let mut pairs = vec![
                ("need", "求租厂房"),
                ("contact", "王总"),
                ("phone", "13912345678"),
            ];
            pairs.retain(|(name, _)| *name != field.name);
            let long = match field.name {
                "email" => format!("{}@example.cn", "a".repeat(field.max)),
                "phone" => "1".repeat(field.max + 1),
                "article_url" => format!("https://www.example.cn/{}", "a".repeat(field.max)),
                _ => "厂".repeat(field.max + 1),
            };
            pairs.push((field.name, &long));
            let parsed = NewInquiry::parse(&form(&pairs), &Origin::default(), &settings());
            assert_eq!(
                parsed.is_ok(),
                field.lenient,
                "{}: over-long is {}",
                field.name,
                if field.lenient { "cut" } else { "refused" }
            );
        }
    }

    #[test]
    fn reports_every_failing_field_at_once() {
        let raw = form(&[
            ("need", "  "),
            ("phone", "123"),
            ("email", "nope"),
            ("company", "a\nb"),
        ]);
        let got = codes(NewInquiry::parse(&raw, &Origin::default(), &settings()));
        assert_eq!(
            got,
            vec![
                ("need".to_string(), "required"),
                ("company".to_string(), "line_break"),
                ("contact".to_string(), "required"),
                ("phone".to_string(), "invalid_phone"),
                ("email".to_string(), "invalid_email"),
            ]
        );
    }
}
