//! Starts `inquiry-desk serve` as a process of its own, as an operator runs it: the one launcher of
//! the integration tests (`tests/api`, included with `#[path]`) and the benchmarks (`benches/`).
//! The fault scenarios (`scripts/faults`, Python) cannot share Rust code: they start the binary
//! through the same settings (`DATABASE_URL`, `INQUIRY_DESK__…` variables) and wait on the same
//! readiness probe (`/readyz`), with the worker and SMTP of their own scenarios.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A running `inquiry-desk serve`. Dropped while it runs, it is killed (a run that fails
/// half-way leaves no service behind); [`Service::stop`] ends it as a deploy does.
pub struct Service {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Service {
    /// Starts `binary serve` on `port` (a free one when `None`) against `database_url`, as a
    /// quiet instance for measuring and testing: no `APP_ENV`, no configured form-token secret
    /// (the database keeps it), the intake's rate limit and the notification worker off, logs at
    /// `warn` on standard error. `env` comes last, so it overrides any of these.
    pub fn start(
        binary: &str,
        database_url: &str,
        port: Option<u16>,
        env: &[(&str, String)],
    ) -> std::io::Result<Self> {
        let port = match port {
            Some(port) => port,
            None => std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port(),
        };
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env_remove("APP_ENV")
            .env_remove("INQUIRY_DESK__INTAKE__FORM_TOKEN_SECRET")
            .env("DATABASE_URL", database_url)
            .env("INQUIRY_DESK__SERVER__PORT", port.to_string())
            .env("INQUIRY_DESK__INTAKE__RATE_LIMIT_PER_MINUTE", "0")
            .env("INQUIRY_DESK__NOTIFY__WORKER_ENABLED", "false")
            .env("INQUIRY_DESK__LOG__LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            command.env(key, value);
        }
        Ok(Self {
            child: command.spawn()?,
            port,
        })
    }

    /// Asks `/readyz` every `poll` until it answers 200; the time that took. Errors: not ready
    /// within `timeout`, or the process ended.
    pub async fn wait_ready(
        &mut self,
        timeout: Duration,
        poll: Duration,
    ) -> Result<Duration, String> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("inquiry-desk serve ended: {status}"));
            }
            if ready(self.port).await {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(poll).await;
        }
        Err(format!("inquiry-desk serve not ready within {timeout:?}"))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Ends it with SIGTERM, as a deploy does (in-flight requests finish), and waits for it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether `/readyz` on this port answers 200 (one HTTP/1.1 request, by hand: no client crate).
async fn ready(port: u16) -> bool {
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let request = b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request).await.is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.is_ok() && &head == b"HTTP/1.1 200"
}
