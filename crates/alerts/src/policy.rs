//! The policy as a whole: the engine's events go in through [`Policy::observe`], alerts come out
//! of [`Policy::flush`] at the times [`Policy::next_flush_at`] names.

use crate::alert::{Alert, AlertItem, AlertKind, Change, ProviderIncidentAlert, Urgency};
use crate::caps::HourlyCap;
use crate::changes;
use crate::grouping::Grouping;
use crate::maintenance::Windows;
use crate::offline::{all_cloud_unreachable, OfflineWatch};
use crate::prefs::NotifyPrefs;
use crate::provider::{ProviderIncidents, Seen};
use crate::record::{Records, TargetRecord};
use crate::silence::Silence;
use crate::sleep::Sleeps;
use crate::targets::{Roster, TargetMeta};
use chrono::{DateTime, FixedOffset, Utc};
use monitor::config::{Maintenance, MaintenanceBand};
use monitor::{Event, Status, Transition};

/// The notification policy. Pure: it never reads a clock and never sends anything, so the app,
/// the CLI and tests drive it alike, the tests on a fixed clock.
#[derive(Debug)]
pub struct Policy {
    prefs: NotifyPrefs,
    roster: Roster,
    records: Records,
    grouping: Grouping,
    silence: Silence,
    offline: OfflineWatch,
    sleeps: Sleeps,
    cap: HourlyCap,
    windows: Windows,
    incidents: ProviderIncidents,
    /// The latest time the caller gave; "flush now" when the policy has no better answer.
    latest_now: Option<DateTime<Utc>>,
}

impl Policy {
    /// `targets` may include disabled ones: only targets the engine reports on take part in
    /// offline detection.
    pub fn new(prefs: NotifyPrefs, targets: Vec<TargetMeta>) -> Policy {
        Policy {
            prefs,
            roster: Roster::new(targets),
            records: Records::new(),
            grouping: Grouping::default(),
            silence: Silence::default(),
            offline: OfflineWatch::default(),
            sleeps: Sleeps::default(),
            cap: HourlyCap::default(),
            windows: Windows::default(),
            incidents: ProviderIncidents::default(),
            latest_now: None,
        }
    }

    pub fn set_prefs(&mut self, prefs: NotifyPrefs) {
        self.prefs = prefs;
    }

    /// Replaces the configured targets; what is known of removed ones is forgotten.
    pub fn set_targets(&mut self, targets: Vec<TargetMeta>) {
        self.roster = Roster::new(targets);
        let roster = &self.roster;
        self.records.retain(|id, _| roster.contains(id));
        self.windows.retain(|id| roster.contains(id));
        self.incidents.retain(|id| roster.contains(id));
    }

    /// The configured maintenance windows (`[[maintenance]]`).
    pub fn set_maintenance(&mut self, windows: Vec<Maintenance>) {
        self.windows.set_windows(windows);
    }

    /// Silences one target until `until` ("snooze for 1 h"); `None` or a time passed ends the
    /// snooze. What happened meanwhile is summed up when it ends.
    pub fn snooze(&mut self, target: &str, until: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        self.note_time(now);
        self.windows.snooze(target, until, now);
    }

    /// The snoozes running at `now`, as target id and end.
    pub fn snoozes(&self, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
        self.windows.snoozes(now)
    }

    /// Maintenance windows and snoozes overlapping `[from, to)`, for the timeline.
    pub fn maintenance_bands(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<MaintenanceBand> {
        self.windows.bands(from, to)
    }

    /// Pauses alerts until `until`; `None` resumes them. Either way, the end of a pause that
    /// silenced something is summed up at the next flush.
    pub fn pause_until(&mut self, until: Option<DateTime<Utc>>) {
        self.silence.pause_until(until, self.latest_now);
    }

    pub fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.silence.paused_until(now)
    }

    /// Takes note of an event. Never emits: changes wait for [`Policy::flush`], so that the ones
    /// close together are told together.
    pub fn observe(&mut self, event: &Event, now: DateTime<Utc>) {
        self.note_time(now);
        match event {
            Event::Transition(t) => self.observe_transition(t, now),
            Event::Slept { from, to } => self.observe_sleep(*from, *to),
            Event::Checked(check) => {
                let tell = self.prefs.enabled && self.prefs.on_provider_incident;
                self.incidents.observe(check, now, tell);
            }
            Event::Incident(_) => {}
        }
    }

    /// When the caller should call [`Policy::flush`] next; `None` when nothing is waiting. A time
    /// in the past means now.
    pub fn next_flush_at(&self) -> Option<DateTime<Utc>> {
        if let Some(summary) = self.silence.summary_due() {
            return Some(summary);
        }
        let back_online = self.offline.back_online_due(self.prefs.offline_window());
        self.records
            .values()
            .filter_map(|r| r.report_due)
            .chain(back_online)
            .chain(self.windows.next_end())
            .chain(self.incidents.next_due())
            .min()
    }

