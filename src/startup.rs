//! The application: routes wired in one place, bound to a port, run until stopped.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use sqlx::PgPool;

use crate::error::{ApiError, Lang};
use crate::routes::{health, intake, pages};
use crate::settings::Settings;
use crate::telemetry;

/// What every handler shares.
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    /// The longest a request waits on the database before answering 503.
    pub db_deadline: Duration,
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free one) and prepares the server.
    /// `workers` defaults to one per core.
    pub fn build(settings: Settings, pool: PgPool, workers: Option<usize>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        // Acquiring a connection may take `acquire_timeout`; a query on a connection whose
        // server vanished gets one more second before the request gives up with a 503.
        let db_deadline = settings.database.acquire_timeout + Duration::from_secs(1);
        let state = web::Data::new(AppState {
            pool,
            settings: Arc::new(settings),
            db_deadline,
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
                .wrap(from_fn(telemetry::log_requests))
                .configure(routes)
        })
        .shutdown_timeout(30)
        .listen(listener)?;
        if let Some(workers) = workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Runs until SIGINT/SIGTERM or the handle stops it; in-flight requests finish first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/thanks", web::get().to(pages::thanks))
        .service(web::scope("/api/v1").route("/inquiries", web::post().to(intake::create_inquiry)))
        .default_service(web::to(not_found));
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    ApiError::NotFound.to_response(Lang::from_request(&req))
}
