//! Blanking contact details that a visitor typed into free text ("请联系 139 1234 5678",
//! "邮箱 wang@qq.com"), for anonymisation (SPEC §4): the contact fields are erased outright, but
//! the need, use and tax are kept for statistics, so the phone numbers and email addresses inside
//! them are replaced by [`BLANK`].
//!
//! A phone number is what [`PhoneNumber::parse`] accepts — the intake's own reading, so that
//! what would have been taken as a phone in the phone field is blanked in free text too — found
//! as a run of digits, `+` and the separators people type (spaces, dashes, dots, brackets,
//! their full-width forms). Figures that are not phone numbers (`2000-3000平`, `年纳税300万`,
//! `20003000`) stay. An email address is local part, `@` or `＠`, and a dotted domain.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::phone::PhoneNumber;

/// What a blanked phone number or email address reads as.
pub const BLANK: &str = "[已删除]";

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９._%+\-．＿－]+\s*[@＠]\s*[A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－]+(?:\s*[.．。]\s*[A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－]+)+",
    )
    .expect("the email pattern compiles")
});

/// A run that may hold phone numbers: digits (ASCII or full-width), `+`, and separators, starting
/// and ending with a digit or `+`.
static DIGIT_RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[+＋]?[0-9０-９](?:[0-9０-９ \u{00A0}\u{3000}\-–—－‐.．()（）/]*[0-9０-９])?")
        .expect("the digit-run pattern compiles")
});

/// Fewer digits than this are never a phone number (the shortest numbers with a country code).
const MIN_PHONE_DIGITS: usize = 7;

/// `text` with every email address and phone number replaced by [`BLANK`]; borrowed when there
/// was none.
pub fn blank_contacts(text: &str) -> Cow<'_, str> {
    let emails = EMAIL.replace_all(text, BLANK);
    match blank_phones(&emails) {
        Cow::Borrowed(_) => emails,
        Cow::Owned(owned) => Cow::Owned(owned),
    }
}

fn blank_phones(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut last = 0;
    for run in DIGIT_RUN.find_iter(text) {
        let digits = run.as_str().chars().filter_map(digit).count();
        if digits < MIN_PHONE_DIGITS {
            continue;
        }
        let unit_after = followed_by_unit(&text[run.end()..]);
        let blanked = blank_in_run(run.as_str(), unit_after);
        if let Cow::Owned(blanked) = blanked {
            out.push_str(&text[last..run.start()]);
            out.push_str(&blanked);
            last = run.end();
        }
    }
    if last == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// A digit, ASCII or full-width (as a Chinese input method types it), as its ASCII form.
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }
}

/// Units after a figure (`20000-30000㎡`, `300万`, `50 亩`, `500w`): a number before one is an
/// amount, not a phone number. A Latin unit counts only when no letter follows it (`13912345678
/// Wang` is a phone and a name).
fn followed_by_unit(rest: &str) -> bool {
    let mut chars = rest.trim_start().chars();
    match chars.next() {
        Some(c) if "㎡平亩元千亿%％".contains(c) => true,
        Some('万' | '方' | '米') => true,
        Some('w' | 'W' | 'k' | 'K' | 'm' | 'M') => !chars.next().is_some_and(char::is_alphabetic),
        _ => false,
    }
}

/// Whether a stretch reads as a mobile number or one with its country code: then it is a phone
/// whatever follows it (`13912345678 方先生`).
fn mobile_or_international(stretch: &str) -> bool {
    let digits: String = stretch.chars().filter_map(digit).collect();
    stretch.trim_start().starts_with(['+', '＋']) || (digits.len() == 11 && digits.starts_with('1'))
}

/// `20000-30000`, `10000～20000`: two figures of the same length joined by a dash or tilde
/// read as a range, which no phone number is written as (landlines are `0756-3331234`) —
/// unless a side is itself a mobile number (`13912345678-13812345678`: two phones).
fn is_range(run: &str) -> bool {
    let parts: Vec<&str> = run
        .split(['-', '–', '—', '－', '~', '～', '‐'])
        .map(str::trim)
        .collect();
    parts.len() == 2
        && parts.iter().all(|p| {
            !p.is_empty() && p.chars().all(|c| digit(c).is_some()) && !mobile_or_international(p)
        })
        && parts[0].chars().count() == parts[1].chars().count()
        && !parts[0].starts_with(['0', '０'])
}

