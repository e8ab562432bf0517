//! The health state machine: outcomes in, statuses, transitions and incidents out. Pure — no
//! clocks, no I/O — so its invariants are property-tested.
//!
//! Rules (hysteresis):
//! - `failure_threshold` consecutive hard failures make a target unhealthy. Fewer are *pending*:
//!   the status does not change (no transition, no incident), but the failure counts
//!   (`consecutive_failures`, [`Health::pending`]) and the next probe comes sooner
//!   (`confirm_interval`, see [`next_delay`]).
//! - Slow and rate-limited outcomes are degraded, never unhealthy on their own.
//! - Leaving unhealthy takes `success_threshold` consecutive working outcomes (ok or soft);
//!   leaving degraded for healthy takes `success_threshold` consecutive oks.
//! - The very first ok makes an unknown target healthy: there is nothing to confirm.
//! - After the machine wakes from sleep, failures are not counted for a grace period: the network
//!   is often not back yet, and an alarm for that would be false.
//!
//! Incidents: one opens when a target turns unhealthy (it starts at the first failure of the
//! run that made it so), or when it stays degraded for `degraded_after` checks in a row (it starts
//! when the degraded status began). It closes when the target is healthy again. So a blip is
//! never an incident, and a rate-limit storm is one.

use crate::config::Timing;
use crate::domain::{Class, Incident, Outcome, ProbeLevel, Severity, Status, TargetId, Transition};
use chrono::{DateTime, Utc};
use rand::Rng;
use std::time::Duration;

/// Weight of the newest outcome in the health score's moving average.
const SCORE_WEIGHT: f64 = 0.2;
/// Jitter applied to every delay, as a fraction, so targets do not probe in lockstep. It only
/// shortens a delay, never lengthens it, so that "within one interval" holds as configured.
pub const JITTER: f64 = 0.1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub failure: u32,
    pub success: u32,
    /// Degraded checks in a row before a degraded target is an incident.
    pub degraded_after: u32,
}

