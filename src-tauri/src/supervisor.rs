//! The app's one long-lived object: it owns the engine, the history store, the notification
//! policy and the settings, and keeps the tray in step with them. The engine knows nothing of
//! Tauri; this is the only place where the two meet.

use crate::keys::KeyringKeys;
use crate::settings::SettingsFile;
use crate::tray;
use chrono::{DateTime, Local, Offset, Utc};
use desktop_core::api::{Offer, StateView};
use desktop_core::notify::{Notice, Policy, TargetMeta};
use desktop_core::settings::{Settings, WindowGeometry};
use desktop_core::tray::{tray_model, TrayModel};
use monitor::config::Config;
use monitor::probe::{KeySource, Prober};
use monitor::{Engine, Event, Snapshot};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use store::{Recorder, Store};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::{broadcast, watch, Notify};

/// Labels in the menu are minute-coarse; this only has to notice a minute ticking over.
const TRAY_TICK: Duration = Duration::from_secs(10);
pub const WINDOW: &str = "main";

pub struct Supervisor {
    app: AppHandle,
    pub store: Store,
    /// `None` once stopped. Held across an engine restart, so restarts queue.
    recorder: tokio::sync::Mutex<Option<Recorder>>,
    /// The running engine, for the tray and the window to read without waiting.
    engine: Mutex<Option<Engine>>,
    generation: watch::Sender<u64>,
    pub keys: Arc<KeyringKeys>,
    policy: Mutex<Policy>,
    settings: Mutex<Settings>,
    file: SettingsFile,
    shown: Mutex<Option<TrayModel>>,
    notices: std::sync::mpsc::Sender<Notice>,
    visible: AtomicBool,
    /// Wakes the event loop to re-plan its next notification flush (pause changed).
    poke: Notify,
    pub data_dir: PathBuf,
    pub config_source: String,
    offers: Mutex<Option<Vec<Offer>>>,
}

/// Locks that survive a panicked holder: the data behind them stays usable for the tray.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn local_offset() -> chrono::FixedOffset {
    Local::now().offset().fix()
}

pub struct Parts {
    pub store: Store,
    pub file: SettingsFile,
    pub settings: Settings,
    pub keys: Arc<KeyringKeys>,
    pub data_dir: PathBuf,
    pub config_source: String,
}

