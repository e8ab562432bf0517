//! Store benchmark: insert throughput, then history query times on a realistic week of data
//! (50 targets, one check every 10 s, 7 days: about 3 million checks). Prints a markdown table.
//!
//! `cargo bench -p store` (takes a few minutes). `STORE_BENCH_TARGETS` / `STORE_BENCH_DAYS`
//! shrink it for a quick look; `STORE_BENCH_TIMELINE=<name>` (`24 h`, `6 h`, …) times only that
//! `timeline` row, `STORE_BENCH_RUNS=N` runs it N times (default 30), for profiling one.

mod data;

use chrono::Duration;
use data::{env_or, events, pct, ts, DAY_MS, STEP_MS};
use monitor::Event;
use std::path::Path;
use std::time::Instant;
use store::{Retention, Store, Window};

fn file_size(path: &Path) -> u64 {
    let side = |suffix: &str| {
        let mut s = path.as_os_str().to_os_string();
        s.push(suffix);
        std::fs::metadata(s).map(|m| m.len()).unwrap_or(0)
    };
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) + side("-wal")
}

/// CPU time of the whole process (all threads), from `/proc/self/stat` (10 ms ticks): under
/// load from other processes it moves far less than wall time.
fn cpu_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (ticks(11) + ticks(12)) * 10.0
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
    // STORE_BENCH_TIMELINE=<name> times only that `timeline` row (e.g. `24 h`), for profiling.
    let only = std::env::var("STORE_BENCH_TIMELINE").ok();
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

    // 2. A week of history (STORE_BENCH_WEEK=<file> reuses one built by an earlier run).
    // Not hour aligned, so history ranges have partial edge hours like real ones.
    let now = 1_700_000_000_000i64 / 3_600_000 * 3_600_000 + 23 * 60_000 + 17_000;
    let (path, reused) = match std::env::var_os("STORE_BENCH_WEEK") {
        Some(p) => {
            let p = std::path::PathBuf::from(p);
            let exists = p.exists();
            (p, exists)
        }
        None => (dir_path.join("week.db"), false),
    };
    let store = Store::open(&path).await.expect("open").store;
    let infos = data::target_infos(targets);
    if !reused {
        let built = data::build(&store, targets, days, now).await;
        rows.add(
            format!("build: {targets} targets × every 10 s × {days} d"),
            format!(
                "{} checks + {} transitions/incidents in {:.1} s ({:.0} checks/s)",
                built.checks,
                built.other,
                built.build_secs,
                built.checks as f64 / built.build_secs
            ),
        );
        rows.add(
            "first `maintain` (roll up the whole week)",
            format!(
                "{:.1} s, {} roll-up rows",
                built.maintain_secs, built.rollups_written
            ),
        );
        store.upsert_targets(&infos).await.expect("targets");
    }
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
    for (name, range, buckets) in [
        ("7 d", Duration::days(7), store::DEFAULT_BUCKETS),
        ("30 d", Duration::days(30), store::DEFAULT_BUCKETS),
        ("24 h", Duration::hours(24), store::DEFAULT_BUCKETS),
        ("6 h", Duration::hours(6), store::DEFAULT_BUCKETS),
        ("1 h", Duration::hours(1), store::DEFAULT_BUCKETS),
        // What the dashboard's first render asks for.
        ("24 h (dashboard)", Duration::hours(24), 48),
    ] {
        let window = Window {
            from: ts(now) - range,
            to: ts(now),
            buckets,
        };
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let runs = env_or("STORE_BENCH_RUNS", 30) as usize;
        let mut times = Vec::with_capacity(runs);
        let mut cpu0 = 0.0;
        for i in 0..runs + 3 {
            if i == 3 {
                cpu0 = cpu_ms();
            }
            let t0 = Instant::now();
            let view = store.timeline(&infos, &window).await.expect("timeline");
            assert_eq!(view.targets.len(), targets);
            // The first runs warm the page cache.
            if i >= 3 {
                times.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let cpu = (cpu_ms() - cpu0) / runs as f64;
        times.sort_by(f64::total_cmp);
        rows.add(
            format!(
                "`timeline` {name} ({targets} targets, {buckets} latency points each), {runs} runs"
            ),
            format!(
                "median {:.1} ms, p99 {:.1} ms, CPU {cpu:.1} ms per call",
                pct(&times, 50.0),
                pct(&times, 99.0)
            ),
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
    let checks = targets as i64 * days * DAY_MS / STEP_MS;
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
    // Nothing says how the file was left (no run's writer stopped on it): the whole file is read.
    let t0 = Instant::now();
    let reopened = Store::open(&path).await.expect("reopen");
    rows.add(
        "reopen (`quick_check` + migrations) of that file",
        format!(
            "{:.2} s (quick_check ran: {})",
            t0.elapsed().as_secs_f64(),
            reopened.integrity_checked
        ),
    );
    reopened.store.close().await;
    drop(reopened);
    // A run on it that stops cleanly, then the next run's open.
    {
        let (store, _) = Store::open_for_run(&path).await.expect("open for a run");
        store::Recorder::new(store.clone())
            .finish()
            .await
            .expect("clean stop");
        store.close().await;
    }
    let t0 = Instant::now();
    let (reopened, _) = Store::open_for_run(&path).await.expect("reopen for a run");
    rows.add(
        "reopen for a run after a clean stop (migrations, no `quick_check`)",
        format!(
            "{:.3} s (quick_check ran: {})",
            t0.elapsed().as_secs_f64(),
            reopened.integrity_checked_at_open()
        ),
    );
    reopened.close().await;

    println!("| measurement | result |");
    println!("| --- | --- |");
    for (what, value) in &rows.0 {
        println!("| {what} | {value} |");
    }
}
