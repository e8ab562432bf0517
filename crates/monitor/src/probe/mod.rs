//! Probes: one attempt against one target → one `Outcome`. A probe never panics and never
//! fails to produce an outcome: every error becomes a class.
//!
//! Rules every provider module follows (see `shared/guide/llm-endpoints.md`):
//! - `reachable` costs zero tokens: version and model list, with the key (validates auth).
//! - `inference` is a streamed 1-token canary, and against a local server only on a model that is
//!   already loaded; otherwise the probe says it skipped and why.
//! - Keys travel only in headers, never in URLs; every message is redacted.

mod anthropic;
pub mod classify;
mod credits;
mod gemini;
pub mod http;
pub(crate) mod llamacpp;
mod lmstudio;
mod ollama;
mod openai;
pub mod status_page;
mod vllm;
mod wire;

use crate::config::Target;
use crate::domain::{
    Class, Details, Kind, LoadedModel, Outcome, ProbeLevel, LOADED_KEPT, MODELS_KEPT,
};
use crate::redact::{Redactor, FIELD_MAX, MESSAGE_MAX};
use chrono::Utc;
pub use classify::Failure;
use http::Http;
use reqwest::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::RequestBuilder;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Where probes get API keys. The CLI reads environment variables; the desktop app reads the OS
/// keyring first.
pub trait KeySource: Send + Sync {
    fn key_for(&self, target: &Target) -> Option<String>;
}

/// Keys from the environment variable each target names. Gemini's SDKs accept either
/// `GEMINI_API_KEY` or `GOOGLE_API_KEY`, so the second is a fallback for the first.
#[derive(Debug, Default, Clone, Copy)]
pub struct EnvKeys;

impl EnvKeys {
    /// The variable `target`'s key is read from and its value, trimmed. Whitespace around a key
    /// is never part of it (`echo "$KEY" > file` adds a newline, a Windows file a CR), and left
    /// in it would make the header invalid. A value that is not UTF-8 is kept (lossily), so
    /// that the probe can say the variable is wrong instead of that it is unset.
    pub fn lookup(target: &Target) -> Option<(String, String)> {
        let name = target.api_key_env.as_deref()?;
        let read = |n: &str| {
            let value = std::env::var_os(n)?;
            let value = value.to_string_lossy().trim().to_string();
            (!value.is_empty()).then(|| (n.to_string(), value))
        };
        read(name).or_else(|| {
            (target.kind == Kind::Gemini && name == "GEMINI_API_KEY")
                .then(|| read("GOOGLE_API_KEY"))
                .flatten()
        })
    }
}

impl KeySource for EnvKeys {
    fn key_for(&self, target: &Target) -> Option<String> {
        EnvKeys::lookup(target).map(|(_, value)| value)
    }
}

/// A key as a header can carry it, whatever source it came from (the keyring and a typed key
/// as much as the environment): trimmed, `None` when nothing is left, and an error saying what
/// is wrong (never what the key is) when it still cannot be a header value.
pub fn usable_key(raw: &str) -> Result<Option<String>, &'static str> {
    // A header may carry non-ASCII bytes, but no provider issues such keys: they are pasted
    // typographic quotes or dashes, and the server would only say the key is wrong.
    usable_key_str(raw).map(|k| k.map(str::to_string))
}

/// [`usable_key`] without the copy: the key as a part of `raw`.
fn usable_key_str(raw: &str) -> Result<Option<&str>, &'static str> {
    let key = raw.trim();
    if key.is_empty() {
        return Ok(None);
    }
    if key.chars().any(char::is_control) {
        return Err("contains a control character");
    }
    if !key.is_ascii() {
        return Err("contains a character outside ASCII");
    }
    Ok(Some(key))
}

/// Where a key that cannot be used came from, in words for the outcome's message.
fn key_place(target: &Target, raw: &str) -> String {
    match EnvKeys::lookup(target) {
        Some((name, value)) if value == raw.trim() => format!("API key in {name}"),
        _ => "the stored API key of this target".to_string(),
    }
}

/// Where a target's API key comes from, as settings show it (never the key itself).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    ts_rs::TS,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum KeyOrigin {
    /// The OS keyring (the desktop app).
    Keyring,
    /// The environment variable the target names.
    Env,
    /// The target takes a key and none is set.
    Missing,
    /// Local servers need none.
    NotNeeded,
}

