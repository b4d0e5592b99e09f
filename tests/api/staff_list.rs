//! The lead list: newest first, keyset pages that neither skip nor repeat, every filter, search
//! that works for Chinese.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::{ids_of, spawn_app, valid_inquiry, with};

fn phone(n: usize) -> String {
    format!("1390000{n:04}")
}

#[tokio::test]
async fn pages_are_newest_first_and_never_skip_or_repeat_while_inquiries_keep_arriving() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let mut originals = Vec::new();
    for n in 0..25 {
        originals.push(
            app.submit(&with(valid_inquiry(), &[("phone", json!(phone(n)))]))
                .await,
        );
    }
    // Same received_at for several rows: the id breaks the tie.
    sqlx::query("UPDATE inquiries SET received_at = date_trunc('second', received_at)")
        .execute(&app.pool)
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut extra = 100;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=7&cursor={c}"),
            None => "limit=7".to_string(),
        };
        let page = app
            .get_json(&sales, &format!("/api/v1/inquiries?{query}"))
            .await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_string()));
        // New inquiries arrive between pages.
        for _ in 0..3 {
            app.submit(&with(valid_inquiry(), &[("phone", json!(phone(extra)))]))
                .await;
            extra += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no row repeated");
    for id in &originals {
        assert!(seen.contains(id), "{id} skipped");
    }
    let order: Vec<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> = {
        let mut rows = Vec::new();
        for id in &seen {
            let row: (chrono::DateTime<chrono::Utc>, uuid::Uuid) =
                sqlx::query_as("SELECT received_at, id FROM inquiries WHERE id = $1::uuid")
                    .bind(id)
                    .fetch_one(&app.pool)
                    .await
                    .unwrap();
            rows.push(row);
        }
        rows
    };
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(order, sorted, "newest first, id as tie-breaker");
}

#[tokio::test]
async fn the_list_carries_the_fields_of_the_detail_and_limits_are_checked() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    app.submit(&valid_inquiry()).await;
    let page = app.get_json(&sales, "/api/v1/inquiries").await;
    let item = &page["items"][0];
    assert_eq!(item["phone"], "+8613912345678");
    assert_eq!(item["article"]["title"], "高新区标准厂房出租");
    assert_eq!(item["attribution"]["utm_source"], "baidu");
    assert!(item.get("timeline").is_none());
    assert_eq!(page["next_cursor"], Value::Null);
    for bad in [
        "limit=0",
        "limit=201",
        "limit=x",
        "cursor=zz",
        "status=open",
        "from=yesterday",
    ] {
        let response = app
            .get_as(&sales, &format!("/api/v1/inquiries?{bad}"))
            .await;
        assert_eq!(response.status(), 422, "{bad}");
        let problem: Value = response.json().await.unwrap();
        let name = bad.split('=').next().unwrap();
        assert_eq!(problem["errors"][0]["field"], name, "{bad}");
    }
}

#[tokio::test]
async fn every_filter_narrows_the_list() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let a = app
        .submit(&with(
            valid_inquiry(),
            &[
                ("tax", json!("年纳税500万")),
                ("article_url", json!("https://www.example.cn/a.html")),
            ],
        ))
        .await;
    let b = app
        .submit(&with(
            valid_inquiry(),
            &[
                ("phone", json!("+852 9123 4567")),
                ("tax", json!("50万")),
                ("company", json!("Acme Logistics 物流")),
                ("article_url", json!("https://www.example.cn/b.html")),
            ],
        ))
        .await;
    let c = app
        .submit(&with(
            valid_inquiry(),
            &[
                ("phone", json!("13700137000")),
                ("need", json!("求购工业用地30亩")),
                ("tax", json!("待定")),
            ],
        ))
        .await;
    sqlx::query("UPDATE inquiries SET status = 'contacted', assignee = '张三' WHERE id = $1::uuid")
        .bind(&b)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE inquiries SET received_at = '2026-01-01T00:00:00Z' WHERE id = $1::uuid")
        .bind(&c)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE outbox SET state = 'dead' WHERE inquiry_id = $1::uuid")
        .bind(&a)
        .execute(&app.pool)
        .await
        .unwrap();
    let article_a: String =
        sqlx::query_scalar("SELECT article_id::text FROM inquiries WHERE id = $1::uuid")
            .bind(&a)
            .fetch_one(&app.pool)
            .await
            .unwrap();

    let mut cases: Vec<(String, Vec<&String>)> = vec![
        ("status=contacted".into(), vec![&b]),
        ("status=new,contacted".into(), vec![&a, &b, &c]),
        (format!("article_id={article_a}"), vec![&a]),
        ("phone=%2B85291234567".into(), vec![&b]),
        ("phone=852%209123%204567".into(), vec![&b]),
        ("phone=137-0013-7000".into(), vec![&c]),
        ("assignee=%E5%BC%A0%E4%B8%89".into(), vec![&b]),
        ("min_tax=1000000".into(), vec![&a]),
        ("min_tax=500000".into(), vec![&a, &b]),
        ("notification=dead".into(), vec![&a]),
        (
            "from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:01Z".into(),
            vec![&c],
        ),
        ("to=2026-01-01T00:00:00Z".into(), vec![]),
        ("q=acme".into(), vec![&b]),
        ("q=ACME%20logistics".into(), vec![&b]),
        ("q=85291".into(), vec![&b]),
        ("q=0013".into(), vec![&c]),
    ];
    cases.push(("q=%E5%B7%A5%E4%B8%9A%E7%94%A8%E5%9C%B0".into(), vec![&c])); // 工业用地
    for (query, expected) in cases {
        let mut got = ids_of(&app, &sales, &query).await;
        got.sort();
        let mut expected: Vec<String> = expected.into_iter().cloned().collect();
        expected.sort();
        assert_eq!(got, expected, "{query}");
    }
}

