//! Where mail goes: SMTP through lettre over a pool of connections (TLS as configured), or
//! `.eml` files under `data/mail/` when no SMTP host is set (development).

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::smtp_pool::SmtpPool;
use crate::settings::NotifySettings;

/// Where development mail is written.
pub const MAIL_DIR: &str = "data/mail";
/// One SMTP conversation may not take longer than this.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

pub enum Transport {
    Smtp(SmtpPool),
    File(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// How a send failed: transient failures are retried, permanent ones are not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    Transient(String),
    Permanent(String),
}

impl Transport {
    /// `pool_size`: SMTP connections kept open, also the number of sends in flight.
    pub fn from_settings(settings: &NotifySettings, pool_size: u32) -> anyhow::Result<Self> {
        let smtp = &settings.smtp;
        if smtp.host.trim().is_empty() {
            return Self::file(PathBuf::from(MAIL_DIR));
        }
        let credentials = (!smtp.username.is_empty()).then(|| {
            Credentials::new(
                smtp.username.clone(),
                smtp.password.expose_secret().to_string(),
            )
        });
        let ca_pem = match smtp.ca_file.trim() {
            "" => None,
            path => Some(std::fs::read(path).map_err(|e| {
                anyhow::anyhow!("notify.smtp.ca_file `{path}` cannot be read: {e}")
            })?),
        };
        Ok(Self::Smtp(SmtpPool::new(
            smtp.host.trim().to_string(),
            smtp.port,
            smtp.tls,
            credentials,
            ca_pem.as_deref(),
            pool_size as usize,
            SMTP_TIMEOUT,
        )?))
    }

    pub fn file(dir: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self::File(AsyncFileTransport::new(&dir), dir))
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Smtp(_) => "smtp".into(),
            Self::File(_, dir) => format!("files under {}", dir.display()),
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Self::Smtp(pool) => pool.send(message.envelope(), &message.formatted()).await,
            Self::File(file, _) => file
                .send(message)
                .await
                .map(drop)
                .map_err(|e| SendError::Transient(e.to_string())),
        }
    }
}
