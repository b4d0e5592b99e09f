//! `PhoneNumber::parse` compared number by number with Google's reference libphonenumber (the
//! `phonenumbers` package, pinned to 9.0.43 — `tests/support/phone_reference.py`) over generated
//! numbers of every kind, so that a crate or metadata update cannot drift silently. Needs no
//! database; needs `python3 -m pip install phonenumbers==9.0.43` (scripts/test installs it).

use std::io::Write;
use std::process::{Command, Stdio};

use inquiry_desk::domain::phone::PhoneNumber;
use phonenumber::metadata::DATABASE;
use phonenumber::Type;

const REFERENCE: &str = "9.0.43";
const INSTALL: &str = "run `python3 -m pip install phonenumbers==9.0.43`";

/// SPEC §2 refuses these although the reference accepts them.
const MISTYPED_MOBILE: &str =
    "SPEC §2: eleven digits without the trunk 0 that do not start with 1 are a mistyped mobile";
const TWO_DIGIT_AREA: &str = "SPEC §2: exactly eight digits after a two-digit area code";
/// libphonenumber accepts national numbers of up to 17 digits; E.164 holds at most 15 in all.
const E164_LENGTH: &str = "E.164: at most 15 digits (ITU-T E.164 §6.1)";

/// One generated input. Every input is written so that both sides read the same number: the
/// national form for region CN, or `+` and the country code.
struct Case {
    kind: &'static str,
    input: String,
    /// Set where SPEC §2 deliberately refuses what the reference may accept.
    spec_refuses: Option<&'static str>,
}

#[test]
fn phone_parsing_agrees_with_the_reference_libphonenumber() {
    let cases = generate();
    assert!(cases.len() > 500, "{} cases", cases.len());
    let answers = reference_answers(&cases);

    let mut unexpected = Vec::new();
    let mut departures = Vec::new();
    for (case, theirs) in cases.iter().zip(&answers) {
        let ours = PhoneNumber::parse(&case.input)
            .map_or_else(|| "-".to_string(), |p| p.as_e164().to_string());
        if ours == *theirs {
            continue;
        }
        let line = format!(
            "{:<24} {:<28} ours {:<18} reference {}",
            case.kind,
            format!("{:?}", case.input),
            ours,
            theirs
        );
        match case.spec_refuses {
            Some(rule) if ours == "-" => departures.push(format!("{line}   ({rule})")),
            None if ours == "-" && theirs.len() > 16 => {
                departures.push(format!("{line}   ({E164_LENGTH})"))
            }
            _ => unexpected.push(line),
        }
    }
    println!(
        "{} numbers compared with phonenumbers {REFERENCE}: {} disagreements, {} deliberate \
         departures (SPEC §2)",
        cases.len(),
        unexpected.len(),
        departures.len()
    );
    for line in &departures {
        println!("  departure: {line}");
    }
    for line in &unexpected {
        println!("  DISAGREES: {line}");
    }
    assert!(
        unexpected.is_empty(),
        "{} of {} numbers disagree with the reference libphonenumber (listed above)",
        unexpected.len(),
        cases.len()
    );
}

/// Runs the reference on every input, one line each way.
fn reference_answers(cases: &[Case]) -> Vec<String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/phone_reference.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}): install Python 3, then {INSTALL}"));
    let mut input = String::new();
    for case in cases {
        assert!(!case.input.contains(['\n', '\r']), "{:?}", case.input);
        input.push_str(&case.input);
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Written from a thread so that a full stdout pipe can never block both sides.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("the reference script runs");
    let written = writer.join().expect("the writer thread");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let hint = if stderr.contains("pip install") {
        ""
    } else {
        INSTALL
    };
    assert!(
        output.status.success(),
        "the reference script failed ({}): {}\n{hint}",
        output.status,
        stderr.trim()
    );
    written.expect("numbers written to the reference script");
    let answers: Vec<String> = String::from_utf8(output.stdout)
        .expect("UTF-8 answers")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(answers.len(), cases.len(), "one answer per number");
    answers
}

