//! Targets and their configuration: the TOML file format (a contract other tools write), the
//! defaults, the presets for OpenAI-compatible providers, and auto-detection's shape.

use crate::domain::{Kind, ProbeLevel, TargetId};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

mod channels;
mod maintenance;
mod notifications;
pub use channels::{
    masked_url, AlertChannel, AlertFile, ChannelKind, Destination, NoticeEvent, SecretUrl,
};
pub use maintenance::{Day, Maintenance, MaintenanceBand, MaintenanceFile, Schedule, Zone};
pub use notifications::{Notifications, NotificationsFile};

/// Why a configuration was rejected. Every variant names where to look.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}{}: {key}: {message}", at_line(*line))]
    Invalid {
        /// The file, or `<config>` for text that did not come from a file.
        origin: String,
        /// 1-based line of the key at fault (0 when the error is not tied to a line).
        line: usize,
        /// Dotted path of the key at fault, e.g. `targets[1].kind`.
        key: String,
        message: String,
    },
}

/// `:N` after the origin, or nothing when the error is not tied to a line.
fn at_line(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}

/// Settings that every target inherits unless it sets its own.
///
/// Every duration is bounded (see [`DURATION_BOUNDS`]), so that none can overflow a deadline
/// and none makes monitoring meaningless:
///
/// | key | at least | at most |
/// | --- | --- | --- |
/// | `interval` | 500 ms | 1 day |
/// | `timeout` | 100 ms | 10 min |
/// | `backoff_max` | `interval` | 1 day |
/// | `confirm_interval` | 500 ms | `interval` (a longer one is used as `interval`), 1 day as written |
/// | `slow_ms` | 0 | 600000 (10 min) |
///
/// `failure_threshold`, `success_threshold` and `degraded_after` are counts of checks, at least 1.
///
/// Defaults: `interval` 30 s, `timeout` 10 s, `slow_ms` 3000, `failure_threshold` 2,
/// `success_threshold` 2, `backoff_max` 5 min, `confirm_interval` 5 s, `degraded_after` 3.
/// With them an outage is confirmed at most `interval + confirm_interval × (failure_threshold − 1)`
/// = 35 s after it starts (plus the probes' own time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    #[serde(with = "human_duration")]
    pub interval: Duration,
    #[serde(with = "human_duration")]
    pub timeout: Duration,
    /// A response slower than this is `slow` (degraded), not `ok`.
    pub slow_ms: u64,
    /// Consecutive hard failures before a target is unhealthy.
    pub failure_threshold: u32,
    /// Consecutive successes before a target is healthy again.
    pub success_threshold: u32,
    /// The longest wait between probes while a target is unhealthy.
    #[serde(with = "human_duration")]
    pub backoff_max: Duration,
    /// The wait before the next probe while a change is being confirmed: after a hard failure
    /// below `failure_threshold` (never after `auth`, `quota` or `rate_limited`), and after a
    /// success that has not yet made a failing target healthy. Used as at most `interval`
    /// (see [`Timing::confirm_delay`]).
    #[serde(with = "human_duration", default = "default_confirm_interval")]
    pub confirm_interval: Duration,
    /// Degraded checks in a row (slow, rate limited) before a degraded target is an incident.
    #[serde(default = "default_degraded_after")]
    pub degraded_after: u32,
}

fn default_confirm_interval() -> Duration {
    Duration::from_secs(5)
}

fn default_degraded_after() -> u32 {
    3
}

impl Timing {
    /// The wait before a confirming probe: `confirm_interval`, but never longer than `interval`
    /// (a longer value is clamped, not rejected, so a short `interval` needs no
    /// `confirm_interval` of its own).
    pub fn confirm_delay(&self) -> Duration {
        self.confirm_interval.min(self.interval)
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            slow_ms: 3000,
            failure_threshold: 2,
            success_threshold: 2,
            backoff_max: Duration::from_secs(300),
            confirm_interval: default_confirm_interval(),
            degraded_after: default_degraded_after(),
        }
    }
}

/// Named settings for the OpenAI-compatible providers, so a config says `preset = "groq"`
/// instead of repeating base URLs and key variables.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Groq,
    Mistral,
    Openrouter,
    Deepseek,
    Together,
    Azure,
    /// Jan's local API server.
    Jan,
    #[serde(rename = "localai")]
    LocalAi,
    Koboldcpp,
    /// oobabooga's text-generation-webui with its OpenAI-compatible API.
    #[serde(
        alias = "textgen",
        alias = "text-generation-webui",
        alias = "oobabooga"
    )]
    TextGenerationWebui,
}

impl Preset {
    pub const ALL: [Preset; 10] = [
        Preset::Groq,
        Preset::Mistral,
        Preset::Openrouter,
        Preset::Deepseek,
        Preset::Together,
        Preset::Azure,
        Preset::Jan,
        Preset::LocalAi,
        Preset::Koboldcpp,
        Preset::TextGenerationWebui,
    ];

    /// A desktop server on this machine rather than a cloud service: it needs no key unless
    /// one is configured, has no status page, and may load a model a request names.
    pub fn is_local(self) -> bool {
        matches!(
            self,
            Preset::Jan | Preset::LocalAi | Preset::Koboldcpp | Preset::TextGenerationWebui
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Groq => "groq",
            Preset::Mistral => "mistral",
            Preset::Openrouter => "openrouter",
            Preset::Deepseek => "deepseek",
            Preset::Together => "together",
            Preset::Azure => "azure",
            Preset::Jan => "jan",
            Preset::LocalAi => "localai",
            Preset::Koboldcpp => "koboldcpp",
            Preset::TextGenerationWebui => "text_generation_webui",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Preset::Groq => "Groq",
            Preset::Mistral => "Mistral",
            Preset::Openrouter => "OpenRouter",
            Preset::Deepseek => "DeepSeek",
            Preset::Together => "Together",
            Preset::Azure => "Azure OpenAI",
            Preset::Jan => "Jan",
            Preset::LocalAi => "LocalAI",
            Preset::Koboldcpp => "KoboldCpp",
            Preset::TextGenerationWebui => "text-generation-webui",
        }
    }

    /// Azure has no shared endpoint: every resource has its own, so the config must give it.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Preset::Groq => Some("https://api.groq.com/openai/v1"),
            Preset::Mistral => Some("https://api.mistral.ai/v1"),
            Preset::Openrouter => Some("https://openrouter.ai/api/v1"),
            Preset::Deepseek => Some("https://api.deepseek.com"),
            Preset::Together => Some("https://api.together.xyz/v1"),
            Preset::Azure => None,
            Preset::Jan => Some("http://127.0.0.1:1337/v1"),
            Preset::LocalAi => Some("http://127.0.0.1:8080/v1"),
            Preset::Koboldcpp => Some("http://127.0.0.1:5001/v1"),
            Preset::TextGenerationWebui => Some("http://127.0.0.1:5000/v1"),
        }
    }

    /// The variable a cloud preset's key is read from; local servers take none by default.
    pub fn key_env(self) -> Option<&'static str> {
        match self {
            Preset::Groq => Some("GROQ_API_KEY"),
            Preset::Mistral => Some("MISTRAL_API_KEY"),
            Preset::Openrouter => Some("OPENROUTER_API_KEY"),
            Preset::Deepseek => Some("DEEPSEEK_API_KEY"),
            Preset::Together => Some("TOGETHER_API_KEY"),
            Preset::Azure => Some("AZURE_OPENAI_API_KEY"),
            Preset::Jan | Preset::LocalAi | Preset::Koboldcpp | Preset::TextGenerationWebui => None,
        }
    }

    /// The provider's official status page. DeepSeek, Mistral, Together and OpenRouter moved
    /// off Statuspage: their pages are kept, and say "unknown" while they answer no known
    /// shape.
    pub fn status_page(self) -> Option<&'static str> {
        match self {
            Preset::Groq => Some("https://groqstatus.com"),
            Preset::Mistral => Some("https://status.mistral.ai"),
            Preset::Openrouter => Some("https://status.openrouter.ai"),
            Preset::Deepseek => Some("https://status.deepseek.com"),
            Preset::Together => Some("https://status.together.ai"),
            // Azure's status is per region and not in Statuspage's shape.
            Preset::Azure => None,
            Preset::Jan | Preset::LocalAi | Preset::Koboldcpp | Preset::TextGenerationWebui => None,
        }
    }
}

