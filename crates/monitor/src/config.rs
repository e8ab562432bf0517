//! Targets and their configuration: the TOML file format (a contract other tools write), the
//! defaults, the presets for OpenAI-compatible providers, and auto-detection's shape.

use crate::domain::{Kind, ProbeLevel, TargetId};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

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
        }
    }
}

/// Named settings for the OpenAI-compatible providers, so a config says `preset = "groq"`
/// instead of repeating base URLs and key variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Groq,
    Mistral,
    Openrouter,
    Deepseek,
    Together,
    Azure,
}

impl Preset {
    pub const ALL: [Preset; 6] = [
        Preset::Groq,
        Preset::Mistral,
        Preset::Openrouter,
        Preset::Deepseek,
        Preset::Together,
        Preset::Azure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Groq => "groq",
            Preset::Mistral => "mistral",
            Preset::Openrouter => "openrouter",
            Preset::Deepseek => "deepseek",
            Preset::Together => "together",
            Preset::Azure => "azure",
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
        }
    }

    pub fn key_env(self) -> &'static str {
        match self {
            Preset::Groq => "GROQ_API_KEY",
            Preset::Mistral => "MISTRAL_API_KEY",
            Preset::Openrouter => "OPENROUTER_API_KEY",
            Preset::Deepseek => "DEEPSEEK_API_KEY",
            Preset::Together => "TOGETHER_API_KEY",
            Preset::Azure => "AZURE_OPENAI_API_KEY",
        }
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
    /// Azure OpenAI's `api-version` query parameter.
    pub api_version: Option<String>,
    pub enabled: bool,
    pub timing: Timing,
}

impl Target {
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
        self.api_key_env.is_some() || !self.kind.is_local()
    }

    /// The key of the server this target runs on: probes of targets sharing a local server are
    /// serialized on it, because a local server serves one model at a time.
    pub fn server_key(&self) -> String {
        format!(
            "{}://{}:{}",
            self.base_url.scheme(),
            self.base_url.host_str().unwrap_or(""),
            self.base_url.port_or_known_default().unwrap_or(0)
        )
    }
}

/// Engine-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

// ---- the file format -------------------------------------------------------------------------

/// The file as written: every per-target key optional, so defaults can fill in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<TimingFile>,
    #[serde(default)]
    pub targets: Vec<TargetFile>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingFile {
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub interval: Option<Duration>,
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    pub backoff_max: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub interval: Option<Duration>,
    #[serde(
        default,
        with = "opt_human_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    pub backoff_max: Option<Duration>,
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
        }
    }
}

const AZURE_API_VERSION: &str = "2024-10-21";
/// Below this, probing turns into load on the endpoint rather than observation of it.
const MIN_INTERVAL: Duration = Duration::from_millis(500);

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
        let file = ConfigFile::parse(text, origin)?;
        file.resolve(text, origin)
    }

    pub fn enabled_targets(&self) -> impl Iterator<Item = &Target> {
        self.targets.iter().filter(|t| t.enabled)
    }

    pub fn target(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.id == id)
    }
}

impl ConfigFile {
    pub fn parse(text: &str, origin: &str) -> Result<ConfigFile, ConfigError> {
        let deserializer = toml::Deserializer::new(text);
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let key = err.path().to_string();
            let inner = err.into_inner();
            let line = inner
                .span()
                .map(|span| line_of_offset(text, span.start))
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

    /// Serializes back to the TOML format (for export from the desktop app).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(self)
    }

