//! Phone numbers as visitors type and paste them, default region CN, kept as E.164.
//!
//! Validity is libphonenumber's (Google's reference implementation, metadata 9.0.43, compared
//! number by number in `tests/api/phone_reference.rs`), from the metadata that the `phonenumber`
//! crate ships, plus the two rules of SPEC §2 that are stricter than China's numbering plan as
//! libphonenumber encodes it. The crate's own parser and `is_valid` disagree with the reference;
//! this module follows the reference's steps instead:
//! - `scan`: the pre-filter, reading pasted and full-width forms;
//! - `split`: country calling code and national number, as `PhoneNumberUtil.parse`;
//! - `validity`: the number's type, as `getNumberType`, on `metadata` matched as libphonenumber
//!   matches (whole numbers), with the ranges newer than the crate's metadata.

mod metadata;
mod scan;
mod split;
mod validity;

use phonenumber::Type;

/// A valid phone number in E.164 form (`+8613912345678`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number as people type it, default region CN:
    /// - mainland mobiles, 11 digits starting with 1: `13912345678`, `+86 139-1234-5678`,
    ///   `86 13912345678`, `0086 139 1234 5678`;
    /// - mainland landlines with trunk 0 and area code: `0756-3331234`, `(020) 8765 4321`;
    /// - 400/800 numbers, 10 digits: `400-800-1234`;
    /// - Hong Kong and Macau, 8 digits after 852/853, with or without `+`: `852 9123 4567`;
    /// - any other country's number after `+` or `00`: `+44 20 7946 0958`.
    ///
    /// Pasted forms are read: invisible format characters, full-width forms, libphonenumber's
    /// punctuation (`139–1234–5678`, `(+86)139 1234 5678`). Letters are refused.
    ///
    /// Valid means what libphonenumber's `isValidNumber` says (the rules of the CN numbering plan
    /// as its metadata encodes them), and SPEC §2 besides: after a two-digit area code (10,
    /// 20–29) come exactly eight digits, and eleven national digits without the trunk 0 that do
    /// not start with 1 are a mistyped mobile.
    pub fn parse(input: &str) -> Option<Self> {
        let scanned = scan::scan(input)?;
        let digits = scanned.digits();
        // "86 139…", "852 9123 4567", "853 6612 3456": a country code written without `+`.
        let international = scanned.plus || is_prefixed_national(digits);
        if international {
            if let Some(nsn) = digits.strip_prefix("86").filter(|nsn| is_mobile_shape(nsn)) {
                return mobile(nsn);
            }
        } else if is_mobile_shape(digits) {
            return mobile(digits);
        } else if is_mistyped_mobile(digits) {
            return None;
        }
        let (code, nsn) = split::split(digits, international)?;
        let kind = validity::number_type(code, &nsn)?;
        if code == 86 && is_short_after_two_digit_area(&nsn, kind) {
            return None;
        }
        // E.164 is `+`, the country code and the national significant number (with Italy's
        // leading zero), as libphonenumber's E164 format writes it — at most 15 digits (ITU-T
        // E.164 §6.1). libphonenumber allows national numbers of up to 17 digits (a German
        // fixed line, Japanese toll-free numbers), which no E.164 number can hold: refused, as
        // the column's CHECK would refuse them.
        let e164 = format!("+{code}{nsn}");
        (e164.len() <= 16).then_some(Self(e164))
    }

    /// Compiles the patterns of China's numbering plan (and the region table) now, so that the
    /// first inquiry after a start does not pay for it. Called once at start-up.
    pub fn warm_up() {
        let _ = metadata::china();
    }

    /// Re-reads a stored E.164 value (from the database).
    pub fn from_e164_unchecked(e164: String) -> Self {
        Self(e164)
    }

    /// The number in E.164 form: `+`, the country code and the national number
    /// (`+8613912345678`, `+867563331234`, `+85291234567`).
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// For logs: `139****5678`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks a phone number (E.164) for logs and group robots, as people write it, keeping its
/// prefix and last four digits: a mainland mobile `139****5678` (a 400/800 number likewise), a
/// mainland landline with its trunk 0 and area code `0756****1234`, another country's number with its country code
/// `+852 ****4567` (the code read by libphonenumber's metadata). Short or unreadable: all stars.
pub fn mask(e164: &str) -> String {
    let tail = |digits: &str| -> Option<String> {
        let chars: Vec<char> = digits.chars().collect();
        (chars.len() > 7).then(|| chars[chars.len() - 4..].iter().collect())
    };
    if let Some(national) = e164.strip_prefix("+86") {
        let Some(last) = tail(national) else {
            return "*".repeat(national.chars().count());
        };
        let head: String = national.chars().take(3).collect();
        // Mobiles, and the nationwide 400/800 service numbers, are written without a trunk 0.
        let trunkless =
            is_mobile_shape(national) || national.starts_with("400") || national.starts_with("800");
        return if trunkless {
            format!("{head}****{last}")
        } else {
            format!("0{head}****{last}")
        };
    }
    let digits = e164.trim_start_matches('+');
    let Some(last) = tail(digits) else {
        return "*".repeat(digits.chars().count());
    };
    match phonenumber::parse(None, e164) {
        Ok(number) => format!("+{} ****{last}", number.code().value()),
        Err(_) => format!("****{last}"),
    }
}

