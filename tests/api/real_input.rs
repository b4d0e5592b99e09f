//! What real visitors, phones and websites send (issue 14): pasted phones, full-width input,
//! free-text WeChat answers, GBK pages, BOMs and half emoji, ad-click URLs, translation proxies,
//! IDN hosts and hidden fields that are never an error. Each class is a table through the HTTP
//! API into PostgreSQL.

use reqwest::header::CONTENT_TYPE;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, valid_inquiry, with, TestApp};

const FORM: &str = "application/x-www-form-urlencoded";
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Posts JSON and returns the stored row of the inquiry the answer names.
async fn stored(app: &TestApp, body: &Value) -> Value {
    let response = app.post_json(body).await;
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status}: {answer} for {body}");
    row(app, answer["id"].as_str().unwrap()).await
}

async fn row(app: &TestApp, id: &str) -> Value {
    sqlx::query_scalar("SELECT to_jsonb(i) - 'search_keys' FROM inquiries i WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("inquiry row")
}

async fn latest(app: &TestApp) -> Value {
    sqlx::query_scalar(
        "SELECT to_jsonb(i) - 'search_keys' FROM inquiries i ORDER BY received_at DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("an inquiry")
}

fn phone_n(n: usize) -> String {
    format!("1391234{n:04}")
}

#[tokio::test]
async fn full_width_input_is_folded_before_it_is_checked_and_stored_folded() {
    let app = spawn_app().await;
    let cases = [
        ("email", "wang＠example.cn", "wang@example.cn"),
        ("email", "ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｎ", "wang@example.cn"),
        ("email", "\u{200b}li@example.cn", "li@example.cn"),
        ("wechat", "ｗａｎｇ＿ｚｏｎｇ８８", "wang_zong88"),
        ("wechat", "１３９１２３４５６７８", "+8613912345678"),
    ];
    for (n, (field, input, expected)) in cases.iter().enumerate() {
        let body = with(
            valid_inquiry(),
            &[(field, json!(input)), ("phone", json!(phone_n(n)))],
        );
        let row = stored(&app, &body).await;
        assert_eq!(row[field], *expected, "{field} {input:?}");
    }
}

#[tokio::test]
async fn the_wechat_field_is_free_text_that_never_blocks_a_lead() {
    let app = spawn_app().await;
    let phone = "+8613912340000";
    let cases = [
        ("微信同号", phone, "same as the phone"),
        ("同手机号", phone, "same as the phone"),
        ("手机同号", phone, "same as the phone"),
        ("同上", phone, "same as above"),
        ("与手机号相同", phone, "same as the phone, longer"),
        ("微信就是手机号", phone, "is the phone"),
        ("13912345678", "+8613912345678", "a mobile number"),
        (
            "+86 139-1234-5678",
            "+8613912345678",
            "a mobile with country code",
        ),
        ("wxid_abc123", "wxid_abc123", "a WeChat ID"),
        ("wang_zong88", "wang_zong88", "a custom ID"),
        (
            "微信：wang_zong88",
            "wang_zong88",
            "a label typed before the ID",
        ),
        ("123456789", "123456789", "a QQ number stays as typed"),
        (
            "2345678901",
            "2345678901",
            "a ten-digit QQ number is not a landline",
        ),
        ("abc", "abc", "too short for an ID: kept anyway"),
        ("王总的微信", "王总的微信", "words"),
        ("a\nb", "a b", "a line break"),
    ];
    for (n, (input, expected, what)) in cases.iter().enumerate() {
        let body = with(
            valid_inquiry(),
            &[
                ("wechat", json!(input)),
                ("phone", json!(phone_n(0))),
                (
                    "article_url",
                    json!(format!("https://www.example.cn/w/{n}")),
                ),
            ],
        );
        let row = stored(&app, &body).await;
        assert_eq!(row["wechat"], *expected, "{what}: {input:?}");
    }
    // "Nothing" is no WeChat ID.
    let body = with(
        valid_inquiry(),
        &[("wechat", json!("暂无")), ("phone", json!(phone_n(2)))],
    );
    assert_eq!(stored(&app, &body).await["wechat"], Value::Null);
    let long = "微".repeat(80);
    let body = with(
        valid_inquiry(),
        &[("wechat", json!(long)), ("phone", json!(phone_n(1)))],
    );
    let row = stored(&app, &body).await;
    assert_eq!(
        row["wechat"].as_str().unwrap().chars().count(),
        50,
        "an over-long answer is cut, not refused"
    );
}

/// Percent-encodes every byte, as a browser does for non-ASCII text in a form post.
fn escaped(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

fn gbk(text: &str) -> String {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "{text} is GBK");
    escaped(&bytes)
}

#[tokio::test]
async fn a_gbk_page_without_accept_charset_posts_a_lead_that_is_stored_readable() {
    let app = spawn_app().await;
    // What a browser on an old CMS page (<meta charset="gbk">, no accept-charset) sends.
    let body = format!(
        "need={}&use={}&company={}&contact={}&phone=139-1234-5678&tax={}&article_url={}",
        gbk("求租宝安区厂房两千平方米"),
        gbk("五金加工"),
        gbk("深圳市某某五金制品厂"),
        gbk("李经理"),
        gbk("年纳税三百多万"),
        "https%3A%2F%2Fwww.example.cn%2Fa%2F1.html",
    );
    let response = app
        .post_raw(FORM, body.clone(), &[("accept", BROWSER_ACCEPT)])
        .await;
    assert_eq!(response.status(), 303, "the visitor is thanked");
    let row = latest(&app).await;
    assert_eq!(row["need"], "求租宝安区厂房两千平方米");
    assert_eq!(row["use"], "五金加工");
    assert_eq!(row["company"], "深圳市某某五金制品厂");
    assert_eq!(row["contact"], "李经理");
    assert_eq!(row["tax"], "年纳税三百多万");
    assert!(
        !row.to_string().contains('\u{fffd}'),
        "no replacement character"
    );

    let cases = [
        (
            FORM.to_string(),
            format!("_charset_=gbk&{body}"),
            "the form's _charset_",
        ),
        (
            format!("{FORM}; charset=GBK"),
            body.clone(),
            "a declared charset",
        ),
        (
            format!("{FORM}; charset=gb2312"),
            body.clone(),
            "GB2312 is read as GBK",
        ),
        (
            FORM.to_string(),
            format!(
                "{}&need={}%26%23128522%3B%26%23127981%3B",
                body.replacen("need=", "x=", 1),
                gbk("厂房")
            ),
            "characters GBK cannot hold arrive as references",
        ),
    ];
    for (n, (content_type, body, what)) in cases.into_iter().enumerate() {
        let body = body.replace("139-1234-5678", &phone_n(n + 10));
        let response = app.post_raw(&content_type, body, &[]).await;
        assert_eq!(response.status(), 201, "{what}");
        let row = latest(&app).await;
        assert_eq!(row["contact"], "李经理", "{what}");
        assert!(!row.to_string().contains('\u{fffd}'), "{what}");
    }
    assert_eq!(
        latest(&app).await["need"],
        "厂房😊🏭",
        "references read back"
    );

    // An old CMS script that posts with JavaScript's escape(): %uXXXX, and %XX for U+0080–FF.
    let body = "need=%u6C42%u79DF%u5382%u623F2000m%B2&contact=%u7EA6%u7FF0%B7%u53F2%u5BC6%u65AF&phone=13912349999";
    let response = app.post_raw(FORM, body, &[]).await;
    assert_eq!(response.status(), 201);
    let row = latest(&app).await;
    assert_eq!(row["need"], "求租厂房2000m²");
    assert_eq!(row["contact"], "约翰·史密斯");
}

#[tokio::test]
async fn a_body_that_no_charset_decodes_is_a_400_that_says_so_and_stores_nothing() {
    let app = spawn_app().await;
    for (content_type, body) in [
        (
            FORM.to_string(),
            "need=%B3%A7%B7&contact=x&phone=13912345678",
        ),
        (
            format!("{FORM}; charset=shift_jis"),
            "need=%FF%FF&contact=x&phone=13912345678",
        ),
    ] {
        let response = app.post_raw(&content_type, body, &[]).await;
        assert_eq!(response.status(), 400, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "undecodable_body");
        assert!(problem["detail"].as_str().unwrap().contains("编码"));
    }
    assert_eq!(app.inquiry_count().await, 0);
}

#[tokio::test]
async fn json_from_windows_tools_and_clients_that_cut_an_emoji_is_accepted() {
    let app = spawn_app().await;
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(valid_inquiry().to_string().as_bytes());
    let response = app.post_raw("application/json", bom, &[]).await;
    assert_eq!(response.status(), 201, "a UTF-8 byte-order mark");

    let half_emoji = r#"{"need": "求租厂房\ud83d", "contact": "王总", "phone": "13912340001"}"#;
    let response = app.post_raw("application/json", half_emoji, &[]).await;
    assert_eq!(response.status(), 201, "a lone surrogate");
    let row = latest(&app).await;
    assert_eq!(row["need"], "求租厂房\u{fffd}");

    let response = app
        .post_raw("application/json", r#"{"need": "x""#, &[])
        .await;
    assert_eq!(response.status(), 400, "still malformed");
}

#[tokio::test]
async fn paid_clicks_land_on_one_article_and_keep_their_click_ids() {
    let app = spawn_app_with(|s| {
        s.intake.allowed_site_hosts = vec!["*.example.cn".parse().unwrap()];
        s.intake.tracking_parameters = vec!["fromuid".parse().unwrap()];
    })
    .await;
    let base = "https://www.example.cn/zhuhai/factory-1.html";
    let cases = [
        (
            format!("{base}?bd_vid=11962813526391466291"),
            json!({"bd_vid": "11962813526391466291"}),
        ),
        (
            format!("{base}?bd_vid=8837465512093&utm_source=baidu"),
            json!({"bd_vid": "8837465512093"}),
        ),
        (
            format!("{base}?qz_gdt=wx2ptmeoaaaeahkcb2ea"),
            json!({"qz_gdt": "wx2ptmeoaaaeahkcb2ea"}),
        ),
        (
            format!("{base}?gdt_vid=wx0abcdef&weixinadinfo=123.wx0.0.0"),
            json!({"gdt_vid": "wx0abcdef", "weixinadinfo": "123.wx0.0.0"}),
        ),
        (
            format!("{base}?clickid=B.abcdef&clickid2=x"),
            json!({"clickid": "B.abcdef"}),
        ),
        (format!("{base}?clickid=__CLICKID__"), json!({})),
        (
            format!("{base}?gclid=Cj0KCQiA&fromuid=77#form"),
            json!({"gclid": "Cj0KCQiA"}),
        ),
        (format!("{base}?from=timeline&isappinstalled=0"), json!({})),
        (
            format!("{base}?hmsr=baidu&hmpl=plan1&hmkw=厂房&gad_source=1"),
            json!({}),
        ),
        (
            format!("{base}?sharer_shareid=abc&ascene=1&clicktime=1700000000"),
            json!({}),
        ),
        (
            format!("{base}?sharer_shareinfo=x&sharer_shareinfo_first=y&gad_other=3"),
            json!({}),
        ),
        (
            "https://www.example.cn./zhuhai/factory-1.html".to_string(),
            json!({}),
        ),
    ];
    let mut articles = std::collections::HashSet::new();
    for (n, (url, click_ids)) in cases.iter().enumerate() {
        let body = with(
            valid_inquiry(),
            &[("article_url", json!(url)), ("phone", json!(phone_n(n)))],
        );
        let response = app
            .client
            .post(app.url("/api/v1/inquiries"))
            .header("referer", "https://www.baidu.com/")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{url}");
        let row = latest(&app).await;
        if url.contains("clickid2") {
            assert!(row["article_id"].is_string(), "{url}");
            continue; // another page: clickid2 is not a tracking parameter
        }
        articles.insert(row["article_id"].as_str().unwrap().to_string());
        assert_eq!(row["click_ids"], *click_ids, "{url}");
        assert_eq!(row["landing_url"], *url, "landing URL as sent");
        assert_eq!(row["referrer"], "https://www.baidu.com/");
    }
    assert_eq!(articles.len(), 1, "every click of one page is one article");

    // Staff see the attribution in the detail, the list and the export.
    let key = app.admin().await;
    let id = latest(&app).await["id"].as_str().unwrap().to_string();
    let detail = app.get_json(&key, &format!("/api/v1/inquiries/{id}")).await;
    assert_eq!(
        detail["attribution"]["landing_url"],
        cases[cases.len() - 1].0
    );
    assert_eq!(detail["attribution"]["referrer"], "https://www.baidu.com/");
    let list = app.get_json(&key, "/api/v1/inquiries?limit=200").await;
    let gclid = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["attribution"]["click_ids"]["gclid"].is_string())
        .expect("an item with its click ID");
    assert_eq!(gclid["attribution"]["click_ids"]["gclid"], "Cj0KCQiA");
    let csv = app
        .get_as(&key, "/api/v1/inquiries/export.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("bd_vid=11962813526391466291"),
        "click IDs exported"
    );
    assert!(csv.contains("落地页"), "landing URL column");
}

#[tokio::test]
async fn translated_pages_idn_hosts_and_other_hosts_are_read_without_refusing_anyone() {
    let app = spawn_app_with(|s| {
        s.intake.allowed_site_hosts = vec![
            "www.example.cn".parse().unwrap(),
            "招商.中国".parse().unwrap(),
        ];
    })
    .await;
    let original = stored(
        &app,
        &with(
            valid_inquiry(),
            &[
                ("article_url", json!("https://www.example.cn/a/1.html")),
                ("phone", json!(phone_n(0))),
            ],
        ),
    )
    .await;
    let cases = [
        ("https://www-example-cn.translate.goog/a/1.html?_x_tr_sl=auto&_x_tr_tl=en&_x_tr_hl=zh-CN", Some(&original["article_id"]), "Google Translate"),
        ("https://招商.中国/厂房/1", None, "IDN host in Unicode"),
        ("https://xn--czrx92a.xn--fiqs8s/%E5%8E%82%E6%88%BF/1", None, "IDN host in punycode"),
    ];
    let mut idn_article = None;
    for (n, (url, expected, what)) in cases.iter().enumerate() {
        let row = stored(
            &app,
            &with(
                valid_inquiry(),
                &[
                    ("article_url", json!(url)),
                    ("phone", json!(phone_n(n + 1))),
                ],
            ),
        )
        .await;
        assert!(row["article_id"].is_string(), "{what}: linked");
        assert_eq!(row["flags"], json!([]), "{what}");
        match expected {
            Some(article) => assert_eq!(&row["article_id"], *article, "{what}"),
            None => match &idn_article {
                None => idn_article = Some(row["article_id"].clone()),
                Some(first) => assert_eq!(&row["article_id"], first, "{what}: same article"),
            },
        }
    }
    let articles_before = app.count("SELECT count(*) FROM articles").await;
    let others = [
        (
            "https://evil.example.org/a",
            "article_host_not_allowed",
            "a host not allowed",
        ),
        (
            "https://www.example.cn.evil.org/a",
            "article_host_not_allowed",
            "a look-alike host",
        ),
        ("www.example.cn/a", "article_url_invalid", "no scheme"),
        ("javascript:alert(1)", "article_url_invalid", "not http"),
        ("about:srcdoc", "article_url_invalid", "an iframe's address"),
    ];
    for (n, (url, flag, what)) in others.iter().enumerate() {
        let row = stored(
            &app,
            &with(
                valid_inquiry(),
                &[
                    ("article_url", json!(url)),
                    ("phone", json!(phone_n(n + 10))),
                ],
            ),
        )
        .await;
        assert_eq!(row["article_id"], Value::Null, "{what}");
        assert_eq!(row["flags"], json!([flag]), "{what}");
        assert_eq!(row["landing_url"], *url, "{what}: kept");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM articles").await,
        articles_before,
        "no article row for hosts that are not allowed"
    );
    let key = app.sales().await;
    let list = app.get_json(&key, "/api/v1/inquiries?limit=1").await;
    assert_eq!(list["items"][0]["flags"], json!(["article_url_invalid"]));
}

#[tokio::test]
async fn hidden_fields_are_cut_or_cleaned_never_refused() {
    let app = spawn_app().await;
    let cases: [(&str, Value); 5] = [
        ("article_title", json!("标".repeat(260))),
        ("article_title", json!("标题\n第二行")),
        ("utm_source", json!("u".repeat(150))),
        ("utm_medium", json!("a\nb")),
        ("utm_campaign", json!("a\u{0}b")),
    ];
    for (n, (field, value)) in cases.iter().enumerate() {
        let body = with(
            valid_inquiry(),
            &[
                (field, value.clone()),
                ("phone", json!(phone_n(n))),
                (
                    "article_url",
                    json!(format!("https://www.example.cn/h/{n}")),
                ),
            ],
        );
        let response = app.post_json(&body).await;
        assert_eq!(response.status(), 201, "{field} = {value}");
    }
    let titles: Vec<String> = sqlx::query_scalar(
        "SELECT title FROM articles WHERE title IS NOT NULL ORDER BY created_at",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(titles[0].chars().count(), 200);
    assert_eq!(titles[1], "标题 第二行");
}

#[tokio::test]
async fn the_first_real_inquiry_names_an_article_and_only_staff_rename_it() {
    let app = spawn_app().await;
    let url = "https://www.example.cn/a/new.html";
    // A bot's honeypot post comes first: it may neither create the article nor name it.
    let spam = with(
        valid_inquiry(),
        &[
            ("article_url", json!(url)),
            ("article_title", json!("便宜代开发票")),
            ("website", json!("http://spam")),
            ("phone", json!(phone_n(0))),
        ],
    );
    assert_eq!(app.post_json(&spam).await.status(), 201);
    let title = || async {
        sqlx::query_scalar::<_, Option<String>>("SELECT title FROM articles WHERE url = $1")
            .bind(url)
            .fetch_optional(&app.pool)
            .await
            .unwrap()
            .flatten()
    };
    assert_eq!(title().await, None, "spam names nothing");
    assert_eq!(
        app.count("SELECT count(*) FROM articles").await,
        0,
        "spam creates no article"
    );
    for (n, t) in ["前海写字楼出租", "我改的标题"].iter().enumerate() {
        let body = with(
            valid_inquiry(),
            &[
                ("article_url", json!(url)),
                ("article_title", json!(t)),
                ("phone", json!(phone_n(n + 1))),
            ],
        );
        assert_eq!(app.post_json(&body).await.status(), 201);
    }
    assert_eq!(
        title().await.as_deref(),
        Some("前海写字楼出租"),
        "the first real one"
    );

    let key = app.sales().await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM articles WHERE url = $1")
        .bind(url)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let patch = |body: Value| {
        let app = &app;
        let key = key.clone();
        async move {
            app.staff(
                reqwest::Method::PATCH,
                &key,
                &format!("/api/v1/articles/{id}"),
            )
            .json(&body)
            .send()
            .await
            .unwrap()
        }
    };
    let response = patch(json!({"title": " 前海甲级写字楼出租 "})).await;
    assert_eq!(response.status(), 200);
    let article: Value = response.json().await.unwrap();
    assert_eq!(article["title"], "前海甲级写字楼出租");
    assert_eq!(article["inquiry_count"], 2, "spam not counted");
    assert_eq!(title().await.as_deref(), Some("前海甲级写字楼出租"));

    for (body, field, code) in [
        (json!({"title": "标".repeat(201)}), "title", "too_long"),
        (json!({"title": "a\nb"}), "title", "line_break"),
        (json!({"title": "a\u{0}b"}), "title", "control_characters"),
        (json!({"title": 3}), "title", "invalid_type"),
        (json!({"url": "https://x"}), "url", "unknown_field"),
        (json!({}), "title", "required"),
    ] {
        let response = patch(body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
        assert_eq!(problem["errors"][0]["code"], code, "{body}");
    }
    assert_eq!(
        title().await.as_deref(),
        Some("前海甲级写字楼出租"),
        "unchanged"
    );
    let response = app
        .staff(
            reqwest::Method::PATCH,
            &key,
            &format!("/api/v1/articles/{}", uuid::Uuid::now_v7()),
        )
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/articles/{id}")))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"title": "x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // A later visitor still cannot rename it.
    let body = with(
        valid_inquiry(),
        &[
            ("article_url", json!(url)),
            ("article_title", json!("乱改")),
            ("phone", json!(phone_n(9))),
        ],
    );
    assert_eq!(app.post_json(&body).await.status(), 201);
    assert_eq!(title().await.as_deref(), Some("前海甲级写字楼出租"));
}

#[tokio::test]
async fn derived_tax_and_area_are_the_numbers_the_visitor_wrote_or_none() {
    let app = spawn_app().await;
    // (tax as typed, need as typed, tax_cny_per_year, area_sqm)
    let cases: [(&str, &str, Option<i64>, Option<f64>); 16] = [
        (
            "年纳税300多万",
            "求租厂房2000平方米",
            Some(3_000_000),
            Some(2000.0),
        ),
        (
            "三百万",
            "求租宝安区一楼厂房两千平左右",
            Some(3_000_000),
            Some(2000.0),
        ),
        (
            "一千万以上",
            "需要五十亩工业用地",
            Some(10_000_000),
            Some(33_333.33),
        ),
        (
            "500余万",
            "一万五千平方米仓库",
            Some(5_000_000),
            Some(15_000.0),
        ),
        ("300来万", "5000方的厂房", Some(3_000_000), Some(5000.0)),
        ("约300万", "面积约1.2万㎡", Some(3_000_000), Some(12_000.0)),
        (
            "300万左右",
            "两千多平米的仓库",
            Some(3_000_000),
            Some(2000.0),
        ),
        ("税收：500W+", "2000-3000平", Some(5_000_000), Some(2000.0)),
        ("1.2亿", "3亩", Some(120_000_000), Some(2000.0)),
        (
            "三到五百万",
            "求租写字楼300平米",
            Some(3_000_000),
            Some(300.0),
        ),
        ("贰佰万", "工业用地30亩", Some(2_000_000), Some(20_000.0)),
        ("面议", "求租厂房，方便看厂", None, None),
        ("待定", "层高8米以上", None, None),
        ("300万美元", "2栋厂房", None, None),
        ("年纳税500", "地方大一点", None, None),
        ("几百万", "电话13912345678", None, None),
    ];
    for (n, (tax, need, cny, sqm)) in cases.iter().enumerate() {
        let body = with(
            valid_inquiry(),
            &[
                ("tax", json!(tax)),
                ("need", json!(need)),
                ("phone", json!(phone_n(n))),
            ],
        );
        let row = stored(&app, &body).await;
        assert_eq!(row["tax_cny_per_year"].as_i64(), *cny, "tax {tax:?}");
        assert_eq!(row["area_sqm"].as_f64(), *sqm, "area {need:?}");
    }
    // Sales rank by it: `min_tax=3000000` finds every lead of three million and more, and only
    // those.
    let key = app.sales().await;
    let found = app
        .get_json(&key, "/api/v1/inquiries?min_tax=3000000&limit=200")
        .await;
    let expected = cases
        .iter()
        .filter(|c| c.2.is_some_and(|t| t >= 3_000_000))
        .count();
    assert_eq!(found["items"].as_array().unwrap().len(), expected);
}

#[tokio::test]
async fn a_long_ad_url_an_unusable_article_url_and_a_home_page_referer_still_attribute() {
    let app = spawn_app_with(|s| {
        s.intake.allowed_site_hosts = vec!["www.example.cn".parse().unwrap()];
    })
    .await;
    let post = |body: Value, referer: &'static str| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(app.url("/api/v1/inquiries"))
                .header("referer", referer)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201, "{body}");
            latest(app).await
        }
    };
    // Tencent's weixinadinfo and a long gclid make the URL longer than 2048 characters; its
    // canonical form is short and names the article.
    let long = format!(
        "https://www.example.cn/a/long.html?gclid={}&weixinadinfo={}",
        "C".repeat(1500),
        "9".repeat(1000)
    );
    let row = post(
        with(
            valid_inquiry(),
            &[("article_url", json!(long)), ("phone", json!(phone_n(0)))],
        ),
        "https://www.example.cn/a/long.html",
    )
    .await;
    assert!(row["article_id"].is_string(), "linked");
    assert_eq!(row["flags"], json!([]));
    assert_eq!(
        row["click_ids"]["gclid"].as_str().unwrap().len(),
        256,
        "kept, cut"
    );
    // An article_url that is no URL: the page that sent the form names the article.
    let row = post(
        with(
            valid_inquiry(),
            &[
                ("article_url", json!("about:blank")),
                ("phone", json!(phone_n(1))),
            ],
        ),
        "https://www.example.cn/a/3.html?bd_vid=4242",
    )
    .await;
    let article: String = sqlx::query_scalar("SELECT url FROM articles WHERE id = $1::uuid")
        .bind(row["article_id"].as_str().expect("linked by the Referer"))
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(article, "https://www.example.cn/a/3.html");
    assert_eq!(row["flags"], json!(["article_url_invalid"]));
    assert_eq!(
        row["click_ids"],
        json!({"bd_vid": "4242"}),
        "the Referer's click ID"
    );
    // No article_url and a home page: no article, but the ad click is kept.
    let mut body = valid_inquiry();
    body.as_object_mut().unwrap().remove("article_url");
    let row = post(
        with(body, &[("phone", json!(phone_n(2)))]),
        "https://www.example.cn/?bd_vid=777&utm_source=baidu",
    )
    .await;
    assert_eq!(row["article_id"], Value::Null);
    assert_eq!(row["click_ids"], json!({"bd_vid": "777"}));
    assert_eq!(row["utm_source"], "baidu");
}

#[tokio::test]
async fn emails_typed_with_chinese_punctuation_are_read_and_unmailable_ones_refused() {
    let app = spawn_app().await;
    for (n, (input, expected)) in [
        ("wang@qq。com", "wang@qq.com"),
        ("ｗａｎｇ＠１６３。ｃｏｍ", "wang@163.com"),
        ("li@example｡cn", "li@example.cn"),
        ("wang@example.cn、", "wang@example.cn"),
        ("wang@example.cn。", "wang@example.cn"),
        ("ＷＡＮＧ＠ＱＱ．ＣＯＭ", "WANG@qq.com"),
    ]
    .iter()
    .enumerate()
    {
        let body = with(
            valid_inquiry(),
            &[("email", json!(input)), ("phone", json!(phone_n(n)))],
        );
        assert_eq!(stored(&app, &body).await["email"], *expected, "{input}");
    }
    // The mailer could not write this as the Reply-To: the visitor is asked to fix it.
    for email in ["wang.@163.com", "wang@163", "wang@localhost"] {
        let body = with(valid_inquiry(), &[("email", json!(email))]);
        let response = app.post_json(&body).await;
        assert_eq!(response.status(), 422, "{email}");
    }
}

#[tokio::test]
async fn text_pasted_from_office_programs_is_read_not_refused() {
    let app = spawn_app().await;
    let cases = [
        (
            "need",
            "求租厂房\u{b}2000平方米",
            "求租厂房\n2000平方米",
            "Word's soft line break",
        ),
        (
            "message",
            "第一页\u{c}第二页",
            "第一页\n第二页",
            "a page break",
        ),
        (
            "contact",
            "王\t先生",
            "王 先生",
            "a tab from a spreadsheet cell",
        ),
        (
            "company",
            "珠海\t某某公司",
            "珠海 某某公司",
            "a tab in a one-line field",
        ),
        (
            "need",
            "需要：\t厂房",
            "需要：\t厂房",
            "a tab in a multi-line field stays",
        ),
    ];
    for (n, (field, input, expected, what)) in cases.iter().enumerate() {
        let body = with(
            valid_inquiry(),
            &[(field, json!(input)), ("phone", json!(phone_n(n)))],
        );
        assert_eq!(stored(&app, &body).await[field], *expected, "{what}");
    }
}

#[tokio::test]
async fn a_lead_rescued_from_spam_gets_the_article_spam_did_not_create() {
    let app = spawn_app().await;
    // A browser's autofill filled the honeypot: filed as spam, no article created.
    let body = with(
        valid_inquiry(),
        &[
            (
                "article_url",
                json!("https://www.example.cn/a/rescued.html?bd_vid=1"),
            ),
            ("website", json!("https://www.example.cn")),
        ],
    );
    let row = stored(&app, &body).await;
    assert_eq!(row["status"], "spam");
    assert_eq!(row["article_id"], Value::Null);
    assert_eq!(app.count("SELECT count(*) FROM articles").await, 0);

    let key = app.sales().await;
    let id = row["id"].as_str().unwrap();
    let response = app.patch_as(&key, id, &json!({"status": "new"})).await;
    assert_eq!(response.status(), 200);
    let detail: Value = response.json().await.unwrap();
    assert_eq!(
        detail["article"]["url"],
        "https://www.example.cn/a/rescued.html"
    );
    assert_eq!(
        detail["notifications"].as_array().unwrap().len(),
        1,
        "announced now"
    );
}

#[tokio::test]
async fn links_of_a_gbk_site_keep_their_bytes_and_their_pages_apart() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for (n, url) in [
        "https://www.example.cn/g/1.html?kw=%D6%D0&utm_source=%B0%D9%B6%C8",
        "https://www.example.cn/g/1.html?kw=%B9%FA",
        "https://www.example.cn/index.php?/article/12.html",
    ]
    .iter()
    .enumerate()
    {
        let body = with(
            valid_inquiry(),
            &[("article_url", json!(url)), ("phone", json!(phone_n(n)))],
        );
        let row = stored(&app, &body).await;
        assert!(!row.to_string().contains('\u{fffd}'), "{url}");
        ids.push(row["article_id"].as_str().unwrap().to_string());
        if n == 0 {
            assert_eq!(row["utm_source"], "百度", "a GBK UTM value read as GBK");
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "three pages, three articles");
    let urls: Vec<String> = sqlx::query_scalar("SELECT url FROM articles ORDER BY url")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(
        urls.contains(&"https://www.example.cn/index.php?/article/12.html".to_string()),
        "{urls:?}"
    );
    assert!(
        urls.contains(&"https://www.example.cn/g/1.html?kw=%D6%D0".to_string()),
        "{urls:?}"
    );
}
