//! Derived fields read from visitor text: expected tax (`tax_cny_per_year`) and floor area
//! (`area_sqm`). Best effort: what cannot be read is `None`, never an error.

use unicode_normalization::UnicodeNormalization;

/// One 亩 is 2000/3 m² (666.67 m²).
const SQM_PER_MU: f64 = 2000.0 / 3.0;
const SQM_PER_HECTARE: f64 = 10_000.0;
const SQM_PER_SQFT: f64 = 0.092_903_04;
/// Larger values are typos or jokes, not a tax contribution or a plot of land.
const MAX_TAX: f64 = 1e15;
const MAX_AREA: f64 = 1e9;

/// Expected annual tax in CNY: "300万" → 3000000, "年纳税约300万元", "1.2亿", "500w", "3000000"
/// (a bare number is CNY), "300-500万" → 3000000 (the lower bound), "月纳税10万" → 1200000.
pub fn tax_cny_per_year(tax: &str) -> Option<i64> {
    let text = prepare(tax);
    if FOREIGN_CURRENCIES.iter().any(|c| text.contains(c)) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while let Some((start, value, end)) = next_number(&chars, i) {
        let after = skip_spaces(&chars, end);
        // "2024年纳税300万": a number followed by 年 is a year or a count of years.
        if chars.get(after) == Some(&'年') {
            i = after + 1;
            continue;
        }
        let (upper_end, _) = range_upper(&chars, end).unwrap_or((end, value));
        let (multiplier, _) = magnitude(&chars, skip_spaces(&chars, upper_end));
        let monthly = chars[..start].iter().collect::<String>().contains('月')
            || text.contains("每月")
            || text.contains("/月");
        let yearly = value * multiplier * if monthly { 12.0 } else { 1.0 };
        return (yearly.is_finite() && yearly < MAX_TAX).then(|| yearly.round() as i64);
    }
    None
}

const FOREIGN_CURRENCIES: &[&str] = &[
    "美元", "美金", "usd", "us$", "港币", "港元", "hkd", "欧元", "eur",
];

/// Floor or land area in m² from the need: "2000平方米", "2000㎡", "2000平", "1.5万平方米" → 15000,
/// "3亩" → 2000, "5000 sqm", "2000-3000平" → 2000 (the lower bound).
pub fn area_sqm(need: &str) -> Option<f64> {
    let text = prepare(need);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while let Some((_, value, end)) = next_number(&chars, i) {
        let (upper_end, _) = range_upper(&chars, end).unwrap_or((end, value));
        let (multiplier, unit_start) = magnitude(&chars, skip_spaces(&chars, upper_end));
        if let Some(per_unit) = area_unit(&chars, skip_spaces(&chars, unit_start)) {
            let sqm = value * multiplier * per_unit;
            return (sqm.is_finite() && sqm > 0.0 && sqm < MAX_AREA)
                .then(|| (sqm * 100.0).round() / 100.0);
        }
        i = end;
    }
    None
}

/// NFKC (full-width digits and letters become ASCII), lower case, thousands separators removed.
fn prepare(text: &str) -> String {
    let text: String = text.nfkc().collect::<String>().to_lowercase();
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if (c == ',' || c == '，') && between_digits {
            continue;
        }
        out.push(c);
    }
    out
}

/// The next decimal number at or after `from`: (start, value, end).
fn next_number(chars: &[char], from: usize) -> Option<(usize, f64, usize)> {
    let start = (from..chars.len()).find(|&i| chars[i].is_ascii_digit())?;
    let mut end = start;
    while end < chars.len() && chars[end].is_ascii_digit() {
        end += 1;
    }
    if end + 1 < chars.len() && chars[end] == '.' && chars[end + 1].is_ascii_digit() {
        end += 1;
        while end < chars.len() && chars[end].is_ascii_digit() {
            end += 1;
        }
    }
    let text: String = chars[start..end].iter().collect();
    text.parse().ok().map(|value| (start, value, end))
}

fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

/// "300-500万", "300~500", "300至500": the end and value of the upper bound, so the unit
/// written after it can be applied to the lower bound.
fn range_upper(chars: &[char], end: usize) -> Option<(usize, f64)> {
    let i = skip_spaces(chars, end);
    let c = *chars.get(i)?;
    if !matches!(c, '-' | '~' | '〜' | '—' | '–' | '至' | '到') {
        return None;
    }
    let j = skip_spaces(chars, i + 1);
    if !chars.get(j).is_some_and(char::is_ascii_digit) {
        return None;
    }
    let (_, value, upper_end) = next_number(chars, j)?;
    Some((upper_end, value))
}

/// A magnitude word after a number: (multiplier, index after it).
fn magnitude(chars: &[char], i: usize) -> (f64, usize) {
    let rest: String = chars[i.min(chars.len())..].iter().take(3).collect();
    let table: &[(&str, f64)] = &[
        ("个亿", 1e8),
        ("亿", 1e8),
        ("千万", 1e7),
        ("百万", 1e6),
        ("十万", 1e5),
        ("万", 1e4),
        ("w", 1e4),
        ("千", 1e3),
        ("k", 1e3),
    ];
    for (word, multiplier) in table {
        if rest.starts_with(word) {
            return (*multiplier, i + word.chars().count());
        }
    }
    (1.0, i)
}

