//! The one owner of the application's state. A single task holds the settings, the engine of the
//! moment, the history recorder, the first-run offers and the notification policy, and takes
//! requests over a channel (Firezone's GUI controller). Commands that change something run one
//! after another in that task, so a read-change-write is atomic by construction; slow reads
//! (history, a test probe, the keyring) are handed to tasks of their own so they never hold up
//! the rest.

use crate::command::{Command, CommandName};
use crate::error::CoreError;
use crate::settings::Settings;
use crate::shell::Shell;
use crate::views::{
    ChannelView, Healthy, Incidents, Offer, ProviderIncidents, RecentChecks, SettingsView,
    StateView,
};
use alerts::{Policy, TargetMeta};
use chrono::{DateTime, Duration as Minutes, Local, Offset, Utc};
use monitor::config::{Config, ConfigFile};
use monitor::probe::{EnvKeys, KeyOrigin, KeySource, Prober};
use monitor::redact::Redactor;
use monitor::{Engine, Event, Snapshot};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::{Recorder, RunTotals, Store, TargetInfo};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// Requests waiting for the owner; a caller beyond this waits its turn.
const QUEUE: usize = 64;
/// Live messages queued per listener before a slow one is told it lagged.
const UPDATES: usize = 1024;
/// Tray labels are minute-coarse; this only has to notice a minute ticking over.
const TRAY_TICK: Duration = Duration::from_secs(10);
/// How long a stop waits for notices still being delivered.
const CHANNELS_GRACE: Duration = Duration::from_secs(3);

/// What a shell hands over at the start.
pub struct Options {
    /// The history, opened by the shell (which reports what opening it found its own way).
    pub store: Store,
    pub settings: Settings,
    /// Where the profile lives, as `get_state` shows it.
    pub data_dir: PathBuf,
    /// Where the configuration came from, as `get_state` shows it.
    pub config_source: String,
    /// Nothing configured and no offer answered yet: look for endpoints to offer.
    pub first_run: bool,
}

/// What listeners (the app's window, `serve`'s live streams) receive, serialized once for all.
#[derive(Debug, Clone)]
pub enum Update {
    /// One engine event (`{"type": "checked" | "transition" | …}` as JSON).
    Monitor(Arc<LiveEvent>),
    /// A whole `StateView` as JSON: the configuration, the offers or the pause changed.
    State(Arc<str>),
}

/// An engine event on its way to listeners, serialized at most once and only when a listener
/// wants the text: a hidden window takes none, every live stream shares one.
#[derive(Debug)]
pub struct LiveEvent {
    event: Event,
    json: std::sync::OnceLock<Arc<str>>,
}

impl LiveEvent {
    pub fn new(event: Event) -> LiveEvent {
        LiveEvent {
            event,
            json: std::sync::OnceLock::new(),
        }
    }

    pub fn event(&self) -> &Event {
        &self.event
    }

    pub fn json(&self) -> Arc<str> {
        self.json
            .get_or_init(|| match serde_json::to_string(&self.event) {
                Ok(text) => text.into(),
                Err(err) => serde_json::json!({ "error": err.to_string() })
                    .to_string()
                    .into(),
            })
            .clone()
    }
}

/// A reply: the command's result as JSON text, ready for either transport.
pub type Reply = Result<String, CoreError>;

/// A command is much larger than the rest; requests move once through a channel, so boxing it
/// would only add an allocation per command.
#[allow(clippy::large_enum_variant)]
enum Request {
    Command(Command, oneshot::Sender<Reply>),
    Targets(oneshot::Sender<Vec<TargetInfo>>),
    /// First-run detection finished.
    Offers(Vec<Offer>),
    Stop(oneshot::Sender<Option<RunTotals>>),
}

/// A cheap, cloneable way to talk to the owner.
#[derive(Clone)]
pub struct Handle {
    requests: mpsc::Sender<Request>,
    updates: broadcast::Sender<Update>,
    engine: watch::Receiver<Option<Engine>>,
    store: Store,
}

/// A started controller, and what starting it found for the user to know.
pub struct Started {
    pub handle: Handle,
    pub warnings: Vec<String>,
}

