//! The intake's request body read into fields, as SPEC §2 (Encodings) says: JSON in UTF-8, with
//! or without a byte-order mark, a lone surrogate escape (half an emoji) read as U+FFFD; form
//! bodies in the charset the `Content-Type` or the form's `_charset_` field names, else UTF-8,
//! else GB18030 (what an old Chinese CMS page without `accept-charset` posts). Decoding never
//! replaces what it cannot read: such a body is a 400, so no lead is stored as `�` while the
//! visitor is told it arrived. Decoders are `encoding_rs` (Firefox's; WHATWG labels).

use std::borrow::Cow;

use encoding_rs::{Encoding, GB18030, UTF_8};

use crate::domain::inquiry::RawFields;
use crate::domain::text;
use crate::error::ApiError;

/// The `charset` parameter of a `Content-Type` value, when there is one.
pub fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// Reads a JSON body: an object of fields. Errors: `MalformedBody` (not JSON, or not an
/// object), `UndecodableBody` (not UTF-8 and not in the declared charset or GB18030).
pub fn json(body: &[u8], declared: Option<&str>) -> Result<RawFields, ApiError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => object(value),
        // The slow paths run only for a body that failed: the usual request pays nothing.
        Err(_) if std::str::from_utf8(body).is_err() => {
            // JSON is UTF-8 (RFC 8259), but a legacy tool may send its page's encoding.
            let encoding = declared
                .and_then(|label| Encoding::for_label(label.as_bytes()))
                .filter(|e| *e != UTF_8)
                .unwrap_or(GB18030);
            let text = encoding
                .decode_without_bom_handling_and_without_replacement(body)
                .ok_or(ApiError::UndecodableBody)?;
            json(text.as_bytes(), None)
        }
        Err(_) => {
            let repaired = replace_lone_surrogates(body).ok_or(ApiError::MalformedBody)?;
            serde_json::from_slice(&repaired)
                .map_err(|_| ApiError::MalformedBody)
                .and_then(object)
        }
    }
}

fn object(value: serde_json::Value) -> Result<RawFields, ApiError> {
    match value {
        serde_json::Value::Object(object) => Ok(RawFields::from_json(object)),
        _ => Err(ApiError::MalformedBody),
    }
}

/// The body with every `\uD800`–`\uDFFF` escape that is not half of a surrogate pair written
/// as `\uFFFD`; `None` when there is none (then the body is malformed for another reason).
fn replace_lone_surrogates(body: &[u8]) -> Option<Vec<u8>> {
    let unit = |at: usize| -> Option<u16> {
        let hex = body.get(at..at + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let mut out = Vec::with_capacity(body.len());
    let mut replaced = false;
    let mut in_string = false;
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if !in_string {
            in_string = b == b'"';
            out.push(b);
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = false;
                out.push(b);
                i += 1;
            }
            b'\\' => match unit(i) {
                Some(0xD800..=0xDBFF)
                    if unit(i + 6).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low)) =>
                {
                    out.extend_from_slice(&body[i..i + 12]);
                    i += 12;
                }
                Some(0xD800..=0xDFFF) => {
                    out.extend_from_slice(br"\uFFFD");
                    replaced = true;
                    i += 6;
                }
                _ => {
                    // Any other escape: the backslash and the character it escapes.
                    let end = (i + 2).min(body.len());
                    out.extend_from_slice(&body[i..end]);
                    i = end;
                }
            },
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    replaced.then_some(out)
}

/// A form field's name or value: percent-decoded bytes, not yet decoded into text; or text
/// already, when it was written by JavaScript's old `escape()` (`%u6C42`), which names
/// characters, not bytes, and so takes no part in the charset question.
enum Part<'a> {
    Bytes(Cow<'a, [u8]>),
    Text(String),
}

impl<'a> Part<'a> {
    /// `whole_body`: every field of the body was written by `escape()` (its `%XX` are then
    /// characters U+00XX, not bytes); otherwise only a field with a `%uXXXX` escape was.
    fn read(raw: &'a [u8], whole_body: bool) -> Self {
        let escaped = whole_body || raw.windows(2).any(|w| w == b"%u" || w == b"%U");
        match escaped.then(|| js_unescape(raw)).flatten() {
            Some(text) => Self::Text(text),
            None => Self::Bytes(text::form_unescape(raw)),
        }
    }

