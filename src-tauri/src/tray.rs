//! The tray icon: a StatusNotifierItem with its com.canonical.dbusmenu menu, served over the
//! session bus by `ksni` (pure Rust on zbus). No GTK: the tray app does not link a toolkit, and
//! the icon is handed to the host as a pixmap drawn at run time (`desktop_core::icon`), not as a
//! file the host has to read.
//!
//! The model (`desktop_core::tray`) is recomputed by the core; only a model that differs reaches
//! the bus, and ksni tells the host only the properties that changed.

use desktop_core::icon::{draw, IconState};
use desktop_core::tray::{MenuAction, MenuEntry, TrayModel};
use desktop_core::APP_NAME;
use tokio::sync::{mpsc, watch};

/// Linux panels scale the pixmap they get; 32 px stays sharp at the common 22–24 px panel
/// sizes and on HiDPI.
const ICON_PX: u32 = 32;

/// The item as ksni serves it.
struct Item {
    model: TrayModel,
    /// The icon of `model`, drawn once per state change rather than at every property read.
    pixmap: ksni::Icon,
    actions: mpsc::UnboundedSender<MenuAction>,
}

/// StatusNotifierItem pixmaps are ARGB32 in network byte order.
fn pixmap(state: IconState) -> ksni::Icon {
    let rgba = draw(state, ICON_PX);
    let mut data = Vec::with_capacity(rgba.pixels.len());
    for px in rgba.pixels.chunks_exact(4) {
        data.extend_from_slice(&[px[3], px[0], px[1], px[2]]);
    }
    ksni::Icon {
        width: rgba.width as i32,
        height: rgba.height as i32,
        data,
    }
}

/// dbusmenu takes `_` as the mark of an access key: a label shows its underscores doubled.
fn label(text: &str) -> String {
    text.replace('_', "__")
}

fn items(entries: &[MenuEntry]) -> Vec<ksni::MenuItem<Item>> {
    use ksni::menu::{StandardItem, SubMenu};
    entries
        .iter()
        .map(|entry| match entry {
            MenuEntry::Item {
                action,
                label: text,
                enabled,
            } => {
                let action = action.clone();
                StandardItem {
                    label: label(text),
                    enabled: *enabled,
                    activate: Box::new(move |item: &mut Item| {
                        let _ = item.actions.send(action.clone());
                    }),
                    ..Default::default()
                }
                .into()
            }
            MenuEntry::Separator => ksni::MenuItem::Separator,
            MenuEntry::Submenu {
                label: text,
                items: inner,
            } => SubMenu {
                label: label(text),
                submenu: items(inner),
                ..Default::default()
            }
            .into(),
        })
        .collect()
}

impl ksni::Tray for Item {
    fn id(&self) -> String {
        "llm-health-monitor".into()
    }

    fn title(&self) -> String {
        APP_NAME.into()
    }

    fn category(&self) -> ksni::Category {
        ksni::Category::ApplicationStatus
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        vec![self.pixmap.clone()]
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: APP_NAME.into(),
            description: self.model.tooltip.clone(),
            ..Default::default()
        }
    }

    /// A left click opens the dashboard; the menu is on the right button.
    fn activate(&mut self, _x: i32, _y: i32) {
        let _ = self.actions.send(MenuAction::OpenDashboard);
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        items(&self.model.menu)
    }
}

/// The running tray: the latest model goes in, the bus gets what changed.
pub struct Tray {
    models: watch::Sender<TrayModel>,
}

impl Tray {
    /// Puts the item on the session bus, on the current runtime. A desktop whose tray host
    /// comes later (at login, the panel can start after the app) gets the item when it does.
    pub fn spawn(
        runtime: &tokio::runtime::Handle,
        first: TrayModel,
        actions: mpsc::UnboundedSender<MenuAction>,
    ) -> Tray {
        use ksni::TrayMethods;
        let (models, mut next) = watch::channel(first.clone());
        runtime.spawn(async move {
            let item = Item {
                pixmap: pixmap(first.icon),
                model: first,
                actions,
            };
            let handle = match item.assume_sni_available(true).spawn().await {
                Ok(handle) => handle,
                Err(err) => {
                    tracing::error!("no tray icon: {err}");
                    return;
                }
            };
            while next.changed().await.is_ok() {
                let model = next.borrow_and_update().clone();
                handle
                    .update(move |item| {
                        if item.model.icon != model.icon {
                            item.pixmap = pixmap(model.icon);
                        }
                        item.model = model;
                    })
                    .await;
            }
        });
        Tray { models }
    }

    pub fn show(&self, model: TrayModel) {
        self.models.send_replace(model);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pixmap_is_argb_in_network_order() {
        let icon = pixmap(IconState::Healthy);
        let rgba = draw(IconState::Healthy, ICON_PX);
        assert_eq!((icon.width, icon.height), (ICON_PX as i32, ICON_PX as i32));
        let centre = (ICON_PX as usize / 2 * ICON_PX as usize + ICON_PX as usize / 2) * 4;
        assert_eq!(
            icon.data[centre..centre + 4],
            [
                rgba.pixels[centre + 3],
                rgba.pixels[centre],
                rgba.pixels[centre + 1],
                rgba.pixels[centre + 2]
            ]
        );
    }

    #[test]
    fn underscores_in_labels_are_shown_not_taken_as_access_keys() {
        assert_eq!(label("my_local_llm"), "my__local__llm");
    }
}
