//! The group robots' messages (SPEC §6): one inquiry announced in each platform's dialect, as
//! the JSON body the robot's webhook takes (signatures are added when it is sent,
//! `notify::sign`).
//!
//! - WeCom group robot (developer.work.weixin.qq.com, "群机器人配置说明"): `markdown`, at most
//!   4,096 bytes of content; a mention by mobile number works only in a `text` message (at most
//!   2,048 bytes), so mentions go in a second, short text message.
//! - DingTalk custom robot (open.dingtalk.com, "自定义机器人发送群消息"): `markdown` with
//!   `at.atMobiles`; a number is mentioned only when it also stands in the text as `@<number>`.
//! - Feishu custom bot (open.feishu.cn, "自定义机器人使用指南"): a `post` (rich text) whose
//!   elements are plain `text`, one `a` (the inbox link) and `at` elements by open_id.
//!
//! Visitor text is inert in every dialect: the characters of markdown and HTML (asterisk,
//! underscore, brackets, parentheses, angle brackets, hash, tilde, bar, bang, backtick, ampersand,
//! backslash) and `@` become their full-width forms, line breaks become spaces, and `://`
//! loses its colon, so no visitor can make a heading, a link, a tag or a mention. Messages are
//! cut to each platform's limit by shortening visitor text, never the link. The templates are
//! minijinja's (`templates/robot.md`, `templates/robot.txt`).

use minijinja::Environment;
use serde::Serialize;
use serde_json::{json, Value};

use super::mail::{format_area, group_thousands, shanghai_time};
use crate::domain::phone;
use crate::settings::{Channel, ChannelKind};
use crate::storage::inquiries::InquiryRow;

/// WeCom's markdown content limit, in bytes (UTF-8).
pub const WECOM_MARKDOWN_BYTES: usize = 4096;
/// WeCom's text content limit, in bytes.
pub const WECOM_TEXT_BYTES: usize = 2048;
/// DingTalk's and Feishu's message limit, in bytes of the request body.
pub const LARGE_MESSAGE_BYTES: usize = 20_000;
/// The need's first characters in a message (SPEC §6).
const NEED_CHARS: usize = 80;

#[derive(Debug, thiserror::Error)]
pub enum RobotError {
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    #[error("a webhook channel takes the inquiry's JSON, not a robot message")]
    NotARobot,
}

/// Renders robot messages.
pub struct RobotRenderer {
    env: Environment<'static>,
    public_base_url: String,
}

/// A repeat's `补充信息`: the inquiry passed with it carries the repeat's values.
#[derive(Debug, Clone, Default)]
pub struct Supplement {
    /// The fields the repeat changed, in the form's order.
    pub changed: Vec<&'static crate::domain::catalogue::Field>,
    /// When the repeat arrived.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a message says, each visitor value already made inert for the dialect.
#[derive(Serialize, Clone)]
struct Context {
    supplement: bool,
    /// A supplement's changed fields, `、`-separated.
    changed: String,
    keyword: String,
    title: Option<String>,
    need: String,
    r#use: Option<String>,
    tax: Option<String>,
    tax_cny: Option<String>,
    area: Option<String>,
    company: Option<String>,
    contact: Option<String>,
    phone: Option<String>,
    received_at: String,
    link: String,
    mentions: String,
    /// A fold's other inquiries, a line each (SPEC §6: `另有 N 条新询盘`).
    others: Vec<Line>,
    /// Their heading: `另有 N 条新询盘`, and `、M 条补充信息` for repeats among them.
    others_heading: String,
    /// The inbox, linked under a fold's lines.
    inbox: String,
}

/// One more inquiry of a fold: its line (article, need, masked phone; inert) and its link.
#[derive(Serialize, Clone)]
struct Line {
    text: String,
    link: String,
    supplement: bool,
}

/// One message of a fold: it carries the first `count` inquiries not carried before.
#[derive(Debug, Clone)]
pub struct FoldPart {
    pub count: usize,
    /// Its request bodies, in order (two for WeCom with mentions).
    pub bodies: Vec<Value>,
}

/// A line's title and need, in characters.
const LINE_TITLE_CHARS: usize = 20;
const LINE_NEED_CHARS: usize = 30;

impl RobotRenderer {
    /// `public_base_url`: the service's address, for the inbox link.
    pub fn new(public_base_url: &str) -> Result<Self, RobotError> {
        let mut env = Environment::new();
        env.add_template("robot.md", include_str!("templates/robot.md"))?;
        env.add_template("robot.txt", include_str!("templates/robot.txt"))?;
        env.add_template("robot_line.txt", include_str!("templates/robot_line.txt"))?;
        Ok(Self {
            env,
            public_base_url: public_base_url.trim_end_matches('/').to_string(),
        })
    }

