//! One round of probes for `llm-health check`: every enabled target once, with the same
//! hysteresis as the engine — a hard failure is confirmed by re-probing up to the failure
//! threshold before it is called unhealthy, so a single blip does not fail a CI job.

use crate::config::{Config, Target};
use crate::domain::{Outcome, Severity, Status};
use crate::health::{Health, Thresholds};
use crate::probe::Prober;
use futures_util::future::join_all;
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
            };
        }
        tokio::time::sleep(CONFIRM_PAUSE).await;
    }
}
