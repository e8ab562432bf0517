//! Everything a fake server remembers: scripted faults, credentials, the
//! model inventory and residency, what it has received, and the state of the
//! flavors that report more than models (server load, credit, status pages).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, FixedOffset, Local, TimeDelta};
use serde_json::Value;

use crate::deepseek::Balance;
use crate::openrouter::Credits;
use crate::statuspage::{FakeIncident, Page};
use crate::vllm::ServerLoad;
use crate::{Fault, Flavor, RecordedRequest};

pub(crate) struct AppState {
    pub flavor: Flavor,
    inner: Mutex<Inner>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    seq: AtomicU64,
    connections: AtomicU64,
}

struct Inner {
    standing: Fault,
    queue: VecDeque<Fault>,
    api_key: Option<String>,
    models: Vec<String>,
    resident: Vec<Resident>,
    requests: Vec<RecordedRequest>,
    recording: bool,
    /// Requests per path, counted whether or not recording is on.
    hits: BTreeMap<String, u64>,
    model_loads: Vec<String>,
    /// llama.cpp between start and model ready.
    loading: bool,
    server_load: ServerLoad,
    legacy_metrics: bool,
    credits: Credits,
    balance: Balance,
    page: Page,
    /// How many times incident.io's `summary.json` has been asked for, which
    /// decides the part of the components it shows.
    summary_turns: u64,
}

/// A model held in memory, with the runner settings it was loaded with.
#[derive(Debug, Clone)]
pub(crate) struct Resident {
    pub name: String,
    pub options: RunnerOptions,
    pub expires_at: DateTime<FixedOffset>,
}

/// The load-time settings of a local runner that differ from the defaults.
/// Two requests whose settings differ need two different runners, which is
/// why Ollama reloads a model when they change.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RunnerOptions(pub BTreeMap<&'static str, Value>);

pub(crate) const DEFAULT_CONTEXT: u64 = 4096;

impl RunnerOptions {
    pub fn context_length(&self) -> u64 {
        self.0
            .get("num_ctx")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_CONTEXT)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Residency {
    Warm,
    Loaded,
    Reloaded,
}

/// What happens to a model's residency after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeepAlive {
    For(TimeDelta),
    Forever,
}

impl KeepAlive {
    fn expiry(self) -> DateTime<FixedOffset> {
        let now = Local::now().fixed_offset();
        let ttl = match self {
            KeepAlive::For(d) => d,
            // Ollama shows a negative keep_alive as an expiry centuries away.
            KeepAlive::Forever => TimeDelta::days(365 * 292),
        };
        now.checked_add_signed(ttl).unwrap_or(now)
    }
}

