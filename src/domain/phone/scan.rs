//! The pre-filter in front of the phone-number library: reads a number as people type and paste
//! it, and is never stricter than libphonenumber's own parser except that it refuses letters.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Longest input worth reading, in characters after NFKC. E.164 has at most 15 digits; a pasted
/// number may carry a separator between each digit, invisible marks and a label's colon.
const MAX_CHARS: usize = 64;

/// Most digits a number can have: `00`, a country code, a carrier prefix (`17951`) and the
/// longest national number libphonenumber parses (17).
const MAX_DIGITS: usize = 28;

/// What the pre-filter reads from an input: its digits, and whether they follow a plus sign.
pub(super) struct Scanned {
    digits: [u8; MAX_DIGITS],
    len: usize,
    pub(super) plus: bool,
}

impl Scanned {
    /// The digits, ASCII.
    pub(super) fn digits(&self) -> &str {
        // Only ASCII digits are ever stored, so this never fails.
        std::str::from_utf8(&self.digits[..self.len]).unwrap_or_default()
    }
}

/// Reads `input` the way libphonenumber reads a number (`PhoneNumberUtil.parse`, which first
/// takes the text from the first digit or plus sign and drops trailing punctuation), with more
/// forgiveness for what phones and chat apps add when a number is copied:
/// - every Unicode format character (general category Cf: bidi marks such as U+202A/U+202C,
///   zero-width spaces, U+FEFF) is removed wherever it is;
/// - full-width forms and other compatibility characters are folded (NFKC);
/// - any decimal digit is read (libphonenumber reads every Unicode `Nd` digit);
/// - plus signs (`+`, `＋`) may lead; libphonenumber's punctuation (`VALID_PUNCTUATION`: dashes
///   U+2010–U+2015, the minus sign U+2212, U+30FC, spaces, dots, slashes, brackets, tildes …)
///   and `*` separate digits;
/// - before the number, anything that is not a letter is skipped (`：`, `#`, `【`); after it,
///   trailing punctuation and symbols other than `#` (`。`, `】`) are dropped.
///
/// Letters anywhere are refused (extensions such as `ext 1`, vanity numbers, labels), as is
/// anything else inside the number (`#`, `_`, a second plus sign after a digit).
pub(super) fn scan(input: &str) -> Option<Scanned> {
    if input.is_ascii() {
        // ASCII is its own NFKC form and holds no format character: skip the normalizer.
        read(input.chars())
    } else {
        read(
            input
                .nfkc()
                .filter(|&c| c.general_category() != GeneralCategory::Format),
        )
    }
}

/// Where the reader is in the number.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Nothing read yet.
    Before,
    /// One or more plus signs, then perhaps punctuation, no digit yet.
    Plus { punctuated: bool },
    /// Digits and separators.
    Number,
    /// Trailing punctuation and symbols, dropped.
    After,
}

fn read(chars: impl Iterator<Item = char>) -> Option<Scanned> {
    let mut out = Scanned {
        digits: [0; MAX_DIGITS],
        len: 0,
        plus: false,
    };
    let mut stage = Stage::Before;
    for (count, c) in chars.enumerate() {
        // U+30FC, a letter to Unicode, is punctuation to libphonenumber.
        if count >= MAX_CHARS || (c.is_alphabetic() && !is_separator(c)) {
            return None;
        }
        if let Some(digit) = decimal_digit(c) {
            if stage == Stage::After || out.len == MAX_DIGITS {
                return None;
            }
            out.digits[out.len] = b'0' + digit;
            out.len += 1;
            stage = Stage::Number;
            continue;
        }
        let plus = matches!(c, '+' | '\u{FF0B}');
        stage = match stage {
            Stage::Before if plus => Stage::Plus { punctuated: false },
            Stage::Before => Stage::Before,
            Stage::Plus { punctuated: false } if plus => stage,
            Stage::Plus { .. } if is_separator(c) => Stage::Plus { punctuated: true },
            Stage::Plus { .. } => return None,
            Stage::Number if is_separator(c) => Stage::Number,
            Stage::Number | Stage::After if is_trailing(c) => Stage::After,
            Stage::Number | Stage::After => return None,
        };
        out.plus |= plus && matches!(stage, Stage::Plus { .. });
    }
    // libphonenumber wants at least three digits (`VALID_PHONE_NUMBER`).
    (out.len >= 3).then_some(out)
}

