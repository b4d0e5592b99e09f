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

/// What the mail says about an inquiry (read by `storage::outbox::mail_data`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InquiryMail {
    pub id: Uuid,
    pub need: String,
    pub r#use: Option<String>,
    pub tax: Option<String>,
    pub company: Option<String>,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub message: Option<String>,
    pub tax_cny_per_year: Option<i64>,
    pub area_sqm: Option<f64>,
    pub article_url: Option<String>,
    pub article_title: Option<String>,
    pub utm_source: Option<String>,
    pub received_at: DateTime<Utc>,
}

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
        let who = inquiry
            .company
            .as_deref()
            .or(inquiry.contact.as_deref())
            .unwrap_or("未留名");
        let need: String = inquiry
            .need
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .take(SUBJECT_NEED_CHARS)
            .collect();
        format!("新询盘｜{who}｜{need}")
    }

    pub fn render(&self, inquiry: &InquiryMail, recipient: &str) -> Result<Message, MailError> {
        let to: Mailbox = recipient
            .parse()
            .map_err(|_| MailError::Recipient(recipient.to_string()))?;
        let (text, html) = self.bodies(inquiry)?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(Self::subject(inquiry))
            .message_id(Some(self.message_id(inquiry.id, recipient)))
            .date_now();
        if let Some(reply_to) = inquiry
            .email
            .as_deref()
            .and_then(|e| e.parse::<Mailbox>().ok())
        {
            builder = builder.reply_to(reply_to);
        }
        Ok(builder.multipart(
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
                ),
        )?)
    }

    /// The plain-text and HTML bodies.
    pub fn bodies(&self, inquiry: &InquiryMail) -> Result<(String, String), MailError> {
        let shanghai = FixedOffset::east_opt(SHANGHAI_OFFSET_SECS).expect("a valid offset");
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
            received_at: inquiry
                .received_at
                .with_timezone(&shanghai)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            staff_link: self.staff_link(inquiry.id),
        };
        let text = self.env.get_template("inquiry.txt")?.render(&context)?;
        let html = self.env.get_template("inquiry.html")?.render(&context)?;
        Ok((text, html))
    }
}

fn group_thousands(n: i64) -> String {
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

fn format_area(sqm: f64) -> String {
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
        InquiryMail {
            id: Uuid::nil(),
            need: "求租<script>alert(1)</script>厂房2000平方米\n层高8米".into(),
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
            received_at: DateTime::parse_from_rfc3339("2026-11-27T16:00:00Z")
                .unwrap()
                .into(),
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
