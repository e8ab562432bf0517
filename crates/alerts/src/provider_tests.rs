//! Provider incidents, driven like the app drives the policy, on a fixed clock: two targets share
//! OpenAI's status page, and a local one follows none.

use crate::script::*;
use crate::*;
use monitor::{Class, Event, ProviderIncident, Status};
use Class::*;
use Status::*;

fn shared_page() -> Vec<TargetMeta> {
    vec![
        meta("OpenAI", true),
        meta("OpenAI Mini", true),
        meta("Ollama", false),
    ]
}

fn asked() -> NotifyPrefs {
    NotifyPrefs {
        on_provider_incident: true,
        ..NotifyPrefs::default()
    }
}

fn errors() -> ProviderIncident {
    page_incident("a1", "Elevated error rates", "investigating", -120)
}

/// Every 30 s from `from` to `to`, a check of each target: OpenAI at the second, OpenAI Mini ten
/// seconds later, both seeing `listed(s)` on the page, Ollama seeing none. All healthy since
/// long before.
fn checks(from: i64, to: i64, listed: impl Fn(i64) -> Vec<ProviderIncident>) -> Vec<(i64, Event)> {
    let mut events: Vec<_> = shared_page()
        .iter()
        .map(|t| tr(&t.name, Unknown, Healthy, Ok, from - 600))
        .collect();
    for s in (from..to).step_by(30) {
        let page = Some(openai_page(listed(s)));
        events.push(checked("OpenAI", Healthy, Ok, page.clone(), s));
        events.push(checked("OpenAI Mini", Healthy, Ok, page, s + 10));
        events.push(checked("Ollama", Healthy, Ok, None, s + 20));
    }
    events
}

/// The error rates from 0 to 600 (investigating, then identified from 300); two more incidents
/// from 900 to 1200; a last one from 1500.
fn incidents(s: i64) -> Vec<ProviderIncident> {
    let mut listed = Vec::new();
    if s < 300 {
        listed.push(errors());
    } else if s < 600 {
        listed.push(page_incident(
            "a1",
            "Elevated error rates",
            "identified",
            -120,
        ));
    }
    if (900..1200).contains(&s) {
        listed.push(page_incident(
            "b2",
            "Slow fine-tuning jobs",
            "investigating",
            890,
        ));
        listed.push(page_incident("d4", "Login errors", "investigating", 895));
    }
    if s >= 1500 {
        listed.push(page_incident(
            "c3",
            "Degraded Realtime API",
            "monitoring",
            1490,
        ));
    }
    listed
}

/// Each alert as (second, kind, its targets, its words).
fn told(alerts: &[(i64, Alert)]) -> Vec<(i64, AlertKind, String, String)> {
    alerts
        .iter()
        .map(|(s, a)| {
            let words = a.provider_incident.as_ref().map(|i| i.words());
            (*s, a.kind, a.targets.join(","), words.unwrap_or_default())
        })
        .collect()
}

/// When each alert came out.
fn seconds(alerts: &[(i64, Alert)]) -> Vec<i64> {
    alerts.iter().map(|(s, _)| *s).collect()
}

/// Each alert as "second: its targets".
fn to_whom(alerts: &[(i64, Alert)]) -> Vec<String> {
    alerts
        .iter()
        .map(|(s, a)| format!("{s}: {}", a.targets.join(", ")))
        .collect()
}

#[test]
fn one_alert_per_incident_however_many_targets_share_the_page() {
    let mut p = Policy::new(asked(), shared_page());
    let out = play(&mut p, &checks(0, 1800, incidents), 1800, utc());
    let both = "openai,openai-mini".to_string();
    let pi = AlertKind::ProviderIncident;
    assert_eq!(
        told(&out),
        [
            (
                30,
                pi,
                both.clone(),
                "OpenAI reports: Elevated error rates — investigating".into()
            ),
            (
                930,
                pi,
                both.clone(),
                "OpenAI reports: Slow fine-tuning jobs — investigating".into()
            ),
            (
                930,
                pi,
                both.clone(),
                "OpenAI reports: Login errors — investigating".into()
            ),
            (
                1530,
                pi,
                both,
                "OpenAI reports: Degraded Realtime API — monitoring".into()
            ),
        ]
    );
    let first = &out[0].1;
    assert_eq!(first.urgency, Urgency::Low);
    assert_eq!(
        first.provider_incident,
        Some(ProviderIncidentAlert {
            reporter: "OpenAI".into(),
            page: Some("https://status.openai.com".into()),
            incident: errors(),
        })
    );
    assert_eq!(
        first.items[1],
        AlertItem {
            target: "openai-mini".into(),
            name: "OpenAI Mini".into(),
            change: Change::ProviderIncident,
            from: Healthy,
            to: Healthy,
            class: Ok,
            since: at(-600),
            down_for_ms: None,
            degraded_for_ms: None,
        }
    );
}

