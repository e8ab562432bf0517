//! What only the desktop shows, as plain Rust with no Tauri or GTK: the tray icon drawn at run
//! time ([`icon`]), the tray menu and tooltip as a comparable value ([`tray`]), and the wording
//! of notifications ([`notice`]). The app only renders these, so all of the behavior is tested
//! here. When to notify is not the desktop's to decide (the `alerts` crate), and the page's
//! commands and shapes are the core's (`controller`).

pub mod icon;
pub mod notice;
mod text;
pub mod tray;

pub use icon::{draw, to_pam, IconState, Rgba, TRAY_SIZES};
pub use notice::Notice;
pub use tray::{tray_model, MenuAction, MenuEntry, TrayModel};

/// The product's name as the desktop shows it.
pub const APP_NAME: &str = "LLM Health Monitor";

/// The app's identifier (`tauri.conf.json`): its desktop entry's name, the keyring service, and
/// the folder names earlier versions used.
pub const IDENTIFIER: &str = "dev.llmhealth.monitor";
