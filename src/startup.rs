//! The application: routes wired in one place, bound to a port, run until stopped.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpServer};
use secrecy::ExposeSecret;
use sqlx::PgPool;

use crate::metrics;
use crate::notify::wakeup::Wakeup;
use crate::settings::Settings;
use crate::state::{rate_limiter, AppState};
use crate::storage::writers::Writers;
use crate::tasks::Tasks;
use crate::telemetry;

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
                .wrap(tracing_actix_web::TracingLogger::<telemetry::RequestSpan>::new())
                .configure(crate::routes::table::configure)
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
