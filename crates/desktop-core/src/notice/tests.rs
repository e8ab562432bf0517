//! The notifications a person sees, word for word: the policy driven like the app drives it, on a
//! fixed clock, and each alert rendered when it comes out.

use super::*;
use alerts::script::{self, *};
use alerts::{NotifyPrefs, OfflineStretch, Policy};
use monitor::{Class, Event};
use Class::*;
use Status::*;

/// The policy's scripted run, each alert worded at the moment it was let out, as the app shows it.
fn play(p: &mut Policy, events: &[(i64, Event)], end: i64, tz: FixedOffset) -> Vec<(i64, Notice)> {
    script::play(p, events, end, tz)
        .into_iter()
        .map(|(s, alert)| (s, render(&alert, at(s), tz)))
        .collect()
}

fn summaries(notices: &[(i64, Notice)]) -> Vec<(i64, &str)> {
    notices
        .iter()
        .map(|(s, n)| (*s, n.summary.as_str()))
        .collect()
}

/// Each notice as (second, summary, body, urgency).
fn told(notices: &[(i64, Notice)]) -> Vec<(i64, &str, &str, Urgency)> {
    notices
        .iter()
        .map(|(s, n)| (*s, n.summary.as_str(), n.body.as_str(), n.urgency))
        .collect()
}

fn bodies(notices: &[(i64, Notice)]) -> Vec<&str> {
    notices.iter().map(|(_, n)| n.body.as_str()).collect()
}

#[test]
fn a_down_target_is_told_with_its_cause() {
    let mut p = policy(local(&["Ollama"]));
    let out = play(
        &mut p,
        &[tr("Ollama", Healthy, Unhealthy, Connect, 120)],
        600,
        utc(),
    );
    assert_eq!(
        out,
        [(
            123,
            Notice {
                summary: "Ollama is down".into(),
                body: "Not running or unreachable (since 14:02)".into(),
                urgency: Urgency::Critical,
                targets: vec!["ollama".into()],
            }
        )]
    );
}

