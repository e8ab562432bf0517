//! Maintenance windows and snoozes: stretches when a target's changes are expected (an upgrade, a
//! nightly model swap) or not wanted ("snooze for 1 h"). Nothing is said about a covered target
//! then; when its stretch ends, one summary says what happened meanwhile.

use chrono::{DateTime, Utc};
use monitor::config::{Maintenance, MaintenanceBand};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub(crate) struct Windows {
    windows: Vec<Maintenance>,
    /// Target id → when its snooze began and when it ends.
    snoozes: HashMap<String, (DateTime<Utc>, DateTime<Utc>)>,
    /// Targets that changed while covered → when their cover ends: due for the summary then.
    held: HashMap<String, Held>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Held {
    pub(crate) until: DateTime<Utc>,
    /// The target was down at some point while covered.
    pub(crate) was_down: bool,
}

impl Windows {
    pub(crate) fn set_windows(&mut self, windows: Vec<Maintenance>) {
        self.windows = windows;
    }

    pub(crate) fn snooze(&mut self, id: &str, until: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        match until.filter(|until| *until > now) {
            Some(until) => {
                self.snoozes.insert(id.to_string(), (now, until));
            }
            None => {
                self.snoozes.remove(id);
                // What the snooze covered is summed up at once, unless a window still covers it.
                let cover = self.cover_ends(id, now);
                if let Some(held) = self.held.get_mut(id) {
                    held.until = cover.unwrap_or(now);
                }
            }
        }
    }

    /// The snoozes still running at `now`: target id and end, by id.
    pub(crate) fn snoozes(&self, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
        let mut live: Vec<_> = self
            .snoozes
            .iter()
            .filter(|(_, (_, until))| *until > now)
            .map(|(id, (_, until))| (id.clone(), *until))
            .collect();
        live.sort();
        live
    }

    fn snooze_end(&self, id: &str, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.snoozes
            .get(id)
            .filter(|(start, until)| *start <= at && at < *until)
            .map(|(_, until)| *until)
    }

    /// Forgets what is known of targets no longer configured.
    pub(crate) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.snoozes.retain(|id, _| keep(id));
        self.held.retain(|id, _| keep(id));
    }

    /// When the cover of `id` at `at` ends, if it is covered: the latest end among the windows
    /// and the snooze that hold `at`, so back-to-back covers make one stretch.
    pub(crate) fn cover_ends(&self, id: &str, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let snooze = self.snooze_end(id, at);
        let mut end = self
            .windows
            .iter()
            .filter(|w| w.covers_target(id))
            .filter_map(|w| w.window_at(at).map(|(_, end)| end))
            .chain(snooze)
            .max()?;
        // A window that begins as another ends continues the stretch.
        while let Some(next) = self
            .windows
            .iter()
            .filter(|w| w.covers_target(id))
            .filter_map(|w| w.window_at(end).map(|(_, e)| e))
            .chain(self.snooze_end(id, end))
            .max()
        {
            if next <= end {
                break;
            }
            end = next;
        }
        Some(end)
    }

    /// Notes a change of `id` while it is covered until `until`.
    pub(crate) fn hold(&mut self, id: &str, until: DateTime<Utc>, down: bool) {
        let held = self.held.entry(id.to_string()).or_insert(Held {
            until,
            was_down: false,
        });
        held.until = held.until.max(until);
        held.was_down |= down;
    }

    pub(crate) fn is_held(&self, id: &str) -> bool {
        self.held.contains_key(id)
    }

    /// When the next summary is due.
    pub(crate) fn next_end(&self) -> Option<DateTime<Utc>> {
        self.held.values().map(|h| h.until).min()
    }

    /// The targets whose cover ended by `now`, no longer held.
    pub(crate) fn take_ended(&mut self, now: DateTime<Utc>) -> Vec<(String, Held)> {
        let ended: Vec<(String, Held)> = self
            .held
            .iter()
            .filter(|(_, h)| h.until <= now)
            .map(|(id, h)| (id.clone(), *h))
            .collect();
        for (id, _) in &ended {
            self.held.remove(id);
        }
        ended
    }

    /// Every window overlapping `[from, to)` with the targets it covers (`None`: all), and the
    /// snoozes, for the timeline.
    pub(crate) fn bands(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<MaintenanceBand> {
        let mut bands = Vec::new();
        for w in &self.windows {
            let targets: Option<Vec<String>> =
                w.targets.as_ref().map(|t| t.iter().cloned().collect());
            for (start, end) in w.windows_between(from, to) {
                bands.push(MaintenanceBand {
                    targets: targets.clone(),
                    name: w.name.clone(),
                    start,
                    end,
                    snooze: false,
                });
            }
        }
        for (id, (start, end)) in &self.snoozes {
            if *start < to && from < *end {
                bands.push(MaintenanceBand {
                    targets: Some(vec![id.clone()]),
                    name: None,
                    start: *start,
                    end: *end,
                    snooze: true,
                });
            }
        }
        bands.sort_by_key(|b| (b.start, b.end));
        bands
    }
}