/// Starts the task that owns it all, which starts probing the configured targets first thing.
/// Call it inside a Tokio runtime; it returns at once (a keyring that is slow to answer delays
/// the first probes, never the shell).
pub fn start(options: Options, shell: Shell) -> Started {
    let mut warnings = Vec::new();
    let config = match options.settings.config.validate("settings") {
        Ok(config) => config,
        Err(err) => {
            warnings.push(format!(
                "saved targets are invalid ({err}); watching nothing until they are fixed"
            ));
            Config::default()
        }
    };
    let (requests, inbox) = mpsc::channel(QUEUE);
    let updates = broadcast::channel(UPDATES).0;
    let (engine_tx, engine) = watch::channel(None);
    // Every shell runs the policy: the desktop is one channel, `[[alerts]]` the others.
    let mut policy = Policy::new(
        options
            .settings
            .notifications
            .with_file(&config.notifications),
        config.targets.iter().map(TargetMeta::from).collect(),
    );
    policy.set_maintenance(config.maintenance.clone());
    let owner = Owner {
        recorder: Some(Recorder::new(options.store.clone())),
        store: options.store.clone(),
        shell,
        engine: engine_tx,
        events: None,
        settings: options.settings,
        config,
        offers: None,
        history_problem: None,
        policy,
        channels: None,
        data_dir: options.data_dir,
        config_source: options.config_source,
        updates: updates.clone(),
    };
    if options.first_run {
        tokio::spawn(detect_offers(requests.clone()));
    }
    tokio::spawn(owner.serve(inbox));
    tokio::spawn(crate::memory::give_back_once_settled());
    Started {
        handle: Handle {
            requests,
            updates,
            engine,
            store: options.store,
        },
        warnings,
    }
}

impl Handle {
    pub async fn run(&self, command: Command) -> Reply {
        let (tx, rx) = oneshot::channel();
        self.send(Request::Command(command, tx)).await?;
        rx.await.map_err(|_| CoreError::Stopping)?
    }

    /// Engine events and state changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.updates.subscribe()
    }

    /// The engine's live view, without waiting for the owner (the tray and `/metrics` read it).
    pub fn snapshot(&self) -> Snapshot {
        snapshot_of(&self.engine.borrow())
    }

    /// The history, for readers that are not commands (`/metrics`).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configured targets, in configuration order.
    pub async fn targets(&self) -> Vec<TargetInfo> {
        let (tx, rx) = oneshot::channel();
        if self.send(Request::Targets(tx)).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Stops monitoring cleanly: statuses end as unknown, open incidents close, and every event
    /// reaches the database before this returns. Commands after it answer "stopping".
    /// Stops probing, writes the rest of the history and lets queued notices go. Returns what
    /// this run wrote; `None` when it was stopped already or the history could not be finished.
    pub async fn stop(&self) -> Option<RunTotals> {
        let (tx, rx) = oneshot::channel();
        self.send(Request::Stop(tx)).await.ok()?;
        rx.await.ok().flatten()
    }

    async fn send(&self, request: Request) -> Result<(), CoreError> {
        self.requests
            .send(request)
            .await
            .map_err(|_| CoreError::Stopping)
    }
}

/// First run: every candidate endpoint detection looks at, found or not. Nothing is added until
/// the user says so.
async fn detect_offers(requests: mpsc::Sender<Request>) {
    let prober = match Prober::with_env_keys() {
        Ok(prober) => prober,
        Err(err) => {
            tracing::warn!("endpoint detection unavailable: {err}");
            return;
        }
    };
    let detections = monitor::detect::detect(&prober, &|v| std::env::var(v).ok()).await;
    let _ = requests
        .send(Request::Offers(Offer::from_detections(&detections)))
        .await;
}

struct Owner {
    shell: Shell,
    store: Store,
    /// `None` once stopped.
    recorder: Option<Recorder>,
    engine: watch::Sender<Option<Engine>>,
    events: Option<broadcast::Receiver<Event>>,
    settings: Settings,
    /// `settings.config`, resolved.
    config: Config,
    offers: Option<Vec<Offer>>,
    /// What [`Owner::check_history`] last found wrong with the history writer.
    history_problem: Option<String>,
    policy: Policy,
    /// Where `[[alerts]]` go; rebuilt with the engine.
    channels: Option<Arc<channels::Dispatcher>>,
    data_dir: PathBuf,
    config_source: String,
    updates: broadcast::Sender<Update>,
}

pub fn local_offset() -> chrono::FixedOffset {
    Local::now().offset().fix()
}

/// The live view of the engine of the moment; empty between engines.
fn snapshot_of(engine: &Option<Engine>) -> Snapshot {
    engine
        .as_ref()
        .map_or_else(Snapshot::empty, Engine::snapshot)
}