/// The status page a kind's official API reports on, and the component its probes exercise.
pub fn default_status_page(
    kind: Kind,
    preset: Option<Preset>,
) -> Option<(&'static str, Option<&'static str>)> {
    match kind {
        Kind::Openai => Some(("https://status.openai.com", Some("Chat Completions"))),
        Kind::Anthropic => Some(("https://status.claude.com", Some("Claude API"))),
        Kind::OpenaiCompatible => preset.and_then(Preset::status_page).map(|p| (p, None)),
        // Google's AI Studio status page is no Statuspage; local servers have none.
        Kind::Gemini | Kind::Ollama | Kind::Lmstudio | Kind::Llamacpp | Kind::Vllm => None,
    }
}

/// How a key is presented to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStyle {
    Bearer,
    /// Anthropic's `x-api-key` plus `anthropic-version`.
    AnthropicKey,
    /// Gemini's `x-goog-api-key` (never `?key=`: URLs end up in error messages).
    GoogleKey,
    /// Azure OpenAI's `api-key`.
    AzureKey,
}

/// One endpoint to watch, with every default resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: TargetId,
    pub name: String,
    pub kind: Kind,
    pub preset: Option<Preset>,
    /// As the provider's official SDK spells it: `/v1` included for `openai` and
    /// `openai_compatible`, the server root for the others.
    pub base_url: Url,
    /// Name of the environment variable holding the key (never the key itself).
    pub api_key_env: Option<String>,
    pub probe: ProbeLevel,
    pub model: Option<String>,
    /// Every model the target watches (`models`, with `model` first when both are written):
    /// each must stay listed; canaries take them in turn. `model` is the first of them.
    pub models: Vec<String>,
    /// Azure OpenAI's `api-version` query parameter.
    pub api_version: Option<String>,
    pub enabled: bool,
    pub timing: Timing,
    /// The provider's status page root (`None`: off), and the component to follow on it.
    pub status_page: Option<Url>,
    pub status_component: Option<String>,
    /// Degraded below this much credit left.
    pub min_credits: Option<f64>,
}

impl Target {
    /// A model server on this machine: the two local kinds, and any OpenAI-compatible server
    /// on a loopback address (llama.cpp, vLLM, …), which have the same one-model-at-a-time
    /// nature.
    pub fn is_local_server(&self) -> bool {
        self.kind.is_local() || is_loopback_host(&self.base_url)
    }

    pub fn auth_style(&self) -> AuthStyle {
        match (self.kind, self.preset) {
            (Kind::Anthropic, _) => AuthStyle::AnthropicKey,
            (Kind::Gemini, _) => AuthStyle::GoogleKey,
            (_, Some(Preset::Azure)) => AuthStyle::AzureKey,
            _ => AuthStyle::Bearer,
        }
    }

    /// Whether the target can use an API key: cloud targets, and local servers configured with
    /// a key variable (LM Studio's optional token). The one rule for what a key is looked up
    /// for and what a settings form offers a key field for.
    pub fn takes_key(&self) -> bool {
        self.api_key_env.is_some() || !self.is_self_hosted()
    }

    /// A server the user runs: a local kind, or a local preset (Jan, LocalAI, …).
    pub fn is_self_hosted(&self) -> bool {
        self.kind.is_local() || self.preset.is_some_and(Preset::is_local)
    }

    /// The key of the server this target runs on: probes of targets sharing a local server are
    /// serialized on it, because a local server serves one model at a time.
    ///
    /// One server must get one key however the URL spells it: every loopback name
    /// (`localhost`, `127.x.y.z`, `[::1]`, `0.0.0.0`, …) is one host, and the port is the
    /// scheme's default when none is written. The scheme is left out: one port is one process,
    /// whether it is reached over http or https. Two servers on distinct loopback addresses but
    /// the same port are thereby serialized together, which costs parallelism only; splitting
    /// one server in two would cost the parallel requests this key exists to prevent.
    pub fn server_key(&self) -> String {
        let port = self.base_url.port_or_known_default().unwrap_or(0);
        if is_loopback_host(&self.base_url) {
            return format!("loopback:{port}");
        }
        let host = match self.base_url.host() {
            // `url` already lowercases names; a trailing dot names the same host.
            Some(url::Host::Domain(d)) => d.trim_end_matches('.').to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => match ip.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => format!("[{ip}]"),
            },
            None => String::new(),
        };
        format!("{host}:{port}")
    }
}

/// Engine-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EngineSettings {
    /// Probes in flight at once, across all targets.
    pub max_concurrent_probes: usize,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            max_concurrent_probes: 16,
        }
    }
}

/// A whole configuration, resolved and validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub engine: EngineSettings,
    pub defaults: Timing,
    pub targets: Vec<Target>,
    /// Where notices go besides the desktop (`[[alerts]]`).
    pub alerts: Vec<AlertChannel>,
    /// `[notifications]`: what the file says of the notification policy.
    pub notifications: Notifications,
    pub maintenance: Vec<Maintenance>,
}

// ---- the file format -------------------------------------------------------------------------

/// The file as written: every per-target key optional, so defaults can fill in.
///
/// Also the shape the UI and the HTTP API exchange: TypeScript (ts-rs) and OpenAPI (utoipa)
/// declarations are generated from it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<TimingFile>,
    #[serde(default)]
    pub targets: Vec<TargetFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<NotificationsFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<AlertFile>>", optional)]
    pub alerts: Vec<AlertFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<MaintenanceFile>>", optional)]
    pub maintenance: Vec<MaintenanceFile>,
}

/// Timing keys as the file writes them: durations are strings like "30s" or "1m 30s".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct TimingFile {
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string")]
    #[schema(value_type = Option<String>)]
    pub interval: Option<Duration>,
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string")]
    #[schema(value_type = Option<String>)]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "number")]
    pub slow_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<u32>,
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string")]
    #[schema(value_type = Option<String>)]
    pub backoff_max: Option<Duration>,
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string")]
    #[schema(value_type = Option<String>)]
    pub confirm_interval: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded_after: Option<u32>,
}

/// One `[[targets]]` entry as written. The timing keys are repeated rather than flattened
/// (serde's `flatten` would lose unknown-key errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct TargetFile {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    // Several models, each of which must stay listed (`model` still works for one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    // The provider's status page; presets fill it in, `""` switches it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_page: Option<String>,
    // The status page's component for this target, by id or name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_component: Option<String>,
    // Degraded when the account's credits fall below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_credits: Option<f64>,
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string")]
    #[schema(value_type = Option<String>)]
    pub interval: Option<Duration>,
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string")]
    #[schema(value_type = Option<String>)]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "number")]
    pub slow_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<u32>,
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string")]
    #[schema(value_type = Option<String>)]
    pub backoff_max: Option<Duration>,
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string")]
    #[schema(value_type = Option<String>)]
    pub confirm_interval: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded_after: Option<u32>,
}

