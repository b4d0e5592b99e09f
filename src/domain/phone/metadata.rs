//! libphonenumber's metadata as the `phonenumber` crate ships it, compiled for matching as
//! libphonenumber matches: a type's pattern must match the *whole* national number
//! (`matchNationalNumber` with `allowPrefixMatch = false`), a national prefix only at the start.
//!
//! The crate's own matching tries each pattern with `Regex::find` and only checks that the match
//! starts at the first digit, so anything that merely begins like a valid number passes; and every
//! match goes through a mutex-guarded cache of regexes. Here each region's patterns are compiled
//! once, anchored, on the region's first number.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use phonenumber::metadata::{Descriptor, DATABASE};
use phonenumber::{Metadata, Type};
use regex::{Regex, RegexBuilder};

/// The regions of a country calling code, the main one first (`+1`: US, `+7`: RU, `+44`: GB);
/// `None` for a code that does not exist.
pub(super) fn regions(code: u16) -> Option<&'static [Region]> {
    REGIONS.get(&code).map(Vec::as_slice)
}

/// The rules of China, the default region.
pub(super) fn china() -> Option<&'static Rules> {
    regions(86)?.first()?.rules()
}

/// Country calling codes have one to three digits. They are looked up one by one because the
/// crate's `Database::iter` goes by region id, and every non-geographic entity (+800, +882 …)
/// has the id "001": it would yield only one of them.
static REGIONS: LazyLock<HashMap<u16, Vec<Region>>> = LazyLock::new(|| {
    (1..=999)
        .filter_map(|code| {
            let metas = DATABASE.by_code(&code)?;
            let regions = metas.into_iter().map(|meta| Region {
                meta,
                rules: OnceLock::new(),
            });
            Some((code, regions.collect()))
        })
        .collect()
});

pub(super) struct Region {
    meta: &'static Metadata,
    /// `None` when a pattern of the metadata does not compile (not seen; its numbers are refused).
    rules: OnceLock<Option<Rules>>,
}

impl Region {
    pub(super) fn rules(&self) -> Option<&Rules> {
        self.rules
            .get_or_init(|| Rules::new(self.meta).ok())
            .as_ref()
    }
}

/// How `test_length` places a number among a region's lengths (`ValidationResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Length {
    Possible,
    PossibleLocalOnly,
    TooShort,
    Invalid,
    TooLong,
}

/// One region's metadata, compiled.
pub(super) struct Rules {
    general: Pattern,
    /// The types in the order `getNumberTypeHelper` tries them, before fixed line and mobile.
    others: Vec<(Type, Pattern)>,
    fixed_line: Option<Pattern>,
    mobile: Option<Pattern>,
    /// Fixed line and mobile share one pattern (`sameMobileAndFixedLinePattern`).
    same_fixed_line_and_mobile: bool,
    /// Anchored at the start only, as `lookingAt`.
    leading_digits: Option<Regex>,
    international_prefix: Option<Regex>,
    national_prefix: Option<Regex>,
    transform: Option<String>,
    /// Lengths of every type, and those only dialled locally: the general description's, which
    /// libphonenumber's build computes and the crate's XML leaves out.
    lengths: Vec<u16>,
    local_lengths: Vec<u16>,
}

impl Rules {
    fn new(meta: &'static Metadata) -> Result<Self, regex::Error> {
        let d = meta.descriptors();
        let mut others = Vec::new();
        for kind in [
            Type::PremiumRate,
            Type::TollFree,
            Type::SharedCost,
            Type::Voip,
            Type::PersonalNumber,
            Type::Pager,
            Type::Uan,
            Type::Voicemail,
        ] {
            if let Some(desc) = d.get(kind) {
                others.push((kind, Pattern::new(desc)?));
            }
        }
        let (mut lengths, mut local_lengths) = (Vec::new(), Vec::new());
        for desc in others
            .iter()
            .map(|(_, p)| p.desc)
            .chain(d.fixed_line())
            .chain(d.mobile())
        {
            lengths.extend_from_slice(desc.possible_length());
            local_lengths.extend_from_slice(desc.possible_local_length());
        }
        lengths.sort_unstable();
        lengths.dedup();
        local_lengths.sort_unstable();
        local_lengths.dedup();
        local_lengths.retain(|l| !lengths.contains(l));
        let same_fixed_line_and_mobile = match (d.fixed_line(), d.mobile()) {
            (Some(f), Some(m)) => f.national_number().as_str() == m.national_number().as_str(),
            _ => false,
        };
        // Without a pattern for parsing, the national prefix itself is stripped (as
        // libphonenumber's metadata build fills `nationalPrefixForParsing`).
        let national_prefix = match (meta.national_prefix_for_parsing(), meta.national_prefix()) {
            (Some(pattern), _) => Some(compile(&format!("^(?:{})", pattern.as_str()))?),
            (None, Some(prefix)) if !prefix.is_empty() => {
                Some(compile(&format!("^{}", regex::escape(prefix)))?)
            }
            _ => None,
        };
        let starting = |source: Option<&str>| {
            source
                .map(|source| compile(&format!("^(?:{source})")))
                .transpose()
        };
        Ok(Self {
            general: Pattern::new(d.general())?,
            others,
            fixed_line: d.fixed_line().map(Pattern::new).transpose()?,
            mobile: d.mobile().map(Pattern::new).transpose()?,
            same_fixed_line_and_mobile,
            leading_digits: starting(meta.leading_digits().map(|re| re.as_str()))?,
            international_prefix: starting(meta.international_prefix().map(|re| re.as_str()))?,
            national_prefix,
            transform: meta.national_prefix_transform_rule().map(java_replacement),
            lengths,
            local_lengths,
        })
    }

