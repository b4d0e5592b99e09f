//! Derived fields read from visitor text: expected tax (`tax_cny_per_year`) and floor area
//! (`area_sqm`). Best effort: what cannot be read is `None`, never an error and never a number
//! that lost its unit ("年纳税300多万" is 3000000, not 300).
//!
//! Both scan the text once, left to right, over a `Vec<char>` with table lookups: no regex, no
//! allocation per candidate number (this runs on every intake request).

mod numeral;

use unicode_normalization::UnicodeNormalization;

use numeral::Numeral;

/// One 亩 is 2000/3 m² (666.67 m²): the 市亩 of the 市制 units fixed by the State Council in
/// 1959 (1 市尺 = 1/3 m, 1 亩 = 6000 平方市尺 = 60 平方丈), exactly 1/15 公顷 — the 亩 of land
/// certificates and listings.
const SQM_PER_MU: f64 = 2000.0 / 3.0;
const SQM_PER_HECTARE: f64 = 10_000.0;
const SQM_PER_SQFT: f64 = 0.092_903_04;
/// Larger values are typos or jokes, not a tax contribution or a plot of land.
const MAX_TAX: f64 = 1e15;
const MAX_AREA: f64 = 1e9;
/// A tax written without 万/亿/w and without 元 below this is unreadable (see `read_tax`).
const MIN_UNITLESS_TAX: f64 = 10_000.0;

/// Expected annual tax in CNY, read from the `tax` field.
///
/// Shapes: "300万" → 3000000, "年纳税约300万元", "1.2亿", "500w", "500W+", "3000000" (a bare
/// number is CNY), "三百万", "一千万以上", "一点五亿", "3千万", "1千5百万", "贰佰万", "1个亿".
/// Approximations give their stated base: "300多万", "500余万", "300来万", "约300万", "近300万",
/// "300万左右", "300万以上", "300+万", "不少于300万" → 3000000. A range gives its lower bound:
/// "300-500万", "三到五百万", "五六百万" → 3000000 / 5000000. Monthly amounts ("月纳税10万",
/// "每月20万") are multiplied by 12.
///
/// `None` when nothing can be trusted: no number, a foreign currency ("300万美元"), a ceiling
/// rather than an amount ("10万以下", "不到50万"), or a number below 10,000 with no 万/亿/w and
/// no 元 ("300多", "年纳税500"): the form's example is "年纳税 500 万元", so such a number is
/// far more often 万 forgotten than yuan, and a wrong number ranks the lead wrongly where `None`
/// does not. "300元" is 300.
pub fn tax_cny_per_year(tax: &str) -> Option<i64> {
    let text = prepare(tax);
    if FOREIGN_CURRENCIES.iter().any(|c| text.contains(c)) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    // "产值1亿，税收300万": a number after the word 税 is the tax; otherwise the first one.
    let after_tax_word = chars.iter().position(|&c| c == '税').unwrap_or(0);
    let reading = match read_tax(&chars, after_tax_word) {
        None if after_tax_word > 0 => read_tax(&chars, 0),
        reading => reading,
    };
    let (amount, per_year) = reading??;
    let yearly = amount * per_year;
    (yearly.is_finite() && yearly < MAX_TAX).then(|| yearly.round() as i64)
}

