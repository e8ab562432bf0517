//! The dashboard window: created hidden, shown from the tray, hidden again on close (the app
//! lives in the tray). Its geometry is remembered in the profile's settings. While hidden the
//! page is told so and stops its timers, and nothing is pushed to it.

use crate::settings::{SettingsStore, WindowGeometry};
use serde_json::value::RawValue;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{
    AppHandle, Emitter, Manager, PhysicalPosition, PhysicalSize, WebviewWindow, WindowEvent,
};

pub const WINDOW: &str = "main";

/// Whether anyone can see the window: events are pushed to it only then.
#[derive(Default)]
pub struct Visibility(AtomicBool);

impl Visibility {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Shows and focuses the dashboard; `route` selects a view ("settings", "target/<id>",
/// "onboarding").
pub fn show(app: &AppHandle, route: Option<&str>) {
    let Some(window) = app.get_webview_window(WINDOW) else {
        tracing::error!("the dashboard window is missing");
        return;
    };
    let _ = window.show();
    let _ = window.unminimize();
    let _ = window.set_focus();
    app.state::<Visibility>().0.store(true, Ordering::Relaxed);
    let _ = window.emit_to(WINDOW, "window-shown", route);
    emit_state(app);
}

/// The route of one target's view, "target/<id>", the id percent-encoded the way the page's
/// router decodes it (`decodeURIComponent`), so any id survives the trip.
pub fn target_route(id: &str) -> String {
    let mut route = String::from("target/");
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            route.push(char::from(byte));
        } else {
            route.push_str(&format!("%{byte:02X}"));
        }
    }
    route
}

pub fn hide(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(WINDOW) {
        let _ = window.hide();
        let _ = window.emit_to(WINDOW, "window-hidden", ());
    }
    app.state::<Visibility>().0.store(false, Ordering::Relaxed);
    // The geometry is saved when the window goes away, not on every pixel of a drag.
    if let Some(file) = app.try_state::<SettingsStore>() {
        file.save_window();
    }
}

pub fn is_visible(app: &AppHandle) -> bool {
    app.state::<Visibility>().get()
}

/// Pushes JSON the core serialized to the window, if it is visible, as it is.
pub fn emit_json(app: &AppHandle, event: &str, json: &str) {
    if !is_visible(app) {
        return;
    }
    match RawValue::from_string(json.to_string()) {
        Ok(raw) => {
            let _ = app.emit_to(WINDOW, event, raw);
        }
        Err(err) => tracing::warn!("{event} not sent: {err}"),
    }
}

/// The whole state, fresh, to a visible window.
pub fn emit_state(app: &AppHandle) {
    let Some(core) = app.try_state::<controller::Handle>() else {
        return;
    };
    let core = core.inner().clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = core
            .run(controller::Command::GetState(Default::default()))
            .await;
        match state {
            Ok(json) => emit_json(&app, "monitor-state", &json),
            Err(err) => tracing::warn!("state not sent to the window: {err}"),
        }
    });
}

/// Puts the window where the user left it, if that place still exists.
pub fn restore_geometry(window: &WebviewWindow, geometry: WindowGeometry) {
    let on_a_monitor = window
        .available_monitors()
        .map(|monitors| {
            monitors.iter().any(|m| {
                let p = m.position();
                let s = m.size();
                geometry.x >= p.x
                    && geometry.y >= p.y
                    && geometry.x < p.x + s.width as i32
                    && geometry.y < p.y + s.height as i32
            })
        })
        .unwrap_or(false);
    if geometry.width >= 200 && geometry.height >= 150 {
        let _ = window.set_size(PhysicalSize::new(geometry.width, geometry.height));
    }
    if on_a_monitor {
        let _ = window.set_position(PhysicalPosition::new(geometry.x, geometry.y));
    }
}

pub fn on_window_event(window: &tauri::Window, event: &WindowEvent) {
    if window.label() != WINDOW {
        return;
    }
    match event {
        WindowEvent::CloseRequested { api, .. } => {
            api.prevent_close();
            hide(window.app_handle());
        }
        WindowEvent::Moved(_) | WindowEvent::Resized(_) => {
            let visible = window.is_visible().unwrap_or(false);
            let minimized = window.is_minimized().unwrap_or(false);
            if !visible || minimized {
                return;
            }
            let file = window.app_handle().try_state::<SettingsStore>();
            if let (Some(file), Ok(position), Ok(size)) =
                (file, window.outer_position(), window.inner_size())
            {
                file.remember_window(WindowGeometry {
                    x: position.x,
                    y: position.y,
                    width: size.width,
                    height: size.height,
                });
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::target_route;

    #[test]
    fn a_target_route_survives_any_id() {
        assert_eq!(target_route("local-ollama"), "target/local-ollama");
        assert_eq!(target_route("a b/c%é"), "target/a%20b%2Fc%25%C3%A9");
    }
}
