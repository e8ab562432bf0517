//! The health state machine: outcomes in, statuses, transitions and incidents out. Pure — no
//! clocks, no I/O — so its invariants are property-tested.
//!
//! Rules (hysteresis):
//! - `failure_threshold` consecutive hard failures make a target unhealthy; fewer are degraded.
//! - Slow and rate-limited outcomes are degraded, never unhealthy on their own.
//! - Leaving unhealthy takes `success_threshold` consecutive working outcomes (ok or soft);
//!   leaving degraded for healthy takes `success_threshold` consecutive oks.
//! - The very first ok makes an unknown target healthy: there is nothing to confirm.
//! - After the machine wakes from sleep, failures are not counted for a grace period: the network
//!   is often not back yet, and an alarm for that would be false.

use crate::config::Timing;
use crate::domain::{Class, Incident, Outcome, Severity, Status, TargetId, Transition};
use chrono::{DateTime, Utc};
use rand::Rng;
use std::time::Duration;

/// Weight of the newest outcome in the health score's moving average.
const SCORE_WEIGHT: f64 = 0.2;
/// Jitter applied to every delay, as a fraction, so targets do not probe in lockstep.
pub const JITTER: f64 = 0.1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub failure: u32,
    pub success: u32,
}

impl From<&Timing> for Thresholds {
    fn from(t: &Timing) -> Self {
        Thresholds {
            failure: t.failure_threshold.max(1),
            success: t.success_threshold.max(1),
        }
    }
}

/// The health of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub target: TargetId,
    pub status: Status,
    /// When the current status began (None while unknown from the start).
    pub since: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub consecutive_oks: u32,
    /// Ok or soft in a row: the endpoint answers, even if not well.
    pub consecutive_working: u32,
    /// 0–1 moving average of outcome quality; None before the first outcome.
    pub score: Option<f64>,
    pub incident: Option<Incident>,
    /// Failures before this instant are not counted (the machine just woke up).
    pub grace_until: Option<DateTime<Utc>>,
}

/// What applying one outcome changed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Applied {
    pub transition: Option<Transition>,
    /// The incident, whole, when it opened, worsened or closed.
    pub incident: Option<Incident>,
}

impl Health {
    pub fn new(target: impl Into<TargetId>) -> Self {
        Health {
            target: target.into(),
            status: Status::Unknown,
            since: None,
            consecutive_failures: 0,
            consecutive_oks: 0,
            consecutive_working: 0,
            score: None,
            incident: None,
            grace_until: None,
        }
    }

    pub fn begin_grace(&mut self, until: DateTime<Utc>) {
        self.grace_until = Some(until);
    }

    pub fn in_grace(&self, at: DateTime<Utc>) -> bool {
        self.grace_until.is_some_and(|g| at < g)
    }

