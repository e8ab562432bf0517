//! Nothing is told about time the machine slept: a laptop lid closed is not an outage, and what
//! fails in the seconds after a wake is the network coming back up.

use chrono::{DateTime, Duration, Utc};
use std::collections::VecDeque;

/// The engine does not count failures for this long after a wake (see `EngineOptions`); nothing
/// that happens in it is told either.
const WAKE_GRACE: Duration = Duration::seconds(30);

/// Sleep stretches kept to recognize late events; a few suffice, since events arrive in order.
const SLEEPS_KEPT: usize = 8;

/// The latest stretches the machine slept, each through its wake grace.
#[derive(Debug, Default)]
pub(crate) struct Sleeps(VecDeque<(DateTime<Utc>, DateTime<Utc>)>);

impl Sleeps {
    pub(crate) fn contains(&self, at: DateTime<Utc>) -> bool {
        self.0
            .iter()
            .any(|&(from, until)| from <= at && at <= until)
    }

    /// Notes a sleep from `from` to the wake at `to`; returns the end of its wake grace.
    pub(crate) fn add(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
        let until = to + WAKE_GRACE;
        if self.0.len() >= SLEEPS_KEPT {
            self.0.pop_front();
        }
        self.0.push_back((from, until));
        until
    }
}