impl From<&Timing> for Thresholds {
    fn from(t: &Timing) -> Self {
        Thresholds {
            failure: t.failure_threshold.max(1),
            success: t.success_threshold.max(1),
            degraded_after: t.degraded_after.max(1),
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
    /// `rate_limited` outcomes in a row (the backoff for a rate-limit storm grows with it).
    pub consecutive_limited: u32,
    /// Checks in a row that were not ok and after which the status was degraded (slow, rate
    /// limited, or a pending failure while degraded).
    pub degraded_checks: u32,
    /// When the current run of hard failures began (None when the last outcome counted was not
    /// a hard failure).
    pub failing_since: Option<DateTime<Utc>>,
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
            consecutive_limited: 0,
            degraded_checks: 0,
            failing_since: None,
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

    /// A hard failure below the threshold: counted, shown, being confirmed, but no change of
    /// status yet. Readers tell it from the wire as `consecutive_failures > 0` with a status
    /// other than `unhealthy`.
    pub fn pending(&self) -> bool {
        pending(self.status, self.consecutive_failures)
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
                if self.consecutive_failures == 0 {
                    self.failing_since = Some(outcome.at);
                }
                self.consecutive_failures += 1;
                self.consecutive_oks = 0;
                self.consecutive_working = 0;
                self.consecutive_limited = 0;
                if self.consecutive_failures >= th.failure || before == Status::Unhealthy {
                    Status::Unhealthy
                } else {
                    // Pending: confirmed (or not) by the next probes.
                    before
                }
            }
            Severity::Soft => {
                self.consecutive_failures = 0;
                self.failing_since = None;
                self.consecutive_oks = 0;
                self.consecutive_working += 1;
                if outcome.class == Class::RateLimited {
                    self.consecutive_limited += 1;
                } else {
                    self.consecutive_limited = 0;
                }
                if before == Status::Unhealthy && self.consecutive_working < th.success {
                    Status::Unhealthy
                } else {
                    Status::Degraded
                }
            }
            Severity::Ok => {
                self.consecutive_failures = 0;
                self.failing_since = None;
                self.consecutive_oks += 1;
                self.consecutive_working += 1;
                self.consecutive_limited = 0;
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
        // An ok while still degraded (not yet `success_threshold` of them) ends the run: the
        // endpoint answered well.
        self.degraded_checks = if after == Status::Degraded && severity != Severity::Ok {
            self.degraded_checks.saturating_add(1)
        } else {
            0
        };

        if after == before {
            let incident = match self.incident {
                Some(_) => self.worsen_incident(outcome, after),
                None => self.open_if_degraded_long(outcome, th),
            };
            return Applied {
                transition: None,
                incident,
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
        let incident = match (after, &self.incident) {
            (Status::Healthy, _) => self.incident.take().map(|mut i| {
                i.ended_at = Some(outcome.at);
                i
            }),
            (Status::Degraded | Status::Unhealthy, Some(_)) => self.worsen_incident(outcome, after),
            (Status::Unhealthy, None) => {
                let started_at = self.failing_since.unwrap_or(outcome.at);
                Some(self.open_incident(outcome, started_at, Status::Unhealthy))
            }
            (Status::Degraded, None) => self.open_if_degraded_long(outcome, th),
            (Status::Unknown, _) => None,
        };
        Applied {
            transition: Some(transition),
            incident,
        }
    }

    fn open_incident(
        &mut self,
        outcome: &Outcome,
        started_at: DateTime<Utc>,
        worst: Status,
    ) -> Incident {
        let opened = Incident {
            target: self.target.clone(),
            started_at,
            ended_at: None,
            worst,
            cause: outcome.class,
            message: outcome.message.clone(),
        };
        self.incident = Some(opened.clone());
        opened
    }

    /// Opens an incident for a target degraded `degraded_after` checks in a row, starting when
    /// the degraded status began.
    fn open_if_degraded_long(&mut self, outcome: &Outcome, th: Thresholds) -> Option<Incident> {
        if self.incident.is_some()
            || self.status != Status::Degraded
            || self.degraded_checks < th.degraded_after
        {
            return None;
        }
        let started_at = self.since.unwrap_or(outcome.at);
        Some(self.open_incident(outcome, started_at, Status::Degraded))
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
            Status::Degraded if before == Status::Unhealthy => {
                format!("answering again, not yet well — {what}")
            }
            Status::Degraded => what,
            Status::Unknown => "unknown".into(),
        }
    }
}

/// A hard failure below the threshold, as readers see it: failures counted, status not (yet)
/// unhealthy.
pub fn pending(status: Status, consecutive_failures: u32) -> bool {
    consecutive_failures > 0 && status != Status::Unhealthy
}

/// Whether a hard failure of this class is confirmed at `confirm_interval`. Not `auth` or
/// `quota` (nor `rate_limited`, which is soft anyway): probing those sooner only makes them
/// worse, and cannot show a change sooner.
pub fn confirms_quickly(class: Class) -> bool {
    !matches!(class, Class::Auth | Class::Quota | Class::RateLimited)
}

/// Whether a target failing with this class backs off. Only where probing more cannot help
/// (`auth`, `quota`, `not_found`), where it makes things worse (`rate_limited`, `overloaded`),
/// or where every probe spends tokens (inference canaries). A zero-token probe of a target down
/// for `connect`, `timeout`, `tls`, `server_error` or `bad_response` keeps the interval, so a
/// recovery is seen within one interval.
pub fn backs_off(class: Class, probe: ProbeLevel) -> bool {
    match class {
        Class::Auth | Class::Quota | Class::NotFound | Class::RateLimited | Class::Overloaded => {
            true
        }
        Class::Timeout | Class::Connect | Class::Tls | Class::ServerError | Class::BadResponse => {
            probe == ProbeLevel::Inference
        }
        Class::Ok | Class::Slow | Class::Loading | Class::CreditsLow => false,
    }
}

/// How long to wait before the next probe of a target.
///
/// - A change being confirmed comes after [`Timing::confirm_delay`]: a pending hard failure
///   (unless [`confirms_quickly`] says no), and a success that has not yet made a non-healthy
///   target healthy (the recovery is confirmed as quickly as the failure was).
/// - An unhealthy target failing with a class that [`backs_off`] waits `interval × 2ⁿ` (n:
///   failures beyond the threshold), a rate-limit storm `interval × 2ⁿ` (n: `rate_limited` in a
///   row, less one), up to `backoff_max`; a server's `Retry-After` on `rate_limited` or
///   `overloaded` is honoured within the same cap. Backing off never stops probing.
/// - Everything else waits `interval`.
///
/// Every delay is shortened by up to `JITTER` and stays within
/// [confirm_delay × (1 − JITTER), backoff_max].
pub fn next_delay(
    health: &Health,
    timing: &Timing,
    probe: ProbeLevel,
    outcome: Option<&Outcome>,
    rng: &mut impl Rng,
) -> Duration {
    let interval = timing.interval.as_secs_f64();
    let cap = timing.backoff_max.as_secs_f64().max(interval);
    let confirm = timing.confirm_delay().as_secs_f64();
    let doubled = |n: u32| interval * 2f64.powi(n.min(30) as i32);
    let class = outcome.map(|o| o.class);
    let mut base = match class {
        None => interval,
        Some(class) => match class.severity() {
            Severity::Hard if health.pending() && confirms_quickly(class) => confirm,
            Severity::Hard if health.status == Status::Unhealthy && backs_off(class, probe) => {
                let threshold = timing.failure_threshold.max(1);
                doubled(health.consecutive_failures.saturating_sub(threshold))
            }
            Severity::Soft if class == Class::RateLimited => {
                doubled(health.consecutive_limited.saturating_sub(1))
            }
            Severity::Ok
                if health.consecutive_oks > 0
                    && !matches!(health.status, Status::Healthy | Status::Unknown) =>
            {
                confirm
            }
            Severity::Hard | Severity::Soft | Severity::Ok => interval,
        },
    };
    if let Some(retry) = outcome.and_then(|o| o.details.retry_after_ms) {
        if matches!(class, Some(Class::RateLimited | Class::Overloaded)) {
            base = base.max(retry as f64 / 1000.0);
        }
    }
    let jitter = rng.gen_range(0.0..=JITTER);
    let delay = (base.min(cap) * (1.0 - jitter)).clamp(0.0, cap);
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
        degraded_after: 3,
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

    fn transitions(a: &[Applied]) -> Vec<Option<Status>> {
        a.iter()
            .map(|x| x.transition.as_ref().map(|t| t.to))
            .collect()
    }

    #[test]
    fn first_ok_is_healthy_and_one_failure_is_only_pending() {
        let (h, a) = run(&[Class::Ok, Class::Connect]);
        assert_eq!(a[0].transition.as_ref().unwrap().to, Status::Healthy);
        assert_eq!(a[1], Applied::default(), "a blip changes nothing");
        assert_eq!(h.status, Status::Healthy);
        assert!(h.pending());
        assert_eq!(h.consecutive_failures, 1);
        // The next success ends it, still with no transition and no incident.
        let (h, a) = run(&[Class::Ok, Class::Connect, Class::Ok]);
        assert_eq!(a[2], Applied::default());
        assert!(!h.pending());
        assert!(h.incident.is_none());
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
        assert_eq!(
            transitions(&a),
            vec![
                Some(Status::Healthy),
                None,
                Some(Status::Unhealthy),
                None,
                Some(Status::Healthy)
            ]
        );
        let t = a[2].transition.as_ref().unwrap();
        assert_eq!(t.from, Status::Healthy);
        assert!(t.reason.contains("2 failures in a row"), "{}", t.reason);
        // One incident: opened when the target turned unhealthy, starting at the first failure
        // of the run; closed at recovery.
        assert!(a[1].incident.is_none());
        let opened = a[2].incident.as_ref().unwrap();
        assert_eq!(
            (opened.worst, opened.cause, opened.started_at),
            (Status::Unhealthy, Class::Timeout, outcome(Class::Ok, 1).at)
        );
        let closed = a[4].incident.as_ref().unwrap();
        assert_eq!(closed.started_at, opened.started_at);
        assert_eq!(closed.ended_at, Some(outcome(Class::Ok, 4).at));
        assert_eq!(closed.worst, Status::Unhealthy);
    }

    #[test]
    fn a_first_failure_at_start_up_stays_unknown_until_confirmed() {
        let (h, a) = run(&[Class::Connect]);
        assert_eq!((h.status, h.pending()), (Status::Unknown, true));
        assert_eq!(a[0], Applied::default());
        let (h, a) = run(&[Class::Connect, Class::Connect]);
        assert_eq!(h.status, Status::Unhealthy);
        assert_eq!(a[1].transition.as_ref().unwrap().from, Status::Unknown);
    }

    #[test]
    fn slow_and_rate_limited_are_degraded_never_unhealthy() {
        let (h, _) = run(&[Class::Slow; 10]);
        assert_eq!(h.status, Status::Degraded);
        let (h, _) = run(&[Class::RateLimited; 10]);
        assert_eq!(h.status, Status::Degraded);
    }

    #[test]
    fn degraded_is_an_incident_only_after_degraded_after_checks() {
        // Two degraded checks in a row: a transition (the status is shown) but no incident.
        let (h, a) = run(&[
            Class::Ok,
            Class::RateLimited,
            Class::RateLimited,
            Class::Ok,
            Class::Ok,
        ]);
        assert_eq!(
            transitions(&a),
            vec![
                Some(Status::Healthy),
                Some(Status::Degraded),
                None,
                None,
                Some(Status::Healthy)
            ]
        );
        assert!(a.iter().all(|x| x.incident.is_none()), "{a:?}");
        assert!(h.incident.is_none());

        // Three: a rate-limit storm is an incident, starting when the degraded status began.
        let (h, a) = run(&[
            Class::Ok,
            Class::RateLimited,
            Class::Slow,
            Class::RateLimited,
            Class::Ok,
            Class::Ok,
        ]);
        assert!(a[1].incident.is_none() && a[2].incident.is_none());
        let opened = a[3].incident.as_ref().unwrap();
        assert_eq!(
            (
                opened.worst,
                opened.cause,
                opened.started_at,
                opened.ended_at
            ),
            (
                Status::Degraded,
                Class::RateLimited,
                outcome(Class::Ok, 1).at,
                None
            )
        );
        let closed = a[5].incident.as_ref().unwrap();
        assert_eq!(closed.ended_at, Some(outcome(Class::Ok, 5).at));
        assert!(h.incident.is_none());

        // A pending failure while degraded keeps it degraded, and counts as a degraded check.
        let (_, a) = run(&[Class::Slow, Class::Connect, Class::Slow]);
        assert!(a[2].incident.is_some(), "{a:?}");

        // `degraded_after = 1`: the first degraded check is an incident.
        let mut h = Health::new("t");
        let th = Thresholds {
            degraded_after: 1,
            ..TH
        };
        let applied = h.apply(&outcome(Class::Slow, 0), th);
        assert_eq!(applied.incident.map(|i| i.worst), Some(Status::Degraded));
    }

    #[test]
    fn failures_during_grace_do_not_count() {
        let mut h = Health::new("t");
        h.apply(&outcome(Class::Ok, 0), TH);
        h.begin_grace(outcome(Class::Ok, 30).at);
        for s in 1..5 {
            assert_eq!(h.apply(&outcome(Class::Connect, s), TH), Applied::default());
        }
        assert_eq!((h.status, h.consecutive_failures), (Status::Healthy, 0));
        h.apply(&outcome(Class::Connect, 31), TH);
        assert_eq!((h.status, h.consecutive_failures), (Status::Healthy, 1));
        h.apply(&outcome(Class::Connect, 32), TH);
        assert_eq!(h.status, Status::Unhealthy);
    }

    /// The delay after feeding `classes` (the last one is the outcome just seen).
    fn delay_after(
        classes: &[Class],
        timing: &Timing,
        probe: ProbeLevel,
        retry_after_ms: Option<u64>,
    ) -> (Health, Duration) {
        let th = Thresholds::from(timing);
        let mut h = Health::new("t");
        let mut last = outcome(Class::Ok, 0);
        for (i, c) in classes.iter().enumerate() {
            last = outcome(*c, i as i64);
            last.details.retry_after_ms = retry_after_ms;
            h.apply(&last, th);
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(classes.len() as u64);
        let d = next_delay(&h, timing, probe, Some(&last), &mut rng);
        (h, d)
    }

    fn timing_30s() -> Timing {
        Timing {
            interval: Duration::from_secs(30),
            backoff_max: Duration::from_secs(300),
            ..Timing::default()
        }
    }

    /// Within [nominal × (1 − JITTER), nominal].
    fn about(d: Duration, nominal: Duration) -> bool {
        d <= nominal && d >= nominal.mul_f64(1.0 - JITTER) - Duration::from_millis(1)
    }

    #[test]
    fn a_pending_failure_is_confirmed_after_confirm_interval() {
        let timing = timing_30s();
        for class in [
            Class::Connect,
            Class::Timeout,
            Class::Tls,
            Class::ServerError,
            Class::BadResponse,
            Class::NotFound,
            Class::Overloaded,
        ] {
            let (h, d) = delay_after(&[Class::Ok, class], &timing, ProbeLevel::Reachable, None);
            assert!(h.pending());
            assert!(about(d, Duration::from_secs(5)), "{class}: {d:?}");
        }
        // Threshold 3: confirmed twice at confirm_interval, then (unhealthy) the interval.
        let timing = Timing {
            failure_threshold: 3,
            ..timing_30s()
        };
        let c = Class::Connect;
        let (_, d) = delay_after(&[Class::Ok, c, c], &timing, ProbeLevel::Reachable, None);
        assert!(about(d, Duration::from_secs(5)), "{d:?}");
        let (h, d) = delay_after(&[Class::Ok, c, c, c], &timing, ProbeLevel::Reachable, None);
        assert_eq!(h.status, Status::Unhealthy);
        assert!(about(d, Duration::from_secs(30)), "{d:?}");
        // Worst case, interval 30 s and threshold 2: 30 + 5 s from the outage to its confirmation.
        let worst = timing_30s().interval + timing_30s().confirm_delay();
        assert_eq!(worst, Duration::from_secs(35));
        // A confirm_interval longer than the interval is used as the interval.
        let timing = Timing {
            interval: Duration::from_secs(2),
            confirm_interval: Duration::from_secs(5),
            ..timing_30s()
        };
        let (_, d) = delay_after(&[Class::Ok, c], &timing, ProbeLevel::Reachable, None);
        assert!(about(d, Duration::from_secs(2)), "{d:?}");
    }

    #[test]
    fn auth_quota_and_rate_limits_are_never_confirmed_quickly() {
        let timing = timing_30s();
        for class in [Class::Auth, Class::Quota, Class::RateLimited] {
            let (_, d) = delay_after(&[Class::Ok, class], &timing, ProbeLevel::Reachable, None);
            assert!(about(d, Duration::from_secs(30)), "{class}: {d:?}");
        }
        // Overloaded is confirmed, but not before its Retry-After.
        let (_, d) = delay_after(
            &[Class::Ok, Class::Overloaded],
            &timing,
            ProbeLevel::Reachable,
            Some(20_000),
        );
        assert!(about(d, Duration::from_secs(20)), "{d:?}");
    }

    #[test]
    fn a_recovery_is_confirmed_after_confirm_interval() {
        let timing = timing_30s();
        let c = Class::Connect;
        let (h, d) = delay_after(
            &[Class::Ok, c, c, Class::Ok],
            &timing,
            ProbeLevel::Reachable,
            None,
        );
        assert_eq!(h.status, Status::Unhealthy);
        assert!(about(d, Duration::from_secs(5)), "{d:?}");
        let (h, d) = delay_after(
            &[Class::Ok, c, c, Class::Ok, Class::Ok],
            &timing,
            ProbeLevel::Reachable,
            None,
        );
        assert_eq!(h.status, Status::Healthy);
        assert!(about(d, Duration::from_secs(30)), "{d:?}");
    }

    #[test]
    fn backoff_only_where_probing_more_cannot_help_or_costs_tokens() {
        let timing = timing_30s();
        let failing = |class: Class, n: usize| {
            let mut v = vec![Class::Ok];
            v.extend(std::iter::repeat_n(class, n));
            v
        };
        // Two beyond the threshold: 4 × the interval.
        for class in [
            Class::Auth,
            Class::Quota,
            Class::NotFound,
            Class::Overloaded,
        ] {
            let (h, d) = delay_after(&failing(class, 4), &timing, ProbeLevel::Reachable, None);
            assert_eq!(h.status, Status::Unhealthy);
            assert!(about(d, Duration::from_secs(120)), "{class}: {d:?}");
            // Capped.
            let (_, d) = delay_after(&failing(class, 40), &timing, ProbeLevel::Reachable, None);
            assert!(about(d, Duration::from_secs(300)), "{class}: {d:?}");
        }
        for class in [
            Class::Connect,
            Class::Timeout,
            Class::Tls,
            Class::ServerError,
            Class::BadResponse,
        ] {
            // Zero-token probes keep the interval however long the outage…
            let (_, d) = delay_after(&failing(class, 40), &timing, ProbeLevel::Reachable, None);
            assert!(about(d, Duration::from_secs(30)), "{class}: {d:?}");
            // … inference canaries, which spend tokens, back off.
            let (_, d) = delay_after(&failing(class, 4), &timing, ProbeLevel::Inference, None);
            assert!(about(d, Duration::from_secs(120)), "{class}: {d:?}");
        }
        // A rate-limit storm: interval, 2×, 4× …, capped; Retry-After honoured within the cap.
        for (n, secs) in [(1, 30), (2, 60), (3, 120), (20, 300)] {
            let (h, d) = delay_after(
                &failing(Class::RateLimited, n),
                &timing,
                ProbeLevel::Reachable,
                None,
            );
            assert_eq!(h.consecutive_limited, n as u32);
            assert!(about(d, Duration::from_secs(secs)), "{n}: {d:?}");
        }
        let (_, d) = delay_after(
            &failing(Class::RateLimited, 1),
            &timing,
            ProbeLevel::Reachable,
            Some(90_000),
        );
        assert!(about(d, Duration::from_secs(90)), "{d:?}");
        let (_, d) = delay_after(
            &failing(Class::Overloaded, 3),
            &timing,
            ProbeLevel::Reachable,
            Some(200_000),
        );
        assert!(about(d, Duration::from_secs(200)), "{d:?}");
        let (_, d) = delay_after(
            &failing(Class::RateLimited, 1),
            &timing,
            ProbeLevel::Reachable,
            Some(9_000_000),
        );
        assert!(about(d, Duration::from_secs(300)), "capped: {d:?}");
        // A retry-after on another class means nothing.
        let (_, d) = delay_after(
            &failing(Class::ServerError, 3),
            &timing,
            ProbeLevel::Reachable,
            Some(200_000),
        );
        assert!(about(d, Duration::from_secs(30)), "{d:?}");
    }

    fn any_class() -> impl Strategy<Value = Class> {
        prop::sample::select(Class::ALL.to_vec())
    }

    proptest! {
        /// No change to unhealthy without `failure` consecutive hard failures; none out of it
        /// without `success` consecutive working outcomes; a hard failure below the threshold
        /// changes no status.
        #[test]
        fn thresholds_are_respected(
            classes in prop::collection::vec(any_class(), 1..200),
            failure in 1u32..5,
            success in 1u32..5,
        ) {
            let th = Thresholds { failure, success, degraded_after: 3 };
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
                    if c.severity() == Severity::Hard {
                        prop_assert_eq!(t.to, Status::Unhealthy);
                    }
                }
                prop_assert_eq!(h.consecutive_failures, hard_run);
                prop_assert_eq!(h.pending(), hard_run > 0 && hard_run < failure && h.status != Status::Unhealthy);
            }
        }

        /// Every incident that opens is closed exactly once, by the transition to healthy, and
        /// incidents never overlap. One is open whenever the target is unhealthy or has been
        /// degraded `degraded_after` checks in a row, and never while it is healthy.
        #[test]
        fn recovery_is_reported_once(
            classes in prop::collection::vec(any_class(), 1..200),
            degraded_after in 1u32..5,
        ) {
            let th = Thresholds { degraded_after, ..TH };
            let mut h = Health::new("t");
            let mut open: Option<DateTime<Utc>> = None;
            let mut degraded_run = 0u32;
            for (i, c) in classes.iter().enumerate() {
                let applied = h.apply(&outcome(*c, i as i64), th);
                let not_ok = c.severity() != Severity::Ok;
                degraded_run = if h.status == Status::Degraded && not_ok { degraded_run + 1 } else { 0 };
                if let Some(inc) = applied.incident {
                    prop_assert!(inc.started_at <= outcome(*c, i as i64).at);
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
                if h.status == Status::Unhealthy || degraded_run >= degraded_after {
                    prop_assert!(h.incident.is_some());
                }
                if h.incident.is_some() {
                    prop_assert!(matches!(h.status, Status::Degraded | Status::Unhealthy));
                }
                let score = h.score.unwrap_or(0.0);
                prop_assert!((0.0..=1.0).contains(&score));
            }
        }

        /// Backoff is bounded: never shorter than the jittered confirm delay (the interval unless
        /// a change is being confirmed), never longer than the cap.
        #[test]
        fn backoff_is_bounded(
            classes in prop::collection::vec(any_class(), 1..60),
            interval_s in 1u64..600,
            confirm_s in 1u64..600,
            cap_factor in 1u64..50,
            retry_ms in prop::option::of(0u64..10_000_000),
            inference in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let timing = Timing {
                interval: Duration::from_secs(interval_s),
                confirm_interval: Duration::from_secs(confirm_s),
                backoff_max: Duration::from_secs(interval_s * cap_factor),
                ..Timing::default()
            };
            let probe = if inference { ProbeLevel::Inference } else { ProbeLevel::Reachable };
            let th = Thresholds::from(&timing);
            let mut h = Health::new("t");
            let mut last = outcome(Class::Ok, 0);
            for (i, c) in classes.iter().enumerate() {
                last = outcome(*c, i as i64);
                last.details.retry_after_ms = retry_ms;
                h.apply(&last, th);
            }
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let d = next_delay(&h, &timing, probe, Some(&last), &mut rng).as_secs_f64();
            let confirming = (h.pending() && confirms_quickly(last.class))
                || (last.class == Class::Ok && !matches!(h.status, Status::Healthy | Status::Unknown));
            let floor = if confirming { timing.confirm_delay() } else { timing.interval };
            prop_assert!(d >= floor.as_secs_f64() * (1.0 - JITTER) - 1e-6);
            prop_assert!(d <= timing.backoff_max.as_secs_f64() + 1e-6);
            // A zero-token probe of a target down for a class where probing helps keeps the
            // interval: a recovery is seen within one interval.
            if !inference && !backs_off(last.class, probe) && !confirming {
                prop_assert!(d <= timing.interval.as_secs_f64() + 1e-6);
            }
        }
    }
}