    /// Fills defaults and checks what serde cannot: unique ids, usable URLs, sane numbers.
    pub fn resolve(self, text: &str, origin: &str) -> Result<Config, ConfigError> {
        let invalid = |section: Section, key: &str, message: String| {
            let line = locate_key(text, section, key);
            let path = match section {
                Section::Defaults => format!("defaults.{key}"),
                Section::Target(i) => format!("targets[{i}].{key}"),
            };
            ConfigError::Invalid {
                origin: origin.to_string(),
                line,
                key: path,
                message,
            }
        };

        let defaults_file = self.defaults.unwrap_or_default();
        let defaults = merge_timing(&Timing::default(), &defaults_file);
        check_timing(&defaults, &defaults_file)
            .map_err(|(key, msg)| invalid(Section::Defaults, key, msg))?;

        let mut seen = HashSet::new();
        let mut targets = Vec::with_capacity(self.targets.len());
        for (i, t) in self.targets.into_iter().enumerate() {
            let section = Section::Target(i);
            if t.id.trim().is_empty() {
                return Err(invalid(section, "id", "must not be empty".into()));
            }
            if !seen.insert(t.id.clone()) {
                return Err(invalid(
                    section,
                    "id",
                    format!("duplicate id {:?}: every target needs its own", t.id),
                ));
            }
            if t.preset.is_some() && t.kind != Kind::OpenaiCompatible {
                return Err(invalid(
                    section,
                    "preset",
                    "presets apply only to kind = \"openai_compatible\"".into(),
                ));
            }
            let base = match (&t.base_url, default_base_url(t.kind, t.preset)) {
                (Some(url), _) => url.clone(),
                (None, Some(url)) => url.to_string(),
                (None, None) => {
                    return Err(invalid(
                        section,
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
            let base_url = parse_base_url(&base).map_err(|m| invalid(section, "base_url", m))?;
            if let Some(env) = &t.api_key_env {
                if !is_env_name(env) {
                    return Err(invalid(
                        section,
                        "api_key_env",
                        // The value is not echoed: it may be a pasted key.
                        "is not an environment variable name (value not shown); put the variable's name here, never the key itself".into(),
                    ));
                }
            }
            if t.probe == Some(ProbeLevel::Inference) && !t.kind.is_local() && t.model.is_none() {
                return Err(invalid(
                    section,
                    "probe",
                    "an inference probe on a cloud API needs `model` (the model the 1-token canary asks)".into(),
                ));
            }
            let written = t.timing();
            let timing = merge_timing(&defaults, &written);
            check_timing(&timing, &written).map_err(|(key, msg)| invalid(section, key, msg))?;
            let api_version = match (t.preset, t.api_version) {
                (_, Some(v)) => Some(v),
                (Some(Preset::Azure), None) => Some(AZURE_API_VERSION.to_string()),
                (_, None) => None,
            };
            targets.push(Target {
                name: t
                    .name
                    .clone()
                    .unwrap_or_else(|| default_name(t.kind, t.preset, &t.id)),
                id: t.id,
                kind: t.kind,
                preset: t.preset,
                base_url,
                api_key_env: t
                    .api_key_env
                    .or_else(|| default_key_env(t.kind, t.preset).map(str::to_string)),
                probe: t.probe.unwrap_or_default(),
                model: t.model.filter(|m| !m.trim().is_empty()),
                api_version,
                enabled: t.enabled.unwrap_or(true),
                timing,
            });
        }
        let engine = self.engine.unwrap_or_default();
        if engine.max_concurrent_probes == 0 {
            return Err(ConfigError::Invalid {
                origin: origin.to_string(),
                line: locate_plain_key(text, "max_concurrent_probes"),
                key: "engine.max_concurrent_probes".into(),
                message: "must be at least 1".into(),
            });
        }
        Ok(Config {
            engine,
            defaults,
            targets,
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
            api_version: t.api_version.clone(),
            enabled: Some(t.enabled),
            interval: Some(t.timing.interval),
            timeout: Some(t.timing.timeout),
            slow_ms: Some(t.timing.slow_ms),
            failure_threshold: Some(t.timing.failure_threshold),
            success_threshold: Some(t.timing.success_threshold),
            backoff_max: Some(t.timing.backoff_max),
        }
    }
}

impl From<&Config> for ConfigFile {
    fn from(c: &Config) -> Self {
        ConfigFile {
            engine: Some(c.engine.clone()),
            defaults: None,
            targets: c.targets.iter().map(TargetFile::from).collect(),
        }
    }
}

/// True for `localhost`, 127.0.0.0/8 and `::1`: servers on this machine, reachable without a
/// network.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
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
    }
}

pub fn default_key_env(kind: Kind, preset: Option<Preset>) -> Option<&'static str> {
    match kind {
        Kind::Ollama => None,
        Kind::Lmstudio => Some("LM_API_TOKEN"),
        Kind::Openai => Some("OPENAI_API_KEY"),
        Kind::Anthropic => Some("ANTHROPIC_API_KEY"),
        Kind::Gemini => Some("GEMINI_API_KEY"),
        Kind::OpenaiCompatible => preset.map(Preset::key_env),
    }
}

fn default_name(kind: Kind, preset: Option<Preset>, id: &str) -> String {
    match (kind, preset) {
        (_, Some(p)) => p.display_name().to_string(),
        (Kind::Ollama, _) => "Ollama".into(),
        (Kind::Lmstudio, _) => "LM Studio".into(),
        (Kind::Openai, _) => "OpenAI".into(),
        (Kind::Anthropic, _) => "Anthropic".into(),
        (Kind::Gemini, _) => "Gemini".into(),
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
    if t.interval < MIN_INTERVAL {
        return Err(("interval", format!("must be at least {MIN_INTERVAL:?}")));
    }
    if t.timeout.is_zero() {
        return Err(("timeout", "must be more than zero".into()));
    }
    if t.failure_threshold == 0 {
        return Err(("failure_threshold", "must be at least 1".into()));
    }
    if t.success_threshold == 0 {
        return Err(("success_threshold", "must be at least 1".into()));
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

#[derive(Debug, Clone, Copy)]
enum Section {
    Defaults,
    Target(usize),
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Finds the 1-based line where `key` is set inside a section, or the section header when the
/// key is inherited; 0 when neither is written (the value came from a built-in default).
fn locate_key(text: &str, section: Section, key: &str) -> usize {
    let mut in_section = false;
    let mut target_index: Option<usize> = None;
    let mut header_line = 0;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            if line.starts_with("[[targets]]") {
                target_index = Some(target_index.map_or(0, |i| i + 1));
                in_section = matches!(section, Section::Target(i) if Some(i) == target_index);
            } else {
                in_section = matches!(section, Section::Defaults) && line.starts_with("[defaults]");
            }
            if in_section {
                header_line = n + 1;
            }
            continue;
        }
        if in_section && assigns_key(line, key) {
            return n + 1;
        }
    }
    header_line
}

fn locate_plain_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| assigns_key(l.trim(), key))
        .map_or(0, |n| n + 1)
}

fn assigns_key(line: &str, key: &str) -> bool {
    line.strip_prefix(key)
        .map(|rest| rest.trim_start().starts_with('='))
        .unwrap_or(false)
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
}
