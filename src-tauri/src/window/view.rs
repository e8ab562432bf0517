//! The dashboard window of this process: made from the tray app's first line, to the front on
//! its `show`, and closed (ending the process, and WebKit's with it) on its `close` or by the
//! user. Where it is goes back to the tray app, which keeps it for the next opening.

use crate::link::Link;
use controller::window_link::{FromWindow, WindowGeometry};
use serde_json::value::RawValue;
use std::path::PathBuf;
use tauri::{
    AppHandle, Emitter, Manager, PhysicalPosition, PhysicalSize, Runtime, WebviewUrl,
    WebviewWindow, WebviewWindowBuilder, WindowEvent,
};

pub const WINDOW: &str = "main";
const TITLE: &str = "LLM Health Monitor";

/// What the first line asked for.
pub struct Opening {
    pub route: Option<String>,
    pub geometry: Option<WindowGeometry>,
    pub webview_dir: PathBuf,
}

/// The window on the page, at `route`: the page reads its route from the address when it
/// starts, so the route is in place before any of its scripts runs, and it asks for the state
/// itself.
pub fn create<R: Runtime>(app: &AppHandle<R>, opening: Opening) -> tauri::Result<WebviewWindow<R>> {
    let mut builder = WebviewWindowBuilder::new(app, WINDOW, WebviewUrl::App("index.html".into()))
        .title(TITLE)
        .inner_size(960.0, 680.0)
        .min_inner_size(480.0, 360.0)
        .data_directory(opening.webview_dir)
        .visible(false);
    if opening.geometry.is_none() {
        builder = builder.center();
    }
    if let Some(route) = opening.route.as_deref().filter(|r| *r != "onboarding") {
        // A JSON string is a JavaScript string literal: the route cannot break out of it.
        let literal = serde_json::to_string(&format!("#/{route}")).unwrap_or_default();
        builder = builder.initialization_script(format!(
            "if (window.top === window && !location.hash.startsWith('#/')) \
             history.replaceState(history.state, '', {literal});"
        ));
    }
    let window = builder.build()?;
    if let Some(geometry) = opening.geometry {
        restore_geometry(&window, geometry);
    }
    window.show()?;
    let _ = window.set_focus();
    Ok(window)
}

/// To the front, on `route` if one is given (the page follows "window-shown").
pub fn show<R: Runtime>(app: &AppHandle<R>, route: Option<&str>) {
    if let Some(window) = app.get_webview_window(WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
        let _ = window.emit_to(WINDOW, "window-shown", route);
    }
}

/// Closes the window; the process ends with it.
pub fn close<R: Runtime>(app: &AppHandle<R>) {
    match app.get_webview_window(WINDOW) {
        Some(window) => {
            report_geometry(window.as_ref().window());
            if let Err(err) = window.destroy() {
                tracing::warn!("the window was not closed: {err}");
                app.exit(0);
            }
        }
        None => app.exit(0),
    }
}

/// Pushes an event of the tray app's to the page, its JSON as it came.
pub fn emit<R: Runtime>(app: &AppHandle<R>, event: &str, payload: Box<RawValue>) {
    let _ = app.emit_to(WINDOW, event, payload);
}

/// Puts the window where the user left it, if that place still exists.
fn restore_geometry<R: Runtime>(window: &WebviewWindow<R>, geometry: WindowGeometry) {
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
    } else {
        let _ = window.center();
    }
}

/// Tells the tray app where the window is, while it is on screen and not minimized.
fn report_geometry<R: Runtime>(window: tauri::Window<R>) {
    let visible = window.is_visible().unwrap_or(false);
    let minimized = window.is_minimized().unwrap_or(false);
    if !visible || minimized {
        return;
    }
    let link = window.app_handle().try_state::<Link>();
    if let (Some(link), Ok(position), Ok(size)) =
        (link, window.outer_position(), window.inner_size())
    {
        link.send(&FromWindow::Geometry(WindowGeometry {
            x: position.x,
            y: position.y,
            width: size.width,
            height: size.height,
        }));
    }
}

pub fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &WindowEvent) {
    if window.label() != WINDOW {
        return;
    }
    match event {
        WindowEvent::CloseRequested { .. } | WindowEvent::Moved(_) | WindowEvent::Resized(_) => {
            report_geometry(window.clone())
        }
        // The window is the process's reason to be.
        WindowEvent::Destroyed => window.app_handle().exit(0),
        _ => {}
    }
}
