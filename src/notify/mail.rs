//! The notification email: subject, plain-text and HTML parts rendered from templates (visitor
//! text HTML-escaped in the HTML part), a stable Message-ID, Reply-To the visitor.

use chrono::{DateTime, FixedOffset, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use minijinja::Environment;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::settings::Settings;

/// What the mail says about an inquiry: the inquiry's one row type, as staff read it.
pub type InquiryMail = crate::storage::inquiries::InquiryRow;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    #[error("message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("recipient `{0}` is not an address")]
    Recipient(String),
}

/// Asia/Shanghai is UTC+8 all year (no daylight saving since 1991).
const SHANGHAI_OFFSET_SECS: i32 = 8 * 3600;
const SUBJECT_NEED_CHARS: usize = 30;

pub struct MailRenderer {
    env: Environment<'static>,
    from: Mailbox,
    public_base_url: String,
    message_id_domain: String,
}

#[derive(Serialize)]
struct Context<'a> {
    id: String,
    need: &'a str,
    r#use: Option<&'a str>,
    tax: Option<&'a str>,
    tax_cny: Option<String>,
    area: Option<String>,
    company: Option<&'a str>,
    contact: Option<&'a str>,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    wechat: Option<&'a str>,
    message: Option<&'a str>,
    article_url: Option<&'a str>,
    article_title: Option<&'a str>,
    utm_source: Option<&'a str>,
    received_at: String,
    staff_link: String,
}

impl MailRenderer {
    pub fn new(settings: &Settings) -> Result<Self, MailError> {
        let mut env = Environment::new();
        // Names ending in .html are auto-escaped by minijinja's default callback.
        env.add_template("inquiry.txt", include_str!("templates/inquiry.txt"))?;
        env.add_template("inquiry.html", include_str!("templates/inquiry.html"))?;
        env.add_template("supplement.txt", include_str!("templates/supplement.txt"))?;
        env.add_template("supplement.html", include_str!("templates/supplement.html"))?;
        env.add_template("summary.txt", include_str!("templates/summary.txt"))?;
        env.add_template("summary.html", include_str!("templates/summary.html"))?;
        let from = settings.notify.from.clone();
        let message_id_domain = from.email.domain().to_string();
        Ok(Self {
            env,
            from,
            public_base_url: settings
                .server
                .public_base_url
                .trim_end_matches('/')
                .to_string(),
            message_id_domain,
        })
    }

    /// The service's address, as links in messages start (no trailing `/`).
    pub fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    /// The staff link of an inquiry.
    pub fn staff_link(&self, id: Uuid) -> String {
        format!("{}/inbox#/inquiries/{id}", self.public_base_url)
    }

    /// A Message-ID derived from inquiry and recipient: a resend carries the same one.
    pub fn message_id(&self, inquiry_id: Uuid, recipient: &str) -> String {
        let digest = Sha256::digest(recipient.trim().to_lowercase().as_bytes());
        format!(
            "<{inquiry_id}.{}@{}>",
            hex::encode(&digest[..8]),
            self.message_id_domain
        )
    }

    pub fn subject(inquiry: &InquiryMail) -> String {
        format!("新询盘｜{}｜{}", who(inquiry), need_head(&inquiry.need))
    }

    pub fn render(&self, inquiry: &InquiryMail, recipient: &str) -> Result<Message, MailError> {
        let (text, html) = self.bodies(inquiry)?;
        let mut builder = self.builder(
            recipient,
            Self::subject(inquiry),
            self.message_id(inquiry.id, recipient),
        )?;
        if let Some(reply_to) = inquiry
            .email
            .as_deref()
            .and_then(|e| e.parse::<Mailbox>().ok())
        {
            builder = builder.reply_to(reply_to);
        }
        Ok(builder.multipart(alternative(text, html))?)
    }

