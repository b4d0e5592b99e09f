//! Intake, footprint and scaling benchmark (issue 6), each figure beside its ceiling measured in
//! the same run: the release binary against a fresh database, loaded over loopback by a small
//! HTTP/1.1 client of ours (keep-alive, unique ~450-byte Chinese JSON bodies), and pgbench
//! running the very call of the intake (`storage::intake_record::RECORD_SQL`, prepared once per
//! connection, values generated in SQL) at the same client counts.
//! Run with `scripts/bench` (or `cargo bench --bench suite`). Prints figures; asserts nothing.
//! BENCH_SECONDS (default 10) is the length of each timed run, BENCH_ROUNDS (default 3) how
//! often each comparison is repeated, interleaved. BENCH_BINARY=<path> measures another build of
//! the service (the commit before a change) with this same harness and pgbench script. With
//! channels configured in the environment (`INQUIRY_DESK__NOTIFY__CHANNELS` and
//! `…__DEFAULT_CHANNELS`), pgbench writes their outbox rows too, as the service does.

// Test and benchmark code may unwrap: a failure there is the run failing.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../tests/support/launcher.rs"]
mod launcher;

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{cpu_secs, median, percentile, record, rss_kib, Better, Sink};
use inquiry_desk::domain::search;
use inquiry_desk::storage::intake_record::RECORD_SQL;
use launcher::Service;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DATABASE: &str = "bench_suite";
const ARTICLES: u64 = 200;
const RATE: u64 = 1_000;

/// Unique phones for the service's requests: 139 followed by eight digits.
static NEXT_PHONE: AtomicU64 = AtomicU64::new(0);

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const NEED: &str = "求租深圳宝安区单层厂房，面积约2000平方米，层高8米以上，需要配备10吨行车";
const USE: &str = "精密电子元件组装与成品仓储";
const TAX: &str = "年纳税约500万元";
const COMPANY: &str = "深圳市华信精密电子有限公司";
const CONTACT: &str = "王总";
const EMAIL: &str = "wang@huaxin-tech.cn";
const MESSAGE: &str = "希望下周安排看厂，谢谢";
const TITLE: &str = "宝安区标准厂房出租";

/// A realistic inquiry (about 450 bytes) with a phone used by no other request.
fn body() -> String {
    let n = NEXT_PHONE.fetch_add(1, Ordering::Relaxed);
    let article = n % ARTICLES + 1;
    serde_json::json!({
        "need": NEED, "use": USE, "tax": TAX, "company": COMPANY, "contact": CONTACT,
        "phone": format!("139{:08}", n % 100_000_000), "email": EMAIL, "message": MESSAGE,
        "article_url": format!("https://www.example.cn/articles/{article}"),
        "article_title": format!("{TITLE}{article}"),
        "utm_source": "wechat", "utm_medium": "social", "utm_campaign": "2026q4", "consent": true,
    })
    .to_string()
}

fn post_request(body: &str) -> Vec<u8> {
    format!(
        "POST /api/v1/inquiries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nUser-Agent: inquiry-desk-bench\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One keep-alive HTTP/1.1 connection: writes a request, reads one response by Content-Length.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// When it was opened or last answered: the server closes idle connections after 5 s.
    last: Instant,
}

impl Conn {
    async fn open(port: u16) -> std::io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(4096),
            last: Instant::now(),
        })
    }

    async fn send(&mut self, request: &[u8]) -> anyhow::Result<u16> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end])?;
                let status: u16 = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("bad status line"))?;
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while self.buf.len() < end + 4 + length {
                    self.read_more().await?;
                }
                self.last = Instant::now();
                return Ok(status);
            }
            self.read_more().await?;
        }
    }

    async fn read_more(&mut self) -> anyhow::Result<()> {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "connection closed");
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// Starts `binary` (this build's unless another is named) as the intake figures measure it:
/// through the shared launcher, with one default recipient, so every inquiry queues its email
/// as in production.
fn start(
    binary: Option<&str>,
    database_url: &str,
    extra: &[(&str, String)],
) -> anyhow::Result<Service> {
    let default = std::env::var("BENCH_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_inquiry-desk").to_string());
    let binary = binary.unwrap_or(&default);
    let mut env = vec![(
        "INQUIRY_DESK__NOTIFY__DEFAULT_RECIPIENTS",
        "sales@example.cn".to_string(),
    )];
    env.extend(extra.iter().cloned());
    Ok(Service::start(binary, database_url, None, &env)?)
}

