//! The intake's own connections: a deadpool pool of sqlx connections that, unlike sqlx's pool,
//! costs no round trip when a connection is given back.
//!
//! sqlx pings every connection it takes back, to flush whatever a cancelled request left on it.
//! The intake sends one call per inquiry, so that ping was half of its round trips. Here a
//! connection is checked only when it needs to be: when its last use did not finish (cancelled
//! by the request's deadline, or failed), or when it sat idle long enough for the database to
//! have gone away. A ping also completes what a cancelled use left behind (an unread answer, a
//! queued ROLLBACK), so a connection is either clean when handed out or discarded.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use deadpool::managed::{self, Metrics, PoolError, RecycleError, RecycleResult};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use super::connection::CHECK_IDLE_AFTER;
use crate::settings::DatabaseSettings;

/// Connections are replaced after this long, as sqlx's pool does, so a backend's caches and
/// memory do not grow for the life of the service.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// A pooled connection and whether its last use ran to the end.
pub struct WriterConn {
    conn: PgConnection,
    finished: bool,
}

pub struct Manager {
    options: PgConnectOptions,
}

impl managed::Manager for Manager {
    type Type = WriterConn;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<WriterConn, sqlx::Error> {
        Ok(WriterConn {
            conn: PgConnection::connect_with(&self.options).await?,
            finished: true,
        })
    }

    async fn recycle(
        &self,
        writer: &mut WriterConn,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.age() > MAX_LIFETIME {
            return Err(RecycleError::message("past its lifetime"));
        }
        if !writer.finished || metrics.last_used() >= CHECK_IDLE_AFTER {
            writer.conn.ping().await.map_err(RecycleError::Backend)?;
        }
        Ok(())
    }
}

/// The pool of the intake's connections; cheap to clone.
#[derive(Clone)]
pub struct Writers(managed::Pool<Manager>);

impl Writers {
    /// Connects lazily, up to `database.intake_connections`; waits at most
    /// `database.acquire_timeout` for a connection.
    pub fn new(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let manager = Manager {
            options: super::connection::connect_options(settings)?,
        };
        let pool = managed::Pool::builder(manager)
            .max_size(settings.intake_connections as usize)
            .wait_timeout(Some(settings.acquire_timeout))
            .create_timeout(Some(settings.acquire_timeout))
            .recycle_timeout(Some(settings.acquire_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Self(pool))
    }

    /// A connection, marked unfinished until [`Writer::finish`] is called.
    pub async fn get(&self) -> Result<Writer, sqlx::Error> {
        let mut object = self.0.get().await.map_err(|error| match error {
            PoolError::Backend(error) => error,
            PoolError::Closed => sqlx::Error::PoolClosed,
            _ => sqlx::Error::PoolTimedOut,
        })?;
        object.finished = false;
        Ok(Writer(object))
    }
}

/// A connection lent by [`Writers`]; returned to it when dropped.
pub struct Writer(managed::Object<Manager>);

impl Writer {
    /// Marks the use as complete: the connection goes back without a check.
    pub fn finish(mut self) {
        self.0.finished = true;
    }
}

impl Deref for Writer {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.0.conn
    }
}

impl DerefMut for Writer {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.0.conn
    }
}
