//! What a target's pending change means for the person: a down, a recovery, nothing at all. Told
//! against what they were told before ([`Announced`]), not against the engine's last transition.

use crate::alert::{millis, Alert, AlertItem, AlertKind, Change};
use crate::prefs::NotifyPrefs;
use crate::record::{Announced, Records, TargetRecord};
use crate::targets::Roster;
use chrono::{DateTime, Utc};
use monitor::{Class, Status};

/// Decides what each due target's change means, in the order of `due`, and marks every one of
/// them handled. `offline`: an offline alert speaks for the cloud targets, so they get no item
/// of their own. `after_silence`: the summary after a pause or quiet hours.
pub(crate) fn take_items(
    due: &[String],
    records: &mut Records,
    roster: &Roster,
    prefs: &NotifyPrefs,
    offline: bool,
    after_silence: bool,
) -> Vec<AlertItem> {
    let mut items = Vec::new();
    for id in due {
        let told_by_offline = offline && roster.is_cloud(id);
        let Some(record) = records.get_mut(id) else {
            continue;
        };
        let item = if told_by_offline || record.report_due.is_none() && !after_silence {
            None
        } else {
            item_for(id, roster.name(id), record, prefs, after_silence)
        };
        record.mark_handled();
        items.extend(item);
    }
    items
}

/// The change from `baseline` to `status` worth telling, given what was announced before.
fn item_for(
    id: &str,
    name: String,
    record: &TargetRecord,
    prefs: &NotifyPrefs,
    after_silence: bool,
) -> Option<AlertItem> {
    let (from, to) = (record.baseline, record.status);
    let item = |change| record.item(id, name, change);
    match (to, record.announced) {
        // From anything but down, unknown included: a target down from the start should alert.
        // After a silence, every down never told is told.
        (Status::Unhealthy, announced) if !matches!(announced, Some(Announced::Down { .. })) => {
            (prefs.on_down && (from != Status::Unhealthy || after_silence))
                .then(|| item(Change::Down))
        }
        (Status::Healthy | Status::Degraded, Some(Announced::Down { since })) => {
            prefs.on_recovered.then(|| AlertItem {
                down_for_ms: Some(millis(record.since - since)),
                ..item(Change::Recovered)
            })
        }
        (Status::Degraded, None) => {
            (degraded_told(prefs, record.class) && from == Status::Healthy && !after_silence)
                .then(|| item(Change::Degraded))
        }
        (Status::Healthy, Some(Announced::Degraded { since })) => {
            (!after_silence).then(|| AlertItem {
                degraded_for_ms: Some(millis(record.since - since)),
                ..item(Change::BackToNormal)
            })
        }
        _ => None,
    }
}

/// Whether a target becoming degraded for `class` is told. Credits running low are told even to
/// who did not ask for degraded: the account is about to run dry, and topping it up is the
/// person's to do. Once per stretch: `remember` does not announce it, so its end says nothing
/// and only a new stretch from healthy is told again.
fn degraded_told(prefs: &NotifyPrefs, class: Class) -> bool {
    prefs.on_degraded || class == Class::CreditsLow
}

/// What the person now knows of each item's target, for the recoveries that may follow.
pub(crate) fn remember(items: &[AlertItem], records: &mut Records, prefs: &NotifyPrefs) {
    for item in items {
        let Some(record) = records.get_mut(&item.target) else {
            continue;
        };
        let since = item.since;
        record.announced = match item.change {
            Change::Down => Some(Announced::Down { since }),
            // Told only for its credits (`degraded_told`): its end was not asked for.
            Change::Degraded if !prefs.on_degraded => None,
            Change::Degraded => Some(Announced::Degraded { since }),
            // "Still degraded" was said; its end is worth saying only to who asked for it.
            Change::Recovered if item.to == Status::Degraded && prefs.on_degraded => {
                Some(Announced::Degraded { since })
            }
            Change::Recovered
            | Change::BackToNormal
            | Change::Unreachable
            | Change::WasDown
            | Change::ProviderIncident => None,
        };
    }
}

/// One alert for what a flush found; `None` when nothing is left to tell.
pub(crate) fn alert_of(
    items: Vec<AlertItem>,
    after_silence: bool,
    now: DateTime<Utc>,
) -> Option<Alert> {
    let urgency = items.iter().map(|i| i.change.urgency()).max()?;
    let kind = if after_silence && items.iter().any(|i| i.change == Change::Down) {
        AlertKind::StillDown
    } else {
        let first = items[0].change;
        if items.iter().all(|i| i.change == first) {
            kind_of(first)
        } else {
            AlertKind::Mixed
        }
    };
    Some(Alert {
        kind,
        urgency,
        at: now,
        targets: items.iter().map(|i| i.target.clone()).collect(),
        items,
        offline: None,
        provider_incident: None,
    })
}

fn kind_of(change: Change) -> AlertKind {
    match change {
        Change::Down => AlertKind::Down,
        Change::Recovered => AlertKind::Recovered,
        Change::Degraded => AlertKind::Degraded,
        Change::BackToNormal => AlertKind::BackToNormal,
        // Never a change item of its own; an offline alert is built where it is decided.
        Change::Unreachable => AlertKind::Offline,
        Change::WasDown => AlertKind::MaintenanceSummary,
        // Never a change item of its own either; the provider incident alert is built apart.
        Change::ProviderIncident => AlertKind::ProviderIncident,
    }
}