const FOREIGN_CURRENCIES: &[&str] = &[
    "美元", "美金", "美刀", "usd", "$", "港币", "港元", "hkd", "欧元", "eur", "日元", "英镑",
    "台币", "韩元", "澳元", "加元",
];
/// In the clause before an amount, these make it a monthly one ("月纳税10万", "每月20万",
/// "今年每月纳税20万"); another clause's do not ("年纳税300万，月均25万" is a year's 300万).
const MONTHLY: &[&str] = &[
    "每月",
    "每个月",
    "/月",
    "月纳税",
    "月均",
    "月税",
    "月缴",
    "月交",
    "单月",
    "一个月",
];
/// A day's or a week's amount: no yearly figure (before the amount, or right after it).
const SHORT_PERIODS: &[&str] = &[
    "每天",
    "每日",
    "日均",
    "一天",
    "每周",
    "周均",
    "一周",
    "每星期",
];
const SHORT_PERIODS_AFTER: &[&str] = &["/天", "/日", "/周", "每天", "每日", "每周", "一天"];
/// Before an amount, a quarter's ("每季度50万").
const QUARTERLY: &[&str] = &["季度", "每季"];
/// Right after an amount and its unit, these make it a monthly one ("20万/月", "10万元每月").
const MONTHLY_AFTER: &[&str] = &["/月", "每月", "一个月", "一月"];
/// Words before a number that say it is not the tax.
const OTHER_QUANTITIES: &[&str] = &[
    "产值",
    "营收",
    "营业额",
    "销售",
    "收入",
    "投资",
    "注册资",
    "资产",
    "利润",
    "员工",
    "人数",
    "预算",
    "租金",
    "房租",
    "电费",
    "用电",
    "面积",
    "层高",
    "亩均",
    "每平",
    "每亩",
];
/// After the amount: a rate per area ("1000元/平", "50万每亩"), not the company's tax.
const PER_AREA: &[&str] = &["/平", "/亩", "/m2", "每平", "每亩", "/㎡"];
/// Before a lone 万 or 亿: "上亿", "过亿", "近亿" are at least one of it.
const AT_LEAST: &str = "上过超近破";
/// Ceilings: the tax is at most this, so the number is no amount to rank by.
const CEILING_BEFORE: &[&str] = &[
    "不到",
    "不足",
    "不超过",
    "低于",
    "少于",
    "小于",
    "最多",
    "至多",
    "不满",
];
const CEILING_AFTER: &[&str] = &["以下", "以内", "之内", "封顶", "不到", "不足", "未到"];
/// Before an amount: a total over a period longer than a year.
/// Before an amount: it is one year's after all ("全年累计纳税300万", "3年内每年纳税500万").
const ONE_YEAR: &[&str] = &[
    "全年", "年度", "今年", "去年", "本年", "每年", "年均", "平均",
];
/// "不少于", "不低于", "不小于" are floors although they contain a ceiling word.
const FLOOR_NEGATIONS: &[&str] = &["不少于", "不低于", "不小于"];
const CURRENCIES: &[&str] = &["元", "块", "rmb", "人民币", "cny"];
/// Characters after a number that count something other than money ("3年", "2栋", "13%").
const COUNTERS: &[char] = &[
    '年', '月', '日', '天', '周', '个', '栋', '层', '楼', '人', '名', '位', '家', '套', '间', '台',
    '辆', '米', '号', '%', '倍', '岁', '次', '期', '条', '项', '座', '亩', '平', '方', 'm',
];

