//! The background writer: drains the engine's event channel into batched transactions and runs
//! maintenance on the side.
//!
//! Writes that fail for a reason that passes (a full disk, a read-only or vanished file, a lock
//! held too long) are kept in memory and retried with backoff, up to [`MAX_PENDING`] events;
//! beyond that the oldest checks go first (transitions and incidents are what the timeline is
//! made of) and every event lost is counted. The engine goes on probing meanwhile: the writer
//! keeps receiving. [`Store::write_health`] says how it goes.

use crate::{locked, Retention, Store, StoreError, TrustedClock};
use chrono::{DateTime, Utc};
use monitor::engine::{SystemClock, WallClock};
use monitor::Event;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

/// Events kept in memory while writes fail: at 100 targets checked every 30 s, over 8 hours.
pub const MAX_PENDING: usize = 100_000;
/// The first retry after a failed write, doubling up to `RETRY_MAX`.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);
/// A batch that fails for a reason that will not pass is tried again once after this.
const RETRY_BAD: Duration = Duration::from_millis(200);
/// On close, how long writes that keep failing are still retried before what is left is lost.
const CLOSE_GRACE: Duration = Duration::from_secs(10);

/// How the writer batches and maintains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// Flush once this many events are waiting…
    pub max_batch: usize,
    /// …or once the oldest waiting event is this old, whichever comes first.
    pub max_delay: Duration,
    /// How often roll-ups and retention run.
    pub maintenance_every: Duration,
    pub retention: Retention,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            max_batch: 512,
            max_delay: Duration::from_millis(250),
            maintenance_every: Duration::from_secs(60),
            retention: Retention::default(),
        }
    }
}

/// What the writer did over its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterStats {
    /// Events written.
    pub events: u64,
    /// Transactions that wrote them.
    pub batches: u64,
    /// Events lost: their batch failed twice for a reason that does not pass, or writes failed
    /// for longer than memory could hold (logged when it happened).
    pub dropped: u64,
    /// Maintenance runs that completed.
    pub maintenance_runs: u64,
}

/// How writing the history goes, as [`Store::write_health`] reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WriteHealth {
    /// Since when writes have been failing; `None` while they work.
    pub failing_since: Option<DateTime<Utc>>,
    /// The last failure, while failing.
    pub last_error: Option<String>,
    /// Events waiting in memory to be written.
    pub pending: u64,
    /// Events lost over the run (see [`WriterStats::dropped`]).
    pub dropped: u64,
    /// When history restarted in a recreated file, and why (see [`crate::RESTART_REASON`]).
    pub restarted: Option<(DateTime<Utc>, String)>,
    /// Maintenance runs that completed.
    pub maintenance_runs: u64,
}

