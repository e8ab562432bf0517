//! `[[alerts]]`: where notices go besides the desktop (a webhook, ntfy, Slack, Discord, a
//! program). The keys are a contract other tools write against. A channel's URL is a secret like
//! an API key (a Slack or Discord webhook URL is its own credential), so it is never echoed in an
//! error and prints as scheme and host only.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use url::Url;

/// One `[[alerts]]` entry as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct AlertFile {
    /// Names the channel in logs, in the Settings and for its keyring entry; `alert-<n>` when
    /// not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub kind: ChannelKind,
    /// The webhook's URL, or ntfy's topic URL. A secret: prefer `url_env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The environment variable holding the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
    /// ntfy: the environment variable holding an access token (sent as a bearer token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// The events sent; every one but `degraded` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<NoticeEvent>>,
    /// The targets notices are sent about; all when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
    /// For `kind = "command"`: the program and its arguments (no shell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

impl AlertFile {
    /// As the page sees it and an export writes it: `url` shown as its scheme and host only.
    pub fn masked(&self) -> AlertFile {
        AlertFile {
            url: self.url.as_deref().map(masked_url),
            ..self.clone()
        }
    }
}

/// What a secret URL shows of itself.
pub fn masked_url(text: &str) -> String {
    SecretUrl::parse(text).map_or_else(|_| "(hidden)".to_string(), |u| u.to_string())
}

/// Puts back the URLs a masked copy hid: an entry of `incoming` whose `url` is the masked form
/// of the URL of the same channel in `current` (same `id`, or same place when neither has one)
/// keeps that URL. So the page and an exported file can round-trip channels they never saw the
/// secret of, and a URL the user typed anew always wins.
pub(super) fn restore_secrets(incoming: &mut [AlertFile], current: &[AlertFile]) {
    for (i, entry) in incoming.iter_mut().enumerate() {
        let Some(shown) = entry.url.as_deref() else {
            continue;
        };
        let hid_it = |c: &&AlertFile| {
            c.kind == entry.kind && c.url.as_deref().is_some_and(|u| masked_url(u) == shown)
        };
        let same = match &entry.id {
            Some(id) => current
                .iter()
                .find(|c| c.id.as_ref() == Some(id))
                .filter(hid_it),
            // Without an id: the entry in the same place, else the one entry that could be it
            // (an earlier channel was removed).
            None => current
                .get(i)
                .filter(|c| c.id.is_none())
                .filter(hid_it)
                .or_else(|| {
                    let mut candidates = current.iter().filter(|c| c.id.is_none()).filter(hid_it);
                    match (candidates.next(), candidates.next()) {
                        (Some(only), None) => Some(only),
                        _ => None,
                    }
                }),
        };
        if let Some(secret) = same.and_then(|c| c.url.as_deref()) {
            entry.url = Some(secret.to_string());
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// `POST` of the notice as JSON.
    Webhook,
    /// An ntfy topic URL (ntfy.sh or a server of one's own).
    Ntfy,
    /// A Slack incoming webhook.
    Slack,
    /// A Discord webhook.
    Discord,
    /// A program run with the notice as JSON on stdin.
    Command,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Ntfy => "ntfy",
            ChannelKind::Slack => "slack",
            ChannelKind::Discord => "discord",
            ChannelKind::Command => "command",
        }
    }
}

/// What a notice is about: the `event` of the webhook's JSON and of `events` filters.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ts_rs::TS,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NoticeEvent {
    Down,
    Recovered,
    Degraded,
    /// Every cloud target became unreachable at once: this machine's network.
    Offline,
    Online,
    /// After a pause or quiet hours: what is still down.
    StillDown,
    /// After a maintenance window: what happened during it.
    MaintenanceSummary,
    /// A provider's status page reports an incident on a watched component; only when
    /// `on_provider_incident` asks for these.
    ProviderIncident,
    /// Sent by "Send test notice".
    Test,
}

