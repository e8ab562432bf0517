//! Changes close together in time are told together: a provider outage or a restart of the
//! machine's services touches several targets within seconds, and one alert reads better than a
//! burst of them.

use crate::record::Records;
use chrono::{DateTime, Duration, Utc};

/// The group of changes being gathered, if any.
#[derive(Debug, Default)]
pub(crate) struct Grouping {
    /// When the current group is due; the first change of a group sets it.
    due: Option<DateTime<Utc>>,
}

impl Grouping {
    /// When the group a change observed at `now` joins is due. A group whose changes were all
    /// passed over (by a sleep) is over, so a later change starts its own.
    pub(crate) fn join(
        &mut self,
        now: DateTime<Utc>,
        window: Duration,
        records: &Records,
    ) -> DateTime<Utc> {
        if let Some(due) = self.due {
            if !records.values().any(|r| r.report_due == Some(due)) {
                self.due = None;
            }
        }
        *self.due.get_or_insert(now + window)
    }

    /// Ends the group once it was told (or everything pending is told at once).
    pub(crate) fn close_if_due(&mut self, now: DateTime<Utc>, everything_due: bool) {
        if everything_due || self.due.is_some_and(|due| due <= now) {
            self.due = None;
        }
    }

    pub(crate) fn clear(&mut self) {
        self.due = None;
    }
}
