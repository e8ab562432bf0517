//! The policy as a whole, driven like the app drives it, on a fixed clock.

use crate::script::*;
use crate::*;
use monitor::{Class, Event, Status};
use Class::*;
use Status::*;

fn kinds(alerts: &[(i64, Alert)]) -> Vec<(i64, AlertKind)> {
    alerts.iter().map(|(s, a)| (*s, a.kind)).collect()
}

/// Each item as (target id, change, class).
fn items(alert: &Alert) -> Vec<(&str, Change, Class)> {
    alert
        .items
        .iter()
        .map(|i| (i.target.as_str(), i.change, i.class))
        .collect()
}

const MIN: u64 = 60_000;

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
            Alert {
                kind: AlertKind::Down,
                urgency: Urgency::Critical,
                at: at(123),
                items: vec![AlertItem {
                    target: "ollama".into(),
                    name: "Ollama".into(),
                    change: Change::Down,
                    from: Healthy,
                    to: Unhealthy,
                    class: Connect,
                    since: at(120),
                    down_for_ms: None,
                    degraded_for_ms: None,
                }],
                targets: vec!["ollama".into()],
                offline: None,
                provider_incident: None,
            }
        )]
    );
    assert_eq!(p.next_flush_at(), None);
}

#[test]
fn a_told_down_is_followed_by_its_recovery() {
    let mut p = policy(local(&["Ollama"]));
    let events = [
        tr("Ollama", Healthy, Unhealthy, Connect, 120),
        tr("Ollama", Unhealthy, Healthy, Ok, 360),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(
        kinds(&out),
        [(123, AlertKind::Down), (363, AlertKind::Recovered)]
    );
    let recovered = &out[1].1;
    assert_eq!(recovered.urgency, Urgency::Normal);
    let item = &recovered.items[0];
    assert_eq!(
        (item.change, item.from, item.to, item.since),
        (Change::Recovered, Unhealthy, Healthy, at(360))
    );
    assert_eq!(item.down_for_ms, Some(4 * MIN));
}

#[test]
fn no_recovery_without_a_told_down() {
    // Start-up, and a policy that joins while the target is already down.
    let mut p = policy(local(&["Ollama", "OpenAI"]));
    let events = [
        tr("Ollama", Unknown, Healthy, Ok, 0),
        tr("OpenAI", Unhealthy, Healthy, Ok, 10),
    ];
    assert_eq!(play(&mut p, &events, 600, utc()), []);

    // A down that was not told (turned off) has no recovery either.
    let prefs = NotifyPrefs {
        on_down: false,
        ..NotifyPrefs::default()
    };
    let mut p = Policy::new(prefs, local(&["Ollama"]));
    let events = [
        tr("Ollama", Healthy, Unhealthy, Connect, 0),
        tr("Ollama", Unhealthy, Healthy, Ok, 60),
    ];
    assert_eq!(play(&mut p, &events, 600, utc()), []);
}

#[test]
fn recovering_into_degraded_says_so() {
    let mut p = policy(local(&["Ollama"]));
    let events = [
        tr("Ollama", Healthy, Unhealthy, Timeout, 0),
        tr("Ollama", Unhealthy, Degraded, Slow, 240),
        // Degraded was not asked for, so its end is not told.
        tr("Ollama", Degraded, Healthy, Ok, 400),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(
        kinds(&out),
        [(3, AlertKind::Down), (243, AlertKind::Recovered)]
    );
    let item = &out[1].1.items[0];
    assert_eq!(
        (item.change, item.to, item.class),
        (Change::Recovered, Degraded, Slow)
    );
    assert_eq!(item.down_for_ms, Some(4 * MIN));
}

#[test]
fn degraded_is_told_only_when_asked_for() {
    let events = [
        tr("OpenAI", Healthy, Degraded, RateLimited, 0),
        tr("OpenAI", Degraded, Healthy, Ok, 120),
    ];
    let mut p = policy(local(&["OpenAI"]));
    assert_eq!(play(&mut p, &events, 600, utc()), []);

    let prefs = NotifyPrefs {
        on_degraded: true,
        ..NotifyPrefs::default()
    };
    let mut p = Policy::new(prefs.clone(), local(&["OpenAI"]));
    let out = play(&mut p, &events, 600, utc());
    let told: Vec<_> = out
        .iter()
        .map(|(s, a)| (*s, a.kind, a.urgency, items(a)))
        .collect();
    assert_eq!(
        told,
        [
            (
                3,
                AlertKind::Degraded,
                Urgency::Low,
                vec![("openai", Change::Degraded, RateLimited)]
            ),
            (
                123,
                AlertKind::BackToNormal,
                Urgency::Low,
                vec![("openai", Change::BackToNormal, Ok)]
            ),
        ]
    );
    assert_eq!(out[1].1.items[0].degraded_for_ms, Some(2 * MIN));

    // Degraded from start-up was never told, so neither is its end.
    let mut p = Policy::new(prefs, local(&["OpenAI"]));
    let events = [
        tr("OpenAI", Unknown, Degraded, Slow, 0),
        tr("OpenAI", Degraded, Healthy, Ok, 120),
    ];
    assert_eq!(play(&mut p, &events, 600, utc()), []);
}

#[test]
fn credits_running_low_are_told_once_per_stretch_without_asking_for_degraded() {
    let mut p = policy(local(&["OpenRouter"]));
    let events = [
        tr("OpenRouter", Unknown, Healthy, Ok, -600),
        tr("OpenRouter", Healthy, Degraded, CreditsLow, 0),
        // Exhausted, then topped up a little: the down and its recovery, as always, and no
        // second "credits low" within the stretch.
        tr("OpenRouter", Degraded, Unhealthy, Quota, 300),
        tr("OpenRouter", Unhealthy, Degraded, CreditsLow, 600),
        // Its end was not asked for.
        tr("OpenRouter", Degraded, Healthy, Ok, 900),
        // A new stretch is told again; a degraded for anything else is not.
        tr("OpenRouter", Healthy, Degraded, CreditsLow, 1500),
        tr("OpenRouter", Degraded, Healthy, Ok, 1800),
        tr("OpenRouter", Healthy, Degraded, Slow, 2400),
    ];
    let out = play(&mut p, &events, 3000, utc());
    let told: Vec<_> = out.iter().map(|(s, a)| (*s, a.kind, items(a))).collect();
    assert_eq!(
        told,
        [
            (
                3,
                AlertKind::Degraded,
                vec![("openrouter", Change::Degraded, CreditsLow)]
            ),
            (
                303,
                AlertKind::Down,
                vec![("openrouter", Change::Down, Quota)]
            ),
            (
                603,
                AlertKind::Recovered,
                vec![("openrouter", Change::Recovered, CreditsLow)]
            ),
            (
                1503,
                AlertKind::Degraded,
                vec![("openrouter", Change::Degraded, CreditsLow)]
            ),
        ]
    );
}

#[test]
fn unknown_is_never_told_but_down_from_the_start_is() {
    let mut p = policy(local(&["Ollama", "OpenAI"]));
    let events = [
        tr("Ollama", Unknown, Healthy, Ok, 0),
        tr("Ollama", Healthy, Unhealthy, Connect, 60),
        // Monitoring stopped, then started again: no "recovered" for the stretch in between.
        tr("Ollama", Unhealthy, Unknown, Ok, 120),
        tr("Ollama", Unknown, Healthy, Ok, 180),
        tr("Ollama", Healthy, Unknown, Ok, 240),
        // Down from the start counts; stopped and started again within one window does not make
        // a "recovered".
        tr("Ollama", Unknown, Unhealthy, Connect, 250),
        tr("Ollama", Unhealthy, Unknown, Ok, 400),
        tr("Ollama", Unknown, Healthy, Ok, 401),
        tr("OpenAI", Unknown, Unhealthy, Auth, 500),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(
        kinds(&out),
        [
            (63, AlertKind::Down),
            (253, AlertKind::Down),
            (503, AlertKind::Down)
        ]
    );
    assert_eq!(out[1].1.items[0].from, Unknown);
    let item = &out[2].1.items[0];
    assert_eq!(
        (item.target.as_str(), item.class, item.since),
        ("openai", Auth, at(500))
    );
}

#[test]
fn changes_within_the_window_are_one_alert() {
    let mut p = policy(local(&["Ollama", "OpenAI", "LM Studio"]));
    let events = [
        tr("OpenAI", Healthy, Unhealthy, ServerError, 0),
        tr("Ollama", Healthy, Unhealthy, Connect, 240),
        tr("LM Studio", Healthy, Unhealthy, Timeout, 241),
        tr("OpenAI", Unhealthy, Healthy, Ok, 242),
        // After the window: an alert of its own.
        tr("OpenAI", Healthy, Unhealthy, Quota, 250),
    ];
    let out = play(&mut p, &events, 600, utc());
    assert_eq!(
        kinds(&out),
        [
            (3, AlertKind::Down),
            (243, AlertKind::Mixed),
            (253, AlertKind::Down)
        ]
    );
    let grouped = &out[1].1;
    assert_eq!(
        items(grouped),
        [
            ("ollama", Change::Down, Connect),
            ("openai", Change::Recovered, Ok),
            ("lm-studio", Change::Down, Timeout)
        ]
    );
    assert_eq!(grouped.items[1].down_for_ms, Some(242_000));
    assert_eq!(grouped.urgency, Urgency::Critical);
    assert_eq!(grouped.targets, ["ollama", "openai", "lm-studio"]);
    assert_eq!(items(&out[2].1), [("openai", Change::Down, Quota)]);
    assert_eq!(out[2].1.items[0].since, at(250));
}

#[test]
fn a_flap_within_the_window_says_nothing() {
    let mut p = policy(local(&["Ollama"]));
    let events = [
        tr("Ollama", Healthy, Unhealthy, Connect, 0),
        tr("Ollama", Unhealthy, Healthy, Ok, 2),
    ];
    assert_eq!(play(&mut p, &events, 600, utc()), []);
}

const CLOUD_IDS: [&str; 4] = ["openai", "anthropic", "groq", "gemini"];

#[test]
fn every_cloud_target_unreachable_is_one_offline_alert() {
    let mut p = policy(cloud_four_and_ollama());
    let mut events = all_cloud_down();
    events.push(tr("Ollama", Healthy, Unhealthy, Connect, 12));
    // Coming back one by one: one "back online" as soon as all are back (at most the offline
    // window after the first).
    for (i, name) in ["OpenAI", "Anthropic", "Groq", "Gemini"].iter().enumerate() {
        events.push(tr(name, Unhealthy, Healthy, Ok, 300 + 5 * i as i64));
    }
    let out = play(&mut p, &events, 900, utc());
    assert_eq!(
        kinds(&out),
        [
            (15, AlertKind::Offline),
            (15, AlertKind::Down),
            (318, AlertKind::BackOnline)
        ]
    );
    let offline = &out[0].1;
    assert_eq!(
        items(offline),
        [
            ("openai", Change::Unreachable, Connect),
            ("anthropic", Change::Unreachable, Timeout),
            ("groq", Change::Unreachable, Connect),
            ("gemini", Change::Unreachable, Tls)
        ]
    );
    assert_eq!(offline.targets, CLOUD_IDS);
    assert_eq!(offline.urgency, Urgency::Normal);
    assert_eq!(
        offline.offline,
        Some(OfflineStretch {
            since: at(0),
            until: None,
            lasted_ms: None
        })
    );
    assert_eq!(items(&out[1].1), [("ollama", Change::Down, Connect)]);
    let back = &out[2].1;
    assert_eq!(back.items, []);
    assert_eq!(back.targets, CLOUD_IDS);
    assert_eq!(back.urgency, Urgency::Normal);
    // Back from when the first cloud target was reachable again, not from when it was told.
    assert_eq!(
        back.offline,
        Some(OfflineStretch {
            since: at(0),
            until: Some(at(303)),
            lasted_ms: Some(303_000)
        })
    );
}

#[test]
fn while_offline_cloud_changes_are_not_told_one_by_one() {
    let mut p = policy(cloud_four_and_ollama());
    let mut events = all_cloud_down();
    events.extend([
        // A blip, then down again: neither is told, and it is not yet "back online".
        tr("Groq", Unhealthy, Healthy, Ok, 100),
        tr("Groq", Healthy, Unhealthy, Connect, 110),
        tr("OpenAI", Unhealthy, Healthy, Ok, 300),
        tr("Anthropic", Unhealthy, Healthy, Ok, 301),
        tr("Groq", Unhealthy, Healthy, Ok, 302),
        tr("Gemini", Unhealthy, Healthy, Ok, 303),
    ]);
    let out = play(&mut p, &events, 900, utc());
    assert_eq!(
        kinds(&out),
        [(15, AlertKind::Offline), (306, AlertKind::BackOnline)]
    );

    // Groq's down was told in "back online" as still down, so its recovery is told too.
    let mut p = policy(cloud_four_and_ollama());
    let mut events = all_cloud_down();
    for name in ["OpenAI", "Anthropic", "Gemini"] {
        events.push(tr(name, Unhealthy, Healthy, Ok, 300));
    }
    events.push(tr("Groq", Unhealthy, Healthy, Ok, 600));
    let out = play(&mut p, &events, 900, utc());
    assert_eq!(
        kinds(&out),
        [
            (15, AlertKind::Offline),
            (333, AlertKind::BackOnline),
            (603, AlertKind::Recovered)
        ]
    );
    let back = &out[1].1;
    assert_eq!(items(back), [("groq", Change::Down, Connect)]);
    assert_eq!(back.urgency, Urgency::Critical);
    assert_eq!(back.offline.as_ref().unwrap().lasted_ms, Some(303_000));
    assert_eq!(items(&out[2].1), [("groq", Change::Recovered, Ok)]);
    assert_eq!(out[2].1.items[0].down_for_ms, Some(591_000));
}

#[test]
fn disabled_cloud_targets_do_not_block_offline_detection() {
    let mut targets = cloud_four_and_ollama();
    targets.push(meta("Mistral", true)); // disabled: the engine never reports it
    targets.push(meta("Azure", true)); // disabled while running: stopped at unknown
    let mut p = policy(targets);
    let mut events = vec![
        tr("Azure", Unknown, Healthy, Ok, -700),
        tr("Azure", Healthy, Unknown, Ok, -650),
    ];
    events.extend(all_cloud_down());
    let out = play(&mut p, &events, 900, utc());
    assert_eq!(kinds(&out), [(15, AlertKind::Offline)]);
    let offline = &out[0].1;
    let told: Vec<&str> = offline.items.iter().map(|i| i.target.as_str()).collect();
    assert_eq!(told, CLOUD_IDS);
    assert_eq!(offline.targets, CLOUD_IDS);
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
    assert_eq!(kinds(&out), [(30, AlertKind::Down)]);
    assert_eq!(
        items(&out[0].1),
        [
            ("openai", Change::Down, Connect),
            ("groq", Change::Down, Timeout)
        ]
    );

    // Other causes are not held: a rejected key is not the network.
    let mut p = policy(cloud_four_and_ollama());
    let out = play(
        &mut p,
        &[tr("OpenAI", Healthy, Unhealthy, Auth, 0)],
        900,
        utc(),
    );
    assert_eq!(kinds(&out), [(3, AlertKind::Down)]);

    // One cloud target alone proves nothing about the network.
    let mut p = policy(vec![meta("OpenAI", true)]);
    let out = play(
        &mut p,
        &[tr("OpenAI", Healthy, Unhealthy, Connect, 0)],
        900,
        utc(),
    );
    assert_eq!(kinds(&out), [(30, AlertKind::Down)]);
}

#[test]
fn muted_targets_are_never_mentioned_but_count_for_offline() {
    let prefs = NotifyPrefs {
        muted: ["ollama".to_string(), "groq".to_string()].into(),
        ..NotifyPrefs::default()
    };
    let mut p = Policy::new(prefs.clone(), cloud_four_and_ollama());
    let events = [
        tr("Ollama", Healthy, Unhealthy, Connect, 0),
        tr("Ollama", Unhealthy, Healthy, Ok, 60),
        tr("Groq", Healthy, Unhealthy, Auth, 100),
    ];
    assert_eq!(play(&mut p, &events, 900, utc()), []);

    let mut p = Policy::new(prefs, cloud_four_and_ollama());
    let out = play(&mut p, &all_cloud_down(), 900, utc());
    assert_eq!(kinds(&out), [(15, AlertKind::Offline)]);
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
        // After the summary, as usual: the recovery of a down the summary told.
        tr("Ollama", Unhealthy, Healthy, Ok, 17 * H),
    ];
    let out = play(&mut p, &events, 20 * H, cet());
    assert_eq!(
        kinds(&out),
        [
            (16 * H, AlertKind::StillDown),
            (17 * H + 3, AlertKind::Recovered)
        ]
    );
    let summary = &out[0].1;
    assert_eq!(
        items(summary),
        [
            ("ollama", Change::Down, Connect),
            ("openai", Change::Down, Quota)
        ]
    );
    assert_eq!(summary.items[0].since, at(7 * H + 1800));
    assert_eq!(summary.urgency, Urgency::Critical);
    assert_eq!(out[1].1.items[0].down_for_ms, Some(570 * MIN));
}

#[test]
fn a_silence_with_only_recoveries_ends_with_just_those() {
    // Told before the quiet hours, recovered during them: no summary, just the recovery.
    let mut p = Policy::new(night(), local(&["Ollama"]));
    let events = [
        tr("Ollama", Healthy, Unhealthy, Connect, 6 * H),
        tr("Ollama", Unhealthy, Healthy, Ok, 8 * H),
    ];
    let out = play(&mut p, &events, 20 * H, cet());
    assert_eq!(
        kinds(&out),
        [(6 * H + 3, AlertKind::Down), (16 * H, AlertKind::Recovered)]
    );
    assert_eq!(out[1].1.items[0].down_for_ms, Some(120 * MIN));
}

#[test]
fn a_pause_ends_with_a_summary_and_resuming_early_brings_it_at_once() {
    let mut p = policy(local(&["Ollama", "OpenAI"]));
    p.pause_until(Some(at(3600)));
    assert_eq!(p.paused_until(at(0)), Some(at(3600)));
    let events = [tr("Ollama", Healthy, Unhealthy, Connect, 60)];
    let out = play(&mut p, &events, 7200, utc());
    assert_eq!(kinds(&out), [(3600, AlertKind::StillDown)]);
    assert_eq!(items(&out[0].1), [("ollama", Change::Down, Connect)]);
    assert_eq!(p.paused_until(at(3600)), None);

    let mut p = policy(local(&["Ollama", "OpenAI"]));
    p.pause_until(Some(at(3600)));
    p.observe(&tr("Ollama", Healthy, Unhealthy, Connect, 60).1, at(60));
    p.observe(&tr("OpenAI", Healthy, Unhealthy, Connect, 61).1, at(61));
    assert_eq!(p.flush(at(63), utc()), []);
    assert_eq!(p.next_flush_at(), Some(at(3600)));
    p.pause_until(None);
    let due = p.next_flush_at().unwrap();
    assert!(due <= at(63), "{due}");
    let out = p.flush(at(600), utc());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, AlertKind::StillDown);
    assert_eq!(out[0].targets, ["ollama", "openai"]);
    assert_eq!(p.next_flush_at(), None);
}

#[test]
fn each_target_has_an_hourly_cap() {
    let mut p = policy(local(&["Ollama", "OpenAI"]));
    let mut events = Vec::new();
    for i in 0..3 {
        events.push(tr("Ollama", Healthy, Unhealthy, Connect, 120 * i));
        events.push(tr("Ollama", Unhealthy, Healthy, Ok, 120 * i + 60));
    }
    // Ollama is over its cap: the grouped alert leaves it out.
    events.push(tr("Ollama", Healthy, Unhealthy, Connect, 400));
    events.push(tr("OpenAI", Healthy, Unhealthy, Connect, 401));
    // An hour after its first alert, Ollama may be told about again.
    events.push(tr("Ollama", Unhealthy, Healthy, Ok, 3000));
    events.push(tr("Ollama", Healthy, Unhealthy, Connect, 3700));
    let out = play(&mut p, &events, 4000, utc());
    let told: Vec<_> = out
        .iter()
        .map(|(s, a)| (*s, a.kind, a.targets.join(",")))
        .collect();
    let down = AlertKind::Down;
    let recovered = AlertKind::Recovered;
    assert_eq!(
        told,
        [
            (3, down, "ollama".into()),
            (63, recovered, "ollama".into()),
            (123, down, "ollama".into()),
            (183, recovered, "ollama".into()),
            (403, down, "openai".into()),
            (3703, down, "ollama".into()),
        ]
    );
}

#[test]
fn nothing_is_told_about_a_sleep() {
    // A change pending before the machine slept is stale at the wake.
    let mut p = policy(local(&["Ollama"]));
    p.observe(&tr("Ollama", Healthy, Unhealthy, Connect, 100).1, at(100));
    let slept = Event::Slept {
        from: at(101),
        to: at(400),
    };
    p.observe(&slept, at(405));
    assert_eq!(p.flush(at(405), utc()), []);
    assert_eq!(p.next_flush_at(), None);

    // Down and back within the sleep and its grace: nothing. After the grace: as usual.
    let mut p = policy(local(&["Ollama", "OpenAI"]));
    let events = [
        (405, slept),
        tr("OpenAI", Healthy, Unhealthy, Connect, 410),
        tr("OpenAI", Unhealthy, Healthy, Ok, 425),
        tr("Ollama", Healthy, Unhealthy, Connect, 500),
    ];
    let out = play(&mut p, &events, 900, utc());
    assert_eq!(kinds(&out), [(503, AlertKind::Down)]);
    assert_eq!(out[0].1.targets, ["ollama"]);
}

#[test]
fn turned_off_means_nothing_ever() {
    let prefs = NotifyPrefs {
        enabled: false,
        ..NotifyPrefs::default()
    };
    let mut p = Policy::new(prefs, cloud_four_and_ollama());
    let mut events = all_cloud_down();
    events.push(tr("Ollama", Healthy, Unhealthy, Connect, 20));
    assert_eq!(play(&mut p, &events, 900, utc()), []);
    assert_eq!(p.next_flush_at(), None);
    assert_eq!(p.flush(at(1000), utc()), []);
}

#[test]
fn absurd_windows_do_not_overflow() {
    let prefs = NotifyPrefs {
        group_window_ms: u64::MAX,
        offline_window_ms: u64::MAX,
        ..NotifyPrefs::default()
    };
    let mut p = Policy::new(prefs, cloud_four_and_ollama());
    let out = play(&mut p, &all_cloud_down(), 2 * 86_400, utc());
    // Held a day at most (the start-up group, 10 minutes earlier, sets the time).
    assert_eq!(kinds(&out), [(86_400 - 600, AlertKind::Offline)]);
}

#[test]
fn removed_targets_are_forgotten() {
    let mut p = policy(local(&["Ollama", "OpenAI"]));
    p.observe(&tr("Ollama", Healthy, Unhealthy, Connect, 0).1, at(0));
    p.observe(&tr("OpenAI", Healthy, Unhealthy, Connect, 0).1, at(0));
    p.set_targets(local(&["OpenAI"]));
    let out = p.flush(at(3), utc());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].targets, ["openai"]);
}
