//! A desktop session of our own, as `dbus-run-session` + `xvfb-run` would make it, plus a real
//! tray host and a real notification server: Xvfb, a private session bus, the
//! StatusNotifierWatcher, `gtk-sni-tray-standalone` (a StatusNotifierItem host drawn as a strip
//! at the bottom of the screen), dunst, and `dbus-monitor` recording every `Notify` call.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenNotification {
    pub app: String,
    pub summary: String,
    pub body: String,
}

pub struct Session {
    pub dir: PathBuf,
    pub display: String,
    pub bus: String,
    children: Vec<(String, Child)>,
    notifications: Arc<Mutex<Vec<SeenNotification>>>,
}

impl Session {
    pub fn start(dir: &Path) -> Session {
        for tool in [
            "Xvfb",
            "dbus-daemon",
            "dbus-monitor",
            "busctl",
            "status-notifier-watcher",
            "gtk-sni-tray-standalone",
            "dunst",
            "import",
            "xwininfo",
            "gnome-keyring-daemon",
            "secret-tool",
        ] {
            assert!(
                which(tool),
                "`{tool}` is missing: scripts/test installs the desktop test tools"
            );
        }
        let n = free_display();
        let mut session = Session {
            dir: dir.to_path_buf(),
            display: format!(":{n}"),
            bus: format!("unix:path={}", dir.join("bus").display()),
            children: Vec::new(),
            notifications: Arc::new(Mutex::new(Vec::new())),
        };
        for sub in ["run", "config", "data", "cache"] {
            std::fs::create_dir_all(dir.join(sub)).expect("session dirs");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ =
                std::fs::set_permissions(dir.join("run"), std::fs::Permissions::from_mode(0o700));
        }

        session.spawn(
            "Xvfb",
            Command::new("Xvfb").args([
                session.display.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ]),
        );
        wait_for("Xvfb socket", Duration::from_secs(15), || {
            Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        });
        let bus_arg = format!("--address={}", session.bus);
        session.spawn(
            "dbus-daemon",
            Command::new("dbus-daemon").args(["--session", "--nofork", "--nopidfile", &bus_arg]),
        );
        wait_for("session bus", Duration::from_secs(10), || {
            dir.join("bus").exists()
        });
        session.spawn(
            "status-notifier-watcher",
            &mut Command::new("status-notifier-watcher"),
        );
        wait_for("StatusNotifierWatcher", Duration::from_secs(15), || {
            session.name_has_owner("org.kde.StatusNotifierWatcher")
        });
        session.spawn(
            "gtk-sni-tray-standalone",
            Command::new("gtk-sni-tray-standalone").arg("--bottom"),
        );
        wait_for("tray host", Duration::from_secs(15), || {
            session
                .get_property(
                    "org.kde.StatusNotifierWatcher",
                    "/StatusNotifierWatcher",
                    "org.kde.StatusNotifierWatcher",
                    "IsStatusNotifierHostRegistered",
                )
                .and_then(|v| v["data"].as_bool())
                .unwrap_or(false)
        });
        // A real Secret Service for the API keys, its login keyring created unlocked.
        let keyring = session
            .command("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--daemonize"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                if let Some(mut stdin) = child.stdin.take() {
                    stdin.write_all(b"e2e-keyring-password")?;
                }
                child.wait()
            })
            .expect("gnome-keyring-daemon");
        assert!(keyring.success(), "gnome-keyring-daemon did not start");
        wait_for("Secret Service", Duration::from_secs(15), || {
            session.name_has_owner("org.freedesktop.secrets")
        });
        session.spawn("dunst", &mut Command::new("dunst"));
        wait_for("notification server", Duration::from_secs(15), || {
            session.name_has_owner("org.freedesktop.Notifications")
        });
        session.record_notifications();
        session
    }

    /// The environment every program of this session runs with: nothing of the real user's
    /// desktop, config or keyring is touched.
    pub fn env(&self) -> Vec<(String, String)> {
        let d = |s: &str| self.dir.join(s).display().to_string();
        vec![
            ("DISPLAY".into(), self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus.clone()),
            ("XDG_RUNTIME_DIR".into(), d("run")),
            ("XDG_CONFIG_HOME".into(), d("config")),
            ("XDG_DATA_HOME".into(), d("data")),
            ("XDG_CACHE_HOME".into(), d("cache")),
            ("GDK_BACKEND".into(), "x11".into()),
            ("NO_AT_BRIDGE".into(), "1".into()),
            // Under Xvfb the webview stays blank with compositing on.
            ("WEBKIT_DISABLE_COMPOSITING_MODE".into(), "1".into()),
        ]
    }

    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.envs(self.env());
        c
    }

    fn spawn(&mut self, name: &str, command: &mut Command) {
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).expect("log file");
        let err = log.try_clone().expect("log file");
        let child = command
            .envs(self.env())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        self.children.push((name.to_string(), child));
    }

    fn record_notifications(&mut self) {
        let mut child = self
            .command("dbus-monitor")
            .args([
                "--address",
                &self.bus,
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor");
        let stdout = child.stdout.take().expect("piped");
        let seen = self.notifications.clone();
        std::thread::spawn(move || {
            let mut parser = NotifyParser::default();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(notification) = parser.feed(&line) {
                    seen.lock().expect("lock").push(notification);
                }
            }
        });
        self.children.push(("dbus-monitor".into(), child));
        // dbus-monitor needs a moment to install its match rule.
        std::thread::sleep(Duration::from_millis(300));
    }

    pub fn notifications(&self) -> Vec<SeenNotification> {
        self.notifications.lock().expect("lock").clone()
    }

    /// Waits for a notification whose summary is `summary`, arriving after `after` of them.
    pub fn wait_notification(
        &self,
        after: usize,
        timeout: Duration,
        matches: impl Fn(&SeenNotification) -> bool,
    ) -> SeenNotification {
        let start = Instant::now();
        loop {
            if let Some(n) = self.notifications().into_iter().skip(after).find(&matches) {
                return n;
            }
            assert!(
                start.elapsed() < timeout,
                "no such notification within {timeout:?}; seen: {:#?}",
                self.notifications()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn busctl(&self, args: &[&str]) -> Option<Value> {
        let output = Command::new("busctl")
            .arg(format!("--address={}", self.bus))
            .arg("--json=short")
            // Arguments such as -1 are values, not options.
            .arg("--")
            .args(args)
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        if output.stdout.iter().all(u8::is_ascii_whitespace) {
            // A call with no reply values prints nothing.
            return Some(Value::Null);
        }
        serde_json::from_slice(&output.stdout).ok()
    }

    /// The object paths a bus peer exports.
    pub fn object_paths(&self, service: &str) -> Vec<String> {
        Command::new("busctl")
            .arg(format!("--address={}", self.bus))
            .args(["tree", "--list", service])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .map(|l| l.trim().to_string())
                    .filter(|l| l.starts_with('/'))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn get_property(
        &self,
        service: &str,
        path: &str,
        iface: &str,
        prop: &str,
    ) -> Option<Value> {
        self.busctl(&["get-property", service, path, iface, prop])
    }

    fn name_has_owner(&self, name: &str) -> bool {
        self.busctl(&[
            "call",
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            "s",
            name,
        ])
        .and_then(|v| v["data"][0].as_bool())
        .unwrap_or(false)
    }

    /// A picture of the whole screen: window, tray strip and notifications together.
    pub fn screenshot(&self, path: &Path) {
        let status = self
            .command("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(path)
            .status()
            .expect("import");
        assert!(status.success(), "screenshot failed");
    }

    /// Whether a top-level window with this title is mapped (shown) on the screen.
    pub fn window_shown(&self, title: &str) -> bool {
        let output = Command::new("xwininfo")
            .args(["-display", &self.display, "-name", title])
            .output();
        match output {
            Ok(o) => String::from_utf8_lossy(&o.stdout).contains("Map State: IsViewable"),
            Err(_) => false,
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Daemonized, so not among the children.
        let _ = Command::new("pkill")
            .args(["-f", "gnome-keyring-daemon --unlock --components=secrets"])
            .envs(self.env())
            .status();
        for (_, child) in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads dbus-monitor's output: each `Notify` call comes as its arguments, one per line (app
/// name, replaces id, icon, summary, body, actions, hints, timeout); strings may span lines.
#[derive(Default)]
pub struct NotifyParser {
    in_call: bool,
    strings: Vec<String>,
    open: Option<String>,
}

impl NotifyParser {
    pub fn feed(&mut self, line: &str) -> Option<SeenNotification> {
        if let Some(mut partial) = self.open.take() {
            partial.push('\n');
            match line.strip_suffix('"') {
                Some(rest) => {
                    partial.push_str(rest);
                    self.strings.push(partial);
                }
                None => {
                    partial.push_str(line);
                    self.open = Some(partial);
                    return None;
                }
            }
        } else if line.starts_with("method call") {
            self.in_call = line.contains("member=Notify");
            self.strings.clear();
            return None;
        } else if self.in_call {
            // Only the call's own arguments (three spaces in), not strings inside the hints.
            if let Some(value) = line.strip_prefix("   string \"") {
                match value.strip_suffix('"') {
                    Some(whole) => self.strings.push(whole.to_string()),
                    None => self.open = Some(value.to_string()),
                }
            }
        }
        if self.in_call && self.strings.len() == 4 {
            self.in_call = false;
            let s = std::mem::take(&mut self.strings);
            return Some(SeenNotification {
                app: s[0].clone(),
                summary: s[2].clone(),
                body: s[3].clone(),
            });
        }
        None
    }
}

fn which(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(tool).is_file()))
        .unwrap_or(false)
}

fn free_display() -> u32 {
    (90..200)
        .find(|n| {
            !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        })
        .expect("a free X display number")
}

pub fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < timeout,
            "{what} not ready within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
