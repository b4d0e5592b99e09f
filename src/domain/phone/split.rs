//! Splits the digits of a number into country calling code and national significant number, in
//! the steps of libphonenumber's `PhoneNumberUtil.parse` (default region CN), on the `phonenumber`
//! crate's metadata.
//!
//! The crate's own parser departs from those steps: it strips a national prefix even when the
//! number was only viable with it (it tests the unstripped number twice), then strips the prefix
//! a second time, so `+7 800 123 45 67` (Russia's toll-free 800, whose national prefix is 8)
//! becomes `+7 00 123 45 67`.

use super::metadata::{self, Length};

/// libphonenumber's `MIN_LENGTH_FOR_NSN` and `MAX_LENGTH_FOR_NSN`.
const NSN_LENGTHS: std::ops::RangeInclusive<usize> = 2..=17;

/// The country calling code and national significant number of `digits` written after a plus
/// sign (`international`) or as a number of region CN; `None` when libphonenumber's `parse`
/// throws.
pub(super) fn split(digits: &str, international: bool) -> Option<(u16, String)> {
    let china = metadata::china()?;
    let (code, national) = if international {
        // A plus then China's international prefix (`+00 852 …`) is read without the plus.
        country_code(digits).or_else(|| country_code(china.strip_international_prefix(digits)?))?
    } else if let Some(rest) = china.strip_international_prefix(digits) {
        country_code(rest)?
    } else {
        (86, national_of_china(digits))
    };
    let rules = metadata::regions(code)?.first()?.rules()?;
    if national.len() < *NSN_LENGTHS.start() {
        return None;
    }
    let stripped = rules.strip_national_prefix(&national);
    let national = match rules.test_length(&stripped) {
        Length::TooShort | Length::PossibleLocalOnly | Length::Invalid => national,
        Length::Possible | Length::TooLong => stripped,
    };
    NSN_LENGTHS
        .contains(&national.len())
        .then_some((code, national))
}

/// `extractCountryCode` after a plus sign or an international prefix: the first one to three
/// digits that are a country calling code.
fn country_code(digits: &str) -> Option<(u16, String)> {
    // `TOO_SHORT_AFTER_IDD`; and no country calling code starts with 0.
    if digits.len() <= *NSN_LENGTHS.start() || digits.starts_with('0') {
        return None;
    }
    (1..=3).find_map(|len| {
        let code = digits.get(..len)?.parse().ok()?;
        metadata::regions(code).map(|_| (code, digits[len..].to_string()))
    })
}

/// A national number of China, without its country calling code when it starts with one
/// (`maybeExtractCountryCode` for the default region): "86" is taken as the country code when
/// the number is not viable with it but is without, or is too long with it.
fn national_of_china(digits: &str) -> String {
    let Some(china) = metadata::china() else {
        return digits.to_string();
    };
    if let Some(rest) = digits.strip_prefix("86") {
        let rest = china.strip_national_prefix(rest);
        if (!china.is_viable(digits) && china.is_viable(&rest))
            || china.test_length(digits) == Length::TooLong
        {
            return rest;
        }
    }
    digits.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_libphonenumber_does() {
        let cases = [
            ("13912345678", false, Some((86, "13912345678")), "mobile"),
            (
                "07563331234",
                false,
                Some((86, "7563331234")),
                "trunk 0 stripped",
            ),
            (
                "1795113912345678",
                false,
                Some((86, "13912345678")),
                "carrier prefix",
            ),
            (
                "0085291234567",
                false,
                Some((852, "91234567")),
                "international prefix",
            ),
            (
                "8613912345678",
                false,
                Some((86, "13912345678")),
                "86 without plus",
            ),
            (
                "8008201234",
                false,
                Some((86, "8008201234")),
                "800 is no country code here",
            ),
            (
                "860371123456789",
                false,
                Some((86, "371123456789")),
                "too long with 86",
            ),
            (
                "8603711234567",
                false,
                Some((86, "3711234567")),
                "86, then trunk 0",
            ),
            (
                "78001234567",
                true,
                Some((7, "8001234567")),
                "Russian 800 keeps its 8",
            ),
            (
                "78123456789",
                true,
                Some((7, "8123456789")),
                "a Russian number",
            ),
            ("8603711234567", true, Some((86, "3711234567")), "+86 0371…"),
            ("0085291234567", true, Some((852, "91234567")), "+00 852"),
            (
                "390669821234",
                true,
                Some((39, "0669821234")),
                "Italy keeps its 0",
            ),
            ("4402079460958", true, Some((44, "2079460958")), "+44 (0)20"),
            ("99912345678", true, None, "no country code 999"),
            ("8", true, None, "too short"),
        ];
        for (digits, international, expected, what) in cases {
            let expected = expected.map(|(code, nsn): (u16, &str)| (code, nsn.to_string()));
            assert_eq!(split(digits, international), expected, "{what}: {digits}");
        }
    }
}
