//! Sends the policy's notices as OS notifications (notify-rust). Sending blocks on D-Bus, so it
//! runs on its own thread; the handles of recent notifications are kept alive because some
//! servers (GNOME) withdraw a notification whose handle is dropped.

use desktop_core::notify::{Notice, Urgency};
use std::sync::mpsc;

const APP_NAME: &str = "LLM Health Monitor";
#[cfg(all(unix, not(target_os = "macos")))]
const KEPT_HANDLES: usize = 16;

pub fn spawn() -> mpsc::Sender<Notice> {
    let (tx, rx) = mpsc::channel::<Notice>();
    let spawned = std::thread::Builder::new()
        .name("notifier".into())
        .spawn(move || {
            #[cfg(all(unix, not(target_os = "macos")))]
            let mut kept = std::collections::VecDeque::new();
            for notice in rx {
                let mut notification = notify_rust::Notification::new();
                notification
                    .appname(APP_NAME)
                    .summary(&notice.summary)
                    .body(&notice.body);
                #[cfg(all(unix, not(target_os = "macos")))]
                {
                    notification.urgency(match notice.urgency {
                        Urgency::Low => notify_rust::Urgency::Low,
                        Urgency::Normal => notify_rust::Urgency::Normal,
                        Urgency::Critical => notify_rust::Urgency::Critical,
                    });
                    match notification.show() {
                        Ok(handle) => {
                            kept.push_back(handle);
                            if kept.len() > KEPT_HANDLES {
                                kept.pop_front();
                            }
                        }
                        Err(err) => tracing::warn!("notification not shown: {err}"),
                    }
                }
                #[cfg(not(all(unix, not(target_os = "macos"))))]
                {
                    let _ = matches!(notice.urgency, Urgency::Critical);
                    if let Err(err) = notification.show() {
                        tracing::warn!("notification not shown: {err}");
                    }
                }
                tracing::info!("notified: {} — {}", notice.summary, notice.body);
            }
        });
    if let Err(err) = spawned {
        tracing::error!("notifications disabled: no thread for them ({err})");
    }
    tx
}
