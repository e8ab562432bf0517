//! `llm-health pick`: one round of zero-token probes, then the usable targets best first
//! (`monitor::pick::rank`); prints the best one's id and base URL, or exits 1 when none is usable.

use crate::paths::{load_config, UsageError};
use monitor::pick::{rank, Candidate, Filter};
use monitor::probe::Prober;
use monitor::round::check_round;
use monitor::Kind;
use std::path::PathBuf;

/// `--kind` as the config spells kinds.
pub fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == text.trim())
        .ok_or_else(|| {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            format!(
                "unknown kind {text:?}: expected one of {}",
                names.join(", ")
            )
        })
}

pub async fn run(config: Option<PathBuf>, filter: Filter, as_json: bool) -> anyhow::Result<u8> {
    let prober = Prober::with_env_keys()?;
    let (config, source) = load_config(config.as_deref(), &prober).await?;
    if config.enabled_targets().next().is_none() {
        return Err(UsageError(format!(
            "nothing to pick from ({source}): no targets configured and nothing detected"
        ))
        .into());
    }
    let results = check_round(&config, &prober).await;
    let candidates = results
        .iter()
        .map(|r| Candidate {
            id: r.target.id.clone(),
            kind: r.target.kind,
            base_url: r.target.base_url.to_string(),
            local: r.target.is_self_hosted(),
            status: r.status,
            score: r.score,
            latency_ms: Some(r.outcome.latency_ms),
        })
        .collect();
    let ranked = rank(candidates, filter);
    if as_json {
        println!("{}", crate::render::json_pretty(&ranked)?);
    } else if let Some(best) = ranked.first() {
        println!("{} {}", best.id, best.base_url);
    } else {
        eprintln!("llm-health: no usable target");
    }
    Ok(u8::from(ranked.is_empty()))
}
