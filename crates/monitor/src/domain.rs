//! The nouns of the product, named once: target kinds, outcome classes, statuses, outcomes,
//! transitions and incidents. Everything else (probes, state machine, store, UI) speaks these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use ts_rs::TS;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// A target's id as written in the configuration (`id = "local-ollama"`).
pub type TargetId = String;

/// Which API a target speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Ollama,
    Lmstudio,
    Openai,
    Anthropic,
    Gemini,
    OpenaiCompatible,
    /// llama.cpp's `llama-server`: one model, loaded at start; `/health` says "Loading model"
    /// (503) until it is ready.
    Llamacpp,
    /// vLLM's OpenAI-compatible server, with Prometheus `/metrics` for its load.
    Vllm,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Ollama,
        Kind::Lmstudio,
        Kind::Openai,
        Kind::Anthropic,
        Kind::Gemini,
        Kind::OpenaiCompatible,
        Kind::Llamacpp,
        Kind::Vllm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ollama => "ollama",
            Kind::Lmstudio => "lmstudio",
            Kind::Openai => "openai",
            Kind::Anthropic => "anthropic",
            Kind::Gemini => "gemini",
            Kind::OpenaiCompatible => "openai_compatible",
            Kind::Llamacpp => "llamacpp",
            Kind::Vllm => "vllm",
        }
    }

    /// Model servers a user runs themselves: they need no key unless configured with one,
    /// probes against them are serialized per server, and an inference probe picks the model
    /// they have loaded (Ollama and LM Studio load on demand, so never an unloaded one).
    pub fn is_local(self) -> bool {
        matches!(
            self,
            Kind::Ollama | Kind::Lmstudio | Kind::Llamacpp | Kind::Vllm
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a probe is allowed to do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProbeLevel {
    /// Zero tokens: version or model list with the key (validates reachability and auth).
    #[default]
    Reachable,
    /// A streamed 1-token canary that measures time to first token; costs tokens on cloud APIs.
    Inference,
}

/// What happened in one probe, from a closed list.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, TS, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Ok,
    Slow,
    Timeout,
    Connect,
    Tls,
    Auth,
    Quota,
    RateLimited,
    Overloaded,
    ServerError,
    NotFound,
    BadResponse,
    /// A local server is loading its model (llama.cpp's 503 "Loading model"): not down.
    Loading,
    /// The account's credits are below the target's `min_credits`.
    CreditsLow,
}

/// How an outcome weighs on health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Worked as expected.
    Ok,
    /// Worked, but not well (slow, rate limited): degraded, never unhealthy on its own.
    Soft,
    /// Did not work: counts toward the failure threshold.
    Hard,
}