    /// The plain-text and HTML bodies.
    pub fn bodies(&self, inquiry: &InquiryMail) -> Result<(String, String), MailError> {
        let context = Context {
            id: inquiry.id.to_string(),
            need: &inquiry.need,
            r#use: inquiry.r#use.as_deref(),
            tax: inquiry.tax.as_deref(),
            tax_cny: inquiry.tax_cny_per_year.map(group_thousands),
            area: inquiry.area_sqm.map(format_area),
            company: inquiry.company.as_deref(),
            contact: inquiry.contact.as_deref(),
            phone: inquiry.phone.as_deref(),
            email: inquiry.email.as_deref(),
            wechat: inquiry.wechat.as_deref(),
            message: inquiry.message.as_deref(),
            article_url: inquiry.article_url.as_deref(),
            article_title: inquiry.article_title.as_deref(),
            utm_source: inquiry.utm_source.as_deref(),
            received_at: shanghai_time(inquiry.received_at),
            staff_link: self.staff_link(inquiry.id),
        };
        let text = self.env.get_template("inquiry.txt")?.render(&context)?;
        let html = self.env.get_template("inquiry.html")?.render(&context)?;
        Ok((text, html))
    }
}

/// Company, else contact, else 未留名.
fn who(inquiry: &InquiryMail) -> &str {
    inquiry
        .company
        .as_deref()
        .or(inquiry.contact.as_deref())
        .unwrap_or("未留名")
}

/// The first 30 characters of the need, on one line.
fn need_head(need: &str) -> String {
    need.chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .take(SUBJECT_NEED_CHARS)
        .collect()
}

pub(crate) fn shanghai_time(at: DateTime<Utc>) -> String {
    let shanghai = FixedOffset::east_opt(SHANGHAI_OFFSET_SECS).expect("a valid offset");
    at.with_timezone(&shanghai)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The repeat whose details a `补充信息` message carries (read by
/// `storage::outbox::repeat_events`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RepeatMail {
    /// The timeline event's id (a supplement's `seq`).
    pub id: i64,
    pub inquiry_id: Uuid,
    /// The timeline event's data: the payload (when kept), `number`.
    pub data: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// The fields a supplement lists when the repeat's value differs from the inquiry's.
pub(crate) const SUPPLEMENT_FIELDS: [&crate::domain::catalogue::Field; 8] = {
    use crate::domain::catalogue::*;
    [
        &NEED, &USE, &TAX, &COMPANY, &CONTACT, &EMAIL, &WECHAT, &MESSAGE,
    ]
};

#[derive(Serialize)]
struct Change<'a> {
    label: &'static str,
    value: &'a str,
}

/// One submission with new text, as a supplement lists it.
#[derive(Serialize)]
struct Submission<'a> {
    /// Which submission of the inquiry it was (the first is the inquiry itself).
    number: i64,
    at: String,
    changes: Vec<Change<'a>>,
}

#[derive(Serialize)]
struct SupplementContext<'a> {
    id: String,
    who: &'a str,
    submissions: Vec<Submission<'a>>,
    need: &'a str,
    staff_link: String,
}

#[derive(Serialize)]
struct SummaryItem {
    /// A `补充信息` of an inquiry announced before, not a new inquiry.
    supplement: bool,
    received_at: String,
    who: String,
    need: String,
    link: String,
}

#[derive(Serialize)]
struct SummaryContext {
    max_per_hour: u32,
    items: Vec<SummaryItem>,
    inbox_link: String,
}