#[test]
fn a_recovery_says_how_long_it_was_down() {
    let mut p = policy(local(&["Ollama"]));
    let events = [
        tr("Ollama", Healthy, Unhealthy, Connect, 120),
        tr("Ollama", Unhealthy, Healthy, Ok, 127),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(
        summaries(&out),
        [(123, "Ollama is down"), (130, "Ollama recovered")]
    );
    assert_eq!(out[1].1.body, "Was down for 7 s");
    assert_eq!(out[1].1.urgency, Urgency::Normal);
}

#[test]
fn recovering_into_degraded_says_so() {
    let mut p = policy(local(&["Ollama"]));
    let events = [
        tr("Ollama", Healthy, Unhealthy, Timeout, 0),
        tr("Ollama", Unhealthy, Degraded, Slow, 240),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(
        bodies(&out),
        [
            "Timing out (since 14:00)",
            "Was down for 4 min; still degraded: responding slowly"
        ]
    );
}

#[test]
fn degraded_and_back_to_normal_when_asked_for() {
    let prefs = NotifyPrefs {
        on_degraded: true,
        ..NotifyPrefs::default()
    };
    let mut p = Policy::new(prefs, local(&["OpenAI"]));
    let events = [
        tr("OpenAI", Healthy, Degraded, RateLimited, 0),
        tr("OpenAI", Degraded, Healthy, Ok, 120),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(
        told(&out),
        [
            (3, "OpenAI is degraded", "Rate limited", Urgency::Low),
            (
                123,
                "OpenAI is back to normal",
                "Was degraded for 2 min",
                Urgency::Low
            ),
        ]
    );
}

#[test]
fn credits_running_low_are_told_without_asking_for_degraded() {
    let mut p = policy(vec![meta("OpenRouter", true)]);
    let events = [
        tr("OpenRouter", Unknown, Healthy, Ok, -600),
        tr("OpenRouter", Healthy, Degraded, CreditsLow, 0),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(
        told(&out),
        [(3, "OpenRouter is degraded", "Credits low", Urgency::Low)]
    );
}

#[test]
fn a_provider_incident_in_the_pages_words() {
    let prefs = NotifyPrefs {
        on_provider_incident: true,
        ..NotifyPrefs::default()
    };
    let mut p = Policy::new(prefs, vec![meta("OpenAI", true), meta("OpenAI Mini", true)]);
    let page = || {
        Some(openai_page(vec![page_incident(
            "a1",
            "Elevated error rates",
            "investigating",
            -60,
        )]))
    };
    let events = [
        tr("OpenAI", Unknown, Healthy, Ok, -600),
        tr("OpenAI Mini", Unknown, Healthy, Ok, -600),
        checked("OpenAI", Healthy, Ok, page(), 0),
        checked("OpenAI Mini", Healthy, Ok, page(), 10),
        checked("OpenAI", Healthy, Ok, page(), 30),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(
        out,
        [(
            30,
            Notice {
                summary: "OpenAI reports an incident".into(),
                body: "OpenAI reports: Elevated error rates — investigating".into(),
                urgency: Urgency::Low,
                targets: vec!["openai".into(), "openai-mini".into()],
            }
        )]
    );
}

#[test]
fn a_cloud_down_from_the_start_names_its_cause() {
    let mut p = policy(local(&["OpenAI"]));
    let out = play(
        &mut p,
        &[tr("OpenAI", Unknown, Unhealthy, Auth, 500)],
        600,
        utc(),
    );
    assert_eq!(summaries(&out), [(503, "OpenAI is down")]);
    assert_eq!(out[0].1.body, "API key rejected (since 14:08)");
}

#[test]
fn changes_within_the_window_are_one_notice() {
    let mut p = policy(local(&["Ollama", "OpenAI", "LM Studio"]));
    let events = [
        tr("OpenAI", Healthy, Unhealthy, ServerError, 0),
        tr("Ollama", Healthy, Unhealthy, Connect, 240),
        tr("LM Studio", Healthy, Unhealthy, Timeout, 241),
        tr("OpenAI", Unhealthy, Healthy, Ok, 242),
        tr("OpenAI", Healthy, Unhealthy, Quota, 250),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(
        summaries(&out),
        [
            (3, "OpenAI is down"),
            (243, "2 down, 1 recovered"),
            (253, "OpenAI is down")
        ]
    );
    let grouped = &out[1].1;
    assert_eq!(
        grouped.body,
        "Ollama: down — not running or unreachable\n\
         OpenAI: recovered after 4 min\n\
         LM Studio: down — timing out"
    );
    assert_eq!(grouped.urgency, Urgency::Critical);
    assert_eq!(grouped.targets, ["ollama", "openai", "lm-studio"]);
    assert_eq!(out[2].1.body, "Quota exhausted (since 14:04)");
}

/// What the desktop end-to-end test looks for: a local target and a cloud one with a rejected
/// key, down together.
#[test]
fn two_down_together_are_one_line_each() {
    let mut targets = local(&["Ollama"]);
    targets.push(meta("OpenAI", true));
    let mut p = policy(targets);
    let events = [
        tr("Ollama", Healthy, Unhealthy, Connect, 0),
        tr("OpenAI", Healthy, Unhealthy, Auth, 1),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(summaries(&out), [(3, "2 down")]);
    assert_eq!(
        out[0].1.body,
        "Ollama: down — not running or unreachable\nOpenAI: down — API key rejected"
    );
    assert_eq!(out[0].1.targets, ["ollama", "openai"]);
}

#[test]
fn offline_and_back_online() {
    let mut p = policy(cloud_four_and_ollama());
    let mut events = all_cloud_down();
    events.push(tr("Ollama", Healthy, Unhealthy, Connect, 12));
    for (i, name) in ["OpenAI", "Anthropic", "Groq", "Gemini"].iter().enumerate() {
        events.push(tr(name, Unhealthy, Healthy, Ok, 300 + 5 * i as i64));
    }
    let out = play(&mut p, &events, 900, utc());
    assert_eq!(
        summaries(&out),
        [
            (15, "You appear to be offline"),
            (15, "Ollama is down"),
            (318, "Back online")
        ]
    );
    assert_eq!(
        bodies(&out),
        [
            "All 4 cloud endpoints are unreachable: OpenAI, Anthropic, Groq, Gemini",
            "Not running or unreachable (since 14:00)",
            "Cloud endpoints reachable again after 5 min"
        ]
    );
    assert_eq!(out[0].1.urgency, Urgency::Normal);
    assert_eq!(out[2].1.urgency, Urgency::Normal);
}

#[test]
fn back_online_names_what_is_still_down() {
    let mut p = policy(cloud_four_and_ollama());
    let mut events = all_cloud_down();
    for name in ["OpenAI", "Anthropic", "Gemini"] {
        events.push(tr(name, Unhealthy, Healthy, Ok, 300));
    }
    events.push(tr("Groq", Unhealthy, Healthy, Ok, 600));
    let out = play(&mut p, &events, 900, utc());
    assert_eq!(
        summaries(&out),
        [
            (15, "You appear to be offline"),
            (333, "Back online"),
            (603, "Groq recovered")
        ]
    );
    assert_eq!(
        out[1].1.body,
        "Cloud endpoints reachable again after 5 min\nStill down: Groq"
    );
    assert_eq!(out[1].1.urgency, Urgency::Critical);
    assert_eq!(out[2].1.body, "Was down for 9 min");
}

#[test]
fn some_cloud_targets_unreachable_are_told_after_the_hold() {
    let mut p = policy(cloud_four_and_ollama());
    let mut events = started();
    events.extend([
        tr("OpenAI", Healthy, Unhealthy, Connect, 0),
        tr("Groq", Healthy, Unhealthy, Timeout, 5),
    ]);
    let out = play(&mut p, &events, 900, utc());
    assert_eq!(summaries(&out), [(30, "2 down")]);
    assert_eq!(
        out[0].1.body,
        "OpenAI: down — not running or unreachable\nGroq: down — timing out"
    );
}

#[test]
fn quiet_hours_end_with_one_summary_of_what_is_still_down() {
    let mut p = Policy::new(night(), local(&["Ollama", "OpenAI", "Groq"]));
    // 14:00 UTC is 15:00 local: quiet from +7 h to +16 h.
    let events = [
        tr("Ollama", Healthy, Unhealthy, Connect, 7 * H + 1800),
        tr("OpenAI", Healthy, Unhealthy, Quota, 8 * H),
        tr("Groq", Healthy, Unhealthy, Timeout, 9 * H),
        tr("Groq", Unhealthy, Healthy, Ok, 9 * H + 600),
        tr("Ollama", Unhealthy, Healthy, Ok, 17 * H),
    ];
    let out = play(&mut p, &events, 20 * H, cet());
    assert_eq!(
        summaries(&out),
        [
            (16 * H, "Still down: Ollama, OpenAI"),
            (17 * H + 3, "Ollama recovered")
        ]
    );
    assert_eq!(
        out[0].1.body,
        "Ollama: down since Tue 22:30 — not running or unreachable\n\
         OpenAI: down since Tue 23:00 — quota exhausted"
    );
    assert_eq!(out[0].1.urgency, Urgency::Critical);
    assert_eq!(out[1].1.body, "Was down for 9 h 30 min");
}

#[test]
fn a_pause_ends_with_a_summary() {
    let mut p = policy(local(&["Ollama", "OpenAI"]));
    p.pause_until(Some(at(3600)));
    let events = [
        tr("Ollama", Healthy, Unhealthy, Connect, 60),
        tr("OpenAI", Healthy, Unhealthy, Auth, 61),
    ];
    let out = play(&mut p, &events, 7200, utc());
    assert_eq!(summaries(&out), [(3600, "Still down: Ollama, OpenAI")]);
    assert_eq!(
        out[0].1.body,
        "Ollama: down since 14:01 — not running or unreachable\n\
         OpenAI: down since 14:01 — API key rejected"
    );
}

fn item(name: &str, change: Change, to: Status, class: Class) -> AlertItem {
    AlertItem {
        target: id(name),
        name: name.into(),
        change,
        from: Healthy,
        to,
        class,
        since: at(0),
        down_for_ms: None,
        degraded_for_ms: None,
    }
}

fn alert(kind: AlertKind, items: Vec<AlertItem>) -> Alert {
    Alert {
        kind,
        urgency: Urgency::Normal,
        at: at(60),
        targets: items.iter().map(|i| i.target.clone()).collect(),
        items,
        offline: None,
        provider_incident: None,
    }
}

/// Every line a grouped notice or a summary can have, including the ones no flow above reaches.
#[test]
fn every_change_has_a_line() {
    let recovered = AlertItem {
        down_for_ms: Some(90_000),
        ..item("Groq", Change::Recovered, Degraded, Slow)
    };
    let normal = AlertItem {
        degraded_for_ms: Some(3_600_000),
        ..item("Gemini", Change::BackToNormal, Healthy, Ok)
    };
    let items = vec![
        item("Ollama", Change::Down, Unhealthy, Connect),
        recovered,
        item("OpenAI", Change::Degraded, Degraded, RateLimited),
        normal,
    ];
    let notice = render(&alert(AlertKind::Mixed, items.clone()), at(60), utc());
    assert_eq!(
        notice.summary,
        "1 down, 1 recovered, 1 degraded, 1 back to normal"
    );
    assert_eq!(
        notice.body,
        "Ollama: down — not running or unreachable\n\
         Groq: recovered after 1 min, still degraded — responding slowly\n\
         OpenAI: degraded — rate limited\n\
         Gemini: back to normal after 1 h"
    );
    // A summary names only the downs, and says since when.
    let notice = render(&alert(AlertKind::StillDown, items), at(60), utc());
    assert_eq!(notice.summary, "Still down: Ollama");
    assert!(
        notice
            .body
            .starts_with("Ollama: down since 14:00 — not running or unreachable\nGroq: recovered"),
        "{}",
        notice.body
    );
}

/// Alerts no policy makes, as a receiver might build them, still read.
#[test]
fn a_provider_incident_without_its_incident_still_reads() {
    let items = vec![item("OpenAI", Change::ProviderIncident, Healthy, Ok)];
    let notice = render(
        &alert(AlertKind::ProviderIncident, items.clone()),
        at(60),
        utc(),
    );
    assert_eq!(
        (notice.summary.as_str(), notice.body.as_str()),
        (
            "A provider reports an incident",
            "On the status page of OpenAI"
        )
    );
    let mut both = items;
    both.push(item("Ollama", Change::Down, Unhealthy, Connect));
    let notice = render(&alert(AlertKind::Mixed, both), at(60), utc());
    assert_eq!(notice.summary, "1 down, 1 with a provider incident");
    assert_eq!(
        notice.body,
        "OpenAI: its provider reports an incident
Ollama: down — not running or unreachable"
    );
}

#[test]
fn long_lists_of_names_end_with_a_count() {
    let names = ["OpenAI", "Anthropic", "Groq", "Gemini", "Mistral", "Azure"];
    let items: Vec<_> = names
        .iter()
        .map(|n| item(n, Change::Unreachable, Unhealthy, Connect))
        .collect();
    let mut offline = alert(AlertKind::Offline, items);
    offline.offline = Some(OfflineStretch {
        since: at(0),
        until: None,
        lasted_ms: None,
    });
    let notice = render(&offline, at(60), utc());
    assert_eq!(
        notice.body,
        "All 6 cloud endpoints are unreachable: OpenAI, Anthropic, Groq, Gemini and 2 more"
    );
    assert_eq!(notice.targets.len(), 6);
}
