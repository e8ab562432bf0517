//! A history file deleted or replaced under a running monitor.
//!
//! SQLite keeps writing into the file it opened, so after `rm history.db` every later check
//! lands in a file nobody can open again, and after a copy over it the monitor writes one file
//! while readers read another. The writer compares the path's (device, inode) with the file it
//! opened on every batch, at maintenance and when a write fails; when they differ it carries the
//! targets and their current state over, opens the file now at the path (creating it with the
//! schema, or adopting a database someone put there), and records that history restarted there:
//! a transition per target with [`RESTART_REASON`], a warning in the log and in
//! [`WriteHealth::restarted`](crate::WriteHealth).

use crate::open::open_pools;
use crate::{locked, Store, StoreError};
use chrono::{DateTime, Utc};
use std::path::Path;

/// Why each target's status starts again in a recreated file, as the timeline shows it.
pub const RESTART_REASON: &str =
    "history restarted: the history file was deleted or replaced while the monitor ran";

/// Which file a path or descriptor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    #[cfg(unix)]
    fn of_meta(m: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: m.dev(),
            ino: m.ino(),
        }
    }

    /// Elsewhere only presence is compared: std has no stable file index there.
    #[cfg(not(unix))]
    fn of_meta(_: &std::fs::Metadata) -> FileId {
        FileId { dev: 0, ino: 0 }
    }

    /// `stat`, never `open`: opening and closing the database file would drop SQLite's POSIX
    /// locks on it.
    pub fn of_path(path: &Path) -> Option<FileId> {
        std::fs::metadata(path).ok().map(|m| FileId::of_meta(&m))
    }

    pub fn of_file(file: &std::fs::File) -> Option<FileId> {
        file.metadata().ok().map(|m| FileId::of_meta(&m))
    }
}

/// A `target_state` row by target id: status, since, score, last check time, last outcome.
type StateRow = (
    String,
    i64,
    Option<i64>,
    Option<f64>,
    Option<i64>,
    Option<String>,
);

/// What is carried from the lost file into the new one.
struct Carry {
    /// id, kind, name.
    targets: Vec<(String, Option<String>, Option<String>)>,
    /// id, status, since, score, last check time, last outcome.
    states: Vec<StateRow>,
    /// id, started, worst, cause, message.
    open_incidents: Vec<(String, i64, i64, i64, String)>,
}

impl Store {
    /// Whether the file at the path is no longer the one the connections have open.
    pub(crate) fn file_was_replaced(&self) -> bool {
        let Some(path) = &self.shared.path else {
            return false;
        };
        let opened = *locked(&self.shared.file);
        match (opened, FileId::of_path(path)) {
            (Some(a), Some(b)) => a != b,
            (Some(_), None) => true,
            // Never knew what was opened (it vanished between open and stat): nothing to compare.
            (None, _) => false,
        }
    }

    /// Recreates (or adopts) the file at the path after it was deleted or replaced. Returns
    /// when history restarted.
    pub(crate) async fn restart_file(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let Some(path) = self.shared.path.clone() else {
            return Ok(());
        };
        let old = self.pools();
        // Read from the old file (still open, even when deleted) what the new one needs to go on.
        let carry = self.carry(&old.write).await;
        // Both pools close before anything opens the new file: the old connections use
        // `<path>-wal` by name, and a new connection must not find the old file's journal there.
        old.read.close().await;
        old.write.close().await;
        self.relock(&path)?;
        let opened = open_pools(&path, true).await?;
        let set_aside = opened.set_aside;
        *locked(&self.shared.file) = FileId::of_path(&path);
        self.set_pools(opened.pools);
        let carried = match carry {
            Ok(carry) => self.put_back(carry, now).await,
            Err(e) => Err(e),
        };
        if let Err(e) = &carried {
            tracing::warn!(error = %e, "could not carry the targets over into the new history file");
        }
        let mut reason = format!("{} ({})", RESTART_REASON, path.display());
        if let Some(aside) = set_aside {
            reason.push_str(&format!(
                "; what was put there was not a history database and was moved to {}",
                aside.display()
            ));
        }
        tracing::warn!(path = %path.display(), "{reason}");
        locked(&self.shared.health).restarted = Some((now, reason));
        Ok(())
    }

