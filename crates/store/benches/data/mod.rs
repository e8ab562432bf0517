//! The benchmarks' data set: every target checked every 10 s, ~2 % hard failures, ~2 % slow, a
//! few outages per target per week with their transitions and incidents. Shared by the store
//! benchmark and the server's (`#[path]`-included there), so both measure the same database.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use monitor::{
    Check, Class, Details, Event, Incident, Kind, Outcome, Status, TokenUse, Transition,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;
use store::{Retention, Store, TargetInfo};

pub const STEP_MS: i64 = 10_000;
pub const DAY_MS: i64 = 86_400_000;

pub fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).expect("benchmark timestamps are in range")
}

pub fn target_id(i: usize) -> String {
    format!("target-{i:02}")
}

/// The data set's targets as configured: `target-00` is "Target 0", and so on.
pub fn target_infos(targets: usize) -> Vec<TargetInfo> {
    (0..targets)
        .map(|i| TargetInfo {
            id: target_id(i),
            kind: Kind::Openai,
            name: format!("Target {i}"),
        })
        .collect()
}

fn outcome(rng: &mut StdRng, at: i64) -> Outcome {
    let r: f64 = rng.gen();
    let class = if r < 0.02 {
        [
            Class::Timeout,
            Class::Connect,
            Class::ServerError,
            Class::Overloaded,
        ][rng.gen_range(0..4)]
    } else if r < 0.04 {
        Class::Slow
    } else {
        Class::Ok
    };
    // Roughly log-normal around 250 ms, with a tail.
    let latency = (250.0 * (rng.gen::<f64>() * 2.0 - 1.0 + rng.gen::<f64>()).exp()) as u64;
    Outcome {
        at: ts(at),
        class,
        http_status: (class != Class::Timeout && class != Class::Connect).then_some(200),
        latency_ms: latency,
        message: if class == Class::Ok {
            String::new()
        } else {
            class.plain_words().to_string()
        },
        details: Details {
            ttft_ms: rng.gen_bool(0.2).then_some(latency / 2),
            tokens: rng.gen_bool(0.2).then_some(TokenUse {
                input: 8,
                output: 1,
            }),
            ..Details::default()
        },
    }
}

/// Every target's events for `[start, end)`, in time order, as the engine would send them.
pub fn events(targets: usize, start: i64, end: i64, seed: u64) -> Vec<Event> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    let mut status = vec![Status::Healthy; targets];
    let mut open: Vec<Option<i64>> = vec![None; targets];
    let mut at = start;
    while at < end {
        for t in 0..targets {
            let id = target_id(t);
            let o = outcome(&mut rng, at + t as i64 * 97);
            // A few outages per target per week.
            if rng.gen_bool(0.0001) && status[t] == Status::Healthy {
                out.push(Event::Transition(Transition {
                    target: id.clone(),
                    at: o.at,
                    from: Status::Healthy,
                    to: Status::Unhealthy,
                    class: Class::Timeout,
                    reason: "3 timeouts in a row".into(),
                }));
                out.push(Event::Incident(Incident {
                    target: id.clone(),
                    started_at: o.at,
                    ended_at: None,
                    worst: Status::Unhealthy,
                    cause: Class::Timeout,
                    message: "timing out".into(),
                }));
                status[t] = Status::Unhealthy;
                open[t] = Some(at);
            } else if status[t] == Status::Unhealthy && rng.gen_bool(0.01) {
                out.push(Event::Transition(Transition {
                    target: id.clone(),
                    at: o.at,
                    from: Status::Unhealthy,
                    to: Status::Healthy,
                    class: Class::Ok,
                    reason: "recovered".into(),
                }));
                if let Some(s) = open[t].take() {
                    out.push(Event::Incident(Incident {
                        target: id.clone(),
                        started_at: ts(s + t as i64 * 97),
                        ended_at: Some(o.at),
                        worst: Status::Unhealthy,
                        cause: Class::Timeout,
                        message: "timing out".into(),
                    }));
                }
                status[t] = Status::Healthy;
            }
            out.push(Event::Checked(Check {
                target: id,
                outcome: o,
                status: status[t],
                score: 0.9,
                consecutive_failures: 0,
            }));
        }
        at += STEP_MS;
    }
    out
}

/// What [`build`] wrote and how long it took.
pub struct Built {
    pub checks: usize,
    /// Transitions and incidents.
    pub other: usize,
    pub build_secs: f64,
    pub maintain_secs: f64,
    pub rollups_written: u64,
}

/// Writes `days` of history ending at `now` (unix ms) into `store`, a day at a time to keep
/// memory flat, then rolls it up as the running writer would have.
pub async fn build(store: &Store, targets: usize, days: i64, now: i64) -> Built {
    let start = now - days * DAY_MS;
    let t0 = Instant::now();
    let (mut checks, mut other) = (0, 0);
    let mut day_start = start;
    let mut seed = 10;
    while day_start < now {
        let day_end = (day_start + DAY_MS).min(now);
        let evs = events(targets, day_start, day_end, seed);
        seed += 1;
        for e in &evs {
            match e {
                Event::Checked(_) => checks += 1,
                _ => other += 1,
            }
        }
        for chunk in evs.chunks(512) {
            store.write(chunk).await.expect("write");
        }
        day_start = day_end;
    }
    let build_secs = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let report = store
        .maintain(ts(now), &Retention::default())
        .await
        .expect("maintain");
    Built {
        checks,
        other,
        build_secs,
        maintain_secs: t0.elapsed().as_secs_f64(),
        rollups_written: report.rollups_written,
    }
}

/// An integer from the environment, for shrinking a benchmark (`STORE_BENCH_TARGETS=5`).
pub fn env_or(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Nearest-rank percentile of sorted samples.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    let r = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[r.clamp(1, sorted.len()) - 1]
}
