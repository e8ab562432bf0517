//! A run of the monitor that ended without its clean stop (crash, kill, power loss) left every
//! target's last status standing. Nobody was watching after the last check, so that status ends
//! there: otherwise the timeline would stretch it over the whole time the monitor was gone.

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use monitor::{Event, Status, Transition};

/// Why the status ended, as the timeline shows it.
pub const UNCLEAN_REASON: &str = "monitoring stopped without a clean shutdown";

impl Store {
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