    /// The alerts due at `now`: at most one about the network and one about targets, since a
    /// burst of notifications is what the grouping exists to avoid. `tz` is the local offset,
    /// for quiet hours.
    pub fn flush(&mut self, now: DateTime<Utc>, tz: FixedOffset) -> Vec<Alert> {
        self.note_time(now);
        if !self.prefs.enabled {
            self.records
                .values_mut()
                .for_each(TargetRecord::mark_handled);
            self.grouping.clear();
            self.silence.forget_held();
            self.offline.forget();
            self.incidents.pass_over();
            return Vec::new();
        }
        self.cap.roll(now);
        if let Some(end) = self.silence.end(now, tz, self.prefs.quiet_hours) {
            // Changes stay pending; the flush after the silence sums them up.
            self.silence.hold_until(end);
            return Vec::new();
        }
        let after_silence = self.silence.take_ended();
        self.grouping.close_if_due(now, after_silence);
        let mut due = self.due_targets(now, after_silence);
        // A change told late (grouping, the offline hold) may now fall in a window.
        due.retain(|id| !self.hold_if_covered(id, now));
        let summary = self.maintenance_summary(now);

        let mut alerts = Vec::new();
        let network = self.offline.alert(
            &self.roster,
            &mut self.records,
            &due,
            now,
            after_silence,
            &self.prefs,
        );
        if let Some(alert) = network {
            if self
                .cap
                .admit_network(now, self.prefs.max_per_target_per_hour)
            {
                alerts.push(alert);
            } else {
                tracing::debug!(kind = ?alert.kind, "network alert dropped: hourly cap reached");
            }
        }
        if after_silence {
            // Still down and never told, whether or not it changed lately.
            let mut untold: Vec<String> = self
                .records
                .iter()
                .filter(|(id, r)| {
                    r.status == Status::Unhealthy
                        && r.announced.is_none()
                        && !due.contains(id)
                        && !self.windows.is_held(id)
                        && self.windows.cover_ends(id, now).is_none()
                })
                .map(|(id, _)| id.clone())
                .collect();
            untold.sort_by_key(|id| self.roster.order(id));
            due.extend(untold);
        }
        let mut items = changes::take_items(
            &due,
            &mut self.records,
            &self.roster,
            &self.prefs,
            self.offline.is_offline(),
            after_silence,
        );
        items.retain(|i| self.admits(&i.target));
        changes::remember(&items, &mut self.records, &self.prefs);
        for item in &items {
            self.cap.count(&item.target, now);
        }
        alerts.extend(changes::alert_of(items, after_silence, now));
        alerts.extend(summary);
        alerts.extend(self.provider_incidents(now, after_silence));
        alerts
    }

    /// One alert per provider incident due, about the targets listing it that may be told of.
    /// After a silence, like a degraded, what came up meanwhile is passed over.
    fn provider_incidents(&mut self, now: DateTime<Utc>, after_silence: bool) -> Vec<Alert> {
        if after_silence || !self.prefs.on_provider_incident {
            self.incidents.pass_over();
        }
        let mut alerts = Vec::new();
        for (incident, listing) in self.incidents.take_due(now) {
            let mut items: Vec<AlertItem> = listing
                .iter()
                .filter(|(id, _)| self.windows.cover_ends(id, now).is_none() && self.admits(id))
                .map(|(id, seen)| self.incident_item(id, *seen))
                .collect();
            items.sort_by_key(|i| self.roster.order(&i.target));
            if items.is_empty() {
                continue;
            }
            for item in &items {
                self.cap.count(&item.target, now);
            }
            alerts.push(incident_alert(incident, items, now));
        }
        alerts
    }

    /// A target's item in a provider incident alert: its status as our probes have it.
    fn incident_item(&self, id: &str, seen: Seen) -> AlertItem {
        let since = self
            .records
            .get(id)
            .filter(|r| r.status == seen.status)
            .map_or(seen.at, |r| r.since);
        AlertItem {
            target: id.to_string(),
            name: self.roster.name(id),
            change: Change::ProviderIncident,
            from: seen.status,
            to: seen.status,
            class: seen.class,
            since,
            down_for_ms: None,
            degraded_for_ms: None,
        }
    }

    /// Holds back the pending change of `id` if a window or snooze covers it at `now`.
    fn hold_if_covered(&mut self, id: &str, now: DateTime<Utc>) -> bool {
        let Some(until) = self.windows.cover_ends(id, now) else {
            return false;
        };
        if let Some(record) = self.records.get_mut(id) {
            record.report_due = None;
            self.windows
                .hold(id, until, record.status == Status::Unhealthy);
        }
        true
    }

