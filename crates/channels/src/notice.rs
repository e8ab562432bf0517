//! What a channel sends: one [`Notice`] per event, worded as the desktop words it
//! (`desktop_core::notice`). Its JSON is the webhook's body and the command channel's stdin, a
//! contract receivers are written against: fields are only ever added, never renamed or removed.

use alerts::{Alert, AlertItem, AlertKind, Change, ProviderIncidentAlert};
use chrono::{DateTime, FixedOffset, Utc};
use monitor::config::NoticeEvent;
use monitor::{Class, Kind, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use ts_rs::TS;
use utoipa::ToSchema;

/// One notice, as a webhook receives it.
///
/// ```json
/// {"event": "down", "title": "Ollama is down", "body": "Not running or unreachable (since 18:14)",
///  "at": "2026-12-01T18:14:30Z",
///  "targets": [{"id": "local-ollama", "name": "Ollama", "kind": "ollama", "status": "unhealthy",
///               "previous": "healthy", "class": "connect", "cause": "not running or unreachable",
///               "since": "2026-12-01T18:14:27Z"}]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Notice {
    pub event: NoticeEvent,
    /// One line, what a phone shows first ("Ollama is down", "2 down").
    pub title: String,
    /// The cause in plain words, one line per target when there are several.
    pub body: String,
    /// When the policy let it out.
    pub at: DateTime<Utc>,
    /// Every target it covers. For `online`, the cloud targets still down (possibly none); for
    /// `test`, none.
    pub targets: Vec<NoticeTarget>,
    /// For `provider_incident`: the incident as the status page reports it, and who reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub provider_incident: Option<ProviderIncidentAlert>,
}

/// What a notice says about one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct NoticeTarget {
    /// The target's id in the configuration.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Which API it speaks; `null` only for a target no longer configured.
    pub kind: Option<Kind>,
    /// Its status now.
    pub status: Status,
    /// Its status before (as last told).
    pub previous: Status,
    /// How its latest check went: the cause of a down, `ok` for a full recovery.
    pub class: Class,
    /// `class` in plain words.
    pub cause: String,
    /// When `status` began.
    pub since: DateTime<Utc>,
}

/// A notice on its way, with what a channel must subscribe to for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub notice: Notice,
    /// A second event the channel must subscribe to as well: a target back to normal after a
    /// degraded stretch is a `recovered` notice, but only for channels that were told about the
    /// `degraded`.
    pub also_needs: Option<NoticeEvent>,
}

impl Outgoing {
    /// Whether a channel subscribed to `events` gets it.
    pub fn wanted_by(&self, events: &BTreeSet<NoticeEvent>) -> bool {
        events.contains(&self.notice.event) && self.also_needs.is_none_or(|e| events.contains(&e))
    }
}

impl Notice {
    /// What "Send test notice" sends.
    pub fn test(channel_name: &str, at: DateTime<Utc>) -> Notice {
        Notice {
            event: NoticeEvent::Test,
            title: "Test notice from LLM Health Monitor".into(),
            body: format!("The channel {channel_name:?} works: notices will arrive here."),
            at,
            targets: Vec::new(),
            provider_incident: None,
        }
    }

    /// The ids of the targets it covers.
    pub fn target_ids(&self) -> Vec<&str> {
        self.targets.iter().map(|t| t.id.as_str()).collect()
    }
}

/// The notices `alert` makes: one per event, so that event filters mean something. A `mixed`
/// alert becomes a `down` notice, a `recovered` one, and so on, each with the targets it is
/// about. `kind_of` gives a target's kind by id; `now` and `tz` word clock times ("since 18:14")
/// as the person reads them.
pub fn notices(
    alert: &Alert,
    kind_of: &dyn Fn(&str) -> Option<Kind>,
    now: DateTime<Utc>,
    tz: FixedOffset,
) -> Vec<Outgoing> {
    let whole = |event: NoticeEvent| {
        vec![Outgoing {
            notice: notice(event, alert, kind_of, now, tz),
            also_needs: None,
        }]
    };
    match alert.kind {
        AlertKind::Offline => whole(NoticeEvent::Offline),
        AlertKind::BackOnline => whole(NoticeEvent::Online),
        AlertKind::MaintenanceSummary => whole(NoticeEvent::MaintenanceSummary),
        AlertKind::ProviderIncident => whole(NoticeEvent::ProviderIncident),
        AlertKind::StillDown if alert.items.iter().any(|i| i.change == Change::Down) => {
            whole(NoticeEvent::StillDown)
        }
        // A "still down" left with recoveries only (narrowed to a channel's targets) is a
        // recovery.
        AlertKind::StillDown
        | AlertKind::Down
        | AlertKind::Recovered
        | AlertKind::Degraded
        | AlertKind::BackToNormal
        | AlertKind::Mixed => split(alert, kind_of, now, tz),
    }
}