impl WriteHealth {
    /// What the user should be told, if anything, in one sentence.
    pub fn problem(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let (Some(since), Some(error)) = (self.failing_since, &self.last_error) {
            parts.push(format!(
                "history cannot be written since {} ({error}); {} events are kept in memory and retried",
                since.format("%Y-%m-%d %H:%M UTC"),
                self.pending
            ));
        }
        if self.dropped > 0 {
            parts.push(format!(
                "{} events could not be written and were lost",
                self.dropped
            ));
        }
        if let Some((at, why)) = &self.restarted {
            parts.push(format!("{why}, at {}", at.format("%Y-%m-%d %H:%M UTC")));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// The running writer task.
#[derive(Debug)]
pub struct Writer {
    handle: JoinHandle<WriterStats>,
}

impl Writer {
    /// Waits until the channel is closed (every sender dropped) and everything received is written.
    pub async fn finish(self) -> Result<WriterStats, StoreError> {
        self.handle
            .await
            .map_err(|e| StoreError::Writer(e.to_string()))
    }
}

impl Store {
    /// Spawns the writer with the default batching (512 events or 250 ms), maintenance every
    /// minute and default retention. See [`Store::spawn_writer_with`].
    pub fn spawn_writer(&self, rx: mpsc::Receiver<Event>) -> Writer {
        self.spawn_writer_with(rx, WriterConfig::default())
    }

    /// Spawns the writer on the current tokio runtime. It receives continuously, so senders only
    /// ever wait for room in the channel, never for the disk. On channel close it flushes what it
    /// has and ends. See the module documentation for failing writes.
    pub fn spawn_writer_with(&self, rx: mpsc::Receiver<Event>, config: WriterConfig) -> Writer {
        self.spawn_writer_with_clock(rx, config, Arc::new(SystemClock))
    }

    /// [`Store::spawn_writer_with`] reading the wall clock from `wall` (tests inject one).
    /// Maintenance goes by a [`TrustedClock`] over it.
    pub fn spawn_writer_with_clock(
        &self,
        rx: mpsc::Receiver<Event>,
        config: WriterConfig,
        wall: Arc<dyn WallClock>,
    ) -> Writer {
        let store = self.clone();
        Writer {
            handle: tokio::spawn(run(store, rx, config, wall)),
        }
    }
}

struct Failing {
    since: DateTime<Utc>,
    retry_at: Instant,
    backoff: Duration,
    /// This failure will not pass by waiting (see `transient`): the batch goes after one retry.
    permanent: bool,
}

struct State {
    store: Store,
    config: WriterConfig,
    wall: Arc<dyn WallClock>,
    clock: TrustedClock,
    pending: VecDeque<Event>,
    stats: WriterStats,
    failing: Option<Failing>,
}

async fn run(
    store: Store,
    mut rx: mpsc::Receiver<Event>,
    config: WriterConfig,
    wall: Arc<dyn WallClock>,
) -> WriterStats {
    if let Err(e) = store.record_running().await {
        tracing::warn!(error = %e, "cannot record that the history is being written");
    }
    let seed = match store.trusted_seed().await {
        Ok(seed) => seed,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the last maintenance time; trusting the clock");
            None
        }
    };
    let mut st = State {
        clock: TrustedClock::new(wall.clone(), seed),
        wall,
        store,
        config,
        pending: VecDeque::new(),
        stats: WriterStats::default(),
        failing: None,
    };
    let max_batch = config.max_batch.max(1);
    let mut maintenance = tokio::time::interval_at(
        Instant::now() + config.maintenance_every,
        config.maintenance_every,
    );
    maintenance.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // When the oldest event not yet written arrived (while writes work).
    let mut oldest: Option<Instant> = None;

    loop {
        let due = match &st.failing {
            Some(f) => Some(f.retry_at),
            None => oldest.map(|o| o + config.max_delay),
        };
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => {
                    st.push(ev);
                    oldest.get_or_insert_with(Instant::now);
                }
                None => break,
            },
            _ = maintenance.tick() => st.maintain().await,
            _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                st.flush().await;
                oldest = (!st.pending.is_empty()).then(Instant::now);
            }
        }
        while st.failing.is_none() && st.pending.len() >= max_batch {
            st.flush().await;
            oldest = (!st.pending.is_empty()).then(Instant::now);
        }
    }
    st.drain_on_close().await;
    // Everything received is written (or counted as lost): the next open can trust the file.
    if let Err(e) = st.store.record_clean_stop(st.wall.now()).await {
        tracing::warn!(error = %e, "cannot record the clean stop; the next start checks the whole file");
    }
    st.stats
}

impl State {
    fn push(&mut self, ev: Event) {
        if self.pending.len() >= MAX_PENDING {
            let at = self
                .pending
                .iter()
                .position(|e| matches!(e, Event::Checked(_)))
                .unwrap_or(0);
            self.pending.remove(at);
            self.stats.dropped += 1;
            if self.stats.dropped == 1 || self.stats.dropped.is_power_of_two() {
                tracing::error!(
                    dropped = self.stats.dropped,
                    "history writes keep failing and {MAX_PENDING} events wait in memory; dropping the oldest checks"
                );
            }
        }
        self.pending.push_back(ev);
        self.report();
    }