impl Class {
    pub const ALL: [Class; 14] = [
        Class::Ok,
        Class::Slow,
        Class::Timeout,
        Class::Connect,
        Class::Tls,
        Class::Auth,
        Class::Quota,
        Class::RateLimited,
        Class::Overloaded,
        Class::ServerError,
        Class::NotFound,
        Class::BadResponse,
        Class::Loading,
        Class::CreditsLow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Ok => "ok",
            Class::Slow => "slow",
            Class::Timeout => "timeout",
            Class::Connect => "connect",
            Class::Tls => "tls",
            Class::Auth => "auth",
            Class::Quota => "quota",
            Class::RateLimited => "rate_limited",
            Class::Overloaded => "overloaded",
            Class::ServerError => "server_error",
            Class::NotFound => "not_found",
            Class::BadResponse => "bad_response",
            Class::Loading => "loading",
            Class::CreditsLow => "credits_low",
        }
    }

    pub fn parse(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Stable small integer for compact storage; never reorder.
    pub fn code(self) -> u8 {
        match self {
            Class::Ok => 0,
            Class::Slow => 1,
            Class::Timeout => 2,
            Class::Connect => 3,
            Class::Tls => 4,
            Class::Auth => 5,
            Class::Quota => 6,
            Class::RateLimited => 7,
            Class::Overloaded => 8,
            Class::ServerError => 9,
            Class::NotFound => 10,
            Class::BadResponse => 11,
            Class::Loading => 12,
            Class::CreditsLow => 13,
        }
    }

    pub fn from_code(code: u8) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn severity(self) -> Severity {
        match self {
            Class::Ok => Severity::Ok,
            Class::Slow | Class::RateLimited | Class::Loading | Class::CreditsLow => Severity::Soft,
            _ => Severity::Hard,
        }
    }

    /// The cause in plain words, for notifications and the tray menu.
    pub fn plain_words(self) -> &'static str {
        match self {
            Class::Ok => "working",
            Class::Slow => "responding slowly",
            Class::Timeout => "timing out",
            Class::Connect => "not running or unreachable",
            Class::Tls => "TLS handshake failed",
            Class::Auth => "API key rejected",
            Class::Quota => "quota exhausted",
            Class::RateLimited => "rate limited",
            Class::Overloaded => "overloaded",
            Class::ServerError => "server error",
            Class::NotFound => "model or endpoint not found",
            Class::BadResponse => "unexpected response",
            Class::Loading => "loading model",
            Class::CreditsLow => "credits low",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an outcome history means for the user, decided by the state machine.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, TS, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Healthy,
    Degraded,
    Unhealthy,
    #[default]
    Unknown,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Healthy,
        Status::Degraded,
        Status::Unhealthy,
        Status::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
            Status::Unhealthy => "unhealthy",
            Status::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Stable small integer for compact storage; never reorder.
    pub fn code(self) -> u8 {
        match self {
            Status::Healthy => 0,
            Status::Degraded => 1,
            Status::Unhealthy => 2,
            Status::Unknown => 3,
        }
    }

    pub fn from_code(code: u8) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Ordering for "worst of": unhealthy > degraded > unknown > healthy.
    pub fn badness(self) -> u8 {
        match self {
            Status::Healthy => 0,
            Status::Unknown => 1,
            Status::Degraded => 2,
            Status::Unhealthy => 3,
        }
    }

    /// The overall status of many targets: the worst one; unknown only when nothing is known.
    pub fn overall(statuses: impl IntoIterator<Item = Status>) -> Status {
        let mut worst: Option<Status> = None;
        for s in statuses {
            worst = Some(match worst {
                None => s,
                Some(w) if s.badness() > w.badness() => s,
                Some(w) => w,
            });
        }
        worst.unwrap_or(Status::Unknown)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A model resident in a local server's memory.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS, ToSchema)]
pub struct LoadedModel {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub size_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub vram_bytes: Option<u64>,
    /// Share of the model held in GPU memory, 0–1 (`size_vram / size`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub vram_share: Option<f64>,
    /// When the server will unload it (RFC 3339), if the server says.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub context_length: Option<u64>,
}

/// Rate-limit headroom read from response headers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS, ToSchema)]
pub struct RateLimit {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub requests_limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub requests_remaining: Option<u64>,
    /// Time until the request budget resets.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub requests_reset_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub tokens_limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub tokens_remaining: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub tokens_reset_ms: Option<u64>,
}

impl RateLimit {
    pub fn is_empty(&self) -> bool {
        self == &RateLimit::default()
    }
}

/// Tokens an inference probe spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS, ToSchema)]
pub struct TokenUse {
    #[ts(type = "number")]
    pub input: u64,
    #[ts(type = "number")]
    pub output: u64,
}

/// The overall indicator of a provider's status page (Statuspage's `status.indicator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    None,
    Minor,
    Major,
    Critical,
}

/// A status page component's status; `unknown` when the page has no component matching the
/// target's, or does not answer in a known shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Operational,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
    UnderMaintenance,
    Unknown,
}

impl ComponentStatus {
    pub const ALL: [ComponentStatus; 6] = [
        ComponentStatus::Operational,
        ComponentStatus::DegradedPerformance,
        ComponentStatus::PartialOutage,
        ComponentStatus::MajorOutage,
        ComponentStatus::UnderMaintenance,
        ComponentStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::DegradedPerformance => "degraded_performance",
            ComponentStatus::PartialOutage => "partial_outage",
            ComponentStatus::MajorOutage => "major_outage",
            ComponentStatus::UnderMaintenance => "under_maintenance",
            ComponentStatus::Unknown => "unknown",
        }
    }

    /// As a person says it: "partial outage".
    pub fn words(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::DegradedPerformance => "degraded performance",
            ComponentStatus::PartialOutage => "partial outage",
            ComponentStatus::MajorOutage => "major outage",
            ComponentStatus::UnderMaintenance => "under maintenance",
            ComponentStatus::Unknown => "unknown",
        }
    }
}

