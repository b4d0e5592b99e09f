//! Visitor text: NFC, CR/CRLF → LF, invisible copy-paste characters removed, trimmed; control
//! characters and line breaks checked; NFKC folding for the fields typed in ASCII.

use unicode_normalization::{IsNormalized, UnicodeNormalization};

use super::field::{FieldCode, FieldError};

/// Whether a field may span several lines (`need`, `use`, `message`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Characters that copy-paste brings along and that nobody sees: the bidi controls (U+200E,
/// U+200F, U+202A–U+202E, U+2066–U+2069), the zero-width space U+200B and the byte-order mark
/// U+FEFF (SPEC §2), and the soft hyphen U+00AD and word joiner U+2060 that documents paste.
/// They can make staff read text other than what is stored, so they are removed. The joiners U+200C/U+200D stay: they belong inside emoji and some scripts.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Normalises visitor text: NFC, CRLF and CR (and U+2028/U+2029, VT, FF) become LF, invisible
/// copy-paste characters ([`is_invisible`]) are removed, then trimmed.
pub fn normalise(raw: &str) -> String {
    // Most values are already NFC, single-line and clean: then only the trim is left to do.
    let plain = !raw.chars().any(|c| {
        matches!(c, '\r' | '\u{0B}' | '\u{0C}' | '\u{2028}' | '\u{2029}') || is_invisible(c)
    });
    if plain && unicode_normalization::is_nfc_quick(raw.chars()) == IsNormalized::Yes {
        return raw.trim().to_string();
    }
    let nfc: String = raw.chars().filter(|&c| !is_invisible(c)).nfc().collect();
    let mut out = String::with_capacity(nfc.len());
    let mut chars = nfc.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            // A vertical tab is Word's and PowerPoint's soft line break, a form feed a page
            // break: line breaks as the visitor saw them (UAX #14 class BK).
            '\u{0B}' | '\u{0C}' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

/// Folds what Chinese input methods type in full-width mode (`wang＠example.cn`, `１３９`,
/// the ideographic space) to ASCII: NFKC, as the embedded form does before it checks a value.
/// For fields that are ASCII by nature (email, WeChat ID, phone), applied after [`normalise`].
pub fn fold(value: &str) -> String {
    if value.is_ascii() {
        return value.to_string();
    }
    value.nfkc().collect::<String>().trim().to_string()
}

/// Reads one name or value of an `application/x-www-form-urlencoded` text (a form body, a
/// query string): `+` is a space, `%XX` a byte, anything else itself (a malformed escape stays
/// as typed, as browsers and the `url` crate read it). Bytes, not text: the charset is the
/// caller's question. Borrows when there is nothing to decode.
pub fn form_unescape(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !raw.contains(&b'+') && !raw.contains(&b'%') {
        return std::borrow::Cow::Borrowed(raw);
    }
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    std::borrow::Cow::Owned(percent_encoding::percent_decode(&spaced).collect())
}

/// Checks an already normalised value: non-empty, at most `max` characters, no control
/// characters (LF and tab allowed in multi-line fields only).
pub fn check(field: &str, value: &str, max: usize, lines: Lines) -> Result<(), FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::too_long(field, max));
    }
    for c in value.chars() {
        let allowed_in_multi = c == '\n' || c == '\t';
        if c == '\n' && lines == Lines::Single {
            return Err(FieldError::new(field, FieldCode::LineBreak));
        }
        if c.is_control() && !(allowed_in_multi && lines == Lines::Multi) {
            return Err(FieldError::new(field, FieldCode::ControlCharacters));
        }
    }
    Ok(())
}