/// The part of `alert` about `targets`, for a channel with a target filter; `None` when it is
/// about none of them. Alerts about this machine's network (`offline`, `back_online`) are not
/// cut: they are sent whole when they concern any of the targets.
pub fn narrow(alert: &Alert, targets: &BTreeSet<String>) -> Option<Alert> {
    match alert.kind {
        AlertKind::Offline | AlertKind::BackOnline => alert
            .targets
            .iter()
            .any(|t| targets.contains(t))
            .then(|| alert.clone()),
        AlertKind::Down
        | AlertKind::Recovered
        | AlertKind::Degraded
        | AlertKind::BackToNormal
        | AlertKind::Mixed
        | AlertKind::StillDown
        | AlertKind::MaintenanceSummary
        | AlertKind::ProviderIncident => {
            let items: Vec<AlertItem> = alert
                .items
                .iter()
                .filter(|i| targets.contains(&i.target))
                .cloned()
                .collect();
            if items.is_empty() {
                return None;
            }
            Some(Alert {
                targets: alert
                    .targets
                    .iter()
                    .filter(|t| targets.contains(*t))
                    .cloned()
                    .collect(),
                items,
                ..alert.clone()
            })
        }
    }
}

/// The event a change of one target is told under, and the alert kind that words it alone.
fn event_of(change: Change) -> (NoticeEvent, Option<NoticeEvent>, AlertKind) {
    match change {
        Change::Down | Change::Unreachable => (NoticeEvent::Down, None, AlertKind::Down),
        Change::Recovered | Change::WasDown => (NoticeEvent::Recovered, None, AlertKind::Recovered),
        Change::Degraded => (NoticeEvent::Degraded, None, AlertKind::Degraded),
        Change::BackToNormal => (
            NoticeEvent::Recovered,
            Some(NoticeEvent::Degraded),
            AlertKind::BackToNormal,
        ),
        Change::ProviderIncident => (
            NoticeEvent::ProviderIncident,
            None,
            AlertKind::ProviderIncident,
        ),
    }
}

/// One notice per kind of change, downs first.
fn split(
    alert: &Alert,
    kind_of: &dyn Fn(&str) -> Option<Kind>,
    now: DateTime<Utc>,
    tz: FixedOffset,
) -> Vec<Outgoing> {
    let order = [
        AlertKind::Down,
        AlertKind::Recovered,
        AlertKind::Degraded,
        AlertKind::BackToNormal,
        AlertKind::ProviderIncident,
    ];
    let mut out = Vec::new();
    for kind in order {
        let items: Vec<AlertItem> = alert
            .items
            .iter()
            .filter(|i| event_of(i.change).2 == kind)
            .cloned()
            .collect();
        let Some(first) = items.first() else {
            continue;
        };
        let (event, also_needs, _) = event_of(first.change);
        let part = Alert {
            kind,
            targets: items.iter().map(|i| i.target.clone()).collect(),
            items,
            ..alert.clone()
        };
        out.push(Outgoing {
            notice: notice(event, &part, kind_of, now, tz),
            also_needs,
        });
    }
    out
}

