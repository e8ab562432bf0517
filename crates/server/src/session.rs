//! What `serve` runs: the history, the engine of the moment, and the config file they follow.
//! Changing the configuration writes the file and restarts probing with it; every change and
//! every engine event goes out to the live streams.

use crate::error::ServerError;
use desktop_core::api::{Offer, SettingsView, StateView};
use desktop_core::settings::{parse_toml, validate};
use monitor::config::{Config, ConfigFile};
use monitor::probe::{KeyOrigin, Prober};
use monitor::{Engine, Snapshot};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use store::{Recorder, Store, TargetInfo};
use tokio::sync::broadcast;

/// Live messages queued per stream before a slow one is told it lagged.
const HUB_CAPACITY: usize = 1024;

/// What the live streams send, serialized once for every listener.
#[derive(Debug, Clone)]
pub enum Live {
    /// One engine event (`{"type": "checked" | …}`).
    Monitor(Arc<str>),
    /// A whole `StateView`: the configuration changed.
    State(Arc<str>),
}

/// The configuration as written and as resolved.
struct Current {
    file: ConfigFile,
    config: Config,
}

pub struct Session {
    store: Store,
    /// `None` once stopped. Held across a whole configuration change, so changes queue.
    recorder: tokio::sync::Mutex<Option<Recorder>>,
    engine: RwLock<Option<Engine>>,
    current: RwLock<Current>,
    config_path: PathBuf,
    data_dir: PathBuf,
    offers: Mutex<Option<Vec<Offer>>>,
    hub: broadcast::Sender<Live>,
    /// What opening the history found (damage, an unclean stop), for the log.
    notes: Vec<String>,
}