    fn decode(&self, decode: impl Fn(&[u8]) -> Option<String>) -> Option<String> {
        match self {
            Self::Bytes(bytes) => decode(bytes),
            Self::Text(text) => Some(text.clone()),
        }
    }
}

type BytePair<'a> = (Part<'a>, Part<'a>);

/// Reads an `application/x-www-form-urlencoded` body. The charset is the declared one (the
/// `Content-Type`'s `charset`, else the `_charset_` field a browser fills in), else UTF-8 when
/// every byte is UTF-8, else GB18030 — a superset of GBK and GB2312. Text that a browser on a
/// legacy page could not encode arrives as `&#NNNN;`, which is read back as the character.
/// Errors: `UndecodableBody` when no rule decodes the body without replacement.
pub fn form(body: &[u8], declared: Option<&str>) -> Result<RawFields, ApiError> {
    // A UTF-8 byte-order mark before the first field (a Windows tool that wrote the body),
    // raw or percent-encoded.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let body = body.strip_prefix(b"%EF%BB%BF").unwrap_or(body);
    // A body with `%uXXXX` escapes came from `escape()`, field by field — unless it names a
    // multi-byte legacy charset, whose other fields may be that charset's bytes.
    let escaped = body.windows(2).any(|w| w == b"%u" || w == b"%U")
        && declared
            .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
            .is_none_or(|e| e == UTF_8 || e.is_single_byte());
    let pairs: Vec<BytePair<'_>> = body
        .split(|&b| b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = match part.iter().position(|&b| b == b'=') {
                Some(at) => (&part[..at], &part[at + 1..]),
                None => (part, &b""[..]),
            };
            (Part::read(name, escaped), Part::read(value, escaped))
        })
        .collect();
    let declared = declared
        .or_else(|| {
            pairs.iter().find_map(|(name, value)| match (name, value) {
                (Part::Bytes(name), Part::Bytes(value)) if name.as_ref() == b"_charset_" => {
                    std::str::from_utf8(value).ok()
                }
                _ => None,
            })
        })
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        // As HTML's form submission does: UTF-16 and `replacement` labels mean UTF-8 on the
        // wire (a form is never sent in UTF-16).
        .map(Encoding::output_encoding);
    let utf8 = || -> Option<Vec<(String, String)>> {
        pairs
            .iter()
            .map(|(k, v)| Some((k.decode(utf8_text)?, v.decode(utf8_text)?)))
            .collect()
    };
    let legacy = |encoding: &'static Encoding| -> Option<Vec<(String, String)>> {
        pairs
            .iter()
            .map(|(k, v)| {
                let text = |bytes: &[u8]| legacy_text(encoding, bytes);
                Some((k.decode(text)?, v.decode(text)?))
            })
            .collect()
    };
    let decoded = match declared {
        None => utf8().or_else(|| legacy(GB18030)),
        // A page that says UTF-8 but posts GBK (a template copied from a newer site) is read
        // as GB18030 rather than refused.
        Some(encoding) if encoding == UTF_8 => utf8().or_else(|| legacy(GB18030)),
        // A single-byte charset (ISO-8859-1, windows-1252 …) decodes any bytes, so it never
        // says it was wrong: a body that is valid UTF-8 with multi-byte sequences is UTF-8
        // mislabelled (an API client's default), as Latin-1 text almost never forms them.
        Some(encoding) if encoding.is_single_byte() => utf8().or_else(|| legacy(encoding)),
        Some(encoding) => legacy(encoding),
    };
    decoded
        .map(RawFields::from_pairs)
        .ok_or(ApiError::UndecodableBody)
}

