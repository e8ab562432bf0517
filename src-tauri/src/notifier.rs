//! Sends the policy's alerts as OS notifications (notify-rust), in the words of
//! `desktop_core::notice`. Sending blocks on D-Bus, so it runs on its own thread, and the core
//! never waits for it.
//!
//! On freedesktop desktops a notice also
//! - opens the dashboard when clicked (its default action): at the target it is about, or the
//!   dashboard when it is about several;
//! - replaces the notice that announced a target down when it tells that target's recovery
//!   (`replaces_id`), so "Ollama recovered" takes the place of "Ollama is down";
//! - carries the app's icon and its desktop entry (`desktop-entry` hint).
//!
//! The handles of recent notices are kept alive, waiting for their click, because some servers
//! (GNOME) withdraw a notification whose handle is dropped.

use alerts::{Alert, Change, Urgency};
use desktop_core::notice::{render, Notice};
use desktop_core::APP_NAME;
use notify_rust::Notification;
use std::collections::{HashMap, VecDeque};
use std::sync::{mpsc, Arc};

const KEPT_HANDLES: usize = 16;

/// One notice to show, with what it tells about downs: the targets it announces down (its
/// notification is remembered for them) and those it announces working again (it replaces
/// the notification that announced them down).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub notice: Notice,
    pub down: Vec<String>,
    pub recovered: Vec<String>,
}

impl Outgoing {
    /// A notice from the app itself, about no target (a warning at start).
    pub fn from_app(body: String) -> Outgoing {
        Outgoing {
            notice: Notice {
                summary: desktop_core::APP_NAME.into(),
                body,
                urgency: alerts::Urgency::Normal,
                targets: Vec::new(),
            },
            down: Vec::new(),
            recovered: Vec::new(),
        }
    }

    fn of(alert: &Alert, now: chrono::DateTime<chrono::Utc>, tz: chrono::FixedOffset) -> Outgoing {
        let targets = |wanted: &[Change]| {
            alert
                .items
                .iter()
                .filter(|i| wanted.contains(&i.change))
                .map(|i| i.target.clone())
                .collect()
        };
        Outgoing {
            notice: render(alert, now, tz),
            down: targets(&[Change::Down]),
            recovered: targets(&[Change::Recovered, Change::WasDown]),
        }
    }

    /// Where a click takes the user: the target's view when the notice is about one target,
    /// otherwise the dashboard.
    pub fn route(&self) -> Option<String> {
        match self.notice.targets.as_slice() {
            [one] => Some(crate::window::target_route(one)),
            _ => None,
        }
    }
}

/// How the app's notices present themselves.
#[derive(Debug, Clone)]
pub struct Look {
    /// The app icon: a path to a PNG, or an icon name of the theme.
    pub icon: String,
    /// The app's desktop file id (the bundle identifier), for the `desktop-entry` hint.
    pub desktop_entry: String,
}

/// What a click on a notice does with its route (`None`: the dashboard).
pub type OnClick = Arc<dyn Fn(Option<String>) + Send + Sync>;

/// The core's way to the desktop's notification server.
pub struct DesktopNotices(pub mpsc::Sender<Outgoing>);

impl controller::Notifier for DesktopNotices {
    fn deliver(&self, alerts: Vec<Alert>) {
        let now = chrono::Utc::now();
        for alert in &alerts {
            if self
                .0
                .send(Outgoing::of(alert, now, controller::local_offset()))
                .is_err()
            {
                tracing::warn!("the notification thread is gone");
            }
        }
    }
}

/// Which notification announced each target down, so its recovery can replace it.
#[derive(Debug, Default)]
struct DownNotices {
    by_target: HashMap<String, u32>,
}

impl DownNotices {
    /// The notification a notice that tells these recoveries replaces: the one that announced
    /// them down, when it announced nothing that is still down (a "2 down" notice stays until
    /// its last target recovers).
    fn replaces(&self, recovered: &[String]) -> Option<u32> {
        let mut ids = recovered.iter().filter_map(|t| self.by_target.get(t));
        let first = *ids.next()?;
        if ids.any(|&id| id != first) {
            return None;
        }
        self.by_target
            .iter()
            .filter(|(_, &id)| id == first)
            .all(|(target, _)| recovered.contains(target))
            .then_some(first)
    }

    /// Records what a notice told, shown as notification `id` (`None`: not shown).
    fn told(&mut self, outgoing: &Outgoing, id: Option<u32>) {
        for target in &outgoing.recovered {
            self.by_target.remove(target);
        }
        if let Some(id) = id {
            for target in &outgoing.down {
                self.by_target.insert(target.clone(), id);
            }
        }
    }
}