fn notice(
    event: NoticeEvent,
    alert: &Alert,
    kind_of: &dyn Fn(&str) -> Option<Kind>,
    now: DateTime<Utc>,
    tz: FixedOffset,
) -> Notice {
    let words = desktop_core::notice::render(alert, now, tz);
    Notice {
        event,
        title: words.summary,
        body: words.body,
        at: alert.at,
        targets: alert
            .items
            .iter()
            .map(|i| NoticeTarget {
                id: i.target.clone(),
                name: i.name.clone(),
                kind: kind_of(&i.target),
                status: i.to,
                previous: i.from,
                class: i.class,
                cause: i.class.plain_words().to_string(),
                since: i.since,
            })
            .collect(),
        provider_incident: alert.provider_incident.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alerts::Urgency;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    fn item(target: &str, name: &str, change: Change) -> AlertItem {
        let (from, to, class) = match change {
            Change::Down | Change::Unreachable => {
                (Status::Healthy, Status::Unhealthy, Class::Connect)
            }
            Change::Recovered | Change::WasDown => (Status::Unhealthy, Status::Healthy, Class::Ok),
            Change::Degraded => (Status::Healthy, Status::Degraded, Class::Slow),
            Change::BackToNormal => (Status::Degraded, Status::Healthy, Class::Ok),
            Change::ProviderIncident => (Status::Healthy, Status::Healthy, Class::Ok),
        };
        AlertItem {
            target: target.into(),
            name: name.into(),
            change,
            from,
            to,
            class,
            since: at("2026-12-01T18:14:27Z"),
            down_for_ms: (change == Change::Recovered).then_some(240_000),
            degraded_for_ms: (change == Change::BackToNormal).then_some(60_000),
        }
    }

    fn alert(kind: AlertKind, items: Vec<AlertItem>) -> Alert {
        Alert {
            kind,
            urgency: Urgency::Critical,
            at: at("2026-12-01T18:14:30Z"),
            targets: items.iter().map(|i| i.target.clone()).collect(),
            items,
            offline: None,
            provider_incident: None,
        }
    }

    fn kind_of(id: &str) -> Option<Kind> {
        match id {
            "local-ollama" => Some(Kind::Ollama),
            "openai" => Some(Kind::Openai),
            _ => None,
        }
    }

    /// The webhook's body: receivers are written against these names.
    #[test]
    fn a_notice_keeps_its_wire_shape() {
        let down = alert(
            AlertKind::Down,
            vec![item("local-ollama", "Ollama", Change::Down)],
        );
        let out = notices(&down, &kind_of, at("2026-12-01T18:14:30Z"), utc());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].also_needs, None);
        let expected = serde_json::json!({
            "event": "down", "title": "Ollama is down",
            "body": "Not running or unreachable (since 18:14)",
            "at": "2026-12-01T18:14:30Z",
            "targets": [{"id": "local-ollama", "name": "Ollama", "kind": "ollama",
                         "status": "unhealthy", "previous": "healthy", "class": "connect",
                         "cause": "not running or unreachable",
                         "since": "2026-12-01T18:14:27Z"}]
        });
        assert_eq!(serde_json::to_value(&out[0].notice).unwrap(), expected);
        // Field order as written in the contract, too.
        assert_eq!(
            serde_json::to_string(&out[0].notice).unwrap(),
            r#"{"event":"down","title":"Ollama is down","body":"Not running or unreachable (since 18:14)","at":"2026-12-01T18:14:30Z","targets":[{"id":"local-ollama","name":"Ollama","kind":"ollama","status":"unhealthy","previous":"healthy","class":"connect","cause":"not running or unreachable","since":"2026-12-01T18:14:27Z"}]}"#
        );
        let back: Notice = serde_json::from_value(expected).unwrap();
        assert_eq!(back, out[0].notice);
    }

    /// The page and the OpenAPI document get the same shape from the same type.
    #[test]
    fn the_shape_is_generated_for_typescript_and_openapi() {
        use utoipa::PartialSchema;
        let cfg = ts_rs::Config::new();
        let decl = <Notice as TS>::decl(&cfg);
        for field in ["event", "title", "body", "at", "targets"] {
            assert!(decl.contains(&format!("{field}: ")), "{decl}");
        }
        let target = <NoticeTarget as TS>::decl(&cfg);
        assert!(target.contains("kind: Kind | null"), "{target}");
        let mut parts = Vec::new();
        <Notice as utoipa::ToSchema>::schemas(&mut parts);
        let mut names: Vec<String> = parts.into_iter().map(|(name, _)| name).collect();
        names.sort();
        names.dedup();
        assert_eq!(
            names,
            [
                "Class",
                "Kind",
                "NoticeEvent",
                "NoticeTarget",
                "ProviderIncident",
                "ProviderIncidentAlert",
                "Status"
            ]
        );
        let schema = serde_json::to_value(Notice::schema()).unwrap();
        assert_eq!(
            schema["properties"]["event"]["$ref"],
            "#/components/schemas/NoticeEvent"
        );
    }

    #[test]
    fn a_mixed_alert_becomes_one_notice_per_event() {
        let mixed = alert(
            AlertKind::Mixed,
            vec![
                item("openai", "OpenAI", Change::Recovered),
                item("local-ollama", "Ollama", Change::Down),
                item("gemini", "Gemini", Change::BackToNormal),
                item("anthropic", "Anthropic", Change::Down),
            ],
        );
        let out = notices(&mixed, &kind_of, at("2026-12-01T18:14:30Z"), utc());
        let events: Vec<_> = out.iter().map(|o| (o.notice.event, o.also_needs)).collect();
        assert_eq!(
            events,
            [
                (NoticeEvent::Down, None),
                (NoticeEvent::Recovered, None),
                (NoticeEvent::Recovered, Some(NoticeEvent::Degraded)),
            ]
        );
        assert_eq!(out[0].notice.target_ids(), ["local-ollama", "anthropic"]);
        assert_eq!(out[0].notice.title, "2 down");
        assert_eq!(out[1].notice.title, "OpenAI recovered");
        assert_eq!(out[1].notice.targets[0].kind, Some(Kind::Openai));
        assert_eq!(out[2].notice.title, "Gemini is back to normal");
        assert_eq!(out[2].notice.targets[0].kind, None);

        let defaults = NoticeEvent::default_set();
        assert!(out[1].wanted_by(&defaults));
        assert!(
            !out[2].wanted_by(&defaults),
            "back to normal needs degraded"
        );
        let with_degraded: BTreeSet<_> = [NoticeEvent::Recovered, NoticeEvent::Degraded].into();
        assert!(out[2].wanted_by(&with_degraded));
        let degraded_only: BTreeSet<_> = [NoticeEvent::Degraded].into();
        assert!(!out[2].wanted_by(&degraded_only));
    }

    #[test]
    fn whole_alerts_keep_their_event() {
        let now = at("2026-12-01T18:14:30Z");
        let cases = [
            (AlertKind::Offline, NoticeEvent::Offline),
            (AlertKind::BackOnline, NoticeEvent::Online),
            (AlertKind::StillDown, NoticeEvent::StillDown),
            (
                AlertKind::MaintenanceSummary,
                NoticeEvent::MaintenanceSummary,
            ),
        ];
        for (kind, event) in cases {
            let a = alert(
                kind,
                vec![
                    item("local-ollama", "Ollama", Change::Down),
                    item("openai", "OpenAI", Change::Recovered),
                ],
            );
            let out = notices(&a, &kind_of, now, utc());
            assert_eq!(out.len(), 1, "{kind:?}");
            assert_eq!(out[0].notice.event, event);
            assert_eq!(out[0].notice.targets.len(), 2);
        }
    }

    /// A provider incident is its own event, with the incident beside the words, for receivers
    /// that link to it.
    #[test]
    fn a_provider_incident_is_its_own_notice() {
        let mut incident = alert(
            AlertKind::ProviderIncident,
            vec![
                item("openai", "OpenAI", Change::ProviderIncident),
                item("openai-mini", "OpenAI Mini", Change::ProviderIncident),
            ],
        );
        incident.provider_incident = Some(ProviderIncidentAlert {
            reporter: "OpenAI".into(),
            page: Some("https://status.openai.com".into()),
            incident: monitor::ProviderIncident {
                id: Some("a1".into()),
                name: "Elevated error rates".into(),
                impact: Some("minor".into()),
                status: Some("investigating".into()),
                started_at: Some(at("2026-12-01T18:00:00Z")),
                url: Some("https://status.openai.com/incidents/a1".into()),
            },
        });
        let out = notices(&incident, &kind_of, at("2026-12-01T18:14:30Z"), utc());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].also_needs, None);
        assert!(out[0].wanted_by(&NoticeEvent::default_set()));
        let json = serde_json::to_value(&out[0].notice).unwrap();
        assert_eq!(json["event"], "provider_incident");
        assert_eq!(json["title"], "OpenAI reports an incident");
        assert_eq!(
            json["body"],
            "OpenAI reports: Elevated error rates — investigating"
        );
        assert_eq!(
            json["provider_incident"]["incident"]["url"],
            "https://status.openai.com/incidents/a1"
        );
        assert_eq!(json["targets"][1]["status"], "healthy");
        let back: Notice = serde_json::from_value(json).unwrap();
        assert_eq!(back, out[0].notice);

        // A channel for one of the targets gets the incident about that one.
        let only: BTreeSet<String> = ["openai-mini".to_string()].into();
        let narrowed = narrow(&incident, &only).unwrap();
        assert_eq!(narrowed.targets, ["openai-mini"]);
        assert_eq!(narrowed.provider_incident, incident.provider_incident);
        let none: BTreeSet<String> = ["gemini".to_string()].into();
        assert_eq!(narrow(&incident, &none), None);
    }

    #[test]
    fn narrowing_keeps_a_channels_targets_only() {
        let mixed = alert(
            AlertKind::StillDown,
            vec![
                item("local-ollama", "Ollama", Change::Down),
                item("openai", "OpenAI", Change::Recovered),
            ],
        );
        let only: BTreeSet<String> = ["openai".to_string()].into();
        let narrowed = narrow(&mixed, &only).unwrap();
        assert_eq!(narrowed.targets, ["openai"]);
        let out = notices(&narrowed, &kind_of, at("2026-12-01T18:14:30Z"), utc());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].notice.event, NoticeEvent::Recovered);
        assert_eq!(out[0].notice.title, "OpenAI recovered");

        let none: BTreeSet<String> = ["gemini".to_string()].into();
        assert_eq!(narrow(&mixed, &none), None);

        let mut offline = alert(
            AlertKind::Offline,
            vec![item("openai", "OpenAI", Change::Unreachable)],
        );
        offline.targets = vec!["openai".into(), "anthropic".into()];
        assert_eq!(narrow(&offline, &only), Some(offline.clone()));
        assert_eq!(narrow(&offline, &none), None);
    }
}
