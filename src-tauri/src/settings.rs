//! The settings file of one profile (`settings.json`): the core's settings, and the window's
//! geometry, which only the app has. The file is the one tauri-plugin-store wrote for earlier
//! versions (an object whose `settings` key holds them); keys this version does not know are
//! kept as they are.

use controller::window_link::WindowGeometry;
use controller::{CoreError, Settings};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

const KEY: &str = "settings";

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
/// geometry is saved when the window closes.
#[derive(Clone)]
pub struct SettingsStore {
    path: PathBuf,
    /// The file's object as last read or written, other keys included.
    entries: Arc<Mutex<Map<String, Value>>>,
    last: Arc<Mutex<Stored>>,
    /// Why the file on disk was set aside when it was opened, for [`SettingsStore::load`].
    set_aside: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SettingsStore {
    /// A file that is no JSON object is set aside first (never overwritten), and every write
    /// replaces the file atomically.
    pub fn open(path: &Path) -> SettingsStore {
        let (entries, set_aside) = read_entries(path);
        SettingsStore {
            path: path.to_path_buf(),
            entries: Arc::new(Mutex::new(entries)),
            last: Arc::default(),
            set_aside,
        }
    }

    /// The saved settings; a file that no longer parses is set aside (never silently lost)
    /// and the defaults are used, with a warning saying where the copy went.
    pub fn load(&self) -> (Settings, Option<String>) {
        let Some(value) = lock(&self.entries).get(KEY).cloned() else {
            return (Settings::default(), self.set_aside.clone());
        };
        match serde_json::from_value::<Stored>(value) {
            Ok(stored) => {
                *lock(&self.last) = stored.clone();
                (stored.settings, None)
            }
            // Parsed, but not as settings: a copy is what goes aside.
            Err(err) => {
                let aside = aside_path(&self.path);
                let kept = std::fs::copy(&self.path, &aside).map(|_| aside);
                let warning = unreadable_warning(&self.path, &err.to_string(), kept);
                (Settings::default(), Some(warning))
            }
        }
    }

    /// Where the window was last, for the next time it is opened.
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
        let bytes = {
            let mut entries = lock(&self.entries);
            entries.insert(KEY.into(), value);
            serde_json::to_vec_pretty(&*entries).map_err(|e| failed(e.to_string()))?
        };
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

/// The file's object, read once. A file that cannot be read or is no JSON object is moved out of the way, so
/// nothing overwrites it, and the file starts empty; the warning says where it went.
fn read_entries(path: &Path) -> (Map<String, Value>, Option<String>) {
    let why = match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Map::new(), None),
        Err(e) => e.to_string(),
        Ok(bytes) => match serde_json::from_slice::<Map<String, Value>>(&bytes) {
            Ok(entries) => return (entries, None),
            Err(e) => format!("not a JSON object: {e}"),
        },
    };
    let aside = aside_path(path);
    let kept = std::fs::rename(path, &aside).map(|()| aside);
    let warning = unreadable_warning(path, &why, kept);
    tracing::warn!("{warning}");
    (Map::new(), Some(warning))
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
    fn saving_keeps_what_else_the_file_holds_and_the_window_beside_the_settings() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("settings.json");
        std::fs::write(&path, br#"{"someone-else": [1, 2]}"#).expect("write");
        let file = SettingsStore::open(&path);
        let (mut settings, warning) = file.load();
        assert_eq!(warning, None);
        settings.onboarded = true;
        let geometry = WindowGeometry {
            x: 10,
            y: 20,
            width: 900,
            height: 700,
        };
        file.remember_window(geometry);
        controller::SettingsFile::save(&file, &settings).expect("save");
        let json: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(json["someone-else"], serde_json::json!([1, 2]));
        assert_eq!(json["settings"]["window"]["width"], 900);

        let again = SettingsStore::open(&path);
        let (loaded, warning) = again.load();
        assert_eq!(warning, None);
        assert!(loaded.onboarded);
        assert_eq!(again.window(), Some(geometry));
    }

    #[test]
    fn a_settings_file_that_is_no_json_is_set_aside_and_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("settings.json");
        let damaged = b"{\"settings\": {\"config\": tru";
        std::fs::write(&path, damaged).expect("write");
        let warning = SettingsStore::open(&path).set_aside.expect("reported");
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
        assert_eq!(SettingsStore::open(&path).set_aside, None);
        assert!(path.exists());
        let none = dir.path().join("none.json");
        assert_eq!(SettingsStore::open(&none).set_aside, None);
    }
}
