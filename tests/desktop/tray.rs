//! Reads the app's tray item the way a tray host does: through the StatusNotifierWatcher, the
//! item's properties, and its com.canonical.dbusmenu menu.

use crate::session::Session;
use serde_json::Value;
use std::path::PathBuf;

pub struct TrayItem {
    pub service: String,
    pub path: String,
}

impl TrayItem {
    /// The first registered item (the app is the only one in this session).
    pub fn find(session: &Session) -> Option<TrayItem> {
        let items = session.get_property(
            "org.kde.StatusNotifierWatcher",
            "/StatusNotifierWatcher",
            "org.kde.StatusNotifierWatcher",
            "RegisteredStatusNotifierItems",
        )?;
        let first = items["data"].as_array()?.first()?.as_str()?.to_string();
        // Registered as "<bus name><object path>", or as a bare bus name whose item then sits
        // at the spec's default path or, for AppIndicator, under /org/ayatana/NotificationItem.
        if let Some(i) = first.find('/') {
            return Some(TrayItem {
                service: first[..i].to_string(),
                path: first[i..].to_string(),
            });
        }
        let paths = session.object_paths(&first);
        let path = std::iter::once("/StatusNotifierItem".to_string())
            .chain(paths)
            .find(|p| {
                session
                    .get_property(&first, p, "org.kde.StatusNotifierItem", "Status")
                    .is_some()
            })?;
        Some(TrayItem {
            service: first,
            path,
        })
    }

    pub fn property(&self, session: &Session, name: &str) -> Option<Value> {
        session
            .get_property(
                &self.service,
                &self.path,
                "org.kde.StatusNotifierItem",
                name,
            )
            .map(|v| v["data"].clone())
    }

    /// The icon as the host draws it, as RGBA: the largest of the item's pixmaps (ARGB32 in
    /// network byte order, how the app publishes its icon), or else the PNG that IconName names,
    /// in IconThemePath or as a full path (how AppIndicator publishes icons).
    pub fn icon_rgba(&self, session: &Session) -> Option<Vec<u8>> {
        let pixmaps = self.property(session, "IconPixmap");
        let largest = pixmaps
            .as_ref()
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|pixmap| {
                let width = pixmap.get(0)?.as_u64()?;
                let height = pixmap.get(1)?.as_u64()?;
                let bytes: Vec<u8> = pixmap
                    .get(2)?
                    .as_array()?
                    .iter()
                    .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                    .collect::<Option<_>>()?;
                (bytes.len() as u64 == width * height * 4).then_some((width * height, bytes))
            })
            .max_by_key(|(area, _)| *area);
        if let Some((_, argb)) = largest {
            return Some(
                argb.chunks_exact(4)
                    .flat_map(|px| [px[1], px[2], px[3], px[0]])
                    .collect(),
            );
        }
        let file = self.icon_file(session)?;
        crate::session::read_png(&file).map(|(_, _, rgba)| rgba)
    }

    fn icon_file(&self, session: &Session) -> Option<PathBuf> {
        let name = self.property(session, "IconName")?.as_str()?.to_string();
        if name.is_empty() {
            return None;
        }
        let direct = PathBuf::from(&name);
        if direct.is_absolute() && direct.exists() {
            return Some(direct);
        }
        let dir = self
            .property(session, "IconThemePath")
            .and_then(|v| v.as_str().map(PathBuf::from))?;
        [format!("{name}.png"), name.clone()]
            .into_iter()
            .map(|n| dir.join(n))
            .find(|p| p.exists())
    }

    fn menu_path(&self, session: &Session) -> Option<String> {
        self.property(session, "Menu")?.as_str().map(str::to_string)
    }

    /// The menu's items as (id, label, enabled), depth first.
    pub fn menu(&self, session: &Session) -> Vec<(i64, String, bool)> {
        self.menu_tree(session)
            .into_iter()
            .map(|(id, mut path, enabled)| (id, path.pop().unwrap_or_default(), enabled))
            .collect()
    }

    /// The menu's items as (id, labels from the top menu down to the item's own, enabled),
    /// depth first.
    pub fn menu_tree(&self, session: &Session) -> Vec<(i64, Vec<String>, bool)> {
        let Some(path) = self.menu_path(session) else {
            return Vec::new();
        };
        let Some(layout) = session.busctl(&[
            "call",
            &self.service,
            &path,
            "com.canonical.dbusmenu",
            "GetLayout",
            "iias",
            "0",
            "-1",
            "0",
        ]) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        walk(&layout["data"][1], &mut Vec::new(), &mut out);
        out
    }

    /// Clicks the menu item with this label, as a tray host does when the user picks it.
    pub fn click(&self, session: &Session, label: &str) {
        let items = self.menu(session);
        let id = items
            .iter()
            .find(|(_, l, _)| l == label)
            .map(|(id, _, _)| *id)
            .unwrap_or_else(|| panic!("no menu item {label:?} in {items:?}"));
        self.click_id(session, id, label);
    }

    /// Clicks the item these labels lead to, from the top menu through its submenus
    /// (["Snooze endpoint", "Ollama", "For 1 hour"]).
    pub fn click_path(&self, session: &Session, labels: &[&str]) {
        let items = self.menu_tree(session);
        let id = items
            .iter()
            .find(|(_, path, _)| path.iter().map(String::as_str).eq(labels.iter().copied()))
            .map(|(id, _, _)| *id)
            .unwrap_or_else(|| panic!("no menu item {labels:?} in {items:?}"));
        self.click_id(session, id, &labels.join(" > "));
    }

    fn click_id(&self, session: &Session, id: i64, label: &str) {
        let path = self.menu_path(session).expect("menu path");
        let id = id.to_string();
        let done = session.busctl(&[
            "call",
            &self.service,
            &path,
            "com.canonical.dbusmenu",
            "Event",
            "isvu",
            &id,
            "clicked",
            "s",
            "",
            "0",
        ]);
        assert!(done.is_some(), "clicking {label:?} failed");
    }
}

/// One layout node is `(id, properties, children)`; children are variants of the same.
/// `above` holds the labels of the submenus the node is in.
fn walk(node: &Value, above: &mut Vec<String>, out: &mut Vec<(i64, Vec<String>, bool)>) {
    let Some(parts) = node.as_array() else {
        return;
    };
    let id = parts.first().and_then(Value::as_i64).unwrap_or(-1);
    let props = parts.get(1).cloned().unwrap_or(Value::Null);
    let label = props["label"]["data"]
        .as_str()
        .unwrap_or_default()
        .replace('_', "");
    let enabled = props["enabled"]["data"].as_bool().unwrap_or(true);
    let labeled = id != 0 && !label.is_empty();
    if labeled {
        above.push(label);
        out.push((id, above.clone(), enabled));
    }
    if let Some(children) = parts.get(2).and_then(Value::as_array) {
        for child in children {
            walk(&child["data"], above, out);
        }
    }
    if labeled {
        above.pop();
    }
}
