//! Shared test data: random histories and the naive computations the store is checked against.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use monitor::{Check, Class, Details, Event, Incident, Outcome, Severity, Status, Transition};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const SEC: i64 = 1000;
pub const MIN: i64 = 60 * SEC;
pub const HOUR: i64 = 60 * MIN;
pub const DAY: i64 = 24 * HOUR;

/// 2024-03-01T00:00:00Z, hour aligned.
pub const T0: i64 = 1_709_251_200_000;

pub fn floor_hour(ms: i64) -> i64 {
    ms.div_euclid(HOUR) * HOUR
}

pub fn ceil_hour(ms: i64) -> i64 {
    -floor_hour(-ms)
}

pub fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

pub fn check(target: &str, at_ms: i64, class: Class, latency_ms: u64, status: Status) -> Event {
    Event::Checked(Check {
        target: target.to_string(),
        outcome: Outcome {
            at: ts(at_ms),
            class,
            http_status: Some(200),
            latency_ms,
            message: String::new(),
            details: Details::default(),
        },
        status,
        score: 1.0,
        consecutive_failures: u32::from(class.severity() == Severity::Hard),
    })
}

pub fn transition(target: &str, at_ms: i64, from: Status, to: Status) -> Event {
    Event::Transition(Transition {
        target: target.to_string(),
        at: ts(at_ms),
        from,
        to,
        class: Class::Ok,
        reason: format!("to {to}"),
    })
}

pub fn slept(from: i64, to: i64) -> Event {
    Event::Slept {
        from: ts(from),
        to: ts(to),
    }
}

pub fn incident(target: &str, start: i64, end: Option<i64>, worst: Status) -> Event {
    Event::Incident(Incident {
        target: target.to_string(),
        started_at: ts(start),
        ended_at: end.map(ts),
        worst,
        cause: Class::Timeout,
        message: "timing out".into(),
    })
}

#[derive(Debug, Clone, Copy)]
pub struct RawCheck {
    pub target: usize,
    pub ts: i64,
    pub class: Class,
    pub latency: u64,
}

/// Everything generated, kept for the naive side.
#[derive(Debug, Default, Clone)]
pub struct Data {
    pub targets: Vec<String>,
    pub checks: Vec<RawCheck>,
    /// (target, at, to) in the order written.
    pub transitions: Vec<(usize, i64, Status)>,
    pub sleeps: Vec<(i64, i64)>,
    pub events: Vec<Event>,
    pub end: i64,
}

pub fn random_class(rng: &mut StdRng) -> Class {
    let r: f64 = rng.gen();
    if r < 0.88 {
        Class::Ok
    } else if r < 0.92 {
        Class::Slow
    } else if r < 0.94 {
        Class::RateLimited
    } else {
        Class::ALL[rng.gen_range(2..Class::ALL.len())]
    }
}

/// Log-uniform 1 ms – 60 s, with some exact zeros.
pub fn random_latency(rng: &mut StdRng) -> u64 {
    if rng.gen_bool(0.01) {
        return 0;
    }
    (rng.gen_range(0.0f64..(60_000f64).ln())).exp().round() as u64
}