/// `runtime` is where shown notices wait for their click.
pub fn spawn(
    look: Look,
    on_click: OnClick,
    runtime: tokio::runtime::Handle,
) -> mpsc::Sender<Outgoing> {
    let (tx, rx) = mpsc::channel::<Outgoing>();
    let spawned = std::thread::Builder::new()
        .name("notifier".into())
        .spawn(move || {
            let mut downs = DownNotices::default();
            let mut kept = Kept::new(runtime);
            for outgoing in rx {
                let replaces = downs.replaces(&outgoing.recovered);
                let notice = &outgoing.notice;
                match show(&look, notice, replaces) {
                    Ok(handle) => {
                        let id = kept.keep(handle, outgoing.route(), &on_click);
                        downs.told(&outgoing, id);
                        tracing::info!("notified: {} — {}", notice.summary, notice.body);
                    }
                    Err(err) => {
                        downs.told(&outgoing, None);
                        tracing::warn!("notification not shown: {err}");
                    }
                }
            }
        });
    if let Err(err) = spawned {
        tracing::error!("notifications disabled: no thread for them ({err})");
    }
    tx
}

/// Shows one notice, in place of notification `replaces` if given; what it returns is the
/// platform's handle.
fn show(
    look: &Look,
    notice: &Notice,
    replaces: Option<u32>,
) -> Result<notify_rust::NotificationHandle, notify_rust::error::Error> {
    let mut notification = Notification::new();
    notification
        .appname(APP_NAME)
        .summary(&notice.summary)
        .body(&notice.body)
        .icon(&look.icon)
        .action("default", "Open dashboard");
    if let Some(id) = replaces {
        notification.id(id);
    }
    freedesktop(&mut notification, look, notice.urgency);
    notification.show()
}

