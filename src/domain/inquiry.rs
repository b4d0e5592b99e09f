//! A new inquiry, parsed from the fields of the public form: every rule of SPEC §2, every
//! failing field reported at once.

use std::collections::HashMap;

use serde::Serialize;
use validator::ValidateEmail;

use super::article::ArticleUrl;
use super::derive;
use super::field::{FieldCode, FieldError};
use super::phone::PhoneNumber;
use super::text::{self, Lines};
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

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Attribution {
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ArticleRef {
    pub url: ArticleUrl,
    pub title: Option<String>,
}

/// A parsed inquiry, ready to store. `phone` is always present unless the inquiry is spam
/// (a bot's form is stored as far as it can be read).
#[derive(Debug, Clone, PartialEq)]
pub struct NewInquiry {
    pub need: String,
    pub use_: Option<String>,
    pub tax: Option<String>,
    pub company: Option<String>,
    pub contact: Option<String>,
    pub phone: Option<PhoneNumber>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub message: Option<String>,
    pub article: Option<ArticleRef>,
    pub attribution: Attribution,
    pub consent: Option<bool>,
    pub tax_cny_per_year: Option<i64>,
    pub area_sqm: Option<f64>,
}

/// Field limits (characters) of SPEC §2.
pub mod limits {
    pub const NEED: usize = 500;
    pub const USE: usize = 200;
    pub const TAX: usize = 100;
    pub const COMPANY: usize = 100;
    pub const CONTACT: usize = 50;
    pub const PHONE: usize = 40;
    pub const EMAIL: usize = 254;
    pub const WECHAT: usize = 40;
    pub const MESSAGE: usize = 2000;
    pub const ARTICLE_TITLE: usize = 200;
    pub const UTM: usize = 100;
}

pub const UTM_FIELDS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

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
            lenient: false,
        };
        let inquiry = reader.read(origin, settings);
        match (inquiry, reader.errors.is_empty()) {
            (Some(inquiry), true) => Ok(inquiry),
            _ => Err(reader.errors),
        }
    }

    /// Reads what can be read of a bot's submission, never failing: invalid values are cut to
    /// size, or left out.
    pub fn parse_lenient(raw: &RawFields, origin: &Origin<'_>, settings: &IntakeSettings) -> Self {
        let mut reader = Reader {
            raw,
            errors: Vec::new(),
            lenient: true,
        };
        reader.read(origin, settings).unwrap_or_else(Self::empty)
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
            "consent": self.consent,
        })
    }

    fn empty() -> Self {
        Self {
            need: String::new(),
            use_: None,
            tax: None,
            company: None,
            contact: None,
            phone: None,
            email: None,
            wechat: None,
            message: None,
            article: None,
            attribution: Attribution {
                utm_source: None,
                utm_medium: None,
                utm_campaign: None,
                utm_term: None,
                utm_content: None,
            },
            consent: None,
            tax_cny_per_year: None,
            area_sqm: None,
        }
    }
}

struct Reader<'a> {
    raw: &'a RawFields,
    errors: Vec<FieldError>,
    lenient: bool,
}