/// The tax from the first number at or after `from` that is not something else, and how many
/// of its periods make a year (12 for a monthly amount, 4 quarterly, 2 half-yearly; only the
/// words next to the amount say so): `None` when there is
/// none, `Some(None)` when the number found cannot be trusted.
fn read_tax(chars: &[char], from: usize) -> Option<Option<(f64, f64)>> {
    let mut i = from;
    while let Some(start) = next_numeral(chars, i) {
        let first = numeral::read(chars, start);
        let q = quantity(chars, first);
        // A skipped range is skipped whole: "0755-86001234", "2-3年".
        i = q.end.max(first.end);
        let after = skip_spaces(chars, q.end);
        let currency = CURRENCIES.iter().find(|c| starts_with(chars, after, c));
        let counted = currency.is_none() && chars.get(after).is_some_and(|c| COUNTERS.contains(c));
        let phone_or_code = first.plain_digits >= 11 || first.leading_zero;
        let clause = clause_before(chars, start);
        let label = label_of(clause);
        // "一般", "万科": one Chinese character alone is a word, not an amount; "上亿" is one.
        let at_least = first.big && start > 0 && AT_LEAST.contains(chars[start - 1]);
        let word = first.weak && q.single && !at_least;
        let other = OTHER_QUANTITIES.iter().any(|w| contains(label, w));
        if counted || word || phone_or_code || other {
            continue;
        }
        // "三年累计纳税900万", "3年内纳税1000万", "公司累计纳税2000万": a total over several
        // years is no yearly amount; a later one may be ("…，年均400万").
        if total_over_years(chars, start, label) {
            continue;
        }
        // "几百万", "几十万": a few of them, no amount to rank by.
        if vague(chars, start) {
            return Some(None);
        }
        let after_unit = skip_spaces(chars, after + currency.map_or(0, |c| c.chars().count()));
        if PER_AREA.iter().any(|w| starts_with(chars, after_unit, w)) {
            continue;
        }
        let floor_word = FLOOR_NEGATIONS.iter().any(|w| contains(label, w));
        let ceiling = (!floor_word && CEILING_BEFORE.iter().any(|w| contains(label, w)))
            || CEILING_AFTER
                .iter()
                .any(|w| starts_with(chars, after_unit, w));
        let unitless = !q.big && currency.is_none();
        let trusted = |v: f64| !(ceiling || unitless && v < MIN_UNITLESS_TAX);
        let period = counted_period(chars, start, clause);
        // "1-10月纳税250万", "前三季度300万", "3个月纳税60万", "每天1万": part of a year, or a
        // day's or week's, is no yearly amount to rank by.
        let short_period = SHORT_PERIODS.iter().any(|w| contains(clause, w))
            || SHORT_PERIODS_AFTER
                .iter()
                .any(|w| starts_with(chars, after_unit, w));
        if period == Some(Period::PartOfYear) || short_period {
            return Some(None);
        }
        let monthly = period == Some(Period::Month)
            || MONTHLY.iter().any(|w| contains(clause, w))
            || MONTHLY_AFTER
                .iter()
                .any(|w| starts_with(chars, after_unit, w));
        let quarterly = QUARTERLY.iter().any(|w| contains(clause, w))
            || starts_with(chars, after_unit, "/季")
            || starts_with(chars, after_unit, "每季");
        let half_yearly = contains(clause, "半年") || starts_with(chars, after_unit, "/半年");
        let per_year = if monthly {
            12.0
        } else if quarterly {
            4.0
        } else if half_yearly {
            2.0
        } else {
            1.0
        };
        let value = q.value.filter(|&v| trusted(v));
        return Some(value.map(|v| (v, per_year)));
    }
    None
}

/// Whether the amount at `start` is a total over more than one year: after a count of years
/// ("近三年纳税900万", "3年内纳税1000万", "2021-2023年纳税900万") or with a word of a total and no
/// year ("公司累计纳税2000万", "成立以来纳税2000万") — unless the label says it is each year's
/// ([`ONE_YEAR`], 都: "近两年纳税都在300万以上", "3年内每年纳税500万") or names one calendar year
/// ("2023年累计纳税500万").
fn total_over_years(chars: &[char], start: usize, label: &[char]) -> bool {
    if ONE_YEAR.iter().any(|w| contains(label, w)) || label.contains(&'都') {
        return false;
    }
    let label_start = start - label.len();
    let mut count_start = label_start;
    while count_start > 0 && numeral::starts_numeral(chars[count_start - 1]) {
        count_start -= 1;
    }
    let after_count = label.first() == Some(&'年') && count_start < label_start;
    if !after_count {
        // "公司累计纳税2000万", "成立以来纳税2000万": a total since the company began.
        return ["累计", "共计", "合计", "总共", "以来"]
            .iter()
            .any(|w| contains(label, w));
    }
    // A count of years ("近三年纳税900万", "3年内"), or a range of calendar years
    // ("2021-2023年纳税900万"); not one calendar year ("2023年").
    let count = numeral::read(chars, count_start).value;
    let years_range = count >= 1900.0
        && count_start > 0
        && matches!(
            chars[count_start - 1],
            '-' | '~' | '～' | '至' | '到' | '—' | '–'
        );
    (2.0..=20.0).contains(&count) || years_range
}