impl KeyOrigin {
    /// Where `target`'s key comes from, given whether a stored key (the keyring's) exists for
    /// it: a stored key wins over the environment, as in the app's `KeySource`.
    pub fn of(target: &Target, stored: bool) -> KeyOrigin {
        if !target.takes_key() {
            KeyOrigin::NotNeeded
        } else if stored {
            KeyOrigin::Keyring
        } else if EnvKeys.key_for(target).is_some() {
            KeyOrigin::Env
        } else {
            KeyOrigin::Missing
        }
    }
}

/// What a successful probe learned.
#[derive(Debug, Default)]
pub(crate) struct Success {
    pub http_status: Option<u16>,
    pub details: Details,
    /// A note for the outcome's message (e.g. why inference was skipped).
    pub note: Option<String>,
    /// A soft class that the answer itself calls for (`loading`, `credits_low`), with what it
    /// says; it wins over `slow`.
    pub degraded: Option<(Class, String)>,
}

/// Runs probes. Cheap to clone; shares one HTTP client (and so its pool of kept-alive
/// connections), the per-server locks and what is kept per target between probes.
#[derive(Clone)]
pub struct Prober {
    http: Http,
    keys: Arc<dyn KeySource>,
    /// Per target: what every probe of it reuses (see [`Kept`]), made again when the target's
    /// config or key changes.
    kept: Arc<Mutex<HashMap<crate::domain::TargetId, Arc<Kept>>>>,
    /// Keys are compared by a hash with per-process random keys: a key never sits in `Kept`
    /// twice, and the hash is no stable fingerprint of it.
    key_hasher: RandomState,
    /// One lock per local server: a local server serves one model at a time, and parallel probes
    /// would queue behind each other or, worse, make it swap models.
    server_locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// (target, model) pairs whose canary caused a model load: canaries for them pause until
    /// the server unloads the model, so a probe disturbs a local server at most once.
    disturbed: Arc<Mutex<HashSet<(String, String)>>>,
    /// The status pages the targets follow, each polled once for all of them.
    status_pages: Arc<status_page::StatusPages>,
}

impl Prober {
    pub fn new(keys: Arc<dyn KeySource>) -> Result<Prober, reqwest::Error> {
        Ok(Prober {
            http: Http::new()?,
            keys,
            kept: Arc::default(),
            key_hasher: RandomState::new(),
            server_locks: Arc::default(),
            disturbed: Arc::default(),
            status_pages: Arc::default(),
        })
    }

    /// The HTTP client every probe shares (detection's one-request identifications use it).
    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    pub fn with_env_keys() -> Result<Prober, reqwest::Error> {
        Prober::new(Arc::new(EnvKeys))
    }

    /// Drops what is kept for a target (its parsed URLs, headers and model list). A target
    /// whose config changed needs no call: every probe compares the target with the one its
    /// kept state was made for and starts afresh (model list included) when they differ. Call
    /// it when a target is removed, so that its state does not stay behind.
    pub fn forget(&self, target: &str) {
        lock(&self.kept).remove(target);
    }

    /// Keeps only the targets `keep` accepts (for a reconfiguration that removes several).
    pub fn retain(&self, mut keep: impl FnMut(&str) -> bool) {
        lock(&self.kept).retain(|id, _| keep(id));
    }

    /// Makes the next inference probe of `target` fetch the model list again before its
    /// canary, as a changed config does; e.g. when the user asks for a check now.
    pub fn refresh_models(&self, target: &str) {
        if let Some(kept) = lock(&self.kept).get(target) {
            *lock(&kept.inventory) = None;
        }
    }

    /// What is kept for `target` with this key: the same as last time if neither changed.
    fn kept_for(&self, target: &Target, key: Option<&str>, redact: Option<&str>) -> Arc<Kept> {
        let key_hash = self.key_hasher.hash_one((key, redact));
        let mut map = lock(&self.kept);
        if let Some(kept) = map.get(target.id.as_str()) {
            if kept.key_hash == key_hash && kept.target == *target {
                return Arc::clone(kept);
            }
        }
        let kept = Arc::new(Kept::new(target, key, key_hash, redact));
        map.insert(target.id.clone(), Arc::clone(&kept));
        kept
    }

    /// Probes a target once. The target's timeout bounds the whole exchange, bodies included;
    /// time spent waiting for a busy local server is not counted against it, but that wait is
    /// bounded too (see [`Prober::probe_limited`]).
    pub async fn probe(&self, target: &Target) -> Outcome {
        self.probe_limited(target, None, || {}).await
    }

