//! What the policy decided to tell, as data. The desktop words it as a notification; a webhook
//! sends it as its JSON body. So the serde shape is a wire contract: fields and variants are only
//! ever added, never renamed or removed.

use chrono::{DateTime, Duration, Utc};
use monitor::{Class, ProviderIncident, Status};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// How hard an alert asks for attention; the freedesktop notification urgency levels, which
/// other notification systems map onto.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Degraded, or back to normal from degraded, or a provider's incident: worth a glance.
    Low,
    /// A recovery, or this machine's network going or coming back.
    Normal,
    /// Something is down.
    Critical,
}

/// One thing to tell the person, about one or more targets.
///
/// ```json
/// {
///   "kind": "down",
///   "urgency": "critical",
///   "at": "2024-03-05T14:02:03Z",
///   "items": [{
///     "target": "ollama", "name": "Ollama", "change": "down",
///     "from": "healthy", "to": "unhealthy", "class": "connect",
///     "since": "2024-03-05T14:02:00Z", "down_for_ms": null, "degraded_for_ms": null
///   }],
///   "targets": ["ollama"],
///   "offline": null
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Alert {
    pub kind: AlertKind,
    pub urgency: Urgency,
    /// When the policy let it out (the time given to `Policy::flush`).
    pub at: DateTime<Utc>,
    /// The targets it tells about, in the configured order. For `offline`, every cloud target
    /// that became unreachable; for `back_online`, the cloud targets still down (possibly none).
    pub items: Vec<AlertItem>,
    /// Ids of every target it is about, e.g. to open the dashboard at them. The same as the items'
    /// targets, except for `back_online`, which is about every configured cloud target.
    pub targets: Vec<String>,
    /// For `offline` and `back_online`: the stretch this machine appeared to be offline.
    pub offline: Option<OfflineStretch>,
    /// For `provider_incident`: the incident and who reports it. Absent otherwise, so that the
    /// body of every other alert stays as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub provider_incident: Option<ProviderIncidentAlert>,
}

/// An incident a provider's status page reports, as an alert carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ProviderIncidentAlert {
    /// Who reports it, as `ProviderStatus::reporter` says: "OpenAI".
    pub reporter: String,
    /// The status page's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub page: Option<String>,
    pub incident: ProviderIncident,
}

impl ProviderIncidentAlert {
    /// "OpenAI reports: Elevated error rates — investigating".
    pub fn words(&self) -> String {
        self.incident.reported_by(&self.reporter)
    }
}

/// What an alert is about as a whole, for whoever sorts or words alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Targets went down; several when they did so within one grouping window.
    Down,
    /// Targets that were announced down work again.
    Recovered,
    /// Targets work, but badly (slow, rate limited). Only when the person asked for these.
    Degraded,
    /// Targets announced degraded work well again.
    BackToNormal,
    /// Changes of more than one kind within one grouping window ("2 down, 1 recovered").
    Mixed,
    /// The first alert after a pause or quiet hours: every target down that the person was not
    /// told about, with any recoveries of targets they were told about, in one alert rather than
    /// a burst of what happened meanwhile.
    StillDown,
    /// Every cloud target became unreachable at once: the likely cause is this machine's network,
    /// so it is one alert instead of one per provider.
    Offline,
    /// A cloud target was reachable again after `offline`; the items are the ones still down.
    BackOnline,
    /// A maintenance window or a snooze ended: what happened to its targets meanwhile.
    MaintenanceSummary,
    /// A provider's status page reports an incident on the targets' watched component: the
    /// provider's word, beside our probes. Only when the person asked for these.
    ProviderIncident,
}