/// Deterministic digits (SplitMix64), so every run compares the same numbers.
struct Digits(u64);

impl Digits {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `n` digits, the first one from `first`.
    fn take(&mut self, n: usize, first: &[u8]) -> String {
        let mut out = String::with_capacity(n);
        for i in 0..n {
            let digit = if i == 0 && !first.is_empty() {
                first[(self.next() % first.len() as u64) as usize]
            } else {
                (self.next() % 10) as u8
            };
            out.push(char::from(b'0' + digit));
        }
        out
    }
}

const ANY: &[u8] = &[];
/// First digits of an ordinary subscriber number (0, 1 and 9 start service numbers).
const SUBSCRIBER: &[u8] = &[2, 3, 4, 5, 6, 7, 8];

fn generate() -> Vec<Case> {
    let mut d = Digits(14);
    let mut cases = Vec::new();
    let mut push = |kind, input: String, spec_refuses| {
        cases.push(Case {
            kind,
            input,
            spec_refuses,
        })
    };

    // Mainland mobiles: every three-digit prefix, a random fourth digit and a 0 (which tells
    // ranges such as 1610 and 1740 apart), written the ways people write them.
    for (i, prefix) in (130..=199).enumerate() {
        for fourth in [d.take(1, ANY), "0".to_string()] {
            let number = format!("{prefix}{fourth}{}", d.take(7, ANY));
            push("mobile", mobile_form(&number, i), None);
        }
    }
    for prefix in [130, 139, 150, 166, 177, 188, 199] {
        push(
            "mobile, 10 digits",
            format!("{prefix}{}", d.take(7, ANY)),
            None,
        );
        push(
            "mobile, 12 digits",
            format!("{prefix}{}", d.take(9, ANY)),
            None,
        );
    }
    // Eleven digits that do not start with 1, without the trunk 0: random ones, and landlines
    // of three-digit area codes with eight-digit numbers, which the reference reads as such.
    for first in 2..=9u8 {
        for _ in 0..2 {
            let number = d.take(11, &[first]);
            push("11 digits, no trunk 0", number, Some(MISTYPED_MOBILE));
        }
    }
    for area in ["311", "371", "512", "531", "571", "755", "769", "898"] {
        let number = format!("{area}{}", d.take(8, SUBSCRIBER));
        push("11 digits, no trunk 0", number, Some(MISTYPED_MOBILE));
    }

    // Landlines: two-digit area codes take eight digits, three-digit ones seven or eight.
    let two_digit = [
        "10", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29",
    ];
    for area in two_digit {
        for len in 6..=9 {
            let subscriber = d.take(len, SUBSCRIBER);
            push(
                "landline, 2-digit area",
                format!("0{area}-{subscriber}"),
                None,
            );
        }
        let subscriber = d.take(8, SUBSCRIBER);
        push(
            "landline, 2-digit area",
            format!("+86 {area} {subscriber}"),
            None,
        );
    }
    let three_digit = [
        "311", "335", "349", "371", "378", "410", "411", "413", "414", "431", "451", "471", "512",
        "531", "532", "571", "574", "591", "634", "731", "755", "756", "757", "769", "791", "851",
        "852", "853", "871", "898", "951", "991",
    ];
    for (i, area) in three_digit.iter().enumerate() {
        for len in 6..=9 {
            let subscriber = d.take(len, SUBSCRIBER);
            let input = if i % 4 == 3 {
                format!("+86 {area} {subscriber}")
            } else {
                format!("(0{area}) {subscriber}")
            };
            push("landline, 3-digit area", input, None);
        }
    }
    // Service numbers dialled after an area code (bank and carrier hotlines).
    for area in ["10", "21", "20"] {
        for service in ["95555", "955888", "96123", "961234", "10086"] {
            push(
                "service, 2-digit area",
                format!("0{area}-{service}"),
                Some(TWO_DIGIT_AREA),
            );
        }
    }
    for area in ["755", "571"] {
        for service in ["95555", "96123", "961234"] {
            push("service, 3-digit area", format!("0{area}-{service}"), None);
        }
    }

    // 400 and 800 numbers have ten digits.
    for prefix in ["400", "800"] {
        for len in [6, 7, 8] {
            for _ in 0..3 {
                let rest = d.take(len, ANY);
                let (a, b) = rest.split_at(3);
                push("400/800", format!("{prefix}-{a}-{b}"), None);
            }
        }
    }
    push(
        "10800",
        format!("10800-{}-{}", d.take(3, ANY), d.take(4, ANY)),
        None,
    );

    // Hong Kong and Macau: eight digits after 852 / 853.
    for (code, kind) in [("852", "Hong Kong"), ("853", "Macau")] {
        for first in 2..=9u8 {
            for _ in 0..2 {
                let number = d.take(8, &[first]);
                push(
                    kind,
                    format!("+{code} {} {}", &number[..4], &number[4..]),
                    None,
                );
            }
        }
        for len in [7, 9] {
            push(kind, format!("+{code} {}", d.take(len, ANY)), None);
        }
        push(kind, format!("00{code} {}", d.take(8, &[6])), None);
    }

    // Foreign numbers: the metadata's example of each type, and one digit more or fewer.
    for region in FOREIGN {
        let Some(meta) = DATABASE.by_id(*region) else {
            panic!("{region} in the metadata")
        };
        let code = meta.country_code();
        for kind in EXAMPLE_TYPES {
            let Some(example) = meta.descriptors().get(kind).and_then(|d| d.example()) else {
                continue;
            };
            push("foreign", format!("+{code} {example}"), None);
            push(
                "foreign, longer",
                format!("+{code} {example}{}", d.take(1, ANY)),
                None,
            );
            push(
                "foreign, shorter",
                format!("+{code} {}", &example[..example.len() - 1]),
                None,
            );
        }
    }

    for input in MALFORMED {
        push("malformed", (*input).to_string(), None);
    }
    cases
}