/// Locks that survive a panicked holder: the data behind them stays usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Session {
    /// Opens the history, reads the config file (none yet: a first run, which looks for
    /// endpoints to offer) and starts probing.
    pub async fn start(config_path: &Path, db_path: &Path) -> Result<Arc<Session>, ServerError> {
        let (file, first_run) = match std::fs::read_to_string(config_path) {
            Ok(text) => (
                parse_toml(&text, &config_path.display().to_string())?,
                false,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (ConfigFile::default(), true),
            Err(e) => {
                return Err(ServerError::Internal(format!(
                    "cannot read the config file {}: {e}",
                    config_path.display()
                )))
            }
        };
        let config = validate(&file)?;
        let (store, notes) = Store::open_for_run(db_path).await?;
        let data_dir = db_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let session = Arc::new(Session {
            recorder: tokio::sync::Mutex::new(Some(Recorder::new(store.clone()))),
            store,
            engine: RwLock::new(None),
            current: RwLock::new(Current {
                file,
                config: config.clone(),
            }),
            config_path: config_path.to_path_buf(),
            data_dir: data_dir.canonicalize().unwrap_or(data_dir),
            offers: Mutex::new(None),
            hub: broadcast::channel(HUB_CAPACITY).0,
            notes: notes.iter().cloned().collect(),
        });
        {
            let mut recorder = session.recorder.lock().await;
            if let Some(recorder) = recorder.as_mut() {
                session.run_engine(recorder, config).await?;
            }
        }
        if first_run {
            tokio::spawn(session.clone().offer_detected());
        }
        Ok(session)
    }

    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.hub.subscribe()
    }

    pub fn snapshot(&self) -> Snapshot {
        match read(&self.engine).as_ref() {
            Some(engine) => engine.snapshot(),
            None => Snapshot::empty(),
        }
    }

    pub fn state(&self) -> StateView {
        StateView {
            snapshot: self.snapshot(),
            notifications_paused_until: None,
            data_dir: self.data_dir.clone(),
            config_source: self.config_path.display().to_string(),
            offers: lock(&self.offers).clone(),
        }
    }

    pub fn state_json(&self) -> Arc<str> {
        serde_json::to_string(&self.state())
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string())
            .into()
    }

    pub fn settings(&self) -> SettingsView {
        let current = read(&self.current);
        SettingsView {
            config: current.file.clone(),
            notifications: None,
            start_at_login: None,
            // Keys come from the environment only: nothing is stored.
            keys: current
                .config
                .targets
                .iter()
                .map(|t| (t.id.clone(), KeyOrigin::of(t, false)))
                .collect(),
        }
    }

    pub fn config_file(&self) -> ConfigFile {
        read(&self.current).file.clone()
    }

    /// The configured targets, in configuration order.
    pub fn targets(&self) -> Vec<TargetInfo> {
        read(&self.current)
            .config
            .targets
            .iter()
            .map(TargetInfo::from)
            .collect()
    }

    pub fn check_now(&self, target: Option<&str>) -> Result<(), ServerError> {
        if let Some(id) = target {
            if !self.targets().iter().any(|t| t.id == id) {
                return Err(ServerError::NotFound(format!("there is no target {id:?}")));
            }
        }
        if let Some(engine) = read(&self.engine).as_ref() {
            engine.check_now(target);
        }
        Ok(())
    }

    /// Changes the configuration: `change` edits a copy, which is validated, written to the
    /// config file and then probed. Nothing changes when any step fails.
    pub async fn edit(
        &self,
        change: impl FnOnce(&mut ConfigFile) -> Result<(), ServerError>,
    ) -> Result<(), ServerError> {
        self.edit_then(change, |_| {}).await
    }

    /// First run: the endpoints the user picked (possibly none) join the configuration, which
    /// is written even when empty, so the offer is not made again.
    pub async fn answer_offers(
        &self,
        targets: Vec<monitor::config::TargetFile>,
    ) -> Result<(), ServerError> {
        self.edit_then(
            |file| {
                for target in targets {
                    file.upsert_target(target);
                }
                Ok(())
            },
            |session| *lock(&session.offers) = None,
        )
        .await
    }

    /// [`Session::edit`], with `after` run once the change is in and before the new state goes
    /// out.
    async fn edit_then(
        &self,
        change: impl FnOnce(&mut ConfigFile) -> Result<(), ServerError>,
        after: impl FnOnce(&Self),
    ) -> Result<(), ServerError> {
        let mut guard = self.recorder.lock().await;
        let recorder = guard
            .as_mut()
            .ok_or_else(|| ServerError::Internal("the server is stopping".into()))?;
        let mut file = self.config_file();
        change(&mut file)?;
        let config = validate(&file)?;
        let text = file.to_toml().map_err(|e| {
            ServerError::Internal(format!("the configuration has no TOML form: {e}"))
        })?;
        write_atomically(&self.config_path, &text).map_err(|source| ServerError::WriteConfig {
            path: self.config_path.clone(),
            source,
        })?;
        *write(&self.current) = Current {
            file,
            config: config.clone(),
        };
        self.run_engine(recorder, config).await?;
        after(self);
        self.broadcast_state();
        Ok(())
    }

    pub fn broadcast_state(&self) {
        // No listener is not an error.
        let _ = self.hub.send(Live::State(self.state_json()));
    }

    async fn run_engine(&self, recorder: &mut Recorder, config: Config) -> Result<(), ServerError> {
        let prober = Prober::with_env_keys()
            .map_err(|e| ServerError::Internal(format!("no HTTP client for probes: {e}")))?;
        let engine = recorder.start(config, prober).await?;
        self.follow(&engine);
        // The previous engine's handle goes here; with it gone, its follower ends.
        *write(&self.engine) = Some(engine);
        Ok(())
    }

    /// Forwards one engine's events to the live streams until that engine is replaced.
    fn follow(&self, engine: &Engine) {
        let mut events = engine.subscribe();
        let hub = self.hub.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => match serde_json::to_string(&event) {
                        Ok(json) => {
                            let _ = hub.send(Live::Monitor(json.into()));
                        }
                        Err(e) => tracing::warn!("event not sent: {e}"),
                    },
                    // The streams' own lag handling sends them a whole state.
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::debug!("{n} engine events skipped for the live streams")
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    async fn offer_detected(self: Arc<Self>) {
        let Some(offers) = Offer::detected().await else {
            return;
        };
        // Someone may have configured targets while detection ran: then there is nothing to offer.
        let _guard = self.recorder.lock().await;
        if !read(&self.current).file.targets.is_empty() || self.config_path.exists() {
            return;
        }
        *lock(&self.offers) = Some(offers);
        self.broadcast_state();
    }

    /// Stops probing cleanly (targets end as unknown, open incidents close) and writes the last
    /// events. Later configuration changes are refused.
    pub async fn stop(&self) {
        let recorder = self.recorder.lock().await.take();
        write(&self.engine).take();
        if let Some(recorder) = recorder {
            match recorder.finish().await {
                Ok(totals) => {
                    if totals.events_dropped > 0 {
                        tracing::warn!(
                            "{} events could not be written in time and were dropped",
                            totals.events_dropped
                        );
                    }
                    tracing::info!("stopped; {} events written", totals.events_written);
                }
                Err(e) => tracing::error!("history not fully written: {e}"),
            }
        }
        self.store.close().await;
    }
}

/// Writes `text` to a temporary file beside `path` and renames it over `path`, so a crash never
/// leaves half a config file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config.toml".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
