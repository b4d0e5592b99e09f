//! Spawns the real application on a free port with a fresh database, and typed helpers.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use inquiry_desk::db;
use inquiry_desk::settings::Settings;
use inquiry_desk::startup::Application;
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
    db::ensure_database(&settings.database)
        .await
        .expect("create test database");
    let pool = db::pool(&settings.database).unwrap();
    db::migrate(&pool).await.expect("migrate test database");
    pool.close().await;
    url
}

pub fn test_settings() -> Settings {
    let mut settings = Settings::defaults().unwrap();
    settings.server.port = 0;
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
    let app_pool = db::pool(&settings.database).unwrap();
    let application = Application::build(settings, app_pool, Some(1)).expect("build app");
    let address = format!("http://127.0.0.1:{}", application.port());
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
