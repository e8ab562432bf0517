//! The scheduler: runs every target on its own jittered interval under a global concurrency cap,
//! feeds outcomes to the state machine and publishes events. One task owns all mutable state;
//! probes run as their own tasks and report back, so a slow endpoint never delays another.

use crate::config::{Config, Target};
use crate::domain::{Outcome, Severity, Status, TargetId};
use crate::events::{Check, Event};
use crate::health::{next_delay, Health, Thresholds};
use crate::probe::Prober;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, Semaphore};
use tokio::time::Instant;

/// Reads the wall clock. Injected so tests can simulate a machine that slept.
pub trait WallClock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

pub struct EngineOptions {
    /// A consumer that must see every event (the store). Sent with `try_send`: if it falls
    /// behind, events are counted as dropped rather than stalling probes.
    pub sink: Option<mpsc::Sender<Event>>,
    pub clock: Arc<dyn WallClock>,
    /// How often the wall clock is compared with the monotonic clock.
    pub sleep_check_every: Duration,
    /// A wall-clock jump larger than this (beyond elapsed monotonic time) means the machine slept.
    pub sleep_threshold: Duration,
    /// After waking, failures are not counted for this long (the network is often still down).
    pub wake_grace: Duration,
    /// Delay of the first probe of every target (spread by jitter).
    pub first_check_within: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            sink: None,
            clock: Arc::new(SystemClock),
            sleep_check_every: Duration::from_secs(5),
            sleep_threshold: Duration::from_secs(20),
            wake_grace: Duration::from_secs(30),
            first_check_within: Duration::from_secs(2),
        }
    }
}

/// What a reader (tray, UI, `watch`) sees of one target.
#[derive(Debug, Clone, Serialize, ts_rs::TS, utoipa::ToSchema)]
pub struct TargetView {
    #[schema(value_type = String)]
    pub id: TargetId,
    pub name: String,
    pub kind: crate::domain::Kind,
    pub enabled: bool,
    pub status: Status,
    #[schema(required = true)]
    pub since: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub score: Option<f64>,
    /// Hard failures in a row. Above 0 with a status other than `unhealthy`, the target is
    /// *pending*: a failure below `failure_threshold`, being confirmed, that changed no status.
    pub consecutive_failures: u32,
    pub checking: bool,
    #[schema(required = true)]
    pub next_check_at: Option<DateTime<Utc>>,
    /// Shared with the engine: readers get it without a copy per probe.
    #[schema(value_type = Option<Outcome>, required = true)]
    pub last: Option<Arc<Outcome>>,
}

impl TargetView {
    /// A hard failure below the threshold is being confirmed (see [`crate::health::pending`]).
    pub fn pending(&self) -> bool {
        crate::health::pending(self.status, self.consecutive_failures)
    }
}

/// Every target as readers see it, and the overall status.
#[derive(Debug, Clone, Serialize, ts_rs::TS, utoipa::ToSchema)]
pub struct Snapshot {
    pub paused: bool,
    pub overall: Status,
    pub targets: Vec<TargetView>,
}

impl Snapshot {
    /// What a reader shows while no engine runs (before the first start, after the stop).
    pub fn empty() -> Snapshot {
        Snapshot {
            paused: false,
            overall: Status::Unknown,
            targets: Vec::new(),
        }
    }
}

/// Counters for benchmarks and diagnostics.
#[derive(Debug, Default)]
pub struct EngineStats {
    pub probes: AtomicU64,
    pub sink_dropped: AtomicU64,
    /// Recent scheduling lateness samples (ms between when a probe was due and when it started).
    lateness_ms: Mutex<VecDeque<u32>>,
}

const LATENESS_SAMPLES: usize = 20_000;

impl EngineStats {
    fn record_lateness(&self, late: Duration) {
        let mut samples = match self.lateness_ms.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        if samples.len() >= LATENESS_SAMPLES {
            samples.pop_front();
        }
        samples.push_back(late.as_millis().min(u32::MAX as u128) as u32);
    }

