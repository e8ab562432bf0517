//! SQLite history for the LLM health monitor: every check, transition, incident and sleep the
//! engine reports, hourly and 5-minute roll-ups so ranges stay fast, and retention so the file
//! stays bounded.
//!
//! Conventions:
//! - Timestamps are stored as INTEGER unix milliseconds UTC.
//! - Ranges are half-open `[from, to)` for checks; incidents count when they touch the range.
//! - One writer: every write goes through a single-connection pool, so writers queue instead of
//!   fighting over SQLite's lock; readers use their own pool and, thanks to WAL, never wait for it.

mod clock;
mod hist;
mod lock;
mod maintain;
mod open;
mod provider;
mod query;
mod recover;
mod run;
mod series;
mod sql;
mod timeline;
mod unclean;
mod view;
mod write;
mod writer;

use chrono::{DateTime, Utc};
use monitor::{Class, Incident, Kind, Outcome, Status};
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex, RwLock};
use ts_rs::TS;
use utoipa::ToSchema;

/// Bound on the relative error of percentiles read from histograms (long ranges).
pub const PERCENTILE_RELATIVE_ERROR: f64 = 0.02;
pub use clock::{TrustedClock, TRUST_AFTER};
pub use lock::{lock_path, LockHolder};
pub use provider::ProviderIncidentSpan;
pub use recover::RESTART_REASON;
pub use run::{Recorder, RunNotes, RunTotals};
pub use unclean::UNCLEAN_REASON;
pub use view::{
    HistoryView, IncidentArgs, LatencyPoint, TimelineView, Window, WindowArgs, DEFAULT_BUCKETS,
    MAX_BUCKETS,
};
pub use writer::{WriteHealth, Writer, WriterConfig, WriterStats};

/// Handle to the history database. Cheap to clone: clones share the connection pools.
#[derive(Debug, Clone)]
pub struct Store {
    /// The pools, behind a lock only so that a history file deleted or replaced under a running
    /// monitor can be recreated and every clone (the writer, the app's reads) follows it.
    pools: Arc<RwLock<Pools>>,
    /// The file path, or `:memory:`, for error messages.
    location: Arc<str>,
    shared: Arc<Shared>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pools {
    /// Single connection: the one writer.
    pub write: SqlitePool,
    /// Readers; the same pool as `write` for an in-memory database.
    pub read: SqlitePool,
}

/// What every clone of a [`Store`] shares besides the pools.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The file, `None` in memory.
    pub path: Option<PathBuf>,
    /// The writer lock, held by a store opened for a run (see `lock.rs`).
    pub lock: Mutex<Option<lock::WriterLock>>,
    /// Which file the connections have open, to notice it being deleted or replaced.
    pub file: Mutex<Option<recover::FileId>>,
    /// How writing goes, for the front ends to show.
    pub health: Mutex<WriteHealth>,
    /// `PRAGMA quick_check` ran when the file was opened.
    pub integrity_checked: bool,
    /// Target ids' row ids, as committed to the open file: `write` looks them up once per
    /// target instead of once per batch. Rows of `targets` are never deleted or renumbered; a
    /// recreated file (`set_pools`) starts it again.
    pub rids: Mutex<std::collections::HashMap<String, i64>>,
    /// Each target's provider incidents as last written to the open file, by row id: `write`
    /// touches the table only when a check's list differs.
    pub provider_seen: Mutex<std::collections::HashMap<i64, Vec<monitor::ProviderIncident>>>,
}

/// A poisoned lock only means a panic elsewhere; the data under it is still whole.
pub(crate) fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What [`Store::open`] found.
#[derive(Debug, Clone)]
pub struct Opened {
    pub store: Store,
    /// Where a damaged database was moved before a fresh one was created, if it was.
    pub set_aside: Option<PathBuf>,
    /// Why it was set aside (not a database, malformed, failed `quick_check`, newer schema).
    pub reason: Option<String>,
    /// Whether the whole file was read with `PRAGMA quick_check` (see [`Store::open`]).
    pub integrity_checked: bool,
}

impl Opened {
    /// What to tell the user when the file was damaged and set aside.
    pub fn damage_report(&self) -> Option<String> {
        self.set_aside.as_ref().map(|aside| {
            format!(
                "the history database was damaged ({}); it was set aside as {} and a new one started",
                self.reason.as_deref().unwrap_or("unreadable"),
                aside.display()
            )
        })
    }
}

/// What to tell the user about the targets `Store::end_unclean_run` ended, if any.
pub fn unclean_report(ended: &[String]) -> Option<String> {
    (!ended.is_empty()).then(|| {
        format!(
            "the last run stopped without a clean shutdown; history marks {} as unknown from their last check",
            ended.join(", ")
        )
    })
}

/// A target as configured: the store keeps its kind and name for the snapshot and exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInfo {
    pub id: String,
    pub kind: Kind,
    pub name: String,
}

impl From<&monitor::config::Target> for TargetInfo {
    fn from(t: &monitor::config::Target) -> Self {
        TargetInfo {
            id: t.id.clone(),
            kind: t.kind,
            name: t.name.clone(),
        }
    }
}

