//! What a shell keeps between runs, in whatever file it keeps it: the configuration as written,
//! and in the app notification preferences and start at login. API keys are never part of it.

use alerts::NotifyPrefs;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub config: monitor::config::ConfigFile,
    pub notifications: NotifyPrefs,
    pub start_at_login: bool,
    /// The first-run offer of detected endpoints was answered (added or declined).
    pub onboarded: bool,
}

impl Settings {
    pub fn with_config(config: monitor::config::ConfigFile) -> Settings {
        Settings {
            config,
            ..Settings::default()
        }
    }
}
