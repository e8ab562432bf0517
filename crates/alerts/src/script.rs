//! A scripted run of the policy on a fixed clock, for tests of the policy and of whoever words
//! its alerts.
//!
//! Both kinds of test need the app's way of driving the policy, to the flush, and the same
//! targets and outages: kept here, a test of the wording sees the very alerts the policy's own
//! tests pin down. Times are whole seconds from [`T0`], so a script reads like a timeline.

use crate::{Alert, NotifyPrefs, Policy, QuietHours, TargetMeta};
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Utc};
use monitor::config::{Maintenance, Schedule};
use monitor::{
    Check, Class, Details, Event, Outcome, ProviderIncident, ProviderStatus, Status, Transition,
};
use Class::*;
use Status::*;

/// A Tuesday afternoon, so quiet hours start and end within a day's script, and the wording's
/// clock times ("since 14:02", "Tue 22:30") can be checked to the letter.
pub const T0: &str = "2024-03-05T14:00:00Z";

/// An hour, in the seconds of a script.
pub const H: i64 = 3600;

/// The moment `s` seconds after [`T0`] (before it, for negative `s`).
pub fn at(s: i64) -> DateTime<Utc> {
    T0.parse::<DateTime<Utc>>().unwrap() + Duration::seconds(s)
}

/// The inverse of [`at`], to the whole second.
pub fn secs(t: DateTime<Utc>) -> i64 {
    (t - at(0)).num_seconds()
}

pub fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap()
}

/// One hour east of UTC, so that local clock times differ from the script's.
pub fn cet() -> FixedOffset {
    FixedOffset::east_opt(3600).unwrap()
}

/// A transition of the target named `name` (its id is [`id`] of the name), observed at the
/// moment it happened.
pub fn tr(name: &str, from: Status, to: Status, class: Class, s: i64) -> (i64, Event) {
    let t = Transition {
        target: id(name),
        at: at(s),
        from,
        to,
        class,
        reason: String::new(),
    };
    (s, Event::Transition(t))
}

/// A check of the target named `name` at `s`, its status `status`, carrying what its status
/// page says when it follows one.
pub fn checked(
    name: &str,
    status: Status,
    class: Class,
    page: Option<ProviderStatus>,
    s: i64,
) -> (i64, Event) {
    let check = Check {
        target: id(name),
        outcome: Outcome {
            at: at(s),
            class,
            http_status: Some(200),
            latency_ms: 120,
            message: String::new(),
            details: Details {
                provider_status: page,
                ..Details::default()
            },
        },
        status,
        score: 1.0,
        consecutive_failures: 0,
    };
    (s, Event::Checked(check))
}

/// OpenAI's status page as a target watching its "API" component sees it, listing `incidents`.
pub fn openai_page(incidents: Vec<ProviderIncident>) -> ProviderStatus {
    ProviderStatus {
        provider: Some("OpenAI".into()),
        page: Some("https://status.openai.com".into()),
        component: Some("API".into()),
        component_status: Some(if incidents.is_empty() {
            monitor::ComponentStatus::Operational
        } else {
            monitor::ComponentStatus::PartialOutage
        }),
        incidents,
        ..ProviderStatus::default()
    }
}

/// An incident as a status page lists it, started `s` seconds from [`T0`].
pub fn page_incident(id: &str, name: &str, status: &str, s: i64) -> ProviderIncident {
    ProviderIncident {
        id: Some(id.into()),
        name: name.into(),
        impact: Some("minor".into()),
        status: Some(status.into()),
        started_at: Some(at(s)),
        url: Some(format!("https://status.openai.com/incidents/{id}")),
    }
}

/// A target's id from its name, so a script names targets only once.
pub fn id(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

pub fn local(names: &[&str]) -> Vec<TargetMeta> {
    names.iter().map(|n| meta(n, false)).collect()
}

pub fn meta(name: &str, cloud: bool) -> TargetMeta {
    TargetMeta {
        id: id(name),
        name: name.into(),
        cloud,
    }
}

/// A one-off maintenance window from `start` to `end` over `targets` (names; empty: all).
pub fn window(targets: &[&str], start: i64, end: i64) -> Maintenance {
    Maintenance {
        name: Some("upgrade".into()),
        targets: (!targets.is_empty()).then(|| targets.iter().map(|n| id(n)).collect()),
        schedule: Schedule::Once {
            start: at(start),
            end: at(end),
        },
    }
}

/// A policy with the preferences a person starts with.
pub fn policy(targets: Vec<TargetMeta>) -> Policy {
    Policy::new(NotifyPrefs::default(), targets)
}

/// Quiet hours from 22:00 to 07:00 local time, otherwise the defaults.
pub fn night() -> NotifyPrefs {
    NotifyPrefs {
        quiet_hours: Some(QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        }),
        ..NotifyPrefs::default()
    }
}

/// Enough cloud targets to tell a lost network from one provider's outage, and a local one that
/// the network does not concern.
pub fn cloud_four_and_ollama() -> Vec<TargetMeta> {
    let mut targets: Vec<_> = ["OpenAI", "Anthropic", "Groq", "Gemini"]
        .iter()
        .map(|n| meta(n, true))
        .collect();
    targets.push(meta("Ollama", false));
    targets
}

/// The engine's first checks of the targets of `cloud_four_and_ollama`, all fine, long before.
pub fn started() -> Vec<(i64, Event)> {
    cloud_four_and_ollama()
        .iter()
        .map(|t| tr(&t.name, Unknown, Healthy, Ok, -600))
        .collect()
}

/// After [`started`], the network goes: every cloud target fails within seconds, each with a
/// cause of its own.
pub fn all_cloud_down() -> Vec<(i64, Event)> {
    let mut events = started();
    events.extend([
        tr("OpenAI", Healthy, Unhealthy, Connect, 0),
        tr("Anthropic", Healthy, Unhealthy, Timeout, 5),
        tr("Groq", Healthy, Unhealthy, Connect, 9),
        tr("Gemini", Healthy, Unhealthy, Tls, 12),
    ]);
    events
}

/// Runs events like the app does: each at its time, with a flush whenever `next_flush_at` has
/// come, and flushes on until `end`. Returns each alert with the second it was let out; that
/// second is the moment exactly (`at(s)`), so a channel can word the alert as it would be shown.
pub fn play(
    p: &mut Policy,
    events: &[(i64, Event)],
    end: i64,
    tz: FixedOffset,
) -> Vec<(i64, Alert)> {
    let mut out = Vec::new();
    let mut clock = at(-3600);
    let mut flush_until = |p: &mut Policy, until: DateTime<Utc>, out: &mut Vec<_>| {
        for _ in 0..1000 {
            match p.next_flush_at() {
                Some(due) if due <= until => {
                    clock = clock.max(due);
                    // A flush between whole seconds would make `at(s)` a different moment
                    // from the one the alert was let out at.
                    assert_eq!(at(secs(clock)), clock, "a flush off the whole second");
                    out.extend(p.flush(clock, tz).into_iter().map(|a| (secs(clock), a)));
                }
                _ => return,
            }
        }
        panic!("next_flush_at does not move on");
    };
    for (s, event) in events {
        flush_until(p, at(*s), &mut out);
        p.observe(event, at(*s));
    }
    flush_until(p, at(end), &mut out);
    out
}
