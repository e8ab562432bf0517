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

/// A `Notify` call as the notification server received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenNotification {
    pub app: String,
    /// The notification it replaces (0: none).
    pub replaces_id: u32,
    pub icon: String,
    pub summary: String,
    pub body: String,
    /// Action keys and labels, alternating.
    pub actions: Vec<String>,
    /// Hints by name: a string's value, or another type as dbus-monitor shows it ("byte 2").
    pub hints: std::collections::BTreeMap<String, String>,
    /// The id the server gave it, once its reply was seen.
    pub id: Option<u32>,
    /// The calling connection and the call's serial, which the reply names.
    caller: (String, u32),
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
        Session::start_with(dir, true)
    }

    /// A desktop with no StatusNotifierItem host, as stock GNOME without the AppIndicator
    /// extension: nothing would show a tray icon.
    pub fn start_without_tray(dir: &Path) -> Session {
        Session::start_with(dir, false)
    }

    fn start_with(dir: &Path, tray_host: bool) -> Session {
        for tool in [
            "Xvfb",
            "dbus-daemon",
            "dbus-monitor",
            "busctl",
            "status-notifier-watcher",
            "gtk-sni-tray-standalone",
            "dunst",
            "dunstctl",
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
            Command::new("Xvfb")
                .args([
                    session.display.as_str(),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                    // The screen as a file (XWD), so a benchmark can watch it without starting a
                    // screenshot program, which would take a core from what it measures.
                    "-fbdir",
                ])
                .arg(session.framebuffer_dir()),
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
        if tray_host {
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
        }
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
                // The server's replies, which carry the notifications' ids.
                "type='method_return',sender='org.freedesktop.Notifications'",
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
                match parser.feed(&line) {
                    Some(Seen::Notify(notification)) => {
                        seen.lock().expect("lock").push(notification)
                    }
                    Some(Seen::Reply { caller, id }) => {
                        let mut seen = seen.lock().expect("lock");
                        if let Some(n) = seen.iter_mut().rev().find(|n| n.caller == caller) {
                            n.id = Some(id);
                        }
                    }
                    None => {}
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

    /// The id the notification server gave this notification (its reply follows the call).
    pub fn notification_id(&self, notification: &SeenNotification, timeout: Duration) -> u32 {
        let start = Instant::now();
        loop {
            let id = self
                .notifications()
                .into_iter()
                .find(|n| n.caller == notification.caller)
                .and_then(|n| n.id);
            if let Some(id) = id {
                return id;
            }
            assert!(
                start.elapsed() < timeout,
                "no reply to {notification:?} within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Asks dunst (`dunstctl`) something: what it shows, or to act on a notice as a click does.
    pub fn dunstctl(&self, args: &[&str]) -> String {
        let output = self
            .command("dunstctl")
            .args(args)
            .output()
            .expect("dunstctl");
        assert!(
            output.status.success(),
            "dunstctl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
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
    fn framebuffer_dir(&self) -> PathBuf {
        let dir = self.dir.join("framebuffer");
        let _ = std::fs::create_dir_all(&dir);
        dir
    }

    /// How many pixels of the whole screen, as Xvfb holds it this moment, `matches` takes (as
    /// RGB), read from its `-fbdir` file (XWD: a big-endian header, a colour map, then the
    /// pixels); None when the file cannot be read.
    // Only the idle bench measures paint this way; the e2e tests read the page over WebDriver.
    #[allow(dead_code)]
    pub fn count_screen_pixels(&self, matches: impl Fn([u8; 3]) -> bool) -> Option<usize> {
        let bytes = std::fs::read(self.framebuffer_dir().join("Xvfb_screen0")).ok()?;
        let field = |i: usize| -> Option<usize> {
            let b = bytes.get(i * 4..i * 4 + 4)?;
            usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok()
        };
        let (header, width, height) = (field(0)?, field(4)?, field(5)?);
        let (lsb_first, bits_per_pixel, bytes_per_line, colours) =
            (field(7)? == 0, field(11)?, field(12)?, field(19)?);
        if bits_per_pixel != 32 {
            return None;
        }
        let pixels = bytes.get(header + colours * 12..)?;
        let mut count = 0;
        for y in 0..height {
            let row = pixels.get(y * bytes_per_line..y * bytes_per_line + width * 4)?;
            // 0x00RRGGBB in the server's byte order.
            count += row
                .chunks_exact(4)
                .filter(|px| {
                    matches(if lsb_first {
                        [px[2], px[1], px[0]]
                    } else {
                        [px[1], px[2], px[3]]
                    })
                })
                .count();
        }
        Some(count)
    }

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

/// Reads dbus-monitor's output. Each `Notify` call comes as its arguments, one per line (app
/// name, replaces id, icon, summary, body, actions, hints, timeout); strings may span lines.
/// The server's reply (`method return` to the caller's serial) carries the notification's id.
#[derive(Default)]
pub struct NotifyParser {
    call: Option<Call>,
    /// The caller and serial a `method return` answers, until its first value.
    reply_to: Option<(String, u32)>,
    open: Option<String>,
}

/// A `Notify` call being read.
#[derive(Default)]
struct Call {
    seen: SeenNotification,
    /// Top-level strings so far: app, icon, summary, body.
    strings: usize,
    /// Top-level arrays so far: actions, then hints.
    arrays: usize,
    hint_key: Option<String>,
}

/// What dbus-monitor showed.
#[derive(Debug)]
pub enum Seen {
    Notify(SeenNotification),
    /// The server answered `caller`'s call with this notification id.
    Reply {
        caller: (String, u32),
        id: u32,
    },
}

/// `key=value` of a dbus-monitor header line.
fn header_field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split([' ', ';'])
        .find_map(|part| part.strip_prefix(key)?.strip_prefix('='))
}

impl NotifyParser {
    pub fn feed(&mut self, line: &str) -> Option<Seen> {
        if let Some(mut partial) = self.open.take() {
            partial.push('\n');
            match line.strip_suffix('"') {
                Some(rest) => {
                    partial.push_str(rest);
                    self.top_string(partial);
                }
                None => {
                    partial.push_str(line);
                    self.open = Some(partial);
                }
            }
            return None;
        }
        if !line.starts_with(' ') {
            // A new message.
            self.call = None;
            self.reply_to = None;
            if line.starts_with("method call") && line.contains("member=Notify") {
                let caller = header_field(line, "sender").unwrap_or_default().to_string();
                let serial = header_field(line, "serial").and_then(|s| s.parse().ok());
                self.call = Some(Call {
                    seen: SeenNotification {
                        caller: (caller, serial.unwrap_or(0)),
                        ..SeenNotification::default()
                    },
                    ..Call::default()
                });
            } else if line.starts_with("method return") {
                let to = header_field(line, "destination").unwrap_or_default();
                let serial = header_field(line, "reply_serial").and_then(|s| s.parse().ok());
                self.reply_to = serial.map(|s| (to.to_string(), s));
            }
            return None;
        }
        if let Some(caller) = self.reply_to.take() {
            let id = line.trim().strip_prefix("uint32 ")?.parse().ok()?;
            return Some(Seen::Reply { caller, id });
        }
        let call = self.call.as_mut()?;
        if let Some(value) = line.strip_prefix("   string \"") {
            match value.strip_suffix('"') {
                Some(whole) => self.top_string(whole.to_string()),
                None => self.open = Some(value.to_string()),
            }
        } else if let Some(id) = line.strip_prefix("   uint32 ") {
            call.seen.replaces_id = id.trim().parse().unwrap_or(0);
        } else if line.starts_with("   array [") {
            call.arrays += 1;
        } else if line.starts_with("   int32 ") {
            // The timeout, the last argument.
            return self.call.take().map(|c| Seen::Notify(c.seen));
        } else if let Some(action) = line.strip_prefix("      string \"") {
            if call.arrays == 1 {
                call.seen
                    .actions
                    .push(action.trim_end_matches('"').to_string());
            }
        } else if let Some(key) = line.strip_prefix("         string \"") {
            call.hint_key = Some(key.trim_end_matches('"').to_string());
        } else if let Some(value) = line.trim_start().strip_prefix("variant") {
            if let Some(key) = call.hint_key.take() {
                let value = value.trim();
                let value = match value.strip_prefix("string \"") {
                    Some(text) => text.trim_end_matches('"').to_string(),
                    None => value.to_string(),
                };
                call.seen.hints.insert(key, value);
            }
        }
        None
    }

    fn top_string(&mut self, value: String) {
        let Some(call) = self.call.as_mut() else {
            return;
        };
        let seen = &mut call.seen;
        match call.strings {
            0 => seen.app = value,
            1 => seen.icon = value,
            2 => seen.summary = value,
            3 => seen.body = value,
            _ => {}
        }
        call.strings += 1;
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

/// A PNG's size and pixels as RGBA (screenshots, icons).
pub fn read_png(path: &Path) -> Option<(u32, u32, Vec<u8>)> {
    let file = std::fs::File::open(path).ok()?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        _ => return None,
    };
    Some((info.width, info.height, rgba))
}
