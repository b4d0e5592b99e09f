//! Where mail goes: SMTP through lettre's pooled transport (TLS as configured), or `.eml` files
//! under `data/mail/` when no SMTP host is set (development).

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::settings::{NotifySettings, SmtpTls};

/// Where development mail is written.
pub const MAIL_DIR: &str = "data/mail";
/// One SMTP conversation may not take longer than this.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
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
        let host = smtp.host.trim();
        let tls = match smtp.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(TlsParameters::new(host.into())?),
            SmtpTls::Tls => Tls::Wrapper(TlsParameters::new(host.into())?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(smtp.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT))
            .pool_config(
                PoolConfig::new()
                    .max_size(pool_size)
                    .idle_timeout(Duration::from_secs(60)),
            );
        if !smtp.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                smtp.username.clone(),
                smtp.password.expose_secret().to_string(),
            ));
        }
        Ok(Self::Smtp(builder.build()))
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
            Self::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                // 5xx answers are permanent; refused connections, timeouts and 4xx are not.
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
            Self::File(file, _) => file
                .send(message)
                .await
                .map(drop)
                .map_err(|e| SendError::Transient(e.to_string())),
        }
    }
}
