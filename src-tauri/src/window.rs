//! The dashboard window exists only while it is open: created when the user opens it, and
//! destroyed (with its web process) when it is closed or hidden; the engine, the tray and the
//! notices live on without it. A tray app is hidden nearly all of its life, and a hidden
//! webview held WebKit's web process and most of the app's memory for nothing. Its geometry is
//! remembered in the profile's settings and restored at the next open.

use crate::settings::{SettingsStore, WindowGeometry};
use serde_json::value::RawValue;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{
    AppHandle, Emitter, Manager, PhysicalPosition, PhysicalSize, WebviewUrl, WebviewWindow,
    WebviewWindowBuilder, WindowEvent,
};

pub const WINDOW: &str = "main";
const TITLE: &str = "LLM Health Monitor";

/// Where the web view keeps its storage and caches: in the profile, where WebKit would otherwise
/// make a folder of its own in the platform's app data folder.
pub struct WebviewData(pub std::path::PathBuf);

/// Whether anyone can see the window: events are pushed to it only then.
#[derive(Default)]
pub struct Visibility(AtomicBool);

impl Visibility {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Shows and focuses the dashboard, creating it when it is not open; `route` selects a view
/// ("settings", "target/<id>", "onboarding").
pub fn show(app: &AppHandle, route: Option<&str>) {
    if let Some(window) = app.get_webview_window(WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
        app.state::<Visibility>().0.store(true, Ordering::Relaxed);
        let _ = window.emit_to(WINDOW, "window-shown", route);
        emit_state(app);
        return;
    }
    match create(app, route) {
        Ok(_) => app.state::<Visibility>().0.store(true, Ordering::Relaxed),
        Err(err) => tracing::error!("the dashboard window could not be opened: {err}"),
    }
}

/// A new window on the page, at `route`: the page reads its route from the address when it
/// starts, so the route is in place before any of its scripts runs, and it asks for the state
/// itself.
fn create(app: &AppHandle, route: Option<&str>) -> tauri::Result<WebviewWindow> {
    let mut builder = WebviewWindowBuilder::new(app, WINDOW, WebviewUrl::App("index.html".into()))
        .title(TITLE)
        .inner_size(960.0, 680.0)
        .min_inner_size(480.0, 360.0)
        .visible(false);
    if let Some(dir) = app.try_state::<WebviewData>() {
        builder = builder.data_directory(dir.0.clone());
    }
    let geometry = app.try_state::<SettingsStore>().and_then(|s| s.window());
    if geometry.is_none() {
        builder = builder.center();
    }
    if let Some(route) = route.filter(|r| *r != "onboarding") {
        // A JSON string is a JavaScript string literal: the route cannot break out of it.
        let literal = serde_json::to_string(&format!("#/{route}")).unwrap_or_default();
        builder = builder.initialization_script(format!(
            "if (window.top === window && !location.hash.startsWith('#/')) \
             history.replaceState(history.state, '', {literal});"
        ));
    }
    let window = builder.build()?;
    if let Some(geometry) = geometry {
        restore_geometry(&window, geometry);
    }
    window.show()?;
    let _ = window.set_focus();
    Ok(window)
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

/// Closes the window; the app stays in the tray.
pub fn hide(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(WINDOW) {
        remember_geometry(&window.as_ref().window());
        if let Err(err) = window.destroy() {
            tracing::warn!("the window was not closed: {err}");
        }
    }
}

/// The window is gone: nothing is pushed to it any more, its place is saved, and the memory
/// the web view used goes back to the system.
fn destroyed(app: &AppHandle) {
    app.state::<Visibility>().0.store(false, Ordering::Relaxed);
    // The geometry is saved when the window goes away, not on every pixel of a drag.
    if let Some(file) = app.try_state::<SettingsStore>() {
        file.save_window();
    }
    give_back_memory();
}

/// glibc keeps freed memory in its arenas for the next allocation; a tray app that just closed
/// its window will not make that allocation for hours, so it goes back now.
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
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
fn restore_geometry(window: &WebviewWindow, geometry: WindowGeometry) {
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

fn remember_geometry(window: &tauri::Window<tauri::Wry>) {
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

pub fn on_window_event(window: &tauri::Window, event: &WindowEvent) {
    if window.label() != WINDOW {
        return;
    }
    match event {
        // Closing destroys the window (the app lives on in the tray); where it was is kept
        // while it still has a place.
        WindowEvent::CloseRequested { .. } => remember_geometry(window),
        WindowEvent::Destroyed => destroyed(window.app_handle()),
        WindowEvent::Moved(_) | WindowEvent::Resized(_) => remember_geometry(window),
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
