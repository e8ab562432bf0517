//! Fake remote LLM servers (Ollama, LM Studio, OpenAI, Anthropic, Gemini,
//! Azure OpenAI) that follow the real APIs' paths, shapes, headers and error
//! bodies, with scripted faults and a record of every request received. [`Receiver`] is the
//! other side of alert channels: a webhook, ntfy, Slack or Discord receiver that records what
//! it is sent.
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
mod fault;
mod flavor;
mod gemini;
mod gen;
mod lmstudio;
mod models;
mod ollama;
mod openai;
mod openai_compat;
mod provider;
mod receiver;
mod record;
mod server;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use fault::{Fault, UnknownFault};
pub use flavor::{Flavor, UnknownFlavor};
pub use receiver::{request_json, Receiver, Shape, UnknownShape};
pub use record::RecordedRequest;

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
    /// for OpenAI, `url()` for the others.
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
    /// it, or get the provider's real authentication error.
    pub fn set_api_key(&self, key: Option<&str>) {
        self.state.set_api_key(key);
    }

    /// Replaces the installed (local) or listed (cloud) models; for Azure
    /// these are also the deployment names. Resident models not in the new
    /// list are unloaded.
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
