//! Pause and quiet hours. While either holds, changes stay pending; the first flush after it
//! sums up what is still down in one alert, instead of replaying what happened meanwhile or
//! saying nothing about an outage that began in the night.

use crate::prefs::QuietHours;
use chrono::{DateTime, FixedOffset, Utc};

#[derive(Debug, Default)]
pub(crate) struct Silence {
    paused_until: Option<DateTime<Utc>>,
    /// Set by a flush that found alerts silenced: when to look again. Its being set is what
    /// makes the next flush after the silence sum up.
    silenced_until: Option<DateTime<Utc>>,
}

impl Silence {
    /// `latest_now`: the latest time the policy was given, the "at once" of resuming early.
    pub(crate) fn pause_until(
        &mut self,
        until: Option<DateTime<Utc>>,
        latest_now: Option<DateTime<Utc>>,
    ) {
        self.paused_until = until;
        if let Some(silenced) = self.silenced_until {
            // Look again at once: the flush works out whether quiet hours still hold.
            self.silenced_until = Some(match until {
                Some(until) => until.max(silenced),
                None => latest_now.unwrap_or(silenced),
            });
        }
    }

    pub(crate) fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.paused_until.filter(|&until| until > now)
    }

    /// When alerts may be let out again, if they are silenced at `now`.
    pub(crate) fn end(
        &self,
        now: DateTime<Utc>,
        tz: FixedOffset,
        quiet_hours: Option<QuietHours>,
    ) -> Option<DateTime<Utc>> {
        let mut end = now;
        // A pause may end inside quiet hours and quiet hours inside a pause; a few rounds settle it.
        for _ in 0..4 {
            if let Some(until) = self.paused_until.filter(|&u| u > end) {
                end = until;
            } else if let Some(until) = quiet_hours.and_then(|q| q.ends_after(end, tz)) {
                end = until;
            } else {
                break;
            }
        }
        (end > now).then_some(end)
    }

    /// Alerts were found silenced until `end`; the flush then sums up.
    pub(crate) fn hold_until(&mut self, end: DateTime<Utc>) {
        self.silenced_until = Some(end);
    }

    /// When a silence that held something back is to be looked at again.
    pub(crate) fn summary_due(&self) -> Option<DateTime<Utc>> {
        self.silenced_until
    }

    /// Whether this flush is the first after a silence; it is the only one that is.
    pub(crate) fn take_ended(&mut self) -> bool {
        self.silenced_until.take().is_some()
    }

    /// Nothing is held back any more (alerts were turned off).
    pub(crate) fn forget_held(&mut self) {
        self.silenced_until = None;
    }
}
