//! Whether anything will show the tray icon. On Linux the icon is a StatusNotifierItem, and a
//! desktop without a host for it (stock GNOME without the AppIndicator extension) shows
//! nothing: the app would run invisibly. Then the window opens instead, with a notice saying
//! why and what to install.

use std::time::{Duration, Instant};

/// What the user is told when no tray host is there.
pub const NO_TRAY: &str = "No system tray is running, so the status icon cannot be shown: the \
    window stays open instead, and monitoring and notifications go on while it is closed \
    (launch the app again to reopen it). On GNOME, install the AppIndicator extension (`sudo apt \
    install gnome-shell-extension-appindicator`, then log out and in).";

/// How long a host may take to appear: at login the app can start before the desktop's panel.
const HOST_GRACE: Duration = Duration::from_secs(8);

/// Waits up to [`HOST_GRACE`] for a tray host; `false` when none came. A session without a
/// bus, or a platform that always has a tray, counts as having one (nothing to tell).
pub fn wait_for_host() -> bool {
    let start = Instant::now();
    loop {
        match host_registered() {
            Some(false) if start.elapsed() < HOST_GRACE => {
                std::thread::sleep(Duration::from_millis(500))
            }
            Some(false) => return false,
            Some(true) | None => return true,
        }
    }
}

/// `Some(false)` when the session bus has no StatusNotifierWatcher or it reports no host;
/// `None` when the bus cannot be asked.
#[cfg(target_os = "linux")]
fn host_registered() -> Option<bool> {
    use dbus::blocking::stdintf::org_freedesktop_dbus::Properties;
    let connection = dbus::blocking::Connection::new_session().ok()?;
    let watcher = connection.with_proxy(
        "org.kde.StatusNotifierWatcher",
        "/StatusNotifierWatcher",
        Duration::from_secs(2),
    );
    match watcher.get::<bool>(
        "org.kde.StatusNotifierWatcher",
        "IsStatusNotifierHostRegistered",
    ) {
        Ok(registered) => Some(registered),
        Err(err)
            if matches!(
                err.name(),
                Some("org.freedesktop.DBus.Error.ServiceUnknown")
                    | Some("org.freedesktop.DBus.Error.NameHasNoOwner")
            ) =>
        {
            Some(false)
        }
        Err(err) => {
            tracing::debug!("cannot tell whether a tray host runs: {err}");
            None
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn host_registered() -> Option<bool> {
    Some(true)
}
