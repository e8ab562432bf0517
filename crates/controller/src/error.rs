//! What can go wrong with a command, worded once for both transports: the app's IPC rejects with
//! the sentence, `serve` answers `{"error": "<the sentence>"}` with the status [`ErrorKind`] maps to.

use crate::command::{Capability, CommandName};
use monitor::config::ConfigError;
use std::path::PathBuf;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("there is no command {0:?}")]
    UnknownCommand(String),
    #[error("bad arguments for {command}: {message}")]
    BadArguments {
        command: CommandName,
        message: String,
    },
    #[error("{command} exists only in the desktop app: {}", .needs.missing_reason())]
    Unavailable {
        command: CommandName,
        needs: Capability,
    },
    #[error("there is no target {0:?}")]
    NoSuchTarget(String),
    /// A configuration that does not validate; the sentence names the key (and the line, for
    /// text the user wrote).
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the configuration has no TOML form: {0}")]
    NoToml(String),
    #[error("cannot save the settings to {path}: {message}")]
    Save { path: PathBuf, message: String },
    /// The file was changed by someone else since it was read: writing would destroy that edit.
    #[error(
        "{} was edited while the monitor runs; it was not overwritten and this change was not \
         applied. Restart the monitor to load the edit (or import the file), then make the \
         change again",
        .0.display()
    )]
    EditedOnDisk(PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("an API key cannot be empty")]
    EmptyKey,
    #[error("the OS keyring refused: {0}")]
    Keyring(String),
    #[error("no HTTP client for probes: {0}")]
    NoHttpClient(String),
    /// A target "Test connection" cannot probe as the form has it (the typed key masked).
    #[error("{0}")]
    InvalidTarget(String),
    #[error("the reply has no JSON form: {0}")]
    NoJson(String),
    #[error("the monitor is stopping")]
    Stopping,
    #[error("there is no alert channel {0:?}")]
    NoSuchChannel(String),
    /// A test notice that did not arrive: the receiver's fault or its URL's, worded without it.
    #[error("the test notice was not delivered: {0}")]
    NotDelivered(String),
}

/// Whose move it is after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller's: wrong arguments, an invalid configuration, a bad range.
    BadRequest,
    /// No such command or target, or a command this shell does not have.
    NotFound,
    /// The state changed under the caller (a file edited by hand): look again, then retry.
    Conflict,
    /// Ours, or the machine's.
    Internal,
    /// Another server's: an alert receiver refused or did not answer.
    Upstream,
}

impl CoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CoreError::BadArguments { .. }
            | CoreError::Config(_)
            | CoreError::InvalidTarget(_)
            | CoreError::EmptyKey => ErrorKind::BadRequest,
            CoreError::Store(StoreError::BadRange { .. } | StoreError::UnknownRange(_)) => {
                ErrorKind::BadRequest
            }
            CoreError::UnknownCommand(_)
            | CoreError::Unavailable { .. }
            | CoreError::NoSuchTarget(_)
            | CoreError::NoSuchChannel(_)
            | CoreError::Store(StoreError::UnknownTarget { .. }) => ErrorKind::NotFound,
            CoreError::EditedOnDisk(_) => ErrorKind::Conflict,
            CoreError::NotDelivered(_) => ErrorKind::Upstream,
            CoreError::NoToml(_)
            | CoreError::Save { .. }
            | CoreError::Store(_)
            | CoreError::Keyring(_)
            | CoreError::NoHttpClient(_)
            | CoreError::NoJson(_)
            | CoreError::Stopping => ErrorKind::Internal,
        }
    }
}