impl Supervisor {
    /// Starts the history writer: call it inside the async runtime.
    pub fn new(app: AppHandle, parts: Parts) -> Arc<Supervisor> {
        let policy = Policy::new(parts.settings.notifications.clone(), Vec::new());
        Arc::new(Supervisor {
            app,
            recorder: tokio::sync::Mutex::new(Some(Recorder::new(parts.store.clone()))),
            store: parts.store,
            engine: Mutex::new(None),
            generation: watch::channel(0).0,
            keys: parts.keys,
            policy: Mutex::new(policy),
            settings: Mutex::new(parts.settings),
            file: parts.file,
            shown: Mutex::new(None),
            notices: crate::notifier::spawn(),
            visible: AtomicBool::new(false),
            poke: Notify::new(),
            data_dir: parts.data_dir,
            config_source: parts.config_source,
            offers: Mutex::new(None),
        })
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Replaces the settings, saves them, and restarts the engine when the targets changed.
    pub async fn apply(self: &Arc<Self>, next: Settings) -> anyhow::Result<()> {
        let config = next.engine_config()?;
        let previous = {
            let mut current = lock(&self.settings);
            std::mem::replace(&mut *current, next.clone())
        };
        self.file.save(&next)?;
        lock(&self.policy).set_prefs(next.notifications.clone());
        if previous.start_at_login != next.start_at_login {
            set_autostart(&self.app, next.start_at_login);
        }
        if previous.config != next.config {
            self.start_engine(config).await?;
        } else {
            self.refresh_tray();
        }
        self.poke.notify_one();
        Ok(())
    }

    /// (Re)starts the engine on `config`. The previous engine is stopped first, so a target is
    /// never probed by two engines at once.
    pub async fn start_engine(self: &Arc<Self>, config: Config) -> anyhow::Result<()> {
        let mut recorder = self.recorder.lock().await;
        let Some(recorder) = recorder.as_mut() else {
            anyhow::bail!("the app is stopping");
        };
        let keys = self.keys.clone();
        let targets = config.targets.clone();
        tokio::task::spawn_blocking(move || keys.load(&targets)).await?;
        lock(&self.policy).set_targets(config.targets.iter().map(TargetMeta::from).collect());

        let prober = Prober::new(self.keys.clone() as Arc<dyn KeySource>)?;
        let engine = recorder.start(config, prober).await?;
        let events = engine.subscribe();
        *lock(&self.engine) = Some(engine);
        let mut generation = 0;
        self.generation.send_modify(|g| {
            *g += 1;
            generation = *g;
        });
        tauri::async_runtime::spawn(self.clone().follow(events, generation));
        self.refresh_tray();
        Ok(())
    }

    pub fn engine(&self) -> Option<Engine> {
        lock(&self.engine).clone()
    }

    pub fn snapshot(&self) -> Snapshot {
        match self.engine() {
            Some(engine) => engine.snapshot(),
            None => Snapshot::empty(),
        }
    }

    pub fn state(&self) -> StateView {
        StateView {
            snapshot: self.snapshot(),
            notifications_paused_until: lock(&self.policy).paused_until(Utc::now()),
            data_dir: self.data_dir.clone(),
            config_source: self.config_source.clone(),
            offers: lock(&self.offers).clone(),
        }
    }

    pub fn set_offers(&self, offers: Option<Vec<Offer>>) {
        *lock(&self.offers) = offers;
    }

    pub fn check_now(&self, target: Option<&str>) {
        if let Some(engine) = self.engine() {
            engine.check_now(target);
        }
    }

    pub fn pause_notifications(&self, until: Option<DateTime<Utc>>) {
        lock(&self.policy).pause_until(until);
        self.poke.notify_one();
        self.refresh_tray();
        self.emit_state();
    }

    /// Follows one engine's events until a newer engine replaces it.
    async fn follow(self: Arc<Self>, mut events: broadcast::Receiver<Event>, generation: u64) {
        let mut replaced = self.generation.subscribe();
        let mut tick = tokio::time::interval(TRAY_TICK);
        loop {
            let flush_in = lock(&self.policy)
                .next_flush_at()
                .map(|at| (at - Utc::now()).to_std().unwrap_or(Duration::ZERO));
            let flush = async {
                match flush_in {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => self.on_event(event),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.refresh_tray(),
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick() => self.refresh_tray(),
                _ = flush => self.flush_notices(),
                _ = self.poke.notified() => self.flush_notices(),
                changed = replaced.changed() => {
                    if changed.is_err() || *replaced.borrow() != generation {
                        return;
                    }
                }
            }
        }
    }

    fn on_event(&self, event: Event) {
        let notable = !matches!(event, Event::Checked(_));
        if notable {
            lock(&self.policy).observe(&event, Utc::now());
            self.refresh_tray();
        }
        if self.visible.load(Ordering::Relaxed) {
            let _ = self.app.emit_to(WINDOW, "monitor-event", &event);
        }
    }

    fn flush_notices(&self) {
        let notices = lock(&self.policy).flush(Utc::now(), local_offset());
        for notice in notices {
            if self.notices.send(notice).is_err() {
                tracing::warn!("the notification thread is gone");
            }
        }
        self.refresh_tray();
    }

    pub fn notify(&self, notice: Notice) {
        let _ = self.notices.send(notice);
    }

    /// Recomputes the tray model and pushes only what changed.
    pub fn refresh_tray(&self) {
        let now = Utc::now();
        let paused = lock(&self.policy).paused_until(now);
        let model = tray_model(&self.snapshot(), paused, now, local_offset());
        let mut shown = lock(&self.shown);
        if shown.as_ref() == Some(&model) {
            return;
        }
        match (self.app.tray_by_id(tray::TRAY_ID), shown.as_ref()) {
            (Some(icon), Some(previous)) => {
                if let Err(err) = tray::update(&self.app, &icon, previous, &model) {
                    tracing::warn!("tray not updated: {err}");
                    return;
                }
            }
            (None, _) => {
                let app = self.app.clone();
                if let Err(err) =
                    tray::create(&self.app, &model, move |_| crate::window::show(&app, None))
                {
                    tracing::error!("no tray icon: {err}");
                    return;
                }
            }
            (Some(_), None) => {}
        }
        tracing::debug!("tray: {:?} · {}", model.icon, model.tooltip);
        *shown = Some(model);
    }

    pub fn set_visible(&self, visible: bool) {
        self.visible.store(visible, Ordering::Relaxed);
        if !visible {
            // The geometry is saved when the window goes away, not on every pixel of a drag.
            let settings = self.settings();
            if let Err(err) = self.file.save(&settings) {
                tracing::warn!("window position not saved: {err}");
            }
        }
    }

    pub fn is_visible(&self) -> bool {
        self.visible.load(Ordering::Relaxed)
    }

    pub fn remember_geometry(&self, geometry: WindowGeometry) {
        lock(&self.settings).window = Some(geometry);
    }

    pub fn emit_state(&self) {
        if self.is_visible() {
            let _ = self.app.emit_to(WINDOW, "monitor-state", &self.state());
        }
    }

    /// Stops monitoring cleanly: statuses end as unknown, open incidents close, and every event
    /// reaches the database before the process exits.
    pub async fn stop(&self) {
        let recorder = self.recorder.lock().await.take();
        lock(&self.engine).take();
        if let Some(recorder) = recorder {
            match recorder.finish().await {
                Ok(totals) => tracing::info!("stopped; {} events written", totals.events_written),
                Err(err) => tracing::error!("history not fully written: {err}"),
            }
        }
        self.generation.send_modify(|g| *g += 1);
        let settings = self.settings();
        if let Err(err) = self.file.save(&settings) {
            tracing::warn!("settings not saved on exit: {err}");
        }
    }

    pub fn app(&self) -> &AppHandle {
        &self.app
    }
}

pub fn set_autostart(app: &AppHandle, enabled: bool) {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    let result = if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    };
    if let Err(err) = result {
        tracing::warn!("start at login not changed: {err}");
    }
}

pub fn get(app: &AppHandle) -> Arc<Supervisor> {
    app.state::<Arc<Supervisor>>().inner().clone()
}
