//! Shared by the benchmarks: percentiles, a process's memory, the SMTP sink, and the result rows
//! that `scripts/bench` prints as one table (figure, value, ceiling, ratio).
#![allow(dead_code)] // each benchmark uses a part

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// The value at quantile `p` of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    percentile(&values, 0.5)
}

/// A field of /proc/PID/status in KiB (`VmRSS:`, `VmHWM:`).
pub fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system) a process has used so far, in seconds (Linux clock ticks of 1/100 s).
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// The administrative database URL (`TEST_DATABASE_URL`), with another database name.
pub fn database_url(name: &str) -> anyhow::Result<String> {
    let admin = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut url = url::Url::parse(&admin)?;
    url.set_path(name);
    Ok(url.to_string())
}

/// Drops and creates the database `name` on `TEST_DATABASE_URL`'s server (empty, not
/// migrated); returns its URL.
pub async fn recreate_database(name: &str) -> anyhow::Result<String> {
    let admin = database_url("postgres")?;
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    database_url(name)
}

/// Starts `tests/support/<script>` with `args` and reads the `PORT <n>` line it prints once it
/// listens: the process and the port.
pub fn python_peer(script: &str, args: &[&str]) -> anyhow::Result<(std::process::Child, u16)> {
    let path = format!("{}/tests/support/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = std::process::Command::new("python3")
        .arg(&path)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line)?;
    let port = line
        .trim()
        .trim_start_matches("PORT ")
        .parse()
        .map_err(|_| anyhow::anyhow!("{script} did not start: {line:?}"))?;
    Ok((child, port))
}

/// aiosmtpd writing every message to a directory (tests/support/smtp_sink.py).
pub struct Sink {
    pub port: u16,
    pub dir: PathBuf,
    pub child: std::process::Child,
}

impl Sink {
    pub fn start() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("inquiry-desk-bench-{}", uuid::Uuid::new_v4()));
        let dir_arg = dir.to_string_lossy().into_owned();
        let (child, port) = python_peer("smtp_sink.py", &[&dir_arg, "0"])
            .map_err(|e| anyhow::anyhow!("{e} (pip install aiosmtpd)"))?;
        Ok(Self { port, dir, child })
    }

    pub fn count(&self) -> usize {
        count_files(&self.dir)
    }

    /// Message-ID of every message received.
    pub fn message_ids(&self) -> Vec<String> {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .filter_map(|raw| {
                        raw.lines()
                            .find_map(|l| l.strip_prefix("Message-ID: "))
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .count()
        })
        .unwrap_or(0)
}

/// Whether a larger value is better (throughput) or a smaller one (latency, memory).
#[derive(Clone, Copy)]
pub enum Better {
    Higher,
    Lower,
}

/// One row of the summary table, printed now and appended to `BENCH_RESULTS` (JSON lines) for
/// `scripts/bench`. `ceiling` is the same work done without the service, measured in the same run;
/// `aim` is the target.
pub fn record(
    figure: &str,
    value: f64,
    unit: &str,
    ceiling: Option<f64>,
    better: Better,
    aim: &str,
) {
    let ratio = ceiling.map(|c| match better {
        Better::Higher => value / c,
        Better::Lower => c / value,
    });
    println!(
        "  {figure}: {value:.2} {unit}{}{}",
        ceiling
            .map(|c| format!(" (ceiling {c:.2} {unit})"))
            .unwrap_or_default(),
        ratio
            .map(|r| format!(", ratio {:.0} %", r * 100.0))
            .unwrap_or_default()
    );
    let Ok(path) = std::env::var("BENCH_RESULTS") else {
        return;
    };
    let row = serde_json::json!({
        "figure": figure, "value": value, "unit": unit, "ceiling": ceiling,
        "ratio": ratio, "aim": aim,
    });
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{row}");
    }
}
