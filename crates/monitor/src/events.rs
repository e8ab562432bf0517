//! What the engine tells its subscribers. Data flows one way: scheduler → probe → classify →
//! state machine → events; the store, tray, notifications, UI and HTTP server only listen.

use crate::domain::{Incident, Outcome, Status, TargetId, Transition};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// One finished probe, with the status the state machine derived after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Check {
    #[schema(value_type = String)]
    pub target: TargetId,
    pub outcome: Outcome,
    /// Status after this outcome.
    pub status: Status,
    /// Health score 0–1 after this outcome (1 = every recent probe fine).
    pub score: f64,
    /// Hard failures in a row after this outcome, as the state machine counts them (the
    /// `consecutive_failures` of the target's view): failures during the grace after the machine
    /// woke up are not counted. Above 0 with a status other than `unhealthy`, the check is
    /// *pending*: a failure below `failure_threshold` that changed no status (yet).
    pub consecutive_failures: u32,
}

impl Check {
    /// A hard failure below the threshold, being confirmed (see [`crate::health::pending`]).
    pub fn pending(&self) -> bool {
        crate::health::pending(self.status, self.consecutive_failures)
    }
}

/// One engine event, tagged by `type`.
// `Checked` is much larger than the rest; events move once through a channel, so boxing it
// would only add an allocation per probe.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(rename = "MonitorEvent")]
#[schema(as = MonitorEvent)]
pub enum Event {
    Checked(Check),
    Transition(Transition),
    /// An incident opened, worsened or closed; the same incident is identified by
    /// `(target, started_at)` and sent again whole on every change.
    Incident(Incident),
    /// The machine was asleep (wall clock jumped ahead of the monotonic clock): nothing is known
    /// about this stretch, and no alarm is raised for it.
    Slept {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}
