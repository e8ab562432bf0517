//! `llm-health`: the monitor from the terminal.

mod check;
mod demo;
mod detect;
mod doctor;
mod generate;
mod history;
mod paths;
mod pick;
mod render;
mod serve;
mod watch;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "llm-health",
    version = build_info::VERSION,
    about = "Watches local and cloud LLM endpoints and tells whether they work",
    after_help = "Without --config, reads $LLM_HEALTH_CONFIG or ~/.config/llm-health/config.toml, \
                  and with neither auto-detects: Ollama, LM Studio, and every cloud provider whose key variable is set."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Probe every target once and print the result (exit 1 if anything is unhealthy).
    Check {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print a JSON array, one object per target.
        #[arg(long)]
        json: bool,
    },
    /// Probe every target once and print the best usable one's id and base URL, best health
    /// first (exit 1 when none is usable): for scripts and gateways.
    Pick {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Only targets of this kind (ollama, openai, openai_compatible, …).
        #[arg(long, value_parser = pick::parse_kind)]
        kind: Option<monitor::Kind>,
        /// Only servers you run (local kinds and local presets).
        #[arg(long, conflicts_with = "cloud")]
        local: bool,
        /// Only cloud APIs.
        #[arg(long)]
        cloud: bool,
        /// Print every usable target, best first, as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Run the monitor: probe on schedule, keep history, show a live table.
    Watch {
        #[arg(long)]
        config: Option<PathBuf>,
        /// History database (default: ~/.local/share/llm-health/history.db).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Print a line per change instead of a live table (the default when not on a terminal).
        #[arg(long)]
        plain: bool,
        /// Stop after this long (e.g. "10m"); runs until Ctrl-C otherwise.
        #[arg(long, value_parser = humantime_duration)]
        duration: Option<std::time::Duration>,
    },
    /// Serve the web UI, the JSON API, live events and Prometheus metrics (and monitor meanwhile).
    Serve {
        /// The config file to watch and to save settings to (default: $LLM_HEALTH_CONFIG or
        /// ~/.config/llm-health/config.toml; a missing file is a first run).
        #[arg(long)]
        config: Option<PathBuf>,
        /// History database (default: ~/.local/share/llm-health/history.db).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Address and port to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: std::net::SocketAddr,
        /// Access token for commands that change settings (default: a random one).
        #[arg(long, env = "LLM_HEALTH_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Another name the server may be reached by (e.g. for Prometheus); repeatable.
        #[arg(long = "allow-host", value_name = "NAME")]
        allow_host: Vec<String>,
        /// Serve the built UI in DIR instead of the one inside this binary, for UI development
        /// (also $LLM_HEALTH_UI_DIR).
        #[arg(long, value_name = "DIR")]
        ui: Option<PathBuf>,
    },
    /// Uptime, latency percentiles, incidents and status segments of one target.
    History {
        #[arg(long)]
        db: Option<PathBuf>,
        #[arg(long)]
        target: String,
        /// 1h, 6h, 24h, 7d or 30d.
        #[arg(long, default_value = "24h")]
        range: String,
        #[arg(long)]
        json: bool,
    },
    /// The last known status of every target, from the history database.
    Status {
        #[arg(long)]
        db: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Export raw checks as CSV or JSON.
    Export {
        #[arg(long)]
        db: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "csv")]
        format: history::ExportFormat,
        /// Only this target.
        #[arg(long)]
        target: Option<String>,
        /// 1h, 6h, 24h, 7d or 30d.
        #[arg(long, default_value = "24h")]
        range: String,
    },
    /// Look for local servers and cloud keys; optionally write them as a config file.
    Detect {
        /// Write the detected targets to this config file (refuses to overwrite).
        #[arg(long)]
        write: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Probe every target once (zero tokens) and say what was found, why something was not,
    /// and how to fix it.
    #[command(
        long_about = "Probe every target once (zero tokens: version and model lists, never a \
                      generation) and say what was found, why something was not, and how to fix \
                      it: port closed, not that API, needs a key, key rejected, base_url of the \
                      wrong shape (such as a missing /v1), and the rest. With an auto-detected \
                      config it also says why each default (Ollama on 11434, LM Studio on 1234, \
                      the cloud providers) was not found.",
        after_help = "Findings (`finding` in --json): ok, slow, disabled, port_closed, dns_failed, \
                      unreachable, connect_timeout, connection_dropped, timeout, not_that_api, \
                      base_url_shape, needs_key, key_rejected, key_unusable, model_not_found, \
                      redirect, tls, quota, rate_limited, overloaded, server_error, not_found, \
                      bad_response.\n\nExit status: 0 when every watched target is ok, 1 when one \
                      has a problem (or nothing is watched), 2 for a usage or config error. \
                      Keys are never printed."
    )]
    Doctor {
        /// The config file (default: $LLM_HEALTH_CONFIG or ~/.config/llm-health/config.toml,
        /// and with neither, auto-detection).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print a JSON array, one object per target: target, kind, base_url, ok, finding,
        /// message, fix (null when there is nothing to fix), watched.
        #[arg(long)]
        json: bool,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run against built-in fake servers with a scripted outage, to see the whole thing work.
    Demo {
        /// How long the demo runs.
        #[arg(long, value_parser = humantime_duration, default_value = "45s")]
        duration: std::time::Duration,
        /// Keep the demo's history here (default: a temporary file).
        #[arg(long)]
        db: Option<PathBuf>,
        #[arg(long)]
        plain: bool,
    },
    /// Print the completion script for a shell.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages into DIR (for packaging).
    #[command(hide = true)]
    GenerateMan { dir: PathBuf },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check a config file; print what it watches or the line and key at fault.
    Validate {
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn humantime_duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e} (write it like 30s, 10m, 2h)"))
}

