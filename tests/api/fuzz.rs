//! Property tests over the parsers of untrusted input: whatever the input, no panic, and the
//! results keep their invariants. `FUZZ_CASES` sets the cases per property (CI: 3,000; the
//! release run in BENCHMARKS.md uses more).

use inquiry_desk::domain::article::ArticleUrl;
use inquiry_desk::domain::derive::{area_sqm, tax_cny_per_year};
use inquiry_desk::domain::inquiry::{NewInquiry, Origin, RawFields};
use inquiry_desk::domain::phone::PhoneNumber;
use inquiry_desk::domain::text::{self, Lines};
use inquiry_desk::settings::Settings;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000)
}

/// Text biased towards what the parsers look at: digits, separators, Chinese units, URL parts.
fn nasty_text() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "0",
        "1",
        "13",
        "139",
        "86",
        "+",
        "+86",
        "00",
        "852",
        "-",
        " ",
        "(",
        ")",
        ".",
        ",",
        "万",
        "亿",
        "w",
        "平",
        "平方米",
        "㎡",
        "亩",
        "sqm",
        "~",
        "至",
        "年",
        "月",
        "http://",
        "https://",
        "www.",
        ".cn",
        "/",
        "?",
        "=",
        "&",
        "#",
        "%",
        "%E4",
        "utm_source",
        "from",
        ":",
        "@",
        "\r",
        "\n",
        "\t",
        "\u{0}",
        "\u{202e}",
        "１",
        "３",
        "王总",
        "😀",
        "\u{301}",
        "e",
        "9999999999999999999999",
        "三",
        "两千",
        "一点五",
        "贰佰",
        "〇",
        "多",
        "余",
        "来",
        "约",
        "左右",
        "以上",
        "方",
        "平米",
        "、",
    ]);
    prop_oneof![
        prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat()),
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// `n` (below 10^4) in Chinese numerals: "三千零五", "十五".
fn chinese_numeral(n: u64) -> String {
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let mut out = String::new();
    let mut zero = false;
    for (place, unit) in [(1000, "千"), (100, "百"), (10, "十"), (1, "")] {
        let d = (n / place % 10) as usize;
        if d == 0 {
            zero = !out.is_empty();
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        if !(out.is_empty() && place == 10 && d == 1) {
            out.push(DIGITS[d]);
        }
        out.push_str(unit);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn phone_parsing_never_panics_and_gives_e164(input in nasty_text()) {
        if let Some(phone) = PhoneNumber::parse(&input) {
            let e164 = phone.as_e164();
            prop_assert!(e164.starts_with('+') && e164[1..].bytes().all(|b| b.is_ascii_digit()));
            prop_assert!((6..=16).contains(&e164.len()));
            // Normalised numbers parse back to themselves.
            prop_assert_eq!(PhoneNumber::parse(e164).map(|p| p.as_e164().to_string()), Some(e164.to_string()));
        }
    }

    #[test]
    fn canonical_urls_never_panic_and_are_stable(input in nasty_text()) {
        if let Ok(url) = ArticleUrl::parse(&input) {
            prop_assert!(url.as_str().starts_with("http://") || url.as_str().starts_with("https://"));
            prop_assert!(!url.as_str().contains('#'));
            let again = ArticleUrl::parse(url.as_str()).expect("a canonical URL parses");
            prop_assert_eq!(again.as_str(), url.as_str(), "canonical form is a fixed point");
        }
    }

    #[test]
    fn tax_and_area_never_panic_and_stay_in_range(input in nasty_text()) {
        if let Some(tax) = tax_cny_per_year(&input) {
            prop_assert!(tax >= 0);
        }
        if let Some(area) = area_sqm(&input) {
            prop_assert!(area.is_finite() && area > 0.0);
        }
    }

    /// Through the intake's own parsing, an approximate amount keeps its unit: "年纳税300多万"
    /// is 3000000 and "两千多平米" 2000, never the bare number.
    #[test]
    fn derived_tax_and_area_keep_their_unit_through_intake(
        n in 1u64..10_000,
        approx in prop::sample::select(vec!["", "多", "余", "来", "+"]),
        chinese in any::<bool>(),
    ) {
        let settings = Settings::defaults().unwrap().intake;
        let number = if chinese { chinese_numeral(n) } else { n.to_string() };
        let raw = RawFields::from_pairs(vec![
            ("need".into(), format!("求租厂房{number}{approx}平米左右")),
            ("tax".into(), format!("年纳税约{number}{approx}万")),
            ("contact".into(), "王总".into()),
            ("phone".into(), "13912345678".into()),
            ("consent".into(), "true".into()),
        ]);
        let inquiry = NewInquiry::parse(&raw, &Origin::default(), &settings).expect("a complete form");
        let one_character = number.chars().count() == 1;
        prop_assert_eq!(inquiry.tax_cny_per_year, Some(n as i64 * 10_000));
        // One Chinese character before 平 is no area ("三通一平"): null, never a wrong number.
        let area = (!(chinese && one_character)).then_some(n as f64);
        prop_assert_eq!(inquiry.area_sqm, area);
    }

    #[test]
    fn text_normalisation_is_idempotent(input in nasty_text()) {
        let once = text::normalise(&input);
        prop_assert_eq!(text::normalise(&once), once.clone());
        prop_assert!(!once.contains('\r'));
        let _ = text::check("need", &once, 500, Lines::Multi);
        let sanitised = text::sanitise(&once, 100, Lines::Single);
        prop_assert!(text::check("company", &sanitised, 100, Lines::Single).is_ok());
    }

    #[test]
    fn form_decoding_and_inquiry_parsing_never_panic(body in prop::collection::vec(any::<u8>(), 0..512), pairs in prop::collection::vec((nasty_text(), nasty_text()), 0..8)) {
        let settings = Settings::defaults().unwrap().intake;
        if let Ok(decoded) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
            let raw = RawFields::from_pairs(decoded);
            let _ = NewInquiry::parse(&raw, &Origin::default(), &settings);
            let _ = NewInquiry::parse_lenient(&raw, &Origin::default(), &settings);
        }
        let names = ["need", "contact", "phone", "email", "wechat", "article_url", "tax", "consent", "utm_source"];
        let raw = RawFields::from_pairs(
            pairs.into_iter().enumerate().map(|(i, (k, v))| (if i % 2 == 0 { names[i % names.len()].to_string() } else { k }, v)).collect(),
        );
        match NewInquiry::parse(&raw, &Origin { referer: Some("https://www.example.cn/a") }, &settings) {
            Ok(inquiry) => prop_assert!(inquiry.phone.is_some() && !inquiry.need.is_empty()),
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }
}