impl TargetFile {
    /// The timing keys this target sets itself (serde's `flatten` would lose unknown-key errors).
    pub fn timing(&self) -> TimingFile {
        TimingFile {
            interval: self.interval,
            timeout: self.timeout,
            slow_ms: self.slow_ms,
            failure_threshold: self.failure_threshold,
            success_threshold: self.success_threshold,
            backoff_max: self.backoff_max,
            confirm_interval: self.confirm_interval,
            degraded_after: self.degraded_after,
        }
    }
}

const AZURE_API_VERSION: &str = "2024-10-21";
/// Below this, probing turns into load on the endpoint rather than observation of it.
const MIN_INTERVAL: Duration = Duration::from_millis(500);

/// The range each duration key accepts, as `(key, at least, at most)`. Beyond the maxima a
/// value is a typo (`"300000000000y"`), not a wish, and would overflow a deadline; the minima
/// keep a probe meaningful (a timeout below 100 ms fails every server across a network).
/// `backoff_max` must also be at least `interval`; a `confirm_interval` longer than `interval` is
/// used as `interval`.
pub const DURATION_BOUNDS: [(&str, Duration, Duration); 5] = [
    ("interval", MIN_INTERVAL, Duration::from_secs(86_400)),
    (
        "timeout",
        Duration::from_millis(100),
        Duration::from_secs(600),
    ),
    ("backoff_max", Duration::ZERO, Duration::from_secs(86_400)),
    (
        "confirm_interval",
        MIN_INTERVAL,
        Duration::from_secs(86_400),
    ),
    ("slow_ms", Duration::ZERO, Duration::from_secs(600)),
];

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Parses and validates config text; `origin` names it in errors (usually the path).
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        ConfigFile::parse_checked(text, origin).map(|(_, config)| config)
    }

    pub fn enabled_targets(&self) -> impl Iterator<Item = &Target> {
        self.targets.iter().filter(|t| t.enabled)
    }

    pub fn target(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.id == id)
    }
}

impl ConfigFile {
    /// Parses config text without validating more than serde does (unknown keys, types,
    /// durations); errors name line and key.
    pub fn parse(text: &str, origin: &str) -> Result<ConfigFile, ConfigError> {
        let deserializer = toml::Deserializer::new(text);
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let key = err.path().to_string();
            let inner = err.into_inner();
            let line = inner
                .span()
                .map(|span| line_at(text, span.start))
                .unwrap_or(0);
            ConfigError::Invalid {
                origin: origin.to_string(),
                line,
                key: if key == "." { "(document)".into() } else { key },
                message: inner.message().trim().to_string(),
            }
        })
    }

    /// Adds a target, or replaces the one with the same id.
    pub fn upsert_target(&mut self, target: TargetFile) {
        match self.targets.iter_mut().find(|t| t.id == target.id) {
            Some(existing) => *existing = target,
            None => self.targets.push(target),
        }
    }

    /// Removes the target `id`; `None` when there is none.
    pub fn remove_target(&mut self, id: &str) -> Option<TargetFile> {
        let index = self.targets.iter().position(|t| t.id == id)?;
        Some(self.targets.remove(index))
    }

    /// Turns probing of `id` on or off; `false` when there is no such target.
    pub fn set_enabled(&mut self, id: &str, enabled: bool) -> bool {
        let Some(target) = self.targets.iter_mut().find(|t| t.id == id) else {
            return false;
        };
        // `None` means enabled: keep files free of a key that says the default.
        target.enabled = (!enabled).then_some(false);
        true
    }

    /// The file as the page sees it and an export writes it: alert channels' URLs masked.
    pub fn masked(&self) -> ConfigFile {
        ConfigFile {
            alerts: self.alerts.iter().map(AlertFile::masked).collect(),
            ..self.clone()
        }
    }

    /// Puts back the channel URLs that [`ConfigFile::masked`] hid, from `current`.
    pub fn restore_secrets(&mut self, current: &ConfigFile) {
        channels::restore_secrets(&mut self.alerts, &current.alerts);
    }

    /// Serializes back to the TOML format (for export from the desktop app).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(self)
    }

    /// Parses and validates text the user wrote (a config file, an import): every error names
    /// the line of the key at fault.
    pub fn parse_checked(text: &str, origin: &str) -> Result<(ConfigFile, Config), ConfigError> {
        let file = ConfigFile::parse(text, origin)?;
        // The spans are only needed for an error: the text is parsed for them only then.
        let lines = OnceCell::new();
        let line_of =
            |table: Table, key: &str| lines.get_or_init(|| KeyLines::parse(text)).line(table, key);
        let config = file.check(origin, &line_of)?;
        Ok((file, config))
    }

    /// Validates a configuration that was never text (edited in a form): its errors name the
    /// key but no line, since there is no document the user could look the line up in.
    pub fn validate(&self, origin: &str) -> Result<Config, ConfigError> {
        self.check(origin, &|_, _| 0)
    }

    /// Fills defaults and checks what serde cannot: unique ids, usable URLs, sane numbers.
    /// `line_of` says on which line a key is written (0 when on none the user can see).
    fn check(
        &self,
        origin: &str,
        line_of: &dyn Fn(Table, &str) -> usize,
    ) -> Result<Config, ConfigError> {
        let invalid = |table: Table, key: &str, message: String| ConfigError::Invalid {
            origin: origin.to_string(),
            line: line_of(table, key),
            key: table.path(key),
            message,
        };

        let defaults_file = self.defaults.clone().unwrap_or_default();
        let defaults = merge_timing(&Timing::default(), &defaults_file);
        check_timing(&defaults, &defaults_file)
            .map_err(|(key, msg)| invalid(Table::Defaults, key, msg))?;

        let mut seen = HashSet::new();
        let mut targets = Vec::with_capacity(self.targets.len());
        for (i, t) in self.targets.iter().enumerate() {
            let table = Table::Target(i);
            if t.id.trim().is_empty() {
                return Err(invalid(table, "id", "must not be empty".into()));
            }
            if !seen.insert(t.id.clone()) {
                return Err(invalid(
                    table,
                    "id",
                    format!("duplicate id {:?}: every target needs its own", t.id),
                ));
            }
            if t.preset.is_some() && t.kind != Kind::OpenaiCompatible {
                return Err(invalid(
                    table,
                    "preset",
                    "presets apply only to kind = \"openai_compatible\"".into(),
                ));
            }
            let base = match (&t.base_url, default_base_url(t.kind, t.preset)) {
                (Some(url), _) => url.clone(),
                (None, Some(url)) => url.to_string(),
                (None, None) => {
                    return Err(invalid(
                        table,
                        "kind",
                        format!(
                            "base_url is required for kind {:?}{}",
                            t.kind.as_str(),
                            t.preset
                                .map(|p| format!(" with preset {:?}", p.as_str()))
                                .unwrap_or_default()
                        ),
                    ))
                }
            };
            let base_url = parse_base_url(&base).map_err(|m| invalid(table, "base_url", m))?;
            if let Some(env) = &t.api_key_env {
                if !is_env_name(env) {
                    return Err(invalid(
                        table,
                        "api_key_env",
                        // The value is not echoed: it may be a pasted key.
                        "is not an environment variable name (value not shown); put the variable's name here, never the key itself".into(),
                    ));
                }
                if is_reserved_env(env) {
                    return Err(invalid(
                        table,
                        "api_key_env",
                        format!(
                            "names {env}, which holds this program's own secret (serve's token); a probe would send it to the target"
                        ),
                    ));
                }
            }
            let models = target_models(t).map_err(|m| invalid(table, "models", m))?;
            if t.probe == Some(ProbeLevel::Inference) && !t.kind.is_local() && models.is_empty() {
                return Err(invalid(
                    table,
                    "probe",
                    "an inference probe on a cloud API needs `model` (the model the 1-token canary asks)".into(),
                ));
            }
            let written = t.timing();
            let timing = merge_timing(&defaults, &written);
            check_timing(&timing, &written).map_err(|(key, msg)| invalid(table, key, msg))?;
            let api_version = match (t.preset, &t.api_version) {
                (_, Some(v)) => Some(v.clone()),
                (Some(Preset::Azure), None) => Some(AZURE_API_VERSION.to_string()),
                (_, None) => None,
            };
            let status_page = match &t.status_page {
                Some(page) if page.trim().is_empty() => None,
                Some(page) => {
                    Some(parse_base_url(page).map_err(|m| invalid(table, "status_page", m))?)
                }
                // The provider's page speaks for the provider's own endpoint only, not for a
                // proxy or a server elsewhere that speaks its API.
                None if !official_host(&base_url, t.kind, t.preset) => None,
                None => default_status_page(t.kind, t.preset)
                    .and_then(|(page, _)| Url::parse(page).ok()),
            };
            let status_component =
                t.status_component
                    .as_deref()
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .or_else(|| {
                        // A preset's component belongs to the preset's page only.
                        (t.status_page.is_none() && official_host(&base_url, t.kind, t.preset))
                            .then(|| {
                                default_status_page(t.kind, t.preset)
                                    .and_then(|(_, c)| c.map(str::to_string))
                            })?
                    });
            if let Some(min) = t.min_credits {
                if !min.is_finite() || min < 0.0 {
                    return Err(invalid(
                        table,
                        "min_credits",
                        format!("must be a number of at least 0, not {min}"),
                    ));
                }
            }
            targets.push(Target {
                name: t
                    .name
                    .clone()
                    .unwrap_or_else(|| default_name(t.kind, t.preset, &t.id)),
                id: t.id.clone(),
                kind: t.kind,
                preset: t.preset,
                base_url,
                api_key_env: t
                    .api_key_env
                    .clone()
                    .or_else(|| default_key_env(t.kind, t.preset).map(str::to_string)),
                probe: t.probe.unwrap_or_default(),
                model: models.first().cloned(),
                models,
                api_version,
                enabled: t.enabled.unwrap_or(true),
                timing,
                status_page,
                status_component,
                min_credits: t.min_credits,
            });
        }
        let engine = self.engine.clone().unwrap_or_default();
        if engine.max_concurrent_probes == 0 {
            return Err(invalid(
                Table::Engine,
                "max_concurrent_probes",
                "must be at least 1".into(),
            ));
        }
        let target_ids: HashSet<String> = targets.iter().map(|t| t.id.clone()).collect();
        let alerts =
            channels::check_channels(&self.alerts, &target_ids, is_env_name, &|i, key, m| {
                invalid(Table::Alert(i), key, m)
            })?;
        let maintenance =
            maintenance::check_maintenance(&self.maintenance, &target_ids, &|i, key, m| {
                invalid(Table::Maintenance(i), key, m)
            })?;
        let notifications = notifications::check_notifications(
            &self.notifications.clone().unwrap_or_default(),
            &target_ids,
            maintenance::parse_time,
            &|key, m| invalid(Table::Notifications, key, m),
        )?;
        Ok(Config {
            engine,
            defaults,
            targets,
            alerts,
            notifications,
            maintenance,
        })
    }
}