impl MailRenderer {
    /// From, To, Subject, Message-ID and Date of a message to `recipient`.
    fn builder(
        &self,
        recipient: &str,
        subject: String,
        message_id: String,
    ) -> Result<lettre::message::MessageBuilder, MailError> {
        let to: Mailbox = recipient
            .parse()
            .map_err(|_| MailError::Recipient(recipient.to_string()))?;
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id))
            .date_now())
    }

    /// The `补充信息` message of repeats with new details (SPEC §2): `repeats` are the
    /// submissions since the last supplement (their timeline events), and each that wrote
    /// something new is listed with what differs from the inquiry. Threaded under the inquiry's
    /// message (`In-Reply-To`), with a Message-ID of its own (`message_key`: the outbox row's
    /// id); Reply-To is the latest email given.
    pub fn render_supplement(
        &self,
        inquiry: &InquiryMail,
        repeats: &[RepeatMail],
        recipient: &str,
        message_key: Uuid,
    ) -> Result<Message, MailError> {
        let current = |key: &str| inquiry.text(key);
        // Every submission since the last supplement whose text was new, oldest first: what
        // each said differently from the inquiry (a stranger's and the visitor's alike).
        let mut seen = std::collections::HashSet::new();
        let submissions: Vec<Submission> = repeats
            .iter()
            .filter(|r| seen.insert(r.data.get("text_digest").map(|d| d.to_string())))
            .filter_map(|r| {
                let value = |key: &str| r.data.get(key).and_then(|v| v.as_str());
                let changes: Vec<Change> = SUPPLEMENT_FIELDS
                    .iter()
                    .filter_map(|field| {
                        let new = value(field.name)?;
                        (Some(new) != current(field.name)).then_some(Change {
                            label: field.zh,
                            value: new,
                        })
                    })
                    .collect();
                (!changes.is_empty()).then(|| Submission {
                    number: r.data.get("number").and_then(|v| v.as_i64()).unwrap_or(1) + 1,
                    at: shanghai_time(r.at),
                    changes,
                })
            })
            .collect();
        let latest = repeats.last().map(|r| &r.data);
        let value = |key: &str| latest.and_then(|p| p.get(key)).and_then(|v| v.as_str());
        let who = value("company")
            .or(value("contact"))
            .unwrap_or_else(|| who(inquiry));
        let context = SupplementContext {
            id: inquiry.id.to_string(),
            who,
            submissions,
            need: &inquiry.need,
            staff_link: self.staff_link(inquiry.id),
        };
        let text = self.env.get_template("supplement.txt")?.render(&context)?;
        let html = self.env.get_template("supplement.html")?.render(&context)?;
        let subject = format!("补充信息｜{}｜{}", who, need_head(&inquiry.need));
        let digest = Sha256::digest(message_key.as_bytes());
        let message_id = format!(
            "<{}.supplement.{}@{}>",
            inquiry.id,
            hex::encode(&digest[..8]),
            self.message_id_domain
        );
        let original = self.message_id(inquiry.id, recipient);
        let mut builder = self
            .builder(recipient, subject, message_id)?
            .in_reply_to(original.clone())
            .references(original);
        let reply_to = value("email").or(inquiry.email.as_deref());
        if let Some(reply_to) = reply_to.and_then(|e| e.parse::<Mailbox>().ok()) {
            builder = builder.reply_to(reply_to);
        }
        Ok(builder.multipart(alternative(text, html))?)
    }

    /// One message for what the flood guard held back (SPEC §3): a line per new inquiry, or
    /// per inquiry with new details (with the latest repeat: a supplement, its line naming who
    /// wrote what), each with its inbox link.
    /// `message_key` (the first row's id) makes the Message-ID.
    pub fn render_summary(
        &self,
        inquiries: &[(&InquiryMail, Option<&RepeatMail>)],
        recipient: &str,
        max_per_hour: u32,
        message_key: Uuid,
    ) -> Result<Message, MailError> {
        let items: Vec<SummaryItem> = inquiries
            .iter()
            .map(|&(i, supplement)| {
                // A supplement's line names who wrote it and what, from its latest details.
                let text = |key: &str| {
                    supplement
                        .and_then(|r| r.data.get(key))
                        .and_then(|v| v.as_str())
                };
                SummaryItem {
                    supplement: supplement.is_some(),
                    received_at: shanghai_time(supplement.map_or(i.received_at, |r| r.at)),
                    who: text("company")
                        .or(text("contact"))
                        .unwrap_or_else(|| who(i))
                        .to_string(),
                    need: need_head(text("need").unwrap_or(&i.need)),
                    link: self.staff_link(i.id),
                }
            })
            .collect();
        let context = SummaryContext {
            max_per_hour,
            items,
            inbox_link: format!("{}/inbox", self.public_base_url),
        };
        let text = self.env.get_template("summary.txt")?.render(&context)?;
        let html = self.env.get_template("summary.html")?.render(&context)?;
        let supplements = inquiries.iter().filter(|(_, s)| s.is_some()).count();
        let subject = match (inquiries.len() - supplements, supplements) {
            (new, 0) => format!("新询盘汇总｜本小时另有 {new} 条新询盘"),
            (0, more) => format!("新询盘汇总｜本小时另有 {more} 条补充信息"),
            (new, more) => format!("新询盘汇总｜本小时另有 {new} 条新询盘、{more} 条补充信息"),
        };
        let digest = Sha256::digest(recipient.trim().to_lowercase().as_bytes());
        let message_id = format!(
            "<{message_key}.summary.{}@{}>",
            hex::encode(&digest[..8]),
            self.message_id_domain
        );
        let builder = self.builder(recipient, subject, message_id)?;
        Ok(builder.multipart(alternative(text, html))?)
    }
}