/// Waits for the next event of the engine of the moment; forever when there is none.
async fn next_event(events: &mut Option<broadcast::Receiver<Event>>) -> Option<Event> {
    let Some(rx) = events.as_mut() else {
        return std::future::pending().await;
    };
    match rx.recv().await {
        Ok(event) => Some(event),
        // What was missed only moved the tray, which is redrawn from the snapshot.
        Err(broadcast::error::RecvError::Lagged(_)) => None,
        Err(broadcast::error::RecvError::Closed) => {
            *events = None;
            std::future::pending().await
        }
    }
}

impl Owner {
    async fn serve(mut self, mut inbox: mpsc::Receiver<Request>) {
        if let Err(err) = self.run_engine().await {
            tracing::error!("monitoring did not start: {err}");
        }
        self.show_status();
        let mut tick = tokio::time::interval(TRAY_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let flush_in = self
                .policy
                .next_flush_at()
                .map(|at| (at - Utc::now()).to_std().unwrap_or(Duration::ZERO));
            let flush = async {
                match flush_in {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                request = inbox.recv() => match request {
                    Some(Request::Command(command, reply)) => self.handle(command, reply).await,
                    Some(Request::Targets(reply)) => {
                        let _ = reply.send(self.target_infos());
                    }
                    Some(Request::Offers(offers)) => self.offer(offers),
                    Some(Request::Stop(done)) => {
                        let totals = self.finish().await;
                        let _ = done.send(totals);
                        return;
                    }
                    None => {
                        self.finish().await;
                        return;
                    }
                },
                event = next_event(&mut self.events) => match event {
                    Some(event) => self.on_event(event),
                    None => self.show_status(),
                },
                _ = flush => self.flush_alerts(),
                _ = tick.tick() => {
                    self.check_history();
                    self.show_status();
                }
            }
        }
    }

    /// Runs one command. What changes something runs here, whole, before the next request;
    /// slow reads go to a task of their own with the reply.
    async fn handle(&mut self, command: Command, reply: oneshot::Sender<Reply>) {
        let name = command.name();
        if let Some(needs) = name.needs().filter(|&c| !self.shell.has(c)) {
            let _ = reply.send(Err(CoreError::Unavailable {
                command: name,
                needs,
            }));
            return;
        }
        match self.slow_read(command) {
            Route::Task(task) => {
                tokio::spawn(async move {
                    let _ = reply.send(task.await);
                });
            }
            Route::Owner(command) => {
                let answer = self.run_here(command).await;
                let _ = reply.send(answer);
            }
        }
    }

    /// The commands that wait on the history, a probe or the keyring, as a task that needs
    /// nothing of the owner; any other command comes back.
    fn slow_read(&self, command: Command) -> Route {
        let task: SlowRead = match command {
            Command::TestTarget(args) => {
                let keys = self.key_source();
                Box::pin(async move {
                    let typed = args.api_key.clone();
                    monitor::round::test_connection(args.target, keys, args.api_key)
                        .await
                        .map_err(|e| redacted_config_error(e, typed.as_deref()))
                        .and_then(|result| json(&result))
                })
            }
            Command::History(args) => {
                let store = self.store.clone();
                let window = args.window().resolve(Utc::now());
                let info = self
                    .target_infos()
                    .into_iter()
                    .find(|t| t.id == args.target);
                Box::pin(async move {
                    let window = window?;
                    let info = info.ok_or(CoreError::NoSuchTarget(args.target))?;
                    let view = store.history_view(&info, &window).await?;
                    json_sized(&view, view_size(window.buckets))
                })
            }
            Command::Timeline(args) => {
                let store = self.store.clone();
                let window = args.resolve(Utc::now());
                let targets = self.target_infos();
                // Also what is running or planned: a snooze begun a moment ago starts after
                // the window's last whole bucket. The page clips bands to its axis.
                let bands = window
                    .as_ref()
                    .map(|w| {
                        let ahead = w.to.max(Utc::now()) + Minutes::days(1);
                        self.policy.maintenance_bands(w.from, ahead)
                    })
                    .unwrap_or_default();
                Box::pin(async move {
                    let window = window?;
                    let mut view = store.timeline(&targets, &window).await?;
                    view.maintenance = bands;
                    json_sized(&view, targets.len() * view_size(window.buckets) + 64)
                })
            }
            Command::Incidents(args) => {
                let store = self.store.clone();
                Box::pin(async move {
                    let list = store.recent_incidents(&args, Utc::now()).await?;
                    json(&Incidents(list))
                })
            }
            Command::ProviderIncidents(args) => {
                let store = self.store.clone();
                Box::pin(async move {
                    let list = store.recent_provider_incidents(&args, Utc::now()).await?;
                    json(&ProviderIncidents(list))
                })
            }
            Command::RecentChecks(args) => {
                let store = self.store.clone();
                let ids: Vec<String> = match args.target {
                    Some(id) if self.config.target(&id).is_none() => {
                        return Route::Task(Box::pin(
                            async move { Err(CoreError::NoSuchTarget(id)) },
                        ))
                    }
                    Some(id) => vec![id],
                    None => self
                        .config
                        .targets
                        .iter()
                        .map(|t| t.id.to_string())
                        .collect(),
                };
                let limit = args.limit.unwrap_or(store::RECENT_CHECKS);
                Box::pin(async move {
                    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                    let beats = store.recent_checks(&refs, limit).await?;
                    json(&RecentChecks(ids.into_iter().zip(beats).collect()))
                })
            }
            Command::SetApiKey(args) => {
                let keys = self.shell.keys.clone();
                let engine = self.engine.borrow().clone();
                Box::pin(async move {
                    let keys = keys.ok_or_else(|| unavailable(CommandName::SetApiKey))?;
                    let target = args.target.clone();
                    blocking(move || keys.set(&args.target, &args.key)).await?;
                    // The new key is in memory already: see whether it works.
                    if let Some(engine) = engine {
                        engine.check_now(Some(&target));
                    }
                    done(())
                })
            }
            Command::SetChannelUrl(args) => {
                let keys = self.shell.keys.clone();
                Box::pin(async move {
                    let keys = keys.ok_or_else(|| unavailable(CommandName::SetChannelUrl))?;
                    monitor::config::SecretUrl::parse(&args.url)
                        .map_err(|m| CoreError::InvalidTarget(format!("the channel's URL {m}")))?;
                    let name = crate::shell::channel_secret_name(&args.id);
                    blocking(move || keys.set(&name, args.url.trim())).await?;
                    done(())
                })
            }
            Command::TestAlertChannel(args) => {
                let channels = self.channels.clone();
                let known = self.config.alerts.iter().any(|c| c.id == args.id);
                Box::pin(async move {
                    let channels = channels
                        .filter(|_| known)
                        .ok_or_else(|| CoreError::NoSuchChannel(args.id.clone()))?;
                    channels.test(&args.id).await.map_err(|e| match e {
                        channels::DeliveryError::UnknownChannel(id) => CoreError::NoSuchChannel(id),
                        e => CoreError::NotDelivered(e.to_string()),
                    })?;
                    done(())
                })
            }
            Command::DeleteApiKey(args) => {
                let keys = self.shell.keys.clone();
                Box::pin(async move {
                    let keys = keys.ok_or_else(|| unavailable(CommandName::DeleteApiKey))?;
                    blocking(move || keys.delete(&args.target)).await?;
                    done(())
                })
            }
            other => return Route::Owner(other),
        };
        Route::Task(task)
    }

    /// Everything else: quick, and run whole before the next request.
    async fn run_here(&mut self, command: Command) -> Reply {
        match command {
            Command::GetState(_) => json(&self.state()),
            Command::GetSettings(_) => json(&self.settings_view()),
            Command::Healthy(args) => json(&self.healthy(args)),
            Command::ExportToml(_) => self.config_toml().and_then(|t| json(&t)),
            Command::CheckNow(args) => self.check_now(args.target.as_deref()).and_then(done),
            Command::SaveSettings(args) => {
                let prefs = args.notifications.filter(|_| self.shell.notifier.is_some());
                let login = args.start_at_login.filter(|_| self.shell.desktop.is_some());
                self.edit(|s| {
                    s.config = args.config;
                    if let Some(prefs) = prefs {
                        s.notifications = prefs;
                    }
                    if let Some(login) = login {
                        s.start_at_login = login;
                    }
                    Ok(())
                })
                .await
                .and_then(done)
            }
            Command::UpsertTarget(args) => self
                .edit(|s| {
                    s.config.upsert_target(args.target);
                    Ok(())
                })
                .await
                .and_then(done),
            Command::RemoveTarget(args) => self
                .edit(|s| {
                    s.config
                        .remove_target(&args.id)
                        .ok_or_else(|| CoreError::NoSuchTarget(args.id.clone()))?;
                    s.notifications.muted.remove(&args.id);
                    Ok(())
                })
                .await
                .and_then(done),
            Command::SetTargetEnabled(args) => self
                .edit(|s| match s.config.set_enabled(&args.id, args.enabled) {
                    true => Ok(()),
                    false => Err(CoreError::NoSuchTarget(args.id.clone())),
                })
                .await
                .and_then(done),
            Command::ImportToml(args) => {
                let (file, _) = ConfigFile::parse_checked(&args.text_toml, "imported config")?;
                self.edit(|s| {
                    s.config = file;
                    s.onboarded = true;
                    Ok(())
                })
                .await
                .and_then(done)
            }
            Command::AnswerOffers(args) => {
                self.edit(|s| {
                    for target in args.targets {
                        s.config.upsert_target(target);
                    }
                    s.onboarded = true;
                    Ok(())
                })
                .await?;
                self.offers = None;
                self.broadcast_state();
                done(())
            }
            Command::SetMuted(args) => {
                if self.config.target(&args.id).is_none() {
                    return Err(CoreError::NoSuchTarget(args.id));
                }
                // Kept where this shell keeps its policy: the app's settings, or the config
                // file's `[notifications]` for `serve`.
                let in_file = self.shell.notifier.is_none();
                self.edit(|s| {
                    if in_file {
                        let file = s.config.notifications.get_or_insert_with(Default::default);
                        let muted = file.muted.get_or_insert_with(Vec::new);
                        muted.retain(|id| *id != args.id);
                        if args.muted {
                            muted.push(args.id);
                        }
                        if muted.is_empty() {
                            file.muted = None;
                        }
                    } else if args.muted {
                        s.notifications.muted.insert(args.id);
                    } else {
                        s.notifications.muted.remove(&args.id);
                    }
                    Ok(())
                })
                .await
                .and_then(done)
            }
            Command::PauseNotifications(args) => {
                self.pause(args.minutes);
                done(())
            }
            Command::SnoozeTarget(args) => self.snooze(&args.id, args.minutes).and_then(done),
            Command::HideWindow(_) => {
                if let Some(desktop) = &self.shell.desktop {
                    desktop.hide_window();
                }
                done(())
            }
            // `handle` hands these to a task of their own; here they would simply wait.
            slow @ (Command::TestTarget(_)
            | Command::History(_)
            | Command::Timeline(_)
            | Command::Incidents(_)
            | Command::ProviderIncidents(_)
            | Command::RecentChecks(_)
            | Command::SetApiKey(_)
            | Command::TestAlertChannel(_)
            | Command::SetChannelUrl(_)
            | Command::DeleteApiKey(_)) => match self.slow_read(slow) {
                Route::Task(task) => task.await,
                Route::Owner(other) => Err(CoreError::UnknownCommand(other.name().to_string())),
            },
        }
    }

    fn state(&self) -> StateView {
        StateView {
            snapshot: self.snapshot(),
            notifications_paused_until: self.paused_until(),
            data_dir: self.data_dir.clone(),
            config_source: self.config_source.clone(),
            version: build_info::VERSION.to_string(),
            offers: self.offers.clone(),
            history_problem: self.history_problem.clone(),
            snoozed_until: self.policy.snoozes(Utc::now()).into_iter().collect(),
        }
    }

    /// Looks at the history writer's health (every tick): a change is logged and goes to every
    /// listener, so the user learns of a full disk or a replaced file without reading logs.
    fn check_history(&mut self) {
        let problem = self.store.write_health().problem();
        if problem == self.history_problem {
            return;
        }
        match &problem {
            Some(text) => tracing::warn!("{text}"),
            None => tracing::info!("history is written again"),
        }
        self.history_problem = problem;
        self.broadcast_state();
    }

    fn settings_view(&self) -> SettingsView {
        let stored = |id: &str| self.shell.keys.as_ref().is_some_and(|k| k.has_stored(id));
        SettingsView {
            config: self.settings.config.masked(),
            notifications: self
                .shell
                .notifier
                .as_ref()
                .map(|_| self.settings.notifications.clone()),
            start_at_login: self
                .shell
                .desktop
                .as_ref()
                .map(|_| self.settings.start_at_login),
            keys: self
                .config
                .targets
                .iter()
                .map(|t| (t.id.clone(), KeyOrigin::of(t, stored(&t.id))))
                .collect(),
            channels: self.config.alerts.iter().map(ChannelView::from).collect(),
        }
    }

    fn config_toml(&self) -> Result<String, CoreError> {
        self.settings
            .config
            .masked()
            .to_toml()
            .map_err(|e| CoreError::NoToml(e.to_string()))
    }

    fn snapshot(&self) -> Snapshot {
        snapshot_of(&self.engine.borrow())
    }

    fn paused_until(&self) -> Option<DateTime<Utc>> {
        self.policy.paused_until(Utc::now())
    }

    /// The enabled targets the engine finds usable now, best first (`monitor::pick::rank`).
    fn healthy(&self, args: crate::command::HealthyArgs) -> Healthy {
        let snapshot = self.snapshot();
        let candidates = snapshot
            .targets
            .iter()
            .filter(|view| view.enabled)
            .filter_map(|view| {
                let target = self.config.target(&view.id)?;
                Some(monitor::pick::Candidate {
                    id: view.id.to_string(),
                    kind: view.kind,
                    base_url: target.base_url.to_string(),
                    local: target.is_self_hosted(),
                    status: view.status,
                    score: view.score.unwrap_or(0.0),
                    latency_ms: view.last.as_ref().map(|o| o.latency_ms),
                })
            })
            .collect();
        let filter = monitor::pick::Filter {
            kind: args.kind,
            local: args.local,
        };
        Healthy(monitor::pick::rank(candidates, filter))
    }

    fn target_infos(&self) -> Vec<TargetInfo> {
        self.config.targets.iter().map(TargetInfo::from).collect()
    }

    fn check_now(&self, target: Option<&str>) -> Result<(), CoreError> {
        if let Some(id) = target {
            if self.config.target(id).is_none() {
                return Err(CoreError::NoSuchTarget(id.to_string()));
            }
        }
        if let Some(engine) = self.engine.borrow().as_ref() {
            engine.check_now(target);
        }
        Ok(())
    }

    /// Changes the settings: `change` edits a copy, which is validated, saved and then probed.
    /// Nothing changes when any step fails.
    async fn edit(
        &mut self,
        change: impl FnOnce(&mut Settings) -> Result<(), CoreError>,
    ) -> Result<(), CoreError> {
        if self.recorder.is_none() {
            return Err(CoreError::Stopping);
        }
        let mut next = self.settings.clone();
        change(&mut next)?;
        // The page and exported files hold channel URLs masked: those stay as they were.
        next.config.restore_secrets(&self.settings.config);
        let config = next.config.validate("settings")?;
        let prefs = next.notifications.with_file(&config.notifications);
        // Whatever can fail happens before the file is written and anything is swapped: the
        // old configuration keeps probing, and the file stays as it was, when any step fails.
        // `[notifications]` concerns the policy alone: probing goes on undisturbed.
        let without_policy = |c: &ConfigFile| ConfigFile {
            notifications: None,
            ..c.clone()
        };
        let prepared = if without_policy(&next.config) != without_policy(&self.settings.config) {
            Some(self.prepare_engine(&config).await?)
        } else {
            None
        };
        self.shell.settings_file.save(&next)?;
        let previous = std::mem::replace(&mut self.settings, next);
        self.policy.set_prefs(prefs);
        if previous.start_at_login != self.settings.start_at_login {
            if let Some(desktop) = &self.shell.desktop {
                desktop.set_start_at_login(self.settings.start_at_login);
            }
        }
        if let Some(prepared) = prepared {
            self.forget_channel_urls(&config);
            self.config = config;
            self.swap_engine(prepared).await;
            self.broadcast_state();
        } else {
            self.config = config;
        }
        self.show_status();
        Ok(())
    }

    /// Removes from the keyring the URLs of channels that kept theirs there and are gone (or
    /// no longer read it), so a deleted channel leaves no credential behind.
    fn forget_channel_urls(&self, next: &Config) {
        let Some(keys) = self.shell.keys.clone() else {
            return;
        };
        let in_keyring = |c: &&monitor::config::AlertChannel| {
            matches!(c.destination, monitor::config::Destination::Keyring)
        };
        let stale: Vec<String> = self
            .config
            .alerts
            .iter()
            .filter(in_keyring)
            .filter(|old| {
                !next
                    .alerts
                    .iter()
                    .filter(in_keyring)
                    .any(|c| c.id == old.id)
            })
            .map(|old| crate::shell::channel_secret_name(&old.id))
            .collect();
        if stale.is_empty() {
            return;
        }
        tokio::task::spawn_blocking(move || {
            for name in stale {
                if let Err(err) = keys.delete(&name) {
                    tracing::warn!("a removed alert channel's URL stays in the keyring: {err}");
                }
            }
        });
    }

    fn key_source(&self) -> Arc<dyn KeySource> {
        match &self.shell.keys {
            Some(keys) => keys.source(),
            None => Arc::new(EnvKeys),
        }
    }

    /// (Re)starts the engine on the current configuration.
    async fn run_engine(&mut self) -> Result<(), CoreError> {
        let config = self.config.clone();
        let prepared = self.prepare_engine(&config).await?;
        self.swap_engine(prepared).await;
        Ok(())
    }

    /// Everything an engine on `config` needs that can fail, done while the running engine
    /// goes on: its keys read, an HTTP client when no engine runs yet, its targets recorded in
    /// the history, its alert channels started.
    async fn prepare_engine(&mut self, config: &Config) -> Result<Prepared, CoreError> {
        if let Some(keys) = self.shell.keys.clone() {
            let targets = config.targets.clone();
            if let Err(err) = tokio::task::spawn_blocking(move || keys.load(&targets)).await {
                tracing::warn!("API keys not read from the keyring: {err}");
            }
        }
        // A running engine is reconfigured in place and keeps its client, with the
        // connections it holds open.
        let prober = match self.engine.borrow().is_some() {
            true => None,
            false => Some(
                Prober::new(self.key_source())
                    .map_err(|e| CoreError::NoHttpClient(e.to_string()))?,
            ),
        };
        let recorder = self.recorder.as_ref().ok_or(CoreError::Stopping)?;
        recorder.record_targets(config).await?;
        let keys = self.shell.keys.clone();
        let keyring: channels::KeyringUrl = Arc::new(move |id: &str| {
            keys.as_ref()
                .and_then(|k| k.secret(&crate::shell::channel_secret_name(id)))
        });
        let channels = channels::Dispatcher::new(&config.alerts, keyring)
            .map_err(|e| CoreError::NoHttpClient(e.to_string()))?;
        Ok(Prepared {
            prober,
            channels: Arc::new(channels),
        })
    }

    /// Puts the current configuration to work. A running engine is reconfigured in place:
    /// targets are added, removed and changed one by one, and the unchanged ones keep their
    /// state, their schedule and their probes in flight. Otherwise an engine starts. Cannot
    /// fail: what could is [`Owner::prepare_engine`]'s.
    async fn swap_engine(&mut self, prepared: Prepared) {
        self.policy
            .set_targets(self.config.targets.iter().map(TargetMeta::from).collect());
        self.policy.set_maintenance(self.config.maintenance.clone());
        // The old dispatcher, dropped, still delivers what it has queued.
        self.channels = Some(prepared.channels);
        let running = self.engine.borrow().clone();
        match (running, prepared.prober) {
            (Some(engine), _) => {
                if !engine.reconfigure(self.config.clone()).await {
                    tracing::error!("the engine stopped before the new settings reached it");
                }
            }
            (None, Some(prober)) => {
                let Some(recorder) = self.recorder.as_mut() else {
                    return;
                };
                let engine = recorder.replace_engine(self.config.clone(), prober).await;
                self.events = Some(engine.subscribe());
                self.engine.send_replace(Some(engine));
            }
            (None, None) => tracing::error!("no engine runs and none was prepared"),
        }
    }

    fn on_event(&mut self, event: Event) {
        if !matches!(event, Event::Checked(_)) {
            self.policy.observe(&event, Utc::now());
            self.show_status();
        }
        if self.updates.receiver_count() > 0 {
            let _ = self
                .updates
                .send(Update::Monitor(Arc::new(LiveEvent::new(event))));
        }
    }

    fn offer(&mut self, offers: Vec<Offer>) {
        // Answered (or configured) while detection ran: the offer is moot.
        if self.settings.onboarded || !self.settings.config.targets.is_empty() {
            return;
        }
        self.offers = Some(offers);
        self.broadcast_state();
        if let Some(desktop) = &self.shell.desktop {
            desktop.open_window(Some("onboarding"));
        }
    }

    /// `minutes: None` resumes; `Some(0)` pauses until tomorrow morning.
    fn pause(&mut self, minutes: Option<u32>) {
        let until = minutes.map(|m| until_words(m, Utc::now()));
        self.policy.pause_until(until);
        self.broadcast_state();
        self.show_status();
    }

    /// `minutes: None` ends the snooze; `Some(0)` snoozes until tomorrow morning.
    fn snooze(&mut self, id: &str, minutes: Option<u32>) -> Result<(), CoreError> {
        if self.config.target(id).is_none() {
            return Err(CoreError::NoSuchTarget(id.to_string()));
        }
        let now = Utc::now();
        self.policy
            .snooze(id, minutes.map(|m| until_words(m, now)), now);
        self.broadcast_state();
        self.show_status();
        Ok(())
    }

    fn flush_alerts(&mut self) {
        let now = Utc::now();
        let tz = local_offset();
        let alerts = self.policy.flush(now, tz);
        if alerts.is_empty() {
            return;
        }
        if let Some(channels) = &self.channels {
            let kind_of = |id: &str| self.config.target(id).map(|t| t.kind);
            for alert in &alerts {
                channels.send_alert(alert, &kind_of, now, tz);
            }
        }
        if let Some(notifier) = &self.shell.notifier {
            notifier.deliver(alerts);
        }
        self.show_status();
    }

    fn show_status(&self) {
        if let Some(desktop) = &self.shell.desktop {
            let now = Utc::now();
            let snoozed = self.policy.snoozes(now).into_iter().collect();
            desktop.show_status(&self.snapshot(), self.paused_until(), &snoozed);
        }
    }

    fn broadcast_state(&self) {
        if self.updates.receiver_count() == 0 {
            return;
        }
        match serde_json::to_string(&self.state()) {
            Ok(text) => {
                let _ = self.updates.send(Update::State(text.into()));
            }
            Err(err) => tracing::warn!("the state has no JSON form: {err}"),
        }
    }

    async fn finish(&mut self) -> Option<RunTotals> {
        let mut run = None;
        if let Some(recorder) = self.recorder.take() {
            match recorder.finish().await {
                Ok(totals) => {
                    if totals.events_dropped > 0 {
                        tracing::warn!(
                            "{} events could not be written in time and were dropped",
                            totals.events_dropped
                        );
                    }
                    tracing::info!("stopped; {} events written", totals.events_written);
                    run = Some(totals);
                }
                Err(err) => tracing::error!("history not fully written: {err}"),
            }
        }
        self.events = None;
        self.engine.send_replace(None);
        // Notices on their way (a retry after a failed delivery) get a moment to arrive.
        if let Some(channels) = self.channels.take().and_then(Arc::into_inner) {
            channels.shutdown(CHANNELS_GRACE).await;
        }
        self.store.close().await;
        run
    }
}

/// What [`Owner::prepare_engine`] readies for [`Owner::swap_engine`].
struct Prepared {
    /// `None` when an engine runs: it is reconfigured, not replaced.
    prober: Option<Prober>,
    channels: Arc<channels::Dispatcher>,
}

/// The end of a pause or snooze of `minutes` from `now`: 0 means until tomorrow morning.
fn until_words(minutes: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    match minutes {
        0 => alerts::local_time::pause_until_tomorrow(now, local_offset()),
        m => now + Minutes::minutes(i64::from(m)),
    }
}

/// Where a command runs: in the owner, or in a task of its own.
#[allow(clippy::large_enum_variant)] // moved once, right away
enum Route {
    Task(SlowRead),
    Owner(Command),
}

/// A command's reply, computed away from the owner.
type SlowRead = std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send>>;

/// Runs a blocking call (the keyring's D-Bus) off the async runtime.
async fn blocking(
    f: impl FnOnce() -> Result<(), CoreError> + Send + 'static,
) -> Result<(), CoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(CoreError::Keyring(e.to_string())))
}

