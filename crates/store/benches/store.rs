//! Store benchmark: insert throughput, then history query times on a realistic week of data
//! (50 targets, one check every 10 s, 7 days: about 3 million checks). Prints a markdown table.
//!
//! `cargo bench -p store` (takes a few minutes). `STORE_BENCH_TARGETS` / `STORE_BENCH_DAYS`
//! shrink it for a quick look.

use chrono::{DateTime, Duration, Utc};
use monitor::{Check, Class, Details, Event, Incident, Outcome, Status, TokenUse, Transition};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::time::Instant;
use store::{Retention, Store};

const STEP_MS: i64 = 10_000;

fn env_or(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).expect("benchmark timestamps are in range")
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
fn events(targets: usize, start: i64, end: i64, seed: u64) -> Vec<Event> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    let mut status = vec![Status::Healthy; targets];
    let mut open: Vec<Option<i64>> = vec![None; targets];
    let mut at = start;
    while at < end {
        for t in 0..targets {
            let id = format!("target-{t:02}");
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
            }));
        }
        at += STEP_MS;
    }
    out
}

fn file_size(path: &Path) -> u64 {
    let side = |suffix: &str| {
        let mut s = path.as_os_str().to_os_string();
        s.push(suffix);
        std::fs::metadata(s).map(|m| m.len()).unwrap_or(0)
    };
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) + side("-wal")
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let r = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[r.clamp(1, sorted.len()) - 1]
}

struct Rows(Vec<(String, String)>);

impl Rows {
    fn add(&mut self, what: impl Into<String>, value: impl Into<String>) {
        let (what, value) = (what.into(), value.into());
        eprintln!("{what}: {value}");
        self.0.push((what, value));
    }
}

async fn time_history(
    store: &Store,
    targets: usize,
    now: i64,
    range: Duration,
    runs: usize,
) -> (f64, f64, u64) {
    let mut times = Vec::with_capacity(runs);
    let mut checks = 0;
    for i in 0..runs {
        let id = format!("target-{:02}", (i * 7) % targets);
        let t0 = Instant::now();
        let h = store
            .history(&id, ts(now) - range, ts(now))
            .await
            .expect("history");
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        checks = h.checks;
    }
    times.sort_by(f64::total_cmp);
    (pct(&times, 50.0), pct(&times, 99.0), checks)
}

#[tokio::main]
async fn main() {
    let targets = env_or("STORE_BENCH_TARGETS", 50) as usize;
    let days = env_or("STORE_BENCH_DAYS", 7);
    let tmp = tempfile::tempdir().expect("temp dir");
    // STORE_BENCH_DIR keeps the databases for inspection (e.g. with sqlite3's dbstat).
    let dir_path = std::env::var_os("STORE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir_path).expect("bench dir");
    let _ = std::fs::remove_file(dir_path.join("insert.db"));
    let _ = std::fs::remove_file(dir_path.join("week.db"));
    let mut rows = Rows(Vec::new());

    // 1. Insert throughput on a fresh file database.
    {
        let path = dir_path.join("insert.db");
        let store = Store::open(&path).await.expect("open").store;
        let start = 1_700_000_000_000i64;
        let evs = events(targets, start, start + 4000 * STEP_MS, 1);
        let checks = evs
            .iter()
            .filter(|e| matches!(e, Event::Checked(_)))
            .count();
        let t0 = Instant::now();
        for chunk in evs.chunks(512) {
            store.write(chunk).await.expect("write");
        }
        let secs = t0.elapsed().as_secs_f64();
        rows.add(
            format!("insert: {checks} checks via `write`, batches of 512, file DB"),
            format!(
                "{:.0} checks/s ({:.2} ms per batch)",
                checks as f64 / secs,
                secs * 1000.0 / (evs.len() as f64 / 512.0)
            ),
        );
        store.close().await;
    }

    // 2. A week of history.
    let path = dir_path.join("week.db");
    let store = Store::open(&path).await.expect("open").store;
    // Not hour aligned, so history ranges have partial edge hours like real ones.
    let now = 1_700_000_000_000i64 / 3_600_000 * 3_600_000 + 23 * 60_000 + 17_000;
    let start = now - days * 86_400_000;
    let t0 = Instant::now();
    let mut checks = 0usize;
    let mut other = 0usize;
    // Generate a day at a time to keep memory flat.
    let mut day_start = start;
    let mut seed = 10;
    while day_start < now {
        let day_end = (day_start + 86_400_000).min(now);
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
    let build = t0.elapsed().as_secs_f64();
    rows.add(
        format!("build: {targets} targets × every 10 s × {days} d"),
        format!(
            "{checks} checks + {other} transitions/incidents in {build:.1} s ({:.0} checks/s)",
            checks as f64 / build
        ),
    );

    let t0 = Instant::now();
    let report = store
        .maintain(ts(now), &Retention::default())
        .await
        .expect("maintain");
    rows.add(
        "first `maintain` (roll up the whole week)",
        format!(
            "{:.1} s, {} roll-up rows",
            t0.elapsed().as_secs_f64(),
            report.rollups_written
        ),
    );
    let t0 = Instant::now();
    store
        .maintain(ts(now + 60_000), &Retention::default())
        .await
        .expect("maintain");
    rows.add(
        "steady-state `maintain` (nothing to roll)",
        format!("{:.1} ms", t0.elapsed().as_secs_f64() * 1000.0),
    );
    for (name, range) in [
        ("7 d", Duration::days(7)),
        ("30 d", Duration::days(30)),
        ("24 h", Duration::hours(24)),
        ("1 h", Duration::hours(1)),
    ] {
        // Warm the page cache once, as a running app would have it.
        time_history(&store, targets, now, range, 3).await;
        let (p50, p99, n) = time_history(&store, targets, now, range, 50).await;
        rows.add(
            format!("`history` {name} (one target, {n} checks), 50 runs"),
            format!("median {p50:.2} ms, p99 {p99:.2} ms"),
        );
    }
    let t0 = Instant::now();
    let snap = store.snapshot().await.expect("snapshot");
    rows.add(
        format!("`snapshot` ({} targets)", snap.len()),
        format!("{:.2} ms", t0.elapsed().as_secs_f64() * 1000.0),
    );
    let t0 = Instant::now();
    let export = store
        .checks(Some("target-00"), ts(now - 86_400_000), ts(now))
        .await
        .expect("checks");
    rows.add(
        format!("`checks` export, one target, 24 h ({} rows)", export.len()),
        format!("{:.1} ms", t0.elapsed().as_secs_f64() * 1000.0),
    );
    // Closing checkpoints the WAL into the file: this is the size at rest.
    store.close().await;
    rows.add(
        "database file size at rest",
        format!(
            "{:.0} MiB ({:.1} bytes per check, indexes and roll-ups included)",
            file_size(&path) as f64 / 1048576.0,
            file_size(&path) as f64 / checks as f64
        ),
    );
    let t0 = Instant::now();
    let reopened = Store::open(&path).await.expect("reopen");
    rows.add(
        "reopen (`quick_check` + migrations) of that file",
        format!("{:.2} s", t0.elapsed().as_secs_f64()),
    );
    reopened.store.close().await;

    println!("| measurement | result |");
    println!("| --- | --- |");
    for (what, value) in &rows.0 {
        println!("| {what} | {value} |");
    }
}
