//! Database connection: options from settings, creating the database, the pool, migrations.

use std::str::FromStr;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{Connection, PgConnection, PgPool};

use crate::settings::DatabaseSettings;

pub static MIGRATOR: Migrator = sqlx::migrate!();

/// Connection options from `database.url`. Without an explicit `sslmode` (or PGSSLMODE),
/// loopback and Unix sockets use none (TLS on loopback only costs time) and other hosts
/// `prefer` (`check-config` and the start warn that it is not verified).
pub fn connect_options(settings: &DatabaseSettings) -> anyhow::Result<PgConnectOptions> {
    let url = settings.url.expose_secret();
    let options = PgConnectOptions::from_str(url)
        .map_err(|_| anyhow::anyhow!("database.url is not a valid PostgreSQL URL"))?;
    // An explicit choice — in the URL, or PGSSLMODE as libpq reads it — is kept.
    if url.contains("sslmode=")
        || url.contains("ssl-mode=")
        || std::env::var_os("PGSSLMODE").is_some()
    {
        return Ok(options);
    }
    let host = options.get_host();
    let local = host.starts_with('/') || matches!(host, "localhost" | "127.0.0.1" | "::1");
    Ok(options.ssl_mode(if local {
        PgSslMode::Disable
    } else {
        PgSslMode::Prefer
    }))
}

/// A connection idle this long is pinged before it is handed out (by both pools).
pub(crate) const CHECK_IDLE_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// A pool that connects lazily: the service starts, and answers 503, while the database is down,
/// and heals by itself when it returns.
///
/// sqlx already pings every connection when it is released, and drops it if the ping fails.
/// What that misses is a connection that sat idle while the database went away, so only
/// connections idle for a second or more are pinged again before use: under load that is none,
/// which saves a round trip per request (`test_before_acquire` would ping every time).
pub fn pool(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for < CHECK_IDLE_AFTER {
                    return Ok(true);
                }
                Ok(conn.ping().await.is_ok())
            })
        })
        .connect_lazy_with(connect_options(settings)?))
}

/// Creates the configured database when it does not exist yet.
pub async fn ensure_database(settings: &DatabaseSettings) -> anyhow::Result<()> {
    let options = connect_options(settings)?;
    let name = options.get_database().unwrap_or("postgres").to_string();
    if PgConnection::connect_with(&options).await.is_ok() {
        return Ok(());
    }
    let mut admin = PgConnection::connect_with(&options.clone().database("postgres"))
        .await
        .context("cannot connect to PostgreSQL (database.url)")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let create = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        match sqlx::query(&create).execute(&mut admin).await {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // Another instance created it at the same moment.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e).context("cannot create the database"),
        }
    }
    Ok(())
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("migrations failed")
}

/// Whether every migration of this build has been applied successfully.
pub async fn migrations_applied(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let latest = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let applied: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await
            .or_else(|e| match &e {
                // No migrations table yet: nothing applied.
                sqlx::Error::Database(db) if db.code().as_deref() == Some("42P01") => Ok(None),
                _ => Err(e),
            })?;
    Ok(applied.unwrap_or(0) >= latest)
}
