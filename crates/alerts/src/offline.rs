//! "You appear to be offline": when every cloud target fails to connect at once, the cause is
//! most likely this machine's network, and one alert says so instead of one per provider. Cloud
//! targets that cannot be reached are held back a little for that reason, in case the others
//! follow.

use crate::alert::{millis, Alert, AlertKind, Change, OfflineStretch, Urgency};
use crate::prefs::NotifyPrefs;
use crate::record::{Announced, Records, TargetRecord};
use crate::targets::Roster;
use chrono::{DateTime, Duration, Utc};
use monitor::Status;

/// The offline alert went out and "back online" has not yet.
#[derive(Debug, Clone, Copy)]
struct Outage {
    /// When the first cloud target became unreachable.
    since: DateTime<Utc>,
    /// When a cloud target was first seen reachable again; "back online" waits a little after it
    /// so that the others can come back too.
    reachable_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
pub(crate) struct OfflineWatch {
    outage: Option<Outage>,
}

impl OfflineWatch {
    /// Whether an offline alert is standing: cloud changes are then not told one by one.
    pub(crate) fn is_offline(&self) -> bool {
        self.outage.is_some()
    }

    /// When "back online" may be told, if a cloud target is reachable again.
    pub(crate) fn back_online_due(&self, window: Duration) -> Option<DateTime<Utc>> {
        self.outage
            .and_then(|o| o.reachable_since)
            .map(|reachable| reachable + window)
    }

    pub(crate) fn forget(&mut self) {
        self.outage = None;
    }

    /// Offline or back online, if either is due; `due` are the targets whose changes this flush
    /// reports. Marks handled the cloud targets the alert speaks for. The hourly cap is the
    /// caller's: the outage is followed whether or not its alert is let out.
    pub(crate) fn alert(
        &mut self,
        roster: &Roster,
        records: &mut Records,
        due: &[String],
        now: DateTime<Utc>,
        after_silence: bool,
        prefs: &NotifyPrefs,
    ) -> Option<Alert> {
        let cloud = roster.cloud_ids();
        let all_unreachable = all_cloud_unreachable(roster, records);
        let Some(mut outage) = self.outage else {
            if !all_unreachable || !due.iter().any(|id| cloud.contains(id)) {
                return None;
            }
            return Some(self.went_offline(roster, records, now));
        };
        // While offline, cloud changes are not told one by one.
        for id in due.iter().filter(|id| cloud.contains(id)) {
            if let Some(record) = records.get_mut(id) {
                record.mark_handled();
            }
        }
        let cloud_records: Vec<&TargetRecord> =
            cloud.iter().filter_map(|id| records.get(id)).collect();
        if all_unreachable || !cloud_records.iter().any(|r| r.reached()) {
            outage.reachable_since = None;
            // Monitoring stopped or every cloud target was disabled: nothing came back online.
            let stopped = cloud_records.iter().all(|r| r.status == Status::Unknown);
            self.outage = (!stopped).then_some(outage);
            return None;
        }
        let back = *outage.reachable_since.get_or_insert(now);
        self.outage = Some(outage);
        // Waiting lets the other cloud targets come back too, so the alert lists only the ones
        // really still down; once every one is reached there is nothing left to wait for.
        let all_back = cloud_records.iter().all(|r| r.reached());
        if now < back + prefs.offline_window() && !after_silence && !all_back {
            return None;
        }
        self.outage = None;
        let mut still_down = Vec::new();
        for id in &cloud {
            if prefs.muted.contains(id) {
                continue;
            }
            if let Some(record) = records
                .get_mut(id)
                .filter(|r| r.status == Status::Unhealthy)
            {
                // Announced now, so that its recovery is told.
                record.announced = Some(Announced::Down {
                    since: record.since,
                });
                still_down.push(record.item(id, roster.name(id), Change::Down));
            }
        }
        Some(Alert {
            kind: AlertKind::BackOnline,
            urgency: if still_down.is_empty() {
                Urgency::Normal
            } else {
                Urgency::Critical
            },
            at: now,
            items: still_down,
            targets: cloud,
            offline: Some(OfflineStretch {
                since: outage.since,
                until: Some(back),
                lasted_ms: Some(millis(back - outage.since)),
            }),
            provider_incident: None,
        })
    }

    fn went_offline(
        &mut self,
        roster: &Roster,
        records: &mut Records,
        now: DateTime<Utc>,
    ) -> Alert {
        let watched = watched_cloud_ids(roster, records);
        let since = watched
            .iter()
            .filter_map(|id| records.get(id).map(|r| r.since))
            .min()
            .unwrap_or(now);
        self.outage = Some(Outage {
            since,
            reachable_since: None,
        });
        let mut items = Vec::new();
        for id in &watched {
            if let Some(record) = records.get_mut(id) {
                items.push(record.item(id, roster.name(id), Change::Unreachable));
                record.mark_handled();
                // Told as part of "offline"; no per-target "recovered" follows it.
                record.announced = None;
            }
        }
        Alert {
            kind: AlertKind::Offline,
            urgency: Urgency::Normal,
            at: now,
            items,
            targets: watched,
            offline: Some(OfflineStretch {
                since,
                until: None,
                lasted_ms: None,
            }),
            provider_incident: None,
        }
    }
}

/// The cloud targets the engine reports a known status for. Disabled targets (never reported, or
/// stopped at unknown) and ones not checked yet say nothing about the network.
fn watched_cloud_ids(roster: &Roster, records: &Records) -> Vec<String> {
    let mut ids = roster.cloud_ids();
    ids.retain(|id| records.get(id).is_some_and(|r| r.status != Status::Unknown));
    ids
}

/// Every watched cloud target (at least two: one alone proves nothing) fails to connect.
pub(crate) fn all_cloud_unreachable(roster: &Roster, records: &Records) -> bool {
    let cloud = watched_cloud_ids(roster, records);
    cloud.len() >= 2
        && cloud
            .iter()
            .all(|id| records.get(id).is_some_and(TargetRecord::network_down))
}
