//! The embeddable form's files and the inbox page: served by the binary, with their security
//! headers. (What they do in a browser is tested in tests/browser/.)

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_inbox_and_the_demo_page_allow_only_their_own_scripts_and_no_framing() {
    let app = spawn_app().await;
    for path in ["/inbox", "/embed/demo"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-frame-options"], "DENY");
        let html = response.text().await.unwrap();
        assert!(!html.contains("<script>"), "{path}: no inline script");
        assert!(!html.contains("style=\""), "{path}: no inline style");
    }
}

#[tokio::test]
async fn the_form_script_carries_the_api_messages_and_the_inbox_script_never_uses_local_storage() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/embed/form.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let script = response.text().await.unwrap();
    assert!(!script.contains("__RULES__"));
    assert!(script.contains("请输入有效的手机号码"));
    assert!(script.contains("请填写联系人"));

    let inbox = app
        .client
        .get(app.url("/inbox/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), 200);
    let inbox = inbox.text().await.unwrap();
    assert!(inbox.contains("sessionStorage"));
    assert!(!inbox.contains("localStorage"));
    for path in ["/embed/form.css", "/inbox/app.css", "/embed/demo.css"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/css; charset=utf-8"
        );
    }
}

#[tokio::test]
async fn the_demo_page_shows_the_snippet_with_the_public_base_url() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.server.public_base_url = "https://desk.example.cn".into();
    })
    .await;
    let html = app
        .client
        .get(app.url("/embed/demo"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The form on the page posts to this service; the snippet to copy names the public URL.
    assert!(html.contains("action=\"/api/v1/inquiries\""));
    assert!(html.contains("action=&quot;https://desk.example.cn/api/v1/inquiries&quot;"));
    assert!(html.contains("src=&quot;https://desk.example.cn/embed/form.js&quot;"));
}

#[tokio::test]
async fn the_snippet_names_the_honeypot_the_server_reads() {
    // A renamed `intake.honeypot_field` must reach every page's form, or the honeypot the server
    // reads would be one no form has.
    let app = crate::helpers::spawn_app_with(|s| s.intake.honeypot_field = "fax".into()).await;
    let html = app
        .client
        .get(app.url("/embed/demo"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<input name=\"fax\" tabindex=\"-1\""),
        "the form"
    );
    assert!(html.contains("name=&quot;fax&quot;"), "the snippet to copy");
    assert!(!html.contains("\"website\""), "the old name nowhere");
}