    /// Lateness percentiles in ms (p50, p99, max) over recent probes.
    pub fn lateness_ms(&self) -> Option<(u32, u32, u32)> {
        let mut samples: Vec<u32> = match self.lateness_ms.lock() {
            Ok(s) => s.iter().copied().collect(),
            Err(p) => p.into_inner().iter().copied().collect(),
        };
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Some((at(0.5), at(0.99), at(1.0)))
    }
}

enum Command {
    CheckNow(Option<TargetId>),
    Pause,
    Resume,
    /// Boxed: a whole configuration would make every command as large.
    Reconfigure(Box<Config>, tokio::sync::oneshot::Sender<()>),
    Shutdown,
}

/// The running engine. Dropping it does not stop the engine; call `shutdown`.
/// What readers see, updated one target at a time: rebuilding all of it after every probe would
/// make the engine's cost grow with the square of the number of targets.
#[derive(Debug, Default)]
struct SharedView {
    paused: bool,
    targets: Vec<TargetView>,
}

#[derive(Clone)]
pub struct Engine {
    commands: mpsc::UnboundedSender<Command>,
    events: broadcast::Sender<Event>,
    view: Arc<RwLock<SharedView>>,
    stats: Arc<EngineStats>,
    done: Arc<tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl Engine {
    /// Starts monitoring every enabled target of `config`. Must be called inside a Tokio runtime.
    pub fn start(config: Config, prober: Prober, options: EngineOptions) -> Engine {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(1024);
        let stats = Arc::new(EngineStats::default());
        let state = Scheduler::new(config, prober, options, events.clone(), stats.clone());
        let view = state.view.clone();
        let handle = tokio::spawn(state.run(command_rx));
        Engine {
            commands,
            events,
            view,
            stats,
            done: Arc::new(tokio::sync::Mutex::new(Some(handle))),
        }
    }

    /// Live events. A slow subscriber misses events (and is told so by `RecvError::Lagged`)
    /// rather than slowing the engine; lossless consumers use `EngineOptions::sink`.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub fn snapshot(&self) -> Snapshot {
        let view = match self.view.read() {
            Ok(v) => v,
            Err(p) => p.into_inner(),
        };
        Snapshot {
            paused: view.paused,
            overall: if view.paused {
                Status::Unknown
            } else {
                Status::overall(view.targets.iter().map(|t| t.status))
            },
            targets: view.targets.clone(),
        }
    }

    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// Probes one target, or all, right away (outside their schedule).
    pub fn check_now(&self, target: Option<&str>) {
        let _ = self
            .commands
            .send(Command::CheckNow(target.map(str::to_string)));
    }

    pub fn pause(&self) {
        let _ = self.commands.send(Command::Pause);
    }

    pub fn resume(&self) {
        let _ = self.commands.send(Command::Resume);
    }

    /// Watches `config` from now on, in place: a target added is probed soon, one removed (or
    /// disabled) ends as unknown, one changed is probed again right away on its new settings
    /// keeping its status, and an unchanged one keeps its state, its schedule and its probe in
    /// flight, so a save leaves no gap in its history. Returns once readers see the new targets;
    /// `false` when the engine has stopped.
    pub async fn reconfigure(&self, config: Config) -> bool {
        let (applied, done) = tokio::sync::oneshot::channel();
        if self
            .commands
            .send(Command::Reconfigure(Box::new(config), applied))
            .is_err()
        {
            return false;
        }
        done.await.is_ok()
    }

    /// Stops scheduling, waits for probes in flight, and flushes the last events to the sink.
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(handle) = self.done.lock().await.take() {
            let _ = handle.await;
        }
    }
}

