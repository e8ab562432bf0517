//! What the history survives: a second monitor on the same file, the file deleted or replaced
//! under a running monitor, and the wall clock jumping a year ahead and back. Real SQLite files.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use monitor::engine::WallClock;
use monitor::{Class, Event, Incident, Status};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::{Retention, Store, StoreError, WriterConfig, RESTART_REASON, UNCLEAN_REASON};
use tokio::sync::mpsc;

/// Polls `cond` for at most 20 s: SQLite works on its own threads, so "the writer has done it"
/// is a condition, not a duration.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::task::yield_now().await;
        std::thread::yield_now();
    }
}

/// [`until`] for a condition that needs a query.
async fn until_async<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !cond().await {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::task::yield_now().await;
    }
}

fn healthy_check(at: i64) -> Event {
    check("a", at, Class::Ok, 40, Status::Healthy)
}

// ── 10: one writer per file ──────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_second_monitor_on_the_same_file_is_refused_before_it_touches_anything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let (first, _) = Store::open_for_run(&path).await.unwrap();
    let now = Utc::now().timestamp_millis();
    first
        .write(&[
            transition("a", now - 2 * SEC, Status::Unknown, Status::Healthy),
            healthy_check(now - SEC),
        ])
        .await
        .unwrap();

    let err = Store::open_for_run(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Busy { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("history.db is being written by another monitor")
            && text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );

    // The refused one ended nothing: the live target is still healthy, no unclean transition.
    let reader = Store::open(&path).await.unwrap().store;
    let snap = reader.snapshot().await.unwrap();
    assert_eq!(snap[0].status, Status::Healthy);
    let h = reader
        .history("a", ts(now - 10 * SEC), ts(now + SEC))
        .await
        .unwrap();
    assert_eq!(
        h.checks, 1,
        "a reader reads while the monitor holds the file"
    );
    assert!(h
        .segments
        .iter()
        .all(|s| s.status != Status::Unknown || s.to <= ts(now - 2 * SEC)));
    drop(reader);

    // Once the first is gone, the file is free again, and its unclean stop is ended as usual.
    drop(first);
    let (second, notes) = Store::open_for_run(&path).await.unwrap();
    assert!(notes.unclean.is_some());
    let snap = second.snapshot().await.unwrap();
    assert_eq!(snap[0].status, Status::Unknown);
    let h = second
        .history("a", ts(now - 10 * SEC), ts(now + SEC))
        .await
        .unwrap();
    assert!(h
        .segments
        .iter()
        .any(|s| s.status == Status::Unknown && s.from > ts(now - SEC)));
    let _ = UNCLEAN_REASON;
}

// ── 11: the file deleted or replaced under a running monitor ─────────────────────────────────

async fn writer_on(path: &std::path::Path) -> (Store, mpsc::Sender<Event>, store::Writer) {
    let (store, _) = Store::open_for_run(path).await.unwrap();
    let (tx, rx) = mpsc::channel(1024);
    let writer = store.spawn_writer_with(
        rx,
        WriterConfig {
            max_delay: Duration::from_millis(20),
            ..WriterConfig::default()
        },
    );
    (store, tx, writer)
}

async fn checks_in(store: &Store) -> usize {
    store
        .checks(None, DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)
        .await
        .map(|c| c.len())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_deleted_history_file_is_recreated_and_says_history_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let (store, tx, writer) = writer_on(&path).await;
    store
        .upsert_targets(&[store::TargetInfo {
            id: "a".into(),
            kind: monitor::Kind::Openai,
            name: "A".into(),
        }])
        .await
        .unwrap();
    let now = Utc::now().timestamp_millis();
    tx.send(transition(
        "a",
        now - 10 * SEC,
        Status::Unknown,
        Status::Healthy,
    ))
    .await
    .unwrap();
    tx.send(healthy_check(now - 9 * SEC)).await.unwrap();
    until_async("the first check", || async { checks_in(&store).await == 1 }).await;

    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    for i in 0..5 {
        tx.send(healthy_check(now - 5 * SEC + i * SEC))
            .await
            .unwrap();
    }
    until("the restart", || store.write_health().restarted.is_some()).await;
    until_async("the later checks", || async {
        checks_in(&store).await == 5
    })
    .await;
    drop(tx);
    writer.finish().await.unwrap();

    // Another process opening the path sees the new file with its schema and what came after.
    let reader = Store::open(&path).await.unwrap().store;
    assert_eq!(reader.targets().await.unwrap()[0].name, "A");
    assert_eq!(checks_in(&reader).await, 5);
    let snap = reader.snapshot().await.unwrap();
    assert_eq!(snap[0].status, Status::Healthy);
    let h = reader
        .history("a", ts(now - 60 * SEC), ts(now + 60 * SEC))
        .await
        .unwrap();
    assert_eq!(
        h.segments.last().map(|s| s.status),
        Some(Status::Healthy),
        "the status goes on from the restart: {h:?}"
    );
    let health = store.write_health();
    let (_, why) = health.restarted.clone().unwrap();
    assert!(why.starts_with(RESTART_REASON), "{why}");
    assert!(health.problem().unwrap().contains("history restarted"));
}

