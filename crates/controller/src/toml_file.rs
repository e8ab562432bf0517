//! A configuration kept as a TOML file in the engine's format (`serve --config`): read at the
//! start, written on every change so that the user's file survives it. A write is atomic (a
//! crash never leaves half a file), keeps the file's permissions, writes through a symbolic
//! link rather than replacing it, keeps comments and layout of everything it does not change,
//! and refuses to overwrite an edit made by hand since the file was read.

use crate::error::CoreError;
use crate::settings::Settings;
use crate::shell::SettingsFile;
use monitor::config::{ConfigError, ConfigFile};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table};

#[derive(Debug)]
pub struct TomlFile {
    path: PathBuf,
    /// The bytes last read from or written to the file (`None`: there was no file). Anything
    /// else found there at a save was written by someone else.
    known: Mutex<Option<Vec<u8>>>,
}

impl TomlFile {
    pub fn new(path: &Path) -> TomlFile {
        TomlFile {
            path: path.to_path_buf(),
            known: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Option<Vec<u8>>> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The file's configuration, or `None` when there is no file yet (a first run). A file
    /// that does not validate is an error that names its line and key.
    pub fn read(&self) -> Result<Option<ConfigFile>, ConfigError> {
        let read_error = |source| ConfigError::Read {
            path: self.path.clone(),
            source,
        };
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                *self.known() = None;
                return Ok(None);
            }
            Err(source) => return Err(read_error(source)),
        };
        let text = String::from_utf8(bytes.clone())
            .map_err(|e| read_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        let (file, _) = ConfigFile::parse_checked(&text, &self.path.display().to_string())?;
        *self.known() = Some(bytes);
        Ok(Some(file))
    }

    /// The text to write for `config`: the file as it is with only what changed changed, or the
    /// plain rendering when there is no file (or it is no TOML any more).
    fn render(&self, config: &ConfigFile, on_disk: Option<&[u8]>) -> Result<String, CoreError> {
        let fresh = config
            .to_toml()
            .map_err(|e| CoreError::NoToml(e.to_string()))?;
        let Some(old) = on_disk
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| t.parse::<DocumentMut>().ok())
        else {
            return Ok(fresh);
        };
        let Ok(new) = fresh.parse::<DocumentMut>() else {
            return Ok(fresh);
        };
        let mut merged = old;
        merge_table(merged.as_table_mut(), new.as_table());
        let text = merged.to_string();
        // The merge must mean exactly the configuration; should it ever not, the plain
        // rendering is right and only the comments are lost.
        let same =
            ConfigFile::parse_checked(&text, "merged").is_ok_and(|(parsed, _)| parsed == *config);
        Ok(if same { text } else { fresh })
    }
}

