//! What the desktop app remembers between runs (the app persists it with tauri-plugin-store).
//! Targets use the engine's own config shape, so import/export of TOML is lossless; API keys are
//! never part of it (they live in the OS keyring).

use crate::notify::NotifyPrefs;
use monitor::config::{Config, ConfigError, ConfigFile, TargetFile};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub config: ConfigFile,
    pub notifications: NotifyPrefs,
    pub start_at_login: bool,
    /// The first-run offer of detected endpoints was answered (added or declined).
    pub onboarded: bool,
    pub window: Option<WindowGeometry>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowGeometry {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(#[from] ConfigError),
    #[error("settings cannot be written as TOML: {0}")]
    Toml(#[from] toml::ser::Error),
    #[error("settings file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("no target with id `{0}`")]
    NoSuchTarget(String),
}

impl Settings {
    /// The engine config these settings describe, validated as if it were a TOML file, so an
    /// error names the key the same way the command line does.
    pub fn engine_config(&self) -> Result<Config, SettingsError> {
        validate(&self.config)
    }

    pub fn to_toml(&self) -> Result<String, SettingsError> {
        Ok(self.config.to_toml()?)
    }

    /// Adds a target, or replaces the one with the same id.
    pub fn upsert_target(&mut self, target: TargetFile) {
        self.config.upsert_target(target);
    }

    pub fn remove_target(&mut self, id: &str) -> Result<TargetFile, SettingsError> {
        let removed = self
            .config
            .remove_target(id)
            .ok_or_else(|| SettingsError::NoSuchTarget(id.to_string()))?;
        self.notifications.muted.remove(id);
        Ok(removed)
    }

    pub fn set_enabled(&mut self, id: &str, enabled: bool) -> Result<(), SettingsError> {
        if self.config.set_enabled(id, enabled) {
            Ok(())
        } else {
            Err(SettingsError::NoSuchTarget(id.to_string()))
        }
    }
}

pub fn validate(config: &ConfigFile) -> Result<Config, SettingsError> {
    Ok(Config::parse(&config.to_toml()?, "settings")?)
}

/// Parses TOML in the engine's format, for import; the error names line and key.
pub fn parse_toml(text: &str, origin: &str) -> Result<ConfigFile, SettingsError> {
    let file = ConfigFile::parse(text, origin)?;
    file.clone().resolve(text, origin)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
[[targets]]
id = "ollama"
kind = "ollama"
base_url = "http://127.0.0.1:11434"
interval = "15s"

[[targets]]
id = "openai"
kind = "openai"
api_key_env = "OPENAI_API_KEY"
"#;

    #[test]
    fn toml_import_and_export_round_trip() {
        let file = parse_toml(TOML, "import.toml").expect("valid");
        let settings = Settings {
            config: file.clone(),
            ..Settings::default()
        };
        let exported = settings.to_toml().expect("export");
        assert_eq!(parse_toml(&exported, "again").expect("valid"), file);
        let config = settings.engine_config().expect("valid");
        assert_eq!(config.targets.len(), 2);
        assert_eq!(config.targets[0].timing.interval.as_secs(), 15);
    }

    #[test]
    fn import_errors_name_line_and_key() {
        let bad = TOML.replace("interval = \"15s\"", "interval = \"soon\"");
        let err = parse_toml(&bad, "import.toml").expect_err("invalid");
        let text = err.to_string();
        assert!(text.contains("import.toml:6"), "{text}");
        assert!(text.contains("interval"), "{text}");
    }

    #[test]
    fn settings_survive_json_and_edits() {
        let mut settings = Settings {
            config: parse_toml(TOML, "t").expect("valid"),
            ..Settings::default()
        };
        settings.notifications.muted.insert("openai".into());
        settings.set_enabled("ollama", false).expect("exists");
        let json = serde_json::to_string(&settings).expect("json");
        let back: Settings = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, settings);
        assert!(!back.engine_config().expect("valid").targets[0].enabled);

        settings.remove_target("openai").expect("exists");
        assert!(settings.notifications.muted.is_empty());
        assert!(matches!(
            settings.remove_target("openai"),
            Err(SettingsError::NoSuchTarget(_))
        ));
    }

    #[test]
    fn edits_that_break_the_config_are_refused_with_the_key() {
        let mut settings = Settings {
            config: parse_toml(TOML, "t").expect("valid"),
            ..Settings::default()
        };
        let mut dup = settings.config.targets[0].clone();
        dup.id = "openai".into();
        settings.config.targets.push(dup);
        let err = settings.engine_config().expect_err("duplicate id");
        assert!(err.to_string().contains("id"), "{err}");
    }
}
