//! Maintenance windows and snoozes, driven like the app drives the policy, on a fixed clock.

use crate::script::*;
use crate::*;
use monitor::config::MaintenanceBand;
use monitor::{Class, Status};
use Class::*;
use Status::*;

/// An alert as (second, kind, items as (target id, change)).
type Told = (i64, AlertKind, Vec<(String, Change)>);

fn summary(alerts: &[(i64, Alert)]) -> Vec<Told> {
    alerts
        .iter()
        .map(|(s, a)| {
            let items = a
                .items
                .iter()
                .map(|i| (i.target.clone(), i.change))
                .collect();
            (*s, a.kind, items)
        })
        .collect()
}

#[test]
fn nothing_is_said_during_a_window_and_one_summary_after() {
    let mut p = policy(local(&["Ollama", "LM Studio"]));
    p.set_maintenance(vec![window(&["Ollama"], 0, 600)]);
    let out = play(
        &mut p,
        &[
            tr("Ollama", Unknown, Healthy, Ok, -60),
            tr("Ollama", Healthy, Unhealthy, Connect, 60),
            tr("Ollama", Unhealthy, Healthy, Ok, 120),
            tr("Ollama", Healthy, Unhealthy, Connect, 300),
            // The other target is not covered: told as ever.
            tr("LM Studio", Healthy, Unhealthy, Connect, 400),
            // Still down when the window ends, so the summary tells the down, and the recovery
            // after it is told like any other.
            tr("Ollama", Unhealthy, Healthy, Ok, 900),
        ],
        1200,
        utc(),
    );
    assert_eq!(
        summary(&out),
        [
            (403, AlertKind::Down, vec![(id("LM Studio"), Change::Down)]),
            (
                600,
                AlertKind::MaintenanceSummary,
                vec![(id("Ollama"), Change::Down)]
            ),
            (
                903,
                AlertKind::Recovered,
                vec![(id("Ollama"), Change::Recovered)]
            ),
        ]
    );
    assert_eq!(p.next_flush_at(), None);
}

#[test]
fn a_target_that_came_back_during_the_window_is_summed_up_as_such() {
    let mut p = policy(local(&["Ollama"]));
    p.set_maintenance(vec![window(&[], 0, 600)]);
    let out = play(
        &mut p,
        &[
            tr("Ollama", Unknown, Healthy, Ok, -60),
            tr("Ollama", Healthy, Unhealthy, Connect, 60),
            tr("Ollama", Unhealthy, Healthy, Ok, 500),
        ],
        1200,
        utc(),
    );
    assert_eq!(
        summary(&out),
        [(
            600,
            AlertKind::MaintenanceSummary,
            vec![(id("Ollama"), Change::WasDown)]
        )]
    );
}

#[test]
fn a_quiet_window_needs_no_summary() {
    let mut p = policy(local(&["Ollama"]));
    p.set_maintenance(vec![window(&[], 0, 600)]);
    let out = play(
        &mut p,
        &[tr("Ollama", Unknown, Healthy, Ok, 10)],
        1200,
        utc(),
    );
    assert_eq!(summary(&out), []);
}

#[test]
fn a_change_due_after_the_window_began_is_held_too() {
    // The down at 599.5 s would be told at 602 (the grouping window); the next window starts at
    // 600, so it waits for that window's summary.
    let mut p = policy(local(&["Ollama"]));
    p.set_maintenance(vec![window(&[], 600, 1200)]);
    let out = play(
        &mut p,
        &[
            tr("Ollama", Unknown, Healthy, Ok, -60),
            tr("Ollama", Healthy, Unhealthy, Connect, 599),
        ],
        1800,
        utc(),
    );
    assert_eq!(
        summary(&out),
        [(
            1200,
            AlertKind::MaintenanceSummary,
            vec![(id("Ollama"), Change::Down)]
        )]
    );
}

#[test]
fn a_snooze_silences_one_target_until_it_ends() {
    let mut p = policy(local(&["Ollama", "LM Studio"]));
    p.snooze("ollama", Some(at(3600)), at(0));
    assert_eq!(p.snoozes(at(1)), [("ollama".to_string(), at(3600))]);
    let out = play(
        &mut p,
        &[
            tr("Ollama", Unknown, Healthy, Ok, -60),
            tr("Ollama", Healthy, Unhealthy, Connect, 60),
        ],
        4000,
        utc(),
    );
    assert_eq!(
        summary(&out),
        [(
            3600,
            AlertKind::MaintenanceSummary,
            vec![(id("Ollama"), Change::Down)]
        )]
    );
    assert_eq!(p.snoozes(at(3601)), []);
}

#[test]
fn ending_a_snooze_early_sums_it_up_at_once() {
    let mut p = policy(local(&["Ollama"]));
    p.snooze("ollama", Some(at(3600)), at(0));
    let mut out = play(
        &mut p,
        &[
            tr("Ollama", Unknown, Healthy, Ok, -60),
            tr("Ollama", Healthy, Unhealthy, Connect, 60),
        ],
        100,
        utc(),
    );
    assert_eq!(out, []);
    p.snooze("ollama", None, at(100));
    assert_eq!(p.next_flush_at(), Some(at(100)));
    out.extend(p.flush(at(100), utc()).into_iter().map(|a| (100, a)));
    assert_eq!(
        summary(&out),
        [(
            100,
            AlertKind::MaintenanceSummary,
            vec![(id("Ollama"), Change::Down)]
        )]
    );
}

#[test]
fn bands_show_windows_and_snoozes() {
    let mut p = policy(local(&["Ollama"]));
    p.set_maintenance(vec![window(&["Ollama"], 100, 200), window(&[], 5000, 6000)]);
    p.snooze("ollama", Some(at(400)), at(300));
    let bands = p.maintenance_bands(at(0), at(1000));
    assert_eq!(
        bands,
        [
            MaintenanceBand {
                targets: Some(vec!["ollama".into()]),
                name: Some("upgrade".into()),
                start: at(100),
                end: at(200),
                snooze: false,
            },
            MaintenanceBand {
                targets: Some(vec!["ollama".into()]),
                name: None,
                start: at(300),
                end: at(400),
                snooze: true,
            },
        ]
    );
}