/// A country code typed without `+`: 86 followed by a full mainland number, or 852/853
/// followed by eight digits (Hong Kong and Macau numbers have eight).
fn is_prefixed_national(digits: &str) -> bool {
    let len = digits.len();
    (digits.starts_with("86") && (12..=14).contains(&len) && !digits.starts_with("860"))
        || ((digits.starts_with("852") || digits.starts_with("853")) && len == 11)
}

/// How a mainland mobile number is written: eleven digits starting with 1.
fn is_mobile_shape(nsn: &str) -> bool {
    nsn.len() == 11 && nsn.starts_with('1')
}

/// The shape of nearly every lead, checked without `split`: eleven digits starting with 1 are a
/// mobile number or nothing. libphonenumber strips no carrier prefix from them (what would remain
/// is never viable), and no other type in China's metadata has such numbers. Only the mobile
/// type is accepted all the same, so that "10012345678" could not pass as a Beijing landline
/// missing its 0 (as the crate's prefix matching read it) should the metadata ever allow it.
fn mobile(nsn: &str) -> Option<PhoneNumber> {
    matches!(
        validity::number_type(86, nsn),
        Some(Type::Mobile | Type::FixedLineOrMobile)
    )
    .then(|| PhoneNumber(format!("+86{nsn}")))
}

/// SPEC §2: eleven national digits without the trunk 0 that do not start with 1 are a mobile
/// number mistyped, although libphonenumber reads "37112345678" as a Zhengzhou landline.
fn is_mistyped_mobile(digits: &str) -> bool {
    digits.len() == 11 && !digits.starts_with(['0', '1'])
}

/// SPEC §2: after a mainland two-digit area code (10, 20–29) come exactly eight digits.
/// libphonenumber also accepts the five- and six-digit hotlines dialled there (`010-95555`,
/// `021-96123`, `010-10086`), which are nobody's phone to call back. Toll-free `10800…` numbers
/// are not behind an area code.
fn is_short_after_two_digit_area(nsn: &str, kind: Type) -> bool {
    (nsn.starts_with("10") || nsn.starts_with('2')) && kind != Type::TollFree && nsn.len() != 10
}