fn alternative(text: String, html: String) -> MultiPart {
    MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(html),
        )
}

pub(crate) fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

pub(crate) fn format_area(sqm: f64) -> String {
    if sqm.fract() == 0.0 {
        group_thousands(sqm as i64)
    } else {
        format!("{sqm:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inquiry() -> InquiryMail {
        let received_at = DateTime::parse_from_rfc3339("2026-11-27T16:00:00Z")
            .unwrap()
            .into();
        InquiryMail {
            r#use: Some("仓储".into()),
            tax: Some("年纳税约300万".into()),
            company: Some("<script>x</script>公司".into()),
            contact: Some("王总".into()),
            phone: Some("+8613912345678".into()),
            email: Some("wang@example.cn".into()),
            wechat: None,
            message: None,
            tax_cny_per_year: Some(3_000_000),
            area_sqm: Some(2000.0),
            article_url: Some("https://www.example.cn/a/1.html".into()),
            article_title: Some("厂房出租".into()),
            utm_source: Some("baidu".into()),
            ..InquiryMail::new(
                Uuid::nil(),
                "求租<script>alert(1)</script>厂房2000平方米\n层高8米",
                received_at,
            )
        }
    }

    fn renderer() -> MailRenderer {
        MailRenderer::new(&Settings::defaults().unwrap()).unwrap()
    }

    #[test]
    fn subject_takes_company_or_contact_and_the_first_30_characters_of_need() {
        let mut i = inquiry();
        i.need = "一".repeat(40);
        assert_eq!(
            MailRenderer::subject(&i),
            format!("新询盘｜<script>x</script>公司｜{}", "一".repeat(30))
        );
        i.company = None;
        assert!(MailRenderer::subject(&i).starts_with("新询盘｜王总｜"));
    }

    #[test]
    fn html_part_escapes_visitor_text_and_text_part_keeps_it() {
        let message = renderer().render(&inquiry(), "sales@example.cn").unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("Reply-To: wang@example.cn"), "{raw}");
        assert!(
            raw.contains("Message-ID: <00000000-0000-0000-0000-000000000000."),
            "{raw}"
        );
        let (text, html) = renderer().bodies(&inquiry()).unwrap();
        assert!(
            html.contains("&lt;script&gt;x&lt;&#x2f;script&gt;公司"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(text.contains("公司：<script>x</script>公司"), "{text}");
        // minijinja escapes `/` as `&#x2f;`; a mail client shows it as `/`.
        let html = html.replace("&#x2f;", "/");
        for part in [&text, &html] {
            assert!(
                part.contains("2026-11-28 00:00:00"),
                "received time in Asia/Shanghai"
            );
            assert!(part.contains("3,000,000"));
            assert!(part.contains("2,000"));
            assert!(part.contains(
                "http://localhost:8080/inbox#/inquiries/00000000-0000-0000-0000-000000000000"
            ));
            assert!(part.contains("厂房出租") && part.contains("https://www.example.cn/a/1.html"));
            assert!(part.contains("baidu"));
        }
    }

    #[test]
    fn message_id_is_stable_per_inquiry_and_recipient() {
        let r = renderer();
        let id = Uuid::now_v7();
        assert_eq!(
            r.message_id(id, "a@example.cn"),
            r.message_id(id, "A@example.cn ")
        );
        assert_ne!(
            r.message_id(id, "a@example.cn"),
            r.message_id(id, "b@example.cn")
        );
    }

    #[test]
    fn numbers_are_written_for_people() {
        assert_eq!(group_thousands(3_000_000), "3,000,000");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(format_area(2000.0), "2,000");
        assert_eq!(format_area(33333.33), "33333.33");
    }
}