/// An unresolved incident on a provider's status page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS, ToSchema)]
pub struct ProviderIncident {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub id: Option<String>,
    pub name: String,
    /// none, minor, major, critical or maintenance, as the page says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub impact: Option<String>,
    /// investigating, identified, monitoring, …, as the page says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub url: Option<String>,
}

/// What the provider's own status page says: context beside our probes, never our verdict.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS, ToSchema)]
pub struct ProviderStatus {
    /// Who reports it, for "OpenAI reports: …".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub provider: Option<String>,
    /// The status page's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub indicator: Option<Indicator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// The page's component watched for this target, as the page names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub component: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub component_status: Option<ComponentStatus>,
    /// Unresolved incidents that affect the component (all of them when none is watched).
    #[serde(default)]
    pub incidents: Vec<ProviderIncident>,
}

impl ProviderIncident {
    /// "Elevated error rates — investigating".
    pub fn words(&self) -> String {
        match self.status.as_deref().filter(|s| !s.is_empty()) {
            Some(status) => format!("{} — {status}", self.name),
            None => self.name.clone(),
        }
    }

    /// "OpenAI reports: Elevated error rates — investigating", `reporter` being
    /// [`ProviderStatus::reporter`].
    pub fn reported_by(&self, reporter: &str) -> String {
        format!("{reporter} reports: {}", self.words())
    }
}

impl ProviderStatus {
    /// A page that could not be read (or not in a known shape): unknown, listing nothing. That
    /// is no news, so it ends nothing the page reported before.
    pub fn is_unread(&self) -> bool {
        self.component_status == Some(ComponentStatus::Unknown) && self.incidents.is_empty()
    }

    /// Who reports, for "OpenAI reports: …": the provider, else the page, else "the provider".
    pub fn reporter(&self) -> &str {
        self.provider
            .as_deref()
            .or(self.page.as_deref())
            .unwrap_or("the provider")
    }

    /// What a person should know from the page, in one line, or `None` when it reports nothing
    /// amiss: "OpenAI reports: Elevated error rates — investigating" (the first incident, with
    /// "(+1 more)"), else "OpenAI: partial outage" for a component that is not operational.
    pub fn headline(&self) -> Option<String> {
        if let Some(first) = self.incidents.first() {
            let more = match self.incidents.len() - 1 {
                0 => String::new(),
                n => format!(" (+{n} more)"),
            };
            return Some(format!("{}{more}", first.reported_by(self.reporter())));
        }
        match self.component_status {
            Some(ComponentStatus::Operational | ComponentStatus::Unknown) | None => None,
            Some(other) => Some(format!("{}: {}", self.reporter(), other.words())),
        }
    }
}

/// What is left on the account (OpenRouter's key limit, DeepSeek's balance).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS, ToSchema)]
pub struct Credits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub remaining: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub limit: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub usage: Option<f64>,
    /// USD, CNY, …
    pub unit: String,
}

impl Credits {
    /// "2.10 USD", when the remaining amount is known.
    pub fn remaining_words(&self) -> Option<String> {
        self.remaining.map(|r| format!("{r:.2} {}", self.unit))
    }

    /// "2.10 USD left of 10.00", when the remaining amount is known.
    pub fn words(&self) -> Option<String> {
        let left = self.remaining_words()?;
        Some(match self.limit {
            Some(limit) => format!("{left} left of {limit:.2}"),
            None => format!("{left} left"),
        })
    }
}

