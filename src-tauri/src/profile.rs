//! Where the app keeps its files. Without `--data-dir` they are in the home the command line
//! shares (`controller::paths`): settings in `~/.config/llm-health/settings.json`, history and
//! logs in `~/.local/share/llm-health/`. With `--data-dir DIR` all of them are in DIR.
//!
//! Earlier versions kept everything in the platform's app data folder
//! (`~/.local/share/dev.llmhealth.monitor`); that profile is moved over once.

use anyhow::Context;
use std::path::{Path, PathBuf};

pub struct Profile {
    pub settings_path: PathBuf,
    pub db_path: PathBuf,
    /// The folder of the history, as the About section shows it.
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    /// The profile is the user's own one (no `--data-dir`).
    pub shared: bool,
}

impl Profile {
    /// Creates the folders it names.
    pub fn resolve(data_dir: Option<&Path>) -> anyhow::Result<Profile> {
        let profile = match data_dir {
            Some(dir) => Profile {
                settings_path: dir.join("settings.json"),
                db_path: dir.join("history.db"),
                data_dir: dir.to_path_buf(),
                log_dir: dir.join("logs"),
                shared: false,
            },
            None => {
                let no_home = || anyhow::anyhow!("no home folder: set HOME, or pass --data-dir");
                let config = controller::paths::config_dir().ok_or_else(no_home)?;
                let data = controller::paths::data_dir().ok_or_else(no_home)?;
                let db_path = controller::paths::default_db_path();
                Profile {
                    settings_path: config.join("settings.json"),
                    data_dir: db_path
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or(data.clone()),
                    db_path,
                    log_dir: data.join("logs"),
                    shared: true,
                }
            }
        };
        for dir in [
            profile.settings_path.parent(),
            Some(profile.data_dir.as_path()),
            Some(profile.log_dir.as_path()),
        ]
        .into_iter()
        .flatten()
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the folder {}", dir.display()))?;
        }
        Ok(profile)
    }
}

/// Left in an old profile that could not be moved whole, so that it is looked at only once.
const MOVED_NOTE: &str = "MOVED.txt";

/// Moves an earlier version's profile folder `old` into `profile`, once: `settings.json` to the
/// settings path, the history (with its WAL, lock and any damaged copies set aside) beside the
/// history path. A file whose new place is taken already stays where it is. Returns what the
/// user is told, or `None` when there was nothing to move.
pub fn move_old_profile(old: &Path, profile: &Profile) -> Option<String> {
    if !old.is_dir() || old.join(MOVED_NOTE).exists() {
        return None;
    }
    let db_name = profile.db_path.file_name()?.to_string_lossy().into_owned();
    let mut kept = Vec::new();
    let entries: Vec<PathBuf> = std::fs::read_dir(old)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    if entries.is_empty() {
        return None;
    }
    for from in entries {
        let name = from.file_name()?.to_string_lossy().into_owned();
        let to = if name == "settings.json" {
            profile.settings_path.clone()
        } else if let Some(rest) = name.strip_prefix("history.db") {
            // history.db-wal, history.db.lock, history.db.damaged-…: beside the new history.
            profile.data_dir.join(format!("{db_name}{rest}"))
        } else {
            profile.data_dir.join(&name)
        };
        if to.exists() {
            kept.push(name);
            continue;
        }
        match move_file(&from, &to) {
            Ok(()) => {}
            Err(err) => {
                tracing::warn!("{} not moved to {}: {err}", from.display(), to.display());
                kept.push(name);
            }
        }
    }
    let settings_dir = profile
        .settings_path
        .parent()
        .unwrap_or(Path::new("."))
        .display()
        .to_string();
    let mut message = format!(
        "Your profile moved from {} to {settings_dir} (settings) and {} (history), the folders \
         the llm-health command line reads.",
        old.display(),
        profile.data_dir.display()
    );
    if kept.is_empty() {
        let _ = std::fs::remove_dir(old);
    } else {
        message.push_str(&format!(
            " Already there, so left in the old folder: {}.",
            kept.join(", ")
        ));
        let note = format!("{message}\n");
        if let Err(err) = std::fs::write(old.join(MOVED_NOTE), note) {
            tracing::warn!("{}: {err}", old.join(MOVED_NOTE).display());
        }
    }
    Some(message)
}