    /// The request bodies that announce `inquiry` on `channel`, in the order to send them
    /// (two for WeCom with mentions). `supplement`: a repeat's `补充信息` (`inquiry` then
    /// carries the repeat's values). Errors: a template error, or a webhook channel.
    pub fn render(
        &self,
        channel: &Channel,
        inquiry: &InquiryRow,
        supplement: Option<&Supplement>,
    ) -> Result<Vec<Value>, RobotError> {
        let mut context = self.context(channel, inquiry, supplement);
        self.bodies(channel, &mut context)
    }

    /// Messages waiting for one channel, folded (SPEC §6): each message announces its first
    /// inquiry in full, then `另有 N 条新询盘` with a line and a link for each of the others,
    /// then the inbox link; as many as fit in the platform's size limit go in one message, the
    /// rest in the next. `items`: (inquiry, its supplement if it is one), in the order to show. Returns the messages
    /// in order; their `count`s add up to `items.len()`. Errors: as [`Self::render`].
    pub fn render_fold(
        &self,
        channel: &Channel,
        items: &[(&InquiryRow, Option<&Supplement>)],
    ) -> Result<Vec<FoldPart>, RobotError> {
        let mut parts = Vec::new();
        let mut rest = items;
        while let Some(((first, supplement), others)) = rest.split_first() {
            let mut context = self.context(channel, first, *supplement);
            context.inbox = format!("{}/inbox", self.public_base_url);
            for (inquiry, supplement) in others {
                context
                    .others
                    .push(self.line(channel, inquiry, *supplement)?);
                context.others_heading = others_heading(&context.others);
                if !self.fits(channel, &context)? {
                    context.others.pop();
                    context.others_heading = others_heading(&context.others);
                    break;
                }
            }
            let count = 1 + context.others.len();
            parts.push(FoldPart {
                count,
                bodies: self.bodies(channel, &mut context)?,
            });
            rest = &rest[count..];
        }
        Ok(parts)
    }

