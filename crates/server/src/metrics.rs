//! `GET /metrics`: Prometheus text exposition format (version 0.0.4).
//!
//! Live values come from the engine on every scrape. The figures over 24 hours and 7 days come
//! from the history and are kept for [`STORE_TTL`], so a scrape of fifty targets every few
//! seconds reads the database at most that often.
//!
//! | metric | labels | meaning |
//! |---|---|---|
//! | `llm_health_status` | target, name, kind, status | 1 for the target's current status, 0 for the other three (a disabled target is unknown) |
//! | `llm_health_up` | target | 1 if the target works (healthy or degraded), 0 if not or unknown |
//! | `llm_health_score` | target | health score 0–1 over recent probes |
//! | `llm_health_last_latency_seconds` | target | latency of the last probe |
//! | `llm_health_consecutive_failures` | target | hard failures in a row |
//! | `llm_health_uptime_ratio` | target, window (24h, 7d) | time healthy or degraded ÷ time known |
//! | `llm_health_latency_seconds` | target, quantile (0.5, 0.9, 0.99) | latency of answered checks over 24 h |
//! | `llm_health_checks_24h` | target | checks in the last 24 h (a gauge: a window, not a counter) |
//! | `llm_health_failures_24h` | target | checks that failed in the last 24 h |
//! | `llm_health_history_write_failing` | | 1 while the history cannot be written (full disk, I/O), else 0 |
//! | `llm_health_history_pending_events` | | events kept in memory until the history takes them |
//! | `llm_health_history_dropped_events` | | events lost since the monitor started (the writer fell behind or its memory bound was reached) |

use crate::error::ServerError;
use crate::AppState;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use controller::Handle;
use monitor::{Status, TargetView};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Range, TargetInfo, Window};

/// How long history-derived figures are reused between scrapes.
pub const STORE_TTL: Duration = Duration::from_secs(15);

const CONTENT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the history says about one target, as of the last refresh.
#[derive(Debug, Clone, Default)]
struct FromHistory {
    uptime_24h: Option<f64>,
    uptime_7d: Option<f64>,
    p50_ms: Option<u64>,
    p90_ms: Option<u64>,
    p99_ms: Option<u64>,
    checks: u64,
    failures: u64,
}

struct Cached {
    at: Instant,
    /// The configured ids it was read for: a changed configuration reads again.
    ids: Vec<String>,
    by_target: Arc<HashMap<String, FromHistory>>,
}

#[derive(Default)]
pub struct MetricsCache {
    cached: tokio::sync::Mutex<Option<Cached>>,
}

impl MetricsCache {
    async fn history(
        &self,
        handle: &Handle,
        targets: &[TargetInfo],
    ) -> Result<Arc<HashMap<String, FromHistory>>, ServerError> {
        let ids: Vec<String> = targets.iter().map(|t| t.id.clone()).collect();
        // Held while reading, so simultaneous scrapes read once.
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref() {
            if c.at.elapsed() < STORE_TTL && c.ids == ids {
                return Ok(c.by_target.clone());
            }
        }
        let now = Utc::now();
        let window = |range: Range| Window {
            from: now - range.duration(),
            to: now,
            buckets: 1,
        };
        let store = handle.store();
        let day = store.timeline(targets, &window(Range::H24)).await?;
        let week = store.timeline(targets, &window(Range::D7)).await?;
        let mut by_target = HashMap::with_capacity(targets.len());
        for (d, w) in day.targets.iter().zip(&week.targets) {
            let h = &d.history;
            by_target.insert(
                h.target.clone(),
                FromHistory {
                    uptime_24h: h.uptime_pct.map(|p| p / 100.0),
                    uptime_7d: w.history.uptime_pct.map(|p| p / 100.0),
                    p50_ms: h.p50_ms,
                    p90_ms: h.p90_ms,
                    p99_ms: h.p99_ms,
                    checks: h.checks,
                    failures: h.failures,
                },
            );
        }
        let by_target = Arc::new(by_target);
        *cached = Some(Cached {
            at: Instant::now(),
            ids,
            by_target: by_target.clone(),
        });
        Ok(by_target)
    }
}

pub async fn metrics(State(app): State<AppState>) -> Response {
    match render(&app.core, &app.metrics).await {
        Ok(text) => ([(CONTENT_TYPE, CONTENT)], text).into_response(),
        Err(e) => e.into_response(),
    }
}

/// One metric family: its samples are written together under one HELP and TYPE.
struct Family {
    name: &'static str,
    help: &'static str,
    samples: String,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            samples: String::new(),
        }
    }

    fn add(&mut self, labels: &[(&str, &str)], value: f64) {
        if !value.is_finite() {
            return;
        }
        self.samples.push_str(self.name);
        if !labels.is_empty() {
            self.samples.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.samples.push(',');
                }
                let _ = write!(self.samples, "{k}=\"{}\"", escape(v));
            }
            self.samples.push('}');
        }
        let _ = writeln!(self.samples, " {value}");
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} gauge", self.name);
        out.push_str(&self.samples);
    }
}

