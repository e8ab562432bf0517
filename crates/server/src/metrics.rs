//! `GET /metrics`: Prometheus text exposition format (version 0.0.4), following Prometheus's
//! naming conventions: base units (seconds), `_total` counters, a histogram with cumulative
//! `_bucket{le}` (up to `+Inf`), `_sum` and `_count`, and an info metric for the labels that can
//! change (a target's name and kind), so every other series carries only `target`. Join them
//! with `* on (target) group_left (name, kind) llm_health_target_info`.
//!
//! Counters and the histogram count the engine's checks since the server started
//! ([`counters`]); live gauges come from the engine's snapshot on every scrape; the figures over
//! 24 hours and 7 days come from the history and are kept for [`STORE_TTL`], so frequent scrapes
//! read the database at most that often. `contrib/prometheus/alerts.yml` holds alert rules over
//! these names.
//!
//! | metric | type | labels | meaning |
//! |---|---|---|---|
//! | `llm_health_build_info` | gauge | version | 1 |
//! | `llm_health_target_info` | gauge | target, name, kind | 1 for every configured target |
//! | `llm_health_checks_total` | counter | target, class | checks by class (`ok` always present, other classes once seen) |
//! | `llm_health_check_failures_total` | counter | target | checks whose class is a hard failure (not ok, slow or rate_limited) |
//! | `llm_health_probe_duration_seconds` | histogram | target (+ le) | latency of every check, 25 ms … 30 s buckets; `_count` equals the checks |
//! | `llm_health_last_check_timestamp_seconds` | gauge | target | when the target's last check ended (Unix time) |
//! | `llm_health_next_check_timestamp_seconds` | gauge | target | when the next check is due (absent while one runs, while paused, for a disabled target) |
//! | `llm_health_paused` | gauge | | 1 while monitoring is paused |
//! | `llm_health_status` | gauge | target, status | 1 for the target's current status, 0 for the other three (a disabled target is unknown) |
//! | `llm_health_up` | gauge | target | 1 if the target works (healthy or degraded), 0 if not or unknown |
//! | `llm_health_score` | gauge | target | health score 0–1 over recent probes |
//! | `llm_health_last_latency_seconds` | gauge | target | latency of the last probe |
//! | `llm_health_consecutive_failures` | gauge | target | hard failures in a row |
//! | `llm_health_uptime_ratio` | gauge | target, window (24h, 7d) | time healthy or degraded ÷ time known |
//! | `llm_health_latency_24h_seconds` | gauge | target, percentile (50, 90, 99) | latency of answered checks over 24 h, from the history (`percentile`, not `quantile`: that label is a summary's) |
//! | `llm_health_checks_24h` | gauge | target | checks in the last 24 h (a window of the history, not a counter) |
//! | `llm_health_failures_24h` | gauge | target | checks that failed in the last 24 h |
//! | `llm_health_history_write_failing` | gauge | | 1 while the history cannot be written (full disk, I/O), else 0 |
//! | `llm_health_history_pending_events` | gauge | | events kept in memory until the history takes them |
//! | `llm_health_history_dropped_events_total` | counter | | events lost since the monitor started (the writer fell behind or its memory bound was reached) |
//! | `llm_health_metrics_lagged_updates_total` | counter | | updates the counters missed by falling behind (they undercount by at most this) |

mod counters;

use crate::error::ServerError;
use crate::AppState;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use controller::Handle;
use counters::{Counters, Tally};
use monitor::{Class, Status, TargetView};
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

pub struct MetricsCache {
    cached: tokio::sync::Mutex<Option<Cached>>,
    counters: Arc<Counters>,
}

impl MetricsCache {
    /// Starts counting `handle`'s checks now: counters and the histogram cover what happens from
    /// here on.
    pub fn start(handle: &Handle) -> MetricsCache {
        MetricsCache {
            cached: tokio::sync::Mutex::new(None),
            counters: Counters::start(handle),
        }
    }

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
    kind: &'static str,
    samples: String,
}

impl Family {
    fn gauge(name: &'static str, help: &'static str) -> Family {
        Family::new(name, help, "gauge")
    }

