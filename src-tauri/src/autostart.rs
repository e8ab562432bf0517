//! Start at login. The entry starts the installed app (not the build tree that happened to run
//! when the box was ticked) with the same `--config` and `--data-dir`, so the profile that
//! starts at login is the one the user set it in.
//!
//! On Linux this writes the XDG autostart entry itself: the autostart plugin earlier versions
//! used wrote an unquoted `Exec` line (a path with a space broke it), named after the product.

use std::path::{Path, PathBuf};

/// The program name, as installed in `/usr/bin`.
const PROGRAM: &str = "llm-health-monitor";

/// What starts at login: the program and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
}

impl Launch {
    /// The installed app with this run's `--config` and `--data-dir`, made absolute.
    pub fn for_this_run(config: Option<&Path>, data_dir: Option<&Path>) -> Launch {
        let absolute = |p: &Path| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .display()
                .to_string()
        };
        let mut args = Vec::new();
        if let Some(config) = config {
            args.extend(["--config".to_string(), absolute(config)]);
        }
        if let Some(dir) = data_dir {
            args.extend(["--data-dir".to_string(), absolute(dir)]);
        }
        Launch {
            program: installed_program(),
            args,
        }
    }
}

/// An AppImage's own file, else the app found on `PATH` (an installed package), else this
/// executable.
fn installed_program() -> PathBuf {
    if let Some(appimage) = std::env::var_os("APPIMAGE").filter(|v| !v.is_empty()) {
        return PathBuf::from(appimage);
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(PROGRAM))
            .find(|candidate| is_executable(candidate))
    });
    on_path
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| PathBuf::from(PROGRAM))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Elsewhere the tray app has no way to register itself yet (Linux writes its XDG entry).
#[cfg(not(target_os = "linux"))]
pub fn set_elsewhere(_enabled: bool, _launch: &Launch) -> Result<(), String> {
    Err("start at login is not available on this platform yet".into())
}

/// `~/.config/autostart` (or `$XDG_CONFIG_HOME/autostart`).
#[cfg(target_os = "linux")]
fn autostart_dir() -> Option<PathBuf> {
    controller::paths::config_home().map(|d| d.join("autostart"))
}

/// Writes or removes the autostart entry; also removes the entry earlier versions wrote
/// through the plugin, which named the product and pointed at whatever binary ran.
#[cfg(target_os = "linux")]
pub fn set(enabled: bool, launch: &Launch) -> std::io::Result<()> {
    let dir = autostart_dir().ok_or_else(|| std::io::Error::other("no home folder"))?;
    set_in(&dir, enabled, launch)
}

#[cfg(target_os = "linux")]
fn set_in(dir: &Path, enabled: bool, launch: &Launch) -> std::io::Result<()> {
    let legacy = dir.join(format!("{}.desktop", desktop_core::APP_NAME));
    if legacy.exists() {
        std::fs::remove_file(&legacy)?;
    }
    let path = dir.join(format!("{PROGRAM}.desktop"));
    if enabled {
        std::fs::create_dir_all(dir)?;
        std::fs::write(&path, desktop_entry(launch))
    } else {
        match std::fs::remove_file(&path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}

#[cfg(target_os = "linux")]
fn desktop_entry(launch: &Launch) -> String {
    let exec: Vec<String> = std::iter::once(launch.program.display().to_string())
        .chain(launch.args.iter().cloned())
        .map(|arg| exec_quote(&arg))
        .collect();
    format!(
        "[Desktop Entry]\nType=Application\nName={}\nComment=Watches your LLM endpoints from the \
         tray\nExec={}\nIcon=llm-health-monitor\nTerminal=false\nStartupNotify=false\n\
         X-GNOME-Autostart-enabled=true\n",
        desktop_core::APP_NAME,
        exec.join(" ")
    )
}

/// One argument of an `Exec` line, by the Desktop Entry Specification: quoted when it holds
/// anything but plain characters, with `"`, `` ` ``, `$` and `\` escaped inside the quotes;
/// then `\` escaped again and `%` doubled, as every value of the file is unescaped once before
/// the line is split.
#[cfg(target_os = "linux")]
fn exec_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.,+=:@".contains(c));
    let quoted = if plain {
        arg.to_string()
    } else {
        let mut out = String::from("\"");
        for c in arg.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    };
    quoted.replace('\\', "\\\\").replace('%', "%%")
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn exec_arguments_are_quoted_as_the_spec_says() {
        assert_eq!(
            exec_quote("/usr/bin/llm-health-monitor"),
            "/usr/bin/llm-health-monitor"
        );
        assert_eq!(exec_quote("--data-dir"), "--data-dir");
        assert_eq!(exec_quote("/home/a b/x.toml"), "\"/home/a b/x.toml\"");
        assert_eq!(exec_quote("100%"), "\"100%%\"");
        assert_eq!(exec_quote("a\"b$c"), "\"a\\\\\"b\\\\$c\"");
        assert_eq!(exec_quote(""), "\"\"");
    }

    #[test]
    fn the_entry_starts_the_program_with_this_runs_profile() {
        let launch = Launch {
            program: PathBuf::from("/usr/bin/llm-health-monitor"),
            args: vec![
                "--config".into(),
                "/home/u/my targets.toml".into(),
                "--data-dir".into(),
                "/home/u/p".into(),
            ],
        };
        let entry = desktop_entry(&launch);
        assert!(
            entry.contains(
                "\nExec=/usr/bin/llm-health-monitor --config \"/home/u/my targets.toml\" --data-dir /home/u/p\n"
            ),
            "{entry}"
        );
        assert!(entry.starts_with("[Desktop Entry]\nType=Application\n"));
    }

    #[test]
    fn enabling_writes_the_entry_and_replaces_the_plugins_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = dir.path().join("LLM Health Monitor.desktop");
        std::fs::write(
            &legacy,
            "[Desktop Entry]\nExec=/src/target/release/llm-health-monitor\n",
        )
        .unwrap();
        let launch = Launch {
            program: PathBuf::from("/usr/bin/llm-health-monitor"),
            args: Vec::new(),
        };
        set_in(dir.path(), true, &launch).unwrap();
        let entry = dir.path().join("llm-health-monitor.desktop");
        assert!(std::fs::read_to_string(&entry)
            .unwrap()
            .contains("\nExec=/usr/bin/llm-health-monitor\n"));
        assert!(!legacy.exists());
        set_in(dir.path(), false, &launch).unwrap();
        assert!(!entry.exists());
        // Turning off what is already off is no error.
        set_in(dir.path(), false, &launch).unwrap();
    }

    #[test]
    fn relative_options_become_absolute() {
        let launch = Launch::for_this_run(Some(Path::new("t.toml")), Some(Path::new("p")));
        assert_eq!(launch.args[0], "--config");
        assert!(Path::new(&launch.args[1]).is_absolute(), "{launch:?}");
        assert!(launch.args[1].ends_with("t.toml"));
        assert_eq!(launch.args[2], "--data-dir");
        assert!(Path::new(&launch.args[3]).is_absolute(), "{launch:?}");
    }
}
