//! The staff search's keys. An inquiry is searched in one text: company, contact, need and use,
//! lower-cased (the SQL function `inquiry_search_text` builds the same text for the exact
//! check). Each distinct pair of neighbouring characters of it is one integer key; a query's
//! keys contained in a row's keys make the row a candidate, which the exact `LIKE` then checks.
//! Two characters (王总, 电子) are the shortest query the keys serve, and the common one.
//!
//! The SQL function `search_keys` (the baseline migration) computes the same keys in the database for
//! anonymisation and backfills; a test checks that the two agree.

/// The searched text of an inquiry, as `inquiry_search_text(company, contact, need, use)`.
pub fn text(
    company: Option<&str>,
    contact: Option<&str>,
    need: &str,
    use_: Option<&str>,
) -> String {
    let joined = format!(
        "{} {} {} {}",
        company.unwrap_or_default(),
        contact.unwrap_or_default(),
        need,
        use_.unwrap_or_default()
    );
    lower(&joined)
}

/// Lower case one character at a time, as the database's `lower()` does (Rust's `to_lowercase`
/// also applies the context-dependent final sigma, which the database does not).
pub fn lower(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// The distinct keys of a text, ascending: `(first << 16) | second` over the low 16 bits of the
/// code points of each pair of neighbouring characters. Characters beyond the BMP may share a
/// key with others, which only adds candidates for the exact check.
pub fn keys(text: &str) -> Vec<i32> {
    let chars: Vec<u32> = text.chars().map(|c| u32::from(c) & 0xFFFF).collect();
    let mut keys: Vec<i32> = chars
        .windows(2)
        .map(|pair| ((pair[0] << 16) | pair[1]) as i32)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_character_query_is_one_key_contained_in_the_text_s() {
        let text = text(
            Some("深圳市华信电子有限公司"),
            Some("王总"),
            "求租厂房",
            None,
        );
        let row = keys(&text);
        for query in ["王总", "电子", "华信电子", "厂房"] {
            let q = keys(query);
            assert!(!q.is_empty());
            assert!(q.iter().all(|k| row.binary_search(k).is_ok()), "{query}");
        }
        assert_eq!(keys("王总").len(), 1);
        assert!(!keys("李总").iter().all(|k| row.binary_search(k).is_ok()));
    }

    #[test]
    fn keys_are_distinct_sorted_and_case_folded_through_the_text() {
        let k = keys("abab");
        assert_eq!(k.len(), 2, "ab and ba once each: {k:?}");
        assert!(k.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(text(Some("ACME"), None, "Need", None), "acme  need ");
        assert!(keys("x").is_empty());
        assert!(keys("").is_empty());
    }
}
