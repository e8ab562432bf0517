//! The settings file of one profile: `desktop_core::settings::Settings` as JSON through
//! tauri-plugin-store.

use desktop_core::settings::{Settings, SettingsError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tauri::Wry;
use tauri_plugin_store::{Store, StoreExt};

const KEY: &str = "settings";

/// The settings file of one profile.
pub struct SettingsFile {
    store: Arc<Store<Wry>>,
    path: PathBuf,
}

impl SettingsFile {
    pub fn open(app: &tauri::AppHandle, path: &Path) -> Result<SettingsFile, SettingsError> {
        let store = app.store(path).map_err(|e| SettingsError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(SettingsFile {
            store,
            path: path.to_path_buf(),
        })
    }

    /// The saved settings; a file that no longer parses is set aside (never silently lost) and
    /// the defaults are used.
    pub fn load(&self) -> (Settings, Option<String>) {
        let Some(value) = self.store.get(KEY) else {
            return (Settings::default(), None);
        };
        match serde_json::from_value::<Settings>(value) {
            Ok(settings) => (settings, None),
            Err(err) => {
                let aside = self.path.with_extension(format!(
                    "unreadable-{}.json",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S")
                ));
                let moved = std::fs::copy(&self.path, &aside).is_ok();
                let warning = if moved {
                    format!(
                        "settings in {} could not be read ({err}); kept a copy as {} and started from defaults",
                        self.path.display(),
                        aside.display()
                    )
                } else {
                    format!(
                        "settings in {} could not be read ({err}); started from defaults",
                        self.path.display()
                    )
                };
                (Settings::default(), Some(warning))
            }
        }
    }

    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        let value = serde_json::to_value(settings).map_err(|e| SettingsError::File {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        self.store.set(KEY, value);
        self.store.save().map_err(|e| SettingsError::File {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }
}
