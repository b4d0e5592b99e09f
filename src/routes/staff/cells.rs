//! Export cells: visitor text written so that Excel and WPS show it as it was typed (SPEC §4).

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Text someone typed, as a cell that Excel and WPS show as it was written: never run as a
/// formula, never read as a number or a date. Such a cell gets a leading `'`; every character
/// of the text is kept.
///
/// - Formula (OWASP "CSV injection"): the cell begins with `= + - @`, tab or CR, or its first
///   visible character (past spaces and invisible format characters, which some spreadsheets
///   skip) is one of `= + - @` or folds to one under NFKC: the full-width `＝ ＋ － ＠` a
///   Chinese input method types, and the small forms `﹦ ﹢ ﹣ ﹫`.
/// - Number: see `number_like`. Excel and WPS read a CSV cell by its look, quotes or not: a
///   WeChat `13912345678` becomes `1.39123E+10`, an 18-digit ID loses its last digits, `0756…`
///   its zero, `1e5` becomes 100000, `2026-01-02` a date shown another way.
///
/// Why `'` for numbers too: a CSV cannot carry a cell's type, and of the known tricks only
/// this one holds in both. `="0756"` is itself a formula (the injection rule forbids writing
/// one, and other readers see `=`); a leading tab is one of OWASP's dangerous characters, is
/// documented for Excel only (not for WPS), and stays in the cell as an invisible character that
/// breaks a copied WeChat ID; zero-width characters corrupt the value the same way. A `'` cannot be read
/// as a number or a formula by anything, is visible (Excel shows it when opening a CSV — the
/// cost of this choice), and is the same mark as on neutralised formulas.
pub fn text_cell(text: &str) -> String {
    if formula_like(text) || number_like(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn formula_like(text: &str) -> bool {
    if text.starts_with(['\t', '\r']) {
        return true;
    }
    text.chars()
        .find(|c| !c.is_whitespace() && c.general_category() != GeneralCategory::Format)
        .is_some_and(|c| {
            c.to_string()
                .nfkc()
                .next()
                .is_some_and(|f| matches!(f, '=' | '+' | '-' | '@'))
        })
}

/// Whether a spreadsheet would read the text as a number, date, time, percentage, currency or
/// truth value: digits (ASCII or full-width) with only the signs, separators, units and date
/// words those formats use — or a date and a time (`2026-01-02 10:30`), or a whole and a
/// fraction (`1 1/2`). Deliberately wide: a needless `'` costs one visible character, a missed
/// one costs digits. Digits grouped by spaces (`139 1234 5678`, the phone column) stay text in
/// Excel and WPS. Also dates with an English month name (`Mar 5`, `5-Mar`, `March 5, 2024`),
/// times with AM/PM (`10:30 AM`) and Excel's error values (`#N/A`), which Excel converts too.
fn number_like(text: &str) -> bool {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
        return true;
    }
    if ERROR_VALUES.iter().any(|e| text.eq_ignore_ascii_case(e)) || month_date(text) {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    if let Some(time) = lower
        .strip_suffix("am")
        .or_else(|| lower.strip_suffix("pm"))
    {
        let time = time.trim_end();
        if !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit() || b == b':') {
            return true;
        }
    }
    match text.split_once(' ') {
        Some((a, b)) => b.contains([':', '/']) && numeric(a) && numeric(b.trim_start()),
        None => numeric(text),
    }
}

/// Excel's error values, which it shows as errors rather than text.
const ERROR_VALUES: [&str; 7] = [
    "#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!",
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `Mar 5`, `5-Mar`, `March 5, 2024`, `5 Sept 2024`: a month name (three letters or more of
/// it) with one or two numbers of up to four digits.
fn month_date(text: &str) -> bool {
    if text.len() > 24 {
        return false;
    }
    let words: Vec<&str> = text
        .split([' ', '-', ',', '.', '/'])
        .filter(|w| !w.is_empty())
        .collect();
    let month = |w: &str| {
        let w = w.to_ascii_lowercase();
        w.len() >= 3 && MONTHS.iter().any(|m| m.starts_with(&w))
    };
    let number = |w: &str| (1..=4).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_digit());
    (2..=3).contains(&words.len())
        && words.iter().filter(|w| month(w)).count() == 1
        && words.iter().filter(|w| number(w)).count() == words.len() - 1
}

fn numeric(text: &str) -> bool {
    const MARKS: &str = ".,+-/:%()$¥￥€£eE．，＋－／：％（）年月日时分秒";
    let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    text.chars().any(digit) && text.chars().all(|c| digit(c) || MARKS.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_what_the_visitor_wrote_as_text() {
        let q = |s: &str| format!("'{s}");
        let cases: Vec<(&str, String, &str)> = vec![
            // Formulas, as typed and as a Chinese input method types them.
            (
                "=HYPERLINK(\"http://x\",\"点我\")",
                q("=HYPERLINK(\"http://x\",\"点我\")"),
                "formula",
            ),
            ("=1+1", q("=1+1"), "formula"),
            ("+86 139 1234 5678", q("+86 139 1234 5678"), "plus"),
            ("-陈", q("-陈"), "minus"),
            ("@SUM(A1)", q("@SUM(A1)"), "at"),
            ("\tx", q("\tx"), "tab"),
            ("\rx", q("\rx"), "carriage return"),
            ("＝1+1", q("＝1+1"), "full-width equals"),
            ("＋8613912345678", q("＋8613912345678"), "full-width plus"),
            ("－陈", q("－陈"), "full-width minus"),
            ("＠王总", q("＠王总"), "full-width at"),
            ("﹦1+1", q("﹦1+1"), "small equals"),
            (" =1+1", q(" =1+1"), "a space before the formula"),
            (
                "\u{200b}=1+1",
                q("\u{200b}=1+1"),
                "a zero-width space before it",
            ),
            (
                "\u{3000}＝cmd|' /C calc'!A0",
                q("\u{3000}＝cmd|' /C calc'!A0"),
                "DDE after an ideographic space",
            ),
            // Numbers Excel and WPS would change.
            (
                "13912345678",
                q("13912345678"),
                "a mobile in the WeChat field",
            ),
            ("123456789", q("123456789"), "a QQ number"),
            (
                "440301199001011234",
                q("440301199001011234"),
                "18 digits lose precision",
            ),
            ("07563331234", q("07563331234"), "leading zero"),
            (
                "0756-3331234",
                q("0756-3331234"),
                "landline read as a date or a subtraction",
            ),
            ("1e5", q("1e5"), "exponent"),
            ("1E+05", q("1E+05"), "exponent with sign"),
            ("3.50", q("3.50"), "trailing zero"),
            ("1,234", q("1,234"), "thousands separator"),
            ("2026-01-02", q("2026-01-02"), "ISO date"),
            ("2026/1/2", q("2026/1/2"), "slash date"),
            ("1/2", q("1/2"), "read as 2 January"),
            ("2026-01-02 10:30", q("2026-01-02 10:30"), "date and time"),
            ("1 1/2", q("1 1/2"), "mixed fraction"),
            ("12:30", q("12:30"), "time"),
            ("50%", q("50%"), "percentage"),
            ("(300)", q("(300)"), "accounting negative"),
            ("¥500", q("¥500"), "currency"),
            ("2026年1月2日", q("2026年1月2日"), "Chinese date"),
            (
                "１３９１２３４５６７８",
                q("１３９１２３４５６７８"),
                "full-width digits",
            ),
            ("TRUE", q("TRUE"), "truth value"),
            ("Mar 5", q("Mar 5"), "month name and day"),
            ("5-Mar", q("5-Mar"), "day and month name"),
            ("March 5, 2024", q("March 5, 2024"), "long date"),
            ("10:30 AM", q("10:30 AM"), "time with AM"),
            ("3pm", q("3pm"), "hour with pm"),
            ("#N/A", q("#N/A"), "an error value"),
            ("May", "May".into(), "a month name alone is a word"),
            ("March team 5", "March team 5".into(), "words"),
            (" 0756 ", q(" 0756 "), "spaces around digits"),
            // Text that stays as it is.
            ("求租厂房", "求租厂房".into(), "Chinese text"),
            ("a=b", "a=b".into(), "equals inside"),
            ("wxid_abc123", "wxid_abc123".into(), "WeChat ID"),
            ("wang2026", "wang2026".into(), "letters then digits"),
            ("12345@qq.com", "12345@qq.com".into(), "QQ email"),
            (
                "139 1234 5678",
                "139 1234 5678".into(),
                "phone grouped by spaces",
            ),
            (
                "0756 333 1234",
                "0756 333 1234".into(),
                "landline grouped by spaces",
            ),
            ("年纳税300万", "年纳税300万".into(), "tax in words"),
            ("2000平方米", "2000平方米".into(), "area with unit"),
            ("300万", "300万".into(), "digits and a Chinese unit"),
            ("微信同号", "微信同号".into(), "same as the phone"),
            (
                "https://www.example.cn/a.html",
                "https://www.example.cn/a.html".into(),
                "URL",
            ),
            ("", "".into(), "empty"),
        ];
        assert!(cases.len() >= 20);
        for (input, expected, why) in cases {
            assert_eq!(text_cell(input), expected, "{why}: {input:?}");
            assert!(
                text_cell(input).ends_with(input),
                "{why}: every character kept"
            );
        }
    }
}
