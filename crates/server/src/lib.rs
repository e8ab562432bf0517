//! `llm-health serve`: the UI's commands over HTTP (the contract is `API.md` beside this crate),
//! live events as server-sent events, Prometheus metrics, and the built UI — over the same
//! engine and history the CLI and the desktop app use.
//!
//! ```no_run
//! # async fn run() -> Result<(), server::ServerError> {
//! let server = server::Server::bind(server::ServerOptions {
//!     listen: "127.0.0.1:7878".parse().unwrap(),
//!     token: "0123abcd".into(),
//!     allow_hosts: Vec::new(),
//!     ui_dir: None,
//!     config_path: "config.toml".into(),
//!     db_path: "history.db".into(),
//!     limits: server::Limits::default(),
//! })
//! .await?;
//! println!("{}", server.url());
//! server.run(async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

mod commands;
mod error;
mod events;
mod files;
mod guard;
mod listen;
mod metrics;

pub use error::ServerError;
pub use files::UI_DIR_ENV;
pub use listen::Limits;

use axum::routing::{any, get};
use axum::Router;
use controller::{Handle, Options, Settings, Shell, TomlFile};
use guard::Guard;
use metrics::MetricsCache;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How `serve` runs.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Port 0 picks a free one; [`Server::local_addr`] says which.
    pub listen: SocketAddr,
    /// Commands that change state need it as `Authorization: Bearer <token>`.
    pub token: String,
    /// More names the server may be reached by (`Host`), e.g. for a Prometheus on another host.
    pub allow_hosts: Vec<String>,
    /// A built UI to serve instead of the one inside the binary (for UI development).
    pub ui_dir: Option<PathBuf>,
    /// The configuration, in the engine's TOML format; saving settings writes it.
    pub config_path: PathBuf,
    pub db_path: PathBuf,
    /// Connections, live streams, header and stop deadlines.
    pub limits: Limits,
}

/// What every handler reaches.
#[derive(Clone)]
pub(crate) struct AppState {
    pub core: Handle,
    pub guard: Arc<Guard>,
    /// `GET /api/openapi.json`, generated once.
    pub openapi: Arc<str>,
    pub metrics: Arc<MetricsCache>,
    pub ui: Option<files::Ui>,
    /// Flips to `true` when the server stops, ending the live streams.
    pub stopping: watch::Receiver<bool>,
    /// One permit per live event stream ([`Limits::max_event_streams`]).
    pub streams: Arc<tokio::sync::Semaphore>,
    pub limits: Limits,
}

/// A bound server with monitoring running; [`Server::run`] answers requests.
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    token: String,
    router: Router,
    core: Handle,
    stop: watch::Sender<bool>,
    limits: Limits,
}

impl Server {
    /// Binds the address, opens the history, reads the config file and starts probing.
    pub async fn bind(options: ServerOptions) -> Result<Server, ServerError> {
        let core = start_core(&options).await?;
        Server::bind_with(options, core).await
    }

    /// Serves a core that is already running (`options`' config and database are its own
    /// business then). Stopping the server stops the core.
    pub async fn bind_with(options: ServerOptions, core: Handle) -> Result<Server, ServerError> {
        let listener =
            TcpListener::bind(options.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: options.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: options.listen,
            source,
        })?;
        let ui = files::find_ui(options.ui_dir.as_deref());
        if ui.is_none() {
            tracing::warn!("no built UI found; / explains how to build it (the API works)");
        }
        let (stop, stopping) = watch::channel(false);
        let guard = Arc::new(Guard::new(
            options.token.clone(),
            addr,
            &options.allow_hosts,
        ));
        let app = AppState {
            core: core.clone(),
            guard: guard.clone(),
            openapi: controller::openapi::document().to_string().into(),
            metrics: Arc::new(MetricsCache::start(&core)),
            ui,
            stopping,
            streams: Arc::new(tokio::sync::Semaphore::new(
                options.limits.max_event_streams,
            )),
            limits: options.limits,
        };
        let router = Router::new()
            .route("/api/events", get(events::events))
            .route(
                "/api/{name}",
                get(commands::get)
                    .post(commands::post)
                    .fallback(commands::other),
            )
            .route("/metrics", get(metrics::metrics))
            .fallback(any(files::serve_file))
            .with_state(app)
            .layer(axum::middleware::from_fn_with_state(guard, guard::guard))
            .layer(axum::middleware::map_response(guard::security_headers));
        Ok(Server {
            listener,
            addr,
            token: options.token,
            router,
            core,
            stop,
            limits: options.limits,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address to open, token in the fragment (a browser never sends it to the server).
    /// An unspecified listen address (`0.0.0.0`) is shown as loopback, which always works here.
    pub fn url(&self) -> String {
        let ip = self.addr.ip();
        let host = if ip.is_unspecified() {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), self.addr.port())
        } else {
            self.addr
        };
        format!("http://{host}/#token={}", self.token)
    }

    /// Answers requests until `shutdown` completes, then stops: live streams end, requests in
    /// flight get [`Limits::shutdown_grace`] to finish, probing stops cleanly and the last
    /// events are written.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let stop = self.stop;
        listen::serve(self.listener, self.router, self.limits, async move {
            shutdown.await;
            // Live streams never end on their own; they watch this.
            let _ = stop.send(true);
        })
        .await;
        self.core.stop().await;
        Ok(())
    }
}

/// Opens the history, reads the config file (none yet: a first run, which looks for endpoints
/// to offer) and starts probing.
async fn start_core(options: &ServerOptions) -> Result<Handle, ServerError> {
    let file = TomlFile::new(&options.config_path);
    let config = file.read()?;
    let first_run = config.is_none();
    let (store, notes) = store::Store::open_for_run(&options.db_path).await?;
    for note in notes.iter() {
        tracing::warn!("{note}");
    }
    let data_dir = options
        .db_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf);
    let started = controller::start(
        Options {
            store,
            settings: Settings {
                onboarded: !first_run,
                ..Settings::with_config(config.unwrap_or_default())
            },
            data_dir: data_dir.canonicalize().unwrap_or(data_dir),
            config_source: options.config_path.display().to_string(),
            first_run,
        },
        Shell::headless(file),
    );
    for warning in &started.warnings {
        tracing::warn!("{warning}");
    }
    Ok(started.handle)
}
