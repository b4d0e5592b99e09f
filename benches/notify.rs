//! Notification benchmark (issue 3): drain rate of 10,000 queued messages to a local SMTP server,
//! and the latency from intake commit to the SMTP server's acceptance for single inquiries.
//! Run: `scripts/bench-notify` (or `cargo bench --bench notify` with PostgreSQL running and
//! aiosmtpd installed). Prints figures; asserts nothing about speed.

// Test and benchmark code may unwrap: a failure there is the run failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{percentile, record, Better, Sink};
use futures_util::StreamExt;
use inquiry_desk::domain::inquiry::{NewInquiry, Origin, RawFields};
use inquiry_desk::intake::{self, Submission};
use inquiry_desk::notify::{
    mail::MailRenderer,
    transport::Transport,
    worker::{Worker, WorkerOptions},
};
use inquiry_desk::settings::{Settings, SmtpTls};
use inquiry_desk::storage::intake_record::RequestMeta;
use secrecy::SecretString;
use tokio::sync::watch;

const QUEUED: i64 = 10_000;
const SINGLES: usize = 300;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut url = url::Url::parse(&admin)?;
    url.set_path(&format!("bench_notify_{}", uuid::Uuid::new_v4().simple()));

    let sink = Sink::start()?;
    let mut settings = Settings::defaults()?;
    settings.database.url = SecretString::from(url.to_string());
    settings.database.max_connections = 20;
    settings.notify.default_recipients =
        vec!["sales@example.cn".parse().map_err(anyhow::Error::msg)?];
    settings.notify.smtp.host = "127.0.0.1".into();
    settings.notify.smtp.port = sink.port;
    settings.notify.smtp.tls = SmtpTls::None;
    // Thousands of messages to one recipient: the flood guard would hold all but 120.
    settings.notify.max_per_hour = 0;
    inquiry_desk::storage::connection::ensure_database(&settings.database).await?;
    let pool = inquiry_desk::storage::connection::pool(&settings.database)?;
    let writers = inquiry_desk::storage::writers::Writers::new(&settings.database)?;
    inquiry_desk::storage::connection::migrate(&pool).await?;
    let mut options = WorkerOptions::default();
    if let Some(n) = std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        options.concurrency = n;
    }
    let worker = || -> anyhow::Result<Worker> {
        Ok(Worker::new(
            pool.clone(),
            Transport::from_settings(&settings.notify, options.concurrency as u32)?,
            MailRenderer::new(&settings)?,
            &settings.notify,
            options.clone(),
        ))
    };

    // 1. Drain: 10,000 queued rows.
    sqlx::query(
        "WITH i AS (
             INSERT INTO inquiries (id, need, contact, phone, company, tax, tax_cny_per_year, search_keys)
             SELECT gen_random_uuid(), '求租高新区标准厂房2000平方米，层高8米，电子元器件组装', '王总',
                    '+86139' || lpad(n::text, 8, '0'), '珠海某某电子有限公司', '年纳税约300万', 3000000,
                    search_keys(inquiry_search_text('珠海某某电子有限公司', '王总',
                                '求租高新区标准厂房2000平方米，层高8米，电子元器件组装', NULL))
               FROM generate_series(1, $1) AS n
             RETURNING id)
         INSERT INTO outbox (id, inquiry_id, recipient) SELECT gen_random_uuid(), id, 'sales@example.cn' FROM i",
    )
    .bind(QUEUED)
    .execute(&pool)
    .await?;
    let drainer = worker()?;
    let started = Instant::now();
    let sent = drainer.dispatch_pending().await?;
    let drain_secs = started.elapsed().as_secs_f64();
    let received = sink.count();
    let drain_rate = sent as f64 / drain_secs;

    // 2. Latency: single inquiries, one at a time, with the worker running as in `serve`
    // (woken by the intake in the same process).
    let (stop, shutdown) = watch::channel(false);
    let wakeup = inquiry_desk::notify::wakeup::Wakeup::new();
    let running = tokio::spawn(worker()?.woken_by(&wakeup).run(shutdown));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut commits = Vec::with_capacity(SINGLES);
    for n in 0..SINGLES {
        let pairs = vec![
            ("need".to_string(), "求租仓库3000平米".to_string()),
            ("contact".to_string(), "李经理".to_string()),
            ("phone".to_string(), format!("137{:08}", n)),
        ];
        let inquiry = NewInquiry::parse(
            &RawFields::from_pairs(pairs),
            &Origin::default(),
            &settings.intake,
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let meta = RequestMeta::default();
        let outcome = intake::record(
            &writers,
            &settings,
            &wakeup,
            Submission {
                inquiry: &inquiry,
                meta: &meta,
                spam_reason: None,
                idempotency_key: None,
            },
        )
        .await?;
        let committed_ns = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
        commits.push((outcome.id.to_string(), committed_ns));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink.count() < received + SINGLES && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true)?;
    running.await?;

    let mut accepted = std::collections::HashMap::new();
    for entry in std::fs::read_dir(&sink.dir)?.filter_map(Result::ok) {
        let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let at = raw
            .lines()
            .find_map(|l| l.strip_prefix("X-Accepted-At-Ns: "))
            .and_then(|v| v.trim().parse::<u128>().ok());
        let id = raw
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: <"))
            .map(|v| v[..36].to_string());
        if let (Some(at), Some(id)) = (at, id) {
            accepted.insert(id, at);
        }
    }
    let mut latencies: Vec<f64> = commits
        .iter()
        .filter_map(|(id, committed)| {
            accepted
                .get(id)
                .map(|at| (*at as f64 - *committed as f64) / 1e6)
        })
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));

    // Ceilings: the same rendered messages sent straight through the same transport, no
    // database: 10,000 with the worker's concurrency, then single ones one at a time.
    let renderer = MailRenderer::new(&settings)?;
    let transport = Transport::from_settings(&settings.notify, options.concurrency as u32)?;
    let mail = |n: usize| -> anyhow::Result<lettre::Message> {
        let inquiry = inquiry_desk::notify::mail::InquiryMail {
            r#use: None,
            tax: Some("年纳税约300万".into()),
            company: Some("珠海某某电子有限公司".into()),
            contact: Some("王总".into()),
            phone: Some(format!("+86136{n:08}")),
            email: None,
            wechat: None,
            message: None,
            tax_cny_per_year: Some(3_000_000),
            area_sqm: Some(2000.0),
            article_url: None,
            article_title: None,
            utm_source: None,
            ..inquiry_desk::notify::mail::InquiryMail::new(
                uuid::Uuid::now_v7(),
                "求租高新区标准厂房2000平方米，层高8米，电子元器件组装",
                chrono::Utc::now(),
            )
        };
        Ok(renderer.render(&inquiry, "sales@example.cn")?)
    };
    let messages = (0..QUEUED as usize)
        .map(mail)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = Instant::now();
    let failures = futures_util::stream::iter(messages)
        .map(|message| transport.send(message))
        .buffer_unordered(options.concurrency)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await;
    anyhow::ensure!(failures == 0, "{failures} direct sends failed");
    let direct_rate = QUEUED as f64 / started.elapsed().as_secs_f64();
    let mut direct = Vec::with_capacity(SINGLES);
    for n in 0..SINGLES {
        let message = mail(n)?;
        let started = Instant::now();
        transport
            .send(message)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        direct.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    direct.sort_by(|a, b| a.total_cmp(b));
    drop(sink);
    pool.close().await;

    println!(
        "notification benchmark ({} cores, worker concurrency {})",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        options.concurrency
    );
    println!("| figure | value |");
    println!("|---|---|");
    println!("| drain: messages sent / received by the SMTP server | {sent} / {received} |");
    println!("| drain: time for {QUEUED} queued messages | {drain_secs:.2} s |");
    println!("| drain rate | {drain_rate:.0} messages/s |");
    if latencies.is_empty() {
        println!("| commit → SMTP acceptance | no samples |");
    } else {
        println!(
            "| commit → SMTP acceptance, samples | {} of {SINGLES} |",
            latencies.len()
        );
        println!(
            "| commit → SMTP acceptance, median | {:.1} ms |",
            percentile(&latencies, 0.5)
        );
        println!(
            "| commit → SMTP acceptance, p99 | {:.1} ms |",
            percentile(&latencies, 0.99)
        );
        println!(
            "| commit → SMTP acceptance, max | {:.1} ms |",
            latencies[latencies.len() - 1]
        );
    }
    record(
        "notification drain, 10,000 queued",
        drain_rate,
        "msg/s",
        Some(direct_rate),
        Better::Higher,
        "> 300 msg/s",
    );
    record(
        "commit -> SMTP acceptance p50",
        percentile(&latencies, 0.5),
        "ms",
        Some(percentile(&direct, 0.5)),
        Better::Lower,
        "< 100 ms",
    );
    record(
        "commit -> SMTP acceptance p99",
        percentile(&latencies, 0.99),
        "ms",
        Some(percentile(&direct, 0.99)),
        Better::Lower,
        "",
    );
    Ok(())
}
