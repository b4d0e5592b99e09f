//! The application: routes wired in one place, bound to a port, run until stopped.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use secrecy::ExposeSecret;
use sqlx::PgPool;

use crate::error::{ApiError, Lang};
use crate::notify::wakeup::Wakeup;
use crate::routes::{health, intake, pages, staff};
use crate::settings::Settings;
use crate::state::{rate_limiter, AppState};
use crate::storage::writers::Writers;
use crate::tasks::Tasks;
use crate::telemetry;
use crate::{metrics, openapi};

/// The HTTP server and the process's background tasks, stopped together.
pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    server: Server,
    tasks: Tasks,
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free one) and prepares the server.
    /// `workers` defaults to one per core. Intakes wake the notification workers through
    /// NOTIFY, as no worker in this process is attached.
    pub fn build(settings: Settings, pool: PgPool, workers: Option<usize>) -> anyhow::Result<Self> {
        Self::build_with(settings, pool, workers, Wakeup::new())
    }

    /// As [`Application::build`], waking through `wakeup` (which a worker in this process may
    /// be attached to).
    pub fn build_with(
        settings: Settings,
        pool: PgPool,
        workers: Option<usize>,
        wakeup: Arc<Wakeup>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        let metrics_listener = match settings.server.metrics_address {
            Some(address) => Some(TcpListener::bind(address)?),
            None => None,
        };
        let metrics_address = match &metrics_listener {
            Some(l) => Some(crate::routes::headers::MetricsListener(l.local_addr()?)),
            None => None,
        };
        // Acquiring a connection may take `acquire_timeout`; a query on a connection whose
        // server vanished gets one more second before the request gives up with a 503.
        let db_deadline = settings.database.acquire_timeout + Duration::from_secs(1);
        metrics::init();
        crate::domain::phone::PhoneNumber::warm_up();
        let rate_limiter = rate_limiter(&settings);
        let form_token_secret = match settings.intake.form_token_secret.expose_secret() {
            "" => tokio::sync::OnceCell::new(),
            configured => tokio::sync::OnceCell::new_with(Some(configured.as_bytes().to_vec())),
        };
        let writers = Writers::new(&settings.database)?;
        let settings = Arc::new(settings);
        let mut tasks = Tasks::new();
        let mut shutdown = tasks.shutdown();
        let notifier = crate::notify::wakeup::notify_remote_workers(pool.clone(), wakeup.clone());
        tasks.spawn("NOTIFY of remote workers", async move {
            tokio::select! {
                _ = notifier => {}
                _ = shutdown.changed() => {}
            }
        });
        let state = web::Data::new(AppState {
            pool,
            writers,
            wakeup,
            settings: settings.clone(),
            db_deadline,
            rate_limiter,
            form_token_secret,
            auth_failures: Default::default(),
        });
        let mut server = HttpServer::new(move || {
            let mut app = App::new().app_data(state.clone());
            if let Some(metrics) = metrics_address {
                app = app.app_data(web::Data::new(metrics));
            }
            app.wrap(crate::routes::cors::cors(settings.clone()))
                .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
                .wrap(from_fn(crate::routes::headers::by_path))
                .wrap(from_fn(telemetry::log_requests))
                .configure(routes)
        })
        .shutdown_timeout(30)
        .listen(listener)?;
        if let Some(listener) = metrics_listener {
            server = server.listen(listener)?;
        }
        if let Some(workers) = workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            metrics_port: metrics_address.map(|m| m.0.port()),
            server: server.run(),
            tasks,
        })
    }

    /// Adds the background work of a serving process to its tasks: the notification worker
    /// (unless `notify.worker_enabled` is off; woken by `wakeup`, the one the application was
    /// built with), the search indexes' merge every second, the daily retention run when
    /// `privacy.retention` is set, and the metrics upkeep. Errors: the mail transport or
    /// templates cannot be set up from the settings.
    pub fn with_background_jobs(
        mut self,
        settings: &Settings,
        pool: PgPool,
        wakeup: &Arc<Wakeup>,
    ) -> anyhow::Result<Self> {
        use crate::notify::{mail::MailRenderer, transport::Transport, worker};
        if settings.notify.worker_enabled {
            let options = worker::WorkerOptions::default();
            let transport = Transport::from_settings(&settings.notify, options.concurrency as u32)?;
            let renderer = MailRenderer::new(settings)?;
            let worker =
                worker::Worker::new(pool.clone(), transport, renderer, &settings.notify, options)
                    .woken_by(wakeup);
            let shutdown = self.tasks.shutdown();
            self.tasks
                .spawn("notification worker", worker.run(shutdown));
        } else {
            tracing::info!("notification worker disabled in this instance (notify.worker_enabled)");
        }
        crate::storage::search::schedule_merge(
            &mut self.tasks,
            pool.clone(),
            Duration::from_secs(1),
        );
        if let Some(retention) = settings.privacy.retention {
            crate::privacy::schedule_retention(
                &mut self.tasks,
                pool,
                retention,
                Duration::from_secs(60),
            );
        }
        metrics::schedule_upkeep(&mut self.tasks);
        Ok(self)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when `server.metrics_address` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Runs until SIGINT/SIGTERM or the handle stops it; in-flight requests finish first, then
    /// the background tasks stop (the worker finishes the sends in flight).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.tasks.stop().await;
        served
    }
}