/// Urgency and hints exist only in the freedesktop protocol.
#[cfg(all(unix, not(target_os = "macos")))]
fn freedesktop(notification: &mut Notification, look: &Look, urgency: Urgency) {
    notification
        .urgency(match urgency {
            Urgency::Low => notify_rust::Urgency::Low,
            Urgency::Normal => notify_rust::Urgency::Normal,
            Urgency::Critical => notify_rust::Urgency::Critical,
        })
        .hint(notify_rust::Hint::DesktopEntry(look.desktop_entry.clone()));
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn freedesktop(_: &mut Notification, _: &Look, _: Urgency) {}

/// The handles of recent notices. On freedesktop desktops each waits, on the app's async
/// runtime, for its notice to be clicked or closed; one that is replaced, or that falls out of
/// the most recent [`KEPT_HANDLES`], stops waiting and is dropped.
struct Kept {
    #[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(dead_code))]
    runtime: tokio::runtime::Handle,
    #[cfg(all(unix, not(target_os = "macos")))]
    waiting: VecDeque<(u32, tokio::sync::oneshot::Sender<()>)>,
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    handles: VecDeque<notify_rust::NotificationHandle>,
}

impl Kept {
    fn new(runtime: tokio::runtime::Handle) -> Kept {
        Kept {
            runtime,
            #[cfg(all(unix, not(target_os = "macos")))]
            waiting: VecDeque::new(),
            #[cfg(not(all(unix, not(target_os = "macos"))))]
            handles: VecDeque::new(),
        }
    }

    /// Keeps the handle; returns the notification's id where the platform has one.
    #[cfg(all(unix, not(target_os = "macos")))]
    fn keep(
        &mut self,
        handle: notify_rust::NotificationHandle,
        route: Option<String>,
        on_click: &OnClick,
    ) -> Option<u32> {
        let id = handle.id();
        // The notice this one replaced (same id) no longer takes clicks; dropping the sender
        // ends its wait.
        self.waiting.retain(|(waiting, _)| *waiting != id);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let on_click = on_click.clone();
        self.runtime.spawn(async move {
            let clicked = |response: &notify_rust::NotificationResponse| {
                if matches!(response, notify_rust::NotificationResponse::Default) {
                    on_click(route);
                }
            };
            tokio::select! {
                () = handle.wait_for_action_async(clicked) => {}
                _ = stopped => {}
            }
        });
        self.waiting.push_back((id, stop));
        if self.waiting.len() > KEPT_HANDLES {
            self.waiting.pop_front();
        }
        Some(id)
    }

    #[cfg(not(all(unix, not(target_os = "macos"))))]
    fn keep(
        &mut self,
        handle: notify_rust::NotificationHandle,
        _route: Option<String>,
        _on_click: &OnClick,
    ) -> Option<u32> {
        self.handles.push_back(handle);
        if self.handles.len() > KEPT_HANDLES {
            self.handles.pop_front();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(targets: &[&str], down: &[&str], recovered: &[&str]) -> Outgoing {
        Outgoing {
            notice: Notice {
                summary: String::new(),
                body: String::new(),
                urgency: Urgency::Normal,
                targets: ids(targets),
            },
            down: ids(down),
            recovered: ids(recovered),
        }
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_recovery_replaces_its_down_notice() {
        let mut downs = DownNotices::default();
        downs.told(&outgoing(&["ollama"], &["ollama"], &[]), Some(7));
        assert_eq!(downs.replaces(&ids(&["ollama"])), Some(7));
        assert_eq!(downs.replaces(&ids(&["openai"])), None);
        downs.told(&outgoing(&["ollama"], &[], &["ollama"]), Some(7));
        // Told once: the next recovery (after a down that was not announced) replaces nothing.
        assert_eq!(downs.replaces(&ids(&["ollama"])), None);
    }

    #[test]
    fn a_grouped_down_notice_stays_until_its_last_target_recovers() {
        let mut downs = DownNotices::default();
        downs.told(
            &outgoing(&["ollama", "openai"], &["ollama", "openai"], &[]),
            Some(3),
        );
        assert_eq!(downs.replaces(&ids(&["ollama"])), None);
        downs.told(&outgoing(&["ollama"], &[], &["ollama"]), Some(4));
        assert_eq!(downs.replaces(&ids(&["openai"])), Some(3));
        // Both at once replace it too.
        let mut downs = DownNotices::default();
        downs.told(&outgoing(&["a", "b"], &["a", "b"], &[]), Some(3));
        assert_eq!(downs.replaces(&ids(&["b", "a"])), Some(3));
    }

    #[test]
    fn recoveries_of_separate_notices_replace_neither() {
        let mut downs = DownNotices::default();
        downs.told(&outgoing(&["a"], &["a"], &[]), Some(1));
        downs.told(&outgoing(&["b"], &["b"], &[]), Some(2));
        assert_eq!(downs.replaces(&ids(&["a", "b"])), None);
        // A later down notice about the same target (after a pause: "still down") is the one
        // its recovery replaces.
        downs.told(&outgoing(&["a"], &["a"], &[]), Some(5));
        assert_eq!(downs.replaces(&ids(&["a"])), Some(5));
    }

    #[test]
    fn a_notice_not_shown_is_remembered_for_nothing() {
        let mut downs = DownNotices::default();
        downs.told(&outgoing(&["a"], &["a"], &[]), None);
        assert_eq!(downs.replaces(&ids(&["a"])), None);
    }

    #[test]
    fn a_click_opens_the_target_or_the_dashboard() {
        assert_eq!(
            outgoing(&["local-ollama"], &[], &[]).route().as_deref(),
            Some("target/local-ollama")
        );
        assert_eq!(outgoing(&["a", "b"], &[], &[]).route(), None);
        assert_eq!(outgoing(&[], &[], &[]).route(), None);
    }

    #[test]
    fn an_alert_says_which_targets_went_down_and_which_recovered() {
        use alerts::{AlertItem, AlertKind};
        use monitor::{Class, Status};
        let at: chrono::DateTime<chrono::Utc> = "2024-03-05T14:02:00Z".parse().unwrap();
        let item = |target: &str, change: Change| AlertItem {
            target: target.into(),
            name: target.into(),
            change,
            from: Status::Healthy,
            to: Status::Unhealthy,
            class: Class::Connect,
            since: at,
            down_for_ms: None,
            degraded_for_ms: None,
        };
        let alert = Alert {
            kind: AlertKind::Mixed,
            urgency: Urgency::Critical,
            at,
            items: vec![item("a", Change::Down), item("b", Change::Recovered)],
            targets: ids(&["a", "b"]),
            offline: None,
            provider_incident: None,
        };
        let out = Outgoing::of(&alert, at, chrono::FixedOffset::east_opt(0).unwrap());
        assert_eq!(out.down, ids(&["a"]));
        assert_eq!(out.recovered, ids(&["b"]));
        assert_eq!(out.notice.targets, ids(&["a", "b"]));
    }
}
