//! The monitoring engine: targets and configuration, probes per provider, outcome
//! classification, the health state machine and the scheduler. No Tauri, no GUI.

pub mod config;
pub mod detect;
pub mod domain;
pub mod engine;
pub mod events;
pub mod health;
pub mod pick;
pub mod probe;
pub mod redact;
pub mod round;
pub mod words;

pub use domain::*;
pub use engine::{Engine, EngineOptions, Snapshot, TargetView};
pub use events::{Check, Event};