    /// Probes a target once, as the scheduler does: first the target's local server (if it has
    /// one) is waited for, and only then one of `permits` (the engine-wide cap) is taken;
    /// `on_start` runs when both are held, as the exchange begins.
    ///
    /// The order matters: a probe waiting for a busy server must hold no permit, or a hung
    /// local server would hold every permit through its waiters and stall targets elsewhere.
    ///
    /// The wait for the server is bounded by the target's own timeout. A server still busy
    /// with another probe after that long has not answered anyone within the time this target
    /// allows, so the outcome is a `timeout` saying so (nothing was sent), rather than a
    /// probe that would start long after it was due.
    pub(crate) async fn probe_limited(
        &self,
        target: &Target,
        permits: Option<&tokio::sync::Semaphore>,
        on_start: impl FnOnce(),
    ) -> Outcome {
        let waiting_since = (Utc::now(), tokio::time::Instant::now());
        let raw = self.keys.key_for(target);
        let (key, key_problem) = match raw.as_deref().map(usable_key_str) {
            None => (None, None),
            Some(Ok(key)) => (key, None),
            Some(Err(why)) => (None, Some(why)),
        };
        // The raw key too: it is what a server would echo, were it ever sent.
        let redact = key.or(raw.as_deref().map(str::trim));
        let kept = self.kept_for(target, key, redact);
        let server = match self.server_lock(target, &kept) {
            Some(lock) => {
                match tokio::time::timeout(target.timing.timeout, lock.lock_owned()).await {
                    Ok(guard) => Some(guard),
                    Err(_) => {
                        let waited = waiting_since.1.elapsed();
                        let busy = Failure::new(
                            Class::Timeout,
                            format!(
                                "not probed: the server was busy with another probe for {} \
                                 (one probe at a time per local server)",
                                humantime::format_duration(target.timing.timeout)
                            ),
                        );
                        let latency_ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX);
                        return outcome(
                            target,
                            waiting_since.0,
                            latency_ms,
                            Err(busy),
                            &Redactor::new(None),
                        );
                    }
                }
            }
            None => None,
        };
        // A closed semaphore only happens at teardown; probing without a permit then is harmless.
        let permit = match permits {
            Some(permits) => permits.acquire().await.ok(),
            None => None,
        };
        on_start();
        let at = Utc::now();
        let started = Instant::now();
        let result = if let (Some(why), Some(raw)) = (key_problem, raw.as_deref()) {
            Err(Failure::new(
                Class::Auth,
                format!(
                    "{} is not usable as a header: {why}",
                    key_place(target, raw)
                ),
            ))
        } else if needs_key(target) && key.is_none() {
            Err(Failure::new(
                Class::Auth,
                match &target.api_key_env {
                    Some(env) => format!("no API key: set {env}"),
                    None => "no API key configured (api_key_env)".to_string(),
                },
            ))
        } else {
            let ctx = Ctx {
                http: &self.http,
                target,
                kept: &kept,
                disturbed: &self.disturbed,
            };
            match tokio::time::timeout(target.timing.timeout, run(&ctx)).await {
                Ok(result) => result,
                Err(_) => Err(Failure::new(
                    Class::Timeout,
                    format!(
                        "no complete answer within {}",
                        humantime::format_duration(target.timing.timeout)
                    ),
                )),
            }
        };
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut outcome = outcome_kept(target, at, latency_ms, result, &kept.redactor, Some(&kept));
        // The status page is read outside the exchange: it is no part of the target's latency,
        // and holds neither the server nor a permit.
        drop((permit, server));
        if let Some(status) = self.status_pages.status_for(&self.http, target).await {
            outcome.details.provider_status = Some(status_page::scrub(status, &kept.redactor));
        }
        outcome
    }

    fn server_lock(&self, target: &Target, kept: &Kept) -> Option<Arc<tokio::sync::Mutex<()>>> {
        if !target.is_local_server() {
            return None;
        }
        let mut locks = lock(&self.server_locks);
        if let Some(lock) = locks.get(kept.server_key.as_str()) {
            return Some(Arc::clone(lock));
        }
        Some(locks.entry(kept.server_key.clone()).or_default().clone())
    }
}

/// A std mutex's guard, also after a panic elsewhere poisoned it: what it guards is a cache
/// or a set of locks, valid whatever the panicking thread was doing.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How long a canary goes without the model list: its own answer says whether the model is
/// there (a 404 is `not_found`), and the list only feeds the inventory shown beside it.
pub const MODEL_LIST_MAX_AGE: Duration = Duration::from_secs(3600);

