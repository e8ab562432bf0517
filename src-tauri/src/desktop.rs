//! What the core asks of the desktop: keep the tray in step with the monitor, open and hide the
//! window, start at login. The tray is a pure model (`desktop_core::tray`) recomputed on each
//! call; only the parts that differ are pushed to the platform.

use crate::autostart::Launch;
use crate::{tray, window};
use chrono::{DateTime, Utc};
use desktop_core::tray::{tray_model, TrayModel};
use monitor::Snapshot;
use std::collections::BTreeMap;
use std::sync::Mutex;
use tauri::{AppHandle, Manager};

pub struct DesktopShell {
    app: AppHandle,
    shown: Mutex<Option<TrayModel>>,
    /// What starts at login.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    launch: Launch,
}

impl DesktopShell {
    pub fn new(app: AppHandle, launch: Launch) -> DesktopShell {
        DesktopShell {
            app,
            shown: Mutex::new(None),
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
        let mut shown = self
            .shown
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if shown.as_ref() == Some(&model) {
            return;
        }
        match (self.app.tray_by_id(tray::TRAY_ID), shown.as_ref()) {
            (Some(icon), Some(previous)) => {
                if let Err(err) = tray::update(&self.app, &icon, previous, &model) {
                    tracing::warn!("tray not updated: {err}");
                    return;
                }
            }
            (None, _) => {
                if let Err(err) = tray::create(&self.app, &model, |app| window::show(app, None)) {
                    tracing::error!("no tray icon: {err}");
                    return;
                }
            }
            (Some(_), None) => {}
        }
        tracing::debug!("tray: {:?} · {}", model.icon, model.tooltip);
        *shown = Some(model);
    }

    fn open_window(&self, route: Option<&str>) {
        window::show(&self.app, route);
    }

    fn hide_window(&self) {
        window::hide(&self.app);
    }

    fn set_start_at_login(&self, enabled: bool) {
        #[cfg(target_os = "linux")]
        let result = crate::autostart::set(enabled, &self.launch).map_err(|e| e.to_string());
        #[cfg(not(target_os = "linux"))]
        let result = {
            use tauri_plugin_autostart::ManagerExt;
            let launcher = self.app.autolaunch();
            if enabled {
                launcher.enable()
            } else {
                launcher.disable()
            }
            .map_err(|e| e.to_string())
        };
        if let Err(err) = result {
            tracing::warn!("start at login not changed: {err}");
        }
    }
}

/// The core, as every part of the app reaches it.
pub fn core(app: &AppHandle) -> controller::Handle {
    app.state::<controller::Handle>().inner().clone()
}