impl NoticeEvent {
    pub const ALL: [NoticeEvent; 9] = [
        NoticeEvent::Down,
        NoticeEvent::Recovered,
        NoticeEvent::Degraded,
        NoticeEvent::Offline,
        NoticeEvent::Online,
        NoticeEvent::StillDown,
        NoticeEvent::MaintenanceSummary,
        NoticeEvent::ProviderIncident,
        NoticeEvent::Test,
    ];

    /// What a channel that names no `events` gets: everything but `degraded`, which is mostly
    /// noise (slow or rate limited still works).
    pub fn default_set() -> BTreeSet<NoticeEvent> {
        NoticeEvent::ALL
            .into_iter()
            .filter(|e| *e != NoticeEvent::Degraded)
            .collect()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeEvent::Down => "down",
            NoticeEvent::Recovered => "recovered",
            NoticeEvent::Degraded => "degraded",
            NoticeEvent::Offline => "offline",
            NoticeEvent::Online => "online",
            NoticeEvent::StillDown => "still_down",
            NoticeEvent::MaintenanceSummary => "maintenance_summary",
            NoticeEvent::ProviderIncident => "provider_incident",
            NoticeEvent::Test => "test",
        }
    }
}

/// A channel, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertChannel {
    pub id: String,
    pub name: String,
    pub kind: ChannelKind,
    pub destination: Destination,
    pub token_env: Option<String>,
    pub events: BTreeSet<NoticeEvent>,
    /// `None`: every target.
    pub targets: Option<BTreeSet<String>>,
    pub enabled: bool,
}

impl AlertChannel {
    /// Whether notices about this target go to this channel.
    pub fn covers_target(&self, id: &str) -> bool {
        self.targets.as_ref().is_none_or(|t| t.contains(id))
    }
}

/// Where a channel's notices go.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    Url(SecretUrl),
    /// Read from this environment variable at each delivery, so a rotated URL needs no restart.
    UrlEnv(String),
    /// The app keeps the URL in the OS keyring under the channel's id.
    Keyring,
    /// A program and its arguments.
    Command(Vec<String>),
}

/// A URL that is its own credential. It prints as its scheme and host only.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(Url);

impl SecretUrl {
    /// Parses an http(s) URL; the error never repeats the text.
    pub fn parse(text: &str) -> Result<SecretUrl, String> {
        let url = Url::parse(text.trim())
            .map_err(|e| format!("is not a URL ({e}; value not shown, it may be a secret)"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "must be an http:// or https:// URL, not {}:// (value not shown)",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("has no host (value not shown)".into());
        }
        Ok(SecretUrl(url))
    }

    /// The whole URL, for the one request that needs it.
    pub fn expose(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}/…",
            self.0.scheme(),
            self.0.host_str().unwrap_or("")
        )
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({self})")
    }
}

