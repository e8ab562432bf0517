//! What the desktop app shows, as plain Rust with no Tauri or GTK: the tray icon drawn at run time
//! ([`icon`]), the tray menu and tooltip as a comparable value ([`tray`]), and which notifications
//! to send ([`notify`]), and the settings the app keeps ([`settings`]), and the shapes the page receives from either
//! transport ([`api`]). The app only renders
//! these, so all of the behavior is tested here.

pub mod api;
pub mod icon;
pub mod notify;
pub mod settings;
mod text;
pub mod tray;

pub use icon::{draw, to_pam, IconState, Rgba, TRAY_SIZES};
pub use notify::{Notice, NotifyPrefs, Policy, QuietHours, TargetMeta, Urgency};
pub use tray::{pause_until_tomorrow, tray_model, MenuAction, MenuEntry, TrayModel};

/// The product's name as the desktop shows it.
pub const APP_NAME: &str = "LLM Health Monitor";