/// Floor or land area in m², read from the `need` field.
///
/// Shapes: "2000平方米", "2000平米", "2000平", "2000㎡", "2000m²", "2000 m2", "5000 sqm",
/// "5000方" (not 方便/方向/方案/地方), "1.5万平方米" → 15000, "两千平米", "一万五千平方米",
/// "3亩" → 2000 (1 亩 = 2000/3 m²), "五十亩", "2公顷", "10000 sq ft" → 929.03. Approximations
/// give their stated base ("两千多平米", "约800平左右", "一千多平方" → 2000 / 800 / 1000); a
/// range its lower bound ("2000-3000平", "两到三千平", "三四千平" → 2000 / 2000 / 3000). A
/// bound stays the need's size ("2000平以内" → 2000). Rounded to 0.01 m².
///
/// `None` without a unit ("2栋", "层高8米", "1.2万"), and for a lone Chinese digit before
/// 平 or 方 ("三通一平", "三方协议"): such words are not areas.
pub fn area_sqm(need: &str) -> Option<f64> {
    let text = prepare(need);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while let Some(start) = next_numeral(&chars, i) {
        let first = numeral::read(&chars, start);
        i = first.end;
        if vague(&chars, start) {
            continue;
        }
        let q = quantity(&chars, first);
        let unit_at = skip_spaces(&chars, q.end);
        let Some(unit) = area_unit(&chars, unit_at) else {
            continue;
        };
        if !unit.fits(&first, q.single) {
            continue;
        }
        // "单价2万一平", "5千一平的厂房": a price per square metre, not an area.
        let per_one =
            unit_at >= 2 && chars[unit_at - 1] == '一' && "万千元块".contains(chars[unit_at - 2]);
        // "用水100方", "年用气10万方", "冷库3000方", "土方量约2万方": cubic metres.
        let volume = matches!(unit.kind, UnitKind::Fang)
            && (VOLUME_WORDS
                .iter()
                .any(|w| contains(label_of(clause_before(&chars, start)), w))
                || starts_with(&chars, unit_at + 1, "/天"));
        if per_one || volume {
            continue;
        }
        let Some(value) = q.value else { continue };
        // "一亩半", "两亩半": and a half.
        let half = q.single
            && starts_with(&chars, unit_at, "亩半")
            && !chars.get(unit_at + 2).is_some_and(|c| "山坡".contains(*c));
        let value = value + if half { 0.5 } else { 0.0 };
        let sqm = value * unit.sqm;
        return (sqm.is_finite() && sqm > 0.0 && sqm < MAX_AREA)
            .then(|| (sqm * 100.0).round() / 100.0);
    }
    None
}

/// A number with what is written around it: "300-500多万" → 3000000, "三百多万" → 3000000.
struct Quantity {
    /// `None` for a range that cannot be read ("500-30万": which unit does 500 have?).
    value: Option<f64>,
    /// After the magnitude word and any approximation word.
    end: usize,
    /// Written with 万, 亿 or w: a money unit of its own.
    big: bool,
    /// One number alone, not a range and without a magnitude word after it.
    single: bool,
}

fn quantity(chars: &[char], first: Numeral) -> Quantity {
    let second = range_upper(chars, &first);
    let last = second.unwrap_or(first);
    let mut end = skip_approximation(chars, last.end);
    let mut post = None;
    if !last.big {
        if let Some((magnitude, magnitude_end)) = magnitude_after(chars, end) {
            post = Some(magnitude);
            end = skip_approximation(chars, magnitude_end);
        }
    }
    let multiplier = post.map_or(1.0, |m: Numeral| m.value);
    let value = match second {
        None => Some(first.value * multiplier),
        Some(_) if first.big => Some(first.value),
        Some(upper) => range_lower(chars, &first, &upper, post.as_ref()),
    };
    let big = first.big || last.big || post.is_some_and(|m| m.big);
    Quantity {
        value,
        end,
        big,
        single: second.is_none() && post.is_none(),
    }
}

