//! The shapes the page receives, the same through the app's IPC and through `llm-health serve`
//! (`crates/server/API.md`), so the two transports cannot drift apart.

use crate::notify::NotifyPrefs;
use chrono::{DateTime, Utc};
use monitor::config::{ConfigFile, TargetFile};
use monitor::detect::Detection;
use monitor::probe::{KeyOrigin, Prober};
use monitor::Snapshot;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One endpoint found on first run, offered to the user (never added silently).
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    pub target: TargetFile,
    pub found: bool,
    pub note: String,
}

impl Offer {
    /// First run: every candidate endpoint detection looks at with this process's environment,
    /// found or not, in detection order. `None` (logged) when no HTTP client could be made.
    pub async fn detected() -> Option<Vec<Offer>> {
        let prober = match Prober::with_env_keys() {
            Ok(prober) => prober,
            Err(err) => {
                tracing::warn!("endpoint detection unavailable: {err}");
                return None;
            }
        };
        let detections = monitor::detect::detect(&prober, &|v| std::env::var(v).ok()).await;
        Some(Offer::from_detections(&detections))
    }

    fn from_detections(detections: &[Detection]) -> Vec<Offer> {
        detections
            .iter()
            .map(|d| Offer {
                target: TargetFile::from(&d.target),
                found: d.found,
                note: d.note.clone(),
            })
            .collect()
    }
}

/// `get_state`, and the `state` event.
#[derive(Debug, Clone, Serialize)]
pub struct StateView {
    pub snapshot: Snapshot,
    /// `None` also where notifications do not exist (`serve`).
    pub notifications_paused_until: Option<DateTime<Utc>>,
    pub data_dir: PathBuf,
    pub config_source: String,
    /// First run: what was detected, until the user adds or declines it.
    pub offers: Option<Vec<Offer>>,
}

/// `get_settings`.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    pub config: ConfigFile,
    /// `None` where notifications do not exist (`serve`).
    pub notifications: Option<NotifyPrefs>,
    /// `None` where there is no login to start at (`serve`).
    pub start_at_login: Option<bool>,
    /// Where each target's API key comes from; never the key itself.
    pub keys: BTreeMap<String, KeyOrigin>,
}