/// Most request URLs kept per target: a probe uses two to four, all fixed by the config.
const URLS_KEPT: usize = 8;

/// What the prober keeps per target between probes, made again whenever the target's config
/// or key changes: the parsed URLs and auth headers every request reuses (parsing a URL and
/// building a header map per request was a tenth of a probe's CPU), the redactor, the scrubbed
/// model summary of the last outcome, and the model list a canary goes without.
pub(crate) struct Kept {
    /// The target this was made for: a probe of a changed target starts afresh.
    target: Target,
    key_hash: u64,
    server_key: String,
    /// Auth headers, values marked sensitive. Built once: cloning a `HeaderValue` shares it.
    auth: Vec<(HeaderName, HeaderValue)>,
    urls: Mutex<Vec<(String, url::Url)>>,
    pub redactor: Redactor,
    /// The last model summary as listed and as scrubbed: lists rarely change, and scrubbing
    /// every id of every probe again was most of an outcome's allocations.
    scrubbed: Mutex<Option<(Vec<String>, Vec<String>)>>,
    /// The last model list of a cloud target whose canary goes without it.
    inventory: Mutex<Option<Arc<Inventory>>>,
    /// Which of the target's models the next canary asks: one model at a time, in turn.
    canary_turn: std::sync::atomic::AtomicUsize,
    /// The account's credits as last read, and when (read at most every `CREDITS_MAX_AGE`).
    pub credits: Mutex<Option<(tokio::time::Instant, crate::domain::Credits, bool)>>,
}

/// A model list as the inventory summary shows it, and when it was fetched.
#[derive(Debug)]
pub(crate) struct Inventory {
    at: tokio::time::Instant,
    status: u16,
    models: Vec<String>,
    models_total: Option<u64>,
    rate_limit: Option<crate::domain::RateLimit>,
}

impl Kept {
    fn new(target: &Target, key: Option<&str>, key_hash: u64, redact: Option<&str>) -> Kept {
        Kept {
            target: target.clone(),
            key_hash,
            server_key: target.server_key(),
            auth: auth_headers(target, key),
            urls: Mutex::new(Vec::new()),
            redactor: Redactor::new(redact),
            scrubbed: Mutex::new(None),
            inventory: Mutex::new(None),
            canary_turn: std::sync::atomic::AtomicUsize::new(0),
            credits: Mutex::new(None),
        }
    }

    /// The model the next canary asks, taking the target's models in turn.
    fn next_canary_model(&self) -> Option<String> {
        let models = &self.target.models;
        if models.is_empty() {
            return None;
        }
        let turn = self
            .canary_turn
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(models[turn % models.len()].clone())
    }