/// What JavaScript's `unescape()` reads (old CMS scripts still post `escape()` output):
/// `%uXXXX` a UTF-16 unit (two in a row for a character beyond the BMP), `%XX` the character
/// U+00XX (`%B7` is `·`, not a byte), `+` a space as in any form body; a lone surrogate is
/// U+FFFD. `None` for raw non-ASCII bytes: the value is read as bytes then.
fn js_unescape(raw: &[u8]) -> Option<String> {
    if !raw.is_ascii() {
        return None;
    }
    let hex = |at: usize, len: usize| -> Option<u16> {
        let digits = std::str::from_utf8(raw.get(at..at + len)?).ok()?;
        u16::from_str_radix(digits, 16).ok()
    };
    let mut units: Vec<u16> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' if matches!(raw.get(i + 1), Some(b'u' | b'U')) && hex(i + 2, 4).is_some() => {
                units.extend(hex(i + 2, 4));
                i += 6;
            }
            b'%' if hex(i + 1, 2).is_some() => {
                units.extend(hex(i + 1, 2));
                i += 3;
            }
            b'+' => {
                units.push(u16::from(b' '));
                i += 1;
            }
            b => {
                units.push(u16::from(b));
                i += 1;
            }
        }
    }
    // A lone surrogate (half an emoji cut off by the script) is U+FFFD, as in JSON (SPEC §2).
    Some(String::from_utf16_lossy(&units))
}

fn utf8_text(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).ok().map(str::to_string)
}

fn legacy_text(encoding: &'static Encoding, bytes: &[u8]) -> Option<String> {
    let text = encoding.decode_without_bom_handling_and_without_replacement(bytes)?;
    Some(if text.contains("&#") {
        numeric_references(&text)
    } else {
        text.into_owned()
    })
}