/// "300-500万", "300~500", "三到五百万", "2000至3000平": the upper bound after the first number.
fn range_upper(chars: &[char], first: &Numeral) -> Option<Numeral> {
    let i = skip_spaces(chars, first.end);
    let separator = *chars.get(i)?;
    if !matches!(separator, '-' | '~' | '〜' | '—' | '–' | '至' | '到' | '、') {
        return None;
    }
    let j = skip_spaces(chars, i + 1);
    if !numeral::starts_numeral(*chars.get(j)?) {
        return None;
    }
    let upper = numeral::read(chars, j);
    // "三、五百万" and "3、5千平" are ranges; "2栋、3000平" is a list.
    let listed_digits = first.end - first.start == 1 && upper.end - upper.start > 1;
    let digit_then_multiplier = upper.tail_len > 0 && listed_digits;
    let range = separator != '、'
        || digit_then_multiplier && j + 1 < upper.end && {
            let c = chars[j + 1];
            numeral::starts_numeral(c) && !c.is_ascii_digit()
        };
    (range && !upper.digitless).then_some(upper)
}

/// The lower bound of a range whose first number has no 万/亿: it borrows the largest unit of
/// the upper bound that keeps it below the upper bound ("300-500万" → 300万, "三到五百万" →
/// 300万, "一千五到两千万" → 1500万, but "五千到一万平" → 5000). Digits written short share the
/// upper bound's order of magnitude when that is round, as 三五百万 does in words: "3-500万" →
/// 300万, "2-3000万" → 2000万, "5-600平" → 500 (but "5-10万" → 5万, "5-100万" → 5万: the short
/// form never reaches the upper bound; "100-1001万" → 100万). A lower bound still above the upper one is read a power of ten down
/// ("8-1万平" → 8000).
fn range_lower(
    chars: &[char],
    first: &Numeral,
    upper: &Numeral,
    post: Option<&Numeral>,
) -> Option<f64> {
    let post = post.map_or(1.0, |m| m.value);
    let upper_value = upper.value * post;
    let fits = |lower: f64| lower <= upper_value * (1.0 + 1e-9);
    // The upper bound's multipliers ("五百万": 百万; "500万": 万), and the unit after it.
    let scale = upper.tail_scales().next().unwrap_or(1.0) * post;
    let upper_digits = chars[upper.start..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    // Only before a round upper bound: "3-500" is 300 to 500, "100-1001" is what it says.
    let upper_zeros = chars[upper.start..upper.start + upper_digits]
        .iter()
        .rev()
        .take_while(|&&c| c == '0')
        .count();
    let short =
        upper_digits > first.plain_digits && upper_zeros >= upper_digits - first.plain_digits;
    // One digit only, as in words (三五百万): "10-200万" is 10万 to 200万.
    if first.plain_digits == 1 && first.value.fract() == 0.0 && short {
        let shift = (upper_digits - first.plain_digits) as i32;
        let expanded = first.value * 10f64.powi(shift) * scale;
        // Strictly below: "1-10万" is 1万 to 10万, not 10万 to 10万.
        if expanded < upper_value {
            return Some(expanded);
        }
    }
    (0..=8)
        .map(|k| first.value * scale / 10f64.powi(k))
        .find(|&lower| fits(lower) && lower >= first.value)
}

/// 多, 余, 来, 几, 左右, + and spaces between a number and its unit ("300多万", "300+万").
fn skip_approximation(chars: &[char], mut i: usize) -> usize {
    loop {
        match chars.get(i) {
            Some(c) if c.is_whitespace() || matches!(c, '多' | '余' | '来' | '几' | '+') => {
                i += 1
            }
            Some('左') if chars.get(i + 1) == Some(&'右') => i += 2,
            _ => return i,
        }
    }
}

/// A magnitude after a number and its approximation word: "三百多万" (万), "800 万", "500w",
/// "100k", "1个亿", "一个多亿". As a digitless numeral, so that its value is the multiplier.
fn magnitude_after(chars: &[char], i: usize) -> Option<(Numeral, usize)> {
    let ascii = |value: f64| {
        let letter_follows = chars.get(i + 1).is_some_and(char::is_ascii_alphabetic);
        (!letter_follows).then_some((unit_numeral(i, value), i + 1))
    };
    match chars.get(i)? {
        'w' => ascii(1e4),
        'k' => ascii(1e3),
        '个' => {
            let j = skip_approximation(chars, i + 1);
            matches!(chars.get(j), Some('亿' | '億')).then(|| (unit_numeral(i, 1e8), j + 1))
        }
        &c if numeral::starts_numeral(c) => {
            // 百 and above: "300 十年" is no 3000.
            let magnitude = numeral::read(chars, i);
            (magnitude.digitless && magnitude.value >= 100.0).then_some((magnitude, magnitude.end))
        }
        _ => None,
    }
}

fn unit_numeral(start: usize, value: f64) -> Numeral {
    Numeral {
        start,
        end: start + 1,
        value,
        big: value >= 1e4,
        digitless: true,
        weak: false,
        plain_digits: 0,
        leading_zero: false,
        tail: [1.0; 4],
        tail_len: 0,
    }
}

/// Before a number of 方: what is measured in cubic metres (water, gas, cold stores, earth).
const VOLUME_WORDS: &[&str] = &[
    "水",
    "气",
    "冷库",
    "土",
    "方量",
    "混凝土",
    "体积",
    "库容",
    "排放",
];

/// An area unit: square metres per unit, and what may stand before it.
struct AreaUnit {
    sqm: f64,
    kind: UnitKind,
}

#[derive(Debug, Clone, Copy)]
enum UnitKind {
    /// 平, 平米, 平方, 平方米, ㎡, m2, sqm …
    SquareMetre,
    /// 方: only after a written number ("5000方"), never after one Chinese character.
    Fang,
    /// 亩, 公顷, …: "五亩地", "百亩".
    Land,
}

impl AreaUnit {
    /// "三通一平", "三方协议", "万方" are no areas; "五亩", "百亩", "万平" are.
    fn fits(&self, number: &Numeral, single: bool) -> bool {
        if !(single && number.weak) {
            return true;
        }
        match self.kind {
            UnitKind::Land => true,
            UnitKind::SquareMetre => number.digitless,
            UnitKind::Fang => false,
        }
    }
}

/// The area unit at `i`, if any.
fn area_unit(chars: &[char], i: usize) -> Option<AreaUnit> {
    // "3000个平方": a counter before a 平 unit.
    let i = if chars.get(i) == Some(&'个') && chars.get(i + 1) == Some(&'平') {
        i + 1
    } else {
        i
    };
    let table: &[(&str, f64, UnitKind)] = &[
        ("平方公里", 1e6, UnitKind::Land),
        ("平方英尺", SQM_PER_SQFT, UnitKind::SquareMetre),
        ("平方米", 1.0, UnitKind::SquareMetre),
        ("平米", 1.0, UnitKind::SquareMetre),
        ("平方", 1.0, UnitKind::SquareMetre),
        ("平", 1.0, UnitKind::SquareMetre),
        // ㎡ and m² are "m2" after NFKC.
        ("m2", 1.0, UnitKind::SquareMetre),
        ("sqm", 1.0, UnitKind::SquareMetre),
        ("sq m", 1.0, UnitKind::SquareMetre),
        ("sq.m", 1.0, UnitKind::SquareMetre),
        ("square met", 1.0, UnitKind::SquareMetre),
        ("sq ft", SQM_PER_SQFT, UnitKind::SquareMetre),
        ("sqft", SQM_PER_SQFT, UnitKind::SquareMetre),
        ("亩", SQM_PER_MU, UnitKind::Land),
        ("公顷", SQM_PER_HECTARE, UnitKind::Land),
        ("hectare", SQM_PER_HECTARE, UnitKind::Land),
        ("ha", SQM_PER_HECTARE, UnitKind::Land),
        ("方", 1.0, UnitKind::Fang),
    ];
    let (unit, sqm, kind) = table
        .iter()
        .find(|(unit, _, _)| starts_with(chars, i, unit))?;
    let next = chars.get(i + unit.chars().count()).copied();
    let ok = match *unit {
        // "5 ha", not "5 hall"; "2000m2", not "2000m2x".
        "ha" | "m2" => !next.is_some_and(|c| c.is_ascii_alphanumeric()),
        // "2000平台", "平均", "平安", "平面", "平顶", "平衡" are other words.
        "平" => !next.is_some_and(|c| "台均安面顶衡".contains(c)),
        // "方便", "方向", "方案", "方式", "方面", "方法" … are other words.
        "方" => !next.is_some_and(|c| "便向案式面法位针形圆块格正言可能才子".contains(c)),
        _ => true,
    };
    ok.then_some(AreaUnit {
        sqm: *sqm,
        kind: *kind,
    })
}

/// NFKC (full-width digits and letters become ASCII, ㎡ becomes m2), lower case, thousands
/// separators between digits removed.
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

/// "几百万", "几千平": 几 before a number makes it "a few of".
fn vague(chars: &[char], start: usize) -> bool {
    start > 0 && chars[start - 1] == '几'
}

fn next_numeral(chars: &[char], from: usize) -> Option<usize> {
    (from..chars.len()).find(|&i| numeral::starts_numeral(chars[i]))
}

fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

fn starts_with(chars: &[char], i: usize, word: &str) -> bool {
    word.chars()
        .enumerate()
        .all(|(k, w)| chars.get(i + k) == Some(&w))
}

fn contains(window: &[char], word: &str) -> bool {
    (0..window.len()).any(|i| starts_with(window, i, word))
}

/// At most 8 characters before `start`, back to a clause break or another number: the words
/// that say what the number is ("产值", "不到").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    /// "月300万", "一个月30万", "按月30万": one month's amount.
    Month,
    /// "1-10月纳税250万", "3个月纳税60万", "前三季度300万", "第一季度30万": part of a year.
    PartOfYear,
}