impl From<&Target> for TargetFile {
    fn from(t: &Target) -> Self {
        TargetFile {
            id: t.id.clone(),
            name: Some(t.name.clone()),
            kind: t.kind,
            preset: t.preset,
            base_url: Some(t.base_url.to_string()),
            api_key_env: t.api_key_env.clone(),
            probe: Some(t.probe),
            model: t.model.clone(),
            models: (t.models.len() > 1).then(|| t.models.clone()),
            api_version: t.api_version.clone(),
            // Only what differs from the kind's defaults is written.
            status_page: match (&t.status_page, default_status_page(t.kind, t.preset)) {
                (Some(page), Some((default, _)))
                    if Url::parse(default).ok().as_ref() == Some(page) =>
                {
                    None
                }
                (Some(page), _) => Some(page.to_string()),
                (None, Some(_)) => Some(String::new()),
                (None, None) => None,
            },
            status_component: t.status_component.clone().filter(|c| {
                default_status_page(t.kind, t.preset).and_then(|(_, d)| d) != Some(c.as_str())
            }),
            min_credits: t.min_credits,
            enabled: Some(t.enabled),
            interval: Some(t.timing.interval),
            timeout: Some(t.timing.timeout),
            slow_ms: Some(t.timing.slow_ms),
            failure_threshold: Some(t.timing.failure_threshold),
            success_threshold: Some(t.timing.success_threshold),
            backoff_max: Some(t.timing.backoff_max),
            confirm_interval: Some(t.timing.confirm_interval),
            degraded_after: Some(t.timing.degraded_after),
        }
    }
}

impl From<&Config> for ConfigFile {
    fn from(c: &Config) -> Self {
        ConfigFile {
            engine: Some(c.engine.clone()),
            defaults: None,
            targets: c.targets.iter().map(TargetFile::from).collect(),
            // A resolved channel no longer knows how its secret was written.
            ..ConfigFile::default()
        }
    }
}

/// True for `localhost` (and names under it, RFC 6761), 127.0.0.0/8, `::1` (also as
/// `::ffff:127.x.y.z`) and the unspecified `0.0.0.0` / `::`, which a connection reaches as this
/// machine: servers on this machine, reachable without a network.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_unspecified())
        }
        None => false,
    }
}

pub fn default_base_url(kind: Kind, preset: Option<Preset>) -> Option<&'static str> {
    match kind {
        Kind::Ollama => Some("http://127.0.0.1:11434"),
        Kind::Lmstudio => Some("http://127.0.0.1:1234"),
        Kind::Openai => Some("https://api.openai.com/v1"),
        Kind::Anthropic => Some("https://api.anthropic.com"),
        Kind::Gemini => Some("https://generativelanguage.googleapis.com"),
        Kind::OpenaiCompatible => preset.and_then(Preset::default_base_url),
        Kind::Llamacpp => Some("http://127.0.0.1:8080"),
        Kind::Vllm => Some("http://127.0.0.1:8000"),
    }
}

/// Whether `base_url` is on the host of the kind's (or preset's) official endpoint.
fn official_host(base_url: &Url, kind: Kind, preset: Option<Preset>) -> bool {
    default_base_url(kind, preset)
        .and_then(|d| Url::parse(d).ok())
        .is_some_and(|d| d.host_str() == base_url.host_str())
}

/// The models a target watches: `model` first, then `models`, each once, blanks refused.
fn target_models(t: &TargetFile) -> Result<Vec<String>, String> {
    let mut models: Vec<String> = Vec::new();
    if let Some(m) = t.model.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        models.push(m.to_string());
    }
    for m in t.models.iter().flatten() {
        let m = m.trim();
        if m.is_empty() {
            return Err("model names must not be empty".into());
        }
        if !models.iter().any(|seen| seen == m) {
            models.push(m.to_string());
        }
    }
    Ok(models)
}

