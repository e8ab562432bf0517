//! Where things live by default, and how a command gets its configuration.

use monitor::config::{Config, ConfigError, ConfigFile};
use monitor::detect;
use monitor::probe::Prober;
use std::path::{Path, PathBuf};

/// A mistake in how the command was called (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

fn xdg(var: &str, fallback: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(fallback)))
}

pub fn default_config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LLM_HEALTH_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    xdg("XDG_CONFIG_HOME", ".config").map(|d| d.join("llm-health").join("config.toml"))
}

pub fn default_db_path() -> PathBuf {
    if let Some(p) = std::env::var_os("LLM_HEALTH_DB").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    xdg("XDG_DATA_HOME", ".local/share")
        .unwrap_or_else(|| PathBuf::from("."))
        .join("llm-health")
        .join("history.db")
}

/// Where the configuration came from, for the user to see.
pub enum Source {
    File(PathBuf),
    Detected,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Detected => f.write_str("auto-detected"),
        }
    }
}

/// The named file, else the default file if it exists, else auto-detection.
pub async fn load_config(
    explicit: Option<&Path>,
    prober: &Prober,
) -> anyhow::Result<(Config, Source)> {
    let (_, config, source) = load_config_file(explicit, prober).await?;
    Ok((config, source))
}

/// [`load_config`], with the file as written (what the core runs on).
pub async fn load_config_file(
    explicit: Option<&Path>,
    prober: &Prober,
) -> anyhow::Result<(ConfigFile, Config, Source)> {
    let read = |path: &Path| -> anyhow::Result<(ConfigFile, Config)> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(ConfigFile::parse_checked(
            &text,
            &path.display().to_string(),
        )?)
    };
    if let Some(path) = explicit {
        let (file, config) = read(path)?;
        return Ok((file, config, Source::File(path.to_path_buf())));
    }
    if let Some(path) = default_config_path().filter(|p| p.exists()) {
        let (file, config) = read(&path)?;
        return Ok((file, config, Source::File(path)));
    }
    let env = |k: &str| std::env::var(k).ok();
    let found = detect::detect(prober, &env).await;
    let config = detect::config_from(&found);
    Ok((ConfigFile::from(&config), config, Source::Detected))
}