#[tokio::test]
async fn search_finds_one_two_and_four_character_chinese_and_mixed_text() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let rows = [
        ("王总", "深圳电子科技有限公司", "求租电子厂房3000平"),
        ("李经理", "佛山仓储物流", "需要仓储空间，冷链"),
        ("王小明", "ABC Trading 贸易", "office 200sqm"),
        ("陈总", "珠海精密制造", "求购工业用地50亩"),
    ];
    let mut ids = Vec::new();
    for (n, (contact, company, need)) in rows.iter().enumerate() {
        let body = with(
            valid_inquiry(),
            &[
                ("contact", json!(contact)),
                ("company", json!(company)),
                ("need", json!(need)),
                ("use", json!("")),
                ("phone", json!(phone(n))),
            ],
        );
        ids.push(app.submit(&body).await);
    }
    let cases: [(&str, Vec<usize>); 11] = [
        ("王", vec![0, 2]),
        ("总", vec![0, 3]),
        ("王总", vec![0]),
        ("电子", vec![0]),
        ("仓储", vec![1]),
        ("工业用地", vec![3]),
        ("精密制造", vec![3]),
        ("abc trading", vec![2]),
        ("200sqm", vec![2]),
        ("电子厂房3000", vec![0]),
        ("不存在", vec![]),
    ];
    for (q, expected) in cases {
        let query = format!(
            "q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        let mut got = ids_of(&app, &sales, &query).await;
        got.sort();
        let mut want: Vec<String> = expected.iter().map(|&i| ids[i].clone()).collect();
        want.sort();
        assert_eq!(got, want, "q={q}");
    }
    // LIKE wildcards in the query are text, not patterns.
    assert!(ids_of(&app, &sales, "q=%25").await.is_empty());
    assert!(ids_of(&app, &sales, "q=_").await.is_empty());
}

#[tokio::test]
async fn search_pages_are_complete_whether_matches_are_recent_or_old() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    // One old match buried under 6,000 newer non-matching rows (beyond the recent scan), and
    // five recent matches.
    let old = app
        .submit(&with(
            valid_inquiry(),
            &[
                ("company", json!("稀有名称公司")),
                ("phone", json!(phone(1))),
            ],
        ))
        .await;
    sqlx::query(
        "UPDATE inquiries SET received_at = now() - interval '30 days' WHERE id = $1::uuid",
    )
    .bind(&old)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO inquiries (id, need, contact, phone, received_at, search_keys)
         SELECT gen_random_uuid(), '求租仓库' || n, '某人', '+86138' || lpad(n::text, 8, '0'),
                now() - make_interval(secs => n),
                search_keys(inquiry_search_text(NULL, '某人', '求租仓库' || n, NULL))
           FROM generate_series(1, 6000) AS n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        ids_of(&app, &sales, "q=%E7%A8%80%E6%9C%89").await,
        vec![old.clone()],
        "稀有"
    );

    let mut recent = Vec::new();
    for n in 10..15 {
        recent.push(
            app.submit(&with(
                valid_inquiry(),
                &[("company", json!("常见词公司")), ("phone", json!(phone(n)))],
            ))
            .await,
        );
    }
    recent.reverse(); // newest first
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(
                &sales,
                &format!("/api/v1/inquiries?q=%E5%B8%B8%E8%A7%81&limit=2&cursor={cursor}"),
            )
            .await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, recent, "常见: every match once, newest first");
}
