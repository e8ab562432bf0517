//! The shapes the page receives, the same through both transports.

use alerts::NotifyPrefs;
use chrono::{DateTime, Utc};
use monitor::config::{
    AlertChannel, ChannelKind, ConfigFile, Destination, NoticeEvent, TargetFile,
};
use monitor::detect::Detection;
use monitor::probe::KeyOrigin;
use monitor::Snapshot;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use ts_rs::TS;
use utoipa::ToSchema;

/// One endpoint found on first run, offered to the user (never added silently).
#[derive(Debug, Clone, PartialEq, Serialize, TS, ToSchema)]
pub struct Offer {
    pub target: TargetFile,
    /// Whether it answered (a local server) or its key is set (a cloud API).
    pub found: bool,
    pub note: String,
}

impl Offer {
    pub fn from_detections(detections: &[Detection]) -> Vec<Offer> {
        detections
            .iter()
            .map(|d| Offer {
                target: TargetFile::from(&d.target),
                found: d.found,
                note: d.note.clone(),
            })
            .collect()
    }
}

/// `get_state`, and the live `state` event.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
pub struct StateView {
    pub snapshot: Snapshot,
    /// `null` also where there are no notifications (`serve`).
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub notifications_paused_until: Option<DateTime<Utc>>,
    #[ts(type = "string")]
    #[schema(value_type = String)]
    pub data_dir: PathBuf,
    pub config_source: String,
    /// The program's version, git commit and build date, for the About section:
    /// `0.1.0 (commit 1a2b3c4, built 2026-12-02)`.
    pub version: String,
    /// First run: what was detected, until the user adds or declines it.
    pub offers: Option<Vec<Offer>>,
    /// Why the history is not written as it should be (a full disk, a file deleted under the
    /// monitor, events lost), in a sentence; `null` while all is well.
    pub history_problem: Option<String>,
    /// Targets whose notices are snoozed, with the end of each snooze.
    #[ts(type = "Record<string, string>")]
    #[schema(value_type = BTreeMap<String, String>)]
    pub snoozed_until: BTreeMap<String, DateTime<Utc>>,
}

/// `get_settings`.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
pub struct SettingsView {
    pub config: ConfigFile,
    /// `null` where there are no notifications (`serve`).
    pub notifications: Option<NotifyPrefs>,
    /// `null` where there is no login to start at (`serve`).
    pub start_at_login: Option<bool>,
    /// Where each target's API key comes from; never the key itself.
    pub keys: BTreeMap<String, KeyOrigin>,
    /// The alert channels (`[[alerts]]`) as resolved, for the list with "Send test notice".
    pub channels: Vec<ChannelView>,
}

/// One alert channel as the Settings list shows it; never its URL or token.
#[derive(Debug, Clone, PartialEq, Serialize, TS, ToSchema)]
pub struct ChannelView {
    pub id: String,
    pub name: String,
    pub kind: ChannelKind,
    /// Where notices go, in words: "https://hooks.slack.com/…", "the URL in $NTFY_URL", "the
    /// URL in the keyring", or the program.
    pub destination: String,
    pub events: Vec<NoticeEvent>,
    /// `null`: every target.
    pub targets: Option<Vec<String>>,
    pub enabled: bool,
}

impl From<&AlertChannel> for ChannelView {
    fn from(c: &AlertChannel) -> Self {
        ChannelView {
            id: c.id.clone(),
            name: c.name.clone(),
            kind: c.kind,
            destination: match &c.destination {
                Destination::Url(url) => url.to_string(),
                Destination::UrlEnv(name) => format!("the URL in ${name}"),
                Destination::Keyring => "the URL in the keyring".into(),
                Destination::Command(argv) => argv.first().cloned().unwrap_or_default(),
            },
            events: c.events.iter().copied().collect(),
            targets: c.targets.as_ref().map(|t| t.iter().cloned().collect()),
            enabled: c.enabled,
        }
    }
}

/// `incidents`: newest first.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[serde(transparent)]
pub struct Incidents(pub Vec<monitor::Incident>);

/// `provider_incidents`: what the targets' status pages reported, newest first.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[serde(transparent)]
pub struct ProviderIncidents(pub Vec<store::ProviderIncidentSpan>);

/// `recent_checks`: each configured target's last checks, oldest first, by target id.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[serde(transparent)]
pub struct RecentChecks(pub std::collections::BTreeMap<String, Vec<store::Beat>>);

/// `healthy`: the usable targets, best first (healthy before degraded, then the health score,
/// then the faster answer).
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[serde(transparent)]
pub struct Healthy(pub Vec<monitor::pick::Candidate>);
