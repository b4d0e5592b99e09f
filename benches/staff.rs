//! Staff reads at scale (issue 4): with 1,000,000 inquiries over 2,000 articles, latency of the
//! list endpoints and search through HTTP against the release binary, CSV export rate and the
//! server's memory. Run: `scripts/bench-staff`. Prints figures; asserts nothing about speed.
//! BENCH_ROWS overrides the row count (default 1,000,000); BENCH_KEEP_DB=1 keeps the database.

// Test and benchmark code may unwrap: a failure there is the run failing.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../tests/support/launcher.rs"]
mod launcher;

use std::time::{Duration, Instant};

use common::{percentile, record, rss_kib, Better};
use futures_util::StreamExt;
use inquiry_desk::routes::staff::query::{self, ListParams};
use inquiry_desk::storage::inquiries::{self, Position};
use sqlx::PgPool;

const ARTICLES: i64 = 2_000;
const SAMPLES: usize = 200;

async fn seed(pool: &PgPool, rows: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO articles (id, url, host, title)
         SELECT gen_random_uuid(), 'https://www.example.cn/article/' || n || '.html', 'www.example.cn',
                (ARRAY['高新区标准厂房出租','保税区仓库招租','工业用地出售','写字楼招商'])[1 + n % 4] || n
           FROM generate_series(1, $1) AS n",
    )
    .bind(ARTICLES)
    .execute(pool)
    .await?;
    let batch = 100_000;
    let mut start = 0;
    while start < rows {
        let end = (start + batch).min(rows);
        sqlx::query(
            "WITH a AS (SELECT array_agg(id ORDER BY url) AS ids FROM articles)
             INSERT INTO inquiries (id, status, need, use, tax, company, contact, phone,
                                    tax_cny_per_year, area_sqm, article_id, utm_source, received_at,
                                    search_keys)
             SELECT s.*, search_keys(inquiry_search_text(s.company, s.contact, s.need, s.use))
               FROM (
             SELECT gen_random_uuid(),
                    (ARRAY['new','new','new','contacted','qualified','won','lost','spam'])[1 + n % 8],
                    (ARRAY['求租','求购','寻找','急需'])[1 + n % 4]
                      || (ARRAY['高新区','保税区','金湾','斗门','香洲','南沙','前海','松山湖'])[1 + (n / 4) % 8]
                      || (ARRAY['标准厂房','仓库','办公室','工业用地','冷链仓储','研发楼'])[1 + (n / 32) % 6]
                      || (500 + n % 9500) || '平方米，'
                      || (ARRAY['层高8米','带卸货平台','可环评','近高速'])[1 + (n / 7) % 4],
                    (ARRAY['电子元器件组装','仓储物流','精密制造','新能源电池','食品加工','软件研发'])[1 + (n / 11) % 6],
                    '年纳税约' || (50 + n % 950) || '万',
                    (ARRAY['珠海','深圳','广州','佛山','东莞','中山'])[1 + n % 6]
                      || (ARRAY['华','盛','鑫','达','远','泰','宏','嘉'])[1 + (n / 6) % 8]
                      || (ARRAY['电子','科技','物流','制造','贸易','新材料'])[1 + (n / 48) % 6] || '有限公司',
                    (ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭'])[1 + n % 16]
                      || (ARRAY['总','经理','先生','女士','工'])[1 + (n / 16) % 5],
                    '+86139' || lpad(n::text, 8, '0'),
                    (50 + n % 950) * 10000,
                    500 + n % 9500,
                    a.ids[1 + (n * 7919) % array_length(a.ids, 1)],
                    (ARRAY['baidu','wechat','google',NULL])[1 + n % 4],
                    now() - make_interval(secs => (n::double precision * 63.0))
               FROM generate_series($1::bigint + 1, $2::bigint) AS n, a
                    ) AS s (id, status, need, use, tax, company, contact, phone, tax_cny_per_year,
                            area_sqm, article_id, utm_source, received_at)",
        )
        .bind(start)
        .bind(end)
        .execute(pool)
        .await?;
        start = end;
        eprintln!("seeded {end} inquiries");
    }
    inquiry_desk::storage::search::merge_pending(pool).await?;
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(())
}