    pub fn apply(&mut self, outcome: &Outcome, th: Thresholds) -> Applied {
        let severity = outcome.class.severity();
        let quality = match severity {
            Severity::Ok => 1.0,
            Severity::Soft => 0.5,
            Severity::Hard => 0.0,
        };
        self.score = Some(match self.score {
            None => quality,
            Some(s) => s * (1.0 - SCORE_WEIGHT) + quality * SCORE_WEIGHT,
        });

        let graced = severity == Severity::Hard && self.in_grace(outcome.at);
        if graced {
            // Not counted and not shown as a change: the next probe decides.
            return Applied::default();
        }

        let before = self.status;
        let after = match severity {
            Severity::Hard => {
                self.consecutive_failures += 1;
                self.consecutive_oks = 0;
                self.consecutive_working = 0;
                if self.consecutive_failures >= th.failure || before == Status::Unhealthy {
                    Status::Unhealthy
                } else {
                    Status::Degraded
                }
            }
            Severity::Soft => {
                self.consecutive_failures = 0;
                self.consecutive_oks = 0;
                self.consecutive_working += 1;
                if before == Status::Unhealthy && self.consecutive_working < th.success {
                    Status::Unhealthy
                } else {
                    Status::Degraded
                }
            }
            Severity::Ok => {
                self.consecutive_failures = 0;
                self.consecutive_oks += 1;
                self.consecutive_working += 1;
                match before {
                    Status::Unknown | Status::Healthy => Status::Healthy,
                    Status::Degraded if self.consecutive_oks >= th.success => Status::Healthy,
                    Status::Degraded => Status::Degraded,
                    Status::Unhealthy if self.consecutive_working < th.success => Status::Unhealthy,
                    Status::Unhealthy if self.consecutive_oks >= th.success => Status::Healthy,
                    Status::Unhealthy => Status::Degraded,
                }
            }
        };

        if after == before {
            return Applied {
                transition: None,
                incident: self.worsen_incident(outcome, after),
            };
        }

        let reason = self.reason(outcome, before, after, th);
        self.status = after;
        self.since = Some(outcome.at);
        let transition = Transition {
            target: self.target.clone(),
            at: outcome.at,
            from: before,
            to: after,
            class: outcome.class,
            reason,
        };
        let incident = match after {
            Status::Healthy => self.incident.take().map(|mut i| {
                i.ended_at = Some(outcome.at);
                i
            }),
            Status::Degraded | Status::Unhealthy => match self.incident {
                Some(_) => self.worsen_incident(outcome, after),
                None => {
                    let opened = Incident {
                        target: self.target.clone(),
                        started_at: outcome.at,
                        ended_at: None,
                        worst: after,
                        cause: outcome.class,
                        message: outcome.message.clone(),
                    };
                    self.incident = Some(opened.clone());
                    Some(opened)
                }
            },
            Status::Unknown => None,
        };
        Applied {
            transition: Some(transition),
            incident,
        }
    }

    /// Raises the open incident's worst status; returns it when it changed.
    fn worsen_incident(&mut self, outcome: &Outcome, status: Status) -> Option<Incident> {
        let incident = self.incident.as_mut()?;
        if status.badness() > incident.worst.badness() {
            incident.worst = status;
            incident.cause = outcome.class;
            incident.message = outcome.message.clone();
            return Some(incident.clone());
        }
        None
    }

    fn reason(&self, outcome: &Outcome, before: Status, after: Status, th: Thresholds) -> String {
        let what = if outcome.message.is_empty() {
            outcome.class.plain_words().to_string()
        } else {
            format!("{}: {}", outcome.class.plain_words(), outcome.message)
        };
        match after {
            Status::Unhealthy if th.failure > 1 => {
                format!("{} failures in a row — {what}", self.consecutive_failures)
            }
            Status::Unhealthy => what,
            Status::Healthy if before == Status::Unknown => "first check ok".into(),
            Status::Healthy => format!("recovered after {} good checks", self.consecutive_oks),
            Status::Degraded if outcome.class.severity() == Severity::Hard => format!(
                "failure {} of {} before unhealthy — {what}",
                self.consecutive_failures, th.failure
            ),
            Status::Degraded if before == Status::Unhealthy => {
                format!("answering again, not yet well — {what}")
            }
            Status::Degraded => what,
            Status::Unknown => "unknown".into(),
        }
    }
}