struct Slot {
    /// Names this slot's settings: a probe started on settings since changed or removed reports
    /// to a uid no slot has any more, and its outcome is dropped.
    uid: u64,
    target: Arc<Target>,
    health: Health,
    last: Option<Arc<Outcome>>,
    due: Option<Instant>,
    in_flight: bool,
    /// Bumped whenever the slot is rescheduled, so stale heap entries are ignored.
    epoch: u64,
}

struct Scheduler {
    slots: Vec<Slot>,
    index: HashMap<TargetId, usize>,
    heap: BinaryHeap<Reverse<(Instant, usize, u64)>>,
    prober: Prober,
    permits: Arc<Semaphore>,
    options: EngineOptions,
    events: broadcast::Sender<Event>,
    stats: Arc<EngineStats>,
    view: Arc<RwLock<SharedView>>,
    paused: bool,
    /// `max_concurrent_probes` of the configuration the permits were made for.
    cap: usize,
    rng: StdRng,
    next_uid: u64,
    by_uid: HashMap<u64, usize>,
    done_tx: mpsc::UnboundedSender<(u64, Outcome)>,
    done_rx: mpsc::UnboundedReceiver<(u64, Outcome)>,
}

impl Scheduler {
    fn new(
        config: Config,
        prober: Prober,
        options: EngineOptions,
        events: broadcast::Sender<Event>,
        stats: Arc<EngineStats>,
    ) -> Scheduler {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let mut scheduler = Scheduler {
            slots: Vec::new(),
            index: HashMap::new(),
            heap: BinaryHeap::new(),
            prober,
            permits: Arc::new(Semaphore::new(config.engine.max_concurrent_probes.max(1))),
            options,
            events,
            stats,
            view: Arc::new(RwLock::new(SharedView::default())),
            paused: false,
            cap: config.engine.max_concurrent_probes.max(1),
            rng: StdRng::from_entropy(),
            next_uid: 0,
            by_uid: HashMap::new(),
            done_tx,
            done_rx,
        };
        scheduler.slots = config
            .targets
            .into_iter()
            .filter(|t| t.enabled)
            .map(|t| scheduler.new_slot(t))
            .collect();
        scheduler.reindex();
        scheduler.publish_all();
        scheduler
    }

    fn new_slot(&mut self, target: Target) -> Slot {
        self.next_uid += 1;
        Slot {
            uid: self.next_uid,
            health: Health::new(target.id.clone()),
            target: Arc::new(target),
            last: None,
            due: None,
            in_flight: false,
            epoch: 0,
        }
    }