    /// `base_url` + `path`, without doubling or losing the slash between them; parsed once per
    /// target. `Err` holds the text when it is no URL, for reqwest to refuse as it always did.
    fn url(&self, path: &str) -> Result<url::Url, String> {
        let mut urls = lock(&self.urls);
        if let Some((_, url)) = urls.iter().find(|(p, _)| p == path) {
            return Ok(url.clone());
        }
        let text = format!(
            "{}/{}",
            self.target.base_url.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        let url = url::Url::parse(&text).map_err(|_| text)?;
        if urls.len() < URLS_KEPT {
            urls.push((path.to_string(), url.clone()));
        }
        Ok(url)
    }

    /// The kept model list, if it is young enough to stand in for a fetch.
    fn fresh_inventory(&self) -> Option<Arc<Inventory>> {
        let inventory = lock(&self.inventory);
        inventory
            .as_ref()
            .filter(|i| i.at.elapsed() < MODEL_LIST_MAX_AGE)
            .cloned()
    }

    fn keep_inventory(&self, success: &Success) {
        let d = &success.details;
        *lock(&self.inventory) = Some(Arc::new(Inventory {
            at: tokio::time::Instant::now(),
            status: success.http_status.unwrap_or(200),
            models: d.models.clone(),
            models_total: d.models_total,
            rate_limit: d.rate_limit.clone(),
        }));
    }

    fn drop_inventory(&self) {
        *lock(&self.inventory) = None;
    }

    /// `models` scrubbed, reusing the last result when the list is the same.
    fn scrub_models(&self, models: Vec<String>) -> Vec<String> {
        let mut memo = lock(&self.scrubbed);
        if let Some((raw, clean)) = memo.as_ref() {
            if *raw == models {
                return clean.clone();
            }
        }
        let clean: Vec<String> = models
            .iter()
            .map(|m| self.redactor.scrub(m, FIELD_MAX))
            .collect();
        *memo = Some((models, clean.clone()));
        clean
    }
}

/// The headers that carry `key` (marked sensitive) the way `target`'s API expects it.
fn auth_headers(target: &Target, key: Option<&str>) -> Vec<(HeaderName, HeaderValue)> {
    use crate::config::AuthStyle;
    const ANTHROPIC_VERSION: HeaderName = HeaderName::from_static("anthropic-version");
    let version = || (ANTHROPIC_VERSION, HeaderValue::from_static("2023-06-01"));
    let mut h = Vec::new();
    let Some(key) = key else {
        if target.kind == Kind::Anthropic {
            h.push(version());
        }
        return h;
    };
    // `Prober::probe_limited` lets only keys that `usable_key` accepts get here, and says
    // which key is wrong otherwise; a value refused anyway is not sent rather than panic.
    let mut insert = |name: HeaderName, v: String| {
        if let Ok(mut v) = HeaderValue::from_str(&v) {
            v.set_sensitive(true);
            h.push((name, v));
        }
    };
    match target.auth_style() {
        AuthStyle::Bearer => insert(AUTHORIZATION, format!("Bearer {key}")),
        AuthStyle::AnthropicKey => {
            insert(HeaderName::from_static("x-api-key"), key.to_string());
            h.push(version());
        }
        AuthStyle::GoogleKey => insert(HeaderName::from_static("x-goog-api-key"), key.to_string()),
        AuthStyle::AzureKey => insert(HeaderName::from_static("api-key"), key.to_string()),
    }
    h
}

fn needs_key(target: &Target) -> bool {
    match target.kind {
        Kind::Ollama | Kind::Lmstudio | Kind::Llamacpp | Kind::Vllm => false,
        Kind::Openai | Kind::Anthropic | Kind::Gemini => true,
        // Self-hosted compatible servers often need no key; cloud presets always do.
        Kind::OpenaiCompatible => target.preset.is_some_and(|p| !p.is_local()),
    }
}

async fn run(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    let success = match ctx.target.kind {
        Kind::Ollama => ollama::probe(ctx).await,
        Kind::Lmstudio => lmstudio::probe(ctx).await,
        Kind::Openai | Kind::OpenaiCompatible => openai::probe(ctx).await,
        Kind::Anthropic => anthropic::probe(ctx).await,
        Kind::Gemini => gemini::probe(ctx).await,
        Kind::Llamacpp => llamacpp::probe(ctx).await,
        Kind::Vllm => vllm::probe(ctx).await,
    }?;
    credits::read(ctx, success).await
}

/// Every outcome is born here, so this is where everything a server controlled (the message
/// and every string in `Details`) is redacted, made printable and bounded: events, SSE,
/// `get_state`, the database and its WAL then only ever see the scrubbed form.
fn outcome(
    target: &Target,
    at: chrono::DateTime<Utc>,
    latency_ms: u64,
    result: Result<Success, Failure>,
    redactor: &Redactor,
) -> Outcome {
    outcome_kept(target, at, latency_ms, result, redactor, None)
}

/// [`outcome`], with the model summary's scrubbing memoized in `kept` (whose redactor is
/// `redactor`).
fn outcome_kept(
    target: &Target,
    at: chrono::DateTime<Utc>,
    latency_ms: u64,
    result: Result<Success, Failure>,
    redactor: &Redactor,
    kept: Option<&Kept>,
) -> Outcome {
    match result {
        Ok(success) => {
            let slow = latency_ms > target.timing.slow_ms;
            let mut parts = Vec::new();
            let class = match success.degraded {
                Some((class, why)) => {
                    parts.push(why);
                    class
                }
                None if slow => Class::Slow,
                None => Class::Ok,
            };
            if slow {
                parts.push(format!(
                    "answered in {latency_ms} ms (slow above {} ms)",
                    target.timing.slow_ms
                ));
            }
            if let Some(note) = success.note {
                parts.push(note);
            }
            Outcome {
                at,
                class,
                http_status: success.http_status,
                latency_ms,
                message: if parts.is_empty() {
                    String::new()
                } else {
                    redactor.scrub(&parts.join("; "), MESSAGE_MAX)
                },
                details: scrub_details(success.details, target, redactor, kept),
            }
        }
        Err(failure) => Outcome {
            at,
            class: failure.class,
            http_status: failure.http_status,
            latency_ms,
            message: redactor.scrub(&failure.message, MESSAGE_MAX),
            details: Details {
                retry_after_ms: failure.retry_after_ms,
                rate_limit: failure.rate_limit.map(|r| *r),
                ..Details::default()
            },
        },
    }
}

/// `details` with every string scrubbed and the lists cut to a summary. Destructured field by
/// field so that a new field cannot be added without deciding here what it needs.
fn scrub_details(
    details: Details,
    target: &Target,
    redactor: &Redactor,
    kept: Option<&Kept>,
) -> Details {
    let Details {
        server_version,
        models,
        models_total,
        loaded_models,
        rate_limit,
        retry_after_ms,
        ttft_ms,
        tokens_per_second,
        tokens,
        probed_model,
        skipped,
        provider_status,
        credits,
        server_load,
    } = details;
    let field = |s: String| redactor.scrub(&s, FIELD_MAX);
    let listed = models.len() as u64;
    let loaded_models = loaded_models
        .into_iter()
        .take(LOADED_KEPT)
        .map(|m| LoadedModel {
            name: field(m.name),
            expires_at: m.expires_at.map(field),
            ..m
        })
        .collect();
    let models = keep_models(models, &target.models, probed_model.as_deref());
    let models = match kept {
        Some(kept) if !models.is_empty() => kept.scrub_models(models),
        _ => models.into_iter().map(field).collect(),
    };
    Details {
        server_version: server_version.map(field),
        models,
        models_total: models_total.or((listed > MODELS_KEPT as u64).then_some(listed)),
        loaded_models,
        rate_limit,
        retry_after_ms,
        ttft_ms,
        tokens_per_second: tokens_per_second.filter(|t| t.is_finite()),
        tokens,
        probed_model: probed_model.map(field),
        skipped: skipped.map(|s| redactor.scrub(&s, MESSAGE_MAX)),
        provider_status: provider_status.map(|p| status_page::scrub(p, redactor)),
        credits: credits.map(|c| crate::domain::Credits {
            unit: field(c.unit),
            ..c
        }),
        server_load,
    }
}

/// The first `MODELS_KEPT` models, with those the target names (and the one a canary used)
/// moved in when they are listed further down: the summary must still show that the models it
/// watches are there.
fn keep_models(mut models: Vec<String>, wanted: &[String], probed: Option<&str>) -> Vec<String> {
    if models.len() <= MODELS_KEPT {
        return models;
    }
    let wanted: Vec<&str> = wanted
        .iter()
        .map(String::as_str)
        .chain(probed)
        .take(MODELS_KEPT)
        .collect();
    // Slots from the end of the summary take the wanted models listed beyond it.
    let mut slot = MODELS_KEPT;
    for w in wanted {
        let Some(i) = models.iter().position(|m| same_model(w, m)) else {
            continue;
        };
        if i >= MODELS_KEPT.min(slot) {
            slot -= 1;
            models.swap(slot, i);
        }
    }
    models.truncate(MODELS_KEPT);
    models
}

/// What a provider module needs for one probe.
pub(crate) struct Ctx<'a> {
    pub http: &'a Http,
    pub target: &'a Target,
    pub kept: &'a Kept,
    pub disturbed: &'a Mutex<HashSet<(String, String)>>,
}

