//! Notification benchmark (issue 3): drain rate of 10,000 queued messages to a local SMTP server,
//! and the latency from intake commit to the SMTP server's acceptance for single inquiries.
//! Run: `scripts/bench-notify` (or `cargo bench --bench notify` with PostgreSQL running and
//! aiosmtpd installed). Prints figures; asserts nothing about speed.

use std::io::BufRead;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use inquiry_desk::domain::inquiry::{NewInquiry, Origin, RawFields};
use inquiry_desk::intake::{self, Submission};
use inquiry_desk::notify::{
    mail::MailRenderer,
    transport::Transport,
    worker::{Worker, WorkerOptions},
};
use inquiry_desk::settings::{Settings, SmtpTls};
use inquiry_desk::storage::intake::RequestMeta;
use secrecy::SecretString;
use tokio::sync::watch;

const QUEUED: i64 = 10_000;
const SINGLES: usize = 300;

struct Sink {
    port: u16,
    dir: std::path::PathBuf,
    child: std::process::Child,
}

fn start_sink() -> Sink {
    let dir = std::env::temp_dir().join(format!("inquiry-desk-bench-{}", uuid::Uuid::new_v4()));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
    let mut child = std::process::Command::new("python3")
        .args([script, dir.to_str().unwrap(), "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with aiosmtpd");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().trim_start_matches("PORT ").parse().unwrap();
    Sink { port, dir, child }
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .count()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut url = url::Url::parse(&admin)?;
    url.set_path(&format!("bench_notify_{}", uuid::Uuid::new_v4().simple()));

    let mut sink = start_sink();
    let mut settings = Settings::defaults()?;
    settings.database.url = SecretString::from(url.to_string());
    settings.database.max_connections = 20;
    settings.notify.default_recipients =
        vec!["sales@example.cn".parse().map_err(anyhow::Error::msg)?];
    settings.notify.smtp.host = "127.0.0.1".into();
    settings.notify.smtp.port = sink.port;
    settings.notify.smtp.tls = SmtpTls::None;
    inquiry_desk::db::ensure_database(&settings.database).await?;
    let pool = inquiry_desk::db::pool(&settings.database)?;
    inquiry_desk::db::migrate(&pool).await?;
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
             INSERT INTO inquiries (id, need, contact, phone, company, tax, tax_cny_per_year)
             SELECT gen_random_uuid(), '求租高新区标准厂房2000平方米，层高8米，电子元器件组装', '王总',
                    '+86139' || lpad(n::text, 8, '0'), '珠海某某电子有限公司', '年纳税约300万', 3000000
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
    let received = count_files(&sink.dir);
    let drain_rate = sent as f64 / drain_secs;

    // 2. Latency: single inquiries, one at a time, with the worker running as in `serve`.
    let (stop, shutdown) = watch::channel(false);
    let running = tokio::spawn(worker()?.run(shutdown));
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
            &pool,
            &settings,
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
    while count_files(&sink.dir) < received + SINGLES && Instant::now() < deadline {
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
    let _ = sink.child.kill();
    let _ = std::fs::remove_dir_all(&sink.dir);
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
    Ok(())
}
