//! One target as the policy follows it: its status, what the person was last told about it, and
//! whether a change is waiting to be told.

use crate::alert::{AlertItem, Change};
use chrono::{DateTime, Utc};
use monitor::{Class, Status, Transition};
use std::collections::HashMap;

/// Every target the engine reported on, by id.
pub(crate) type Records = HashMap<String, TargetRecord>;

/// Failures that mean "could not reach it", which is what a lost network looks like.
pub(crate) fn is_network(class: Class) -> bool {
    matches!(class, Class::Connect | Class::Timeout | Class::Tls)
}

/// What the person was last told about a target, and since when it was so. A "recovered" or "back
/// to normal" is told only against one of these, so that nobody hears of the end of something
/// they never heard of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Announced {
    Down { since: DateTime<Utc> },
    Degraded { since: DateTime<Utc> },
}

impl Announced {
    fn still_true(self, status: Status) -> bool {
        match self {
            Announced::Down { .. } => status == Status::Unhealthy,
            Announced::Degraded { .. } => status == Status::Degraded,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TargetRecord {
    pub(crate) status: Status,
    /// The class of the latest transition.
    pub(crate) class: Class,
    /// When `status` began.
    pub(crate) since: DateTime<Utc>,
    /// The status as of the last time this target was reported on or passed over: the "from" of
    /// the next report. Comparing against it rather than against each transition makes a change
    /// and its reversal within one window cancel out.
    pub(crate) baseline: Status,
    pub(crate) announced: Option<Announced>,
    /// When the change since `baseline` is due to be reported; `None` when there is none.
    pub(crate) report_due: Option<DateTime<Utc>>,
}

impl TargetRecord {
    /// A target first heard of through `t`: it was in `t.from` before.
    pub(crate) fn first_seen(t: &Transition) -> TargetRecord {
        TargetRecord {
            status: t.from,
            class: t.class,
            since: t.at,
            baseline: t.from,
            announced: None,
            report_due: None,
        }
    }

    pub(crate) fn apply(&mut self, t: &Transition) {
        if self.status != t.to {
            self.since = t.at;
        }
        self.status = t.to;
        self.class = t.class;
        if t.to == Status::Unknown {
            // Monitoring stopped or the target was disabled: what was told no longer stands, and
            // coming back from unknown is never a recovery.
            self.announced = None;
        }
    }

    /// The pending change was reported, or is deliberately passed over: the next report starts
    /// from here. An announcement that stopped being true without a word (muted, silenced,
    /// stopped) is forgotten, so that no later "recovered" refers to it.
    pub(crate) fn mark_handled(&mut self) {
        self.baseline = self.status;
        self.report_due = None;
        self.announced = self.announced.filter(|a| a.still_true(self.status));
    }

    pub(crate) fn network_down(&self) -> bool {
        self.status == Status::Unhealthy && is_network(self.class)
    }

    /// Reached, even if it answered with an error: proof that the network works.
    pub(crate) fn reached(&self) -> bool {
        match self.status {
            Status::Healthy | Status::Degraded => true,
            Status::Unhealthy => !is_network(self.class),
            Status::Unknown => false,
        }
    }

    /// The item telling `change` about this target as it is now.
    pub(crate) fn item(&self, id: &str, name: String, change: Change) -> AlertItem {
        AlertItem {
            target: id.to_string(),
            name,
            change,
            from: self.baseline,
            to: self.status,
            class: self.class,
            since: self.since,
            down_for_ms: None,
            degraded_for_ms: None,
        }
    }
}