/// How long to wait before the next probe of a target.
///
/// Healthy and degraded targets are probed every `interval`; unhealthy ones back off
/// exponentially up to `backoff_max` but are never dropped; a server's `Retry-After` is honoured
/// within the same cap. Every delay is jittered by ±`JITTER` and stays within
/// [interval × (1 − JITTER), backoff_max].
pub fn next_delay(
    health: &Health,
    timing: &Timing,
    outcome: Option<&Outcome>,
    rng: &mut impl Rng,
) -> Duration {
    let interval = timing.interval.as_secs_f64();
    let cap = timing.backoff_max.as_secs_f64().max(interval);
    let mut base = interval;
    if health.status == Status::Unhealthy {
        let failures = health.consecutive_failures;
        let beyond = failures.saturating_sub(timing.failure_threshold.max(1));
        base = interval * 2f64.powi(beyond.min(30) as i32);
    }
    if let Some(retry) = outcome.and_then(|o| o.details.retry_after_ms) {
        if matches!(
            outcome.map(|o| o.class),
            Some(Class::RateLimited | Class::Overloaded)
        ) {
            base = base.max(retry as f64 / 1000.0);
        }
    }
    let jitter = rng.gen_range(-JITTER..=JITTER);
    let delay = (base.min(cap) * (1.0 + jitter)).clamp(interval * (1.0 - JITTER), cap);
    // A configuration built in code skips the config file's bounds: a delay no `Duration`
    // holds is the longest one, never a panic.
    Duration::try_from_secs_f64(delay).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Details;
    use proptest::prelude::*;
    use rand::SeedableRng;

    fn outcome(class: Class, secs: i64) -> Outcome {
        Outcome {
            at: DateTime::<Utc>::from_timestamp(1_700_000_000 + secs, 0).unwrap(),
            class,
            http_status: None,
            latency_ms: 10,
            message: String::new(),
            details: Details::default(),
        }
    }

    const TH: Thresholds = Thresholds {
        failure: 2,
        success: 2,
    };

    fn run(classes: &[Class]) -> (Health, Vec<Applied>) {
        let mut h = Health::new("t");
        let applied = classes
            .iter()
            .enumerate()
            .map(|(i, c)| h.apply(&outcome(*c, i as i64), TH))
            .collect();
        (h, applied)
    }

    #[test]
    fn first_ok_is_healthy_and_one_failure_is_only_degraded() {
        let (h, a) = run(&[Class::Ok, Class::Connect]);
        assert_eq!(h.status, Status::Degraded);
        assert_eq!(a[0].transition.as_ref().unwrap().to, Status::Healthy);
        let t = a[1].transition.as_ref().unwrap();
        assert_eq!((t.from, t.to), (Status::Healthy, Status::Degraded));
        assert!(t.reason.contains("failure 1 of 2"), "{}", t.reason);
    }

    #[test]
    fn threshold_failures_make_unhealthy_and_recovery_needs_successes() {
        let (h, a) = run(&[
            Class::Ok,
            Class::Timeout,
            Class::Timeout,
            Class::Ok,
            Class::Ok,
        ]);
        assert_eq!(h.status, Status::Healthy);
        let statuses: Vec<_> = a
            .iter()
            .map(|x| x.transition.as_ref().map(|t| t.to))
            .collect();
        assert_eq!(
            statuses,
            vec![
                Some(Status::Healthy),
                Some(Status::Degraded),
                Some(Status::Unhealthy),
                None,
                Some(Status::Healthy)
            ]
        );
        // One incident: opened at the first failure, worsened, closed at recovery.
        let opened = a[1].incident.as_ref().unwrap();
        assert_eq!(opened.worst, Status::Degraded);
        let worse = a[2].incident.as_ref().unwrap();
        assert_eq!(
            (worse.worst, worse.cause),
            (Status::Unhealthy, Class::Timeout)
        );
        let closed = a[4].incident.as_ref().unwrap();
        assert_eq!(closed.started_at, opened.started_at);
        assert_eq!(closed.ended_at, Some(outcome(Class::Ok, 4).at));
        assert_eq!(closed.worst, Status::Unhealthy);
    }

    #[test]
    fn slow_and_rate_limited_are_degraded_never_unhealthy() {
        let (h, _) = run(&[Class::Slow; 10]);
        assert_eq!(h.status, Status::Degraded);
        let (h, _) = run(&[Class::RateLimited; 10]);
        assert_eq!(h.status, Status::Degraded);
    }

    #[test]
    fn failures_during_grace_do_not_count() {
        let mut h = Health::new("t");
        h.apply(&outcome(Class::Ok, 0), TH);
        h.begin_grace(outcome(Class::Ok, 30).at);
        for s in 1..5 {
            assert_eq!(h.apply(&outcome(Class::Connect, s), TH), Applied::default());
        }
        assert_eq!(h.status, Status::Healthy);
        h.apply(&outcome(Class::Connect, 31), TH);
        assert_eq!(h.status, Status::Degraded);
    }

    #[test]
    fn backoff_grows_and_is_capped_retry_after_is_honoured() {
        let timing = Timing {
            interval: Duration::from_secs(10),
            backoff_max: Duration::from_secs(120),
            ..Timing::default()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut h = Health::new("t");
        let mut last = Duration::ZERO;
        for i in 0..12 {
            h.apply(&outcome(Class::Connect, i), TH);
            let d = next_delay(&h, &timing, None, &mut rng);
            assert!(d <= timing.backoff_max);
            if i >= 6 {
                assert!(d >= Duration::from_secs(100), "capped near max: {d:?}");
            }
            last = d;
        }
        assert!(last > timing.interval * 5);
        let mut limited = outcome(Class::RateLimited, 20);
        limited.details.retry_after_ms = Some(60_000);
        let h = Health::new("t");
        let d = next_delay(&h, &timing, Some(&limited), &mut rng);
        assert!(
            d >= Duration::from_secs(54) && d <= Duration::from_secs(66),
            "{d:?}"
        );
    }

    fn any_class() -> impl Strategy<Value = Class> {
        prop::sample::select(Class::ALL.to_vec())
    }

    proptest! {
        /// No change to unhealthy without `failure` consecutive hard failures; none out of it
        /// without `success` consecutive working outcomes.
        #[test]
        fn thresholds_are_respected(
            classes in prop::collection::vec(any_class(), 1..200),
            failure in 1u32..5,
            success in 1u32..5,
        ) {
            let th = Thresholds { failure, success };
            let mut h = Health::new("t");
            let mut hard_run = 0u32;
            let mut working_run = 0u32;
            for (i, c) in classes.iter().enumerate() {
                if c.severity() == Severity::Hard { hard_run += 1; working_run = 0; }
                else { working_run += 1; hard_run = 0; }
                let before = h.status;
                let applied = h.apply(&outcome(*c, i as i64), th);
                if let Some(t) = applied.transition {
                    prop_assert_eq!(t.from, before);
                    prop_assert_ne!(t.from, t.to);
                    if t.to == Status::Unhealthy {
                        prop_assert!(hard_run >= failure);
                    }
                    if t.from == Status::Unhealthy {
                        prop_assert!(working_run >= success);
                    }
                }
                prop_assert_eq!(h.consecutive_failures, hard_run);
            }
        }

        /// Every incident that opens is closed exactly once, by the transition to healthy, and
        /// incidents never overlap.
        #[test]
        fn recovery_is_reported_once(classes in prop::collection::vec(any_class(), 1..200)) {
            let mut h = Health::new("t");
            let mut open: Option<DateTime<Utc>> = None;
            for (i, c) in classes.iter().enumerate() {
                let applied = h.apply(&outcome(*c, i as i64), TH);
                if let Some(inc) = applied.incident {
                    match (open, inc.ended_at) {
                        (None, None) => open = Some(inc.started_at),
                        (Some(s), None) => prop_assert_eq!(s, inc.started_at),
                        (Some(s), Some(_)) => {
                            prop_assert_eq!(s, inc.started_at);
                            let t = applied.transition.as_ref();
                            prop_assert_eq!(t.map(|t| t.to), Some(Status::Healthy));
                            open = None;
                        }
                        (None, Some(_)) => prop_assert!(false, "closed an incident that was not open"),
                    }
                }
                prop_assert_eq!(open.is_some(), h.incident.is_some());
                prop_assert_eq!(h.incident.is_some(), matches!(h.status, Status::Degraded | Status::Unhealthy));
                let score = h.score.unwrap_or(0.0);
                prop_assert!((0.0..=1.0).contains(&score));
            }
        }

        /// Backoff is bounded: never shorter than the jittered interval, never longer than the cap.
        #[test]
        fn backoff_is_bounded(
            failures in 0u32..100,
            interval_s in 1u64..600,
            cap_factor in 1u64..50,
            retry_ms in prop::option::of(0u64..10_000_000),
            seed in any::<u64>(),
        ) {
            let timing = Timing {
                interval: Duration::from_secs(interval_s),
                backoff_max: Duration::from_secs(interval_s * cap_factor),
                ..Timing::default()
            };
            let mut h = Health::new("t");
            for i in 0..failures { h.apply(&outcome(Class::Timeout, i as i64), TH); }
            let mut o = outcome(Class::RateLimited, 0);
            o.details.retry_after_ms = retry_ms;
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let d = next_delay(&h, &timing, Some(&o), &mut rng).as_secs_f64();
            prop_assert!(d >= interval_s as f64 * (1.0 - JITTER) - 1e-6);
            prop_assert!(d <= timing.backoff_max.as_secs_f64() + 1e-6);
        }
    }
}