/// Makes a value that failed `check` storable anyway (for inquiries kept as spam): control
/// characters dropped, line breaks of single-line fields turned into spaces, cut at `max`.
pub fn sanitise(value: &str, max: usize, lines: Lines) -> String {
    value
        .chars()
        .filter_map(|c| match c {
            '\n' if lines == Lines::Single => Some(' '),
            '\n' | '\t' if lines == Lines::Multi => Some(c),
            c if c.is_control() => None,
            c => Some(c),
        })
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_converts_line_endings_and_trims() {
        assert_eq!(normalise("  a\r\nb\rc\n  "), "a\nb\nc");
        assert_eq!(normalise("\u{3000}求租厂房\u{3000}"), "求租厂房");
        assert_eq!(normalise("   "), "");
        assert_eq!(normalise("a\u{2028}b"), "a\nb");
        assert_eq!(
            normalise("求租厂房\u{0B}2000平"),
            "求租厂房\n2000平",
            "Word's soft break"
        );
        assert_eq!(normalise("a\u{0C}b"), "a\nb");
    }

    #[test]
    fn normalise_removes_invisible_copy_paste_characters() {
        let cases = [
            (
                "\u{202A}求租厂房\u{202C}",
                "求租厂房",
                "bidi embedding from a contact card",
            ),
            ("\u{FEFF}王总", "王总", "a BOM from a Windows tool"),
            (
                "珠海\u{200B}某某\u{200B}公司",
                "珠海某某公司",
                "zero-width spaces",
            ),
            ("\u{200E}abc\u{200F}", "abc", "direction marks"),
            ("\u{2066}x\u{2069}", "x", "isolates"),
            ("\u{202E}txt.exe", "txt.exe", "right-to-left override"),
            (
                "👨\u{200D}👩\u{200D}👧",
                "👨\u{200D}👩\u{200D}👧",
                "joiners inside emoji stay",
            ),
            ("\u{200B}", "", "nothing else"),
        ];
        for (input, expected, what) in cases {
            assert_eq!(normalise(input), expected, "{what}");
        }
    }

    #[test]
    fn fold_turns_full_width_input_into_ascii() {
        let cases = [
            ("wang＠example.cn", "wang@example.cn"),
            ("ｗａｎｇ＿ｚｏｎｇ８８", "wang_zong88"),
            ("１３９１２３４５６７８", "13912345678"),
            ("wang@example.cn", "wang@example.cn"),
            ("同手机号", "同手机号"),
        ];
        for (input, expected) in cases {
            assert_eq!(fold(input), expected, "{input}");
        }
    }

    #[test]
    fn normalise_applies_nfc() {
        // "é" as e + combining acute becomes the single code point U+00E9.
        assert_eq!(normalise("Cafe\u{301}"), "Caf\u{e9}");
    }

    #[test]
    fn check_counts_characters_not_bytes() {
        let fifty = "王".repeat(50);
        assert!(check("contact", &fifty, 50, Lines::Single).is_ok());
        let err = check("contact", &format!("{fifty}王"), 50, Lines::Single).unwrap_err();
        assert_eq!(err.code, FieldCode::TooLong);
        assert_eq!(err.max, Some(50));
    }

    #[test]
    fn check_allows_lf_and_tab_only_in_multi_line_fields() {
        assert!(check("need", "a\nb\tc", 500, Lines::Multi).is_ok());
        assert_eq!(
            check("company", "a\nb", 100, Lines::Single)
                .unwrap_err()
                .code,
            FieldCode::LineBreak
        );
        assert_eq!(
            check("company", "a\tb", 100, Lines::Single)
                .unwrap_err()
                .code,
            FieldCode::ControlCharacters
        );
        assert_eq!(
            check("need", "a\u{0}b", 500, Lines::Multi)
                .unwrap_err()
                .code,
            FieldCode::ControlCharacters
        );
        assert_eq!(
            check("need", "a\u{1b}[31m", 500, Lines::Multi)
                .unwrap_err()
                .code,
            FieldCode::ControlCharacters
        );
        assert_eq!(
            check("message", "a\u{85}b", 2000, Lines::Multi)
                .unwrap_err()
                .code,
            FieldCode::ControlCharacters
        );
    }
}
