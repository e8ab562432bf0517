//! Renders the pure tray model (`desktop_core::tray`) with Tauri's tray. Only what changed is
//! pushed to the platform: on Linux every icon change writes a PNG and every menu change
//! rebuilds the D-Bus menu, so an unchanged model costs nothing.

use desktop_core::icon::{draw, IconState};
use desktop_core::tray::{MenuEntry, TrayModel};
use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Wry};

pub const TRAY_ID: &str = "main";

/// Linux panels scale the pixmap they get; 32 px stays sharp at the common 22–24 px panel
/// sizes and on HiDPI. macOS menu bars want 22 pt, i.e. 44 px on Retina.
#[cfg(target_os = "macos")]
const ICON_PX: u32 = 44;
#[cfg(not(target_os = "macos"))]
const ICON_PX: u32 = 32;

pub fn icon_image(state: IconState) -> Image<'static> {
    let rgba = draw(state, ICON_PX);
    Image::new_owned(rgba.pixels, rgba.width, rgba.height)
}

pub fn create(
    app: &AppHandle,
    model: &TrayModel,
    on_left_click: impl Fn(&AppHandle) + Send + Sync + 'static,
) -> tauri::Result<TrayIcon> {
    let menu = build_menu(app, &model.menu)?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon_image(model.icon))
        .tooltip(&model.tooltip)
        .menu(&menu)
        // Windows and macOS give click events: left click opens the dashboard, right click the
        // menu. Linux (AppIndicator) shows the menu on any click and never sends these.
        .show_menu_on_left_click(false)
        .on_tray_icon_event(move |tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                on_left_click(tray.app_handle());
            }
        })
        .build(app)
}

/// Applies `next` over `shown`, touching only the parts that differ.
pub fn update(
    app: &AppHandle,
    tray: &TrayIcon,
    shown: &TrayModel,
    next: &TrayModel,
) -> tauri::Result<()> {
    if shown.icon != next.icon {
        tray.set_icon(Some(icon_image(next.icon)))?;
    }
    if shown.tooltip != next.tooltip {
        tray.set_tooltip(Some(&next.tooltip))?;
    }
    if shown.menu != next.menu {
        tray.set_menu(Some(build_menu(app, &next.menu)?))?;
    }
    Ok(())
}

fn build_menu(app: &AppHandle, entries: &[MenuEntry]) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    for entry in entries {
        append(app, entry, &|item| menu.append(item))?;
    }
    Ok(menu)
}

fn append(
    app: &AppHandle,
    entry: &MenuEntry,
    add: &dyn Fn(&dyn IsMenuItem<Wry>) -> tauri::Result<()>,
) -> tauri::Result<()> {
    match entry {
        MenuEntry::Item {
            action,
            label,
            enabled,
        } => add(&MenuItem::with_id(
            app,
            action.id(),
            label,
            *enabled,
            None::<&str>,
        )?),
        MenuEntry::Separator => add(&PredefinedMenuItem::separator(app)?),
        MenuEntry::Submenu { label, items } => {
            let submenu = Submenu::new(app, label, true)?;
            for item in items {
                append(app, item, &|i| submenu.append(i))?;
            }
            add(&submenu)
        }
    }
}