    /// One alert for the targets whose window or snooze ended by `now`, saying what happened
    /// meanwhile: still down (told as a down, so its recovery follows), back after a told down,
    /// or down for a while and working again.
    fn maintenance_summary(&mut self, now: DateTime<Utc>) -> Option<Alert> {
        let mut ended = self.windows.take_ended(now);
        if ended.is_empty() {
            return None;
        }
        ended.sort_by_key(|(id, _)| self.roster.order(id));
        let ids: Vec<String> = ended.iter().map(|(id, _)| id.clone()).collect();
        let mut items = changes::take_items(
            &ids,
            &mut self.records,
            &self.roster,
            &self.prefs,
            false,
            true,
        );
        for (id, held) in &ended {
            if held.was_down && !items.iter().any(|i| &i.target == id) {
                if let Some(record) = self.records.get(id) {
                    items.push(record.item(id, self.roster.name(id), Change::WasDown));
                }
            }
        }
        items.sort_by_key(|i| self.roster.order(&i.target));
        items.retain(|i| self.admits(&i.target));
        changes::remember(&items, &mut self.records, &self.prefs);
        for item in &items {
            self.cap.count(&item.target, now);
        }
        let mut alert = changes::alert_of(items, false, now)?;
        alert.kind = AlertKind::MaintenanceSummary;
        Some(alert)
    }

    fn note_time(&mut self, now: DateTime<Utc>) {
        self.latest_now = Some(self.latest_now.map_or(now, |l| l.max(now)));
    }

    /// The targets whose pending changes this flush reports, in the configured order. After a
    /// silence, every pending change is.
    fn due_targets(&self, now: DateTime<Utc>, after_silence: bool) -> Vec<String> {
        let mut due: Vec<String> = self
            .records
            .iter()
            .filter(|(_, r)| r.report_due.is_some_and(|d| after_silence || d <= now))
            .map(|(id, _)| id.clone())
            .collect();
        let held_for_network =
            |id: &String, r: &TargetRecord| self.roster.is_cloud(id) && r.network_down();
        let releasing_held = due.iter().any(|id| {
            self.records
                .get(id)
                .is_some_and(|r| held_for_network(id, r))
        });
        if releasing_held && !all_cloud_unreachable(&self.roster, &self.records) {
            // Cloud targets held back for the same reason are released together, as one alert.
            for (id, record) in &self.records {
                if record.report_due.is_some() && held_for_network(id, record) && !due.contains(id)
                {
                    due.push(id.clone());
                }
            }
        }
        due.sort_by_key(|id| self.roster.order(id));
        due
    }

    /// Mute and the hourly cap.
    fn admits(&self, id: &str) -> bool {
        if self.prefs.muted.contains(id) {
            return false;
        }
        let under = self.cap.allows(id, self.prefs.max_per_target_per_hour);
        if !under {
            tracing::debug!(target_id = %id, "alert item dropped: hourly cap reached");
        }
        under
    }

    fn observe_transition(&mut self, t: &Transition, now: DateTime<Utc>) {
        let asleep = self.sleeps.contains(t.at);
        let cloud = self.roster.is_cloud(&t.target);
        let record = self
            .records
            .entry(t.target.clone())
            .or_insert_with(|| TargetRecord::first_seen(t));
        record.apply(t);
        if asleep || !self.prefs.enabled {
            record.mark_handled();
            return;
        }
        if let Some(until) = self.windows.cover_ends(&t.target, t.at) {
            record.report_due = None;
            self.windows
                .hold(&t.target, until, t.to == Status::Unhealthy);
            return;
        }
        let held_for_network = cloud && record.network_down() && !self.offline.is_offline();
        let due = if held_for_network {
            now + self.prefs.offline_window()
        } else {
            self.grouping
                .join(now, self.prefs.group_window(), &self.records)
        };
        if let Some(record) = self.records.get_mut(&t.target) {
            record.report_due = Some(due);
        }
        if !self.offline.is_offline() && all_cloud_unreachable(&self.roster, &self.records) {
            // The offline alert need not wait for the hold: every cloud target is down already.
            let group = self
                .grouping
                .join(now, self.prefs.group_window(), &self.records);
            for id in self.roster.cloud_ids() {
                if let Some(due) = self
                    .records
                    .get_mut(&id)
                    .and_then(|r| r.report_due.as_mut())
                {
                    *due = (*due).min(group);
                }
            }
        }
    }

    fn observe_sleep(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) {
        let until = self.sleeps.add(from, to);
        // Pending changes from before the wake describe a machine that was about to sleep or a
        // network that was still coming up: stale either way.
        for record in self.records.values_mut() {
            if record.report_due.is_some() && record.since <= until {
                record.mark_handled();
            }
        }
    }
}

fn incident_alert(
    incident: ProviderIncidentAlert,
    items: Vec<AlertItem>,
    now: DateTime<Utc>,
) -> Alert {
    Alert {
        kind: AlertKind::ProviderIncident,
        urgency: Urgency::Low,
        at: now,
        targets: items.iter().map(|i| i.target.clone()).collect(),
        items,
        offline: None,
        provider_incident: Some(incident),
    }
}
