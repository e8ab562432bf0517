//! The one home both programs share, so that `llm-health status` and `history` show what the
//! tray app recorded: configuration and settings in `~/.config/llm-health/`, history in
//! `~/.local/share/llm-health/history.db` (the XDG base directories when they are set).

use std::path::PathBuf;

/// The folder name under the XDG base directories.
const APP_DIR: &str = "llm-health";

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

/// `$XDG_CONFIG_HOME` or `~/.config`: where the desktop looks for autostart entries too.
pub fn config_home() -> Option<PathBuf> {
    xdg("XDG_CONFIG_HOME", ".config")
}

/// `$XDG_CONFIG_HOME/llm-health` or `~/.config/llm-health`: the config file and the app's
/// settings.
pub fn config_dir() -> Option<PathBuf> {
    config_home().map(|d| d.join(APP_DIR))
}

/// `$XDG_DATA_HOME` or `~/.local/share`.
pub fn data_home() -> Option<PathBuf> {
    xdg("XDG_DATA_HOME", ".local/share")
}

/// `$XDG_CACHE_HOME` or `~/.cache`.
pub fn cache_home() -> Option<PathBuf> {
    xdg("XDG_CACHE_HOME", ".cache")
}

/// `$XDG_DATA_HOME/llm-health` or `~/.local/share/llm-health`: history and logs.
pub fn data_dir() -> Option<PathBuf> {
    data_home().map(|d| d.join(APP_DIR))
}

/// `$LLM_HEALTH_CONFIG`, else `config.toml` in [`config_dir`].
pub fn default_config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LLM_HEALTH_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    config_dir().map(|d| d.join("config.toml"))
}

/// `$LLM_HEALTH_DB`, else `history.db` in [`data_dir`] (the working directory when there is no
/// home at all).
pub fn default_db_path() -> PathBuf {
    if let Some(p) = std::env::var_os("LLM_HEALTH_DB").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("history.db")
}