#[tokio::test]
async fn a_history_file_replaced_by_something_else_is_set_aside_and_started_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let (store, tx, writer) = writer_on(&path).await;
    let now = Utc::now().timestamp_millis();
    tx.send(healthy_check(now - 9 * SEC)).await.unwrap();
    until_async("the first check", || async { checks_in(&store).await == 1 }).await;

    // Replaced, not deleted: a new inode at the path, which is not a database.
    let tmp = dir.path().join("other");
    std::fs::write(&tmp, b"not a database at all, just words").unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    tx.send(healthy_check(now - 5 * SEC)).await.unwrap();
    until("the restart", || store.write_health().restarted.is_some()).await;
    until_async("the later check", || async { checks_in(&store).await == 1 }).await;
    drop(tx);
    writer.finish().await.unwrap();
    let (_, why) = store.write_health().restarted.unwrap();
    assert!(why.contains("moved to"), "{why}");
    let reader = Store::open(&path).await.unwrap();
    assert!(reader.set_aside.is_none());
    assert_eq!(checks_in(&reader.store).await, 1);
}

// ── 12: the wall clock jumping ───────────────────────────────────────────────────────────────

/// A wall clock the test sets.
struct Wall(AtomicI64);

impl WallClock for Wall {
    fn now(&self) -> DateTime<Utc> {
        ts(self.0.load(Ordering::SeqCst))
    }
}

const YEAR: i64 = 365 * DAY;