/// What an alert says about one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct AlertItem {
    /// The target's id.
    pub target: String,
    /// The target's display name.
    pub name: String,
    pub change: Change,
    /// The status the previous alert about it (or a change passed over in silence) left it in.
    pub from: Status,
    /// Its status now.
    pub to: Status,
    /// How its latest check went: the cause of a down or degraded, `ok` for a full recovery.
    pub class: Class,
    /// When `to` began.
    pub since: DateTime<Utc>,
    /// For `recovered`: how long the announced down lasted.
    #[ts(type = "number | null")]
    pub down_for_ms: Option<u64>,
    /// For `back_to_normal`: how long the announced degraded stretch lasted.
    #[ts(type = "number | null")]
    pub degraded_for_ms: Option<u64>,
}

/// The change an item tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Down, and now announced: its recovery will be told.
    Down,
    /// Works again after an announced down; `to` is `degraded` if it works only badly.
    Recovered,
    Degraded,
    /// Works well again after an announced degraded stretch.
    BackToNormal,
    /// In an `offline` alert: could not be reached, which the network explains. Not announced as
    /// down, so no recovery of its own follows.
    Unreachable,
    /// In a maintenance summary: was down during the window and works again.
    WasDown,
    /// In a `provider_incident` alert: its status page lists the incident. `from` and `to` are
    /// both its status now, which the incident does not change.
    ProviderIncident,
}

impl Change {
    pub(crate) fn urgency(self) -> Urgency {
        match self {
            Change::Down => Urgency::Critical,
            Change::Recovered | Change::Unreachable => Urgency::Normal,
            Change::Degraded
            | Change::BackToNormal
            | Change::WasDown
            | Change::ProviderIncident => Urgency::Low,
        }
    }
}

/// A stretch this machine appeared to be offline: every cloud target failed to connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct OfflineStretch {
    /// When the first cloud target became unreachable.
    pub since: DateTime<Utc>,
    /// When a cloud target was first reachable again; `null` while still offline.
    pub until: Option<DateTime<Utc>>,
    /// `until - since`, for whoever words it; `null` while still offline.
    #[ts(type = "number | null")]
    pub lasted_ms: Option<u64>,
}

