//! The phone field through the real API: numbers as visitors paste them are stored as E.164,
//! numbers that cannot be dialled are a 422 on `phone` (issue 14, points 1 and 2). Made-up
//! numbers.

use serde_json::{json, Value};

use crate::helpers::{field_errors, spawn_app, valid_inquiry, with};

#[tokio::test]
async fn pasted_phones_are_stored_as_e164() {
    let app = spawn_app().await;
    let cases = [
        (
            "\u{202a}+86 139 1234 5678\u{202c}",
            "+8613912345678",
            "copied from contacts",
        ),
        (
            "139–1234–5678",
            "+8613912345678",
            "en dashes from a document",
        ),
        ("139—1234—5678", "+8613912345678", "em dashes"),
        ("139−1234−5678", "+8613912345678", "minus signs"),
        (
            "139\u{a0}1234\u{a0}5678",
            "+8613912345678",
            "no-break spaces from a web page",
        ),
        (
            "\u{200b}13912345678",
            "+8613912345678",
            "a zero-width space from a chat",
        ),
        ("\u{feff}13912345678", "+8613912345678", "a byte order mark"),
        (
            "(+86)139 1234 5678",
            "+8613912345678",
            "country code in brackets",
        ),
        (
            "+86（139）12345678",
            "+8613912345678",
            "full-width brackets",
        ),
        ("139/1234/5678", "+8613912345678", "slashes"),
        ("139~1234~5678", "+8613912345678", "tildes"),
        ("139 1234 5678\u{2060}", "+8613912345678", "a word joiner"),
        (
            "１３９－１２３４－５６７８",
            "+8613912345678",
            "full-width input method",
        ),
        (
            "＋８６ １３９ １２３４ ５６７８",
            "+8613912345678",
            "full-width plus",
        ),
        (
            "0756\u{2013}333\u{a0}1234",
            "+867563331234",
            "a pasted landline",
        ),
        ("161 0123 4567", "+8616101234567", "the 1610 mobile block"),
    ];
    for (i, (input, e164, what)) in cases.iter().enumerate() {
        // A distinct article each time, so that none is a repeat of another.
        let article = format!("https://www.example.cn/phone/{i}");
        let body = with(
            valid_inquiry(),
            &[("phone", json!(input)), ("article_url", json!(article))],
        );
        let response = app.post_json(&body).await;
        assert_eq!(response.status(), 201, "{what}: {input:?}");
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let stored: Option<String> =
            sqlx::query_scalar("SELECT phone FROM inquiries WHERE id = $1::uuid")
                .bind(&id)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert_eq!(stored.as_deref(), Some(*e164), "{what}: {input:?}");
    }
}

#[tokio::test]
async fn phones_that_cannot_be_dialled_are_a_422_on_phone() {
    let app = spawn_app().await;
    let cases = [
        ("010 2369 96393", "nine digits after Beijing's 010"),
        ("020-1234567", "seven digits after Guangzhou's 020"),
        ("010-95555", "a hotline after a two-digit area code"),
        ("0756-55320449", "eight digits after Zhuhai's 0756"),
        ("400-800-12345", "an eleven-digit 400 number"),
        (
            "37112345678",
            "eleven digits not starting with 1: a mistyped mobile",
        ),
        ("16112345678", "161 outside the 1610 block"),
        ("139 1234 5678 ext 1", "an extension"),
        (
            "+49 30 1234567890123",
            "seventeen digits: valid for libphonenumber, longer than E.164 allows",
        ),
        (
            "+81 120 12345678901",
            "a Japanese toll-free number of E.164's impossible length",
        ),
    ];
    for (input, what) in cases {
        let body = with(valid_inquiry(), &[("phone", json!(input))]);
        let errors = field_errors(app.post_json(&body).await).await;
        assert_eq!(
            errors,
            vec![("phone".to_string(), "invalid_phone".to_string())],
            "{what}: {input:?}"
        );
    }
    assert_eq!(app.inquiry_count().await, 0, "nothing is stored");
}
