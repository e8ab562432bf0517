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
    /// Why the file on disk was set aside before the store opened, for [`SettingsStore::load`].
    set_aside: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SettingsStore {
    /// tauri-plugin-store opens a file it cannot parse as empty, without a word, and the next
    /// save overwrites it; its own saves are plain overwrites, and it saves on its own timer.
    /// So a file that is no JSON is set aside first, the timer is off, and [`Self::write`]
    /// replaces the file atomically.
    pub fn open(app: &tauri::AppHandle, path: &Path) -> Result<SettingsStore, CoreError> {
        let set_aside = set_aside_if_unreadable(path);
        let store = app
            .store_builder(path)
            .disable_auto_save()
            .build()
            .map_err(|e| CoreError::Save {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(SettingsStore {
            store,
            path: path.to_path_buf(),
            last: Arc::default(),
            set_aside,
        })
    }

    /// The saved settings and window; a file that no longer parses is set aside (never
    /// silently lost) and the defaults are used, with a warning saying where the copy went.
    pub fn load(&self) -> (Settings, Option<WindowGeometry>, Option<String>) {
        let Some(value) = self.store.get(KEY) else {
            return (Settings::default(), None, self.set_aside.clone());
        };
        match serde_json::from_value::<Stored>(value) {
            Ok(stored) => {
                *lock(&self.last) = stored.clone();
                (stored.settings, stored.window, None)
            }
            // Parsed, but not as settings: the store holds it, so a copy is what goes aside.
            Err(err) => {
                let aside = aside_path(&self.path);
                let kept = std::fs::copy(&self.path, &aside).map(|_| aside);
                let warning = unreadable_warning(&self.path, &err.to_string(), kept);
                (Settings::default(), None, Some(warning))
            }
        }
    }

    /// Where the window was last, for the next time it is created.
    pub fn window(&self) -> Option<WindowGeometry> {
        lock(&self.last).window
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
        // The whole store, as the plugin would write it, but never half-written.
        let entries: serde_json::Map<String, serde_json::Value> =
            self.store.entries().into_iter().collect();
        let bytes = serde_json::to_vec_pretty(&entries).map_err(|e| failed(e.to_string()))?;
        controller::toml_file::write_atomically(&self.path, &bytes)
            .map_err(|e| failed(e.to_string()))
    }
}

/// Where a damaged settings file goes: beside it, named for when.
fn aside_path(path: &Path) -> PathBuf {
    path.with_extension(format!(
        "unreadable-{}.json",
        chrono::Utc::now().format("%Y%m%dT%H%M%S")
    ))
}

fn unreadable_warning(path: &Path, why: &str, kept: std::io::Result<PathBuf>) -> String {
    match kept {
        Ok(aside) => format!(
            "settings in {} could not be read ({why}); kept them as {} and started from defaults",
            path.display(),
            aside.display()
        ),
        Err(err) => format!(
            "settings in {} could not be read ({why}) nor set aside ({err}); started from defaults",
            path.display()
        ),
    }
}

/// Moves a settings file that is no JSON object out of the way, so nothing overwrites it;
/// the warning says where it went.
fn set_aside_if_unreadable(path: &Path) -> Option<String> {
    let why = match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => e.to_string(),
        Ok(bytes) => {
            match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes) {
                Ok(_) => return None,
                Err(e) => format!("not a JSON object: {e}"),
            }
        }
    };
    let aside = aside_path(path);
    let kept = std::fs::rename(path, &aside).map(|()| aside);
    let warning = unreadable_warning(path, &why, kept);
    tracing::warn!("{warning}");
    Some(warning)
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
                "on_degraded": false, "on_provider_incident": false, "quiet_hours": null,
                "max_per_target_per_hour": 4,
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

    #[test]
    fn a_settings_file_that_is_no_json_is_set_aside_and_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("settings.json");
        let damaged = b"{\"settings\": {\"config\": tru";
        std::fs::write(&path, damaged).expect("write");
        let warning = set_aside_if_unreadable(&path).expect("reported");
        assert!(!path.exists(), "nothing may overwrite it in place");
        let aside: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(std::fs::read(&aside[0]).expect("aside"), damaged);
        assert!(
            warning.contains(&aside[0].display().to_string()),
            "{warning}"
        );

        // A good file, and no file, are left alone.
        std::fs::write(&path, b"{\"settings\": {}}").expect("write");
        assert_eq!(set_aside_if_unreadable(&path), None);
        assert!(path.exists());
        assert_eq!(set_aside_if_unreadable(&dir.path().join("none.json")), None);
    }
}
