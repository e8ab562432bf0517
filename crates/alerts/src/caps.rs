//! At most so many alerts about one target in any rolling hour, so that a flapping target or
//! connection cannot flood the desktop (or a webhook).

use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};

#[derive(Debug, Default)]
pub(crate) struct HourlyCap {
    /// When each target was mentioned within the last hour, oldest first.
    per_target: HashMap<String, VecDeque<DateTime<Utc>>>,
    /// The same for offline / back online alerts, which are about the network, not a target.
    network: VecDeque<DateTime<Utc>>,
}

impl HourlyCap {
    /// Forgets what is more than an hour old at `now`.
    pub(crate) fn roll(&mut self, now: DateTime<Utc>) {
        let hour_ago = now - Duration::hours(1);
        for times in self.per_target.values_mut().chain([&mut self.network]) {
            while times.front().is_some_and(|&t| t <= hour_ago) {
                times.pop_front();
            }
        }
    }

    pub(crate) fn allows(&self, id: &str, cap: u32) -> bool {
        self.per_target.get(id).map_or(0, VecDeque::len) < cap as usize
    }

    pub(crate) fn count(&mut self, id: &str, now: DateTime<Utc>) {
        self.per_target
            .entry(id.to_string())
            .or_default()
            .push_back(now);
    }

    /// Counts a network alert at `now` if the cap allows it.
    pub(crate) fn admit_network(&mut self, now: DateTime<Utc>, cap: u32) -> bool {
        if self.network.len() >= cap as usize {
            return false;
        }
        self.network.push_back(now);
        true
    }
}
