//! Sends the policy's alerts as OS notifications (notify-rust), in the words of
//! `desktop_core::notice`. Sending blocks on D-Bus, so it runs on its own thread; the handles of
//! recent notifications are kept alive because some servers (GNOME) withdraw a notification
//! whose handle is dropped.

use alerts::{Alert, Urgency};
use desktop_core::notice::{render, Notice};
use desktop_core::APP_NAME;
use notify_rust::Notification;
use std::collections::VecDeque;
use std::sync::mpsc;

const KEPT_HANDLES: usize = 16;

/// The core's way to the desktop's notification server.
pub struct DesktopNotices(pub mpsc::Sender<Notice>);

impl controller::Notifier for DesktopNotices {
    fn deliver(&self, alerts: Vec<Alert>) {
        let now = chrono::Utc::now();
        for alert in &alerts {
            if self
                .0
                .send(render(alert, now, controller::local_offset()))
                .is_err()
            {
                tracing::warn!("the notification thread is gone");
            }
        }
    }
}

pub fn spawn() -> mpsc::Sender<Notice> {
    let (tx, rx) = mpsc::channel::<Notice>();
    let spawned = std::thread::Builder::new()
        .name("notifier".into())
        .spawn(move || {
            let mut kept = VecDeque::new();
            for notice in rx {
                match show(&notice) {
                    Ok(handle) => {
                        kept.push_back(handle);
                        if kept.len() > KEPT_HANDLES {
                            kept.pop_front();
                        }
                        tracing::info!("notified: {} — {}", notice.summary, notice.body);
                    }
                    Err(err) => tracing::warn!("notification not shown: {err}"),
                }
            }
        });
    if let Err(err) = spawned {
        tracing::error!("notifications disabled: no thread for them ({err})");
    }
    tx
}

/// Shows one notice; what it returns is the platform's handle (nothing on some platforms).
fn show(notice: &Notice) -> Result<impl Sized, notify_rust::error::Error> {
    let mut notification = Notification::new();
    notification
        .appname(APP_NAME)
        .summary(&notice.summary)
        .body(&notice.body);
    set_urgency(&mut notification, notice.urgency);
    notification.show()
}

/// Urgency exists only in the freedesktop protocol.
#[cfg(all(unix, not(target_os = "macos")))]
fn set_urgency(notification: &mut Notification, urgency: Urgency) {
    notification.urgency(match urgency {
        Urgency::Low => notify_rust::Urgency::Low,
        Urgency::Normal => notify_rust::Urgency::Normal,
        Urgency::Critical => notify_rust::Urgency::Critical,
    });
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn set_urgency(_: &mut Notification, _: Urgency) {}