pub fn default_key_env(kind: Kind, preset: Option<Preset>) -> Option<&'static str> {
    match kind {
        Kind::Ollama => None,
        Kind::Lmstudio => Some("LM_API_TOKEN"),
        Kind::Openai => Some("OPENAI_API_KEY"),
        Kind::Anthropic => Some("ANTHROPIC_API_KEY"),
        Kind::Gemini => Some("GEMINI_API_KEY"),
        Kind::OpenaiCompatible => preset.and_then(Preset::key_env),
        Kind::Llamacpp | Kind::Vllm => None,
    }
}

pub(crate) fn default_name(kind: Kind, preset: Option<Preset>, id: &str) -> String {
    match (kind, preset) {
        (_, Some(p)) => p.display_name().to_string(),
        (Kind::Ollama, _) => "Ollama".into(),
        (Kind::Lmstudio, _) => "LM Studio".into(),
        (Kind::Openai, _) => "OpenAI".into(),
        (Kind::Anthropic, _) => "Anthropic".into(),
        (Kind::Gemini, _) => "Gemini".into(),
        (Kind::Llamacpp, _) => "llama.cpp".into(),
        (Kind::Vllm, _) => "vLLM".into(),
        (Kind::OpenaiCompatible, None) => id.to_string(),
    }
}

fn parse_base_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!("{text:?} must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL would leak into logs; use api_key_env".into());
    }
    if url.query().is_some() {
        // The query is not echoed: people paste `?key=...` URLs.
        return Err(
            "has a query string (not shown); keys belong in api_key_env, the api-version in api_version"
                .into(),
        );
    }
    Ok(url)
}

/// Variables that hold this program's own secrets (`LLM_HEALTH_TOKEN`, and any `LLM_HEALTH_*`
/// yet to come): a target naming one would have the probe send it to whatever host the target
/// names, so no target may.
pub fn is_reserved_env(name: &str) -> bool {
    name.to_ascii_uppercase().starts_with("LLM_HEALTH_")
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn merge_timing(base: &Timing, over: &TimingFile) -> Timing {
    Timing {
        interval: over.interval.unwrap_or(base.interval),
        timeout: over.timeout.unwrap_or(base.timeout),
        slow_ms: over.slow_ms.unwrap_or(base.slow_ms),
        failure_threshold: over.failure_threshold.unwrap_or(base.failure_threshold),
        success_threshold: over.success_threshold.unwrap_or(base.success_threshold),
        backoff_max: over.backoff_max.unwrap_or(base.backoff_max),
        confirm_interval: over.confirm_interval.unwrap_or(base.confirm_interval),
        degraded_after: over.degraded_after.unwrap_or(base.degraded_after),
    }
}

/// Checks merged timing; errors name a key that the file itself set when possible.
fn check_timing(t: &Timing, written: &TimingFile) -> Result<(), (&'static str, String)> {
    let blame = |key: &'static str, set: bool, fallback: &'static str| {
        if set {
            key
        } else {
            fallback
        }
    };
    let slow = Duration::from_millis(t.slow_ms);
    for (key, value) in [
        ("interval", t.interval),
        ("timeout", t.timeout),
        ("backoff_max", t.backoff_max),
        ("confirm_interval", t.confirm_interval),
        ("slow_ms", slow),
    ] {
        let Some(&(key, min, max)) = DURATION_BOUNDS.iter().find(|(k, ..)| *k == key) else {
            continue;
        };
        if value < min {
            return Err((key, format!("must be at least {}", bound_words(key, min))));
        }
        if value > max {
            return Err((key, format!("must be at most {}", bound_words(key, max))));
        }
    }
    if t.failure_threshold == 0 {
        return Err(("failure_threshold", "must be at least 1".into()));
    }
    if t.success_threshold == 0 {
        return Err(("success_threshold", "must be at least 1".into()));
    }
    if t.degraded_after == 0 {
        return Err(("degraded_after", "must be at least 1".into()));
    }
    if t.backoff_max < t.interval {
        return Err((
            blame("backoff_max", written.backoff_max.is_some(), "interval"),
            format!(
                "backoff_max ({}) must not be shorter than interval ({})",
                humantime::format_duration(t.backoff_max),
                humantime::format_duration(t.interval)
            ),
        ));
    }
    Ok(())
}

/// A bound as the user reads it: "1 day", "10 min", "500 ms"; `slow_ms` in its own unit.
fn bound_words(key: &str, d: Duration) -> String {
    let ms = d.as_millis();
    if key == "slow_ms" {
        return format!("{ms}");
    }
    let (n, unit) = match ms {
        0 => (0, "ms"),
        ms if ms % 86_400_000 == 0 => (ms / 86_400_000, "day"),
        ms if ms % 3_600_000 == 0 => (ms / 3_600_000, "h"),
        ms if ms % 60_000 == 0 => (ms / 60_000, "min"),
        ms if ms % 1000 == 0 => (ms / 1000, "s"),
        ms => (ms, "ms"),
    };
    let plural = if unit == "day" && n != 1 { "s" } else { "" };
    format!("{n} {unit}{plural}")
}

// ---- where keys are written -----------------------------------------------------------------

/// A list of target ids that narrows something to those targets (`None`: every target); each
/// must be configured, so a typo is an error rather than a filter that never matches.
fn target_filter(
    ids: Option<&[String]>,
    known: &HashSet<String>,
) -> Result<Option<std::collections::BTreeSet<String>>, String> {
    let Some(ids) = ids else {
        return Ok(None);
    };
    match ids.iter().find(|id| !known.contains(*id)) {
        Some(unknown) => Err(format!(
            "names {unknown:?}, which is not a configured target id"
        )),
        None => Ok(Some(ids.iter().cloned().collect())),
    }
}

/// The tables of the file whose keys validation checks.
#[derive(Debug, Clone, Copy)]
enum Table {
    Engine,
    Defaults,
    Target(usize),
    Alert(usize),
    Maintenance(usize),
    Notifications,
}

impl Table {
    /// The dotted path of `key` in this table, as errors name it.
    fn path(self, key: &str) -> String {
        match self {
            Table::Engine => format!("engine.{key}"),
            Table::Defaults => format!("defaults.{key}"),
            Table::Target(i) => format!("targets[{i}].{key}"),
            Table::Alert(i) => format!("alerts[{i}].{key}"),
            Table::Maintenance(i) => format!("maintenance[{i}].{key}"),
            Table::Notifications => format!("notifications.{key}"),
        }
    }
}

/// The keys of a table as toml's parser read them, each with its span, however it is spelled:
/// bare, quoted, dotted (`defaults.interval = ...`), or inside an inline table.
type SpannedKeys = BTreeMap<toml::Spanned<String>, IgnoredAny>;

/// The document read a second time, for the spans of the keys that validation checks.
#[derive(Debug, Default, Deserialize)]
struct SpannedFile {
    // Not `Spanned` tables: a table made by dotted keys has no span of its own.
    #[serde(default)]
    engine: Option<SpannedKeys>,
    #[serde(default)]
    defaults: Option<SpannedKeys>,
    // A target is always a table of its own (`[[targets]]` or `{ ... }`), spanned.
    #[serde(default)]
    targets: Vec<toml::Spanned<SpannedKeys>>,
    #[serde(default)]
    notifications: Option<SpannedKeys>,
    #[serde(default)]
    alerts: Vec<toml::Spanned<SpannedKeys>>,
    #[serde(default)]
    maintenance: Vec<toml::Spanned<SpannedKeys>>,
}

/// Lines of the keys of a config text.
struct KeyLines<'a> {
    text: &'a str,
    file: SpannedFile,
}

