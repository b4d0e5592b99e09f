//! The application under test: a fresh database per test, the app on a free port, requests
//! as the website and the staff send them.

use std::sync::Arc;

use inquiry_desk::notify::wakeup::Wakeup;
use inquiry_desk::settings::Settings;
use inquiry_desk::startup::Application;
use inquiry_desk::storage::connection;
use reqwest::header::CONTENT_TYPE;
use secrecy::SecretString;
use serde_json::{json, Value};
use sqlx::PgPool;
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
    /// The test database (straight, not through any proxy the app may be given).
    pub database_url: String,
}

impl Drop for TestApp {
    /// When a test ends, its outbox must be drained — no message still claimed by a worker, so
    /// no send was cut off by the end of the test — and its database is dropped. A test that
    /// failed already only drops its database.
    fn drop(&mut self) {
        let url = self.database_url.clone();
        let check = !std::thread::panicking();
        // Drop cannot await; a thread of its own runs the checks on a runtime of its own.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(finish(url, check))
        })
        .join();
        if check {
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(problem)) => panic!("when the test app ended: {problem}"),
                Err(_) => panic!("the test app's end check panicked"),
            }
        }
    }
}

/// The end of a test app: checks its outbox (`check`), then drops its database (connections the
/// app still holds are ended: `WITH (FORCE)`).
async fn finish(url: String, check: bool) -> Result<(), String> {
    let checked = if check {
        outbox_drained(&url).await
    } else {
        Ok(())
    };
    drop_database(&url).await?;
    checked
}

/// No outbox message of this database is still claimed by a worker.
async fn outbox_drained(url: &str) -> Result<(), String> {
    {
        let pool = PgPool::connect(url).await.map_err(|e| e.to_string())?;
        let claimed: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox
              WHERE state IN ('pending', 'waiting') AND locked_until > now()",
        )
        .fetch_one(&pool)
        .await
        .map_err(|e| e.to_string())?;
        pool.close().await;
        if claimed > 0 {
            return Err(format!(
                "{claimed} outbox message(s) still claimed by a worker: a send was cut off"
            ));
        }
    }
    Ok(())
}

/// Drops a test database, ending the connections to it.
pub async fn drop_database(url: &str) -> Result<(), String> {
    let name = url::Url::parse(url)
        .map_err(|e| e.to_string())?
        .path()
        .trim_start_matches('/')
        .to_string();
    if !name.starts_with("test_") {
        return Err(format!("not a test database: {name}"));
    }
    let admin = PgPool::connect(&admin_url())
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&admin)
        .await
        .map_err(|e| e.to_string())?;
    admin.close().await;
    Ok(())
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
        database_url: url,
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

impl TestApp {
    /// A staff key of this role, made the way `inquiry-desk keys create` makes it.
    pub async fn key(&self, role: inquiry_desk::auth::Role) -> String {
        let name = format!(
            "{}-{}",
            role.as_str(),
            &Uuid::new_v4().simple().to_string()[..6]
        );
        inquiry_desk::keys::create(&self.pool, None, &name, role)
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
