//! The field catalogue: every field a visitor fills in, described once — its wire name, its
//! Chinese and English labels, its limit in characters, one line or several, whether it is
//! required, and how the embedded form asks for it.
//!
//! Read by the intake parser (`domain::inquiry`), the error labels (`error::message`), the
//! embedded form's rules and snippet (`routes::embed`, `assets/snippet.html`), the CSV export's
//! headers (`routes::staff::export`) and the inbox (through the staff API's field names).
//! `docs/ARCHITECTURE.md` ("Adding a field") lists what else a new field takes.

use super::text::Lines;

/// How the embedded form asks for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// A `<textarea>`.
    TextArea,
    /// `<input type="text">`.
    Text,
    /// `<input type="tel">` with the phone keyboard.
    Tel,
    /// A text input with the email keyboard: the browser's own `type="email"` check refuses
    /// `wang＠example.cn` typed in full-width mode (and blocks the post without a word), which
    /// the server folds and accepts.
    Email,
    /// Not on the embedded form (sent by the page's script or an API client).
    None,
}

/// One field of an inquiry, as visitors send it.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Field {
    /// The name in JSON bodies, form posts, problem details and the staff API.
    pub name: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// The most characters (Unicode scalar values) kept or accepted.
    pub max: usize,
    #[serde(serialize_with = "single_line")]
    pub lines: Lines,
    pub required: bool,
    pub input: Input,
    /// The form's placeholder: an example of what to write.
    pub hint: &'static str,
    /// Marked `选填` (optional) on the form, beside its label.
    pub marked_optional: bool,
    /// Never an error (SPEC §2: input a visitor cannot see or fix is never refused): a longer
    /// value is cut to `max` and line breaks become spaces.
    pub lenient: bool,
}

fn single_line<S: serde::Serializer>(lines: &Lines, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(*lines == Lines::Single)
}

impl Field {
    /// The label in the given language (`en == false`: Chinese).
    pub fn label(&self, en: bool) -> &'static str {
        if en {
            self.en
        } else {
            self.zh
        }
    }
}

const fn field(
    name: &'static str,
    zh: &'static str,
    en: &'static str,
    max: usize,
    lines: Lines,
    required: bool,
) -> Field {
    Field {
        name,
        zh,
        en,
        max,
        lines,
        required,
        input: Input::None,
        hint: "",
        marked_optional: false,
        lenient: false,
    }
}

/// A field the intake reads leniently ([`Field::lenient`]).
const fn lenient(mut f: Field) -> Field {
    f.lenient = true;
    f
}

const fn on_form(mut f: Field, input: Input, hint: &'static str, marked_optional: bool) -> Field {
    f.input = input;
    f.hint = hint;
    f.marked_optional = marked_optional;
    f
}

use Lines::{Multi, Single};

pub const NEED: Field = on_form(
    field("need", "需求", "need", 500, Multi, true),
    Input::TextArea,
    "例如：求租宝安区厂房约 2000 平方米，层高 8 米",
    false,
);
pub const USE: Field = on_form(
    field("use", "用途", "intended use", 200, Multi, false),
    Input::Text,
    "例如：电子元件组装",
    false,
);
pub const TAX: Field = on_form(
    field("tax", "税收", "tax", 100, Single, false),
    Input::Text,
    "例如：年纳税 500 万元",
    false,
);
pub const COMPANY: Field = on_form(
    field("company", "公司", "company", 100, Single, false),
    Input::Text,
    "公司名称",
    false,
);
pub const CONTACT: Field = on_form(
    field("contact", "联系人", "contact person", 50, Single, true),
    Input::Text,
    "怎么称呼您",
    false,
);
pub const PHONE: Field = on_form(
    field("phone", "手机号", "phone number", 40, Single, true),
    Input::Tel,
    "例如：139 1234 5678",
    false,
);
pub const EMAIL: Field = on_form(
    field("email", "邮箱", "email", 254, Single, false),
    Input::Email,
    "name@example.com",
    true,
);
pub const WECHAT: Field = on_form(
    lenient(field("wechat", "微信", "WeChat", 50, Single, false)),
    Input::Text,
    "微信号",
    true,
);
pub const MESSAGE: Field = field("message", "留言", "message", 2000, Multi, false);
pub const ARTICLE_URL: Field = lenient(field(
    "article_url",
    "文章链接",
    "article URL",
    super::article::MAX_URL_CHARS,
    Single,
    false,
));
pub const ARTICLE_TITLE: Field = lenient(field(
    "article_title",
    "文章标题",
    "article title",
    200,
    Single,
    false,
));

/// Every field, in the order forms, mails and exports show them.
pub const FIELDS: &[Field] = &[
    NEED,
    USE,
    TAX,
    COMPANY,
    CONTACT,
    PHONE,
    EMAIL,
    WECHAT,
    MESSAGE,
    ARTICLE_URL,
    ARTICLE_TITLE,
];

/// The field of a wire name.
pub fn by_name(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// The fields the embedded form shows, in its rows (two short fields share a row).
pub fn form_rows() -> Vec<Vec<&'static Field>> {
    [
        &["need"][..],
        &["use", "tax"],
        &["company"],
        &["contact", "phone"],
        &["email", "wechat"],
    ]
    .iter()
    .map(|row| row.iter().filter_map(|name| by_name(name)).collect())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_the_form_shows_every_form_field_once() {
        let mut names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FIELDS.len());
        let on_form: Vec<&str> = form_rows().concat().iter().map(|f| f.name).collect();
        let expected: Vec<&str> = FIELDS
            .iter()
            .filter(|f| f.input != Input::None)
            .map(|f| f.name)
            .collect();
        assert_eq!(on_form, expected);
    }
}
