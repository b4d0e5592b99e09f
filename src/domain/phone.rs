//! Phone numbers, parsed with libphonenumber's metadata (the `phonenumber` crate), default
//! region CN, kept as E.164.

use std::panic::{catch_unwind, AssertUnwindSafe};

use phonenumber::country::Id;
use phonenumber::{PhoneNumber as Parsed, Type};
use unicode_normalization::UnicodeNormalization;

/// A valid phone number in E.164 form (`+8613912345678`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

/// Longest input worth parsing: E.164 has at most 15 digits; allow generous separators.
const MAX_INPUT_CHARS: usize = 40;

impl PhoneNumber {
    /// Parses a number as people type it: `13912345678`, `+86 139-1234-5678`,
    /// `86 13912345678`, `0756-3331234`, `400-800-1234`, `852 9123 4567`, `+44 20 7946 0958`.
    /// Full-width digits (typed with Chinese input methods) are accepted.
    pub fn parse(input: &str) -> Option<Self> {
        // NFKC turns full-width digits and plus signs into ASCII.
        let text: String = input.nfkc().collect();
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_INPUT_CHARS {
            return None;
        }
        // Only digits and the separators people use. This refuses letters (vanity numbers,
        // extensions) before the library sees them, and keeps its parser on input it handles.
        if !text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.' | '+'))
        {
            return None;
        }
        if text.chars().skip(1).any(|c| c == '+') {
            return None;
        }
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let international = if text.starts_with('+') {
            Some(digits.clone())
        } else if let Some(rest) = digits.strip_prefix("00") {
            Some(rest.to_string())
        } else if is_prefixed_national(&digits) {
            // "86 139…", "852 9123 4567", "853 6612 3456": a country code written without `+`.
            Some(digits.clone())
        } else {
            None
        };
        let national_mobile_shape =
            international.is_none() && digits.len() == 11 && digits.starts_with('1');
        let parsed = match international {
            Some(digits) => parse_guarded(None, &format!("+{digits}")),
            None => parse_guarded(Some(Id::CN), &digits),
        }?;
        // Eleven digits starting with 1 is how a mainland mobile is written; the metadata would
        // also read "10012345678" as a Beijing landline missing its 0, which nobody means. A
        // mobile number is valid, so the (costly) type lookup runs once either way.
        let valid = if national_mobile_shape {
            is_mobile(&parsed)
        } else {
            phonenumber::is_valid(&parsed)
        };
        if !valid {
            return None;
        }
        // E.164 is `+`, the country code and the national number, as the library's own E164
        // formatter writes it (which first looks up a display pattern that E.164 never uses).
        Some(Self(format!(
            "+{}{}",
            parsed.country().code(),
            parsed.national()
        )))
    }