/// libphonenumber's `VALID_PUNCTUATION` without its `x` (a letter, refused here), and the star
/// that `VALID_PHONE_NUMBER` also allows between digits. Full-width forms are listed although
/// NFKC has already folded them, so the list reads against the source.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}'
            | '\u{2212}'
            | '\u{30FC}'
            | '\u{FF0D}'..='\u{FF0F}'
            | ' '
            | '\u{00A0}'
            | '\u{00AD}'
            | '\u{200B}'
            | '\u{2060}'
            | '\u{3000}'
            | '('
            | ')'
            | '\u{FF08}'
            | '\u{FF09}'
            | '\u{FF3B}'
            | '\u{FF3D}'
            | '.'
            | '['
            | ']'
            | '/'
            | '~'
            | '\u{2053}'
            | '\u{223C}'
            | '\u{FF5E}'
            | '*'
    )
}

/// What libphonenumber drops from the end of a number (`UNWANTED_END_CHARS`,
/// `(?:_|[^#\w])+$`), letters aside: anything but `#`, `_`, a letter or a digit.
fn is_trailing(c: char) -> bool {
    c != '#' && c != '_' && !c.is_alphanumeric()
}

/// The value of a decimal digit of any script (general category `Nd`). Unicode encodes each
/// script's digits as one run, 0 to 9 in order, so the value is the distance to the run's start.
fn decimal_digit(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    if c.is_ascii() || c.general_category() != GeneralCategory::DecimalNumber {
        return None;
    }
    let mut start = c as u32;
    // Runs are at most 50 long (the mathematical digits, which NFKC has already folded).
    for _ in 0..50 {
        match char::from_u32(start - 1) {
            Some(p) if p.general_category() == GeneralCategory::DecimalNumber => start -= 1,
            _ => break,
        }
    }
    u8::try_from((c as u32 - start) % 10).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(input: &str) -> Option<(String, bool)> {
        scan(input).map(|s| (s.digits().to_string(), s.plus))
    }

    #[test]
    fn reads_digits_of_every_script() {
        let cases = [
            ("١٣٩١٢٣٤٥٦٧٨", "Arabic-Indic"),
            ("۱۳۹۱۲۳۴۵۶۷۸", "extended Arabic-Indic"),
            ("१३९१२३४५६७८", "Devanagari"),
            ("１３９１２３４５６７８", "full-width"),
            ("𝟏𝟑𝟗𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖", "mathematical bold"),
        ];
        for (input, what) in cases {
            assert_eq!(
                digits(input),
                Some(("13912345678".to_string(), false)),
                "{what}"
            );
        }
    }

    #[test]
    fn a_plus_counts_only_before_the_first_digit() {
        assert_eq!(digits("+86 139"), Some(("86139".into(), true)));
        assert_eq!(digits("++86 139"), Some(("86139".into(), true)));
        assert_eq!(digits("(+86) 139"), Some(("86139".into(), true)));
        assert_eq!(digits("+ (86) 139"), Some(("86139".into(), true)));
        assert_eq!(digits("139 1234+"), Some(("1391234".into(), false)));
        assert_eq!(digits("+86+139"), None);
        assert_eq!(digits("+(+86) 139"), None);
    }

    #[test]
    fn refuses_letters_and_junk_inside() {
        for input in [
            "139a",
            "电话 139 1234 5678",
            "139 1234 5678 ext 1",
            "139#1234",
            "139_1234",
            "139,1234,5678",
            "139\\1234",
            "13",
        ] {
            assert!(scan(input).is_none(), "{input:?}");
        }
        let long = "1-".repeat(40);
        assert!(scan(&long).is_none(), "too long");
    }
}