    /// Writes up to one batch from the front of `pending`.
    async fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.check_file().await;
        let n = self.pending.len().min(self.config.max_batch.max(1));
        let mut result = self.store.write(&self.pending.make_contiguous()[..n]).await;
        if result.is_err() && self.store.file_was_replaced() {
            self.check_file().await;
            result = self.store.write(&self.pending.make_contiguous()[..n]).await;
        }
        match result {
            Ok(()) => {
                self.pending.drain(..n);
                self.stats.events += n as u64;
                self.stats.batches += 1;
                if let Some(f) = self.failing.take() {
                    tracing::warn!(
                        since = %f.since,
                        pending = self.pending.len(),
                        "writing history works again"
                    );
                }
            }
            Err(e) => self.failed(e, n),
        }
        self.report();
    }

    fn failed(&mut self, e: StoreError, n: usize) {
        let permanent = !transient(&e);
        let now = Instant::now();
        match &mut self.failing {
            Some(f) if f.permanent && permanent => {
                tracing::error!(error = %e, events = n, "writing history failed twice; dropping the batch");
                self.pending.drain(..n);
                self.stats.dropped += n as u64;
                self.failing = None;
            }
            Some(f) => {
                f.permanent = permanent;
                f.backoff = if permanent {
                    RETRY_BAD
                } else {
                    (f.backoff * 2).clamp(RETRY_FIRST, RETRY_MAX)
                };
                f.retry_at = now + f.backoff;
                tracing::debug!(error = %e, "writing history still fails");
            }
            None => {
                let backoff = if permanent { RETRY_BAD } else { RETRY_FIRST };
                tracing::warn!(
                    error = %e,
                    events = self.pending.len(),
                    "writing history failed; keeping the events in memory and retrying"
                );
                self.failing = Some(Failing {
                    since: self.wall.now(),
                    retry_at: now + backoff,
                    backoff,
                    permanent,
                });
            }
        }
        let mut health = locked(&self.store.shared.health);
        health.last_error = Some(e.to_string());
    }

    /// Recreates the file if it was deleted or replaced under us (`recover.rs`).
    async fn check_file(&mut self) {
        if !self.store.file_was_replaced() {
            return;
        }
        if let Err(e) = self.store.restart_file(self.wall.now()).await {
            tracing::error!(error = %e, "the history file was deleted or replaced, and recreating it failed; will retry");
        }
    }

    async fn maintain(&mut self) {
        self.check_file().await;
        if let Err(e) = self.store.end_future_sleeps(self.wall.now()).await {
            tracing::warn!(error = %e, "cannot check the recorded sleeps; will retry");
        }
        let now = self.clock.now();
        match self.store.maintain(now, &self.config.retention).await {
            Ok(report) => {
                self.stats.maintenance_runs += 1;
                if report.hours_rolled > 0
                    || report.checks_deleted > 0
                    || report.rollups_deleted > 0
                {
                    tracing::debug!(?report, "history maintenance");
                }
            }
            Err(e) => tracing::warn!(error = %e, "history maintenance failed; will retry"),
        }
        self.report();
    }

    /// Writes everything left; writes that keep failing get `CLOSE_GRACE`, then what is left is
    /// counted as lost.
    async fn drain_on_close(&mut self) {
        let give_up = Instant::now() + CLOSE_GRACE;
        while !self.pending.is_empty() {
            if let Some(f) = &self.failing {
                if f.retry_at >= give_up {
                    let lost = self.pending.len();
                    tracing::error!(
                        events = lost,
                        "history could not be written before stopping; these events are lost"
                    );
                    self.stats.dropped += lost as u64;
                    self.pending.clear();
                    break;
                }
                tokio::time::sleep_until(f.retry_at).await;
            }
            self.flush().await;
        }
        self.report();
    }

    fn report(&self) {
        let mut health = locked(&self.store.shared.health);
        health.pending = self.pending.len() as u64;
        health.dropped = self.stats.dropped;
        health.maintenance_runs = self.stats.maintenance_runs;
        health.failing_since = self.failing.as_ref().map(|f| f.since);
        if self.failing.is_none() {
            health.last_error = None;
        }
    }
}