/// `days` of history for `n_targets` targets: checks at random 5–90 s gaps (millisecond times),
/// transitions and sleeps on whole seconds (so a per-second naive walk is exact).
pub fn generate(seed: u64, n_targets: usize, days: i64) -> Data {
    let mut rng = StdRng::seed_from_u64(seed);
    let end = T0 + days * DAY;
    let mut d = Data {
        targets: (0..n_targets).map(|i| format!("t{i}")).collect(),
        end,
        ..Data::default()
    };
    for t in 0..n_targets {
        let mut at = T0 + rng.gen_range(0..60 * SEC);
        while at < end {
            d.checks.push(RawCheck {
                target: t,
                ts: at,
                class: random_class(&mut rng),
                latency: random_latency(&mut rng),
            });
            at += rng.gen_range(5 * SEC..90 * SEC);
        }
        let n_trans = rng.gen_range(3..15);
        for _ in 0..n_trans {
            let at = T0 + rng.gen_range(0..(days * DAY / SEC)) * SEC;
            let to = Status::ALL[rng.gen_range(0..4)];
            d.transitions.push((t, at, to));
        }
        // Sometimes two transitions at the same instant: the later-written one wins.
        if rng.gen_bool(0.5) {
            if let Some(&(tt, at, _)) = d.transitions.last() {
                d.transitions.push((tt, at, Status::Degraded));
            }
        }
    }
    for _ in 0..rng.gen_range(1..5) {
        let a = T0 + rng.gen_range(0..(days * DAY / SEC)) * SEC;
        let len = rng.gen_range(60..4 * 3600) * SEC;
        d.sleeps.push((a, a + len));
    }
    d.transitions.sort_by_key(|&(_, at, _)| at);
    d.checks.sort_by_key(|c| c.ts);

    // Interleave as the engine would: in time order.
    let mut evs: Vec<(i64, Event)> = Vec::new();
    for c in &d.checks {
        let status = Status::Healthy;
        evs.push((
            c.ts,
            check(&d.targets[c.target], c.ts, c.class, c.latency, status),
        ));
    }
    for &(t, at, to) in &d.transitions {
        evs.push((at, transition(&d.targets[t], at, Status::Unknown, to)));
    }
    for &(a, b) in &d.sleeps {
        evs.push((b, slept(a, b)));
    }
    evs.sort_by_key(|(at, _)| *at);
    d.events = evs.into_iter().map(|(_, e)| e).collect();
    d
}

/// What a naive computation says about `[f, t)`.
#[derive(Debug, PartialEq)]
pub struct Naive {
    pub checks: u64,
    pub failures: u64,
    pub latencies: Vec<u64>,
    pub segments: Vec<(i64, i64, Status)>,
    pub uptime_pct: Option<f64>,
}

pub fn nearest_rank(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let r = ((p / 100.0) * n as f64).ceil() as usize;
    Some(sorted[r.clamp(1, n) - 1])
}

/// Checks counted in `[f, t)`, keeping only those `keep` accepts (for retention).
pub fn naive(d: &Data, target: usize, f: i64, t: i64, keep: impl Fn(&RawCheck) -> bool) -> Naive {
    let mut checks = 0;
    let mut failures = 0;
    let mut latencies = Vec::new();
    for c in d
        .checks
        .iter()
        .filter(|c| c.target == target && c.ts >= f && c.ts < t && keep(c))
    {
        checks += 1;
        if c.class.severity() == Severity::Hard {
            failures += 1;
        } else {
            latencies.push(c.latency);
        }
    }
    latencies.sort_unstable();

    // The timeline, one second at a time (all boundaries are whole seconds).
    let status_at = |s: i64| -> Status {
        if d.sleeps.iter().any(|&(a, b)| a <= s && s < b) {
            return Status::Unknown;
        }
        let mut st = Status::Unknown;
        for &(tt, at, to) in &d.transitions {
            if tt == target && at <= s {
                st = to;
            }
        }
        st
    };
    let mut segments: Vec<(i64, i64, Status)> = Vec::new();
    let mut s = f;
    while s < t {
        let next = ((s / SEC) + 1) * SEC;
        let next = next.min(t);
        let st = status_at(s);
        match segments.last_mut() {
            Some(last) if last.2 == st => last.1 = next,
            _ => segments.push((s, next, st)),
        }
        s = next;
    }
    let mut up = 0i64;
    let mut known = 0i64;
    for &(a, b, st) in &segments {
        match st {
            Status::Healthy | Status::Degraded => {
                up += b - a;
                known += b - a
            }
            Status::Unhealthy => known += b - a,
            Status::Unknown => {}
        }
    }
    Naive {
        checks,
        failures,
        latencies,
        segments,
        uptime_pct: (known > 0).then(|| up as f64 * 100.0 / known as f64),
    }
}

pub fn within_bound(estimate: Option<u64>, exact: Option<u64>) -> bool {
    match (estimate, exact) {
        (None, None) => true,
        (Some(e), Some(x)) => (e as f64 - x as f64).abs() <= 0.02 * x as f64,
        _ => false,
    }
}

/// A fresh in-memory store holding `events`.
pub async fn store_with(events: &[Event]) -> store::Store {
    let store = store::Store::open_memory().await.unwrap();
    write_all(&store, events).await;
    store
}

pub async fn write_all(store: &store::Store, events: &[Event]) {
    for chunk in events.chunks(512) {
        store.write(chunk).await.unwrap();
    }
}