impl ServerLoad {
    /// "3 running, 1 waiting, KV cache 42 %", of what is known.
    pub fn words(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(n) = self.running {
            parts.push(format!("{n} running"));
        }
        if let Some(n) = self.waiting {
            parts.push(format!("{n} waiting"));
        }
        if let Some(used) = self.kv_cache_used {
            parts.push(format!("KV cache {:.0} %", used * 100.0));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// A model server's own load (vLLM's `/metrics`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS, ToSchema)]
pub struct ServerLoad {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub running: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub waiting: Option<u64>,
    /// Share of the KV cache in use, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub kv_cache_used: Option<f64>,
}

/// What a probe learned beyond its class. Every field is optional: probes fill what the API gives.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS, ToSchema)]
pub struct Details {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub server_version: Option<String>,
    /// Model inventory (installed or listed models): at most `MODELS_KEPT` of them, the probed
    /// or configured model among them when listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// How many models the server listed, when that is more than `models` holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub models_total: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loaded_models: Vec<LoadedModel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub rate_limit: Option<RateLimit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub retry_after_ms: Option<u64>,
    /// Time to first token of an inference probe.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[schema(nullable = false)]
    pub ttft_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub tokens_per_second: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub tokens: Option<TokenUse>,
    /// The model an inference probe used.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub probed_model: Option<String>,
    /// Why an inference probe did not generate (e.g. no model loaded), when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub skipped: Option<String>,
    /// What the provider's status page says (context only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub provider_status: Option<ProviderStatus>,
    /// What is left on the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub credits: Option<Credits>,
    /// The server's own load (vLLM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub server_load: Option<ServerLoad>,
}

/// Most model ids an outcome keeps. Aggregators list thousands; every event, SSE message and
/// stored `last_outcome` carries the list, so it is a summary, with the full count beside it.
pub const MODELS_KEPT: usize = 64;
/// Most loaded models an outcome keeps (a local server holds a handful).
pub const LOADED_KEPT: usize = 32;

impl Details {
    /// How many models the server listed, including those `models` does not keep.
    pub fn model_count(&self) -> u64 {
        self.models_total.unwrap_or(self.models.len() as u64)
    }
}

/// The result of one probe against one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Outcome {
    /// When the probe started.
    pub at: DateTime<Utc>,
    pub class: Class,
    /// The HTTP status of the response that decided the class, if one arrived.
    #[schema(required = true)]
    pub http_status: Option<u16>,
    /// Wall time of the whole exchange, body included.
    #[ts(type = "number")]
    pub latency_ms: u64,
    /// Human-readable summary; never contains a secret.
    pub message: String,
    #[serde(default)]
    #[schema(required = true)]
    pub details: Details,
}

/// A status change with its reason: what notifications and the timeline are made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Transition {
    #[schema(value_type = String)]
    pub target: TargetId,
    pub at: DateTime<Utc>,
    pub from: Status,
    pub to: Status,
    /// The class of the outcome that caused the change.
    pub class: Class,
    pub reason: String,
}

/// A stretch of non-healthy status. Serialized with a derived `duration_ms` once it has ended.
// Serialized through `IncidentWire`, which its TypeScript and OpenAPI shapes describe too.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[ts(as = "IncidentWire<'static>")]
pub struct Incident {
    pub target: TargetId,
    pub started_at: DateTime<Utc>,
    /// `None` while the incident is still open.
    pub ended_at: Option<DateTime<Utc>>,
    /// The worst status reached during the incident.
    pub worst: Status,
    /// The class that caused the worst status.
    pub cause: Class,
    pub message: String,
}

impl Incident {
    pub fn duration_ms(&self, now: DateTime<Utc>) -> i64 {
        let end = self.ended_at.unwrap_or(now);
        (end - self.started_at).num_milliseconds().max(0)
    }
}

/// A stretch of non-healthy status. Serialized with a derived `duration_ms` once it has ended.
// What `Incident` serializes to (borrowed: no copy per incident written).
#[derive(Serialize, TS, ToSchema)]
struct IncidentWire<'a> {
    target: &'a str,
    started_at: DateTime<Utc>,
    /// `null` while the incident is still open.
    #[schema(required = true)]
    ended_at: Option<DateTime<Utc>>,
    /// Only for ended incidents: an open one's duration depends on when it is read.
    #[ts(type = "number | null")]
    #[schema(required = true)]
    duration_ms: Option<i64>,
    /// The worst status reached during the incident.
    worst: Status,
    /// The class that caused the worst status.
    cause: Class,
    message: &'a str,
}

impl<'a> From<&'a Incident> for IncidentWire<'a> {
    fn from(i: &'a Incident) -> Self {
        IncidentWire {
            target: &i.target,
            started_at: i.started_at,
            ended_at: i.ended_at,
            duration_ms: i
                .ended_at
                .map(|end| (end - i.started_at).num_milliseconds().max(0)),
            worst: i.worst,
            cause: i.cause,
            message: &i.message,
        }
    }
}

impl Serialize for Incident {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        IncidentWire::from(self).serialize(serializer)
    }
}

/// The schema of what is serialized: `IncidentWire`'s, under the name `Incident`.
impl PartialSchema for Incident {
    fn schema() -> RefOr<Schema> {
        <IncidentWire<'static> as PartialSchema>::schema()
    }
}

