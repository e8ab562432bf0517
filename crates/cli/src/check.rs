//! `llm-health check` and `llm-health config validate`.

use crate::paths::{default_config_path, load_config, UsageError};
use crate::render::{clean, outcome_words, Style};
use monitor::config::Config;
use monitor::probe::Prober;
use monitor::round::{check_round, RoundResult};
use monitor::Status;
use serde_json::json;
use std::path::PathBuf;

pub async fn run(config: Option<PathBuf>, as_json: bool) -> anyhow::Result<u8> {
    let prober = Prober::with_env_keys()?;
    let (config, source) = load_config(config.as_deref(), &prober).await?;
    if config.enabled_targets().next().is_none() {
        return Err(UsageError(format!(
            "nothing to check ({source}): no targets configured and nothing detected; \
             run `llm-health detect` or write a config file"
        ))
        .into());
    }
    let results = check_round(&config, &prober).await;
    if as_json {
        let list: Vec<_> = results.iter().map(result_json).collect();
        println!("{}", crate::render::json_pretty(&list)?);
    } else {
        print_table(&results, &Style::detect());
    }
    let unhealthy = results.iter().any(|r| r.status == Status::Unhealthy);
    Ok(u8::from(unhealthy))
}

/// The JSON contract of `check --json`: one object per target.
pub fn result_json(r: &RoundResult) -> serde_json::Value {
    let o = &r.outcome;
    json!({
        "target": r.target.id,
        "name": r.target.name,
        "kind": r.target.kind,
        "status": r.status,
        "class": o.class,
        "http_status": o.http_status,
        "latency_ms": o.latency_ms,
        "message": o.message,
        "models": o.details.models,
        "loaded_models": o.details.loaded_models,
        "attempts": r.attempts,
        "checked_at": o.at,
        "details": o.details,
    })
}

fn print_table(results: &[RoundResult], style: &Style) {
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            let o = &r.outcome;
            vec![
                r.target.id.clone(),
                r.target.kind.to_string(),
                style.status(r.status),
                o.class.to_string(),
                crate::render::ms_words(o.latency_ms),
                summary(r),
            ]
        })
        .collect();
    let width = terminal_width();
    print!(
        "{}",
        crate::render::table(
            &["TARGET", "KIND", "STATUS", "CLASS", "LATENCY", "DETAILS"],
            &rows,
            width
        )
    );
}

fn summary(r: &RoundResult) -> String {
    let o = &r.outcome;
    let mut parts = Vec::new();
    let words = outcome_words(o);
    if !words.is_empty() {
        parts.push(words);
    }
    if o.details.model_count() > 0 {
        parts.push(format!("{} models", o.details.model_count()));
    }
    if !o.details.loaded_models.is_empty() {
        let names: Vec<_> = o
            .details
            .loaded_models
            .iter()
            .map(|m| clean(&m.name))
            .collect();
        parts.push(format!("loaded: {}", names.join(", ")));
    }
    if let Some(ttft) = o.details.ttft_ms {
        parts.push(format!("TTFT {ttft} ms"));
    }
    if let Some(load) = o.details.server_load.as_ref().and_then(|l| l.words()) {
        parts.push(load);
    }
    if let Some(credits) = o.details.credits.as_ref().and_then(|c| c.words()) {
        parts.push(credits);
    }
    // Last: context from the provider's page, never part of the verdict before it.
    if let Some(headline) = o
        .details
        .provider_status
        .as_ref()
        .and_then(|p| p.headline())
    {
        parts.push(clean(&headline).into_owned());
    }
    if r.attempts > 1 {
        parts.push(format!("{} attempts", r.attempts));
    }
    parts.join("; ")
}

/// The terminal's width, so rows are cut rather than wrapped; None when not on a terminal.
pub fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
}

pub fn validate(config: Option<PathBuf>) -> anyhow::Result<u8> {
    let path = config
        .or_else(|| default_config_path().filter(|p| p.exists()))
        .ok_or_else(|| {
            UsageError("no config file given (--config FILE) and none at the default path".into())
        })?;
    let config = Config::load(&path)?;
    println!("{}: ok, {} targets", path.display(), config.targets.len());
    for t in &config.targets {
        let model = t
            .model
            .as_deref()
            .map(|m| format!(", model {m}"))
            .unwrap_or_default();
        println!(
            "  {:<20} {:<18} {} every {}, {} probe{}{}",
            t.id,
            t.kind.to_string(),
            t.base_url,
            humantime::format_duration(t.timing.interval),
            match t.probe {
                monitor::ProbeLevel::Reachable => "reachable",
                monitor::ProbeLevel::Inference => "inference",
            },
            model,
            if t.enabled { "" } else { " (disabled)" },
        );
    }
    for c in &config.alerts {
        let events: Vec<&str> = c.events.iter().map(|e| e.as_str()).collect();
        println!(
            "  alert {:<14} {:<18} {} ({}){}{}",
            c.id,
            c.kind.as_str(),
            controller::ChannelView::from(c).destination,
            events.join(", "),
            c.targets
                .as_ref()
                .map(|t| format!(
                    ", only {}",
                    t.iter().cloned().collect::<Vec<_>>().join(", ")
                ))
                .unwrap_or_default(),
            if c.enabled { "" } else { " (disabled)" },
        );
    }
    if !config.maintenance.is_empty() {
        println!("  {} maintenance window(s)", config.maintenance.len());
    }
    Ok(0)
}
