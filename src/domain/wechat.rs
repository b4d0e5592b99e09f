//! The `wechat` field (SPEC §2): free text that never blocks a lead. Visitors write a WeChat
//! ID, a QQ number (older accounts use them), a phone number, or words meaning "same as my
//! phone"; sales staff want the ID they can search for, or the number they can call.

use super::phone::PhoneNumber;

/// What to store for an already folded and cleaned value: the inquiry's phone (E.164) for
/// "same as my phone" (`同手机号`, `微信同号`, `手机同号`, `同上`, `就是这个号`), a phone number as
/// E.164 (`13912345678` → `+8613912345678`), else the ID without a label typed before it
/// (`微信：wang_zong88` → `wang_zong88`), else the text as it is.
/// `None` for an answer that says there is none (`无`, `暂无`, `-`).
pub fn read(text: &str, phone: Option<&PhoneNumber>) -> Option<String> {
    if NO_ANSWER.contains(&text.to_lowercase().as_str()) {
        return None;
    }
    if let Some(phone) = phone.filter(|_| means_same_as_phone(text)) {
        return Some(phone.as_e164().to_string());
    }
    let id = strip_label(text);
    Some(match as_phone(id) {
        Some(phone) => phone.as_e164().to_string(),
        None => id.to_string(),
    })
}

/// What visitors write in an optional field they have nothing for.
const NO_ANSWER: &[&str] = &[
    "无",
    "没有",
    "暂无",
    "无微信",
    "没有微信",
    "-",
    "--",
    "—",
    "/",
    "none",
    "n/a",
    "no",
];

/// Words meaning "my WeChat is my phone number". A negation (`微信不同号`, `与手机号不一样`)
/// means the opposite, so the text is kept.
fn means_same_as_phone(text: &str) -> bool {
    let s: String = text
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !c.is_ascii_punctuation() && !"，。、！：；（）".contains(*c)
        })
        .collect::<String>()
        .to_lowercase();
    // "QQ同号" is the QQ number, which the visitor did not give.
    let negated = s.contains(['不', '非', '没', '无']) || s.contains("not");
    if s.chars().count() > 12 || negated || s.contains("qq") {
        return false;
    }
    let phone_word = s.contains("手机") || s.contains("电话");
    let this_number = ["这个号", "此号", "本号", "该号"]
        .iter()
        .any(|w| s.contains(w));
    matches!(
        s.as_str(),
        "同上" | "同号" | "手机" | "手机号" | "手机号码" | "电话" | "电话号码"
    ) || this_number
        || (s.contains('同') && (phone_word || s.contains('号')))
        || (phone_word
            && ["一样", "相同", "一致", "就是", "即微信", "即是"]
                .iter()
                .any(|w| s.contains(w)))
        || (s.starts_with("sameas") && ["phone", "mobile", "tel"].iter().any(|w| s.contains(w)))
}

/// `微信：wang_zong88`, `WeChat: wang`, `wx wang`: the ID without the label typed before it. A
/// label is only taken off before `:`, `=` or a space (`wxid_…` and `wx-wang88` are IDs).
fn strip_label(text: &str) -> &str {
    for label in [
        "微信号码",
        "微信号",
        "微信",
        "wechat",
        "weixin",
        "wx",
        "vx",
        "v",
    ] {
        let Some(head) = text.get(..label.len()) else {
            continue;
        };
        let rest = &text[label.len()..];
        if head.eq_ignore_ascii_case(label) && rest.starts_with([':', ' ', '=']) {
            let id = rest.trim_start_matches([':', ' ', '=']);
            if !id.is_empty() {
                return id;
            }
        }
    }
    text
}

/// A phone number written as a WeChat ID, read as the phone field reads it (pasted forms
/// included) — only where it cannot be a QQ number (5–10 digits, never starting with 0): an
/// international `+…`, a trunk `0…`, or 11 digits and more, and no letters.
fn as_phone(text: &str) -> Option<PhoneNumber> {
    let first = text.chars().find(|c| c.is_ascii_digit() || *c == '+')?;
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let shaped = first == '+' || first == '0' || digits >= 11;
    if shaped && !text.chars().any(char::is_alphabetic) {
        PhoneNumber::parse(text)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_visitors_write() {
        let phone = PhoneNumber::parse("13912340000");
        let cases = [
            ("微信同号", "+8613912340000", "same as the phone"),
            ("同手机号", "+8613912340000", "same as the phone"),
            ("手机同号", "+8613912340000", "same as the phone"),
            ("同上", "+8613912340000", "same as above"),
            ("与手机号相同", "+8613912340000", "the same as the phone"),
            ("就是这个号", "+8613912340000", "this number"),
            ("same as phone", "+8613912340000", "English"),
            ("微信不同号", "微信不同号", "a negation is kept as written"),
            ("QQ同号", "QQ同号", "the QQ number, which we do not have"),
            ("微信QQ同号", "微信QQ同号", "the QQ number"),
            (
                "与手机号不一样",
                "与手机号不一样",
                "a negation is kept as written",
            ),
            ("13912345678", "+8613912345678", "a mobile"),
            ("139–1234–5678", "+8613912345678", "a pasted mobile"),
            (
                "+86 139-1234-5678",
                "+8613912345678",
                "with its country code",
            ),
            ("0755-86001234", "+8675586001234", "a landline"),
            ("123456789", "123456789", "a QQ number"),
            ("2345678901", "2345678901", "ten digits: QQ, not a landline"),
            ("wxid_abc123", "wxid_abc123", "a WeChat ID"),
            ("wx-wang88", "wx-wang88", "an ID starting with wx-"),
            ("微信:wang_zong88", "wang_zong88", "a label"),
            ("WeChat wang88", "wang88", "an English label"),
            ("vx=abc123", "abc123", "vx="),
            ("V:wang88", "wang88", "V:"),
            ("vip_wang88", "vip_wang88", "an ID starting with v"),
            ("王总的微信", "王总的微信", "words"),
        ];
        for (input, expected, what) in cases {
            assert_eq!(
                read(input, phone.as_ref()).as_deref(),
                Some(expected),
                "{what}: {input}"
            );
        }
        assert_eq!(
            read("同手机号", None).as_deref(),
            Some("同手机号"),
            "no phone to refer to"
        );
        for none in ["无", "暂无", "-", "N/A"] {
            assert_eq!(read(none, phone.as_ref()), None, "{none}");
        }
    }
}