/// The history ranges the UI and CLI offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
pub enum Range {
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "6h")]
    H6,
    #[serde(rename = "24h")]
    H24,
    #[serde(rename = "7d")]
    D7,
    #[serde(rename = "30d")]
    D30,
}

impl Range {
    pub const ALL: [Range; 5] = [Range::H1, Range::H6, Range::H24, Range::D7, Range::D30];

    pub fn as_str(self) -> &'static str {
        match self {
            Range::H1 => "1h",
            Range::H6 => "6h",
            Range::H24 => "24h",
            Range::D7 => "7d",
            Range::D30 => "30d",
        }
    }

    pub fn duration(&self) -> chrono::Duration {
        match self {
            Range::H1 => chrono::Duration::hours(1),
            Range::H6 => chrono::Duration::hours(6),
            Range::H24 => chrono::Duration::hours(24),
            Range::D7 => chrono::Duration::days(7),
            Range::D30 => chrono::Duration::days(30),
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A range name that is not one of [`Range::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown range `{0}`: valid ranges are 1h, 6h, 24h, 7d, 30d")]
pub struct ParseRangeError(pub String);

impl FromStr for Range {
    type Err = ParseRangeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Range::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| ParseRangeError(s.to_string()))
    }
}

/// How long history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Raw checks and the 5-minute roll-ups; older ones survive only inside hourly roll-ups.
    pub raw: chrono::Duration,
    /// Roll-ups, and with them transitions, closed incidents and sleeps.
    pub rollups: chrono::Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw: chrono::Duration::days(14),
            rollups: chrono::Duration::days(365),
        }
    }
}

/// The latest known state of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSnapshot {
    pub target: String,
    /// `None` for a target only ever seen in events, never in [`Store::upsert_targets`].
    pub kind: Option<Kind>,
    pub name: Option<String>,
    pub status: Status,
    /// When the current status began.
    pub since: Option<DateTime<Utc>>,
    pub score: Option<f64>,
    /// The last probe's full outcome, details included.
    pub last: Option<Outcome>,
}

/// One target's history over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct History {
    pub target: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Time healthy or degraded ÷ time not unknown (from `segments`), × 100; `None` when all of
    /// the range is unknown.
    #[schema(required = true)]
    pub uptime_pct: Option<f64>,
    /// Checks in the range.
    #[ts(type = "number")]
    pub checks: u64,
    /// Checks whose class has hard severity (did not work).
    #[ts(type = "number")]
    pub failures: u64,
    /// `failures / checks`; `None` without checks.
    #[schema(required = true)]
    pub error_rate: Option<f64>,
    /// Nearest-rank latency percentiles of the checks that got an answer (severity ok or soft).
    /// Exact for ranges up to 1 h whose raw checks are still kept; otherwise read from merged
    /// log-bucket histograms (5-minute and hourly roll-ups), within 2 % of the exact value.
    #[ts(type = "number | null")]
    #[schema(required = true)]
    pub p50_ms: Option<u64>,
    #[ts(type = "number | null")]
    #[schema(required = true)]
    pub p90_ms: Option<u64>,
    #[ts(type = "number | null")]
    #[schema(required = true)]
    pub p99_ms: Option<u64>,
    /// The status timeline, see [`Segment`].
    pub segments: Vec<Segment>,
    /// Incidents touching the range, newest first.
    pub incidents: Vec<Incident>,
}

/// One stretch of the status timeline.
///
/// The timeline over `[from, to)`: the status at `from` is the `to` of the last transition at or
/// before `from` (`Unknown` if there is none); each later transition starts a new segment; spans
/// the machine slept read as `Unknown` whatever the transitions say; adjacent segments with the
/// same status are merged; everything is clipped to the range. Segments are contiguous: the first
/// starts at `from`, the last ends at `to`.
///
/// The store knows no "now" and no "the app was not running": the last status runs on to `to`.
/// Callers pass `to = now`; stretches the engine did not watch read as whatever status it last
/// reported, unless it sent a sleep or a transition to `Unknown` for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Segment {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub status: Status,
}

/// One check as a heartbeat strip draws it: when, what it found, how it left the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Beat {
    pub at: DateTime<Utc>,
    pub class: Class,
    pub status: Status,
    #[ts(type = "number")]
    pub latency_ms: u64,
}

/// Checks a heartbeat strip shows when the caller does not say.
pub const RECENT_CHECKS: usize = 30;
/// More than any strip is wide.
pub const MAX_RECENT_CHECKS: usize = 500;

/// One raw check, as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRow {
    pub target: String,
    pub at: DateTime<Utc>,
    pub class: Class,
    /// Status after this check.
    pub status: Status,
    pub http_status: Option<u16>,
    pub latency_ms: u64,
    /// `None` when the outcome's message was empty.
    pub message: Option<String>,
    pub ttft_ms: Option<u64>,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
}

/// What one [`Store::maintain`] run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceReport {
    /// Hours newly rolled up (across all targets).
    pub hours_rolled: u64,
    /// Roll-up rows written (one per target per hour with checks).
    pub rollups_written: u64,
    pub checks_deleted: u64,
    pub rollups_deleted: u64,
    /// Every hour before this is in the roll-ups.
    pub rolled_until: Option<DateTime<Utc>>,
    /// 5-minute roll-up rows written (one per target per 5 minutes with checks).
    pub fine_rollups_written: u64,
    pub fine_rollups_deleted: u64,
    /// Every 5 minutes before this are in the 5-minute roll-ups (from the raw horizon on).
    pub fine_rolled_until: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the directory {path} for the history database: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the history database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot update the schema of the history database {path}: {source}")]
    Migrate {
        path: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error(
        "the history database {path} is damaged ({reason}) and could not be moved aside to {aside}: {source}; move or delete it by hand"
    )]
    SetAside {
        path: PathBuf,
        aside: PathBuf,
        reason: String,
        #[source]
        source: std::io::Error,
    },
    #[error("history database {path}: {op} failed: {source}")]
    Db {
        path: String,
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("history database {path} holds unexpected data: {what}")]
    Corrupt { path: String, what: String },
    #[error("history database {path}: no target with id `{target}`")]
    UnknownTarget { path: String, target: String },
    #[error("invalid range: `from` ({from}) is after `to` ({to})")]
    BadRange {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    #[error(transparent)]
    UnknownRange(#[from] ParseRangeError),
    #[error("the history writer stopped abnormally: {0}")]
    Writer(String),
    #[error(
        "{} is being written by another monitor ({}); stop it or use another history file",
        db.display(),
        holder.as_ref().map_or_else(|| "it has not said who it is yet".to_string(), |h| h.to_string())
    )]
    Busy {
        db: PathBuf,
        holder: Option<LockHolder>,
    },
    #[error("cannot lock the history database through {path}: {source}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Store {
    /// The file path, or `:memory:`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Waits for in-flight queries and closes every connection (and so checkpoints the WAL).
    pub async fn close(&self) {
        let pools = self.pools();
        pools.write.close().await;
        pools.read.close().await;
    }

    pub(crate) fn new(pools: Pools, location: &str, shared: Shared) -> Store {
        Store {
            pools: Arc::new(RwLock::new(pools)),
            location: Arc::from(location),
            shared: Arc::new(shared),
        }
    }

    pub(crate) fn pools(&self) -> Pools {
        self.pools.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_pools(&self, pools: Pools) {
        *self.pools.write().unwrap_or_else(|e| e.into_inner()) = pools;
        locked(&self.shared.rids).clear();
        locked(&self.shared.provider_seen).clear();
    }

    fn read_pool(&self) -> SqlitePool {
        self.pools().read
    }

    /// How writing the history goes: failing writes (a full disk), events kept in memory or
    /// lost, a history file recreated under the running monitor. A front end shows it.
    pub fn write_health(&self) -> WriteHealth {
        locked(&self.shared.health).clone()
    }

    /// Whether opening the file ran `PRAGMA quick_check` over it: only when its last run did not
    /// stop cleanly, or nothing says so (see [`Store::open`]). Always `false` in memory.
    pub fn integrity_checked_at_open(&self) -> bool {
        self.shared.integrity_checked
    }

    /// Whether this store holds its file's writer lock (opened with [`Store::open_for_run`]).
    pub fn is_writer(&self) -> bool {
        locked(&self.shared.lock).is_some()
    }

    /// A write transaction that takes SQLite's write lock up front: a deferred one that reads
    /// first could fail to upgrade (SQLITE_BUSY without waiting) if another process wrote meanwhile.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pools()
            .write
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(self.db_err("begin write"))
    }

    fn db_err(&self, op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
        move |source| StoreError::Db {
            path: self.location.to_string(),
            op,
            source,
        }
    }

    fn corrupt(&self, what: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.location.to_string(),
            what: what.into(),
        }
    }

    fn class(&self, code: i64) -> Result<Class, StoreError> {
        u8::try_from(code)
            .ok()
            .and_then(Class::from_code)
            .ok_or_else(|| self.corrupt(format!("unknown class code {code}")))
    }

    fn status(&self, code: i64) -> Result<Status, StoreError> {
        u8::try_from(code)
            .ok()
            .and_then(Status::from_code)
            .ok_or_else(|| self.corrupt(format!("unknown status code {code}")))
    }

    fn time(&self, ms: i64) -> Result<DateTime<Utc>, StoreError> {
        DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| self.corrupt(format!("timestamp {ms} ms out of range")))
    }
}

fn kind_from_str(s: &str) -> Option<Kind> {
    Kind::ALL.into_iter().find(|k| k.as_str() == s)
}

/// u64 → SQLite INTEGER. Values past i64::MAX are not real latencies or token counts.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

const HOUR_MS: i64 = 3_600_000;
/// The fine roll-ups' slot (`rollups_5m`).
const FIVE_MIN_MS: i64 = 300_000;

fn floor_hour(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
}

fn ceil_hour(ms: i64) -> i64 {
    let f = floor_hour(ms);
    if f == ms {
        f
    } else {
        f + HOUR_MS
    }
}
