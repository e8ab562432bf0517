//! The background writer: drains the engine's event channel into batched transactions and runs
//! maintenance on the side.

use crate::{Retention, Store, StoreError};
use monitor::Event;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

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
    /// Events lost because their batch failed twice (logged as errors when it happened).
    pub dropped: u64,
    /// Maintenance runs that completed.
    pub maintenance_runs: u64,
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
    /// ever wait for room in the channel, never for the disk. A batch that fails is retried once,
    /// then dropped and logged: one bad write must not stop the history. On channel close it
    /// flushes what it has and ends.
    pub fn spawn_writer_with(&self, rx: mpsc::Receiver<Event>, config: WriterConfig) -> Writer {
        let store = self.clone();
        Writer {
            handle: tokio::spawn(run(store, rx, config)),
        }
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Event>, config: WriterConfig) -> WriterStats {
    let max_batch = config.max_batch.max(1);
    let mut stats = WriterStats::default();
    let mut batch: Vec<Event> = Vec::with_capacity(max_batch);
    let mut maintenance = tokio::time::interval_at(
        Instant::now() + config.maintenance_every,
        config.maintenance_every,
    );
    maintenance.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut open = true;

    while open {
        // Idle: wait for the first event of a batch, or for maintenance.
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => batch.push(ev),
                None => open = false,
            },
            _ = maintenance.tick() => {
                maintain(&store, &config, &mut stats).await;
                continue;
            }
        }
        // Filling: until the batch is full, the delay expires, or the channel closes.
        let deadline = Instant::now() + config.max_delay;
        while open && batch.len() < max_batch {
            tokio::select! {
                ev = rx.recv() => match ev {
                    Some(ev) => batch.push(ev),
                    None => open = false,
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        flush(&store, &mut batch, &mut stats).await;
    }
    stats
}

async fn flush(store: &Store, batch: &mut Vec<Event>, stats: &mut WriterStats) {
    if batch.is_empty() {
        return;
    }
    let n = batch.len() as u64;
    let mut result = store.write(batch).await;
    if let Err(e) = &result {
        tracing::warn!(error = %e, events = n, "writing history failed; retrying once");
        tokio::time::sleep(Duration::from_millis(200)).await;
        result = store.write(batch).await;
    }
    match result {
        Ok(()) => {
            stats.events += n;
            stats.batches += 1;
        }
        Err(e) => {
            tracing::error!(error = %e, events = n, "writing history failed twice; dropping the batch");
            stats.dropped += n;
        }
    }
    batch.clear();
}

async fn maintain(store: &Store, config: &WriterConfig, stats: &mut WriterStats) {
    match store.maintain(chrono::Utc::now(), &config.retention).await {
        Ok(report) => {
            stats.maintenance_runs += 1;
            if report.hours_rolled > 0 || report.checks_deleted > 0 || report.rollups_deleted > 0 {
                tracing::debug!(?report, "history maintenance");
            }
        }
        Err(e) => tracing::warn!(error = %e, "history maintenance failed; will retry"),
    }
}