/// A stretch as milliseconds on the wire; a negative one (a clock that went back) is 0.
pub(crate) fn millis(d: Duration) -> u64 {
    d.num_milliseconds().max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// The JSON body of a webhook: changing it breaks whoever reads it.
    #[test]
    fn alerts_keep_their_wire_shape() {
        let alert = Alert {
            kind: AlertKind::Recovered,
            urgency: Urgency::Normal,
            at: at("2024-03-05T14:06:03Z"),
            items: vec![AlertItem {
                target: "ollama".into(),
                name: "Ollama".into(),
                change: Change::Recovered,
                from: Status::Unhealthy,
                to: Status::Degraded,
                class: Class::RateLimited,
                since: at("2024-03-05T14:06:00Z"),
                down_for_ms: Some(240_000),
                degraded_for_ms: None,
            }],
            targets: vec!["ollama".into()],
            offline: None,
            provider_incident: None,
        };
        let json = serde_json::json!({
            "kind": "recovered",
            "urgency": "normal",
            "at": "2024-03-05T14:06:03Z",
            "items": [{
                "target": "ollama",
                "name": "Ollama",
                "change": "recovered",
                "from": "unhealthy",
                "to": "degraded",
                "class": "rate_limited",
                "since": "2024-03-05T14:06:00Z",
                "down_for_ms": 240000,
                "degraded_for_ms": null
            }],
            "targets": ["ollama"],
            "offline": null
        });
        assert_eq!(serde_json::to_value(&alert).unwrap(), json);
        assert_eq!(serde_json::from_value::<Alert>(json).unwrap(), alert);

        let offline = OfflineStretch {
            since: at("2024-03-05T14:00:00Z"),
            until: Some(at("2024-03-05T14:05:00Z")),
            lasted_ms: Some(300_000),
        };
        assert_eq!(
            serde_json::to_value(offline).unwrap(),
            serde_json::json!({
                "since": "2024-03-05T14:00:00Z",
                "until": "2024-03-05T14:05:00Z",
                "lasted_ms": 300000
            })
        );
        let kinds = [
            AlertKind::Down,
            AlertKind::Recovered,
            AlertKind::Degraded,
            AlertKind::BackToNormal,
            AlertKind::Mixed,
            AlertKind::StillDown,
            AlertKind::Offline,
            AlertKind::BackOnline,
            AlertKind::MaintenanceSummary,
            AlertKind::ProviderIncident,
        ];
        assert_eq!(
            serde_json::to_value(kinds).unwrap(),
            serde_json::json!([
                "down",
                "recovered",
                "degraded",
                "back_to_normal",
                "mixed",
                "still_down",
                "offline",
                "back_online",
                "maintenance_summary",
                "provider_incident"
            ])
        );
        let changes = [
            Change::Down,
            Change::Recovered,
            Change::Degraded,
            Change::BackToNormal,
            Change::Unreachable,
            Change::WasDown,
            Change::ProviderIncident,
        ];
        assert_eq!(
            serde_json::to_value(changes).unwrap(),
            serde_json::json!([
                "down",
                "recovered",
                "degraded",
                "back_to_normal",
                "unreachable",
                "was_down",
                "provider_incident"
            ])
        );
        let incident = Alert {
            kind: AlertKind::ProviderIncident,
            urgency: Urgency::Low,
            at: at("2024-03-05T14:06:03Z"),
            items: Vec::new(),
            targets: vec!["openai".into()],
            offline: None,
            provider_incident: Some(ProviderIncidentAlert {
                reporter: "OpenAI".into(),
                page: Some("https://status.openai.com".into()),
                incident: ProviderIncident {
                    id: Some("inc1".into()),
                    name: "Elevated error rates".into(),
                    impact: Some("minor".into()),
                    status: Some("investigating".into()),
                    started_at: Some(at("2024-03-05T14:00:00Z")),
                    url: None,
                },
            }),
        };
        let json = serde_json::json!({
            "kind": "provider_incident",
            "urgency": "low",
            "at": "2024-03-05T14:06:03Z",
            "items": [],
            "targets": ["openai"],
            "offline": null,
            "provider_incident": {
                "reporter": "OpenAI",
                "page": "https://status.openai.com",
                "incident": {
                    "id": "inc1",
                    "name": "Elevated error rates",
                    "impact": "minor",
                    "status": "investigating",
                    "started_at": "2024-03-05T14:00:00Z"
                }
            }
        });
        assert_eq!(serde_json::to_value(&incident).unwrap(), json);
        assert_eq!(serde_json::from_value::<Alert>(json).unwrap(), incident);
        assert_eq!(
            incident.provider_incident.unwrap().words(),
            "OpenAI reports: Elevated error rates — investigating"
        );
        assert_eq!(
            serde_json::to_value([Urgency::Low, Urgency::Normal, Urgency::Critical]).unwrap(),
            serde_json::json!(["low", "normal", "critical"])
        );
    }

    /// The OpenAPI document gets every shape an alert is made of, the engine's included.
    #[test]
    fn the_schema_names_every_part() {
        let mut parts = Vec::new();
        Alert::schemas(&mut parts);
        let mut names: Vec<String> = parts.into_iter().map(|(name, _)| name).collect();
        names.sort();
        names.dedup();
        assert_eq!(
            names,
            [
                "AlertItem",
                "AlertKind",
                "Change",
                "Class",
                "OfflineStretch",
                "ProviderIncident",
                "ProviderIncidentAlert",
                "Status",
                "Urgency"
            ]
        );
        let item = serde_json::to_value(AlertItem::schema()).unwrap();
        assert_eq!(
            item["properties"]["to"]["$ref"],
            "#/components/schemas/Status"
        );
        let required = item["required"].as_array().unwrap();
        assert!(required.contains(&serde_json::json!("target")));
    }
}
