//! The settings file of one profile (`settings.json`, through tauri-plugin-store): the core's
//! settings, and the window's geometry, which only the app has.

use controller::{CoreError, Settings};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tauri::Wry;
use tauri_plugin_store::{Store, StoreExt};

const KEY: &str = "settings";

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowGeometry {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// What the file holds: the core's settings with the window beside them, as one object (the
/// shape earlier versions wrote).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    settings: Settings,
    #[serde(default)]
    window: Option<WindowGeometry>,
}

/// The settings file of one profile. The core saves through it on every change; the window's
/// geometry is saved when the window hides and when the app stops.
#[derive(Clone)]
pub struct SettingsStore {
    store: Arc<Store<Wry>>,
    path: PathBuf,
    last: Arc<Mutex<Stored>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SettingsStore {
    pub fn open(app: &tauri::AppHandle, path: &Path) -> Result<SettingsStore, CoreError> {
        let store = app.store(path).map_err(|e| CoreError::Save {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(SettingsStore {
            store,
            path: path.to_path_buf(),
            last: Arc::default(),
        })
    }

    /// The saved settings and window; a file that no longer parses is set aside (never
    /// silently lost) and the defaults are used, with a warning saying where the copy went.
    pub fn load(&self) -> (Settings, Option<WindowGeometry>, Option<String>) {
        let Some(value) = self.store.get(KEY) else {
            return (Settings::default(), None, None);
        };
        match serde_json::from_value::<Stored>(value) {
            Ok(stored) => {
                *lock(&self.last) = stored.clone();
                (stored.settings, stored.window, None)
            }
            Err(err) => {
                let aside = self.path.with_extension(format!(
                    "unreadable-{}.json",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S")
                ));
                let warning = match std::fs::copy(&self.path, &aside) {
                    Ok(_) => format!(
                        "settings in {} could not be read ({err}); kept a copy as {} and started from defaults",
                        self.path.display(),
                        aside.display()
                    ),
                    Err(_) => format!(
                        "settings in {} could not be read ({err}); started from defaults",
                        self.path.display()
                    ),
                };
                (Settings::default(), None, Some(warning))
            }
        }
    }

    pub fn remember_window(&self, geometry: WindowGeometry) {
        lock(&self.last).window = Some(geometry);
    }

    /// Writes the remembered window geometry with the settings last saved.
    pub fn save_window(&self) {
        let stored = lock(&self.last).clone();
        if let Err(err) = self.write(&stored) {
            tracing::warn!("window position not saved: {err}");
        }
    }

    fn write(&self, stored: &Stored) -> Result<(), CoreError> {
        let failed = |message: String| CoreError::Save {
            path: self.path.clone(),
            message,
        };
        let value = serde_json::to_value(stored).map_err(|e| failed(e.to_string()))?;
        self.store.set(KEY, value);
        self.store.save().map_err(|e| failed(e.to_string()))
    }
}

impl controller::SettingsFile for SettingsStore {
    fn save(&self, settings: &Settings) -> Result<(), CoreError> {
        let stored = {
            let mut last = lock(&self.last);
            last.settings = settings.clone();
            last.clone()
        };
        self.write(&stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files written before the core existed hold the same object: they must still load.
    #[test]
    fn the_stored_shape_is_the_settings_with_the_window_beside_them() {
        let json = serde_json::json!({
            "config": { "targets": [{ "id": "ollama", "kind": "ollama" }] },
            "notifications": { "enabled": true, "on_down": true, "on_recovered": true,
                "on_degraded": false, "quiet_hours": null, "max_per_target_per_hour": 4,
                "muted": ["ollama"] },
            "start_at_login": true,
            "onboarded": true,
            "window": { "x": 1, "y": 2, "width": 800, "height": 600 }
        });
        let stored: Stored = serde_json::from_value(json).expect("loads");
        assert_eq!(stored.settings.config.targets[0].id, "ollama");
        assert!(stored.settings.start_at_login && stored.settings.onboarded);
        assert!(stored.settings.notifications.muted.contains("ollama"));
        assert_eq!(stored.window.map(|w| w.width), Some(800));
        let back: Stored =
            serde_json::from_value(serde_json::to_value(&stored).expect("json")).expect("again");
        assert_eq!(back, stored);
    }
}
