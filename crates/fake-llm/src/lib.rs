//! Fake remote LLM servers that follow the real APIs' paths, shapes, headers and
//! error bodies, with scripted faults and a record of every request received:
//! Ollama, LM Studio, llama.cpp's `llama-server` and vLLM (local), OpenAI, Anthropic,
//! Gemini, Azure OpenAI, OpenRouter and DeepSeek (cloud, the last two with their
//! credit and balance endpoints), and the status pages a monitor reads for context:
//! Atlassian Statuspage and incident.io's Statuspage-compatible pages. [`Receiver`] is
//! the other side of alert channels: a webhook, ntfy, Slack or Discord receiver that
//! records what it is sent.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use fake_llm::{FakeServer, Fault, Flavor};
//! let server = FakeServer::start(Flavor::Openai).await?;
//! server.set_api_key(Some("sk-test"));
//! server.push_faults([Fault::Status(503)]);
//! // ... point a client at server.base_url() ...
//! assert!(server.model_loads().is_empty());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod anthropic;
mod azure;
mod body;
mod deepseek;
mod fault;
mod flavor;
mod gemini;
mod gen;
mod incidentio;
mod llamacpp;
mod lmstudio;
mod models;
mod ollama;
mod openai;
mod openai_compat;
mod openrouter;
mod provider;
mod receiver;
mod record;
mod server;
mod state;
mod statuspage;
mod vllm;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use fault::{Fault, UnknownFault};
pub use flavor::{Flavor, UnknownFlavor};
pub use receiver::{request_json, Receiver, Shape, UnknownShape};
pub use record::RecordedRequest;
pub use statuspage::FakeIncident;

use state::AppState;

