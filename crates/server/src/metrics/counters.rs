//! The counters and the latency histogram behind `/metrics`, accumulated from the core's live
//! updates since the server started.
//!
//! One task listens to [`Handle::subscribe`] (the broadcast the page's live streams read too), so
//! counting never takes a lock the engine or the core's owner waits on: the only lock here is
//! shared between that task (a few additions per check) and a scrape (a copy of the numbers of
//! the configured targets; the text is written after it is released).

use controller::{Handle, Update};
use monitor::{Check, Class, Event, Severity};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast::error::RecvError;

/// Upper bounds of the latency histogram's buckets, in milliseconds, with their `le` label.
/// 5 s is a bound, so the rule "p99 above 5 s" is exact at its threshold; 30 s is the longest
/// probe a sane timeout allows, and anything longer lands in `+Inf` only.
pub const BUCKETS: [(u64, &str); 10] = [
    (25, "0.025"),
    (50, "0.05"),
    (100, "0.1"),
    (250, "0.25"),
    (500, "0.5"),
    (1_000, "1"),
    (2_500, "2.5"),
    (5_000, "5"),
    (10_000, "10"),
    (30_000, "30"),
];

/// One target's numbers since the server started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Checks by class, indexed like [`Class::ALL`].
    pub by_class: [u64; Class::ALL.len()],
    /// Checks whose class is a hard failure ([`Severity::Hard`]: what the state machine counts
    /// toward `failure_threshold`; `slow` and `rate_limited` are not failures).
    pub failures: u64,
    /// Observations per bucket, not cumulative: `[i]` counts latencies in
    /// `(BUCKETS[i-1], BUCKETS[i]]`, the last slot those above the last bound.
    pub buckets: [u64; BUCKETS.len() + 1],
    /// Sum of the observed latencies, in milliseconds (exact: latencies are whole milliseconds).
    pub sum_ms: u64,
}

impl Tally {
    pub fn observe(&mut self, class: Class, latency_ms: u64) {
        if let Some(i) = Class::ALL.iter().position(|c| *c == class) {
            self.by_class[i] += 1;
        }
        if class.severity() == Severity::Hard {
            self.failures += 1;
        }
        let slot = BUCKETS
            .iter()
            .position(|(bound, _)| latency_ms <= *bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[slot] += 1;
        self.sum_ms = self.sum_ms.saturating_add(latency_ms);
    }

    /// Every check counted (the histogram's `_count` and `+Inf` bucket).
    pub fn count(&self) -> u64 {
        self.by_class.iter().sum()
    }

    /// `(le, observations ≤ le)` for every finite bound, then `+Inf`: cumulative, as the
    /// exposition format wants buckets.
    pub fn cumulative(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        let les = BUCKETS.iter().map(|(_, le)| *le).chain(["+Inf"]);
        les.zip(self.buckets.iter().scan(0u64, |total, n| {
            *total += n;
            Some(*total)
        }))
    }
}

#[derive(Debug, Default)]
pub struct Counters {
    by_target: Mutex<HashMap<String, Tally>>,
    /// Updates the counting task missed because it fell behind the broadcast: the counters are
    /// short by at most this many checks.
    lagged: AtomicU64,
}

impl Counters {
    /// Starts counting what `handle`'s core reports. The task ends when the core's updates end
    /// or these counters are dropped.
    pub fn start(handle: &Handle) -> Arc<Counters> {
        let counters = Arc::new(Counters::default());
        let mut updates = handle.subscribe();
        let weak = Arc::downgrade(&counters);
        tokio::spawn(async move {
            loop {
                let update = updates.recv().await;
                let Some(counters) = weak.upgrade() else {
                    break;
                };
                match update {
                    Ok(Update::Monitor(live)) => {
                        if let Event::Checked(check) = live.event() {
                            counters.count(check);
                        }
                    }
                    Ok(Update::State(_)) => {}
                    Err(RecvError::Lagged(missed)) => {
                        counters.lagged.fetch_add(missed, Ordering::Relaxed);
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        });
        counters
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Tally>> {
        match self.by_target.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn count(&self, check: &Check) {
        let mut map = self.lock();
        let tally = match map.get_mut(check.target.as_str()) {
            Some(t) => t,
            None => map.entry(check.target.clone()).or_default(),
        };
        tally.observe(check.outcome.class, check.outcome.latency_ms);
    }

    /// The numbers of `ids`, in that order (zero for a target not checked yet). Targets no
    /// longer configured are forgotten, so a renamed id costs no memory for ever.
    pub fn read(&self, ids: &[&str]) -> Vec<Tally> {
        let keep: HashSet<&str> = ids.iter().copied().collect();
        let mut map = self.lock();
        map.retain(|id, _| keep.contains(id.as_str()));
        ids.iter()
            .map(|id| map.get(*id).cloned().unwrap_or_default())
            .collect()
    }

    pub fn lagged(&self) -> u64 {
        self.lagged.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latency_lands_in_the_first_bucket_that_holds_it() {
        let mut t = Tally::default();
        for ms in [0, 25, 26, 5_000, 5_001, 30_000, 30_001, 600_000] {
            t.observe(Class::Ok, ms);
        }
        let cumulative: Vec<(&str, u64)> = t.cumulative().collect();
        assert_eq!(
            cumulative,
            [
                ("0.025", 2),
                ("0.05", 3),
                ("0.1", 3),
                ("0.25", 3),
                ("0.5", 3),
                ("1", 3),
                ("2.5", 3),
                ("5", 4),
                ("10", 5),
                ("30", 6),
                ("+Inf", 8),
            ]
        );
        assert_eq!(t.count(), 8);
        assert_eq!(
            t.sum_ms,
            25 + 26 + 5_000 + 5_001 + 30_000 + 30_001 + 600_000
        );
    }

    #[test]
    fn only_hard_classes_are_failures() {
        let mut t = Tally::default();
        for class in Class::ALL {
            t.observe(class, 10);
        }
        let hard = Class::ALL
            .iter()
            .filter(|c| c.severity() == Severity::Hard)
            .count() as u64;
        assert_eq!(t.failures, hard);
        assert_eq!(hard, 9, "ok, slow and rate_limited are not failures");
        assert!(t.by_class.iter().all(|n| *n == 1));
    }

    #[test]
    fn bounds_rise_and_their_labels_say_the_same_in_seconds() {
        for pair in BUCKETS.windows(2) {
            assert!(pair[0].0 < pair[1].0);
        }
        for (ms, le) in BUCKETS {
            assert_eq!(le.parse::<f64>().unwrap(), ms as f64 / 1000.0);
        }
    }

    #[test]
    fn reading_forgets_targets_no_longer_configured() {
        let c = Counters::default();
        c.lock()
            .entry("gone".into())
            .or_default()
            .observe(Class::Ok, 1);
        c.lock()
            .entry("kept".into())
            .or_default()
            .observe(Class::Tls, 1);
        let read = c.read(&["kept", "new"]);
        assert_eq!(read[0].failures, 1);
        assert_eq!(read[1], Tally::default());
        assert!(!c.lock().contains_key("gone"));
    }
}