/// A label value as the exposition format wants it: backslash, double quote and newline escaped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

async fn render(handle: &Handle, cache: &MetricsCache) -> Result<String, ServerError> {
    let targets = handle.targets().await;
    let history = cache.history(handle, &targets).await?;
    let snapshot = handle.snapshot();
    let mut status = Family::new(
        "llm_health_status",
        "1 for the target's current status (healthy, degraded, unhealthy, unknown), 0 for the others.",
    );
    let mut up = Family::new(
        "llm_health_up",
        "1 if the target works (healthy or degraded), 0 if it is unhealthy or unknown.",
    );
    let mut score = Family::new(
        "llm_health_score",
        "Health score over recent probes, 0 to 1 (1: every recent probe fine).",
    );
    let mut last_latency = Family::new(
        "llm_health_last_latency_seconds",
        "Latency of the target's last probe.",
    );
    let mut failures_in_row = Family::new(
        "llm_health_consecutive_failures",
        "Hard failures in a row (0 after any probe that worked).",
    );
    let mut uptime = Family::new(
        "llm_health_uptime_ratio",
        "Time healthy or degraded divided by time with a known status, over the window.",
    );
    let mut latency = Family::new(
        "llm_health_latency_seconds",
        "Latency quantiles of the checks that got an answer over the last 24 hours.",
    );
    let mut checks = Family::new(
        "llm_health_checks_24h",
        "Checks in the last 24 hours (a sliding window, not a counter).",
    );
    let mut failures = Family::new(
        "llm_health_failures_24h",
        "Checks that failed (not ok, slow or rate limited) in the last 24 hours.",
    );
    let none = FromHistory::default();
    let live: HashMap<&str, &TargetView> = snapshot
        .targets
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();
    // Every configured target; a disabled one is not probed, so its status is unknown.
    for info in &targets {
        let id = info.id.as_str();
        let target = [("target", id)];
        let t = live.get(id);
        let current = t.map_or(Status::Unknown, |t| t.status);
        for s in Status::ALL {
            status.add(
                &[
                    ("target", id),
                    ("name", &info.name),
                    ("kind", info.kind.as_str()),
                    ("status", s.as_str()),
                ],
                f64::from(u8::from(current == s)),
            );
        }
        let works = matches!(current, Status::Healthy | Status::Degraded);
        up.add(&target, f64::from(u8::from(works)));
        if let Some(t) = t {
            if let Some(s) = t.score {
                score.add(&target, s);
            }
            if let Some(o) = &t.last {
                last_latency.add(&target, o.latency_ms as f64 / 1000.0);
            }
            failures_in_row.add(&target, f64::from(t.consecutive_failures));
        }

        let h = history.get(id).unwrap_or(&none);
        for (window, ratio) in [("24h", h.uptime_24h), ("7d", h.uptime_7d)] {
            if let Some(r) = ratio {
                uptime.add(&[("target", id), ("window", window)], r);
            }
        }
        for (q, ms) in [("0.5", h.p50_ms), ("0.9", h.p90_ms), ("0.99", h.p99_ms)] {
            if let Some(ms) = ms {
                latency.add(&[("target", id), ("quantile", q)], ms as f64 / 1000.0);
            }
        }
        checks.add(&target, h.checks as f64);
        failures.add(&target, h.failures as f64);
    }
    // The history writer's health: a full disk must reach an alert rule, not only the page.
    let health = handle.store().write_health();
    let mut write_failing = Family::new(
        "llm_health_history_write_failing",
        "1 while the history cannot be written (a full disk, an I/O error), 0 while it is.",
    );
    write_failing.add(&[], f64::from(u8::from(health.failing_since.is_some())));
    let mut pending = Family::new(
        "llm_health_history_pending_events",
        "Events kept in memory until the history can take them.",
    );
    pending.add(&[], health.pending as f64);
    let mut dropped = Family::new(
        "llm_health_history_dropped_events",
        "Events lost since the monitor started (never written to the history).",
    );
    dropped.add(&[], health.dropped as f64);
    let mut out = String::new();
    for family in [
        &status,
        &up,
        &score,
        &last_latency,
        &failures_in_row,
        &uptime,
        &latency,
        &checks,
        &failures,
        &write_failing,
        &pending,
        &dropped,
    ] {
        family.write(&mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape("two\nlines"), "two\\nlines");
        let mut f = Family::new("m", "help");
        f.add(&[("name", "say \"hi\"")], 1.5);
        f.add(&[("name", "nan")], f64::NAN);
        assert_eq!(f.samples, "m{name=\"say \\\"hi\\\"\"} 1.5\n");
    }
}
