//! `llm-health serve`: the monitor with its web UI, JSON API, live events and Prometheus metrics.

use crate::paths::{default_config_path, default_db_path, UsageError};
use rand::RngCore;
use server::{Server, ServerError, ServerOptions};
use std::net::SocketAddr;
use std::path::PathBuf;

pub struct Args {
    pub config: Option<PathBuf>,
    pub db: Option<PathBuf>,
    pub listen: SocketAddr,
    pub token: Option<String>,
    pub allow_hosts: Vec<String>,
    pub ui: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<u8> {
    let config_path = args.config.or_else(default_config_path).ok_or_else(|| {
        UsageError("no place for the config file: give --config FILE (HOME is not set)".into())
    })?;
    let token = match args.token.map(|t| t.trim().to_string()) {
        Some(t) if t.is_empty() => {
            return Err(UsageError("--token (or LLM_HEALTH_TOKEN) is empty".into()).into())
        }
        Some(t) => t,
        None => random_token(),
    };
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "llm-health: warning: listening on {}, which other machines can reach: anyone there \
             can read status, history and metrics, and whoever has the token can change the \
             configuration",
            args.listen
        );
    }
    let server = Server::bind(ServerOptions {
        listen: args.listen,
        token,
        allow_hosts: args.allow_hosts,
        ui_dir: args.ui,
        config_path,
        db_path: args.db.unwrap_or_else(default_db_path),
        limits: server::Limits::default(),
    })
    .await
    .map_err(|e| match e {
        // A config file that does not parse is the user's to fix: exit as a usage error.
        e @ ServerError::Config(_) => anyhow::Error::from(UsageError(e.to_string())),
        e => e.into(),
    })?;
    println!("llm-health serving {}", server.url());
    server.run(stop_signal()).await?;
    Ok(0)
}

/// 128 random bits, as hex.
fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Ctrl-C, or SIGTERM (a service manager's stop).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