/// The spellings of a mainland mobile, taken in turn.
fn mobile_form(number: &str, i: usize) -> String {
    let (a, rest) = number.split_at(3);
    let (b, c) = rest.split_at(4);
    match i % 9 {
        0 => number.to_string(),
        1 => format!("{a} {b} {c}"),
        2 => format!("{a}-{b}-{c}"),
        3 => format!("+86 {a} {b} {c}"),
        4 => format!("+86{number}"),
        5 => format!("86 {number}"),
        6 => format!("{a}\u{2013}{b}\u{2013}{c}"),
        7 => number
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c))
            .collect(),
        _ => format!("0086 {a}.{b}.{c}"),
    }
}

/// Where foreign investors call from.
const FOREIGN: &[&str] = &[
    "US", "CA", "GB", "DE", "FR", "IT", "ES", "NL", "CH", "SE", "RU", "JP", "KR", "TW", "SG", "MY",
    "TH", "VN", "ID", "PH", "IN", "AU", "NZ", "AE", "SA", "IL", "TR", "BR", "MX", "ZA",
];

const EXAMPLE_TYPES: [Type; 8] = [
    Type::FixedLine,
    Type::Mobile,
    Type::TollFree,
    Type::PremiumRate,
    Type::SharedCost,
    Type::Voip,
    Type::PersonalNumber,
    Type::Uan,
];

const MALFORMED: &[&str] = &[
    "12345",
    "139",
    "+86 123",
    "+86 139 1234 567",
    "+86 139 1234 56789",
    "0000000000",
    "+999 1234 5678",
    "+0 123 4567 890",
    "010",
    "0755",
    "00",
    "+852 1234 5678",
    "+853 1234 5678",
    "1 3 9",
];
