//! The window's half of its link to the tray app (`controller::window_link`): commands go out
//! on one line each and wait for their reply; replies, events and the tray app's requests
//! (show, close) come in on the reader thread.

use controller::window_link::{FromWindow, ToWindow};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tauri::{AppHandle, Runtime};
use tokio::sync::oneshot;

type Answer = Result<Box<RawValue>, String>;

#[derive(Clone)]
pub struct Link {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
    pending: Arc<Mutex<HashMap<u64, oneshot::Sender<Answer>>>>,
    next: Arc<AtomicU64>,
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Link {
    pub fn new(out: Box<dyn Write + Send>) -> Link {
        Link {
            out: Arc::new(Mutex::new(out)),
            pending: Arc::default(),
            next: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The link over this process's standard output. The pipe moves to a descriptor of its own
    /// and standard output is pointed at standard error: a library that prints (GTK, WebKit)
    /// must not write into the protocol.
    #[cfg(unix)]
    pub fn over_stdout() -> std::io::Result<Link> {
        use std::os::fd::FromRawFd;
        // SAFETY: dup and dup2 on the process's own standard descriptors, which exist; the new
        // descriptor is owned by the File from here on and by nothing else.
        let pipe = unsafe {
            let fd = libc::dup(libc::STDOUT_FILENO);
            if fd < 0 || libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            std::fs::File::from_raw_fd(fd)
        };
        Ok(Link::new(Box::new(pipe)))
    }

    #[cfg(not(unix))]
    pub fn over_stdout() -> std::io::Result<Link> {
        Ok(Link::new(Box::new(std::io::stdout())))
    }

    pub fn send(&self, message: &FromWindow) {
        let mut out = lock(&self.out);
        // A failed write means the tray app is gone; the reader sees the end and closes.
        let _ = out
            .write_all(message.line().as_bytes())
            .and_then(|()| out.flush());
    }

    /// Runs one of the page's commands in the tray app.
    pub async fn call(&self, command: &str, args: String) -> Answer {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        self.send(&FromWindow::Call {
            id,
            command: command.to_string(),
            args,
        });
        rx.await
            .map_err(|_| "the app is stopping: its window closes".to_string())?
    }

    /// Reads the tray app's lines on a thread of its own until the link ends, then ends the
    /// window.
    pub fn listen<R: Runtime>(&self, input: impl BufRead + Send + 'static, app: AppHandle<R>) {
        let link = self.clone();
        let spawned = std::thread::Builder::new()
            .name("link".into())
            .spawn(move || {
                for line in input.lines() {
                    let Ok(line) = line else { break };
                    match serde_json::from_str::<ToWindow>(&line) {
                        Ok(message) => link.receive(message, &app),
                        Err(err) => tracing::warn!("not a message from the app ({err})"),
                    }
                }
                // Replies that will never come: their commands fail now, not never.
                lock(&link.pending).clear();
                crate::view::close(&app);
            });
        if let Err(err) = spawned {
            tracing::error!("no thread for the link to the app: {err}");
        }
    }

    fn receive<R: Runtime>(&self, message: ToWindow, app: &AppHandle<R>) {
        match message {
            ToWindow::Reply { id, answer } => {
                if let Some(waiting) = lock(&self.pending).remove(&id) {
                    let _ = waiting.send(answer);
                }
            }
            ToWindow::Event { name, payload } => crate::view::emit(app, &name, payload),
            ToWindow::Show { route } => crate::view::show(app, route.as_deref()),
            ToWindow::Close => crate::view::close(app),
            // Only ever the first line, read before the window was made.
            ToWindow::Open { .. } => {}
        }
    }
}

/// The first line on the input: what to open.
pub fn read_open(input: &mut impl BufRead) -> Option<ToWindow> {
    let mut line = String::new();
    input.read_line(&mut line).ok()?;
    match serde_json::from_str::<ToWindow>(&line).ok()? {
        open @ ToWindow::Open { .. } => Some(open),
        _ => None,
    }
}
