//! A run of the monitor that ended without its clean stop (crash, kill, power loss) left every
//! target's last status standing. Nobody was watching after the last check, so that status ends
//! there: otherwise the timeline would stretch it over the whole time the monitor was gone.

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use monitor::{Event, Status, Transition};

/// Why the status ended, as the timeline shows it.
pub const UNCLEAN_REASON: &str = "monitoring stopped without a clean shutdown";

/// `meta` key: when a run's writer last stopped cleanly, everything written. Removed when a run
/// opens the file (`open.rs`), so its absence means the last run ended some other way, or is still
/// going, and the next open reads the whole file with `quick_check`.
pub(crate) const CLEAN_STOP: &str = "clean_stop_ms";

impl Store {
    /// Records that this run's writer stopped cleanly (see [`CLEAN_STOP`]). Only the holder of
    /// the writer lock does: a reader's stop says nothing about the file.
    pub(crate) async fn record_clean_stop(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        if !self.is_writer() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        crate::maintain::set_meta(&mut tx, CLEAN_STOP, at.timestamp_millis())
            .await
            .map_err(self.db_err("record the clean stop"))?;
        tx.commit().await.map_err(self.db_err("commit"))
    }

    /// Undoes [`Store::record_clean_stop`] when a writer starts again on a store already open.
    pub(crate) async fn record_running(&self) -> Result<(), StoreError> {
        if !self.is_writer() {
            return Ok(());
        }
        sqlx::query("DELETE FROM meta WHERE key = ?1")
            .bind(CLEAN_STOP)
            .execute(&self.pools().write)
            .await
            .map_err(self.db_err("record the run"))?;
        Ok(())
    }

    /// Ends what an unclean stop left open: each target whose status is still known goes to
    /// unknown at the end of its last check, and its open incident closes there. Call it before
    /// a new run starts writing. Returns the targets it ended.
    pub async fn end_unclean_run(&self) -> Result<Vec<String>, StoreError> {
        let mut events = Vec::new();
        let mut ended = Vec::new();
        for snap in self.snapshot().await? {
            if snap.status == Status::Unknown {
                continue;
            }
            let Some(last) = &snap.last else {
                continue;
            };
            let at = last.at + chrono::Duration::milliseconds(crate::to_i64(last.latency_ms));
            events.push(Event::Transition(Transition {
                target: snap.target.clone(),
                at,
                from: snap.status,
                to: Status::Unknown,
                class: last.class,
                reason: UNCLEAN_REASON.into(),
            }));
            let open = self
                // Any start: one stamped after the last check (a clock set back) is open too.
                .incidents(
                    Some(&snap.target),
                    DateTime::<Utc>::MIN_UTC,
                    DateTime::<Utc>::MAX_UTC,
                )
                .await?
                .into_iter()
                .filter(|i| i.ended_at.is_none());
            for mut incident in open {
                incident.ended_at = Some(at.max(incident.started_at));
                events.push(Event::Incident(incident));
            }
            ended.push(snap.target);
        }
        self.write(&events).await?;
        Ok(ended)
    }
}
