//! The dashboard window, as the tray app sees it: a process of its own (`llm-health-window`,
//! beside this program), started when the user opens the window and ended when it closes, so
//! WebKit and its web and network processes exist only while someone looks. The two talk over
//! the window's standard input and output (`controller::window_link`).

use crate::settings::SettingsStore;
use controller::window_link::{self, ToWindow};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The window's program, installed beside this one.
pub const WINDOW_PROGRAM: &str = "llm-health-window";

#[derive(Clone)]
pub struct Windows {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: tokio::runtime::Handle,
    core: OnceLock<controller::Handle>,
    settings: SettingsStore,
    webview_dir: PathBuf,
    open: Mutex<Option<Open>>,
}

/// The window process of the moment.
struct Open {
    to_window: mpsc::UnboundedSender<ToWindow>,
    /// Tells this process apart from the next one when it ends.
    serial: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Windows {
    pub fn new(
        runtime: tokio::runtime::Handle,
        settings: SettingsStore,
        webview_dir: PathBuf,
    ) -> Windows {
        Windows {
            inner: Arc::new(Inner {
                runtime,
                core: OnceLock::new(),
                settings,
                webview_dir,
                open: Mutex::new(None),
            }),
        }
    }

    /// The core the window's commands run on; until it is set, opening waits for nothing and
    /// says the app is starting.
    pub fn serve(&self, core: controller::Handle) {
        let _ = self.inner.core.set(core);
    }

    /// Shows the dashboard on `route` ("settings", "target/<id>", …): to the front when it is
    /// open, a new window process when not.
    pub fn open(&self, route: Option<&str>) {
        let mut open = lock(&self.inner.open);
        if let Some(window) = open.as_ref() {
            let shown = window.to_window.send(ToWindow::Show {
                route: route.map(str::to_string),
            });
            if shown.is_ok() {
                if let Some(core) = self.inner.core.get() {
                    let _entered = self.inner.runtime.enter();
                    window_link::send_state(core, &window.to_window);
                }
                return;
            }
        }
        match self.start(route) {
            Ok(window) => *open = Some(window),
            Err(err) => tracing::error!("the dashboard window could not be opened: {err}"),
        }
    }

    /// Closes the window (its process ends); the app stays in the tray.
    pub fn close(&self) {
        if let Some(window) = lock(&self.inner.open).as_ref() {
            let _ = window.to_window.send(ToWindow::Close);
        }
    }

    fn start(&self, route: Option<&str>) -> anyhow::Result<Open> {
        use anyhow::Context;
        let inner = &self.inner;
        let core = inner
            .core
            .get()
            .cloned()
            .context("the app is still starting: try again in a moment")?;
        let program = std::env::current_exe()
            .context("where is this program?")?
            .with_file_name(WINDOW_PROGRAM);
        let _entered = inner.runtime.enter();
        let mut child = tokio::process::Command::new(&program)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            anyhow::bail!("{} started without its pipes", program.display());
        };
        let (to_window, mut outgoing) = mpsc::unbounded_channel::<ToWindow>();
        let _ = to_window.send(ToWindow::Open {
            route: route.map(str::to_string),
            geometry: inner.settings.window(),
            webview_dir: inner.webview_dir.clone(),
        });
        inner.runtime.spawn(async move {
            while let Some(message) = outgoing.recv().await {
                let closing = matches!(message, ToWindow::Close);
                if stdin.write_all(message.line().as_bytes()).await.is_err() || closing {
                    break;
                }
            }
        });
        static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let link = to_window.clone();
        let windows = self.clone();
        inner.runtime.spawn(async move {
            let settings = windows.inner.settings.clone();
            window_link::serve_window(core, BufReader::new(stdout), link, |geometry| {
                settings.remember_window(geometry)
            })
            .await;
            // Its output ended: the process is going or gone.
            match child.wait().await {
                Ok(status) if !status.success() => {
                    tracing::warn!("the window process ended: {status}")
                }
                Ok(_) => {}
                Err(err) => tracing::warn!("the window process: {err}"),
            }
            windows.inner.settings.save_window();
            let mut open = lock(&windows.inner.open);
            if open.as_ref().is_some_and(|w| w.serial == serial) {
                *open = None;
            }
        });
        Ok(Open { to_window, serial })
    }
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

#[cfg(test)]
mod tests {
    use super::target_route;

    #[test]
    fn a_target_route_survives_any_id() {
        assert_eq!(target_route("local-ollama"), "target/local-ollama");
        assert_eq!(target_route("a b/c%é"), "target/a%20b%2Fc%25%C3%A9");
    }
}