/// Whether a failed write may work later unchanged: the disk or the file, not the data.
fn transient(e: &StoreError) -> bool {
    let StoreError::Db { source, .. } = e else {
        return false;
    };
    match source {
        sqlx::Error::Database(db) => {
            let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
            // BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN (the primary code is the low byte).
            matches!(code & 0xff, 5 | 6 | 8 | 10 | 13 | 14)
        }
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monitor::{Check, Class, Details, Outcome, Status};

    fn check(at_ms: i64, message: &str) -> Event {
        Event::Checked(Check {
            target: "a".into(),
            outcome: Outcome {
                at: DateTime::from_timestamp_millis(at_ms).unwrap(),
                class: Class::Ok,
                http_status: Some(200),
                latency_ms: 30,
                message: message.into(),
                details: Details::default(),
            },
            status: Status::Healthy,
            score: 1.0,
            consecutive_failures: 0,
        })
    }

    async fn count(store: &Store) -> usize {
        store
            .checks(None, DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)
            .await
            .unwrap()
            .len()
    }

    /// Polls a condition of the writer for at most 20 s. Real time, not paused: sqlx's pool
    /// timeouts would fire while SQLite works on its own thread.
    async fn until(what: &str, store: &Store, cond: impl Fn(&WriteHealth) -> bool) {
        let start = std::time::Instant::now();
        while !cond(&store.write_health()) {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(20),
                "timed out waiting for {what}: {:?}",
                store.write_health()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A full database (SQLITE_FULL, the code a full disk gives, made here with
    /// `max_page_count` on the writer's one connection): the writer keeps the events, says so,
    /// goes on receiving, and writes them all once there is room; nothing written before is lost.
    #[tokio::test]
    async fn a_full_disk_keeps_events_in_memory_and_writes_them_when_there_is_room() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let (store, _) = Store::open_for_run(&path).await.unwrap();
        let t0 = 1_709_251_200_000i64;
        let before: Vec<Event> = (0..200).map(|i| check(t0 + i, "before")).collect();
        store.write(&before).await.unwrap();

        let pool = store.pools().write;
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&pool)
            .await
            .unwrap();
        sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
            .execute(&pool)
            .await
            .unwrap();

        let (tx, rx) = mpsc::channel(16);
        let writer = store.spawn_writer(rx);
        let filler = "x".repeat(400);
        let n = 3000;
        for i in 0..n {
            // `send` on a 16-slot channel: it would stall here if the writer stopped receiving.
            tx.send(check(t0 + 1000 + i, &filler)).await.unwrap();
        }
        until("writes to fail", &store, |h| h.failing_since.is_some()).await;
        let health = store.write_health();
        assert!(health.pending > 0, "{health:?}");
        assert!(
            health.last_error.as_deref().unwrap_or("").contains("full"),
            "{health:?}"
        );
        assert!(health.problem().unwrap().contains("kept in memory"));
        assert_eq!(
            count(&store).await,
            200,
            "what was written before is all there"
        );

        sqlx::query("PRAGMA max_page_count = 1073741823")
            .execute(&pool)
            .await
            .unwrap();
        until("the backlog to be written", &store, |h| {
            h.failing_since.is_none() && h.pending == 0
        })
        .await;
        drop(tx);
        let stats = writer.finish().await.unwrap();
        assert_eq!(stats.dropped, 0, "{stats:?}");
        assert_eq!(stats.events, n as u64);
        assert_eq!(count(&store).await, 200 + n as usize);
        assert_eq!(store.write_health().problem(), None);
    }

    /// Over the memory bound, the oldest checks go and are counted; transitions stay.
    #[test]
    fn over_the_bound_the_oldest_checks_go_first() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = Store::open_memory().await.unwrap();
            let mut st = State {
                clock: TrustedClock::new(Arc::new(SystemClock), None),
                wall: Arc::new(SystemClock),
                store: store.clone(),
                config: WriterConfig::default(),
                pending: VecDeque::new(),
                stats: WriterStats::default(),
                failing: None,
            };
            st.push(Event::Slept {
                from: DateTime::from_timestamp_millis(0).unwrap(),
                to: DateTime::from_timestamp_millis(1).unwrap(),
            });
            for i in 0..MAX_PENDING as i64 + 5 {
                st.push(check(i, ""));
            }
            assert_eq!(st.pending.len(), MAX_PENDING);
            assert_eq!(st.stats.dropped, 6);
            assert!(matches!(st.pending.front(), Some(Event::Slept { .. })));
            assert_eq!(store.write_health().dropped, 6);
        });
    }
}
