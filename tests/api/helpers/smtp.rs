//! A real SMTP server on loopback (aiosmtpd) and apps that mail through it.

use inquiry_desk::settings::Settings;
use uuid::Uuid;

use super::app::{spawn_app_with, TestApp};

/// A real SMTP server on loopback (aiosmtpd, `tests/support/smtp_sink.py`), writing each
/// accepted message to a directory of its own.
pub struct SmtpSink {
    pub port: u16,
    pub dir: std::path::PathBuf,
    child: Option<std::process::Child>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("inquiry-desk-mail-{}", Uuid::new_v4()));
        Self::start_on(0, dir).await
    }

    /// Starts (again) on a given port, keeping the directory.
    pub async fn start_on(port: u16, dir: std::path::PathBuf) -> Self {
        Self::spawn(port, dir, &[]).await
    }

    /// Starts the sink with extra arguments (`--starttls CERT KEY`, `--tls CERT KEY`, `--auth U:P`).
    pub async fn start_with(extra: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!("inquiry-desk-mail-{}", Uuid::new_v4()));
        Self::spawn(0, dir, extra).await
    }

    async fn spawn(port: u16, dir: std::path::PathBuf, extra: &[&str]) -> Self {
        let mut args = vec![dir.to_string_lossy().into_owned(), port.to_string()];
        args.extend(extra.iter().map(|a| a.to_string()));
        let (child, port) = python_peer("smtp_sink.py", &args).await;
        Self {
            port,
            dir,
            child: Some(child),
        }
    }

    /// A free port with nothing listening (an SMTP server that is down).
    pub fn reserve_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The raw messages received so far, oldest first.
    pub fn raw_messages(&self) -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut names: Vec<_> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        names.sort();
        names.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    pub fn messages(&self) -> Vec<Received> {
        self.raw_messages()
            .iter()
            .map(|raw| Received::parse(raw))
            .collect()
    }

    /// Waits up to `timeout` for at least `n` messages.
    pub async fn wait_for(&self, n: usize, timeout: std::time::Duration) -> Vec<Received> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || std::time::Instant::now() > deadline {
                return messages;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One received message, decoded.
#[derive(Debug, Clone)]
pub struct Received {
    pub envelope_to: Vec<String>,
    pub subject: String,
    pub from: String,
    pub reply_to: Option<String>,
    pub message_id: String,
    pub text: String,
    pub html: String,
}

impl Received {
    fn parse(raw: &[u8]) -> Self {
        let message = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("a MIME message");
        let header_text = |name: &str| {
            message
                .header_raw(name)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let address = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(str::to_string)
        };
        Self {
            envelope_to: header_text("X-Envelope-To")
                .split(',')
                .map(str::to_string)
                .collect(),
            subject: message.subject().unwrap_or_default().to_string(),
            from: address(message.from()).unwrap_or_default(),
            reply_to: address(message.reply_to()),
            message_id: message.message_id().unwrap_or_default().to_string(),
            text: message
                .body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            html: message
                .body_html(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
        }
    }
}

impl TestApp {
    /// A notification worker on this app's database, as `serve` runs it.
    pub fn worker(&self) -> inquiry_desk::notify::worker::Worker {
        self.worker_with(Default::default())
    }

    pub fn worker_with(
        &self,
        options: inquiry_desk::notify::worker::WorkerOptions,
    ) -> inquiry_desk::notify::worker::Worker {
        use inquiry_desk::notify::{mail::MailRenderer, transport::Transport, worker::Worker};
        let transport = Transport::from_settings(&self.settings.notify, 4).unwrap();
        let renderer = MailRenderer::new(&self.settings).unwrap();
        Worker::new(
            self.pool.clone(),
            transport,
            renderer,
            &self.settings.notify,
            options,
        )
    }
}

/// An app that mails through a real SMTP server on loopback (aiosmtpd), and that server.
pub async fn spawn_with_sink(
    configure: impl FnOnce(&mut inquiry_desk::settings::Settings),
) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let app = spawn_app_with(|s| {
        use_smtp(s, port);
        configure(s);
    })
    .await;
    (app, sink)
}

/// Settings that send through an SMTP server on this port, without TLS.
pub fn use_smtp(settings: &mut Settings, port: u16) {
    settings.notify.smtp.host = "127.0.0.1".into();
    settings.notify.smtp.port = port;
    settings.notify.smtp.tls = inquiry_desk::settings::SmtpTls::None;
}

/// Starts `tests/support/<script>` with `args` and waits for its `PORT <n>` line: the process and
/// the port it listens on (the SMTP sink and the robots' peer announce it so).
pub(crate) async fn python_peer(script: &str, args: &[String]) -> (std::process::Child, u16) {
    use std::io::BufRead;
    let path = format!("{}/tests/support/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = std::process::Command::new("python3")
        .arg(&path)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (scripts/test installs what the peers need)");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("{script} announces its port: {e}"));
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .unwrap_or_else(|| panic!("{script}: a PORT line, not {line:?}"))
        .parse()
        .unwrap();
    (child, port)
}