    /// `getNumberTypeHelper`: the type of a national significant number, `None` for `UNKNOWN`.
    pub(super) fn number_type(&self, nsn: &str) -> Option<Type> {
        let general_length = u16::try_from(nsn.len()).is_ok_and(|len| self.lengths.contains(&len));
        if !general_length || !self.is_viable(nsn) {
            return None;
        }
        if let Some((kind, _)) = self.others.iter().find(|(_, p)| p.matches(nsn)) {
            return Some(*kind);
        }
        let is_mobile = |nsn| self.mobile.as_ref().is_some_and(|p| p.matches(nsn));
        if self.fixed_line.as_ref().is_some_and(|p| p.matches(nsn)) {
            return Some(if self.same_fixed_line_and_mobile || is_mobile(nsn) {
                Type::FixedLineOrMobile
            } else {
                Type::FixedLine
            });
        }
        (!self.same_fixed_line_and_mobile && is_mobile(nsn)).then_some(Type::Mobile)
    }

    /// `getRegionCodeForNumberFromRegionList`: the region's leading digits begin the number, or
    /// (without leading digits) the number has a type in the region.
    pub(super) fn claims(&self, nsn: &str) -> bool {
        match &self.leading_digits {
            Some(leading) => leading.is_match(nsn),
            None => self.number_type(nsn).is_some(),
        }
    }

    /// The general pattern matches the whole number (`matchNationalNumber` on the general desc).
    pub(super) fn is_viable(&self, number: &str) -> bool {
        self.general.whole.is_match(number)
    }

    /// `parsePrefixAsIdd`: the number without the region's international prefix, unless the next
    /// digit is 0 (no country code starts with 0).
    pub(super) fn strip_international_prefix<'a>(&self, number: &'a str) -> Option<&'a str> {
        let end = self.international_prefix.as_ref()?.find(number)?.end();
        let rest = &number[end..];
        (!rest.starts_with('0')).then_some(rest)
    }

    /// `maybeStripNationalPrefixAndCarrierCode`: the number without its national prefix (and
    /// carrier code), or unchanged when there is none or the number was viable only with it.
    pub(super) fn strip_national_prefix(&self, number: &str) -> String {
        let Some(prefix) = &self.national_prefix else {
            return number.to_string();
        };
        let Some(captures) = prefix.captures(number) else {
            return number.to_string();
        };
        let whole = captures.get(0).map_or(0, |m| m.end());
        let groups = captures.len() - 1;
        let stripped = match &self.transform {
            // The transform applies when the last group took part in the match.
            Some(rule) if groups > 0 && captures.get(groups).is_some() => {
                let mut out = String::new();
                captures.expand(rule, &mut out);
                out.push_str(&number[whole..]);
                out
            }
            _ => number[whole..].to_string(),
        };
        if self.is_viable(number) && !self.is_viable(&stripped) {
            return number.to_string();
        }
        stripped
    }

    /// `testNumberLength` against the general description's lengths.
    pub(super) fn test_length(&self, number: &str) -> Length {
        let len = u16::try_from(number.len()).unwrap_or(u16::MAX);
        let (Some(&min), Some(&max)) = (self.lengths.first(), self.lengths.last()) else {
            return Length::Invalid;
        };
        if self.local_lengths.contains(&len) {
            Length::PossibleLocalOnly
        } else if len < min {
            Length::TooShort
        } else if len > max {
            Length::TooLong
        } else if self.lengths.contains(&len) {
            Length::Possible
        } else {
            Length::Invalid
        }
    }
}

/// One type's national number pattern, anchored at both ends, and its possible lengths
/// (`isNumberMatchingDesc`).
struct Pattern {
    desc: &'static Descriptor,
    whole: Regex,
}

impl Pattern {
    fn new(desc: &'static Descriptor) -> Result<Self, regex::Error> {
        Ok(Self {
            desc,
            whole: compile(&format!("^(?:{})$", desc.national_number().as_str()))?,
        })
    }

    fn matches(&self, nsn: &str) -> bool {
        let lengths = self.desc.possible_length();
        let length_possible =
            lengths.is_empty() || u16::try_from(nsn.len()).is_ok_and(|len| lengths.contains(&len));
        length_possible && self.whole.is_match(nsn)
    }
}

/// The crate compiles its patterns ignoring whitespace (the metadata XML wraps them).
fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).ignore_whitespace(true).build()
}

/// A Java replacement (`9$1`) for `Captures::expand`, which would read `$1` followed by a digit
/// as one longer group name: `9${1}`.
fn java_replacement(rule: &str) -> String {
    let mut out = String::with_capacity(rule.len() + 4);
    let mut chars = rule.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&d) if c == '$' && d.is_ascii_digit() => {
                out.push_str("${");
                out.push(d);
                out.push('}');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}
