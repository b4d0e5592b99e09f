//! A browser's plain HTML form post: redirects on success, a Chinese page on error.

use crate::helpers::{spawn_app, spawn_app_with};

const FORM: &[(&str, &str)] = &[
    ("need", "求租厂房2000平"),
    ("contact", "王总"),
    ("phone", "13912345678"),
    ("article_url", "https://www.example.cn/a/1.html"),
];

fn form_with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    FORM.iter().copied().chain(extra.iter().copied()).collect()
}

#[tokio::test]
async fn a_browser_post_is_redirected_to_the_built_in_thank_you_page() {
    let app = spawn_app().await;
    let response = app.post_browser_form(FORM).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/thanks");
    assert_eq!(app.inquiry_count().await, 1);

    let thanks = app.client.get(app.url("/thanks")).send().await.unwrap();
    assert_eq!(thanks.status(), 200);
    assert!(thanks.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(thanks.headers().contains_key("content-security-policy"));
    assert!(thanks.text().await.unwrap().contains("感谢您的咨询"));

    // A duplicate and a honeypot hit are redirected alike.
    assert_eq!(app.post_browser_form(FORM).await.status(), 303);
    let spam = form_with(&[("website", "x")]);
    assert_eq!(
        app.post_browser_form(&spam).await.headers()["location"],
        "/thanks"
    );
}

#[tokio::test]
async fn next_is_followed_only_to_hosts_listed_explicitly() {
    let app = spawn_app_with(|s| {
        s.intake.allowed_site_hosts = vec![
            "www.example.cn".parse().unwrap(),
            "*.example.cn".parse().unwrap(),
        ];
        s.intake.thank_you_url = "https://www.example.cn/thanks.html".into();
    })
    .await;
    let cases = [
        (
            "https://www.example.cn/a/1.html#done",
            "https://www.example.cn/a/1.html#done",
        ),
        (
            "https://m.example.cn/a/1.html",
            "https://www.example.cn/thanks.html",
        ),
        (
            "https://evil.example.org/",
            "https://www.example.cn/thanks.html",
        ),
        ("javascript:alert(1)", "https://www.example.cn/thanks.html"),
        ("//evil.example.org/", "https://www.example.cn/thanks.html"),
    ];
    for (i, (next, expected)) in cases.iter().enumerate() {
        let phone = format!("1371234567{i}");
        let form = [
            FORM[0],
            FORM[1],
            ("phone", phone.as_str()),
            FORM[3],
            ("_next", next),
        ];
        let response = app.post_browser_form(&form).await;
        assert_eq!(response.status(), 303, "{next}");
        assert_eq!(response.headers()["location"], *expected, "{next}");
    }
}

#[tokio::test]
async fn with_an_empty_host_list_next_is_never_followed() {
    let app = spawn_app().await;
    let form = form_with(&[("_next", "https://evil.example.org/")]);
    assert_eq!(
        app.post_browser_form(&form).await.headers()["location"],
        "/thanks"
    );
}

#[tokio::test]
async fn a_browser_post_with_errors_gets_a_chinese_page_listing_what_to_fix() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/inquiries"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,*/*;q=0.8")
        .header("referer", "https://www.example.cn/a/1.html")
        .body("need=&contact=%E7%8E%8B&phone=123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"));
    let html = response.text().await.unwrap();
    assert!(html.contains("请填写需求"), "{html}");
    assert!(html.contains("请输入有效的手机号码"), "{html}");
    assert!(
        html.contains("href=\"https://www.example.cn/a/1.html\""),
        "a link back: {html}"
    );
    assert_eq!(app.inquiry_count().await, 0);
}

#[tokio::test]
async fn json_clients_and_fetch_get_json_even_for_form_bodies() {
    let app = spawn_app().await;
    let response = app
        .post_raw(
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string(FORM).unwrap(),
            &[("accept", "*/*")],
        )
        .await;
    assert_eq!(response.status(), 201);
    // JSON bodies never get HTML, whatever Accept says.
    let response = app
        .client
        .post(app.url("/api/v1/inquiries"))
        .header("accept", "text/html")
        .json(&crate::helpers::valid_inquiry())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn old_internet_explorer_and_360_browser_get_the_thank_you_page_too() {
    // Their Accept names text/html and reaches JSON only through */* at the same quality.
    let app = spawn_app().await;
    for (n, accept) in [
        "text/html, application/xhtml+xml, image/jxr, */*",
        "image/gif, image/jpeg, image/pjpeg, application/x-ms-application, application/xaml+xml, application/x-ms-xbap, text/html, */*",
    ]
    .iter()
    .enumerate()
    {
        let phone = format!("1391234{n:04}");
        let body = serde_urlencoded::to_string([
            ("need", "求租厂房"),
            ("contact", "王总"),
            ("phone", phone.as_str()),
        ])
        .unwrap();
        let response = app
            .post_raw("application/x-www-form-urlencoded", body, &[("accept", accept)])
            .await;
        assert_eq!(response.status(), 303, "{accept}");
        let bad = serde_urlencoded::to_string([("need", ""), ("phone", "1")]).unwrap();
        let response = app
            .post_raw("application/x-www-form-urlencoded", bad, &[("accept", accept)])
            .await;
        assert_eq!(response.status(), 422);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/html"), "{content_type}");
    }
}