impl Ctx<'_> {
    pub fn kind(&self) -> Kind {
        self.target.kind
    }

    pub fn level(&self) -> ProbeLevel {
        self.target.probe
    }

    /// A request to `base_url` + `path` with the target's auth headers (URL and headers
    /// built once per target, see [`Kept`]).
    fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let client = self.http.client();
        self.with_auth(match self.kept.url(path) {
            Ok(url) => client.request(method, url),
            Err(text) => client.request(method, text),
        })
    }

    fn with_auth(&self, mut request: RequestBuilder) -> RequestBuilder {
        for (name, value) in &self.kept.auth {
            request = request.header(name.clone(), value.clone());
        }
        request
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(reqwest::Method::GET, path)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
    }

    /// A GET of `path` at the server's root, whatever path `base_url` has (DeepSeek's
    /// `/user/balance` beside a base URL that may end in `/v1`), with the auth headers.
    pub fn get_from_root(&self, path: &str) -> RequestBuilder {
        let mut url = self.target.base_url.clone();
        url.set_path(path);
        url.set_query(None);
        self.with_auth(self.http.client().get(url))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
    }

    /// A POST of `body` as JSON (typed bodies serialize straight to bytes).
    pub fn post_json(&self, path: &str, body: &impl serde::Serialize) -> RequestBuilder {
        // Serializing the probes' own bodies cannot fail; an empty body would be refused.
        let body = serde_json::to_vec(body).unwrap_or_default();
        self.request(reqwest::Method::POST, path)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                ACCEPT,
                HeaderValue::from_static("application/json, text/event-stream"),
            )
            .body(body)
    }
}