/// An area unit at `i`: square metres per unit.
fn area_unit(chars: &[char], i: usize) -> Option<f64> {
    let rest: String = chars[i.min(chars.len())..].iter().take(16).collect();
    let table: &[(&str, f64)] = &[
        ("平方公里", 1e6),
        ("平方英尺", SQM_PER_SQFT),
        ("平方米", 1.0),
        ("平米", 1.0),
        ("平方", 1.0),
        ("平", 1.0),
        ("㎡", 1.0),
        ("m²", 1.0),
        ("m2", 1.0),
        ("sqm", 1.0),
        ("sq m", 1.0),
        ("sq.m", 1.0),
        ("square met", 1.0),
        ("sq ft", SQM_PER_SQFT),
        ("sqft", SQM_PER_SQFT),
        ("亩", SQM_PER_MU),
        ("公顷", SQM_PER_HECTARE),
        ("hectare", SQM_PER_HECTARE),
        ("ha", SQM_PER_HECTARE),
    ];
    table
        .iter()
        .find(|(unit, _)| {
            rest.starts_with(unit)
                // "ha" only as a word of its own ("5 ha", not "5 hall").
                && (*unit != "ha" || !rest[2..].starts_with(|c: char| c.is_ascii_alphabetic()))
        })
        .map(|(_, sqm)| *sqm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tax_as_people_write_it() {
        let cases: &[(&str, Option<i64>)] = &[
            ("300万", Some(3_000_000)),
            ("年纳税约300万元", Some(3_000_000)),
            ("1.2亿", Some(120_000_000)),
            ("500w", Some(5_000_000)),
            ("500W", Some(5_000_000)),
            ("3000000", Some(3_000_000)),
            ("3,000,000元", Some(3_000_000)),
            ("300-500万", Some(3_000_000)),
            ("300~500万", Some(3_000_000)),
            ("300万-500万", Some(3_000_000)),
            ("300 至 500 万", Some(3_000_000)),
            ("年税收1000万以上", Some(10_000_000)),
            ("预计年纳税 800 万", Some(8_000_000)),
            ("约2千万", Some(20_000_000)),
            ("一年约5百万", Some(5_000_000)),
            ("1个亿", Some(100_000_000)),
            ("50万/年", Some(500_000)),
            ("月纳税10万", Some(1_200_000)),
            ("每月20万左右", Some(2_400_000)),
            ("2024年纳税300万", Some(3_000_000)),
            ("近3年年均纳税200万", Some(2_000_000)),
            ("３００万", Some(3_000_000)),
            ("0.5亿", Some(50_000_000)),
            ("100k", Some(100_000)),
            ("税收300万，产值1亿", Some(3_000_000)),
            ("不低于500万元", Some(5_000_000)),
            ("待定", None),
            ("面议", None),
            ("", None),
            ("很多", None),
            ("300万美元", None),
            ("较高", None),
            ("9999999999999999999999999999999999999999", None),
        ];
        for (input, expected) in cases {
            assert_eq!(tax_cny_per_year(input), *expected, "tax {input:?}");
        }
    }

    #[test]
    fn reads_area_as_people_write_it() {
        let cases: &[(&str, Option<f64>)] = &[
            ("求租高新区标准厂房2000平方米", Some(2000.0)),
            ("2000㎡", Some(2000.0)),
            ("2000平", Some(2000.0)),
            ("2000平米仓库", Some(2000.0)),
            ("1.5万平方米", Some(15000.0)),
            ("1.5万平", Some(15000.0)),
            ("3亩", Some(2000.0)),
            ("工业用地30亩", Some(20000.0)),
            ("5000 sqm", Some(5000.0)),
            ("5,000 sqm warehouse", Some(5000.0)),
            ("2000 m2", Some(2000.0)),
            ("2000m²", Some(2000.0)),
            ("2000-3000平", Some(2000.0)),
            ("2000～3000平方米", Some(2000.0)),
            ("2000到3000平的厂房", Some(2000.0)),
            ("需要2栋厂房共5000平方", Some(5000.0)),
            ("层高8米，面积3000平米", Some(3000.0)),
            ("10000 sq ft office", Some(929.03)),
            ("2公顷", Some(20000.0)),
            ("5 ha of land", Some(50000.0)),
            ("求购土地50亩，用于建厂", Some(33333.33)),
            ("约800平左右的办公室", Some(800.0)),
            ("２０００平方米", Some(2000.0)),
            ("1万㎡以上", Some(10000.0)),
            ("求租厂房", None),
            ("需要一个仓库", None),
            ("电话13912345678", None),
            ("2栋厂房", None),
            ("", None),
            ("5 hall", None),
            ("层高8米", None),
        ];
        for (input, expected) in cases {
            assert_eq!(area_sqm(input), *expected, "area {input:?}");
        }
    }
}