fn unavailable(command: CommandName) -> CoreError {
    match command.needs() {
        Some(needs) => CoreError::Unavailable { command, needs },
        None => CoreError::Stopping,
    }
}

/// A test probe's configuration error can quote what the form held: the typed key is masked.
fn redacted_config_error(err: monitor::config::ConfigError, typed: Option<&str>) -> CoreError {
    CoreError::InvalidTarget(Redactor::new(typed).redact(&err.to_string()))
}

fn json<T: Serialize + ?Sized>(value: &T) -> Reply {
    serde_json::to_string(value).map_err(|e| CoreError::NoJson(e.to_string()))
}

fn done(_: ()) -> Reply {
    json(&())
}

/// A large reply written into a buffer of about its size: growing one by doubling to a
/// megabyte (a week's timeline) costs copies and page faults that showed in profiles.
fn json_sized<T: Serialize>(value: &T, size_hint: usize) -> Reply {
    let mut body = Vec::with_capacity(size_hint);
    serde_json::to_writer(&mut body, value).map_err(|e| CoreError::NoJson(e.to_string()))?;
    String::from_utf8(body).map_err(|e| CoreError::NoJson(e.to_string()))
}

/// About how many bytes of JSON one target's view takes: its latency points, and the rest.
fn view_size(buckets: u32) -> usize {
    buckets as usize * 150 + 4096
}