    fn counter(name: &'static str, help: &'static str) -> Family {
        debug_assert!(name.ends_with("_total"));
        Family::new(name, help, "counter")
    }

    fn histogram(name: &'static str, help: &'static str) -> Family {
        Family::new(name, help, "histogram")
    }

    fn new(name: &'static str, help: &'static str, kind: &'static str) -> Family {
        Family {
            name,
            help,
            kind,
            samples: String::new(),
        }
    }

    fn add(&mut self, labels: &[(&str, &str)], value: f64) {
        self.add_as("", labels, value);
    }

    /// A sample named `<family><suffix>` (a histogram's `_bucket`, `_sum`, `_count`).
    fn add_as(&mut self, suffix: &str, labels: &[(&str, &str)], value: f64) {
        if value.is_nan() {
            return;
        }
        self.samples.push_str(self.name);
        self.samples.push_str(suffix);
        if !labels.is_empty() {
            self.samples.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.samples.push(',');
                }
                self.samples.push_str(k);
                self.samples.push_str("=\"");
                push_escaped(&mut self.samples, v);
                self.samples.push('"');
            }
            self.samples.push('}');
        }
        self.samples.push(' ');
        push_value(&mut self.samples, value);
        self.samples.push('\n');
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind);
        out.push_str(&self.samples);
    }
}

/// A value as the exposition format spells it (`+Inf`, `-Inf`; whole numbers without a point).
fn push_value(out: &mut String, value: f64) {
    if value == f64::INFINITY {
        out.push_str("+Inf");
    } else if value == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        let _ = write!(out, "{value}");
    }
}

