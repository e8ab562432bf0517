//! What only one shell has, behind small traits the shell implements: where settings are kept,
//! the OS keyring, desktop notices, and the tray and window. The controller calls these; it
//! never knows which shell it runs in.

use crate::command::Capability;
use crate::error::CoreError;
use crate::settings::Settings;
use alerts::Alert;
use chrono::{DateTime, Utc};
use monitor::config::Target;
use monitor::probe::KeySource;
use monitor::Snapshot;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where the settings live between runs: the app's `settings.json`, `serve`'s config file.
pub trait SettingsFile: Send + Sync + 'static {
    /// Writes them whole; nothing is half-written when this fails.
    fn save(&self, settings: &Settings) -> Result<(), CoreError>;
}

/// API keys a shell stores itself (the app: the OS keyring), with the environment as fallback.
/// The methods block (D-Bus): the controller calls them off the async runtime.
pub trait KeyStore: Send + Sync + 'static {
    /// Where probes read keys from: in memory, because a probe must not wait on the keyring.
    fn source(&self) -> Arc<dyn KeySource>;
    /// Reads the stored keys of these targets into memory (once per engine start).
    fn load(&self, targets: &[Target]);
    fn set(&self, target: &str, key: &str) -> Result<(), CoreError>;
    fn delete(&self, target: &str) -> Result<(), CoreError>;
    /// Whether a key is stored for this target (not whether the environment has one).
    fn has_stored(&self, target: &str) -> bool;
    /// Reads another secret the keyring holds by name (an alert channel's URL, under
    /// [`channel_secret_name`]); blocking.
    fn secret(&self, name: &str) -> Option<String>;
}

/// The keyring name of an alert channel's URL: apart from every target id, which cannot hold
/// a colon's meaning here.
pub fn channel_secret_name(channel_id: &str) -> String {
    format!("alert-channel:{channel_id}")
}

/// Where notifications go (the app: the desktop's notification server).
pub trait Notifier: Send + Sync + 'static {
    /// Must not block: delivery happens elsewhere.
    fn deliver(&self, alerts: Vec<Alert>);
}

/// The tray and the window.
pub trait Desktop: Send + Sync + 'static {
    /// The tray shows this: called after every status change, a pause or snooze, and every few
    /// seconds (labels say "down 4 min"). Redraw only what differs.
    fn show_status(
        &self,
        snapshot: &Snapshot,
        notifications_paused_until: Option<DateTime<Utc>>,
        snoozed_until: &BTreeMap<String, DateTime<Utc>>,
    );
    /// Opens the window on a view ("onboarding", "settings", …), or where it was.
    fn open_window(&self, route: Option<&str>);
    fn hide_window(&self);
    fn set_start_at_login(&self, enabled: bool);
}

/// The parts a shell brings. `serve` brings only its config file.
pub struct Shell {
    pub settings_file: Box<dyn SettingsFile>,
    pub keys: Option<Arc<dyn KeyStore>>,
    pub notifier: Option<Arc<dyn Notifier>>,
    pub desktop: Option<Arc<dyn Desktop>>,
}

impl Shell {
    pub fn headless(settings_file: impl SettingsFile) -> Shell {
        Shell {
            settings_file: Box::new(settings_file),
            keys: None,
            notifier: None,
            desktop: None,
        }
    }

    pub fn has(&self, capability: Capability) -> bool {
        match capability {
            Capability::Keyring => self.keys.is_some(),
            Capability::Notifications => self.notifier.is_some(),
            Capability::Desktop => self.desktop.is_some(),
        }
    }
}
