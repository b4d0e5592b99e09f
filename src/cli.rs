//! The command line: `serve` (default), `migrate`, `check-config`.

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::auth::Role;
use crate::notify::wakeup::Wakeup;
use crate::settings::{HostPattern, Settings};
use crate::startup::Application;
use crate::storage::connection;
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "inquiry-desk",
    version,
    about = "Lead-capture backend for article-page inquiry forms"
)]
pub struct Cli {
    /// Directory holding `{APP_ENV}.toml` (the defaults are compiled in).
    #[arg(
        long,
        env = "INQUIRY_DESK_CONFIG_DIR",
        default_value = "config",
        global = true
    )]
    pub config_dir: std::path::PathBuf,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Create the database if missing and apply pending migrations, then exit.
    Migrate,
    /// Load and check the configuration, print it (secrets masked) and any warnings.
    CheckConfig,
    /// Manage staff API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Anonymise inquiries older than a duration (e.g. 730d); never deletes.
    Purge {
        #[arg(long, value_parser = humantime::parse_duration)]
        older_than: Duration,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; prints the key alone on standard output (shown once, stored as a hash).
    Create {
        #[arg(long)]
        name: String,
        /// sales or admin
        #[arg(long, value_parser = ["sales", "admin"])]
        role: String,
    },
    /// List keys: name, role, prefix, created and last-used times, revocation.
    List,
    /// Revoke a key by its id or prefix (idk_xxxxxxxx).
    Revoke { key: String },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&cli.config_dir)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            telemetry::init(&settings.log);
            migrate(&settings).await
        }
        Command::CheckConfig => check_config(&settings),
        Command::Keys(command) => {
            telemetry::init(&settings.log);
            keys(&settings, command).await
        }
        Command::Purge { older_than } => {
            telemetry::init(&settings.log);
            migrate(&settings).await?;
            let pool = connection::pool(&settings.database)?;
            let n = crate::privacy::purge_older_than(&pool, older_than, "purge").await?;
            println!(
                "anonymised {n} inquiries received more than {} ago",
                humantime::format_duration(older_than)
            );
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    telemetry::init(&settings.log);
    for warning in settings.warnings() {
        tracing::warn!("{warning}");
    }
    if settings.database.migrate_on_start {
        migrate_with_retries(&settings).await?;
    }
    let pool = connection::pool(&settings.database)?;
    let wakeup = Wakeup::new();
    let app = Application::build_with(settings.clone(), pool.clone(), None, wakeup.clone())?
        .with_background_jobs(&settings, pool, &wakeup)?;
    tracing::info!(
        address = %format!("{}:{}", settings.server.host, app.port()),
        "inquiry-desk listening"
    );
    // SIGTERM/SIGINT: the server stops accepting and finishes its requests, then the
    // background tasks stop (the worker finishes the sends in flight).
    let served = app.run_until_stopped().await;
    served.context("server failed")?;
    tracing::info!("stopped");
    Ok(())
}

/// At start-up the database may still be coming up (containers start together): retry for
/// about half a minute before giving up.
async fn migrate_with_retries(settings: &Settings) -> anyhow::Result<()> {
    let mut delay = Duration::from_millis(500);
    for attempt in 1.. {
        match migrate(settings).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 8 => {
                tracing::warn!(
                    attempt,
                    error = format!("{e:#}"),
                    "database not ready; retrying"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(8));
            }
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    connection::ensure_database(&settings.database).await?;
    let pool = connection::pool(&settings.database)?;
    connection::migrate(&pool).await?;
    tracing::info!("migrations applied");
    pool.close().await;
    Ok(())
}

/// Key commands print their result on standard output; everything else goes to standard error.
async fn keys(settings: &Settings, command: KeysCommand) -> anyhow::Result<()> {
    connection::ensure_database(&settings.database).await?;
    let pool = connection::pool(&settings.database)?;
    connection::migrate(&pool).await?;
    match command {
        KeysCommand::Create { name, role } => {
            let name = name.trim();
            anyhow::ensure!(
                !name.is_empty() && name.chars().count() <= 100,
                "--name must be 1–100 characters"
            );
            let role = Role::parse(&role).context("--role must be sales or admin")?;
            let (row, key) = crate::keys::create(&pool, None, name, role).await?;
            eprintln!(
                "created {} key `{}` ({}); it is shown once:",
                row.role, row.name, row.prefix
            );
            println!("{key}");
        }
        KeysCommand::List => {
            let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_else(|| "-".into())
            };
            println!(
                "{:<14} {:<6} {:<20} {:<19} {:<19} {:<19} id",
                "prefix", "role", "name", "created", "last used", "revoked"
            );
            for k in crate::keys::list(&pool).await? {
                println!(
                    "{:<14} {:<6} {:<20} {:<19} {:<19} {:<19} {}",
                    k.prefix,
                    k.role,
                    k.name,
                    time(Some(k.created_at)),
                    time(k.last_used_at),
                    time(k.revoked_at),
                    k.id
                );
            }
        }
        KeysCommand::Revoke { key } => {
            let row = crate::keys::revoke(&pool, None, key.trim())
                .await?
                .with_context(|| format!("no key with id or prefix `{}`", key.trim()))?;
            println!("revoked {} ({})", row.prefix, row.name);
        }
    }
    pool.close().await;
    Ok(())
}

