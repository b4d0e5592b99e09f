//! Spawns the real application on a free port with a fresh database, and typed helpers.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use inquiry_desk::notify::wakeup::Wakeup;
use inquiry_desk::settings::Settings;
use inquiry_desk::startup::Application;
use inquiry_desk::storage::connection;
use reqwest::header::CONTENT_TYPE;
use secrecy::SecretString;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use uuid::Uuid;

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    pub client: reqwest::Client,
    pub settings: Settings,
    /// The app's intake wake-ups: a worker attached to it (`Worker::woken_by`) is woken as in
    /// `serve`; without one, intakes NOTIFY.
    pub wakeup: Arc<Wakeup>,
    /// The metrics listener's port, when `server.metrics_address` is set.
    pub metrics_port: Option<u16>,
}

/// The server that test databases are created on.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A URL for a new, empty database on the test server.
pub fn fresh_database_url() -> String {
    let mut url = url::Url::parse(&admin_url()).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("test_{}", Uuid::new_v4().simple()));
    url.to_string()
}

/// Creates and migrates a fresh database; returns its URL.
pub async fn migrated_database() -> String {
    let url = fresh_database_url();
    let mut settings = Settings::defaults().unwrap();
    settings.database.url = SecretString::from(url.clone());
    connection::ensure_database(&settings.database)
        .await
        .expect("create test database");
    let pool = connection::pool(&settings.database).unwrap();
    connection::migrate(&pool)
        .await
        .expect("migrate test database");
    pool.close().await;
    url
}

pub fn test_settings() -> Settings {
    let mut settings = Settings::defaults().unwrap();
    settings.server.port = 0;
    // Tests post many inquiries from 127.0.0.1; the rate limit has tests of its own.
    settings.intake.rate_limit_per_minute = 0;
    settings.notify.default_recipients = vec!["sales@example.cn".parse().unwrap()];
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let url = migrated_database().await;
    let mut settings = test_settings();
    settings.database.url = SecretString::from(url.clone());
    configure(&mut settings);
    let app_pool = connection::pool(&settings.database).unwrap();
    let wakeup = Wakeup::new();
    let application = Application::build_with(settings.clone(), app_pool, Some(1), wakeup.clone())
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", application.port());
    let metrics_port = application.metrics_port();
    tokio::spawn(application.run_until_stopped());
    // The test's own connection goes straight to the database, not through any proxy.
    let pool = PgPool::connect(&url)
        .await
        .expect("connect to test database");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        pool,
        client,
        settings,
        wakeup,
        metrics_port,
    }
}

/// A complete, valid inquiry as the website's form sends it.
pub fn valid_inquiry() -> Value {
    json!({
        "need": "求租高新区标准厂房2000平方米，层高8米以上",
        "use": "电子元器件组装、仓储",
        "tax": "年纳税约300万",
        "company": "珠海某某电子有限公司",
        "contact": "王总",
        "phone": "139-1234-5678",
        "article_url": "https://www.example.cn/zhuhai/factory-1.html?utm_source=baidu",
        "article_title": "高新区标准厂房出租"
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post_json(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/inquiries"))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_form(&self, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.post_raw(
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string(pairs).unwrap(),
            &[],
        )
        .await
    }

    /// A browser's form post: urlencoded, with a browser's `Accept`.
    pub async fn post_browser_form(&self, pairs: &[(&str, &str)]) -> reqwest::Response {
        let accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        self.post_raw(
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string(pairs).unwrap(),
            &[("accept", accept)],
        )
        .await
    }

    pub async fn post_raw(
        &self,
        content_type: &str,
        body: impl Into<reqwest::Body>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url("/api/v1/inquiries")).body(body);
        if !content_type.is_empty() {
            request = request.header(CONTENT_TYPE, content_type);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request")
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .expect(sql)
    }

    pub async fn inquiry_count(&self) -> i64 {
        self.count("SELECT count(*) FROM inquiries").await
    }
}

/// Turns a set of `(field, value)` into a JSON object.
pub fn with(mut base: Value, changes: &[(&str, Value)]) -> Value {
    for (k, v) in changes {
        base[*k] = v.clone();
    }
    base
}

/// The `(field, code)` pairs of a 422 problem.
pub async fn field_errors(response: reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), 422);
    let ct = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(ct, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    body["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().into(),
                e["code"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// A TCP forwarder to PostgreSQL that can be cut and restored, to simulate the database going
/// away and coming back without touching the shared server.
pub struct DbProxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl DbProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound); // refused: closed at once
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links2.lock().unwrap().push(link);
            }
        });
        Self { port, up, links }
    }

    /// The database "goes down": every open connection is cut, new ones are closed at once.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

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
        use std::io::BufRead;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(&dir)
            .arg(port.to_string())
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/test installs it)");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .map(|_| line)
        })
        .await
        .unwrap()
        .expect("smtp sink announces its port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .expect("PORT line")
            .parse()
            .unwrap();
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

impl TestApp {
    /// A staff key of this role, made the way `inquiry-desk keys create` makes it.
    pub async fn key(&self, role: inquiry_desk::auth::Role) -> String {
        let name = format!(
            "{}-{}",
            role.as_str(),
            &Uuid::new_v4().simple().to_string()[..6]
        );
        inquiry_desk::auth::create_key(&self.pool, &name, role)
            .await
            .unwrap()
            .1
    }

    pub async fn sales(&self) -> String {
        self.key(inquiry_desk::auth::Role::Sales).await
    }

    pub async fn admin(&self) -> String {
        self.key(inquiry_desk::auth::Role::Admin).await
    }

    pub fn staff(&self, method: reqwest::Method, key: &str, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    pub async fn get_as(&self, key: &str, path: &str) -> reqwest::Response {
        self.staff(reqwest::Method::GET, key, path)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, key: &str, path: &str) -> Value {
        let response = self.get_as(key, path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    pub async fn patch_as(&self, key: &str, id: &str, body: &Value) -> reqwest::Response {
        self.staff(
            reqwest::Method::PATCH,
            key,
            &format!("/api/v1/inquiries/{id}"),
        )
        .json(body)
        .send()
        .await
        .unwrap()
    }

    /// Posts an inquiry and returns its id (created or duplicate).
    pub async fn submit(&self, body: &Value) -> String {
        let response = self.post_json(body).await;
        assert!(
            response.status().is_success(),
            "intake: {}",
            response.status()
        );
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// A private CA and a certificate for 127.0.0.1/localhost signed by it (openssl CLI), as PEM
/// files: (ca, cert, key).
pub fn private_ca(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let run = |args: &[&str]| {
        let status = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl");
        assert!(status.success(), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=inquiry-desk test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

/// The ids on one page of the staff list for `query` (a query string without `?`).
pub async fn ids_of(app: &TestApp, key: &str, query: &str) -> Vec<String> {
    let page = app
        .get_json(key, &format!("/api/v1/inquiries?{query}"))
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}
