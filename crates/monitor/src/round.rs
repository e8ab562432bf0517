//! One-shot probes outside the scheduler: a round for `llm-health check` — every enabled target
//! once, with the same hysteresis as the engine (a hard failure is confirmed by re-probing up to
//! the failure threshold, so a single blip does not fail a CI job) — and the settings form's
//! "Test connection", one probe of a target that is not saved yet.

use crate::config::{Config, ConfigError, ConfigFile, Target, TargetFile};
use crate::domain::{Outcome, Severity, Status};
use crate::health::{Health, Thresholds};
use crate::probe::{KeySource, Prober};
use futures_util::future::join_all;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Pause between confirming probes of a failing target.
const CONFIRM_PAUSE: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct RoundResult {
    pub target: Target,
    pub status: Status,
    /// The last outcome (the one that decided the status).
    pub outcome: Outcome,
    pub attempts: u32,
    /// The health score after the round's probes (0–1).
    pub score: f64,
}

pub async fn check_round(config: &Config, prober: &Prober) -> Vec<RoundResult> {
    let permits = Arc::new(Semaphore::new(config.engine.max_concurrent_probes.max(1)));
    let jobs = config.enabled_targets().map(|target| {
        let permits = permits.clone();
        async move {
            let _permit = permits.acquire().await;
            check_target(target, prober).await
        }
    });
    join_all(jobs).await
}

pub async fn check_target(target: &Target, prober: &Prober) -> RoundResult {
    let th = Thresholds::from(&target.timing);
    let mut health = Health::new(target.id.clone());
    let mut attempts = 0;
    loop {
        let outcome = prober.probe(target).await;
        attempts += 1;
        health.apply(&outcome, th);
        let confirming =
            outcome.class.severity() == Severity::Hard && health.status != Status::Unhealthy;
        if !confirming || attempts >= th.failure {
            return RoundResult {
                target: target.clone(),
                status: health.status,
                outcome,
                attempts,
                score: health.score.unwrap_or(0.0),
            };
        }
        tokio::time::sleep(CONFIRM_PAUSE).await;
    }
}

/// What "Test connection" shows: the outcome of one probe, and what it alone says about the
/// target.
#[derive(Debug, Clone, Serialize, ts_rs::TS, utoipa::ToSchema)]
pub struct TestResult {
    pub status: Status,
    pub outcome: Outcome,
}

/// Probes `target` once, as the settings form has it, saving nothing. It is resolved with the
/// same defaults and checks as a config file, so an error names the key at fault. `api_key` (typed
/// into the form, not saved yet) is used for this target instead of what `keys` holds; like every
/// key it travels only in headers and is redacted from the outcome.
pub async fn test_connection(
    target: TargetFile,
    keys: Arc<dyn KeySource>,
    api_key: Option<String>,
) -> Result<TestResult, ConfigError> {
    let target = resolve_one(target)?;
    let keys: Arc<dyn KeySource> = match api_key.map(|k| k.trim().to_string()) {
        Some(key) if !key.is_empty() => Arc::new(TypedKey {
            target: target.id.clone(),
            key,
            others: keys,
        }),
        _ => keys,
    };
    let prober = Prober::new(keys).map_err(|e| ConfigError::Invalid {
        origin: origin(&target.id),
        line: 0,
        key: "(probe)".into(),
        message: format!("no HTTP client: {e}"),
    })?;
    let outcome = prober.probe(&target).await;
    let mut health = Health::new(target.id.clone());
    // One outcome decides: the form asks what this probe says, not what a streak would.
    health.apply(
        &outcome,
        Thresholds {
            failure: 1,
            success: 1,
            degraded_after: 1,
        },
    );
    Ok(TestResult {
        status: health.status,
        outcome,
    })
}

fn origin(id: &str) -> String {
    format!("target {id:?}")
}

/// One target resolved as if it were the only one of a config file; errors name its own keys
/// (`base_url`, not `targets[0].base_url`), without a line: there is no file.
fn resolve_one(target: TargetFile) -> Result<Target, ConfigError> {
    let id = target.id.clone();
    let file = ConfigFile {
        targets: vec![target],
        ..ConfigFile::default()
    };
    let mut config = file.validate("").map_err(|e| match e {
        ConfigError::Invalid { key, message, .. } => ConfigError::Invalid {
            origin: origin(&id),
            line: 0,
            key: key.strip_prefix("targets[0].").unwrap_or(&key).to_string(),
            message,
        },
        other => other,
    })?;
    Ok(config.targets.remove(0))
}

/// A key typed for one target, in front of the usual source for every other.
struct TypedKey {
    target: String,
    key: String,
    others: Arc<dyn KeySource>,
}

impl KeySource for TypedKey {
    fn key_for(&self, target: &Target) -> Option<String> {
        if target.id == self.target {
            Some(self.key.clone())
        } else {
            self.others.key_for(target)
        }
    }
}
