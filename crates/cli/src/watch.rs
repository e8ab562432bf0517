//! `llm-health watch`: the engine with history, and a live table (or a line per change).

use crate::check::terminal_width;
use crate::paths::{default_db_path, load_config_file, UsageError};
use crate::render::{clean, fit, ms_words, outcome_words, table, Style};
use chrono::Utc;
use controller::{CoreError, Handle, KeyStore, Options, Settings, SettingsFile, Shell, Update};
use monitor::config::ConfigFile;
use monitor::probe::Prober;
use monitor::words::{duration_words, since_words};
use monitor::{Event, Snapshot};
use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::sync::broadcast;

pub async fn run(
    config: Option<PathBuf>,
    db: Option<PathBuf>,
    plain: bool,
    duration: Option<Duration>,
) -> anyhow::Result<u8> {
    let prober = Prober::with_env_keys()?;
    let (file, config, source) = load_config_file(config.as_deref(), &prober).await?;
    if config.enabled_targets().next().is_none() {
        return Err(UsageError(format!(
            "nothing to watch ({source}): no targets configured and nothing detected; \
             run `llm-health detect` or write a config file"
        ))
        .into());
    }
    let db = db.unwrap_or_else(default_db_path);
    session(file, None, &db, &source.to_string(), plain, duration).await
}

/// `watch` never changes its configuration: no command reaches its core.
struct Unchanging;

impl SettingsFile for Unchanging {
    fn save(&self, _: &Settings) -> Result<(), CoreError> {
        Err(CoreError::Save {
            path: PathBuf::from("(watch)"),
            message: "`llm-health watch` does not change its configuration".into(),
        })
    }
}

/// Runs the monitor with history and the notification policy (so `[[alerts]]` get their
/// notices) until Ctrl-C or `duration`; shared by `watch` and `demo`. `keys`: where API keys
/// come from besides the environment.
pub async fn session(
    file: ConfigFile,
    keys: Option<Arc<dyn KeyStore>>,
    db: &Path,
    source: &str,
    plain: bool,
    duration: Option<Duration>,
) -> anyhow::Result<u8> {
    let (store, notes) = Store::open_for_run(db).await?;
    for note in notes.iter() {
        eprintln!("llm-health: {note}");
    }
    let data_dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let started = controller::start(
        Options {
            store,
            settings: Settings {
                onboarded: true,
                ..Settings::with_config(file)
            },
            data_dir,
            config_source: source.to_string(),
            first_run: false,
        },
        Shell {
            keys,
            ..Shell::headless(Unchanging)
        },
    );
    for warning in &started.warnings {
        eprintln!("llm-health: {warning}");
    }
    let core = started.handle;
    let live = !plain && std::io::stdout().is_terminal();
    let header = format!("config: {source} · history: {}", db.display());
    if !live {
        println!("llm-health watching ({header}); Ctrl-C to stop");
    }
    let display = display(&core, live, header);
    let stop = async {
        match duration {
            Some(d) => tokio::time::sleep(d).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    tokio::select! {
        _ = stop => {}
        _ = display => {}
    }
    let totals = core
        .stop()
        .await
        .ok_or_else(|| anyhow::anyhow!("the history of this run was not fully written"))?;
    if totals.events_dropped > 0 {
        eprintln!(
            "llm-health: {} events could not be written in time and were dropped",
            totals.events_dropped
        );
    }
    if live {
        println!();
    }
    println!(
        "stopped; {} events written to {}",
        totals.events_written,
        db.display()
    );
    Ok(0)
}

async fn display(core: &Handle, live: bool, header: String) {
    let style = Style::detect();
    let mut updates = core.subscribe();
    let mut recent: VecDeque<String> = VecDeque::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick(), if live => {
                print!("\x1b[H\x1b[2J{}", screen(&core.snapshot(), &header, &recent, &style));
            }
            update = updates.recv() => match update {
                Ok(Update::Monitor(live_event)) => {
                    if let Some(line) = event_line(live_event.event(), &style) {
                        if live {
                            recent.push_front(line);
                            recent.truncate(8);
                        } else {
                            println!("{line}");
                        }
                    }
                }
                Ok(Update::State(_)) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

/// A line for a change worth telling: transitions, incidents closing, sleep.
pub fn event_line(event: &Event, style: &Style) -> Option<String> {
    match event {
        Event::Transition(t) => Some(format!(
            "{} {:<18} {} → {}  {}",
            t.at.format("%H:%M:%S"),
            t.target,
            style.status(t.from),
            style.status(t.to),
            clean(&t.reason)
        )),
        Event::Incident(i) if i.ended_at.is_some() => Some(format!(
            "{} {:<18} incident over after {} (worst: {}, {})",
            i.ended_at.unwrap_or(i.started_at).format("%H:%M:%S"),
            i.target,
            duration_words(i.duration_ms(Utc::now())),
            i.worst,
            i.cause.plain_words()
        )),
        Event::Slept { from, to } => Some(format!(
            "{} machine was asleep for {}; re-checking everything",
            to.format("%H:%M:%S"),
            duration_words((*to - *from).num_milliseconds())
        )),
        _ => None,
    }
}

fn screen(snap: &Snapshot, header: &str, recent: &VecDeque<String>, style: &Style) -> String {
    let now = Utc::now();
    let rows: Vec<Vec<String>> = snap
        .targets
        .iter()
        .map(|t| {
            let (latency, details) = match &t.last {
                Some(o) => {
                    let mut d = outcome_words(o);
                    if let Some(ttft) = o.details.ttft_ms {
                        d = format!("TTFT {} {d}", ms_words(ttft));
                    }
                    if d.is_empty() && !o.details.loaded_models.is_empty() {
                        d = format!("{} loaded", o.details.loaded_models.len());
                    }
                    (ms_words(o.latency_ms), d)
                }
                None => ("—".into(), String::new()),
            };
            vec![
                t.name.clone(),
                style.status(t.status),
                since_words(t.since, now),
                latency,
                match (&t.last, t.checking) {
                    (_, true) => "checking…".into(),
                    (Some(o), _) => {
                        format!("{} ago", duration_words((now - o.at).num_milliseconds()))
                    }
                    (None, _) => "—".into(),
                },
                details,
            ]
        })
        .collect();
    let mut out = format!(
        "llm-health — {}{}\n{}\n\n",
        style.status(snap.overall),
        if snap.paused { " (paused)" } else { "" },
        style.dim(header)
    );
    let width = terminal_width().unwrap_or(120);
    out.push_str(&table(
        &["TARGET", "STATUS", "FOR", "LATENCY", "CHECKED", "DETAILS"],
        &rows,
        Some(width),
    ));
    if !recent.is_empty() {
        out.push_str("\nRecent changes:\n");
        for line in recent {
            out.push_str(&fit(&format!("  {line}"), width));
            out.push('\n');
        }
    }
    out.push_str(&style.dim("\nCtrl-C to stop\n"));
    out
}
