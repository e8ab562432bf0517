//! Where things live by default, and how a command gets its configuration.

pub use controller::paths::{default_config_path, default_db_path};
use monitor::config::{Config, ConfigError, ConfigFile};
use monitor::detect;
use monitor::probe::Prober;
use std::path::{Path, PathBuf};

/// A mistake in how the command was called (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

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