#[cfg(test)]
mod tests {
    use phonenumber::country::Id;

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
    fn reads_numbers_as_people_paste_them() {
        let cases = [
            (
                "\u{202a}+86 139 1234 5678\u{202c}",
                "bidi embedding from a contacts app",
            ),
            (
                "\u{200e}139 1234 5678\u{200f}",
                "left-to-right and right-to-left marks",
            ),
            ("139\u{200e}1234\u{200e}5678", "marks between the groups"),
            ("139–1234–5678", "en dashes"),
            ("139—1234—5678", "em dashes"),
            ("139−1234−5678", "minus signs"),
            ("139‐1234‐5678", "Unicode hyphens"),
            ("139\u{2011}1234\u{2011}5678", "non-breaking hyphens"),
            ("139\u{00a0}1234\u{00a0}5678", "no-break spaces"),
            ("139\u{202f}1234\u{202f}5678", "narrow no-break spaces"),
            ("139\u{3000}1234\u{3000}5678", "ideographic spaces"),
            ("139\u{00ad}1234\u{00ad}5678", "soft hyphens"),
            ("\u{200b}13912345678", "a zero-width space"),
            ("\u{feff}13912345678", "a byte order mark"),
            ("139 1234 5678\u{2060}", "a word joiner"),
            ("(+86)139 1234 5678", "country code in brackets"),
            ("+86（139）12345678", "full-width brackets"),
            ("+86 [139] 1234 5678", "square brackets"),
            ("139/1234/5678", "slashes"),
            ("139~1234~5678", "tildes"),
            ("139～1234～5678", "full-width tildes"),
            ("139∼1234∼5678", "tilde operators"),
            ("139⁓1234⁓5678", "swung dashes"),
            ("139ー1234ー5678", "katakana prolonged sound marks"),
            ("139.1234.5678", "dots"),
            ("139*1234*5678", "stars"),
            ("１３９－１２３４－５６７８", "full-width digits and dashes"),
            (
                "＋８６ １３９ １２３４ ５６７８",
                "full-width plus and digits",
            ),
            ("＋８６．１３９．１２３４．５６７８", "full-width dots"),
            ("++86 139 1234 5678", "a doubled plus"),
            ("：13912345678", "a label's colon left over"),
            ("【13912345678】", "lenticular brackets around it"),
            ("13912345678。", "a full stop after it"),
            ("13912345678，", "a comma after it"),
            ("١٣٩١٢٣٤٥٦٧٨", "Arabic-Indic digits"),
            ("0086 139 1234 5678", "00 international prefix"),
            ("+86 0139 1234 5678", "+86 and a trunk 0"),
            ("17951 139 1234 5678", "IP dialling prefix 17951"),
        ];
        for (input, what) in cases {
            assert_eq!(
                PhoneNumber::parse(input).as_ref().map(PhoneNumber::as_e164),
                Some("+8613912345678"),
                "{what}: {input:?}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("\u{202a}0756\u{2013}333\u{00a0}1234\u{202c}").map(|p| p.0),
            Some("+867563331234".to_string()),
            "a pasted landline"
        );
    }

    #[test]
    fn refuses_numbers_that_cannot_be_dialled() {
        let cases = [
            ("010 2369 96393", "nine digits after Beijing's 010"),
            ("020-1234567", "seven digits after Guangzhou's 020"),
            ("021-123456789", "nine digits after Shanghai's 021"),
            (
                "+49 30 1234567890123",
                "a German fixed line longer than E.164's 15 digits",
            ),
            (
                "010-95555",
                "a hotline after a two-digit area code (SPEC §2)",
            ),
            (
                "021-96123",
                "a shared-cost hotline after a two-digit area code (SPEC §2)",
            ),
            (
                "0756-55320449",
                "eight digits after Zhuhai's 0756, which takes seven",
            ),
            ("0335-12345678", "eight digits after Qinhuangdao's 0335"),
            (
                "0378-5123456",
                "0378, no longer an area code in libphonenumber 9.0.43",
            ),
            (
                "0852-2345678",
                "0852, no longer an area code in libphonenumber 9.0.43",
            ),
            ("400-800-12345", "an eleven-digit 400 number"),
            ("400-800-123", "a nine-digit 400 number"),
            ("800-820-12345", "an eleven-digit 800 number"),
            (
                "37112345678",
                "a Zhengzhou landline without its 0: a mistyped mobile",
            ),
            ("20123456789", "eleven digits starting with 2"),
            ("75512345678", "eleven digits starting with 7"),
            ("16112345678", "161 outside the 1610 block"),
            ("14012345678", "unassigned 140 range"),
            (
                "+86 139 1234 567",
                "a mobile one digit short, international",
            ),
            ("+852 1234 5678", "Hong Kong numbers do not start with 1"),
            ("+852 9123 45678", "nine digits in Hong Kong"),
            (
                "+49 900 1234 5674",
                "a German premium number with a digit too many",
            ),
            ("+44 20 7946 09581", "a London number with a digit too many"),
            ("+1 650 253 00001", "eleven digits after +1"),
            ("+86 139\u{3000}1234 5678 ext 1", "an extension"),
            ("电话：13912345678", "a label"),
        ];
        for (input, what) in cases {
            assert_eq!(PhoneNumber::parse(input), None, "{what}: {input:?}");
        }
        assert!(
            PhoneNumber::parse("16101234567").is_some(),
            "1610, a mobile block newer than the crate's metadata"
        );
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
        assert_eq!(mask("+85291234567"), "+852 ****4567");
        assert_eq!(
            mask("+867563331234"),
            "0756****1234",
            "a landline keeps its trunk 0"
        );
        assert_eq!(mask("+861012345678"), "0101****5678");
        assert_eq!(mask("+16502530000"), "+1 ****0000");
        assert_eq!(mask("+8612345"), "*****");
        assert_eq!(
            mask("+864001234567"),
            "400****4567",
            "a 400 number has no trunk 0"
        );
    }
}
