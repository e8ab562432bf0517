//! A configuration kept as a TOML file in the engine's format (`serve --config`): read at the
//! start, written atomically on every change.

use crate::error::CoreError;
use crate::settings::Settings;
use crate::shell::SettingsFile;
use monitor::config::{ConfigError, ConfigFile};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct TomlFile {
    path: PathBuf,
}

impl TomlFile {
    pub fn new(path: &Path) -> TomlFile {
        TomlFile {
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's configuration, or `None` when there is no file yet (a first run). A file
    /// that does not validate is an error that names its line and key.
    pub fn read(&self) -> Result<Option<ConfigFile>, ConfigError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => {
                let (file, _) = ConfigFile::parse_checked(&text, &self.path.display().to_string())?;
                Ok(Some(file))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ConfigError::Read {
                path: self.path.clone(),
                source,
            }),
        }
    }
}

impl SettingsFile for TomlFile {
    fn save(&self, settings: &Settings) -> Result<(), CoreError> {
        let text = settings
            .config
            .to_toml()
            .map_err(|e| CoreError::NoToml(e.to_string()))?;
        write_atomically(&self.path, &text).map_err(|e| CoreError::Save {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }
}

/// Writes `text` to a temporary file beside `path` and renames it over `path`, so a crash never
/// leaves half a file.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config.toml".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