impl<'a> KeyLines<'a> {
    /// `text` already parsed as a [`ConfigFile`], so it has this shape; if it somehow has not,
    /// errors go without lines rather than with wrong ones.
    fn parse(text: &'a str) -> Self {
        KeyLines {
            text,
            file: toml::from_str(text).unwrap_or_default(),
        }
    }

    /// The 1-based line where `key` is set in `table`; for a key the table inherits, the
    /// table's own line (a target's header, the first key of `[defaults]` or `[engine]`); 0
    /// when the table is not written at all.
    fn line(&self, table: Table, key: &str) -> usize {
        let (keys, table_start) = match table {
            Table::Engine => (self.file.engine.as_ref(), None),
            Table::Defaults => (self.file.defaults.as_ref(), None),
            Table::Notifications => (self.file.notifications.as_ref(), None),
            Table::Target(i) => spanned_table(&self.file.targets, i),
            Table::Alert(i) => spanned_table(&self.file.alerts, i),
            Table::Maintenance(i) => spanned_table(&self.file.maintenance, i),
        };
        let Some(keys) = keys else {
            return 0;
        };
        keys.get_key_value(key)
            .map(|(key, _)| key.span().start)
            .or(table_start)
            .or_else(|| keys.keys().map(|key| key.span().start).min())
            .map_or(0, |offset| line_at(self.text, offset))
    }
}

/// Entry `i` of an array of tables, and where it starts.
fn spanned_table(
    tables: &[toml::Spanned<SpannedKeys>],
    i: usize,
) -> (Option<&SpannedKeys>, Option<usize>) {
    match tables.get(i) {
        Some(table) => (Some(table.get_ref()), Some(table.span().start)),
        None => (None, None),
    }
}

/// The 1-based line of a byte offset into `text`.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Durations written the way people say them: "30s", "5m", "1h 30m", "250ms".
mod human_duration {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    pub fn parse(text: &str) -> Result<Duration, String> {
        humantime::parse_duration(text.trim()).map_err(|e| {
            format!("{text:?} is not a duration ({e}); write it like \"30s\", \"5m\" or \"250ms\"")
        })
    }
}