/// What a 1-token canary measured.
#[derive(Debug, Default)]
pub(crate) struct Canary {
    pub http_status: u16,
    pub ttft_ms: Option<u64>,
    pub tokens: Option<crate::domain::TokenUse>,
    pub tokens_per_second: Option<f64>,
    pub model: String,
    pub headers_rate_limit: Option<crate::domain::RateLimit>,
    pub note: Option<String>,
}

impl Canary {
    pub fn merge_into(self, success: &mut Success) {
        success.http_status = Some(self.http_status);
        let d = &mut success.details;
        d.ttft_ms = self.ttft_ms;
        d.tokens = self.tokens;
        d.tokens_per_second = self.tokens_per_second;
        d.probed_model = Some(self.model);
        if self.headers_rate_limit.is_some() {
            d.rate_limit = self.headers_rate_limit;
        }
        if let Some(note) = self.note {
            success.note = Some(note);
        }
    }
}

/// A cloud provider's model list, as its probe module read it.
pub(crate) struct Listing {
    pub reply: http::Reply,
    pub models: Vec<String>,
    /// Whether the list can prove a model absent: not a partial page, and a list of the names
    /// requests use (Azure lists base models, not deployments).
    pub complete: bool,
}

/// Whether a canary of `target` may go without a fresh model list. Cloud APIs answer a
/// request naming a model they do not have with a 404 (OpenAI `model_not_found`, Anthropic
/// `not_found_error`, Gemini `NOT_FOUND`, Azure `DeploymentNotFound`) and load nothing, so the
/// canary's own answer says whether the model is there. A self-hosted OpenAI-compatible server
/// (no preset) may load a model a request names (LocalAI, llama-swap, Ollama's `/v1`): there
/// the fresh list before every canary stays, so that no canary names a model it does not serve.
/// (Ollama and LM Studio have their own probes, which read the loaded set before every canary.)
fn canary_without_list(target: &Target) -> bool {
    match target.kind {
        Kind::Openai | Kind::Anthropic | Kind::Gemini => true,
        // A local preset (LocalAI, KoboldCpp, …) may load what a request names.
        Kind::OpenaiCompatible => target.preset.is_some_and(|p| !p.is_local()),
        // Their own probes list (or read `/health`) before every canary.
        Kind::Ollama | Kind::Lmstudio | Kind::Llamacpp | Kind::Vllm => false,
    }
}

/// What every cloud probe does with its model list and canary.
///
/// A `reachable` probe is the model list: the configured model must be on it (when the list
/// can tell), inventory and rate-limit headroom are kept.
///
/// An `inference` probe is the canary, and the model list is fetched only when the kept one
/// is missing or older than [`MODEL_LIST_MAX_AGE`] (a changed target or key starts with none):
/// then the probe lists first, as a reachable one, and keeps the list for the next hour's
/// canaries, whose outcomes show its inventory. A canary answered `not_found` names the model,
/// and the list is fetched again at once: a list that can prove the model absent says so; in
/// any case the kept list is dropped, so the next probe lists before its canary.
pub(crate) async fn cloud_probe<L, LF, C, CF>(
    ctx: &Ctx<'_>,
    list: L,
    canary: C,
) -> Result<Success, Failure>
where
    L: Fn() -> LF,
    LF: std::future::Future<Output = Result<Listing, Failure>>,
    C: FnOnce(String) -> CF,
    CF: std::future::Future<Output = Result<Canary, Failure>>,
{
    if ctx.level() != ProbeLevel::Inference {
        return listed(ctx, list().await?);
    }
    let model = ctx.kept.next_canary_model().ok_or_else(|| {
        Failure::new(
            Class::NotFound,
            "inference probe needs `model` in the config",
        )
    })?;
    let canary_model = model.clone();
    let without_list = canary_without_list(ctx.target);
    let kept = if without_list {
        ctx.kept.fresh_inventory()
    } else {
        None
    };
    let (mut success, listed_now) = match kept {
        Some(inventory) => (
            Success {
                http_status: Some(inventory.status),
                details: Details {
                    models: inventory.models.clone(),
                    models_total: inventory.models_total,
                    rate_limit: inventory.rate_limit.clone(),
                    ..Details::default()
                },
                note: None,
                degraded: None,
            },
            false,
        ),
        None => {
            let success = listed(ctx, list().await?)?;
            if without_list {
                ctx.kept.keep_inventory(&success);
            }
            (success, true)
        }
    };
    match canary(model).await {
        Ok(canary) => {
            canary.merge_into(&mut success);
            Ok(success)
        }
        Err(failure) if failure.class == Class::NotFound => {
            let failure = Failure {
                message: format!("model {canary_model:?}: {}", failure.message),
                ..failure
            };
            ctx.kept.drop_inventory();
            if listed_now {
                return Err(failure);
            }
            // A list that proves the model gone says so; any other answer leaves the canary's.
            match list().await {
                Ok(listing) => match listed(ctx, listing) {
                    Err(gone) if gone.class == Class::NotFound => Err(gone),
                    _ => Err(failure),
                },
                Err(_) => Err(failure),
            }
        }
        Err(failure) => Err(failure),
    }
}

