//! The application core both shells share. The desktop app (`src-tauri`, over IPC) and
//! `llm-health serve` (`crates/server`, over HTTP) each map their transport to the commands of
//! [`command`], and hand whatever only they have to the traits of [`shell`]. One task owns the
//! state ([`controller`]): the engine and the history recorder, the configuration and its file,
//! the first-run offers and the notification policy.
//!
//! Adding a command: a line in [`command`]'s list, its arm in `Owner::handle`
//! (`controller.rs`), then `UPDATE_GENERATED=1 cargo test -p controller generated` and one call
//! in `ui/src/api.ts`.

pub mod command;
pub mod controller;
pub mod error;
pub mod memory;
pub mod openapi;
pub mod paths;
pub mod settings;
pub mod shell;
pub mod toml_file;
pub mod typescript;
pub mod views;
pub mod window_link;

pub use command::{Access, Capability, Command, CommandName};
pub use controller::{local_offset, start, Handle, LiveEvent, Options, Reply, Started, Update};
pub use error::{CoreError, ErrorKind};
pub use settings::Settings;
pub use shell::{channel_secret_name, Desktop, KeyStore, Notifier, SettingsFile, Shell};
pub use toml_file::TomlFile;
pub use views::{ChannelView, Offer, SettingsView, StateView};
