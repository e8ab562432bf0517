//! Routing hints: which targets are usable now, best first, for scripts and gateways
//! (`llm-health pick`). Usable is healthy or degraded (it answers, if not well); the order is
//! healthy before degraded, then the higher health score, then the faster answer.

use crate::domain::{Kind, Status};
use serde::Serialize;
use std::cmp::Ordering;
use ts_rs::TS;
use utoipa::ToSchema;

/// One target as routing weighs it; `GET /api/healthy` and `pick --json` list these.
#[derive(Debug, Clone, PartialEq, Serialize, TS, ToSchema)]
pub struct Candidate {
    #[serde(rename = "target")]
    pub id: String,
    pub kind: Kind,
    pub base_url: String,
    /// A server the user runs (local kinds and local presets), as `--local` means it.
    pub local: bool,
    pub status: Status,
    /// 0–1, 1 = every recent probe fine.
    pub score: f64,
    /// The last probe's answer time.
    #[ts(type = "number | null")]
    #[schema(required = true)]
    pub latency_ms: Option<u64>,
}

/// Which targets a caller wants.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub kind: Option<Kind>,
    /// `Some(true)`: only servers the user runs; `Some(false)`: only cloud APIs.
    pub local: Option<bool>,
}

/// Healthy or degraded: it answers.
pub fn usable(status: Status) -> bool {
    matches!(status, Status::Healthy | Status::Degraded)
}

/// The usable candidates that pass `filter`, best first.
pub fn rank(candidates: Vec<Candidate>, filter: Filter) -> Vec<Candidate> {
    let mut list: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| usable(c.status))
        .filter(|c| filter.kind.is_none_or(|k| k == c.kind))
        .filter(|c| filter.local.is_none_or(|l| l == c.local))
        .collect();
    list.sort_by(|a, b| {
        a.status
            .badness()
            .cmp(&b.status.badness())
            .then(b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal))
            .then(
                a.latency_ms
                    .unwrap_or(u64::MAX)
                    .cmp(&b.latency_ms.unwrap_or(u64::MAX)),
            )
    });
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, status: Status, score: f64, latency: u64, local: bool) -> Candidate {
        Candidate {
            id: id.into(),
            kind: if local { Kind::Ollama } else { Kind::Openai },
            base_url: format!("http://{id}"),
            local,
            status,
            score,
            latency_ms: Some(latency),
        }
    }

    #[test]
    fn healthy_first_then_score_then_speed() {
        let list = vec![
            c("slow", Status::Healthy, 1.0, 900, false),
            c("down", Status::Unhealthy, 0.0, 10, false),
            c("fast", Status::Healthy, 1.0, 100, true),
            c("shaky", Status::Healthy, 0.7, 50, false),
            c("limited", Status::Degraded, 1.0, 10, false),
            c("unknown", Status::Unknown, 0.0, 10, false),
        ];
        let ids = |l: Vec<Candidate>| l.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(
            ids(rank(list.clone(), Filter::default())),
            ["fast", "slow", "shaky", "limited"]
        );
        let cloud = Filter {
            local: Some(false),
            ..Filter::default()
        };
        assert_eq!(ids(rank(list.clone(), cloud)), ["slow", "shaky", "limited"]);
        let ollama = Filter {
            kind: Some(Kind::Ollama),
            ..Filter::default()
        };
        assert_eq!(ids(rank(list, ollama)), ["fast"]);
    }
}