/// `&#26085;` and `&#x65E5;` read as the characters they name (HTML's form submission writes
/// what the page's charset cannot hold that way). Anything else stays as typed.
fn numeric_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let (radix, digits_start) = match after.as_bytes().first() {
            Some(b'x' | b'X') => (16, 1),
            _ => (10, 0),
        };
        let digits = &after[digits_start..];
        let len = digits
            .find(|c: char| !c.is_digit(radix))
            .unwrap_or(digits.len());
        let decoded = (len > 0 && len <= 7 && digits[len..].starts_with(';'))
            .then(|| u32::from_str_radix(&digits[..len], radix).ok())
            .flatten()
            .and_then(char::from_u32)
            .filter(|c| !c.is_control());
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &digits[len + 1..];
            }
            None => {
                out.push_str("&#");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::inquiry::RawValue;

    fn text(fields: &RawFields, name: &str) -> Option<String> {
        match fields.get(name) {
            Some(RawValue::Text(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// Percent-encodes every byte, as a browser does for non-ASCII form text.
    fn escaped(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("%{b:02X}")).collect()
    }

    fn gbk(text: &str) -> String {
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable);
        escaped(&bytes)
    }

    #[test]
    fn a_gbk_page_without_accept_charset_is_read_as_gb18030() {
        let body = format!(
            "need={}&contact={}&phone=13912345678",
            gbk("求租厂房两千平方米"),
            gbk("王总")
        );
        let fields = form(body.as_bytes(), None).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("求租厂房两千平方米"));
        assert_eq!(text(&fields, "contact").as_deref(), Some("王总"));
    }

    #[test]
    fn declared_charsets_win() {
        let (big5, _, _) = encoding_rs::BIG5.encode("廠房出租");
        let body = format!("need={}", escaped(&big5));
        let fields = form(body.as_bytes(), Some("big5")).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("廠房出租"));
        let body = format!("_charset_=Big5&need={}", escaped(&big5));
        let fields = form(body.as_bytes(), None).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("廠房出租"));
        let body = format!("_charset_=UTF-8&need={}", gbk("厂房"));
        let fields = form(body.as_bytes(), None).unwrap();
        assert_eq!(
            text(&fields, "need").as_deref(),
            Some("厂房"),
            "UTF-8 said, GBK sent"
        );
    }

    #[test]
    fn utf8_stays_utf8_and_references_only_come_from_legacy_pages() {
        let body = "need=%E5%8E%82%E6%88%BF+2000%E5%B9%B3&message=%26%2326085%3B";
        let fields = form(body.as_bytes(), None).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("厂房 2000平"));
        assert_eq!(text(&fields, "message").as_deref(), Some("&#26085;"));
        let body = format!("need={}%26%23128522%3B%26%23x1F3ED%3B", gbk("厂房"));
        let fields = form(body.as_bytes(), None).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("厂房😊🏭"));
    }

    #[test]
    fn javascript_escape_bodies_and_a_leading_bom_are_read() {
        let fields = form(
            b"need=%u6C42%u79DF%20%u5382%u623F%uD83D%uDE0A&contact=%u738B",
            None,
        )
        .unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("求租 厂房😊"));
        assert_eq!(text(&fields, "contact").as_deref(), Some("王"));
        let fields = form(b"\xEF\xBB\xBFneed=x", None).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("x"));
        let fields = form(b"need=%u12", None).unwrap();
        assert_eq!(
            text(&fields, "need").as_deref(),
            Some("%u12"),
            "malformed: as typed"
        );
        // escape() writes U+0080–U+00FF as %XX: characters, not a charset's bytes.
        let fields = form(b"contact=%u7EA6%u7FF0%B7%u53F2%u5BC6%u65AF", None).unwrap();
        assert_eq!(text(&fields, "contact").as_deref(), Some("约翰·史密斯"));
        let fields = form(b"need=%u6C42%u79DF2000m%B2+60%D7100", Some("gb2312")).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("求租2000m² 60×100"));
        let body = format!("need=%u5382%u623F&contact={}", "%CD%F5");
        let fields = form(body.as_bytes(), Some("gbk")).unwrap();
        assert_eq!(
            text(&fields, "need").as_deref(),
            Some("厂房"),
            "escape() beside GBK"
        );
        assert_eq!(text(&fields, "contact").as_deref(), Some("王"));
        // A field whose only non-ASCII characters are Latin-1, in an escape() body.
        let fields = form(b"need=%u5382%u623F&message=caf%E9&contact=Jos%E9", None).unwrap();
        assert_eq!(text(&fields, "message").as_deref(), Some("café"));
        assert_eq!(text(&fields, "contact").as_deref(), Some("José"));
        let fields = form(b"%EF%BB%BFneed=x", None).unwrap();
        assert_eq!(
            text(&fields, "need").as_deref(),
            Some("x"),
            "an encoded BOM"
        );
    }

    #[test]
    fn utf8_labelled_latin1_is_read_as_utf8_and_real_latin1_as_latin1() {
        let fields = form(b"need=%E6%B1%82%E7%A7%9F", Some("iso-8859-1")).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("求租"));
        let fields = form(b"contact=Jos%E9+M%FCller", Some("iso-8859-1")).unwrap();
        assert_eq!(text(&fields, "contact").as_deref(), Some("José Müller"));
    }

    #[test]
    fn a_utf16_label_means_utf8_as_browsers_send_it() {
        let fields = form("need=%E5%8E%82".as_bytes(), Some("utf-16")).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("厂"));
    }

    #[test]
    fn a_body_no_rule_decodes_is_refused_not_garbled() {
        // A lone GBK lead byte at the end is neither UTF-8 nor GB18030.
        assert!(matches!(
            form(b"need=%B3%A7%B7", None),
            Err(ApiError::UndecodableBody)
        ));
        assert!(matches!(
            form(b"need=%FF", Some("shift_jis")),
            Err(ApiError::UndecodableBody)
        ));
    }

    #[test]
    fn json_with_a_bom_or_half_an_emoji_is_read() {
        let fields = json(b"\xEF\xBB\xBF{\"need\": \"\xE5\x8E\x82\"}", None).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("厂"));
        let fields = json(br#"{"need": "a\ud83d", "use": "\ud83d\ude0a\udc00"}"#, None).unwrap();
        assert_eq!(text(&fields, "need").as_deref(), Some("a\u{FFFD}"));
        assert_eq!(text(&fields, "use").as_deref(), Some("😊\u{FFFD}"));
        let fields = json(br#"{"need": "\\ud83d"}"#, None).unwrap();
        assert_eq!(
            text(&fields, "need").as_deref(),
            Some("\\ud83d"),
            "escaped backslash"
        );
        assert!(matches!(json(b"[1]", None), Err(ApiError::MalformedBody)));
        assert!(matches!(
            json(b"{\"a\":", None),
            Err(ApiError::MalformedBody)
        ));
    }

    #[test]
    fn charset_parameters_are_found() {
        assert_eq!(
            charset_param("application/x-www-form-urlencoded; charset=GBK"),
            Some("GBK")
        );
        assert_eq!(
            charset_param("application/json;Charset=\"utf-8\""),
            Some("utf-8")
        );
        assert_eq!(charset_param("application/json"), None);
    }
}
