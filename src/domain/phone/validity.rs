//! Whether a national number is valid, decided as libphonenumber decides it
//! (`PhoneNumberUtil.isValidNumber` / `getNumberType`), from the `phonenumber` crate's metadata.
//!
//! The crate's own `is_valid` is looser than the reference in two ways, both fixed here:
//! - it accepts a number when a type's pattern matches its *beginning* (see `metadata`): every
//!   longer number passes (`010 2369 96393`, eleven-digit `400` numbers, `020-1234567` …);
//! - its metadata (9.0.33) predates the reference's (9.0.43); see `newer_metadata`.

use phonenumber::Type;

use super::metadata;

/// The type libphonenumber gives the national significant number `nsn` of country calling code
/// `code`, or `None` when it is not a valid number (`getNumberType` is `UNKNOWN`).
pub(super) fn number_type(code: u16, nsn: &str) -> Option<Type> {
    let regions = metadata::regions(code)?;
    // `getRegionCodeForNumber`: the only region, or the first that claims the number.
    let rules = match regions {
        [only] => only.rules()?,
        many => many
            .iter()
            .filter_map(metadata::Region::rules)
            .find(|rules| rules.claims(nsn))?,
    };
    newer_metadata(code, nsn).unwrap_or_else(|| rules.number_type(nsn))
}

/// Where libphonenumber 9.0.43 (the `phonenumbers` package's `data/region_CN.py` and
/// `region_HK.py`) differs from the crate's 9.0.33 `PhoneNumberMetadata.xml`, for the regions SPEC
/// §2 names. `Some(answer)` overrides the crate's metadata. Remove a rule once the crate ships
/// metadata that has it (the differential test `tests/api/phone_reference.rs` will tell).
fn newer_metadata(code: u16, nsn: &str) -> Option<Option<Type>> {
    match code {
        // China: mobile `1(?:610\d|740[0-5])\d{6}` in 9.0.43 — the 1610 block is new.
        86 if nsn.len() == 11 && nsn.starts_with("1610") => Some(Some(Type::Mobile)),
        // China: area codes 0378, 0410, 0413, 0414, 0634, 0852 and 0853 are no longer listed in
        // 9.0.43 (neither as fixed-line nor as shared-cost numbers), nor are eleven-digit
        // numbers and `8078123` under 0807.
        86 if ["378", "410", "413", "414", "634", "852", "853"]
            .iter()
            .any(|area| nsn.starts_with(area))
            || (nsn.starts_with("8078") && (nsn.len() == 11 || nsn == "8078123")) =>
        {
            Some(None)
        }
        // Hong Kong: mobile 4060–4063 and 7104 are new in 9.0.43
        // (`4(?:0(?:6[0-3]|9[3-6])…` and `7(?:0(?:7[1-8]|8[0-8])|10[1-4])`).
        852 if nsn.len() == 8
            && matches!(
                nsn.get(..4),
                Some("4060" | "4061" | "4062" | "4063" | "7104")
            ) =>
        {
            Some(Some(Type::Mobile))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_number_must_match_a_type() {
        // Each begins like a valid number and goes on: the crate's `is_valid` accepts them.
        for (code, nsn, what) in [
            (86, "10236996393", "nine digits after Beijing's 010"),
            (86, "201234567", "seven digits after Guangzhou's 020"),
            (86, "40012345678", "eleven-digit 400 number"),
            (
                86,
                "75655320449",
                "eight digits after Zhuhai's 0756, which takes seven",
            ),
            (49, "90012345674", "German premium number and a digit"),
        ] {
            let parsed = phonenumber::parse(None, format!("+{code}{nsn}"));
            let crate_says = parsed.as_ref().is_ok_and(phonenumber::is_valid);
            assert_eq!(number_type(code, nsn), None, "{what}: {nsn}");
            assert!(
                crate_says,
                "{what}: the crate's is_valid now refuses {nsn}; if it matches whole numbers at \
                 last, this module can shrink to `newer_metadata`"
            );
        }
    }

    #[test]
    fn types_follow_libphonenumber() {
        assert_eq!(number_type(86, "13912345678"), Some(Type::Mobile));
        assert_eq!(number_type(86, "16101234567"), Some(Type::Mobile));
        assert_eq!(number_type(86, "2087654321"), Some(Type::FixedLine));
        assert_eq!(number_type(86, "4008001234"), Some(Type::SharedCost));
        assert_eq!(number_type(86, "8008201234"), Some(Type::TollFree));
        assert_eq!(number_type(1, "6502530000"), Some(Type::FixedLineOrMobile));
        assert_eq!(number_type(852, "91234567"), Some(Type::Mobile));
        assert_eq!(number_type(852, "40601234"), Some(Type::Mobile));
        assert_eq!(number_type(86, "3784790166"), None, "0378 withdrawn");
        assert_eq!(number_type(999, "12345678"), None, "no such country code");
    }
}