impl ToSchema for Incident {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Incident")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <IncidentWire<'static> as ToSchema>::schemas(schemas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_in_words() {
        let incident = |name: &str, status: Option<&str>| ProviderIncident {
            name: name.into(),
            status: status.map(str::to_string),
            ..ProviderIncident::default()
        };
        let mut page = ProviderStatus {
            provider: Some("OpenAI".into()),
            component_status: Some(ComponentStatus::Operational),
            ..ProviderStatus::default()
        };
        assert_eq!(page.headline(), None, "nothing amiss");
        page.component_status = Some(ComponentStatus::Unknown);
        assert_eq!(page.headline(), None, "unknown is not news");
        page.component_status = Some(ComponentStatus::PartialOutage);
        assert_eq!(page.headline().as_deref(), Some("OpenAI: partial outage"));
        page.incidents = vec![incident("Elevated error rates", Some("investigating"))];
        assert_eq!(
            page.headline().as_deref(),
            Some("OpenAI reports: Elevated error rates — investigating")
        );
        page.incidents.push(incident("Slow logins", None));
        page.provider = None;
        page.page = Some("https://status.example.com".into());
        assert_eq!(
            page.headline().as_deref(),
            Some("https://status.example.com reports: Elevated error rates — investigating (+1 more)")
        );
        assert_eq!(incident("Slow logins", Some("")).words(), "Slow logins");
        assert_eq!(
            incident("Slow logins", Some("identified")).reported_by("Anthropic"),
            "Anthropic reports: Slow logins — identified"
        );

        let credits = Credits {
            remaining: Some(2.1),
            limit: Some(10.0),
            usage: None,
            unit: "USD".into(),
        };
        assert_eq!(credits.words().as_deref(), Some("2.10 USD left of 10.00"));
        let unknown = Credits {
            unit: "USD".into(),
            ..Credits::default()
        };
        assert_eq!(unknown.words(), None);
        let load = ServerLoad {
            running: Some(3),
            waiting: Some(0),
            kv_cache_used: Some(0.42),
        };
        assert_eq!(
            load.words().as_deref(),
            Some("3 running, 0 waiting, KV cache 42 %")
        );
        assert_eq!(ServerLoad::default().words(), None);
    }

    #[test]
    fn codes_round_trip() {
        for c in Class::ALL {
            assert_eq!(Class::from_code(c.code()), Some(c));
            assert_eq!(Class::parse(c.as_str()), Some(c));
        }
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn overall_is_the_worst() {
        use Status::*;
        assert_eq!(Status::overall([]), Unknown);
        assert_eq!(Status::overall([Healthy, Healthy]), Healthy);
        assert_eq!(Status::overall([Healthy, Unknown]), Unknown);
        assert_eq!(Status::overall([Healthy, Degraded, Unknown]), Degraded);
        assert_eq!(Status::overall([Unhealthy, Degraded]), Unhealthy);
    }

    #[test]
    fn incidents_serialize_their_duration_and_read_back() {
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let mut incident = Incident {
            target: "t".into(),
            started_at: start,
            ended_at: None,
            worst: Status::Unhealthy,
            cause: Class::Timeout,
            message: "timed out".into(),
        };
        let open = serde_json::to_value(&incident).unwrap();
        assert!(open["duration_ms"].is_null());
        // Byte for byte what the store, the CLI and the API have always written.
        assert_eq!(
            serde_json::to_string(&incident).unwrap(),
            r#"{"target":"t","started_at":"2023-11-14T22:13:20Z","ended_at":null,"duration_ms":null,"worst":"unhealthy","cause":"timeout","message":"timed out"}"#
        );
        incident.ended_at = Some(start + chrono::Duration::seconds(90));
        let closed = serde_json::to_value(&incident).unwrap();
        assert_eq!(closed["duration_ms"], 90_000);
        assert_eq!(closed["cause"], "timeout");
        let back: Incident = serde_json::from_value(closed).unwrap();
        assert_eq!(back, incident);
    }

    #[test]
    fn serde_names_match_the_contract() {
        assert_eq!(
            serde_json::to_string(&Class::RateLimited).unwrap(),
            "\"rate_limited\""
        );
        assert_eq!(
            serde_json::to_string(&Kind::OpenaiCompatible).unwrap(),
            "\"openai_compatible\""
        );
    }
}