/// Exit status for a usage or configuration error, as clap uses for bad arguments.
pub const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LLM_HEALTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    // One thread: probing is I/O-bound, and a single-threaded runtime avoids the cross-thread
    // wake-ups that were a fifth of the engine's CPU time in the benchmark (SQLite has its own
    // worker thread either way).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("llm-health: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Check { config, json } => check::run(config, json).await,
            Command::Pick {
                config,
                kind,
                local,
                cloud,
                json,
            } => {
                let local = match (local, cloud) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                };
                pick::run(config, monitor::pick::Filter { kind, local }, json).await
            }
            Command::Watch {
                config,
                db,
                plain,
                duration,
            } => watch::run(config, db, plain, duration).await,
            Command::Serve {
                config,
                db,
                listen,
                token,
                allow_host,
                ui,
            } => {
                serve::run(serve::Args {
                    config,
                    db,
                    listen,
                    token,
                    allow_hosts: allow_host,
                    ui,
                })
                .await
            }
            Command::History {
                db,
                target,
                range,
                json,
            } => history::history(db, &target, &range, json).await,
            Command::Status { db, json } => history::status(db, json).await,
            Command::Export {
                db,
                format,
                target,
                range,
            } => history::export(db, format, target.as_deref(), &range).await,
            Command::Detect { write, json } => detect::run(write, json).await,
            Command::Doctor { config, json } => doctor::run(config, json).await,
            Command::Config {
                command: ConfigCommand::Validate { config },
            } => check::validate(config),
            Command::Demo {
                duration,
                db,
                plain,
            } => demo::run(duration, db, plain).await,
            Command::Completions { shell } => generate::completions(shell),
            Command::GenerateMan { dir } => generate::man_pages(&dir),
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A config error already names file, line and key; others get their chain.
            if err.downcast_ref::<monitor::config::ConfigError>().is_some() {
                eprintln!("llm-health: {err}");
                ExitCode::from(EXIT_USAGE)
            } else if let Some(usage) = err.downcast_ref::<paths::UsageError>() {
                eprintln!("llm-health: {usage}");
                ExitCode::from(EXIT_USAGE)
            } else {
                eprintln!("llm-health: {err:#}");
                ExitCode::from(1)
            }
        }
    }
}