fn check_config(settings: &Settings) -> anyhow::Result<()> {
    let s = settings;
    let db_url = mask_url_password(s.database.url.expose_secret());
    let secret_state = |empty: bool| if empty { "(empty)" } else { "(set)" };
    println!("configuration is valid");
    println!(
        "server: {}:{} public_base_url={}",
        s.server.host, s.server.port, s.server.public_base_url
    );
    println!(
        "server.trusted_proxies: {:?}",
        s.server
            .trusted_proxies
            .iter()
            .map(|p| p.0.to_string())
            .collect::<Vec<_>>()
    );
    println!("database.url: {db_url}");
    println!(
        "database: max_connections={} intake_connections={} acquire_timeout={:?} migrate_on_start={}",
        s.database.max_connections,
        s.database.intake_connections,
        s.database.acquire_timeout,
        s.database.migrate_on_start
    );
    println!(
        "intake: hosts={} honeypot_field={} dedup_window={:?} require_consent={} form_token_secret={}",
        s.intake.allowed_site_hosts.len(),
        s.intake.honeypot_field,
        s.intake.dedup_window,
        s.intake.require_consent,
        secret_state(s.intake.form_token_secret.expose_secret().is_empty()),
    );
    // Hosts as they are matched: IDN hosts in their ASCII (punycode) form.
    let hosts: Vec<String> = s
        .intake
        .allowed_site_hosts
        .iter()
        .map(|h| match h {
            HostPattern::Exact(host) => host.clone(),
            HostPattern::Subdomains(domain) => format!("*.{domain}"),
        })
        .collect();
    let trackers: Vec<&str> = s
        .intake
        .tracking_parameters
        .iter()
        .map(|p| p.0.as_str())
        .collect();
    println!(
        "intake.allowed_site_hosts: [{}] intake.tracking_parameters: [{}]",
        hosts.join(", "),
        trackers.join(", ")
    );
    println!(
        "notify: worker_enabled={} from={} default_recipients={} routes={} smtp.host={} smtp.password={}",
        s.notify.worker_enabled,
        s.notify.from,
        s.notify.default_recipients.len(),
        s.notify.routes.len(),
        if s.notify.smtp.host.is_empty() { "(none: .eml files under data/mail/)" } else { &s.notify.smtp.host },
        secret_state(s.notify.smtp.password.expose_secret().is_empty()),
    );
    for c in &s.notify.channels {
        println!(
            "notify.channels[{}]: kind={} url={} secret={} rate_per_minute={} throttle_pause={:?} mentions={} show_phone={}",
            c.name,
            c.kind.as_str(),
            c.masked_url(),
            secret_state(c.secret.is_none()),
            c.rate_per_minute().map_or("unlimited".to_string(), |n| n.to_string()),
            c.throttle_pause(),
            c.mention_mobiles.len() + c.mention_open_ids.len(),
            c.show_phone,
        );
    }
    println!(
        "notify.default_channels: [{}]",
        s.notify.default_channels.join(", ")
    );
    for warning in s.warnings() {
        println!("warning: {warning}");
    }
    Ok(())
}

fn mask_url_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(unparsable)".into(),
    }
}