async fn measure(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    path: &str,
) -> anyhow::Result<(f64, f64, usize)> {
    let mut latencies = Vec::with_capacity(SAMPLES);
    let mut items = 0;
    for i in 0..SAMPLES + 10 {
        let started = Instant::now();
        let response = client
            .get(format!("{base}{path}"))
            .bearer_auth(key)
            .send()
            .await?;
        anyhow::ensure!(response.status() == 200, "{path}: {}", response.status());
        let body: serde_json::Value = response.json().await?;
        if i >= 10 {
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        items = body["items"].as_array().map(|a| a.len()).unwrap_or(1);
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    Ok((
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
        items,
    ))
}

/// The ceiling: the same statements the endpoint runs, straight through sqlx (no HTTP, no key
/// check, no JSON). Returns (p50, p95) in ms.
async fn measure_direct(pool: &PgPool, path: &str) -> anyhow::Result<(f64, f64)> {
    let mut latencies = Vec::with_capacity(SAMPLES);
    let detail = path
        .strip_prefix("/api/v1/inquiries/")
        .and_then(|id| id.parse::<uuid::Uuid>().ok());
    let query_string = path.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let (query, _) =
        query::parse::<ListParams>(query_string).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let filter = query.filter();
    for i in 0..SAMPLES + 10 {
        let started = Instant::now();
        match detail {
            Some(id) => {
                let row = inquiries::get(pool, id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("gone"))?;
                inquiry_desk::storage::outbox::of_inquiry(pool, id).await?;
                inquiry_desk::storage::events::timeline(pool, id, 0, 100).await?;
                if let Some(phone) = &row.phone {
                    let here = Position {
                        received_at: row.received_at,
                        id: row.id,
                    };
                    inquiries::related(pool, phone, here).await?;
                }
            }
            None => {
                inquiries::page(pool, &filter, query.cursor, query.limit()).await?;
            }
        }
        if i >= 10 {
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    Ok((percentile(&latencies, 0.5), percentile(&latencies, 0.95)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: i64 = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut url = url::Url::parse(&admin_url)?;
    url.set_path(&format!("bench_staff_{rows}"));
    let database_url = url.to_string();

    let mut settings = inquiry_desk::settings::Settings::defaults()?;
    settings.database.url = secrecy::SecretString::from(database_url.clone());
    inquiry_desk::storage::connection::ensure_database(&settings.database).await?;
    let pool = inquiry_desk::storage::connection::pool(&settings.database)?;
    inquiry_desk::storage::connection::migrate(&pool).await?;
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM inquiries")
        .fetch_one(&pool)
        .await?;
    if existing != rows {
        sqlx::query("TRUNCATE inquiries, articles, inquiry_events, outbox, outbox_attempts, idempotency_keys CASCADE")
            .execute(&pool)
            .await?;
        let started = Instant::now();
        seed(&pool, rows).await?;
        eprintln!(
            "seeded {rows} rows in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    let (_, key) =
        inquiry_desk::keys::create(&pool, None, "bench", inquiry_desk::auth::Role::Admin).await?;

    let mut server =
        launcher::Service::start(env!("CARGO_BIN_EXE_inquiry-desk"), &database_url, None, &[])?;
    server
        .wait_ready(Duration::from_secs(60), Duration::from_millis(100))
        .await
        .map_err(anyhow::Error::msg)?;
    let port = server.port;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let idle_rss = rss_kib(server.pid(), "VmRSS:");

    // A position halfway down the list, for the deep keyset page.
    let (deep_at, deep_id): (chrono::DateTime<chrono::Utc>, uuid::Uuid) = sqlx::query_as(
        "SELECT received_at, id FROM inquiries ORDER BY received_at DESC, id DESC OFFSET $1 LIMIT 1",
    )
    .bind(rows / 2)
    .fetch_one(&pool)
    .await?;
    let deep_cursor = {
        let mut bytes = deep_at.timestamp_micros().to_be_bytes().to_vec();
        bytes.extend_from_slice(deep_id.as_bytes());
        hex::encode(bytes)
    };
    let article: String = sqlx::query_scalar(
        "SELECT article_id::text FROM inquiries WHERE status = 'new'
          GROUP BY article_id ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    let detail_id: String = sqlx::query_scalar("SELECT id::text FROM inquiries LIMIT 1")
        .fetch_one(&pool)
        .await?;
    let q = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();

    let cases = [
        ("first page (50)", "/api/v1/inquiries".to_string()),
        (
            "deep keyset page (row 500,000)",
            format!("/api/v1/inquiries?cursor={deep_cursor}"),
        ),
        (
            "status + article",
            format!("/api/v1/inquiries?status=new&article_id={article}"),
        ),
        (
            "article only",
            format!("/api/v1/inquiries?article_id={article}"),
        ),
        (
            "q, 2 chars: 王总",
            format!("/api/v1/inquiries?q={}", q("王总")),
        ),
        (
            "q, 2 chars: 电子",
            format!("/api/v1/inquiries?q={}", q("电子")),
        ),
        (
            "q, 4 chars: 冷链仓储",
            format!("/api/v1/inquiries?q={}", q("冷链仓储")),
        ),
        (
            "q, 4 chars: 精密制造",
            format!("/api/v1/inquiries?q={}", q("精密制造")),
        ),
        (
            "q, 2 chars, 1 row in 80: 郭工",
            format!("/api/v1/inquiries?q={}", q("郭工")),
        ),
        (
            "q, no match: 不存在",
            format!("/api/v1/inquiries?q={}", q("不存在")),
        ),
        (
            "q, digits of a phone: 0012345",
            format!("/api/v1/inquiries?q={}", q("0012345")),
        ),
        (
            "one inquiry's detail",
            format!("/api/v1/inquiries/{detail_id}"),
        ),
    ];
    println!("staff reads at scale: {rows} inquiries over {ARTICLES} articles, {SAMPLES} requests each, through HTTP");
    println!("| request | p50 | p95 | items | same SQL direct p50 | p95 |");
    println!("|---|---|---|---|---|---|");
    for (name, path) in &cases {
        let (p50, p95, items) = measure(&client, &base, &key, path).await?;
        let (d50, d95) = measure_direct(&pool, path).await?;
        println!("| {name} | {p50:.2} ms | {p95:.2} ms | {items} | {d50:.2} ms | {d95:.2} ms |");
        let aim = if name.starts_with("q") {
            "p95 < 50 ms"
        } else if name.starts_with("one") {
            ""
        } else {
            "p95 < 5 ms"
        };
        record(
            &format!("staff p95: {name}"),
            p95,
            "ms",
            Some(d95),
            Better::Lower,
            aim,
        );
    }

    // Export of every row: rate, and the server's memory sampled while it streams.
    let pid = server.pid();
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        loop {
            peak = peak.max(rss_kib(pid, "VmRSS:"));
            tokio::time::sleep(Duration::from_millis(25)).await;
            if peak == u64::MAX {
                return peak;
            }
        }
    });
    let started = Instant::now();
    let response = client
        .get(format!("{base}/api/v1/inquiries/export.csv"))
        .bearer_auth(&key)
        .send()
        .await?;
    let mut bytes = 0usize;
    let mut lines = 0usize;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        bytes += chunk.len();
        lines += chunk.iter().filter(|&&b| b == b'\n').count();
    }
    let export_secs = started.elapsed().as_secs_f64();
    let peak_during = {
        let peak = rss_kib(pid, "VmHWM:");
        sampler.abort();
        peak
    };
    // The ceiling: the same streaming query through sqlx, rows counted, nothing formatted.
    let started = Instant::now();
    let mut direct_rows = 0usize;
    let mut rows_stream = inquiries::stream_all(
        &pool,
        &inquiries::Filter::default(),
        Duration::from_secs(60),
    );
    while let Some(row) = rows_stream.next().await {
        row?;
        direct_rows += 1;
    }
    let direct_rate = direct_rows as f64 / started.elapsed().as_secs_f64();
    record(
        "CSV export, all rows",
        rows as f64 / export_secs,
        "rows/s",
        Some(direct_rate),
        Better::Higher,
        "> 100,000 rows/s",
    );
    record(
        "CSV export: server RSS before -> peak",
        peak_during as f64 / 1024.0,
        "MiB",
        Some(idle_rss as f64 / 1024.0),
        Better::Lower,
        "flat",
    );
    println!();
    println!("| figure | value |");
    println!("|---|---|");
    println!("| export: rows (CSV lines incl. header, multi-line cells add lines) | {lines} |");
    println!("| export: size | {:.1} MB |", bytes as f64 / 1e6);
    println!("| export: time | {export_secs:.1} s |");
    println!("| export rate | {:.0} rows/s |", rows as f64 / export_secs);
    println!(
        "| server RSS idle, before the export | {:.1} MiB |",
        idle_rss as f64 / 1024.0
    );
    println!(
        "| server peak RSS (VmHWM) after the export | {:.1} MiB |",
        peak_during as f64 / 1024.0
    );

    server.stop();
    if std::env::var("BENCH_KEEP_DB").is_err() {
        pool.close().await;
    }
    Ok(())
}