/// Polls `/readyz` every 2 ms; the time until it answered 200.
async fn ready(service: &mut Service) -> anyhow::Result<Duration> {
    service
        .wait_ready(Duration::from_secs(60), Duration::from_millis(2))
        .await
        .map_err(anyhow::Error::msg)
}

/// Closed loop: `connections` clients post back to back for `secs` (after a one-second warm-up
/// that is not counted), spread over the ports. Requests per second answered 201.
async fn closed_loop(ports: &[u16], connections: usize, secs: u64) -> anyhow::Result<f64> {
    let warm = Instant::now() + Duration::from_secs(1);
    let end = warm + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for i in 0..connections {
        let port = ports[i % ports.len()];
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(port).await?;
            let (mut ok, mut failed) = (0u64, 0u64);
            loop {
                let request = post_request(&body());
                let status = conn.send(&request).await?;
                let now = Instant::now();
                if now >= end {
                    break;
                }
                if now >= warm {
                    if status == 201 {
                        ok += 1
                    } else {
                        failed += 1
                    }
                }
            }
            anyhow::Ok((ok, failed))
        }));
    }
    let (mut ok, mut failed) = (0, 0);
    for task in tasks {
        let (o, f) = task.await??;
        ok += o;
        failed += f;
    }
    anyhow::ensure!(failed == 0, "{failed} requests were not answered 201");
    Ok(ok as f64 / secs as f64)
}