mod opt_human_duration {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::human_duration::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text = String::deserialize(d)?;
        super::human_duration::parse(&text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, String, String) {
        match Config::parse(text, "t.toml") {
            Err(ConfigError::Invalid {
                line, key, message, ..
            }) => (line, key, message),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn the_contract_example_parses() {
        let text = r#"
[defaults]
interval = "30s"
timeout = "10s"
slow_ms = 3000
failure_threshold = 2
success_threshold = 2

[[targets]]
id = "local-ollama"
kind = "ollama"
base_url = "http://127.0.0.1:11434"
probe = "reachable"
model = "llama3.2"

[[targets]]
id = "openai"
kind = "openai"
api_key_env = "OPENAI_API_KEY"
probe = "inference"
model = "gpt-4o-mini"
interval = "5m"
"#;
        let c = Config::parse(text, "t.toml").unwrap();
        assert_eq!(c.targets.len(), 2);
        let o = &c.targets[0];
        assert_eq!(o.kind, Kind::Ollama);
        assert_eq!(o.timing.interval, Duration::from_secs(30));
        assert_eq!(o.model.as_deref(), Some("llama3.2"));
        let ai = &c.targets[1];
        assert_eq!(ai.base_url.as_str(), "https://api.openai.com/v1");
        assert_eq!(ai.probe, ProbeLevel::Inference);
        assert_eq!(ai.timing.interval, Duration::from_secs(300));
        assert_eq!(ai.timing.timeout, Duration::from_secs(10));
    }

    #[test]
    fn unknown_kind_names_line_and_key() {
        let (line, key, msg) = err("[[targets]]\nid = \"x\"\nkind = \"olama\"\n");
        assert_eq!(line, 3);
        assert_eq!(key, "targets[0].kind");
        assert!(msg.contains("olama"), "{msg}");
    }

    #[test]
    fn unknown_key_is_rejected_with_its_line() {
        let (line, key, msg) = err(
            "[[targets]]\nid = \"a\"\nkind = \"ollama\"\n\n[[targets]]\nid = \"b\"\nkind = \"openai\"\napi_key = \"sk-123\"\n",
        );
        assert_eq!(line, 8, "{key} {msg}");
        assert!(key.starts_with("targets[1]"), "{key}");
        assert!(msg.contains("api_key"), "{msg}");
    }

    #[test]
    fn bad_duration_names_line_and_key() {
        let (line, key, msg) = err("[defaults]\ninterval = \"often\"\n");
        assert_eq!(line, 2);
        assert_eq!(key, "defaults.interval");
        assert!(msg.contains("not a duration"), "{msg}");
    }

    #[test]
    fn syntax_error_names_the_line() {
        let (line, _key, _msg) = err("[[targets]]\nid = \"a\"\nkind = ollama\n");
        assert_eq!(line, 3);
    }

    #[test]
    fn duplicate_ids_are_rejected_at_the_second() {
        let (line, key, _) = err(
            "[[targets]]\nid = \"a\"\nkind = \"ollama\"\n[[targets]]\nid = \"a\"\nkind = \"lmstudio\"\n",
        );
        assert_eq!((line, key.as_str()), (5, "targets[1].id"));
    }

    #[test]
    fn a_key_in_api_key_env_is_refused() {
        let (line, key, msg) =
            err("[[targets]]\nid = \"a\"\nkind = \"openai\"\napi_key_env = \"sk-abc-123\"\n");
        assert_eq!((line, key.as_str()), (4, "targets[0].api_key_env"));
        assert!(msg.contains("never the key"), "{msg}");
        assert!(!msg.contains("sk-abc"), "{msg}");
    }

    #[test]
    fn api_key_env_may_not_name_the_servers_own_token() {
        for name in ["LLM_HEALTH_TOKEN", "llm_health_token"] {
            let (line, key, msg) = err(&format!(
                "[[targets]]\nid = \"a\"\nkind = \"openai\"\napi_key_env = \"{name}\"\n"
            ));
            assert_eq!((line, key.as_str()), (4, "targets[0].api_key_env"));
            assert!(msg.contains("own secret"), "{msg}");
        }
    }

    #[test]
    fn azure_needs_a_base_url_and_gets_an_api_version() {
        let (_, key, _) =
            err("[[targets]]\nid = \"az\"\nkind = \"openai_compatible\"\npreset = \"azure\"\n");
        assert_eq!(key, "targets[0].kind");
        let c = Config::parse(
            "[[targets]]\nid = \"az\"\nkind = \"openai_compatible\"\npreset = \"azure\"\nbase_url = \"https://x.openai.azure.com\"\n",
            "t",
        )
        .unwrap();
        assert_eq!(c.targets[0].api_version.as_deref(), Some("2024-10-21"));
        assert_eq!(c.targets[0].auth_style(), AuthStyle::AzureKey);
        assert_eq!(
            c.targets[0].api_key_env.as_deref(),
            Some("AZURE_OPENAI_API_KEY")
        );
    }

    #[test]
    fn presets_fill_url_and_key_variable() {
        let c = Config::parse(
            "[[targets]]\nid = \"g\"\nkind = \"openai_compatible\"\npreset = \"groq\"\n",
            "t",
        )
        .unwrap();
        let t = &c.targets[0];
        assert_eq!(t.base_url.as_str(), "https://api.groq.com/openai/v1");
        assert_eq!(t.api_key_env.as_deref(), Some("GROQ_API_KEY"));
        assert_eq!(t.name, "Groq");
    }

    #[test]
    fn thresholds_and_urls_are_checked() {
        let (line, key, _) =
            err("[[targets]]\nid = \"a\"\nkind = \"ollama\"\nfailure_threshold = 0\n");
        assert_eq!((line, key.as_str()), (4, "targets[0].failure_threshold"));
        let (line, key, _) =
            err("[[targets]]\nid = \"a\"\nkind = \"ollama\"\nbase_url = \"ftp://x\"\n");
        assert_eq!((line, key.as_str()), (4, "targets[0].base_url"));
        let (_, key, msg) = err(
            "[[targets]]\nid = \"a\"\nkind = \"gemini\"\nbase_url = \"https://g.example/?key=abc\"\n",
        );
        assert_eq!(key, "targets[0].base_url");
        assert!(!msg.contains("abc"), "{msg}");
    }

    #[test]
    fn confirm_interval_and_degraded_after_are_bounded() {
        let c = Config::parse("[[targets]]\nid = \"a\"\nkind = \"ollama\"\n", "t").unwrap();
        let t = &c.targets[0].timing;
        assert_eq!(
            (t.confirm_interval, t.degraded_after),
            (Duration::from_secs(5), 3)
        );
        assert_eq!(t.confirm_delay(), Duration::from_secs(5));

        let (line, key, msg) =
            err("[[targets]]\nid = \"a\"\nkind = \"ollama\"\nconfirm_interval = \"100ms\"\n");
        assert_eq!((line, key.as_str()), (4, "targets[0].confirm_interval"));
        assert_eq!(msg, "must be at least 500 ms");
        let (line, key, msg) = err("[defaults]\nconfirm_interval = \"2days\"\n");
        assert_eq!((line, key.as_str()), (2, "defaults.confirm_interval"));
        assert_eq!(msg, "must be at most 1 day");
        let (line, key, msg) =
            err("[[targets]]\nid = \"a\"\nkind = \"ollama\"\ndegraded_after = 0\n");
        assert_eq!((line, key.as_str()), (4, "targets[0].degraded_after"));
        assert_eq!(msg, "must be at least 1");

        // Longer than the interval: kept as written (so it round-trips), used as the interval.
        let c = Config::parse(
            "[defaults]\nconfirm_interval = \"20s\"\n\n[[targets]]\nid = \"a\"\nkind = \"ollama\"\ninterval = \"1s\"\ndegraded_after = 1\n",
            "t",
        )
        .unwrap();
        let t = &c.targets[0].timing;
        assert_eq!(t.confirm_interval, Duration::from_secs(20));
        assert_eq!(t.confirm_delay(), Duration::from_secs(1));
        assert_eq!(t.degraded_after, 1);
        let file = TargetFile::from(&c.targets[0]);
        assert_eq!(file.confirm_interval, Some(Duration::from_secs(20)));
        assert_eq!(file.degraded_after, Some(1));
        assert_eq!(file.timing().confirm_interval, file.confirm_interval);
    }

    #[test]
    fn cloud_inference_needs_a_model() {
        let (line, key, _) =
            err("[[targets]]\nid = \"a\"\nkind = \"anthropic\"\nprobe = \"inference\"\n");
        assert_eq!((line, key.as_str()), (4, "targets[0].probe"));
    }

    #[test]
    fn export_round_trips() {
        let c = Config::parse(
            "[[targets]]\nid = \"g\"\nkind = \"openai_compatible\"\npreset = \"groq\"\nprobe = \"inference\"\nmodel = \"llama-3.1-8b-instant\"\ninterval = \"2m\"\n",
            "t",
        )
        .unwrap();
        let text = ConfigFile::from(&c).to_toml().unwrap();
        let back = Config::parse(&text, "export").unwrap();
        assert_eq!(back, c);
    }

    fn line_and_key(text: &str) -> (usize, String) {
        let (line, key, _) = err(text);
        (line, key)
    }

    #[test]
    fn dotted_keys_are_located() {
        let text = "# timing for all\ndefaults.timeout = \"5s\"\ndefaults.interval = \"100ms\"\n";
        assert_eq!(line_and_key(text), (3, "defaults.interval".into()));
        let text = "defaults.interval = \"1m\"\n\nengine.max_concurrent_probes = 0\n";
        assert_eq!(
            line_and_key(text),
            (3, "engine.max_concurrent_probes".into())
        );
    }

    #[test]
    fn quoted_keys_are_located() {
        let text = "[[targets]]\n\"id\" = \"a\"\nkind = \"ollama\"\n\n[[targets]]\n\"kind\" = \"ollama\"\n\"id\" = \"a\"\n";
        assert_eq!(line_and_key(text), (7, "targets[1].id".into()));
        let text = "[[targets]]\nid = \"a\"\nkind = \"ollama\"\n'base_url' = \"ftp://x\"\n";
        assert_eq!(line_and_key(text), (4, "targets[0].base_url".into()));
    }

    #[test]
    fn inline_table_targets_are_located() {
        let text = "targets = [\n  { id = \"a\", kind = \"ollama\" },\n  { id = \"b\", kind = \"ollama\", base_url = \"ftp://x\" },\n]\n";
        assert_eq!(line_and_key(text), (3, "targets[1].base_url".into()));
        let text = "\ntargets = [{ id = \"a\", kind = \"ollama\" }, { id = \"a\", kind = \"lmstudio\" }]\n";
        assert_eq!(line_and_key(text), (2, "targets[1].id".into()));
        let text = "engine = { max_concurrent_probes = 0 }\n";
        assert_eq!(
            line_and_key(text),
            (1, "engine.max_concurrent_probes".into())
        );
    }

    #[test]
    fn targets_after_comments_and_look_alikes_are_located() {
        // Comments and a multi-line string that look like keys and headers are neither.
        let text = r#"# [[targets]]
# id = "commented"

[[targets]] # the local one
# failure_threshold = 3
id = "a"
name = """
[[targets]]
failure_threshold = 1
"""
kind = "ollama"

# [[targets]]
[[targets]]
id = "b"  # failure_threshold = 5
kind = "lmstudio"
  failure_threshold = 0
"#;
        assert_eq!(
            line_and_key(text),
            (17, "targets[1].failure_threshold".into())
        );
    }

    #[test]
    fn the_third_targets_bad_base_url_is_located() {
        let text = r#"[defaults]
interval = "1m"

[[targets]]
id = "ollama"
kind = "ollama"
base_url = "http://127.0.0.1:11434"

[[targets]]
id = "lms"
kind = "lmstudio"
base_url = "http://127.0.0.1:1234"

[[targets]]
id = "vllm"
kind = "openai_compatible"
base_url = "localhost:8000/v1"
"#;
        let (line, key, msg) = err(text);
        assert_eq!((line, key.as_str()), (17, "targets[2].base_url"));
        assert!(msg.contains("localhost:8000"), "{msg}");
    }

    #[test]
    fn defaults_interval_is_located() {
        let (line, key, msg) = err("[defaults]\ntimeout = \"5s\"\ninterval = \"100ms\"\n\n[[targets]]\nid = \"a\"\nkind = \"ollama\"\ninterval = \"100ms\"\n");
        assert_eq!((line, key.as_str()), (3, "defaults.interval"));
        assert!(msg.contains("at least"), "{msg}");
        // Inherited by the target from a valid default, but set too long for its backoff.
        let (line, key, _) = err("[defaults]\nbackoff_max = \"10m\"\n\n[[targets]]\nid = \"a\"\nkind = \"ollama\"\ninterval = \"20m\"\n");
        assert_eq!((line, key.as_str()), (7, "targets[0].interval"));
    }

    #[test]
    fn engine_max_concurrent_probes_is_located() {
        let text = "[[targets]]\nid = \"a\"\nkind = \"ollama\"\n\n[engine]\n# at most\nmax_concurrent_probes = 0\n";
        let (line, key, msg) = err(text);
        assert_eq!((line, key.as_str()), (7, "engine.max_concurrent_probes"));
        assert_eq!(msg, "must be at least 1");
        // Not fooled by a target key of the same name before it (the old scanner was).
        let text = "[[targets]]\nid = \"a\"\nkind = \"ollama\"\nname = \"\"\"\nmax_concurrent_probes = 0\n\"\"\"\n[engine]\nmax_concurrent_probes = 0\n";
        assert_eq!(
            line_and_key(text),
            (8, "engine.max_concurrent_probes".into())
        );
    }

    #[test]
    fn an_inherited_key_points_at_its_table() {
        let text = "[defaults]\n\ntimeout = \"5s\"\n\n[[targets]]\nid = \"a\"\nkind = \"ollama\"\n\n  [[targets]]\nid = \"b\"\nkind = \"ollama\"\n";
        let lines = KeyLines::parse(text);
        assert_eq!(lines.line(Table::Target(1), "interval"), 9);
        assert_eq!(lines.line(Table::Target(1), "kind"), 11);
        assert_eq!(lines.line(Table::Defaults, "interval"), 3);
        assert_eq!(lines.line(Table::Engine, "max_concurrent_probes"), 0);
        assert_eq!(lines.line(Table::Target(2), "id"), 0);
    }

    #[test]
    fn errors_read_origin_line_key_message() {
        let e = Config::parse(
            "[[targets]]\nid = \"a\"\nkind = \"ollama\"\nbase_url = \"ftp://x\"\n",
            "t.toml",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.toml:4: targets[0].base_url: \"ftp://x\" must start with http:// or https://"
        );
    }

    #[test]
    fn parse_checked_returns_the_file_and_its_config() {
        let text = "[[targets]]\nid = \"g\"\nkind = \"openai_compatible\"\npreset = \"groq\"\n";
        let (file, config) = ConfigFile::parse_checked(text, "t").unwrap();
        assert_eq!(file, ConfigFile::parse(text, "t").unwrap());
        assert_eq!(config, Config::parse(text, "t").unwrap());
        assert_eq!(file.targets[0].base_url, None, "the file stays as written");
        let e = ConfigFile::parse_checked("[[targets]]\nid = \" \"\nkind = \"ollama\"\n", "t");
        assert!(
            matches!(e, Err(ConfigError::Invalid { line: 2, .. })),
            "{e:?}"
        );
    }

    #[test]
    fn validate_errors_name_no_line() {
        // A target as a form makes it: only what the user set.
        let target = |id: &str| TargetFile {
            id: id.into(),
            ..ConfigFile::parse("[[targets]]\nid = \"x\"\nkind = \"ollama\"\n", "t")
                .unwrap()
                .targets
                .remove(0)
        };
        let file = ConfigFile {
            targets: vec![target("a"), target("a")],
            ..ConfigFile::default()
        };
        let e = file.validate("settings").unwrap_err();
        assert!(matches!(&e, ConfigError::Invalid { line: 0, .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "settings: targets[1].id: duplicate id \"a\": every target needs its own"
        );
        let mut file = ConfigFile {
            engine: Some(EngineSettings {
                max_concurrent_probes: 0,
            }),
            defaults: Some(TimingFile {
                interval: Some(Duration::from_secs(60)),
                ..TimingFile::default()
            }),
            targets: vec![target("a")],
            ..ConfigFile::default()
        };
        let e = file.validate("settings").unwrap_err();
        assert_eq!(
            e.to_string(),
            "settings: engine.max_concurrent_probes: must be at least 1"
        );
        file.engine = None;
        file.targets[0].base_url = Some("ftp://x".into());
        let e = file.validate("settings").unwrap_err();
        assert!(
            e.to_string().starts_with("settings: targets[0].base_url: "),
            "{e}"
        );
        file.targets[0].base_url = None;
        assert_eq!(
            file.validate("settings").unwrap().targets[0]
                .timing
                .interval,
            Duration::from_secs(60)
        );
    }

    #[test]
    fn typescript_declarations_have_the_ui_shapes() {
        let cfg = ts_rs::Config::default();
        let target = <TargetFile as ts_rs::TS>::decl(&cfg);
        println!("{target}");
        // `ui/src/types.ts`, with `extends TimingFile` written out.
        assert_eq!(
            target,
            "type TargetFile = { id: string, name?: string, kind: Kind, preset?: Preset, \
             base_url?: string, api_key_env?: string, probe?: ProbeLevel, model?: string, \
             models?: Array<string>, api_version?: string, enabled?: boolean, \
             status_page?: string, status_component?: string, min_credits?: number, \
             interval?: string, timeout?: string, \
             slow_ms?: number, failure_threshold?: number, success_threshold?: number, \
             backoff_max?: string, confirm_interval?: string, degraded_after?: number, };"
        );
        assert_eq!(
            <TimingFile as ts_rs::TS>::decl(&cfg),
            "type TimingFile = { interval?: string, timeout?: string, slow_ms?: number, \
             failure_threshold?: number, success_threshold?: number, backoff_max?: string, \
             confirm_interval?: string, degraded_after?: number, };"
        );
        assert_eq!(
            <ConfigFile as ts_rs::TS>::decl(&cfg),
            "type ConfigFile = { engine?: EngineSettings, defaults?: TimingFile, \
             targets: Array<TargetFile>, notifications?: NotificationsFile, \
             alerts?: Array<AlertFile>, maintenance?: Array<MaintenanceFile>, };"
        );
        // `usize` is a `number` already.
        let engine = <EngineSettings as ts_rs::TS>::decl(&cfg);
        assert!(
            engine.contains("max_concurrent_probes: number,"),
            "{engine}"
        );
        assert_eq!(
            <Preset as ts_rs::TS>::decl(&cfg),
            r#"type Preset = "groq" | "mistral" | "openrouter" | "deepseek" | "together" | "azure" | "jan" | "localai" | "koboldcpp" | "text_generation_webui";"#
        );
    }

    #[test]
    fn openapi_schema_writes_durations_as_strings() {
        let schema = serde_json::to_value(<TargetFile as utoipa::PartialSchema>::schema()).unwrap();
        println!("{schema:#}");
        let properties = &schema["properties"];
        for key in ["interval", "timeout", "backoff_max", "confirm_interval"] {
            assert_eq!(
                properties[key]["type"],
                serde_json::json!(["string", "null"]),
                "{key}"
            );
        }
        assert_eq!(
            properties["slow_ms"]["type"],
            serde_json::json!(["integer", "null"])
        );
        assert_eq!(properties["kind"]["$ref"], "#/components/schemas/Kind");
        assert_eq!(
            schema["required"],
            serde_json::json!(["id", "kind"]),
            "only what serde requires"
        );
        let engine =
            serde_json::to_value(<EngineSettings as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            engine["properties"]["max_concurrent_probes"]["type"],
            "integer"
        );
    }
}
