//! What the core asks of the desktop: keep the tray in step with the monitor, open and close
//! the window, start at login. The tray is a pure model (`desktop_core::tray`) recomputed on
//! each call; only a model that differs reaches the tray.

use crate::autostart::Launch;
use crate::tray::Tray;
use crate::window::Windows;
use chrono::{DateTime, Utc};
use desktop_core::tray::{tray_model, MenuAction, TrayModel};
use monitor::Snapshot;
use std::collections::BTreeMap;
use std::sync::Mutex;
use tokio::sync::mpsc;

pub struct DesktopShell {
    runtime: tokio::runtime::Handle,
    windows: Windows,
    /// Menu clicks go here.
    actions: mpsc::UnboundedSender<MenuAction>,
    /// The tray, once the first status made it, and what it shows.
    tray: Mutex<Option<(Tray, TrayModel)>>,
    /// What starts at login.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    launch: Launch,
}

impl DesktopShell {
    pub fn new(
        runtime: tokio::runtime::Handle,
        windows: Windows,
        actions: mpsc::UnboundedSender<MenuAction>,
        launch: Launch,
    ) -> DesktopShell {
        DesktopShell {
            runtime,
            windows,
            actions,
            tray: Mutex::new(None),
            launch,
        }
    }
}

impl controller::Desktop for DesktopShell {
    fn show_status(
        &self,
        snapshot: &Snapshot,
        paused: Option<DateTime<Utc>>,
        snoozed: &BTreeMap<String, DateTime<Utc>>,
    ) {
        let model = tray_model(
            snapshot,
            paused,
            snoozed,
            Utc::now(),
            controller::local_offset(),
        );
        let mut tray = self
            .tray
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match tray.as_mut() {
            Some((_, shown)) if *shown == model => return,
            Some((icon, shown)) => {
                icon.show(model.clone());
                *shown = model;
            }
            None => {
                let icon = Tray::spawn(&self.runtime, model.clone(), self.actions.clone());
                *tray = Some((icon, model));
            }
        }
        if let Some((_, model)) = tray.as_ref() {
            tracing::debug!("tray: {:?} · {}", model.icon, model.tooltip);
        }
    }

    fn open_window(&self, route: Option<&str>) {
        self.windows.open(route);
    }

    fn hide_window(&self) {
        self.windows.close();
    }

    fn set_start_at_login(&self, enabled: bool) {
        #[cfg(target_os = "linux")]
        let result = crate::autostart::set(enabled, &self.launch).map_err(|e| e.to_string());
        #[cfg(not(target_os = "linux"))]
        let result = crate::autostart::set_elsewhere(enabled, &self.launch);
        if let Err(err) = result {
            tracing::warn!("start at login not changed: {err}");
        }
    }
}