/// Open loop: `rate` requests per second for `secs`, each sent at its scheduled time whatever
/// the earlier ones are doing (a new connection when none is free), its latency counted from
/// that scheduled time. Returns every request's scheduled time (Unix ms) and latency (ms).
async fn open_loop(port: u16, rate: u64, secs: u64) -> anyhow::Result<Vec<(f64, f64)>> {
    let idle: Arc<std::sync::Mutex<Vec<Conn>>> = Arc::default();
    for _ in 0..16 {
        let conn = Conn::open(port).await?;
        idle.lock().unwrap().push(conn);
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<anyhow::Result<(f64, f64)>>();
    let total = rate * secs;
    let start = Instant::now() + Duration::from_millis(100);
    let start_unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs_f64()
        * 1000.0
        + 100.0;
    let mut next = 0u64;
    while next < total {
        let now = Instant::now();
        while next < total {
            let at = start + Duration::from_secs_f64(next as f64 / rate as f64);
            if at > now {
                break;
            }
            next += 1;
            let (idle, tx) = (idle.clone(), tx.clone());
            tokio::spawn(async move {
                let request = post_request(&body());
                let conn = idle
                    .lock()
                    .unwrap()
                    .pop()
                    .filter(|c| c.last.elapsed() < Duration::from_secs(2));
                let result = async {
                    // A pooled connection may have been closed by the server's keep-alive
                    // timeout while it sat idle: then the request goes on a fresh one.
                    let (conn, status) = match conn {
                        Some(mut conn) => match conn.send(&request).await {
                            Ok(status) => (conn, status),
                            Err(_) => {
                                let mut conn = Conn::open(port).await?;
                                let status = conn.send(&request).await?;
                                (conn, status)
                            }
                        },
                        None => {
                            let mut conn = Conn::open(port).await?;
                            let status = conn.send(&request).await?;
                            (conn, status)
                        }
                    };
                    let latency = at.elapsed().as_secs_f64() * 1000.0;
                    idle.lock().unwrap().push(conn);
                    anyhow::ensure!(status == 201, "status {status}");
                    Ok(((at - start).as_secs_f64() * 1000.0, latency))
                }
                .await;
                let _ = tx.send(result);
            });
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    drop(tx);
    let mut requests = Vec::with_capacity(total as usize);
    while let Some(result) = rx.recv().await {
        requests.push(result?);
    }
    for request in &mut requests {
        request.0 += start_unix_ms;
    }
    Ok(requests)
}

/// How a latency run went: p50 and p99, and whether its slow requests (over 15 ms) came one by
/// one or together — counted in 100 ms windows of their start times: when a few windows hold
/// most of them, the run had stalls rather than a slow average. Writes every request's start
/// (Unix ms) and latency (ms) to `trace` as CSV (`target/bench/`), to look at them.
struct LatencyRun {
    p50: f64,
    p99: f64,
    slow: usize,
    slow_windows: usize,
    windows: usize,
}

impl LatencyRun {
    fn new(mut requests: Vec<(f64, f64)>, trace: &std::path::Path) -> anyhow::Result<Self> {
        anyhow::ensure!(!requests.is_empty(), "no requests were timed");
        requests.sort_by(|a, b| a.0.total_cmp(&b.0));
        let csv: String = requests
            .iter()
            .map(|(start, latency)| format!("{start:.3},{latency:.3}\n"))
            .collect();
        std::fs::write(trace, format!("start_unix_ms,latency_ms\n{csv}"))?;
        let first = requests[0].0;
        let window = |start: f64| ((start - first) / 100.0) as u64;
        let slow: Vec<u64> = requests
            .iter()
            .filter(|r| r.1 > 15.0)
            .map(|r| window(r.0))
            .collect();
        let slow_windows: std::collections::HashSet<u64> = slow.iter().copied().collect();
        let mut latencies: Vec<f64> = requests.iter().map(|r| r.1).collect();
        latencies.sort_by(|a, b| a.total_cmp(b));
        Ok(Self {
            p50: percentile(&latencies, 0.5),
            p99: percentile(&latencies, 0.99),
            slow: slow.len(),
            slow_windows: slow_windows.len(),
            windows: requests.last().map_or(0, |r| window(r.0) + 1) as usize,
        })
    }

    fn describe(&self) -> String {
        format!(
            "p50 {:.2} ms p99 {:.2} ms, {} over 15 ms in {} of {} 100-ms windows",
            self.p50, self.p99, self.slow, self.slow_windows, self.windows
        )
    }
}

/// A fresh UUIDv7 computed in SQL, as the service makes them (time-ordered, so inserts land at
/// the right-hand end of the indexes just as the service's do).
const UUID_V7_SQL: &str = "(lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid";

fn sql_text(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The pgbench script: the intake's one call ([`RECORD_SQL`]), prepared by pgbench once per
/// connection (`-M prepared`) as sqlx prepares it, with the same values the service's requests
/// carry; the ids are made in SQL, the phones from pgbench's counters.
fn pgbench_script() -> String {
    let phone = "'+86' || (:base::bigint + :client_id * 1000000 + :n)::text";
    let url = "'https://www.example.cn/articles/' || :art";
    let payload = serde_json::json!({"need": NEED, "contact": CONTACT}).to_string();
    // The service computes the search keys; the script passes the same array.
    let keys = search::keys(&search::text(Some(COMPANY), Some(CONTACT), NEED, Some(USE)));
    let title = format!("{} || :art", sql_text(TITLE));
    let lock_key = format!("'inquiry|' || {phone} || '|' || {url}");
    // The inquiry record as the service binds it: JSON text, its id and phone spliced in.
    let record = serde_json::json!({
        "id": "ID", "status": "new", "need": NEED, "use": USE, "tax": TAX, "company": COMPANY,
        "contact": CONTACT, "phone": "PHONE", "email": EMAIL, "wechat": null, "message": MESSAGE,
        "utm_source": "wechat", "utm_medium": "social", "utm_campaign": "2026q4",
        "utm_term": null, "utm_content": null, "landing_url": null, "click_ids": {},
        "referrer": null, "flags": [], "consent": true, "tax_cny_per_year": 5000000,
        "area_sqm": 2000.0, "client_ip": "127.0.0.1", "user_agent": "inquiry-desk-bench",
        "privacy_notice_version": null, "spam_reason": null, "search_keys": keys,
    })
    .to_string();
    // A space after each `:` of the JSON: pgbench reads `:null`, `:true` as its variables.
    let record = sql_text(&record.replace("\":", "\": "))
        .replace("\"ID\"", &format!("\"' || ({UUID_V7_SQL})::text || '\""))
        .replace("\"PHONE\"", &format!("\"' || {phone} || '\""));
    let recipients = recipients();
    let args: [&str; 12] = [
        &record,
        &lock_key,
        UUID_V7_SQL,
        url,
        "'www.example.cn'",
        &title,
        "86400",
        &sql_text(&payload),
        "'{\"spam_reason\": null}'",
        &format!("ARRAY[{}]", vec![UUID_V7_SQL; recipients.len()].join(", ")),
        &format!("ARRAY[{}]", recipients.join(", ")),
        "'5f2c9a0e81d4b7a3'",
    ];
    let mut call = RECORD_SQL.to_string();
    for (n, arg) in args.iter().enumerate().rev() {
        call = call.replace(&format!("${}::", n + 1), &format!("({arg})::"));
    }
    format!("\\set n :n + 1\n\\set art random(1, {ARTICLES})\n{call};\n")
}

/// The recipients the service writes an outbox row for per inquiry, as SQL literals: the email
/// one, and `channel:<name>` for each channel of `INQUIRY_DESK__NOTIFY__DEFAULT_CHANNELS` (a run
/// with channels configured), so pgbench does the same work.
fn recipients() -> Vec<String> {
    let channels = std::env::var("INQUIRY_DESK__NOTIFY__DEFAULT_CHANNELS").unwrap_or_default();
    let recipients: Vec<String> = std::iter::once("'sales@example.cn'".to_string())
        .chain(
            channels
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                // `chr(58)` is the colon: pgbench would read `:name` as one of its variables.
                .map(|c| format!("'channel' || chr(58) || {}", sql_text(c))),
        )
        .collect();
    recipients
}

struct Pgbench {
    script: std::path::PathBuf,
    url: url::Url,
    runs: u64,
}

impl Pgbench {
    fn new(database_url: &str) -> anyhow::Result<Self> {
        let script =
            std::env::temp_dir().join(format!("inquiry-desk-intake-{}.sql", std::process::id()));
        std::fs::write(&script, pgbench_script())?;
        Ok(Self {
            script,
            url: url::Url::parse(database_url)?,
            runs: 0,
        })
    }

    /// Runs the script; with `rate`, throttled to it and logging every transaction. Returns
    /// transactions per second and, when logged, every transaction's scheduled start (Unix ms)
    /// and latency (ms, counted from that start as pgbench does under `-R`).
    fn run(
        &mut self,
        clients: usize,
        secs: u64,
        rate: Option<u64>,
    ) -> anyhow::Result<(f64, Vec<(f64, f64)>)> {
        self.runs += 1;
        let log_dir =
            std::env::temp_dir().join(format!("inquiry-desk-pgbench-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&log_dir)?;
        let mut command = Command::new("pgbench");
        command
            .current_dir(&log_dir)
            // As the service connects to a loopback database: without TLS.
            .env("PGSSLMODE", "disable")
            .args(["-n", "-M", "prepared", "-j", "2"])
            .args(["-h", self.url.host_str().unwrap_or("127.0.0.1")])
            .args(["-p", &self.url.port().unwrap_or(5432).to_string()])
            .args([
                "-U",
                if self.url.username().is_empty() {
                    "postgres"
                } else {
                    self.url.username()
                },
            ])
            .args(["-c", &clients.to_string(), "-T", &secs.to_string()])
            .args(["-D", "n=0"])
            // Phones 138…, never the service's 139…, and never one of an earlier run.
            .args([
                "-D",
                &format!("base={}", 13_800_000_000u64 + self.runs * 65_000_000),
            ])
            .arg("-f")
            .arg(&self.script);
        if let Some(rate) = rate {
            command.args(["-R", &rate.to_string(), "-l", "--log-prefix", "tx"]);
        }
        command.arg(self.url.path().trim_start_matches('/'));
        let output = command.output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        anyhow::ensure!(
            output.status.success() && stdout.contains("number of failed transactions: 0"),
            "pgbench failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tps = stdout
            .lines()
            .find_map(|l| l.strip_prefix("tps = "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no tps in pgbench's output"))?;
        let mut transactions = Vec::new();
        for entry in std::fs::read_dir(&log_dir)?.filter_map(Result::ok) {
            for line in std::fs::read_to_string(entry.path())?.lines() {
                // client transaction time_us script end_epoch end_epoch_us lag_us
                let fields: Vec<f64> = line.split(' ').filter_map(|v| v.parse().ok()).collect();
                if let [_, _, us, _, end_s, end_us, ..] = fields[..] {
                    let latency = us / 1000.0;
                    transactions.push((end_s * 1000.0 + end_us / 1000.0 - latency, latency));
                }
            }
        }
        let _ = std::fs::remove_dir_all(&log_dir);
        Ok((tps, transactions))
    }
}

impl Drop for Pgbench {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.script);
    }
}

async fn fresh_database() -> anyhow::Result<String> {
    let url = common::recreate_database(DATABASE).await?;
    // Another build migrates with its own migrations (it would refuse a schema from later ones).
    if let Ok(binary) = std::env::var("BENCH_BINARY") {
        let status = Command::new(&binary)
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .env_remove("APP_ENV")
            .status()?;
        anyhow::ensure!(status.success(), "{binary} migrate failed");
        return Ok(url);
    }
    let pool = sqlx::PgPool::connect(&url).await?;
    inquiry_desk::storage::connection::migrate(&pool).await?;
    pool.close().await;
    Ok(url)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secs = env_u64("BENCH_SECONDS", 10);
    let rounds = env_u64("BENCH_ROUNDS", 3);
    let database_url = fresh_database().await?;
    let mut pgbench = Pgbench::new(&database_url)?;
    println!(
        "intake, footprint, scaling: {secs} s runs, {rounds} interleaved rounds, body {} bytes",
        body().len()
    );

    // Footprint: binary, start-up to ready on a migrated database, idle memory.
    let binary = std::fs::metadata(env!("CARGO_BIN_EXE_inquiry-desk"))?.len();
    let mut startups = Vec::new();
    for _ in 0..3 {
        let mut service = start(None, &database_url, &[])?;
        startups.push(ready(&mut service).await?.as_secs_f64() * 1000.0);
        service.stop();
    }
    let mut service = start(None, &database_url, &[])?;
    ready(&mut service).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_kib(service.pid(), "VmRSS:") as f64 / 1024.0;

    // A warm-up of each (not counted): caches, prepared statements, the pool's connections.
    closed_loop(&[service.port], 16, 3).await?;
    pgbench.run(16, 3, None)?;

    // BENCH_PROFILE=<seconds>: only load the service at 16 connections for that long (to
    // attach a profiler to the printed pid), then stop.
    if let Some(profile) = std::env::var("BENCH_PROFILE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        println!(
            "profile: service pid {}, {profile} s at 16 connections",
            service.pid()
        );
        let rate = closed_loop(&[service.port], 16, profile).await?;
        println!("profile: {rate:.0} req/s");
        // BENCH_COMPARE=<another build of the binary>: then BENCH_ROUNDS alternating runs of
        // both at 16 connections on this database, so a change is measured against its
        // predecessor in the same minutes.
        if let Ok(other) = std::env::var("BENCH_COMPARE") {
            let mut other = start(Some(&other), &database_url, &[])?;
            ready(&mut other).await?;
            closed_loop(&[other.port], 16, 3).await?;
            // Each run's rate and the service's CPU time per request (which noise moves less).
            let run = |port: u16, pid: u32| async move {
                let cpu = cpu_secs(pid);
                let rate = closed_loop(&[port], 16, profile).await?;
                let per_request = (cpu_secs(pid) - cpu) * 1e6 / (rate * (profile + 1) as f64);
                anyhow::Ok((rate, per_request))
            };
            for round in 0..rounds {
                let (this, this_cpu) = run(service.port, service.pid()).await?;
                let (that, that_cpu) = run(other.port, other.pid()).await?;
                println!(
                    "compare round {round}: this build {this:.0} req/s, {this_cpu:.0} µs CPU/request; \
                     BENCH_COMPARE {that:.0} req/s, {that_cpu:.0} µs CPU/request"
                );
            }
            other.stop();
        }
        return Ok(());
    }

    // Latency at a fixed offered rate, open loop, beside pgbench throttled to the same rate;
    // first, while the table is small (throughput runs add ~15,000 rows a second).
    // BENCH_ONLY=latency runs only this part, BENCH_ROUNDS times, at BENCH_RATE (1,000) per
    // second; every request's and transaction's timing lands in target/bench/*.csv.
    // BENCH_ONLY=intake runs only the throughput part below (16 and 64 connections beside
    // pgbench): the before/after figure every change on the intake path records.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let latency_only = only == "latency";
    let intake_only = only == "intake";
    let (latency_rounds, rate) = if latency_only {
        (rounds, env_u64("BENCH_RATE", RATE))
    } else if intake_only {
        (0, RATE)
    } else {
        (rounds.min(2), RATE)
    };
    std::fs::create_dir_all("target/bench")?;
    let (mut p50s, mut p99s, mut pg50s, mut pg99s) = (vec![], vec![], vec![], vec![]);
    for round in 0..latency_rounds {
        let app = LatencyRun::new(
            open_loop(service.port, rate, secs).await?,
            std::path::Path::new(&format!("target/bench/open-loop-service-{round}.csv")),
        )?;
        let pg = LatencyRun::new(
            pgbench.run(16, secs, Some(rate))?.1,
            std::path::Path::new(&format!("target/bench/open-loop-pgbench-{round}.csv")),
        )?;
        println!("  {rate}/s: service {}", app.describe());
        println!("  {rate}/s: pgbench {}", pg.describe());
        p50s.push(app.p50);
        p99s.push(app.p99);
        pg50s.push(pg.p50);
        pg99s.push(pg.p99);
    }
    if latency_only {
        return Ok(());
    }

    // Intake throughput at 16 and 64 connections, each beside pgbench at the same client count.
    let mut figures: std::collections::BTreeMap<(usize, &str), Vec<f64>> = Default::default();
    for round in 0..rounds {
        for connections in [16, 64] {
            let app = closed_loop(&[service.port], connections, secs).await?;
            let (ceiling, _) = pgbench.run(connections, secs, None)?;
            println!("  round {round}, {connections} connections: service {app:.0}/s, pgbench {ceiling:.0}/s");
            figures.entry((connections, "app")).or_default().push(app);
            figures
                .entry((connections, "pgbench"))
                .or_default()
                .push(ceiling);
        }
    }
    let loaded_rss = rss_kib(service.pid(), "VmHWM:") as f64 / 1024.0;
    let pool = sqlx::PgPool::connect(&database_url).await?;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM inquiries")
        .fetch_one(&pool)
        .await?;
    println!("  inquiries in the table after the intake runs: {rows}");
    if intake_only {
        for connections in [16, 64] {
            let app = median(
                figures
                    .get(&(connections, "app"))
                    .cloned()
                    .unwrap_or_default(),
            );
            let ceiling = median(
                figures
                    .get(&(connections, "pgbench"))
                    .cloned()
                    .unwrap_or_default(),
            );
            println!(
                "intake, {connections} connections: service {app:.0} req/s, pgbench {ceiling:.0} \
                 req/s ({:.0} %)",
                100.0 * app / ceiling
            );
        }
        service.stop();
        pool.close().await;
        return Ok(());
    }

    service.stop();

    // Two instances on one database, workers on, both driven by one load generator.
    let sink = Sink::start()?;
    let smtp = [
        ("INQUIRY_DESK__NOTIFY__WORKER_ENABLED", "true".to_string()),
        ("INQUIRY_DESK__NOTIFY__SMTP__HOST", "127.0.0.1".to_string()),
        ("INQUIRY_DESK__NOTIFY__SMTP__PORT", sink.port.to_string()),
        ("INQUIRY_DESK__NOTIFY__SMTP__TLS", "none".to_string()),
        ("INQUIRY_DESK__NOTIFY__POLL_INTERVAL", "1s".to_string()),
        // Delivery throughput to one recipient: the flood guard would hold all but 120.
        ("INQUIRY_DESK__NOTIFY__MAX_PER_HOUR", "0".to_string()),
    ];
    sqlx::query("UPDATE outbox SET state = 'cancelled' WHERE state IN ('pending', 'waiting')")
        .execute(&pool)
        .await?;
    let mut a = start(None, &database_url, &smtp)?;
    let mut b = start(None, &database_url, &smtp)?;
    ready(&mut a).await?;
    ready(&mut b).await?;
    let two = closed_loop(&[a.port, b.port], 32, secs).await?;
    let (pg32, _) = pgbench.run(32, secs, None)?;
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE state <> 'cancelled'")
        .fetch_one(&pool)
        .await?;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE state NOT IN ('sent', 'dead', 'cancelled')",
        )
        .fetch_one(&pool)
        .await?;
        if pending == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    a.stop();
    b.stop();
    let ids = sink.message_ids();
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();

    println!();
    let m = |key: (usize, &str)| median(figures.get(&key).cloned().unwrap_or_default());
    record(
        "intake, 16 connections",
        m((16, "app")),
        "req/s",
        Some(m((16, "pgbench"))),
        Better::Higher,
        ">= 70 % of pgbench",
    );
    record(
        "intake, 64 connections",
        m((64, "app")),
        "req/s",
        Some(m((64, "pgbench"))),
        Better::Higher,
        ">= 65 % of pgbench",
    );
    record(
        "intake p50 at 1,000 req/s (open loop)",
        median(p50s),
        "ms",
        Some(median(pg50s)),
        Better::Lower,
        "",
    );
    record(
        "intake p99 at 1,000 req/s (open loop)",
        median(p99s),
        "ms",
        Some(median(pg99s)),
        Better::Lower,
        "< 15 ms",
    );
    record(
        "two instances, 32 connections, workers sending",
        two,
        "req/s",
        Some(pg32),
        Better::Higher,
        "",
    );
    record(
        "two instances: messages queued / received",
        ids.len() as f64,
        "messages",
        Some(queued as f64),
        Better::Higher,
        "= queued",
    );
    record(
        "two instances: duplicate sends",
        (ids.len() - distinct.len()) as f64,
        "messages",
        None,
        Better::Lower,
        "0",
    );
    record("idle RSS", idle_rss, "MiB", None, Better::Lower, "< 30 MB");
    record(
        "peak RSS under intake load (VmHWM)",
        loaded_rss,
        "MiB",
        None,
        Better::Lower,
        "< 150 MB",
    );
    record(
        "start-up to ready (migrated database)",
        median(startups),
        "ms",
        None,
        Better::Lower,
        "< 1000 ms",
    );
    record(
        "release binary size",
        binary as f64 / 1e6,
        "MB",
        None,
        Better::Lower,
        "",
    );
    pool.close().await;
    Ok(())
}