impl SettingsFile for TomlFile {
    fn save(&self, settings: &Settings) -> Result<(), CoreError> {
        let failed = |e: std::io::Error| CoreError::Save {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let on_disk = match std::fs::read(&self.path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(failed(e)),
        };
        let text = self.render(&settings.config, on_disk.as_deref())?;
        let mut known = self.known();
        let edited_by_hand = on_disk != *known && on_disk.as_deref() != Some(text.as_bytes());
        if edited_by_hand {
            return Err(CoreError::EditedOnDisk(self.path.clone()));
        }
        write_atomically(&self.path, text.as_bytes()).map_err(failed)?;
        *known = Some(text.into_bytes());
        Ok(())
    }
}

/// Makes `old` say what `new` says, keeping `old`'s comments, order and formatting for every
/// key whose value did not change. Tables merge key by key; arrays of tables (`[[targets]]`)
/// match entries by their `id` when they have one, else by position.
fn merge_table(old: &mut Table, new: &Table) {
    let gone: Vec<String> = old
        .iter()
        .map(|(k, _)| k.to_string())
        .filter(|k| !new.contains_key(k))
        .collect();
    for key in gone {
        old.remove(&key);
    }
    for (key, new_item) in new.iter() {
        match (old.get_mut(key), new_item) {
            (Some(Item::Table(old_t)), Item::Table(new_t)) => merge_table(old_t, new_t),
            (Some(Item::ArrayOfTables(old_a)), Item::ArrayOfTables(new_a)) => {
                merge_array_of_tables(old_a, new_a)
            }
            (Some(Item::Value(old_v)), Item::Value(new_v)) => {
                if !same_value(old_v, new_v) {
                    let decor = old_v.decor().clone();
                    *old_v = new_v.clone();
                    *old_v.decor_mut() = decor;
                }
            }
            (Some(old_item), _) => *old_item = new_item.clone(),
            (None, _) => {
                old.insert(key, new_item.clone());
            }
        }
    }
}

fn merge_array_of_tables(old: &mut ArrayOfTables, new: &ArrayOfTables) {
    let id = |t: &Table| t.get("id").and_then(Item::as_str).map(str::to_string);
    let mut remaining: Vec<Option<Table>> = old.iter().cloned().map(Some).collect();
    let mut merged = ArrayOfTables::new();
    for (i, new_t) in new.iter().enumerate() {
        let matched = match id(new_t) {
            Some(want) => remaining
                .iter_mut()
                .find(|t| t.as_ref().is_some_and(|t| id(t).as_deref() == Some(&want))),
            None => remaining
                .get_mut(i)
                .filter(|t| t.as_ref().is_some_and(|t| id(t).is_none())),
        }
        .and_then(Option::take);
        merged.push(match matched {
            Some(mut old_t) => {
                merge_table(&mut old_t, new_t);
                old_t
            }
            None => new_t.clone(),
        });
    }
    *old = merged;
}

/// Whether two values mean the same, however each is written (quotes, spacing, comments).
fn same_value(a: &toml_edit::Value, b: &toml_edit::Value) -> bool {
    let meaning = |v: &toml_edit::Value| {
        format!("v = {}", v.to_string().trim())
            .parse::<toml::Table>()
            .ok()
    };
    match (meaning(a), meaning(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Replaces `path`'s contents all at once: a temporary file beside it, written, flushed to disk
/// and renamed over it, then the directory flushed so the rename itself survives a crash. The
/// file keeps its permissions; a symbolic link is written through, so the link stays a link.
/// Hand-written rather than a crate's because none keeps permissions and links both.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let path = follow_links(path)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let permissions = std::fs::metadata(&path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(
            ".{}.",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Some(permissions) = permissions {
        tmp.as_file().set_permissions(permissions)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// The file a path finally names, following links (even to a file not there yet).
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(path),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use monitor::config::ConfigFile;

    const COMMENTED: &str = "# My monitor. Keep the interval slow: the proxy is rate limited.\n\
[defaults]\n\
interval = '30s'   # checked by hand\n\
\n\
# The local box\n\
[[targets]]\n\
id = \"ollama\"\n\
kind = \"ollama\"\n\
base_url = \"http://127.0.0.1:11434\"\n\
\n\
# Work account\n\
[[targets]]\n\
id = \"openai\"\n\
kind = \"openai\"\n\
api_key_env = \"OPENAI_API_KEY\" # from ~/.profile\n";

    fn settings(text: &str) -> Settings {
        let (config, _) = ConfigFile::parse_checked(text, "test").unwrap();
        Settings::with_config(config)
    }

    #[test]
    fn a_save_keeps_comments_and_layout_of_what_it_does_not_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, COMMENTED).unwrap();
        let file = TomlFile::new(&path);
        let mut s = Settings::with_config(file.read().unwrap().unwrap());
        s.config.targets.retain(|t| t.id != "ollama");
        file.save(&s).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        for kept in [
            "# My monitor. Keep the interval slow",
            "interval = '30s'   # checked by hand",
            "# Work account",
            "api_key_env = \"OPENAI_API_KEY\" # from ~/.profile",
        ] {
            assert!(text.contains(kept), "{kept:?} lost:\n{text}");
        }
        assert!(!text.contains("ollama"), "{text}");
        assert_eq!(settings(&text).config, s.config);
    }

    #[test]
    fn a_save_keeps_permissions_and_writes_through_a_link() {
        use std::os::unix::fs::{symlink, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles").join("llm.toml");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(&real, COMMENTED).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("config.toml");
        symlink("dotfiles/llm.toml", &link).unwrap();
        let file = TomlFile::new(&link);
        let mut s = Settings::with_config(file.read().unwrap().unwrap());
        s.config.targets.truncate(1);
        file.save(&s).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            settings(&std::fs::read_to_string(&real).unwrap()).config,
            s.config
        );
        let leftovers: Vec<_> = std::fs::read_dir(real.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    #[test]
    fn an_edit_by_hand_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, COMMENTED).unwrap();
        let file = TomlFile::new(&path);
        let mut s = Settings::with_config(file.read().unwrap().unwrap());
        let by_hand = COMMENTED.replace("'30s'", "'45s'");
        std::fs::write(&path, &by_hand).unwrap();
        s.config.targets.truncate(1);
        let err = file.save(&s).unwrap_err();
        assert!(matches!(err, CoreError::EditedOnDisk(_)), "{err}");
        assert!(err.to_string().contains("edited"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), by_hand);
        // Importing what the file now says writes nothing new, so it is no conflict; after it,
        // saves go through again.
        let imported = settings(&by_hand);
        file.save(&imported).unwrap();
        let mut next = imported.clone();
        next.config.targets.truncate(1);
        file.save(&next).unwrap();
        assert_eq!(
            settings(&std::fs::read_to_string(&path).unwrap()).config,
            next.config
        );
    }

    #[test]
    fn a_first_save_creates_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("config.toml");
        let file = TomlFile::new(&path);
        assert!(file.read().unwrap().is_none());
        let s = settings(COMMENTED);
        file.save(&s).unwrap();
        assert_eq!(
            settings(&std::fs::read_to_string(&path).unwrap()).config,
            s.config
        );
    }
}