/// The writer's own maintenance, by an injected wall clock that jumps a year ahead for two
/// hours and comes back. Real time stays the monotonic clock: the writer runs maintenance every
/// 10 ms, and the test moves its wall clock a minute per step, waiting for maintenance to have
/// run with each value.
#[tokio::test]
async fn a_clock_a_year_ahead_and_back_deletes_and_hides_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let (store, _) = Store::open_for_run(&path).await.unwrap();
    // Today, so that the real clock would not call any of it old either.
    let start = floor_hour(Utc::now().timestamp_millis()) + 30 * MIN;
    let wall = Arc::new(Wall(AtomicI64::new(start)));

    // Thirteen days of history, one check every ten minutes, and an incident five days ago.
    let mut old = vec![transition(
        "a",
        start - 13 * DAY - MIN,
        Status::Unknown,
        Status::Healthy,
    )];
    let mut t = start - 13 * DAY;
    while t < start - 10 * MIN {
        old.push(healthy_check(t));
        t += 10 * MIN;
    }
    old.push(incident(
        "a",
        start - 5 * DAY,
        Some(start - 5 * DAY + HOUR),
        Status::Unhealthy,
    ));
    let old_checks = old
        .iter()
        .filter(|e| matches!(e, Event::Checked(_)))
        .count();
    store.write(&old).await.unwrap();

    let (tx, rx) = mpsc::channel(1024);
    let writer = store.spawn_writer_with_clock(
        rx,
        WriterConfig {
            max_delay: Duration::from_millis(5),
            maintenance_every: Duration::from_millis(10),
            ..WriterConfig::default()
        },
        wall.clone(),
    );
    let mut sent = 0usize;
    // A minute of the engine: the clock moves on, a check, and maintenance by that clock.
    let mut minute = |extra: Vec<Event>| {
        wall.0.fetch_add(MIN, Ordering::SeqCst);
        let tx = tx.clone();
        let store = store.clone();
        let mut events = extra;
        events.push(healthy_check(wall.now().timestamp_millis()));
        sent += 1;
        async move {
            // Two more runs: at least one started after the clock moved.
            let want = store.write_health().maintenance_runs + 2;
            for e in events {
                tx.send(e).await.unwrap();
            }
            until("a maintenance run", || {
                store.write_health().maintenance_runs >= want
            })
            .await;
        }
    };

    for _ in 0..10 {
        minute(Vec::new()).await;
    }
    // A year ahead: the engine calls it a sleep, opens an incident, probes on with the new time.
    let before = wall.now().timestamp_millis();
    wall.0.fetch_add(YEAR, Ordering::SeqCst);
    let ahead = wall.now().timestamp_millis() + MIN;
    minute(vec![
        slept(before, ahead),
        transition("a", ahead, Status::Healthy, Status::Unhealthy),
        incident("a", ahead, None, Status::Unhealthy),
    ])
    .await;
    for _ in 0..120 {
        minute(Vec::new()).await;
    }
    // And back: the incident closes by the restored clock, before it started.
    wall.0.fetch_sub(YEAR, Ordering::SeqCst);
    let back = wall.now().timestamp_millis() + MIN;
    minute(vec![
        transition("a", back, Status::Unhealthy, Status::Healthy),
        Event::Incident(Incident {
            target: "a".into(),
            started_at: ts(ahead),
            ended_at: Some(ts(back)),
            worst: Status::Unhealthy,
            cause: Class::Timeout,
            message: "timing out".into(),
        }),
    ])
    .await;
    for _ in 0..10 {
        minute(Vec::new()).await;
    }
    drop(tx);
    let stats = writer.finish().await.unwrap();
    assert_eq!(stats.dropped, 0);
    let now = wall.now().timestamp_millis() + 1;

    // Nothing deleted: every check is still there raw.
    assert_eq!(checks_in(&store).await, old_checks + sent);
    // The last thirty days still count every check before the jump and after it, through the
    // roll-ups for the whole hours.
    let month = store
        .history("a", ts(now - 30 * DAY), ts(now))
        .await
        .unwrap();
    let future = 121;
    assert_eq!(month.checks as usize, old_checks + sent - future);
    assert_eq!(month.incidents.len(), 1, "{:?}", month.incidents);
    // The current hour is visible: its checks count, and it is not hidden as "asleep".
    let recent = store
        .history("a", ts(now - 9 * MIN), ts(now))
        .await
        .unwrap();
    assert_eq!(recent.checks, 9, "{recent:?}");
    assert_eq!(recent.segments.len(), 1, "{:?}", recent.segments);
    assert_eq!(recent.segments[0].status, Status::Healthy);
    // No incident ends before it starts.
    let all = store
        .incidents(None, ts(0), ts(now + 2 * YEAR))
        .await
        .unwrap();
    assert!(
        all.iter()
            .all(|i| i.ended_at.is_none_or(|e| e >= i.started_at)),
        "{all:?}"
    );
    // And the horizons are not in the future.
    let report = store
        .maintain(ts(now), &Retention::default())
        .await
        .unwrap();
    assert!(report.rolled_until.unwrap() <= ts(now), "{report:?}");
}

#[tokio::test]
async fn horizons_left_in_the_future_are_pulled_back_and_hide_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("history.db"))
        .await
        .unwrap()
        .store;
    // Five minutes past an hour, so the checks of the last ten minutes straddle it (the raw
    // horizon was once pulled back to the hour, hiding the checks before it).
    let hour = 60 * MIN;
    let now = Utc::now().timestamp_millis().div_euclid(hour) * hour - hour + 5 * MIN;
    // A maintenance run a year ahead (an older version believed the clock): horizons go there.
    store
        .maintain(ts(now + YEAR), &Retention::default())
        .await
        .unwrap();
    let fresh: Vec<Event> = (0..10)
        .map(|i| healthy_check(now - 10 * MIN + i * MIN))
        .collect();
    store.write(&fresh).await.unwrap();
    let report = store
        .maintain(ts(now), &Retention::default())
        .await
        .unwrap();
    assert!(report.rolled_until.unwrap() <= ts(now), "{report:?}");
    let h = store
        .history("a", ts(now - 20 * MIN), ts(now))
        .await
        .unwrap();
    assert_eq!(h.checks, 10, "{h:?}");
    let p50 = h.p50_ms;
    assert_eq!(p50, Some(40));
}