/// On a first run of the user's own profile, the targets of the command line's config file
/// (`~/.config/llm-health/config.toml`), if there is one: a user of `llm-health watch` finds the
/// same targets in the tray. Returns what the user is told, also when the file is malformed
/// (then nothing is imported and the first run goes on as usual).
pub fn import_cli_config(settings: &mut controller::Settings, path: &Path) -> Option<String> {
    if !settings.config.targets.is_empty() || settings.onboarded {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    match monitor::config::ConfigFile::parse_checked(&text, &path.display().to_string()) {
        Ok((file, _)) if !file.targets.is_empty() => {
            let count = file.targets.len();
            settings.config = file;
            settings.onboarded = true;
            Some(format!(
                "Watching the {count} target{} of {}, the llm-health command line's config. \
                 Changes made in the app are kept in the app's settings.",
                if count == 1 { "" } else { "s" },
                path.display()
            ))
        }
        Ok(_) => None,
        Err(err) => Some(format!("{err}. Its targets were not imported.")),
    }
}

/// A rename, or a copy and delete when the two folders are on different file systems.
fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(_) => {
            std::fs::copy(from, to)?;
            std::fs::remove_file(from)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(root: &Path) -> Profile {
        let profile = Profile {
            settings_path: root.join("config/llm-health/settings.json"),
            db_path: root.join("share/llm-health/history.db"),
            data_dir: root.join("share/llm-health"),
            log_dir: root.join("share/llm-health/logs"),
            shared: true,
        };
        std::fs::create_dir_all(profile.settings_path.parent().unwrap()).unwrap();
        std::fs::create_dir_all(&profile.data_dir).unwrap();
        profile
    }

    #[test]
    fn an_old_profile_is_moved_over_once_and_the_user_told() {
        let root = tempfile::tempdir().unwrap();
        let old = root.path().join("share/dev.llmhealth.monitor");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("settings.json"), "{\"settings\":1}").unwrap();
        std::fs::write(old.join("history.db"), "db").unwrap();
        std::fs::write(old.join("history.db-wal"), "wal").unwrap();
        let profile = profile(root.path());

        let told = move_old_profile(&old, &profile).expect("a message");
        assert!(told.contains("dev.llmhealth.monitor"), "{told}");
        assert!(told.contains("config/llm-health"), "{told}");
        assert_eq!(
            std::fs::read_to_string(&profile.settings_path).unwrap(),
            "{\"settings\":1}"
        );
        assert_eq!(std::fs::read_to_string(&profile.db_path).unwrap(), "db");
        assert_eq!(
            std::fs::read_to_string(profile.data_dir.join("history.db-wal")).unwrap(),
            "wal"
        );
        assert!(!old.exists(), "the emptied old folder is removed");
        assert_eq!(move_old_profile(&old, &profile), None);
    }

    #[test]
    fn nothing_in_the_new_home_is_overwritten() {
        let root = tempfile::tempdir().unwrap();
        let old = root.path().join("old");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("settings.json"), "old settings").unwrap();
        std::fs::write(old.join("history.db"), "old history").unwrap();
        let profile = profile(root.path());
        // The command line's history was here first.
        std::fs::write(&profile.db_path, "cli history").unwrap();

        let told = move_old_profile(&old, &profile).expect("a message");
        assert!(
            told.contains("left in the old folder: history.db"),
            "{told}"
        );
        assert_eq!(
            std::fs::read_to_string(&profile.db_path).unwrap(),
            "cli history"
        );
        assert_eq!(
            std::fs::read_to_string(old.join("history.db")).unwrap(),
            "old history"
        );
        assert_eq!(
            std::fs::read_to_string(&profile.settings_path).unwrap(),
            "old settings"
        );
        // Told once: the note in the old folder says it was dealt with.
        assert!(old.join(MOVED_NOTE).exists());
        assert_eq!(move_old_profile(&old, &profile), None);
    }

    #[test]
    fn a_first_run_takes_the_command_lines_targets_once() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("config.toml");
        std::fs::write(
            &path,
            "[[targets]]\nid = \"ollama\"\nkind = \"ollama\"\n\n[[targets]]\nid = \"openai\"\nkind = \"openai\"\n",
        )
        .unwrap();
        let mut settings = controller::Settings::default();
        let told = import_cli_config(&mut settings, &path).expect("told");
        assert!(told.contains("2 targets"), "{told}");
        assert_eq!(settings.config.targets.len(), 2);
        assert!(settings.onboarded);
        // Not again: the app's own targets win from now on.
        settings.config.targets.pop();
        assert_eq!(import_cli_config(&mut settings, &path), None);
        assert_eq!(settings.config.targets.len(), 1);
    }

    #[test]
    fn a_malformed_cli_config_is_reported_and_nothing_imported() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("config.toml");
        std::fs::write(&path, "[[targets]]\nid = \"x\"\nkind = \"olama\"\n").unwrap();
        let mut settings = controller::Settings::default();
        let told = import_cli_config(&mut settings, &path).expect("told");
        assert!(
            told.contains("config.toml:3") && told.contains("kind"),
            "{told}"
        );
        assert!(settings.config.targets.is_empty() && !settings.onboarded);
        // No file: nothing to say.
        assert_eq!(
            import_cli_config(&mut settings, &root.path().join("absent.toml")),
            None
        );
    }

    #[test]
    fn no_old_profile_is_nothing_to_say() {
        let root = tempfile::tempdir().unwrap();
        let profile = profile(root.path());
        assert_eq!(
            move_old_profile(&root.path().join("absent"), &profile),
            None
        );
        std::fs::create_dir_all(root.path().join("empty")).unwrap();
        assert_eq!(move_old_profile(&root.path().join("empty"), &profile), None);
    }
}