#[test]
fn an_incident_still_listed_is_not_told_again() {
    // A page not read (no status on the check) ends nothing either.
    let mut events = checks(0, 3 * H, |_| vec![errors()]);
    events.retain(|(s, _)| !(450..460).contains(s));
    events.push(checked("OpenAI", Healthy, Ok, None, 450));
    events.push(checked("OpenAI Mini", Healthy, Ok, None, 460));
    events.sort_by_key(|(s, _)| *s);
    let mut p = Policy::new(asked(), shared_page());
    let out = play(&mut p, &events, 3 * H, utc());
    assert_eq!(to_whom(&out), ["30: openai, openai-mini"]);
    assert_eq!(p.next_flush_at(), None);
}

#[test]
fn provider_incidents_are_told_only_when_asked_for() {
    let mut p = policy(shared_page());
    assert_eq!(play(&mut p, &checks(0, 1800, incidents), 1800, utc()), []);
    let off = NotifyPrefs {
        enabled: false,
        ..asked()
    };
    let mut p = Policy::new(off, shared_page());
    assert_eq!(play(&mut p, &checks(0, 1800, incidents), 1800, utc()), []);
}

#[test]
fn muted_targets_are_left_out_and_a_muted_page_says_nothing() {
    let prefs = NotifyPrefs {
        muted: ["openai-mini".to_string()].into(),
        ..asked()
    };
    let mut p = Policy::new(prefs, shared_page());
    let out = play(&mut p, &checks(0, 600, incidents), 600, utc());
    assert_eq!(to_whom(&out), ["30: openai"]);

    let prefs = NotifyPrefs {
        muted: ["openai".to_string(), "openai-mini".to_string()].into(),
        ..asked()
    };
    let mut p = Policy::new(prefs, shared_page());
    assert_eq!(play(&mut p, &checks(0, 1800, incidents), 1800, utc()), []);
}

#[test]
fn an_incident_during_a_pause_or_quiet_hours_is_passed_over() {
    let mut p = Policy::new(asked(), shared_page());
    p.pause_until(Some(at(700)));
    let out = play(&mut p, &checks(0, 1200, incidents), 1200, utc());
    // The error rates came and went in the pause; the next incidents are told as usual.
    assert_eq!(seconds(&out), [930, 930]);

    // Quiet from +7 h to +16 h (22:00–07:00 local); still listed when they end, yet not told.
    let prefs = NotifyPrefs {
        on_provider_incident: true,
        ..night()
    };
    let mut p = Policy::new(prefs, shared_page());
    let listed = |s: i64| {
        if s < 17 * H {
            vec![errors()]
        } else {
            incidents(1500)
        }
    };
    let out = play(&mut p, &checks(8 * H, 18 * H, listed), 18 * H, cet());
    assert_eq!(seconds(&out), [17 * H + 30]);
}

#[test]
fn maintenance_and_snoozes_keep_their_targets_out() {
    let mut p = Policy::new(asked(), shared_page());
    p.set_maintenance(vec![window(&["OpenAI"], -60, 600)]);
    let out = play(&mut p, &checks(0, 1200, incidents), 1200, utc());
    assert_eq!(
        to_whom(&out),
        [
            "30: openai-mini",
            "930: openai, openai-mini",
            "930: openai, openai-mini"
        ]
    );

    let mut p = Policy::new(asked(), shared_page());
    p.snooze("openai", Some(at(700)), at(-60));
    p.snooze("openai-mini", Some(at(700)), at(-60));
    let out = play(&mut p, &checks(0, 1200, incidents), 1200, utc());
    assert_eq!(seconds(&out), [930, 930]);
}

#[test]
fn a_page_that_could_not_be_read_ends_nothing() {
    let mut p = Policy::new(asked(), shared_page());
    // Listed, then one round where the page answered nothing readable, then listed again: one
    // incident throughout, told once (as the history keeps one span for it).
    let mut events = checks(0, 300, |_| vec![errors()]);
    let unread = monitor::ProviderStatus {
        component_status: Some(monitor::ComponentStatus::Unknown),
        incidents: Vec::new(),
        ..openai_page(Vec::new())
    };
    events.push(checked("OpenAI", Healthy, Ok, Some(unread.clone()), 300));
    events.push(checked("OpenAI Mini", Healthy, Ok, Some(unread), 310));
    events.extend(
        checks(330, 600, |_| vec![errors()])
            .into_iter()
            .filter(|(_, e)| matches!(e, Event::Checked(_))),
    );
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(seconds(&out), [30]);
}