/// Declares every route once: registers it, and lists it in `ROUTES` (the OpenAPI document is
/// checked against that list in the tests).
macro_rules! routes {
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        /// Every (method, path) the application serves.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn routes(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, routes!(@method $method).to($handler));)*
            // A known path with another method: 405 (resources are tried in order).
            $(cfg.route($path, web::route().to(method_not_allowed));)*
            cfg.default_service(web::to(not_found));
        }
    };
    // HEAD is answered wherever GET is (actix-web sends the head without the body).
    (@method GET) => { web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head())) };
    (@method POST) => { web::post() };
    (@method PATCH) => { web::patch() };
    (@method DELETE) => { web::delete() };
}

// More specific paths first: `export.csv` before `{id}`.
routes! {
    GET "/healthz" => health::healthz,
    GET "/readyz" => health::readyz,
    GET "/thanks" => pages::thanks,
    GET "/embed/form.js" => crate::routes::embed::form_js,
    GET "/embed/form.css" => crate::routes::embed::form_css,
    GET "/embed/demo" => crate::routes::embed::demo,
    GET "/embed/demo.css" => crate::routes::embed::demo_css,
    GET "/inbox" => crate::routes::inbox::page,
    GET "/inbox/app.js" => crate::routes::inbox::script,
    GET "/inbox/app.css" => crate::routes::inbox::style,
    POST "/api/v1/inquiries" => intake::create_inquiry,
    GET "/api/v1/form-token" => crate::routes::form_token::get_form_token,
    GET "/api/v1/inquiries" => staff::inquiries::list_inquiries,
    GET "/api/v1/inquiries/export.csv" => staff::export::export_inquiries,
    GET "/api/v1/inquiries/{id}" => staff::inquiries::get_inquiry,
    PATCH "/api/v1/inquiries/{id}" => staff::inquiries::update_inquiry,
    DELETE "/api/v1/inquiries/{id}" => staff::inquiries::anonymise_inquiry,
    POST "/api/v1/inquiries/{id}/notes" => staff::inquiries::add_note,
    GET "/api/v1/articles" => staff::articles::list_articles,
    PATCH "/api/v1/articles/{id}" => staff::articles::update_article,
    GET "/api/v1/stats" => staff::stats::get_stats,
    GET "/api/v1/keys" => staff::keys::list_keys,
    POST "/api/v1/keys" => staff::keys::create_key,
    DELETE "/api/v1/keys/{id}" => staff::keys::revoke_key,
    GET "/api/v1/access-log" => staff::keys::access_log,
    GET "/api/v1/privacy/subject" => staff::privacy::export_subject,
    DELETE "/api/v1/privacy/subject" => staff::privacy::erase_subject,
    GET "/api/v1/openapi.json" => openapi::openapi_json,
    GET "/api/v1/docs/{file:.*}" => openapi::docs,
    GET "/metrics" => metrics::scrape,
}

/// The `Allow` value of a path: the methods of the route it matches, e.g. `POST, GET`; `None`
/// when it matches no route.
pub fn allowed_methods(path: &str) -> Option<String> {
    use actix_web::dev::ResourceDef;
    static DEFS: std::sync::LazyLock<Vec<(ResourceDef, &'static str)>> =
        std::sync::LazyLock::new(|| {
            ROUTES
                .iter()
                .map(|(method, pattern)| (ResourceDef::new(*pattern), *method))
                .collect()
        });
    // The first route matching the path owns it (routes are tried in order), so a path such
    // as `…/export.csv` lists only its own methods.
    let (first, _) = DEFS.iter().find(|(def, _)| def.is_match(path))?;
    let mut allowed: Vec<&str> = DEFS
        .iter()
        .filter(|(def, _)| def.pattern() == first.pattern())
        .map(|(_, method)| *method)
        .collect();
    if allowed.contains(&"GET") {
        allowed.push("HEAD");
    }
    Some(allowed.join(", "))
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let allowed = allowed_methods(req.path()).unwrap_or_default();
    let mut response = ApiError::MethodNotAllowed.to_response(Lang::from_request(&req));
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