    /// Takes the writer lock again if its file went with the database (a deleted directory).
    fn relock(&self, path: &Path) -> Result<(), StoreError> {
        let mut lock = locked(&self.shared.lock);
        if lock.as_ref().is_some_and(|l| !l.still_in_place()) {
            // Dropping the old lock first would not help another process: its file is gone.
            *lock = Some(crate::lock::WriterLock::acquire(path)?);
        }
        Ok(())
    }

    async fn carry(&self, pool: &sqlx::SqlitePool) -> Result<Carry, StoreError> {
        let mut tx = pool.begin().await.map_err(self.db_err("begin"))?;
        let targets = sqlx::query_as("SELECT id, kind, name FROM targets")
            .fetch_all(&mut *tx)
            .await
            .map_err(self.db_err("read targets to carry over"))?;
        let states = sqlx::query_as(
            "SELECT t.id, s.status, s.since_ms, s.score, s.last_ts_ms, s.last_outcome
             FROM target_state s JOIN targets t ON t.rid = s.target",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(self.db_err("read target states to carry over"))?;
        let open_incidents = sqlx::query_as(
            "SELECT t.id, i.started_ms, i.worst, i.cause, i.message
             FROM incidents i JOIN targets t ON t.rid = i.target WHERE i.ended_ms IS NULL",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(self.db_err("read open incidents to carry over"))?;
        tx.commit().await.map_err(self.db_err("end read"))?;
        Ok(Carry {
            targets,
            states,
            open_incidents,
        })
    }

    async fn put_back(&self, carry: Carry, now: DateTime<Utc>) -> Result<(), StoreError> {
        let now_ms = now.timestamp_millis();
        let mut tx = self.begin_write().await?;
        for (id, kind, name) in &carry.targets {
            sqlx::query(
                "INSERT INTO targets (id, kind, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET kind = COALESCE(excluded.kind, targets.kind),
                     name = COALESCE(excluded.name, targets.name)",
            )
            .bind(id)
            .bind(kind)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(self.db_err("carry a target over"))?;
        }
        let rid = "(SELECT rid FROM targets WHERE id = ?1)";
        for (id, status, _since, score, last_ts, last) in &carry.states {
            // The status goes on, but the timeline of this file only knows it from now.
            sqlx::query(&format!(
                "INSERT OR REPLACE INTO target_state
                     (target, status, since_ms, score, last_ts_ms, last_outcome)
                 VALUES ({rid}, ?2, ?3, ?4, ?5, ?6)"
            ))
            .bind(id)
            .bind(status)
            .bind(now_ms)
            .bind(score)
            .bind(last_ts)
            .bind(last)
            .execute(&mut *tx)
            .await
            .map_err(self.db_err("carry a target state over"))?;
            sqlx::query(&format!(
                "INSERT INTO transitions (target, at_ms, from_status, to_status, class, reason)
                 VALUES ({rid}, ?2, ?3, ?4, ?5, ?6)"
            ))
            .bind(id)
            .bind(now_ms)
            .bind(i64::from(monitor::Status::Unknown.code()))
            .bind(status)
            .bind(i64::from(monitor::Class::Ok.code()))
            .bind(RESTART_REASON)
            .execute(&mut *tx)
            .await
            .map_err(self.db_err("record the restart"))?;
        }
        for (id, started, worst, cause, message) in &carry.open_incidents {
            sqlx::query(&format!(
                "INSERT OR IGNORE INTO incidents (target, started_ms, ended_ms, worst, cause, message)
                 VALUES ({rid}, ?2, NULL, ?3, ?4, ?5)"
            ))
            .bind(id)
            .bind(started)
            .bind(worst)
            .bind(cause)
            .bind(message)
            .execute(&mut *tx)
            .await
            .map_err(self.db_err("carry an open incident over"))?;
        }
        crate::maintain::set_meta(&mut tx, crate::maintain::RESTARTED_AT, now_ms)
            .await
            .map_err(self.db_err("record the restart"))?;
        tx.commit().await.map_err(self.db_err("commit"))
    }
}
