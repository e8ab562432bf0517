//! Monitoring with history attached, the way every front end runs it (`watch`, `serve`, the
//! app): the database opened with its damage and unclean-stop reports, one history writer for the
//! whole run, and engines that come and go as the configuration changes.

use crate::{unclean_report, Store, StoreError, TargetInfo, Writer};
use monitor::config::Config;
use monitor::probe::Prober;
use monitor::{Engine, EngineOptions, Event};
use std::path::Path;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc;

/// Events waiting for the history writer; beyond this the engine counts drops instead of waiting.
const SINK_CAPACITY: usize = 16_384;

/// What opening the history for a run found, to tell the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunNotes {
    /// A damaged file was set aside (see [`crate::Opened::damage_report`]).
    pub damage: Option<String>,
    /// Targets whose last run did not stop cleanly (see [`unclean_report`]).
    pub unclean: Option<String>,
}

impl RunNotes {
    pub fn iter(&self) -> impl Iterator<Item = &String> {
        self.damage.iter().chain(self.unclean.iter())
    }
}

impl Store {
    /// Opens the database for a run of the monitor and ends what an unclean stop of the last run
    /// left open (see [`Store::end_unclean_run`]).
    ///
    /// First it takes the file's writer lock (`<path>.lock`, see [`lock_path`](crate::lock_path)),
    /// before anything is read or written: while another monitor writes the file this fails
    /// with [`StoreError::Busy`], naming it, and touches nothing. The store keeps the lock until
    /// its last clone is dropped or the process ends.
    pub async fn open_for_run(path: &Path) -> Result<(Store, RunNotes), StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let lock = crate::lock::WriterLock::acquire(path)?;
        let opened = Store::open_with(path, Some(lock)).await?;
        let damage = opened.damage_report();
        let store = opened.store;
        let unclean = unclean_report(&store.end_unclean_run().await?);
        Ok((store, RunNotes { damage, unclean }))
    }
}

/// The engine of the moment and the history writer that outlives it.
pub struct Recorder {
    store: Store,
    sink: Option<mpsc::Sender<Event>>,
    writer: Option<Writer>,
    engine: Option<Engine>,
    /// Events earlier engines could not hand to the writer in time.
    dropped: u64,
}

/// What a run wrote, when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunTotals {
    pub events_written: u64,
    /// Events the engines dropped because the writer fell behind, and events the writer lost
    /// because writes kept failing (see [`crate::WriteHealth`]).
    pub events_dropped: u64,
}

impl Recorder {
    /// Starts the history writer. Call it inside a Tokio runtime.
    pub fn new(store: Store) -> Recorder {
        let (sink, rx) = mpsc::channel(SINK_CAPACITY);
        Recorder {
            writer: Some(store.spawn_writer(rx)),
            store,
            sink: Some(sink),
            engine: None,
            dropped: 0,
        }
    }

    /// Records the targets of `config`, then replaces the running engine, if any, with one
    /// monitoring them. All or nothing: when recording fails (the database locked, the disk
    /// full), the running engine goes on as it was.
    pub async fn start(&mut self, config: Config, prober: Prober) -> Result<Engine, StoreError> {
        self.record_targets(&config).await?;
        Ok(self.replace_engine(config, prober).await)
    }

    /// The fallible half of [`Recorder::start`], for callers with more to do (write a file)
    /// between it and [`Recorder::replace_engine`].
    pub async fn record_targets(&self, config: &Config) -> Result<(), StoreError> {
        let infos: Vec<TargetInfo> = config.targets.iter().map(TargetInfo::from).collect();
        self.store.upsert_targets(&infos).await
    }

    /// Stops the running engine, if any (its targets end as unknown, so nothing is probed by two
    /// engines at once), and starts one on `config`, whose targets [`Recorder::record_targets`]
    /// has recorded.
    pub async fn replace_engine(&mut self, config: Config, prober: Prober) -> Engine {
        self.stop_engine().await;
        let engine = Engine::start(
            config,
            prober,
            EngineOptions {
                sink: self.sink.clone(),
                ..EngineOptions::default()
            },
        );
        self.engine = Some(engine.clone());
        engine
    }

    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    async fn stop_engine(&mut self) {
        if let Some(engine) = self.engine.take() {
            engine.shutdown().await;
            self.dropped += engine.stats().sink_dropped.load(Ordering::Relaxed);
        }
    }

    /// Stops monitoring cleanly: statuses end as unknown, open incidents close, and every event
    /// is written before this returns.
    pub async fn finish(mut self) -> Result<RunTotals, StoreError> {
        self.stop_engine().await;
        self.sink.take();
        let (written, lost) = match self.writer.take() {
            Some(writer) => {
                let stats = writer.finish().await?;
                (stats.events, stats.dropped)
            }
            None => (0, 0),
        };
        Ok(RunTotals {
            events_written: written,
            events_dropped: self.dropped + lost,
        })
    }
}
