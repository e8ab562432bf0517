//! Provider incidents: what the targets' status pages report, told once per incident per page
//! however many targets share the page, and not again while the page keeps listing it. Context,
//! never a status: the items' statuses are our probes'.

use crate::alert::ProviderIncidentAlert;
use chrono::{DateTime, Duration, Utc};
use monitor::{Check, Class, ProviderIncident, ProviderStatus, Status};
use std::collections::{BTreeMap, HashMap};

/// How long a new incident waits for the other targets sharing its page: the page is polled once
/// for all of them, and each sees that poll at its own next check, one interval (30 s by
/// default) later at most. A status page lags by minutes anyway.
const GATHER: Duration = Duration::seconds(30);

/// One incident of one page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    page: String,
    /// The page's id for it, else its name and start: pages without ids name each incident once.
    incident: String,
}

impl Key {
    fn of(page: &str, incident: &ProviderIncident) -> Key {
        let incident = match &incident.id {
            Some(id) => format!("id:{id}"),
            None => format!(
                "name:{}@{}",
                incident.name,
                incident
                    .started_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default()
            ),
        };
        Key {
            page: page.to_string(),
            incident,
        }
    }
}

/// A target's latest check that listed an incident.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen {
    pub(crate) status: Status,
    pub(crate) class: Class,
    pub(crate) at: DateTime<Utc>,
}

#[derive(Debug)]
struct Listed {
    /// As the latest check listed it, so the alert has the page's latest words.
    alert: ProviderIncidentAlert,
    /// The targets whose latest check lists it. Once none does, it is forgotten, and the page
    /// listing it again is a new incident.
    targets: BTreeMap<String, Seen>,
    /// When it is to be told; `None` once told or passed over.
    due: Option<DateTime<Utc>>,
}

/// The incidents some target's latest check lists.
#[derive(Debug, Default)]
pub(crate) struct ProviderIncidents {
    listed: HashMap<Key, Listed>,
}

/// Which page a status is of: its address, else who reports it.
fn page_of(status: &ProviderStatus) -> String {
    status
        .page
        .clone()
        .unwrap_or_else(|| status.reporter().to_string())
}

impl ProviderIncidents {
    /// Takes note of what `check` says of its target's page. `tell`: whether an incident new at
    /// `now` is to be told, or only known (so that it is not told later either). Every incident
    /// listed counts: the probe lists only those affecting the watched component (all of them
    /// when no component is watched).
    pub(crate) fn observe(&mut self, check: &Check, now: DateTime<Utc>, tell: bool) {
        // No status at all: the target follows no page; and a page not read ends nothing.
        let Some(status) = &check.outcome.details.provider_status else {
            return;
        };
        if status.is_unread() {
            return;
        }
        let page = page_of(status);
        let listing: Vec<(Key, &ProviderIncident)> = status
            .incidents
            .iter()
            .map(|i| (Key::of(&page, i), i))
            .collect();
        let target = &check.target;
        self.listed.retain(|key, listed| {
            if key.page == page && !listing.iter().any(|(k, _)| k == key) {
                listed.targets.remove(target);
            }
            !listed.targets.is_empty()
        });
        let seen = Seen {
            status: check.status,
            class: check.outcome.class,
            at: check.outcome.at,
        };
        for (key, incident) in listing {
            let alert = ProviderIncidentAlert {
                reporter: status.reporter().to_string(),
                page: status.page.clone(),
                incident: incident.clone(),
            };
            let listed = self.listed.entry(key).or_insert_with(|| Listed {
                alert: alert.clone(),
                targets: BTreeMap::new(),
                due: tell.then(|| now + GATHER),
            });
            listed.alert = alert;
            listed.targets.insert(target.clone(), seen);
        }
    }

    /// When the next incident is to be told.
    pub(crate) fn next_due(&self) -> Option<DateTime<Utc>> {
        self.listed.values().filter_map(|l| l.due).min()
    }

    /// Every incident waiting is passed over: it stays known, so it is not told later.
    pub(crate) fn pass_over(&mut self) {
        for listed in self.listed.values_mut() {
            listed.due = None;
        }
    }

    /// The incidents due at `now`, oldest first, each with the targets listing it; no longer
    /// waiting.
    pub(crate) fn take_due(
        &mut self,
        now: DateTime<Utc>,
    ) -> Vec<(ProviderIncidentAlert, Vec<(String, Seen)>)> {
        let mut due: Vec<&mut Listed> = self
            .listed
            .values_mut()
            .filter(|l| l.due.is_some_and(|d| d <= now))
            .collect();
        due.sort_by(|a, b| {
            (a.due, a.alert.incident.started_at, &a.alert.incident.name).cmp(&(
                b.due,
                b.alert.incident.started_at,
                &b.alert.incident.name,
            ))
        });
        due.into_iter()
            .map(|listed| {
                listed.due = None;
                let targets = listed
                    .targets
                    .iter()
                    .map(|(id, seen)| (id.clone(), *seen))
                    .collect();
                (listed.alert.clone(), targets)
            })
            .collect()
    }

    /// Forgets the targets no longer configured.
    pub(crate) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.listed.retain(|_, listed| {
            listed.targets.retain(|id, _| keep(id));
            !listed.targets.is_empty()
        });
    }
}