/// Counts a request as in flight for as long as it (or its body) lives.
pub(crate) struct InFlight(Arc<AppState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AppState {
    pub fn new(flavor: Flavor) -> Self {
        AppState {
            flavor,
            inner: Mutex::new(Inner {
                standing: Fault::None,
                queue: VecDeque::new(),
                api_key: None,
                models: flavor
                    .default_models()
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                resident: Vec::new(),
                requests: Vec::new(),
                recording: true,
                hits: BTreeMap::new(),
                model_loads: Vec::new(),
                loading: false,
                server_load: ServerLoad::default(),
                legacy_metrics: false,
                credits: Credits::default(),
                balance: Balance::default(),
                page: Page::new(flavor),
                summary_turns: 0,
            }),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            seq: AtomicU64::new(1),
            connections: AtomicU64::new(0),
        }
    }

    pub fn connected(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    pub fn hits(&self, path: &str) -> u64 {
        self.lock().hits.get(path).copied().unwrap_or(0)
    }

    pub fn hits_total(&self) -> u64 {
        self.lock().hits.values().sum()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not make the fake unusable for the rest of a test.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn enter(self: &Arc<Self>) -> InFlight {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(Arc::clone(self))
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    // --- faults ---

    pub fn set_fault(&self, fault: Fault) {
        self.lock().standing = fault;
    }

    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().queue.extend(faults);
    }

    pub fn clear_faults(&self) {
        let mut inner = self.lock();
        inner.standing = Fault::None;
        inner.queue.clear();
    }

    pub fn next_fault(&self) -> Fault {
        let mut inner = self.lock();
        match inner.queue.pop_front() {
            Some(f) => f,
            None => inner.standing.clone(),
        }
    }

    // --- credentials ---

    pub fn set_api_key(&self, key: Option<&str>) {
        self.lock().api_key = key.map(str::to_owned);
    }

    pub fn api_key(&self) -> Option<String> {
        self.lock().api_key.clone()
    }

    // --- recording ---

    pub fn record(&self, req: RecordedRequest) {
        let mut inner = self.lock();
        match inner.hits.get_mut(&req.path) {
            Some(n) => *n += 1,
            None => {
                inner.hits.insert(req.path.clone(), 1);
            }
        }
        if inner.recording {
            inner.requests.push(req);
        }
    }

    pub fn set_recording(&self, on: bool) {
        self.lock().recording = on;
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    pub fn model_loads(&self) -> Vec<String> {
        self.lock().model_loads.clone()
    }

    // --- what the context flavors report ---

    pub fn set_loading(&self, on: bool) {
        self.lock().loading = on;
    }

    pub fn loading(&self) -> bool {
        self.lock().loading
    }

    pub fn set_server_load(&self, load: ServerLoad) {
        self.lock().server_load = load;
    }

    pub fn server_load(&self) -> ServerLoad {
        self.lock().server_load
    }

    pub fn set_legacy_metrics(&self, on: bool) {
        self.lock().legacy_metrics = on;
    }

    pub fn legacy_metrics(&self) -> bool {
        self.lock().legacy_metrics
    }

    pub fn credits(&self) -> Credits {
        self.lock().credits
    }

    pub fn update_credits(&self, change: impl FnOnce(&mut Credits)) {
        change(&mut self.lock().credits);
    }

    pub fn balance(&self) -> Balance {
        self.lock().balance.clone()
    }

    pub fn set_balance(&self, balance: Balance) {
        self.lock().balance = balance;
    }

    pub fn page(&self) -> Page {
        self.lock().page.clone()
    }

    pub fn set_components(&self, components: &[(&str, &str, &str)]) {
        self.lock().page.set_components(components);
    }

    pub fn set_incidents(&self, incidents: &[FakeIncident]) {
        self.lock().page.set_incidents(incidents);
    }

    /// The page as this request sees it, and which `summary.json` turn it is.
    pub fn page_for_summary(&self) -> (Page, u64) {
        let mut inner = self.lock();
        let turn = inner.summary_turns;
        inner.summary_turns += 1;
        (inner.page.clone(), turn)
    }

    // --- inventory and residency ---

    pub fn models(&self) -> Vec<String> {
        self.lock().models.clone()
    }

    pub fn set_models(&self, names: &[&str]) {
        let mut inner = self.lock();
        inner.models = names.iter().map(|s| (*s).to_owned()).collect();
        let Inner {
            models, resident, ..
        } = &mut *inner;
        resident.retain(|r| models.contains(&r.name));
    }

    /// The installed name a request's model refers to, using `matches` for the
    /// flavor's own naming rules (Ollama's implicit `:latest`, for instance).
    pub fn find_model(&self, matches: impl Fn(&str) -> bool) -> Option<String> {
        self.lock().models.iter().find(|m| matches(m)).cloned()
    }

    pub fn residents(&self) -> Vec<Resident> {
        self.lock().resident.clone()
    }

    pub fn loaded_models(&self) -> Vec<String> {
        self.lock()
            .resident
            .iter()
            .map(|r| r.name.clone())
            .collect()
    }

    pub fn is_loaded(&self, name: &str) -> bool {
        self.lock().resident.iter().any(|r| r.name == name)
    }

    /// Marks a model resident on the harness's behalf: not a load a client
    /// caused, so it is not recorded in `model_loads`.
    pub fn preload(&self, name: &str) {
        let mut inner = self.lock();
        if !inner.models.iter().any(|m| m == name) {
            inner.models.push(name.to_owned());
        }
        if !inner.resident.iter().any(|r| r.name == name) {
            inner.resident.push(Resident {
                name: name.to_owned(),
                options: RunnerOptions::default(),
                expires_at: KeepAlive::For(TimeDelta::minutes(5)).expiry(),
            });
        }
    }

    pub fn unload(&self, name: &str) {
        self.lock().resident.retain(|r| r.name != name);
    }

    /// A request needs `name` running with `options`: load or reload it if it
    /// is not (recording that the request caused it), and restart its
    /// keep-alive timer as every real request does.
    pub fn ensure_loaded(
        &self,
        name: &str,
        options: RunnerOptions,
        keep_alive: KeepAlive,
        evict_others: bool,
    ) -> Residency {
        let mut inner = self.lock();
        let expires_at = keep_alive.expiry();
        let residency = match inner.resident.iter_mut().find(|r| r.name == name) {
            Some(r) => {
                r.expires_at = expires_at;
                if r.options == options {
                    Residency::Warm
                } else {
                    r.options = options;
                    Residency::Reloaded
                }
            }
            None => {
                inner.resident.push(Resident {
                    name: name.to_owned(),
                    options,
                    expires_at,
                });
                Residency::Loaded
            }
        };
        if residency != Residency::Warm {
            inner.model_loads.push(name.to_owned());
            if evict_others {
                inner.resident.retain(|r| r.name == name);
            }
        }
        residency
    }
}