/// A running fake server. Dropping it stops it; `shutdown` also waits.
pub struct FakeServer {
    state: Arc<AppState>,
    addr: SocketAddr,
    task: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Starts on 127.0.0.1 with a port chosen by the system.
    pub async fn start(flavor: Flavor) -> std::io::Result<FakeServer> {
        Self::start_on(flavor, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    pub async fn start_on(flavor: Flavor, addr: SocketAddr) -> std::io::Result<FakeServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(AppState::new(flavor));
        let task = tokio::spawn(server::run(listener, Arc::clone(&state)));
        Ok(FakeServer {
            state,
            addr,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server root, e.g. `http://127.0.0.1:11434`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the provider's official SDK calls `base_url`: `url()` plus `/v1`
    /// for OpenAI and `/api/v1` for OpenRouter, `url()` for the others (for a
    /// status page, the page root).
    pub fn base_url(&self) -> String {
        format!("{}{}", self.url(), self.flavor().base_path())
    }

    pub fn flavor(&self) -> Flavor {
        self.state.flavor
    }

    /// The fault applied to every request until changed (after queued ones).
    pub fn set_fault(&self, fault: Fault) {
        self.state.set_fault(fault);
    }

    /// Faults consumed one per request, before the standing fault applies again.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.push_faults(faults);
    }

    /// Standing fault back to `Fault::None`, queue emptied.
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// When `Some`, requests must present this key where the provider expects
    /// it, or get the provider's real authentication error. Endpoints the real
    /// server leaves open stay open (llama.cpp's `/health` and `/v1/models`, vLLM
    /// outside `/v1`, OpenRouter's model list); status pages never ask for one.
    pub fn set_api_key(&self, key: Option<&str>) {
        self.state.set_api_key(key);
    }

    /// Replaces the installed (local) or listed (cloud) models; for Azure
    /// these are also the deployment names, for vLLM the served model names,
    /// and for llama.cpp the first is the alias of its one model. Resident
    /// models not in the new list are unloaded. Status pages ignore it.
    pub fn set_models(&self, names: &[&str]) {
        self.state.set_models(names);
    }

    /// Marks a model resident with default settings, as if loaded by hand
    /// (installing it if needed). Not recorded in `model_loads`.
    pub fn load_model(&self, name: &str) {
        self.state.preload(name);
    }

    pub fn unload_model(&self, name: &str) {
        self.state.unload(name);
    }

    pub fn loaded_models(&self) -> Vec<String> {
        self.state.loaded_models()
    }

    /// Every request received, in order, faulted ones included.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    pub fn clear_requests(&self) {
        self.state.clear_requests();
    }

    /// How many requests for `path` (e.g. `/v1/models`) arrived, faulted ones included.
    /// Counted even with recording off, and not reset by `clear_requests`.
    pub fn hits(&self, path: &str) -> u64 {
        self.state.hits(path)
    }

    /// How many requests arrived in all, counted as `hits` is.
    pub fn hits_total(&self) -> u64 {
        self.state.hits_total()
    }

    /// How many TCP connections were accepted: with keep-alive, requests share them.
    pub fn connections(&self) -> u64 {
        self.state.connections()
    }

    /// Recording is on by default; a long-running benchmark server turns it
    /// off so that memory stays flat (`requests()` then stays empty).
    pub fn set_recording(&self, on: bool) {
        self.state.set_recording(on);
    }

    /// Every model load or reload a request caused, in order.
    pub fn model_loads(&self) -> Vec<String> {
        self.state.model_loads()
    }

    /// The most requests handled at once so far (a streamed response counts
    /// until its last byte).
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight()
    }

    /// llama.cpp only: while loading, every endpoint, `/health` included, answers
    /// 503 `Loading model` (`unavailable_error`), as `llama-server` does until its
    /// model is in memory.
    pub fn set_loading(&self, loading: bool) {
        self.state.set_loading(loading);
    }

    /// vLLM only: what `/metrics` reports, for every served model, as
    /// `vllm:num_requests_running`, `vllm:num_requests_waiting` and the KV-cache
    /// gauge (`kv_cache` is a fraction from 0 to 1). Default 3, 0, 0.42.
    pub fn set_server_load(&self, running: u64, waiting: u64, kv_cache: f64) {
        self.state.set_server_load(vllm::ServerLoad {
            running,
            waiting,
            kv_cache,
        });
    }

    /// vLLM only: metrics as the older (V0) engine names them, the KV cache as
    /// `vllm:gpu_cache_usage_perc` (with `vllm:cpu_cache_usage_perc` beside it)
    /// instead of `vllm:kv_cache_usage_perc`, and without the `engine` label.
    pub fn set_legacy_metrics(&self, legacy: bool) {
        self.state.set_legacy_metrics(legacy);
    }

    /// OpenRouter only: the key's spending cap (`None`: unlimited, shown as
    /// `"limit": null, "limit_remaining": null`), what remains of it, and what was
    /// used, as `/api/v1/key` and `/api/v1/credits` report them. Default
    /// `Some(10.0)`, `Some(2.1)`, `7.9`.
    pub fn set_credits(&self, limit: Option<f64>, remaining: Option<f64>, usage: f64) {
        self.state.update_credits(|c| {
            c.limit = limit;
            c.remaining = remaining;
            c.usage = usage;
        });
    }

    /// OpenRouter only: a negative balance. `/api/v1/key` still answers 200 (with
    /// `limit_remaining` below zero when there is a limit), `/api/v1/credits` shows
    /// usage beyond the credits, and chat completions answer 402.
    pub fn set_exhausted(&self, exhausted: bool) {
        self.state.update_credits(|c| c.exhausted = exhausted);
    }

    /// DeepSeek only: what `/user/balance` reports, one `(currency, total)` per
    /// entry (all of it topped up, none granted). Unavailable, chat completions
    /// answer 402 `Insufficient Balance`. Default available, `[("USD", 2.10)]`.
    pub fn set_balance(&self, available: bool, balances: &[(&str, f64)]) {
        self.state.set_balance(deepseek::Balance {
            available,
            infos: balances
                .iter()
                .map(|(currency, total)| ((*currency).to_owned(), *total))
                .collect(),
        });
    }

    /// Status pages only: the components as `(id, name, status)`, in page order;
    /// status is operational, degraded_performance, partial_outage, major_outage or
    /// under_maintenance. A list different from the current one is a change: the
    /// page's `updated_at`, `Last-Modified` and every ETag move; the same list is not.
    pub fn set_components(&self, components: &[(&str, &str, &str)]) {
        self.state.set_components(components);
    }

    /// Status pages only: every incident, resolved ones included (only unresolved
    /// ones appear in `unresolved.json` and `summary.json` and count towards the
    /// status). A change moves the validators as `set_components` does.
    pub fn set_incidents(&self, incidents: &[FakeIncident]) {
        self.state.set_incidents(incidents);
    }

    /// Stops accepting, drops every open connection, and waits for that.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