/// What a period word opening the amount's clause says: a month with no count before it
/// ("月300万", and "一个月") is one month's; after a count above one ("3个月"), a range of months
/// ("1-6月") or with 季度 it is part of a year. "3月份开始纳税300万" names a month: no period.
fn counted_period(chars: &[char], start: usize, clause: &[char]) -> Option<Period> {
    let clause_start = start - clause.len();
    let mut count_start = clause_start;
    while count_start > 0 && numeral::starts_numeral(chars[count_start - 1]) {
        count_start -= 1;
    }
    let count = (count_start < clause_start).then(|| numeral::read(chars, count_start).value);
    let ranged = count_start > 0
        && count.is_some()
        && matches!(
            chars[count_start - 1],
            '-' | '~' | '～' | '至' | '到' | '—' | '–'
        );
    let opens = |w: &str| starts_with(clause, 0, w);
    match count {
        None if opens("月") || contains(clause, "按月") => Some(Period::Month),
        Some(n) if opens("个月") && n == 1.0 => Some(Period::Month),
        Some(_) if opens("个月") || opens("季") || opens("个季") => Some(Period::PartOfYear),
        Some(_) if opens("月") && ranged => Some(Period::PartOfYear),
        _ => None,
    }
}

/// The clause before `start`, back to a clause break or the previous number, up to 16
/// characters: where a period word for the amount stands ("每个月的纳税额大概是20万").
fn clause_before(chars: &[char], start: usize) -> &[char] {
    let mut from = start;
    while from > 0 && start - from < 16 {
        let c = chars[from - 1];
        let clause_break = matches!(
            c,
            ',' | '，' | '。' | ';' | '；' | '、' | '!' | '！' | '?' | '？' | '\n'
        );
        if clause_break || numeral::starts_numeral(c) {
            break;
        }
        from -= 1;
    }
    &chars[from..start]
}

/// The label right before an amount: the last 8 characters of its clause ("年纳税", "产值").
fn label_of(clause: &[char]) -> &[char] {
    &clause[clause.len().saturating_sub(8)..]
}

#[cfg(test)]
mod tests;
