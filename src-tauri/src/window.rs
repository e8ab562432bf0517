//! The dashboard window: created hidden, shown from the tray, hidden again on close (the app
//! lives in the tray). Its geometry is remembered in the profile's settings. While hidden the
//! page is told so and stops its timers, and nothing is pushed to it.

use crate::supervisor::{self, WINDOW};
use desktop_core::settings::WindowGeometry;
use tauri::{
    AppHandle, Emitter, Manager, PhysicalPosition, PhysicalSize, WebviewWindow, WindowEvent,
};

/// Shows and focuses the dashboard; `route` selects a view ("settings", "target/<id>",
/// "onboarding").
pub fn show(app: &AppHandle, route: Option<&str>) {
    let Some(window) = app.get_webview_window(WINDOW) else {
        tracing::error!("the dashboard window is missing");
        return;
    };
    let supervisor = supervisor::get(app);
    let _ = window.show();
    let _ = window.unminimize();
    let _ = window.set_focus();
    supervisor.set_visible(true);
    let _ = window.emit_to(WINDOW, "window-shown", route);
    supervisor.emit_state();
}

pub fn hide(window: &WebviewWindow) {
    let _ = window.hide();
    let _ = window.emit_to(WINDOW, "window-hidden", ());
    supervisor::get(window.app_handle()).set_visible(false);
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
            if let Some(webview) = window.app_handle().get_webview_window(WINDOW) {
                hide(&webview);
            }
        }
        WindowEvent::Moved(_) | WindowEvent::Resized(_) => {
            let visible = window.is_visible().unwrap_or(false);
            let minimized = window.is_minimized().unwrap_or(false);
            if !visible || minimized {
                return;
            }
            if let (Ok(position), Ok(size)) = (window.outer_position(), window.inner_size()) {
                supervisor::get(window.app_handle()).remember_geometry(WindowGeometry {
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