    /// What a message about `inquiry` says on `channel`, before any cut.
    fn context(
        &self,
        channel: &Channel,
        inquiry: &InquiryRow,
        supplement: Option<&Supplement>,
    ) -> Context {
        Context {
            supplement: supplement.is_some(),
            changed: supplement
                .map(|s| {
                    s.changed
                        .iter()
                        .map(|f| f.zh)
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default(),
            // Checked when the settings load (`Channel::check`): nothing to make inert, and
            // changed it would no longer be the robot's keyword.
            keyword: channel.keyword.clone(),
            title: inquiry.article_title.as_deref().map(inert),
            need: inert(&cut(&inquiry.need, NEED_CHARS)),
            r#use: inquiry.r#use.as_deref().map(inert),
            tax: inquiry.tax.as_deref().map(inert),
            tax_cny: inquiry.tax_cny_per_year.map(group_thousands),
            area: inquiry.area_sqm.map(format_area),
            company: inquiry.company.as_deref().map(inert),
            contact: inquiry.contact.as_deref().map(inert),
            phone: shown_phone(channel, inquiry),
            received_at: shanghai_time(
                supplement.and_then(|s| s.at).unwrap_or(inquiry.received_at),
            ),
            link: self.link(inquiry),
            mentions: String::new(),
            others: Vec::new(),
            others_heading: String::new(),
            inbox: String::new(),
        }
    }

    fn link(&self, inquiry: &InquiryRow) -> String {
        format!("{}/inbox#/inquiries/{}", self.public_base_url, inquiry.id)
    }

    /// A fold's line for `inquiry`.
    fn line(
        &self,
        channel: &Channel,
        inquiry: &InquiryRow,
        supplement: Option<&Supplement>,
    ) -> Result<Line, RobotError> {
        let text = self
            .env
            .get_template("robot_line.txt")?
            .render(minijinja::context! {
                supplement => supplement.is_some(),
                title => inquiry.article_title.as_deref().map(|t| inert(&cut(t, LINE_TITLE_CHARS))),
                need => inert(&cut(&inquiry.need, LINE_NEED_CHARS)),
                phone => shown_phone(channel, inquiry),
            })?;
        Ok(Line {
            text,
            link: self.link(inquiry),
            supplement: supplement.is_some(),
        })
    }

    /// Whether the message fits in the platform's limit as it is, nothing cut.
    fn fits(&self, channel: &Channel, context: &Context) -> Result<bool, RobotError> {
        Ok(match channel.kind {
            ChannelKind::Wecom => {
                self.env.get_template("robot.md")?.render(context)?.len() <= WECOM_MARKDOWN_BYTES
            }
            ChannelKind::Dingtalk => {
                let mut context = context.clone();
                context.mentions = dingtalk_mentions(channel);
                self.env.get_template("robot.md")?.render(&context)?.len()
                    <= LARGE_MESSAGE_BYTES - 1000
            }
            ChannelKind::Feishu => {
                let text = self.env.get_template("robot.txt")?.render(context)?;
                feishu_post(channel, context, &text).to_string().len() <= LARGE_MESSAGE_BYTES - 1000
            }
            ChannelKind::Webhook => return Err(RobotError::NotARobot),
        })
    }

    /// The request bodies of a message, its visitor text cut to the platform's limit.
    fn bodies(&self, channel: &Channel, context: &mut Context) -> Result<Vec<Value>, RobotError> {
        let headline = headline(context);
        match channel.kind {
            ChannelKind::Wecom => {
                let content = self.fit(context, "robot.md", WECOM_MARKDOWN_BYTES)?;
                let mut bodies =
                    vec![json!({"msgtype": "markdown", "markdown": {"content": content}})];
                if !channel.mention_mobiles.is_empty() {
                    // WeCom honours mobile mentions in text messages only; the keyword rides
                    // along for a robot secured by one.
                    let text = format!("{headline}，请跟进 {}", context.keyword)
                        .trim()
                        .to_string();
                    bodies.push(json!({"msgtype": "text", "text": {
                        "content": text, "mentioned_mobile_list": channel.mention_mobiles,
                    }}));
                }
                Ok(bodies)
            }
            ChannelKind::Dingtalk => {
                context.mentions = dingtalk_mentions(channel);
                let text = self.fit(context, "robot.md", LARGE_MESSAGE_BYTES - 1000)?;
                Ok(vec![json!({
                    "msgtype": "markdown",
                    "markdown": {"title": headline, "text": text},
                    "at": {"atMobiles": channel.mention_mobiles, "isAtAll": false},
                })])
            }
            ChannelKind::Feishu => {
                let budget = LARGE_MESSAGE_BYTES
                    - 2000
                    - context
                        .others
                        .iter()
                        .map(|l| l.text.len() + l.link.len() + 64)
                        .sum::<usize>()
                        .min(LARGE_MESSAGE_BYTES / 2);
                let text = self.fit(context, "robot.txt", budget)?;
                Ok(vec![feishu_post(channel, context, &text)])
            }
            ChannelKind::Webhook => Err(RobotError::NotARobot),
        }
    }

    /// Renders `template`, shortening visitor text until the result fits in `limit` bytes.
    /// The link, the labels and the time are never cut.
    fn fit(
        &self,
        context: &mut Context,
        template: &str,
        limit: usize,
    ) -> Result<String, RobotError> {
        let template = self.env.get_template(template)?;
        let mut budget = 200;
        loop {
            let text = template.render(&*context)?;
            if text.len() <= limit || budget == 0 {
                return Ok(text);
            }
            budget /= 2;
            for field in [
                &mut context.r#use,
                &mut context.tax,
                &mut context.company,
                &mut context.contact,
                &mut context.title,
            ]
            .into_iter()
            .flatten()
            {
                *field = cut(field, budget);
            }
            context.need = cut(&context.need, budget);
        }
    }
}

/// The phone as the channel shows it: masked unless `show_phone` (SPEC §6, PIPL), its `*`
/// full-width in markdown (a delimiter run otherwise).
fn shown_phone(channel: &Channel, inquiry: &InquiryRow) -> Option<String> {
    inquiry.phone.as_deref().map(|p| {
        let shown = if channel.show_phone {
            p.to_string()
        } else {
            phone::mask(p)
        };
        match channel.kind {
            ChannelKind::Wecom | ChannelKind::Dingtalk => inert(&shown),
            _ => shown,
        }
    })
}

/// The heading of a fold's lines: `另有 N 条新询盘`, `、M 条补充信息` for repeats among them.
fn others_heading(others: &[Line]) -> String {
    let supplements = others.iter().filter(|l| l.supplement).count();
    let new = others.len() - supplements;
    match (new, supplements) {
        (new, 0) => format!("另有 {new} 条新询盘"),
        (0, supplements) => format!("另有 {supplements} 条补充信息"),
        (new, supplements) => format!("另有 {new} 条新询盘、{supplements} 条补充信息"),
    }
}

/// A message's headline. A supplement's names the new inquiry too: a robot secured by the
/// keyword `新询盘` (or `询盘`) takes it as well (SPEC §6: every message contains `新询盘`).
fn headline(context: &Context) -> &'static str {
    if context.supplement {
        "新询盘 · 补充信息"
    } else {
        "新询盘"
    }
}

/// DingTalk mentions a number only when it also stands in the text as `@<number>`.
fn dingtalk_mentions(channel: &Channel) -> String {
    channel
        .mention_mobiles
        .iter()
        .map(|m| format!("@{m}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Feishu `post`: the headline, `text`'s lines, the inbox link, a fold's lines with their
/// links, and the `at` elements.
fn feishu_post(channel: &Channel, context: &Context, text: &str) -> Value {
    let headline = headline(context);
    let title = match &context.title {
        Some(title) => format!("{headline} · {title} {}", context.keyword),
        None => format!("{headline} {}", context.keyword),
    };
    // The headline in the body too: a keyword check need not read the title.
    let mut lines: Vec<Value> = std::iter::once(title.trim().to_string())
        .chain(text.lines().map(str::to_string))
        .map(|line| json!([{"tag": "text", "text": line}]))
        .collect();
    lines.push(json!([{"tag": "a", "text": "在收件箱中处理", "href": context.link}]));
    if !context.others.is_empty() {
        lines.push(json!([{"tag": "text", "text": context.others_heading}]));
        for (i, line) in context.others.iter().enumerate() {
            lines.push(json!([
                {"tag": "text", "text": format!("{}. {} ", i + 1, line.text)},
                {"tag": "a", "text": "查看", "href": line.link},
            ]));
        }
        lines.push(json!([{"tag": "a", "text": "打开收件箱", "href": context.inbox}]));
    }
    if !channel.mention_open_ids.is_empty() {
        let ats: Vec<Value> = channel
            .mention_open_ids
            .iter()
            .map(|id| json!({"tag": "at", "user_id": id}))
            .collect();
        lines.push(Value::Array(ats));
    }
    json!({
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": title.trim(), "content": lines}}},
    })
}

/// The first `max` characters, with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

/// Visitor text made inert in markdown, HTML and mentions (see the module's doc), on one line.
pub fn inert(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut out = String::with_capacity(one_line.len());
    let chars: Vec<char> = one_line.replace("://", "∶//").chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // `evil.com`, `www.evil.com`: a dot between a letter or digit and a letter would let a
        // chat client make a link of a bare domain (numbers such as `2.5` keep theirs).
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        let previous = if i > 0 { chars[i - 1] } else { ' ' };
        if c == '.' && previous.is_ascii_alphanumeric() && next.is_ascii_alphabetic() {
            out.push('．');
            continue;
        }
        out.push(match c {
            '*' => '＊',
            '_' => '＿',
            '[' => '［',
            ']' => '］',
            '(' => '（',
            ')' => '）',
            '<' => '＜',
            '>' => '＞',
            '#' => '＃',
            '~' => '～',
            '|' => '｜',
            '!' => '！',
            '`' => '｀',
            '@' => '＠',
            '\\' => '＼',
            '&' => '＆',
            other => other,
        });
    }
    // Every value follows its label on its line, so none can start a list item or a quote.
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitor_text_cannot_make_markup_links_or_mentions() {
        for (input, must_not) in [
            ("<script>alert(1)</script>", "<"),
            ("[点我](http://evil.example/x)", "]("),
            ("**加粗** _斜体_ `code`", "*"),
            ("@all 请注意 @13912345678", "@"),
            ("# 标题\n> 引用", "#"),
            ("<font color=\"warning\">红字</font>", "<font"),
            ("<at user_id=\"all\">所有人</at>", "<at"),
            ("http://evil.example", "://"),
            ("&lt;b&gt;", "&lt;"),
            ("加微信 www.evil.com 或 evil.cn/pay", "evil.c"),
        ] {
            let out = inert(input);
            assert!(!out.contains(must_not), "{input} -> {out}");
            assert!(!out.contains('\n'), "{input} -> {out}");
        }
        assert_eq!(inert("求租厂房 2000 平方米"), "求租厂房 2000 平方米");
        assert_eq!(inert("层高 8.5 米，2.5 万元"), "层高 8.5 米，2.5 万元");
    }

    #[test]
    fn a_message_over_the_limit_is_cut_in_its_visitor_text_never_its_link() {
        let renderer = RobotRenderer::new("https://leads.example.cn").unwrap();
        let mut context = Context {
            supplement: false,
            changed: String::new(),
            keyword: String::new(),
            title: Some("标".repeat(200)),
            need: "需".repeat(80),
            r#use: Some("用".repeat(200)),
            tax: Some("税".repeat(100)),
            tax_cny: None,
            area: None,
            company: Some("公".repeat(100)),
            contact: Some("联".repeat(50)),
            phone: Some("139＊＊＊＊5678".into()),
            received_at: "2026-11-30 10:00:00".into(),
            link: "https://leads.example.cn/inbox#/inquiries/0193a000".into(),
            mentions: String::new(),
            others: Vec::new(),
            others_heading: String::new(),
            inbox: String::new(),
        };
        let full = renderer
            .fit(&mut context.clone(), "robot.md", usize::MAX)
            .unwrap();
        assert!(full.len() > 2000, "{}", full.len());
        let fitted = renderer.fit(&mut context, "robot.md", 1200).unwrap();
        assert!(fitted.len() <= 1200, "{} bytes", fitted.len());
        assert!(fitted.contains("(https://leads.example.cn/inbox#/inquiries/0193a000)"));
        assert!(fitted.contains("手机号：139＊＊＊＊5678") && fitted.contains('…'));
    }

    #[test]
    fn cutting_marks_what_was_cut() {
        assert_eq!(cut("一二三四", 2), "一二…");
        assert_eq!(cut("一二", 2), "一二");
    }
}