/// Within one run, the longest stretches of whole groups (split at spaces, slashes and dashes,
/// which also separate several numbers or a figure and a number; a number written with dashes
/// is a stretch of several groups) that read as a phone number.
fn blank_in_run(run: &str, unit_after: bool) -> Cow<'_, str> {
    // A stretch is a phone number when the phone parser takes it, unless it reads as an amount:
    // a range (`20000-30000`), or the figure before a unit (`… 2000平`).
    let phone = |start: usize, end: usize| {
        let stretch = &run[start..end];
        let amount = !mobile_or_international(stretch)
            && ((end == run.len() && unit_after) || is_range(stretch));
        !amount && PhoneNumber::parse(stretch).is_some()
    };
    if phone(0, run.len()) {
        return Cow::Owned(BLANK.to_string());
    }
    // Group boundaries: byte offsets where a group starts and ends.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in run.char_indices() {
        let separator = matches!(
            c,
            ' ' | '\u{00A0}' | '\u{3000}' | '/' | '-' | '–' | '—' | '－' | '‐'
        );
        match (separator, start) {
            (true, Some(s)) => {
                groups.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        groups.push((s, run.len()));
    }
    let mut out = String::new();
    let mut last = 0;
    let mut i = 0;
    let mut changed = false;
    while i < groups.len() {
        // The longest stretch of groups from i that parses.
        let found = (i..groups.len())
            .rev()
            .find(|&j| phone(groups[i].0, groups[j].1));
        match found {
            Some(j) => {
                out.push_str(&run[last..groups[i].0]);
                out.push_str(BLANK);
                last = groups[j].1;
                changed = true;
                i = j + 1;
            }
            None => i += 1,
        }
    }
    if !changed {
        return Cow::Borrowed(run);
    }
    out.push_str(&run[last..]);
    Cow::Owned(out)
}

/// Every string inside a JSON value blanked as [`blank_contacts`] does; whether one changed.
pub fn blank_json(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => match blank_contacts(s) {
            Cow::Borrowed(_) => false,
            Cow::Owned(blanked) => {
                *s = blanked;
                true
            }
        },
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |c, v| blank_json(v) | c),
        serde_json::Value::Object(map) => map.values_mut().fold(false, |c, v| blank_json(v) | c),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_details_in_free_text_are_blanked() {
        let table = [
            (
                "求租厂房2000平，电话13912345678",
                "求租厂房2000平，电话[已删除]",
            ),
            ("请联系 139 1234 5678 王先生", "请联系 [已删除] 王先生"),
            ("联系：139-1234-5678。", "联系：[已删除]。"),
            ("手机+86 139 1234 5678", "手机[已删除]"),
            ("手机（+86）13912345678", "手机（[已删除]"),
            ("座机0756-3331234转8", "座机[已删除]转8"),
            ("１３９１２３４５６７８", "[已删除]"),
            ("面积2000 13912345678", "面积2000 [已删除]"),
            ("13912345678/13812345678", "[已删除]/[已删除]"),
            ("邮箱wang@qq.com谢谢", "邮箱[已删除]谢谢"),
            ("邮箱 wang.li@example.com.cn", "邮箱 [已删除]"),
            ("邮箱：ｗａｎｇ＠ｑｑ．ｃｏｍ", "邮箱：[已删除]"),
            ("wang@qq。com", "[已删除]"),
            // Not contact details: kept as typed.
            ("求租2000-3000平方米厂房", "求租2000-3000平方米厂房"),
            (
                "20000-30000㎡ ; 10000-20000平",
                "20000-30000㎡ ; 10000-20000平",
            ),
            (
                "面积 10000—20000 平，预算20000-30000万",
                "面积 10000—20000 平，预算20000-30000万",
            ),
            ("需要10000-20000", "需要10000-20000"),
            ("20000～25000平米", "20000～25000平米"),
            ("电话13912345678 2000平", "电话[已删除] 2000平"),
            ("13912345678 wx同号", "[已删除] wx同号"),
            ("13912345678 Wang", "[已删除] Wang"),
            ("13912345678 方先生", "[已删除] 方先生"),
            ("13912345678-13812345678", "[已删除]-[已删除]"),
            ("年纳税500w", "年纳税500w"),
            ("年纳税约3000000元", "年纳税约3000000元"),
            ("预算20003000", "预算20003000"),
            (
                "2026年1月入驻，面积1.5万平方米",
                "2026年1月入驻，面积1.5万平方米",
            ),
            ("电子元器件组装、仓储", "电子元器件组装、仓储"),
        ];
        for (input, expected) in table {
            assert_eq!(blank_contacts(input), expected, "{input}");
        }
    }

    #[test]
    fn json_strings_are_blanked_everywhere() {
        let mut value = serde_json::json!({
            "need": "电话13912345678",
            "nested": ["wang@qq.com", 5, {"tax": "300万"}],
        });
        assert!(blank_json(&mut value));
        assert_eq!(
            value,
            serde_json::json!({
                "need": "电话[已删除]",
                "nested": ["[已删除]", 5, {"tax": "300万"}],
            })
        );
        assert!(!blank_json(&mut value));
    }
}