impl Reader<'_> {
    fn read(&mut self, origin: &Origin<'_>, settings: &IntakeSettings) -> Option<NewInquiry> {
        let need = self.text("need", limits::NEED, Lines::Multi, true);
        let use_ = self.text("use", limits::USE, Lines::Multi, false);
        let tax = self.text("tax", limits::TAX, Lines::Single, false);
        let company = self.text("company", limits::COMPANY, Lines::Single, false);
        let contact = self.text("contact", limits::CONTACT, Lines::Single, true);
        let phone = self.phone();
        let email = self.email();
        let wechat = self.wechat();
        let message = self.text("message", limits::MESSAGE, Lines::Multi, false);
        let article = self.article(origin, settings);
        let attribution = self.attribution(article.as_ref(), origin);
        let consent = self.consent(settings.require_consent);

        let tax_cny_per_year = tax.as_deref().and_then(derive::tax_cny_per_year);
        let area_sqm = need.as_deref().and_then(derive::area_sqm);
        let need = match (need, self.lenient) {
            (Some(need), _) => need,
            (None, true) => String::new(),
            (None, false) => return None,
        };
        if !self.lenient && (contact.is_none() || phone.is_none()) {
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
            consent,
            tax_cny_per_year,
            area_sqm,
        })
    }

    fn fail(&mut self, error: FieldError) {
        if !self.lenient {
            self.errors.push(error);
        }
    }

    /// A normalised text field; `None` when absent or empty (then `Required` if required).
    fn text(&mut self, name: &str, max: usize, lines: Lines, required: bool) -> Option<String> {
        let value = match self.raw.get(name) {
            None => None,
            Some(RawValue::Text(s)) => Some(text::normalise(s)).filter(|s| !s.is_empty()),
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
            Err(_) if self.lenient => Some(text::sanitise(&value, max, lines)),
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

    fn email(&mut self) -> Option<String> {
        let text = self.text("email", limits::EMAIL, Lines::Single, false)?;
        if text.validate_email() {
            Some(text)
        } else {
            self.fail(FieldError::new("email", FieldCode::InvalidEmail));
            None
        }
    }

    /// A WeChat ID (6–20 characters, a letter first, then letters, digits, `_` or `-`) or a
    /// phone number, which many people use as their WeChat ID.
    fn wechat(&mut self) -> Option<String> {
        let text = self.text("wechat", limits::WECHAT, Lines::Single, false)?;
        if is_wechat_id(&text) || PhoneNumber::parse(&text).is_some() {
            Some(text)
        } else {
            self.fail(FieldError::new("wechat", FieldCode::InvalidWechat));
            None
        }
    }

    /// The article: from `article_url` (checked) or else the `Referer` (ignored when unusable).
    fn article(&mut self, origin: &Origin<'_>, settings: &IntakeSettings) -> Option<ArticleRef> {
        let title = self.text("article_title", limits::ARTICLE_TITLE, Lines::Single, false);
        let explicit = self.text(
            "article_url",
            2 * super::article::MAX_URL_CHARS,
            Lines::Single,
            false,
        );
        let url = match explicit {
            Some(text) => match ArticleUrl::parse(&text) {
                Ok(url) if settings.host_allowed(url.host()) => url,
                Ok(_) => {
                    self.fail(FieldError::new("article_url", FieldCode::HostNotAllowed));
                    return None;
                }
                Err(_) => {
                    self.fail(FieldError::new("article_url", FieldCode::InvalidUrl));
                    return None;
                }
            },
            None => origin
                .referer
                .and_then(|r| ArticleUrl::parse(r).ok())
                .filter(|url| settings.host_allowed(url.host()) && !url.is_root())?,
        };
        Some(ArticleRef { url, title })
    }

    /// UTM fields from the form, each falling back to the same parameter of the article's
    /// address (the page URL carries them when a campaign link was followed).
    fn attribution(&mut self, article: Option<&ArticleRef>, origin: &Origin<'_>) -> Attribution {
        let page = self
            .raw
            .text("article_url")
            .or(origin.referer)
            .and_then(|u| url::Url::parse(u).ok());
        let mut values = UTM_FIELDS.map(|name| {
            self.text(name, limits::UTM, Lines::Single, false)
                .or_else(|| {
                    let page = page.as_ref().filter(|_| article.is_some())?;
                    let (_, v) = page
                        .query_pairs()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))?;
                    let v = text::normalise(&v);
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

pub fn is_wechat_id(text: &str) -> bool {
    let len = text.chars().count();
    (6..=20).contains(&len)
        && text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
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

    #[test]
    fn wechat_ids_and_phones_are_accepted_as_wechat() {
        for ok in [
            "wxid_abc123",
            "Abc-123",
            "a12345",
            "13912345678",
            "a1234567890123456789",
        ] {
            assert!(is_wechat_id(ok) || PhoneNumber::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "abc",
            "1abcdef",
            "abc def1",
            "微信号abcdef",
            "a12345678901234567890",
        ] {
            assert!(
                !is_wechat_id(bad) && PhoneNumber::parse(bad).is_none(),
                "{bad}"
            );
        }
    }

    #[test]
    fn lenient_parse_keeps_what_it_can() {
        let raw = form(&[
            ("need", &"x".repeat(900)),
            ("phone", "bad"),
            ("company", "a\u{0}b"),
        ]);
        let inquiry = NewInquiry::parse_lenient(&raw, &Origin::default(), &settings());
        assert_eq!(inquiry.need.chars().count(), 500);
        assert_eq!(inquiry.phone, None);
        assert_eq!(inquiry.company.as_deref(), Some("ab"));
    }
}