/// A model list as a probe's success: the configured model must be on it when the list can
/// tell; the summary is cut to what outcomes keep.
fn listed(ctx: &Ctx<'_>, listing: Listing) -> Result<Success, Failure> {
    if listing.complete {
        require_listed(ctx.target, &listing.models)?;
    }
    let listed = listing.models.len() as u64;
    Ok(Success {
        http_status: Some(listing.reply.status),
        details: Details {
            models: keep_models(listing.models, &ctx.target.models, None),
            models_total: (listed > MODELS_KEPT as u64).then_some(listed),
            rate_limit: classify::rate_limit(&listing.reply.headers, Utc::now()),
            ..Details::default()
        },
        note: None,
        degraded: None,
    })
}

/// Whether a listed model is the configured one: names match exactly, or up to Ollama's implicit
/// `:latest` tag, or up to Gemini's `models/` prefix.
pub(crate) fn same_model(configured: &str, listed: &str) -> bool {
    let norm = |s: &str| {
        let s = s.trim();
        let s = s.strip_prefix("models/").unwrap_or(s);
        s.strip_suffix(":latest").unwrap_or(s).to_string()
    };
    norm(configured) == norm(listed)
}

/// Fails with `not_found` when a configured model is missing from a complete inventory, naming
/// every missing one: a model removed or retired upstream shows here before an app fails on it.
pub(crate) fn require_listed(target: &Target, models: &[String]) -> Result<(), Failure> {
    let missing: Vec<&String> = target
        .models
        .iter()
        .filter(|want| !models.iter().any(|m| same_model(want, m)))
        .collect();
    match missing.as_slice() {
        [] => Ok(()),
        [model] => Err(Failure::new(
            Class::NotFound,
            format!("model {model:?} is not available on this endpoint"),
        )),
        several => Err(Failure::new(
            Class::NotFound,
            format!(
                "models {} are not available on this endpoint",
                several
                    .iter()
                    .map(|m| format!("{m:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_origins_follow_the_one_rule() {
        let config = crate::config::Config::parse(
            r#"
[[targets]]
id = "ollama"
kind = "ollama"

[[targets]]
id = "lmstudio-token"
kind = "lmstudio"
api_key_env = "KEY_ORIGIN_TEST_UNSET"

[[targets]]
id = "openai"
kind = "openai"
api_key_env = "KEY_ORIGIN_TEST_UNSET"

[[targets]]
id = "env"
kind = "anthropic"
api_key_env = "PATH"
"#,
            "test",
        )
        .unwrap();
        let t = |id: &str| config.target(id).unwrap();
        assert_eq!(KeyOrigin::of(t("ollama"), true), KeyOrigin::NotNeeded);
        // LM Studio's token is a key it can take (the default config names LM_API_TOKEN).
        assert_eq!(
            KeyOrigin::of(t("lmstudio-token"), false),
            KeyOrigin::Missing
        );
        assert_eq!(KeyOrigin::of(t("openai"), false), KeyOrigin::Missing);
        assert_eq!(KeyOrigin::of(t("openai"), true), KeyOrigin::Keyring);
        assert_eq!(KeyOrigin::of(t("env"), false), KeyOrigin::Env);
    }

    #[test]
    fn model_names_match_like_the_servers_do() {
        assert!(same_model("llama3.2", "llama3.2:latest"));
        assert!(same_model("gemini-2.5-flash", "models/gemini-2.5-flash"));
        assert!(!same_model("llama3.2", "llama3.2:1b"));
    }
}
