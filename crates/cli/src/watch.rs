//! `llm-health watch`: the engine with history, and a live table (or a line per change).

use crate::check::terminal_width;
use crate::paths::{default_db_path, load_config, UsageError};
use crate::render::{clean, fit, ms_words, outcome_words, table, Style};
use chrono::Utc;
use monitor::config::Config;
use monitor::probe::Prober;
use monitor::words::{duration_words, since_words};
use monitor::{Engine, Event, Snapshot};
use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;
use store::{Recorder, Store};
use tokio::sync::broadcast;

pub async fn run(
    config: Option<PathBuf>,
    db: Option<PathBuf>,
    plain: bool,
    duration: Option<Duration>,
) -> anyhow::Result<u8> {
    let prober = Prober::with_env_keys()?;
    let (config, source) = load_config(config.as_deref(), &prober).await?;
    if config.enabled_targets().next().is_none() {
        return Err(UsageError(format!(
            "nothing to watch ({source}): no targets configured and nothing detected; \
             run `llm-health detect` or write a config file"
        ))
        .into());
    }
    let db = db.unwrap_or_else(default_db_path);
    session(config, prober, &db, &source.to_string(), plain, duration).await
}

/// Runs the monitor with history until Ctrl-C or `duration`; shared by `watch` and `demo`.
pub async fn session(
    config: Config,
    prober: Prober,
    db: &Path,
    source: &str,
    plain: bool,
    duration: Option<Duration>,
) -> anyhow::Result<u8> {
    let (store, notes) = Store::open_for_run(db).await?;
    for note in notes.iter() {
        eprintln!("llm-health: {note}");
    }
    let mut recorder = Recorder::new(store);
    let engine = recorder.start(config, prober).await?;
    let live = !plain && std::io::stdout().is_terminal();
    let header = format!("config: {source} · history: {}", db.display());
    if !live {
        println!("llm-health watching ({header}); Ctrl-C to stop");
    }
    let display = display(engine, live, header);
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
    let totals = recorder.finish().await?;
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

async fn display(engine: Engine, live: bool, header: String) {
    let style = Style::detect();
    let mut events = engine.subscribe();
    let mut recent: VecDeque<String> = VecDeque::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick(), if live => {
                print!("\x1b[H\x1b[2J{}", screen(&engine.snapshot(), &header, &recent, &style));
            }
            event = events.recv() => match event {
                Ok(event) => {
                    if let Some(line) = event_line(&event, &style) {
                        if live {
                            recent.push_front(line);
                            recent.truncate(8);
                        } else {
                            println!("{line}");
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
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