/// A label value as the exposition format wants it: backslash, double quote and newline escaped.
fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn unix_seconds(at: chrono::DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

async fn render(handle: &Handle, cache: &MetricsCache) -> Result<String, ServerError> {
    let targets = handle.targets().await;
    let history = cache.history(handle, &targets).await?;
    let snapshot = handle.snapshot();
    let ids: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
    let tallies = cache.counters.read(&ids);

    let mut build = Family::gauge(
        "llm_health_build_info",
        "1, labelled with the version of llm-health serving these metrics.",
    );
    build.add(&[("version", env!("CARGO_PKG_VERSION"))], 1.0);
    let mut info = Family::gauge(
        "llm_health_target_info",
        "1 for every configured target, labelled with what can change about it (name, kind).",
    );
    let mut checks_total = Family::counter(
        "llm_health_checks_total",
        "Checks since the server started, by the class of their outcome.",
    );
    let mut failures_total = Family::counter(
        "llm_health_check_failures_total",
        "Checks since the server started that failed (a class other than ok, slow or rate_limited).",
    );
    let mut duration = Family::histogram(
        "llm_health_probe_duration_seconds",
        "Latency of every check since the server started, whatever its class.",
    );
    let mut last_check = Family::gauge(
        "llm_health_last_check_timestamp_seconds",
        "When the target's last check ended, in seconds since the Unix epoch.",
    );
    let mut next_check = Family::gauge(
        "llm_health_next_check_timestamp_seconds",
        "When the target's next check is due, in seconds since the Unix epoch (absent while a check runs, while paused and for a disabled target).",
    );
    let mut paused = Family::gauge(
        "llm_health_paused",
        "1 while monitoring is paused (no checks run), else 0.",
    );
    let mut status = Family::gauge(
        "llm_health_status",
        "1 for the target's current status (healthy, degraded, unhealthy, unknown), 0 for the others.",
    );
    let mut up = Family::gauge(
        "llm_health_up",
        "1 if the target works (healthy or degraded), 0 if it is unhealthy or unknown.",
    );
    let mut score = Family::gauge(
        "llm_health_score",
        "Health score over recent probes, 0 to 1 (1: every recent probe fine).",
    );
    let mut last_latency = Family::gauge(
        "llm_health_last_latency_seconds",
        "Latency of the target's last probe.",
    );
    let mut failures_in_row = Family::gauge(
        "llm_health_consecutive_failures",
        "Hard failures in a row (0 after any probe that worked).",
    );
    let mut uptime = Family::gauge(
        "llm_health_uptime_ratio",
        "Time healthy or degraded divided by time with a known status, over the window.",
    );
    let mut latency = Family::gauge(
        "llm_health_latency_24h_seconds",
        "Latency percentiles of the checks that got an answer over the last 24 hours, from the history.",
    );
    let mut checks = Family::gauge(
        "llm_health_checks_24h",
        "Checks in the last 24 hours (a sliding window of the history, not a counter).",
    );
    let mut failures = Family::gauge(
        "llm_health_failures_24h",
        "Checks that failed (not ok, slow or rate limited) in the last 24 hours.",
    );
    paused.add(&[], f64::from(u8::from(snapshot.paused)));
    let none = FromHistory::default();
    let live: HashMap<&str, &TargetView> = snapshot
        .targets
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();
    // Every configured target; a disabled one is not probed, so its status is unknown.
    for (info_of, tally) in targets.iter().zip(&tallies) {
        let id = info_of.id.as_str();
        let target = [("target", id)];
        info.add(
            &[
                ("target", id),
                ("name", &info_of.name),
                ("kind", info_of.kind.as_str()),
            ],
            1.0,
        );
        counted(
            id,
            tally,
            &mut checks_total,
            &mut failures_total,
            &mut duration,
        );

        let t = live.get(id);
        let current = t.map_or(Status::Unknown, |t| t.status);
        for s in Status::ALL {
            status.add(
                &[("target", id), ("status", s.as_str())],
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
                last_latency.add(&target, seconds(o.latency_ms));
                let ended = o.at + chrono::Duration::milliseconds(o.latency_ms as i64);
                last_check.add(&target, unix_seconds(ended));
            }
            if let Some(at) = t.next_check_at.filter(|_| !snapshot.paused && t.enabled) {
                next_check.add(&target, unix_seconds(at));
            }
            failures_in_row.add(&target, f64::from(t.consecutive_failures));
        }

        let h = history.get(id).unwrap_or(&none);
        for (window, ratio) in [("24h", h.uptime_24h), ("7d", h.uptime_7d)] {
            if let Some(r) = ratio {
                uptime.add(&[("target", id), ("window", window)], r);
            }
        }
        for (p, ms) in [("50", h.p50_ms), ("90", h.p90_ms), ("99", h.p99_ms)] {
            if let Some(ms) = ms {
                latency.add(&[("target", id), ("percentile", p)], seconds(ms));
            }
        }
        checks.add(&target, h.checks as f64);
        failures.add(&target, h.failures as f64);
    }
    // The history writer's health: a full disk must reach an alert rule, not only the page.
    let health = handle.store().write_health();
    let mut write_failing = Family::gauge(
        "llm_health_history_write_failing",
        "1 while the history cannot be written (a full disk, an I/O error), 0 while it is.",
    );
    write_failing.add(&[], f64::from(u8::from(health.failing_since.is_some())));
    let mut pending = Family::gauge(
        "llm_health_history_pending_events",
        "Events kept in memory until the history can take them.",
    );
    pending.add(&[], health.pending as f64);
    let mut dropped = Family::counter(
        "llm_health_history_dropped_events_total",
        "Events lost since the monitor started (never written to the history).",
    );
    dropped.add(&[], health.dropped as f64);
    let mut lagged = Family::counter(
        "llm_health_metrics_lagged_updates_total",
        "Updates from the engine these counters missed by falling behind; the check counters are short by at most this.",
    );
    lagged.add(&[], cache.counters.lagged() as f64);
    let families = [
        &build,
        &info,
        &checks_total,
        &failures_total,
        &duration,
        &last_check,
        &next_check,
        &paused,
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
        &lagged,
    ];
    let size = families.iter().map(|f| f.samples.len() + 256).sum();
    let mut out = String::with_capacity(size);
    for family in families {
        family.write(&mut out);
    }
    Ok(out)
}

/// One target's counters and histogram. `ok` and the failure counter are there from the start
/// (at 0), so a rate sees the first check of each; other classes appear once they happen.
fn counted(
    id: &str,
    tally: &Tally,
    checks_total: &mut Family,
    failures_total: &mut Family,
    duration: &mut Family,
) {
    for (class, n) in Class::ALL.iter().zip(tally.by_class) {
        if n > 0 || *class == Class::Ok {
            checks_total.add(&[("target", id), ("class", class.as_str())], n as f64);
        }
    }
    failures_total.add(&[("target", id)], tally.failures as f64);
    for (le, n) in tally.cumulative() {
        duration.add_as("_bucket", &[("target", id), ("le", le)], n as f64);
    }
    duration.add_as("_sum", &[("target", id)], seconds(tally.sum_ms));
    duration.add_as("_count", &[("target", id)], tally.count() as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(v: &str) -> String {
        let mut out = String::new();
        push_escaped(&mut out, v);
        out
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape("two\nlines"), "two\\nlines");
        let mut f = Family::gauge("m", "help");
        f.add(&[("name", "say \"hi\"")], 1.5);
        f.add(&[("name", "nan")], f64::NAN);
        assert_eq!(f.samples, "m{name=\"say \\\"hi\\\"\"} 1.5\n");
    }

    #[test]
    fn a_histogram_is_written_cumulative_up_to_inf() {
        let mut tally = Tally::default();
        tally.observe(Class::Ok, 20);
        tally.observe(Class::Timeout, 10_000);
        tally.observe(Class::Slow, 45_000);
        let mut checks = Family::counter("c_total", "h");
        let mut fails = Family::counter("f_total", "h");
        let mut hist = Family::histogram("d_seconds", "h");
        counted("a", &tally, &mut checks, &mut fails, &mut hist);
        assert_eq!(
            checks.samples,
            "c_total{target=\"a\",class=\"ok\"} 1\nc_total{target=\"a\",class=\"slow\"} 1\n\
             c_total{target=\"a\",class=\"timeout\"} 1\n"
        );
        assert_eq!(fails.samples, "f_total{target=\"a\"} 1\n");
        let lines: Vec<&str> = hist.samples.lines().collect();
        assert_eq!(lines[0], "d_seconds_bucket{target=\"a\",le=\"0.025\"} 1");
        assert_eq!(lines[8], "d_seconds_bucket{target=\"a\",le=\"10\"} 2");
        assert_eq!(lines[9], "d_seconds_bucket{target=\"a\",le=\"30\"} 2");
        assert_eq!(lines[10], "d_seconds_bucket{target=\"a\",le=\"+Inf\"} 3");
        assert_eq!(lines[11], "d_seconds_sum{target=\"a\"} 55.02");
        assert_eq!(lines[12], "d_seconds_count{target=\"a\"} 3");
        let mut out = String::new();
        hist.write(&mut out);
        assert!(out.starts_with("# HELP d_seconds h\n# TYPE d_seconds histogram\n"));
    }

    #[test]
    fn a_target_never_checked_has_zeros_for_ok_and_failures() {
        let mut checks = Family::counter("c_total", "h");
        let mut fails = Family::counter("f_total", "h");
        let mut hist = Family::histogram("d_seconds", "h");
        counted("a", &Tally::default(), &mut checks, &mut fails, &mut hist);
        assert_eq!(checks.samples, "c_total{target=\"a\",class=\"ok\"} 0\n");
        assert_eq!(fails.samples, "f_total{target=\"a\"} 0\n");
        assert!(hist
            .samples
            .contains("d_seconds_bucket{target=\"a\",le=\"+Inf\"} 0\n"));
        assert!(hist.samples.contains("d_seconds_count{target=\"a\"} 0\n"));
    }

    #[test]
    fn values_are_spelled_as_prometheus_reads_them() {
        let mut s = String::new();
        for v in [
            f64::INFINITY,
            f64::NEG_INFINITY,
            3.0,
            0.25,
            1_733_000_000.123,
        ] {
            push_value(&mut s, v);
            s.push(' ');
        }
        assert_eq!(s, "+Inf -Inf 3 0.25 1733000000.123 ");
    }
}