/// Validates the `[[alerts]]` entries. `invalid(i, key, message)` makes the error for key `key`
/// of entry `i`; `target_ids` are the configured targets, which filters must name.
pub(super) fn check_channels<E>(
    written: &[AlertFile],
    target_ids: &HashSet<String>,
    is_env_name: fn(&str) -> bool,
    invalid: &dyn Fn(usize, &str, String) -> E,
) -> Result<Vec<AlertChannel>, E> {
    let mut seen = HashSet::new();
    let mut channels = Vec::with_capacity(written.len());
    for (i, a) in written.iter().enumerate() {
        let id = match &a.id {
            Some(id) if id.trim().is_empty() => {
                return Err(invalid(i, "id", "must not be empty".into()))
            }
            Some(id) => id.trim().to_string(),
            None => format!("alert-{}", i + 1),
        };
        if !seen.insert(id.clone()) {
            return Err(invalid(
                i,
                "id",
                format!("duplicate id {id:?}: every channel needs its own"),
            ));
        }
        for (key, env) in [("url_env", &a.url_env), ("token_env", &a.token_env)] {
            if let Some(env) = env {
                if !is_env_name(env) {
                    return Err(invalid(
                        i,
                        key,
                        "is not an environment variable name (value not shown); put the variable's name here, never the secret itself".into(),
                    ));
                }
            }
        }
        if a.token_env.is_some() && a.kind != ChannelKind::Ntfy {
            return Err(invalid(
                i,
                "token_env",
                "applies only to kind = \"ntfy\"".into(),
            ));
        }
        let destination = match (a.kind, &a.url, &a.url_env, &a.command) {
            (ChannelKind::Command, None, None, Some(argv)) => {
                if argv.first().is_none_or(|p| p.trim().is_empty()) {
                    return Err(invalid(
                        i,
                        "command",
                        "must name a program: [\"/path/to/program\", \"--arg\", …]".into(),
                    ));
                }
                Destination::Command(argv.clone())
            }
            (ChannelKind::Command, _, _, None) => {
                return Err(invalid(
                    i,
                    "command",
                    "kind = \"command\" needs `command = [\"/path/to/program\", …]`".into(),
                ))
            }
            (ChannelKind::Command, _, _, Some(_)) => {
                return Err(invalid(
                    i,
                    if a.url.is_some() { "url" } else { "url_env" },
                    "a command channel runs a program; it takes no URL".into(),
                ))
            }
            (_, _, _, Some(_)) => {
                return Err(invalid(
                    i,
                    "command",
                    format!(
                        "applies only to kind = \"command\", not {:?}",
                        a.kind.as_str()
                    ),
                ))
            }
            (_, Some(_), Some(_), None) => {
                return Err(invalid(
                    i,
                    "url",
                    "give `url` or `url_env`, not both".into(),
                ))
            }
            (_, Some(url), None, None) if url.trim_end().ends_with('…') => {
                // A masked URL that could not be matched to the one it hides.
                return Err(invalid(
                    i,
                    "url",
                    "is the masked form the page shows, not a URL to send to; type the whole URL again".into(),
                ));
            }
            (_, Some(url), None, None) => {
                Destination::Url(SecretUrl::parse(url).map_err(|m| invalid(i, "url", m))?)
            }
            (_, None, Some(env), None) => Destination::UrlEnv(env.clone()),
            // Written by the app, which keeps the URL in the keyring under the id.
            (_, None, None, None) if a.id.is_some() => Destination::Keyring,
            (kind, None, None, None) => {
                return Err(invalid(
                    i,
                    "kind",
                    format!(
                        "a {} channel needs `url = \"https://…\"` or `url_env = \"VARIABLE\"`",
                        kind.as_str()
                    ),
                ))
            }
        };
        let targets = super::target_filter(a.targets.as_deref(), target_ids)
            .map_err(|m| invalid(i, "targets", m))?;
        let events = match &a.events {
            None => NoticeEvent::default_set(),
            Some(events) if events.is_empty() => {
                return Err(invalid(
                    i,
                    "events",
                    "is empty, so nothing would be sent; leave it out for the default, or set enabled = false".into(),
                ))
            }
            Some(events) => events.iter().copied().collect(),
        };
        channels.push(AlertChannel {
            name: a
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| id.clone()),
            id,
            kind: a.kind,
            destination,
            token_env: a.token_env.clone(),
            events,
            targets,
            enabled: a.enabled.unwrap_or(true),
        });
    }
    Ok(channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_url_prints_its_host_only() {
        let url =
            SecretUrl::parse("https://hooks.slack.com/services/T000/B000/XXXXSECRET").unwrap();
        assert_eq!(url.to_string(), "https://hooks.slack.com/…");
        assert!(!format!("{url:?}").contains("SECRET"));
        assert!(url.expose().as_str().ends_with("XXXXSECRET"));
        let err = SecretUrl::parse("hooks.slack.com/services/SECRET").unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
        let err = SecretUrl::parse("ftp://example.com/SECRET").unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
    }

    #[test]
    fn the_default_events_leave_out_degraded() {
        let set = NoticeEvent::default_set();
        assert!(!set.contains(&NoticeEvent::Degraded));
        assert_eq!(set.len(), NoticeEvent::ALL.len() - 1);
        for e in NoticeEvent::ALL {
            assert_eq!(
                serde_json::to_value(e).unwrap(),
                serde_json::json!(e.as_str())
            );
        }
    }
}