    /// Re-reads a stored E.164 value (from the database).
    pub fn from_e164_unchecked(e164: String) -> Self {
        Self(e164)
    }

    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// For logs: `139****5678`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks a phone number for logs, keeping the first three and last four national digits.
pub fn mask(e164: &str) -> String {
    let national = e164
        .strip_prefix("+86")
        .unwrap_or(e164.trim_start_matches('+'));
    let chars: Vec<char> = national.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A country code typed without `+`: 86 followed by a full mainland number, or 852/853
/// followed by eight digits (Hong Kong and Macau numbers have eight).
fn is_prefixed_national(digits: &str) -> bool {
    let len = digits.len();
    (digits.starts_with("86") && (12..=14).contains(&len) && !digits.starts_with("860"))
        || ((digits.starts_with("852") || digits.starts_with("853")) && len == 11)
}

fn is_mobile(number: &Parsed) -> bool {
    matches!(
        number.number_type(&phonenumber::metadata::DATABASE),
        Type::Mobile | Type::FixedLineOrMobile
    )
}

/// The parser has panicked on malformed input in past releases; a panic here must never take a
/// request down, so it counts as "not a phone number".
fn parse_guarded(region: Option<Id>, text: &str) -> Option<Parsed> {
    catch_unwind(AssertUnwindSafe(|| phonenumber::parse(region, text).ok())).ok()?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_numbers_people_type() {
        let cases = [
            ("13912345678", "+8613912345678", "mainland mobile"),
            ("139 1234 5678", "+8613912345678", "spaces"),
            ("139-1234-5678", "+8613912345678", "dashes"),
            ("+86 139-1234-5678", "+8613912345678", "+86 with dashes"),
            ("+8613912345678", "+8613912345678", "E.164"),
            ("86 13912345678", "+8613912345678", "86 without plus"),
            ("8613912345678", "+8613912345678", "86 glued"),
            (
                "008613912345678",
                "+8613912345678",
                "00 international prefix",
            ),
            (
                "１３９１２３４５６７８",
                "+8613912345678",
                "full-width digits",
            ),
            ("16612345678", "+8616612345678", "166 range"),
            ("17112345678", "+8617112345678", "171 range"),
            ("17512345678", "+8617512345678", "175 range"),
            ("19112345678", "+8619112345678", "191 range"),
            ("19212345678", "+8619212345678", "192 range"),
            ("19812345678", "+8619812345678", "198 range"),
            ("19912345678", "+8619912345678", "199 range"),
            ("18612345678", "+8618612345678", "186 range"),
            ("14712345678", "+8614712345678", "147 data range"),
            (
                "16212345678",
                "+8616212345678",
                "162 virtual operator range",
            ),
            (
                "16512345678",
                "+8616512345678",
                "165 virtual operator range",
            ),
            (
                "16712345678",
                "+8616712345678",
                "167 virtual operator range",
            ),
            (
                "17012345678",
                "+8617012345678",
                "170 virtual operator range",
            ),
            ("19012345678", "+8619012345678", "190 range"),
            ("19612345678", "+8619612345678", "196 range"),
            ("19712345678", "+8619712345678", "197 range"),
            ("19312345678", "+8619312345678", "193 range"),
            ("0756-3331234", "+867563331234", "Zhuhai landline"),
            (
                "(0756) 333 1234",
                "+867563331234",
                "landline with parentheses",
            ),
            ("020-87654321", "+862087654321", "Guangzhou landline"),
            ("0755-86001234", "+8675586001234", "Shenzhen landline"),
            ("+86 756 3331234", "+867563331234", "landline international"),
            ("400-800-1234", "+864008001234", "400 service number"),
            ("800-820-1234", "+868008201234", "800 service number"),
            ("+852 9123 4567", "+85291234567", "Hong Kong mobile"),
            ("852 9123 4567", "+85291234567", "Hong Kong without plus"),
            ("+853 6612 3456", "+85366123456", "Macau mobile"),
            ("853 66123456", "+85366123456", "Macau without plus"),
            ("+1 650-253-0000", "+16502530000", "United States"),
            ("+44 20 7946 0958", "+442079460958", "United Kingdom"),
            ("+49 30 901820", "+4930901820", "Germany"),
            ("+65 6123 4567", "+6561234567", "Singapore"),
        ];
        for (input, e164, what) in cases {
            let parsed = PhoneNumber::parse(input);
            assert_eq!(
                parsed.as_ref().map(PhoneNumber::as_e164),
                Some(e164),
                "{what}: {input}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_phone_number() {
        let cases = [
            ("", "empty"),
            ("1391234567", "ten digits"),
            ("139123456789", "twelve digits"),
            ("12012345678", "unassigned 120 range"),
            ("10012345678", "unassigned 100 range"),
            ("1391234567a", "a letter"),
            ("phone", "letters only"),
            ("139 1234 5678 ext 1", "an extension"),
            ("1-800-FLOWERS", "vanity letters"),
            ("+999 1234 5678", "unassigned country code"),
            ("12345", "too short"),
            ("+86+13912345678", "two plus signs"),
            ("13912345678#", "a hash"),
            ("  2 22#:", "an input that once panicked the parser"),
            ("+", "a lone plus"),
            ("0000000000", "zeros"),
            (
                "111111111111111111111111111111111111111111111111111111",
                "far too long",
            ),
        ];
        for (input, what) in cases {
            assert_eq!(PhoneNumber::parse(input), None, "{what}: {input:?}");
        }
    }

    #[test]
    fn e164_is_what_the_library_formats() {
        // Italy keeps its leading zero in E.164; the others cover each path of `parse`.
        let inputs = [
            "+39 06 6982 1234",
            "13912345678",
            "0756-3331234",
            "400-800-1234",
            "852 9123 4567",
            "+44 20 7946 0958",
            "+1 212 555 0123",
        ];
        for input in inputs {
            let ours = PhoneNumber::parse(input).map(|p| p.0);
            let digits: String = input.chars().filter(char::is_ascii_digit).collect();
            let theirs = if input.starts_with('+') || input.starts_with("852") {
                phonenumber::parse(None, format!("+{digits}"))
            } else {
                phonenumber::parse(Some(Id::CN), &digits)
            }
            .map(|p| p.format().mode(phonenumber::Mode::E164).to_string())
            .ok();
            assert!(ours.is_some(), "{input} is accepted");
            assert_eq!(ours, theirs, "{input}");
        }
        assert_eq!(
            PhoneNumber::parse("+39 06 6982 1234").map(|p| p.0),
            Some("+390669821234".to_string())
        );
    }

    #[test]
    fn masks_for_logs() {
        assert_eq!(mask("+8613912345678"), "139****5678");
        assert_eq!(mask("+85291234567"), "852****4567");
    }
}