    fn reindex(&mut self) {
        self.index = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.target.id.clone(), i))
            .collect();
        self.by_uid = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.uid, i))
            .collect();
    }

    /// When a new target's first probe comes: soon, spread so that many do not start at once.
    fn first_check(&mut self, now: Instant) -> Instant {
        let spread = self.options.first_check_within.as_secs_f64();
        later(
            now,
            Duration::from_secs_f64(self.rng.gen_range(0.0..=spread)),
        )
    }

    /// See [`Engine::reconfigure`].
    fn reconfigure(&mut self, config: Config) {
        let now = Instant::now();
        let cap = config.engine.max_concurrent_probes.max(1);
        // Probes in flight keep the permits of the old cap; new ones take the new cap's.
        if cap != self.cap {
            self.permits = Arc::new(Semaphore::new(cap));
            self.cap = cap;
        }
        let mut before: HashMap<TargetId, Slot> = self
            .slots
            .drain(..)
            .map(|s| (s.target.id.clone(), s))
            .collect();
        let mut to_probe = Vec::new();
        let mut disabled = Vec::new();
        for target in config.targets {
            let previous = before.remove(&target.id);
            if !target.enabled {
                disabled.extend(previous);
                continue;
            }
            match previous {
                Some(slot) if *slot.target == target => self.slots.push(slot),
                Some(mut slot) => {
                    // The status stays until the new settings' first outcome confirms or
                    // changes it: an edit is no outage, and no recovery either.
                    self.next_uid += 1;
                    slot.uid = self.next_uid;
                    slot.target = Arc::new(target);
                    slot.in_flight = false;
                    slot.due = None;
                    to_probe.push(self.slots.len());
                    self.slots.push(slot);
                }
                None => {
                    let slot = self.new_slot(target);
                    to_probe.push(self.slots.len());
                    self.slots.push(slot);
                }
            }
        }
        let at = Utc::now();
        for mut slot in disabled {
            self.end_status(&mut slot, at, "disabled");
        }
        for (_, mut slot) in before {
            self.end_status(&mut slot, at, "removed from the configuration");
        }
        // What the prober kept of targets no longer watched (model lists, loaded models) goes.
        let watched: std::collections::HashSet<&str> =
            self.slots.iter().map(|s| s.target.id.as_str()).collect();
        self.prober.retain(|id| watched.contains(id));
        self.reindex();
        // Heap entries name slots by position, and positions moved.
        self.heap.clear();
        for (i, slot) in self.slots.iter().enumerate() {
            if let (Some(due), false) = (slot.due, slot.in_flight) {
                self.heap.push(Reverse((due, i, slot.epoch)));
            }
        }
        for i in to_probe {
            let due = self.first_check(now);
            self.schedule(i, due);
        }
        self.publish_all();
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let now = Instant::now();
        for i in 0..self.slots.len() {
            let due = self.first_check(now);
            self.schedule(i, due);
        }
        self.publish_all();
        // `interval` panics on a zero period.
        let mut sleep_tick =
            tokio::time::interval(self.options.sleep_check_every.max(Duration::from_millis(1)));
        sleep_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut wall_mark = (self.options.clock.now(), Instant::now());
        let mut shutting_down = false;

        loop {
            if shutting_down && self.slots.iter().all(|s| !s.in_flight) {
                self.mark_stopped();
                break;
            }
            let next_due = self.next_due();
            tokio::select! {
                _ = sleep_until_opt(next_due), if !shutting_down => self.start_due(),
                Some((uid, outcome)) = self.done_rx.recv() => {
                    if let Some(&i) = self.by_uid.get(&uid) { self.finish(i, outcome); }
                }
                command = commands.recv(), if !shutting_down => match command {
                    Some(Command::CheckNow(None)) => {
                        for i in 0..self.slots.len() { self.schedule(i, Instant::now()); }
                    }
                    Some(Command::CheckNow(Some(id))) => {
                        // Asked for by a person: the model list is read afresh too.
                        self.prober.refresh_models(&id);
                        if let Some(&i) = self.index.get(&id) { self.schedule(i, Instant::now()); }
                    }
                    Some(Command::Pause) => { self.paused = true; self.publish_all(); }
                    Some(Command::Resume) => {
                        self.paused = false;
                        for i in 0..self.slots.len() { self.schedule(i, Instant::now()); }
                        self.publish_all();
                    }
                    Some(Command::Reconfigure(config, applied)) => {
                        self.reconfigure(*config);
                        let _ = applied.send(());
                    }
                    Some(Command::Shutdown) | None => shutting_down = true,
                },
                _ = sleep_tick.tick(), if !shutting_down => {
                    wall_mark = self.detect_sleep(wall_mark);
                }
            }
        }
    }

    fn next_due(&mut self) -> Option<Instant> {
        while let Some(Reverse((due, i, epoch))) = self.heap.peek().copied() {
            let slot = &self.slots[i];
            if slot.epoch == epoch && slot.due == Some(due) && !slot.in_flight {
                return Some(due);
            }
            self.heap.pop();
        }
        None
    }

    fn schedule(&mut self, i: usize, due: Instant) {
        let slot = &mut self.slots[i];
        if slot.in_flight {
            return;
        }
        slot.epoch += 1;
        slot.due = Some(due);
        self.heap.push(Reverse((due, i, slot.epoch)));
    }

    /// Starts every probe that is due.
    fn start_due(&mut self) {
        let now = Instant::now();
        // `next_due` drops stale entries, so the top of the heap is current when it returns.
        while self.next_due().is_some_and(|due| due <= now) {
            let Some(Reverse((due, i, _))) = self.heap.pop() else {
                break;
            };
            if self.paused {
                // Keep the rhythm while paused without probing; resume checks everything.
                let next = later(now, self.slots[i].target.timing.interval);
                self.slots[i].due = None;
                self.schedule(i, next);
                continue;
            }
            let slot = &mut self.slots[i];
            slot.in_flight = true;
            slot.due = None;
            let uid = slot.uid;
            let target = slot.target.clone();
            let prober = self.prober.clone();
            let permits = self.permits.clone();
            let done = self.done_tx.clone();
            let stats = self.stats.clone();
            tokio::spawn(async move {
                // The prober takes the permit only once the target's local server is free, so
                // that probes queued on a busy server never hold permits others need.
                let outcome = prober
                    .probe_limited(&target, Some(&permits), || {
                        stats.record_lateness(Instant::now().saturating_duration_since(due));
                    })
                    .await;
                stats.probes.fetch_add(1, Ordering::Relaxed);
                let _ = done.send((uid, outcome));
            });
            self.publish_started(i);
        }
    }

    fn finish(&mut self, i: usize, outcome: Outcome) {
        let timing = self.slots[i].target.timing.clone();
        let slot = &mut self.slots[i];
        slot.in_flight = false;
        let applied = slot.health.apply(&outcome, Thresholds::from(&timing));
        let delay =
            if slot.health.in_grace(outcome.at) && outcome.class.severity() == Severity::Hard {
                // Re-check soon after waking instead of waiting a whole (or backed-off) interval.
                timing.confirm_delay()
            } else {
                next_delay(
                    &slot.health,
                    &timing,
                    slot.target.probe,
                    Some(&outcome),
                    &mut self.rng,
                )
            };
        let check = Check {
            target: slot.target.id.clone(),
            outcome: outcome.clone(),
            status: slot.health.status,
            score: slot.health.score.unwrap_or(0.0),
            consecutive_failures: slot.health.consecutive_failures,
        };
        slot.last = Some(Arc::new(outcome));
        self.emit(Event::Checked(check));
        if let Some(t) = applied.transition {
            self.emit(Event::Transition(t));
        }
        if let Some(inc) = applied.incident {
            self.emit(Event::Incident(inc));
        }
        self.schedule(i, later(Instant::now(), delay));
        self.publish(i);
    }

    /// Compares wall-clock progress with monotonic progress; a wall clock that ran far ahead
    /// means the machine was suspended (the monotonic clock stops during suspend on Linux).
    fn detect_sleep(&mut self, mark: (DateTime<Utc>, Instant)) -> (DateTime<Utc>, Instant) {
        let (wall_then, mono_then) = mark;
        let wall_now = self.options.clock.now();
        let mono_now = Instant::now();
        let wall = (wall_now - wall_then).to_std().unwrap_or(Duration::ZERO);
        let mono = mono_now.duration_since(mono_then);
        if wall > mono.saturating_add(self.options.sleep_threshold) {
            let slept_from = wall_later(wall_then, mono);
            tracing::info!(
                "machine slept from {slept_from} to {wall_now}; re-checking without alarms"
            );
            self.emit(Event::Slept {
                from: slept_from,
                to: wall_now,
            });
            let grace_until = wall_later(Utc::now(), self.options.wake_grace);
            let now = Instant::now();
            for i in 0..self.slots.len() {
                self.slots[i].health.begin_grace(grace_until);
                let jitter = Duration::from_millis(self.rng.gen_range(0..1000));
                self.schedule(i, later(now, jitter));
            }
        }
        (wall_now, mono_now)
    }

    /// Nothing is known about a target once nobody watches it: each known status ends here, so
    /// the timeline shows the time the monitor was not running as unknown rather than stretching
    /// the last status over it, and open incidents end where observation ended.
    fn mark_stopped(&mut self) {
        let at = Utc::now();
        let mut slots = std::mem::take(&mut self.slots);
        for slot in &mut slots {
            self.end_status(slot, at, "monitoring stopped");
        }
        self.slots = slots;
        self.publish_all();
    }

    /// Ends a target's known status (and its open incident) at `at`, as the monitor stops
    /// watching it.
    fn end_status(&self, slot: &mut Slot, at: DateTime<Utc>, reason: &str) {
        let from = slot.health.status;
        if from == Status::Unknown {
            return;
        }
        let class = slot
            .last
            .as_ref()
            .map_or(crate::domain::Class::Ok, |o| o.class);
        let incident = slot.health.incident.take().map(|mut inc| {
            inc.ended_at = Some(at);
            inc
        });
        slot.health.status = Status::Unknown;
        slot.health.since = Some(at);
        let transition = crate::domain::Transition {
            target: slot.target.id.clone(),
            at,
            from,
            to: Status::Unknown,
            class,
            reason: reason.into(),
        };
        self.emit(Event::Transition(transition));
        if let Some(inc) = incident {
            self.emit(Event::Incident(inc));
        }
    }

    fn emit(&self, event: Event) {
        if let Some(sink) = &self.options.sink {
            if sink.try_send(event.clone()).is_err() {
                self.stats.sink_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        let _ = self.events.send(event);
    }

    /// Updates what readers see of one target.
    fn publish(&self, i: usize) {
        let entry = view_of(&self.slots[i], Utc::now(), Instant::now());
        let mut view = match self.view.write() {
            Ok(v) => v,
            Err(p) => p.into_inner(),
        };
        if let Some(slot) = view.targets.get_mut(i) {
            *slot = entry;
        }
    }

    /// A probe started: only these two fields changed, and the last outcome need not be copied.
    fn publish_started(&self, i: usize) {
        let mut view = match self.view.write() {
            Ok(v) => v,
            Err(p) => p.into_inner(),
        };
        if let Some(entry) = view.targets.get_mut(i) {
            entry.checking = true;
            entry.next_check_at = None;
        }
    }

    fn publish_all(&self) {
        let (now_wall, now) = (Utc::now(), Instant::now());
        let targets = self
            .slots
            .iter()
            .map(|s| view_of(s, now_wall, now))
            .collect();
        let mut view = match self.view.write() {
            Ok(v) => v,
            Err(p) => p.into_inner(),
        };
        view.paused = self.paused;
        view.targets = targets;
    }
}

fn view_of(s: &Slot, now_wall: DateTime<Utc>, now: Instant) -> TargetView {
    TargetView {
        id: s.target.id.clone(),
        name: s.target.name.clone(),
        kind: s.target.kind,
        enabled: s.target.enabled,
        status: s.health.status,
        since: s.health.since,
        score: s.health.score,
        consecutive_failures: s.health.consecutive_failures,
        checking: s.in_flight,
        next_check_at: s
            .due
            .map(|d| wall_later(now_wall, d.saturating_duration_since(now))),
        last: s.last.clone(),
    }
}

/// The farthest the scheduler ever looks ahead. Config keys are bounded far below it; this is
/// the backstop that keeps `Instant + Duration` from panicking on a value that is not.
const FAR: Duration = Duration::from_secs(365 * 86_400);

/// `at + d`, never overflowing: at most `FAR` ahead.
fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d.min(FAR))
        .or_else(|| at.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(at)
}

/// `at + d` on the wall clock, never overflowing: at most `FAR` ahead.
fn wall_later(at: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d.min(FAR))
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(at)
}

async fn sleep_until_opt(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}
