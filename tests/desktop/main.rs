//! The desktop app end to end: the real `llm-health-monitor` binary, started as a person starts
//! it, in a session of its own (Xvfb, a private session bus, a real tray host, dunst), watching fake
//! Ollama and OpenAI servers through a scripted outage and recovery. What a person would see is
//! checked where a person would see it: the tray icon through the tray protocol and on the
//! screen, notifications at the notification server, the window through WebDriver (attached to
//! each window once it is open, through WebKitWebDriver) and X.
//! Screenshots land in `target/desktop-e2e/` for people to look at.
//!
//! Needs the desktop test tools and WebKitWebDriver; `scripts/test` installs them and runs this
//! with `--ignored`.

mod session;
mod tray;
mod webdriver;

use desktop_core::icon::IconState;
use fake_llm::{FakeServer, Flavor};
use session::{read_png, wait_for, Session};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use tray::TrayItem;
use webdriver::WebDriver;

const KEY: &str = "sk-e2e-desktop-0123456789abcdef";
const ROTATED: &str = "sk-rotated-elsewhere-000000000000";
const TITLE: &str = "LLM Health Monitor";
/// The app's desktop file id, its identifier in tauri.conf.json.
const DESKTOP_ENTRY: &str = "dev.llmhealth.monitor";

fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/desktop-e2e");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// The state an icon shows, told by its dominant opaque color.
fn icon_state(rgba: &[u8]) -> Option<IconState> {
    let mut counts = [0usize; 4];
    for px in rgba.chunks_exact(4) {
        if px[3] < 200 {
            continue;
        }
        for (i, state) in IconState::ALL.iter().enumerate() {
            if close(&px[..3], state.color(), 40) {
                counts[i] += 1;
            }
        }
    }
    let (best, count) = counts.iter().enumerate().max_by_key(|(_, c)| **c)?;
    (*count > 0).then_some(IconState::ALL[best])
}

fn close(px: &[u8], color: [u8; 3], tolerance: i32) -> bool {
    px.iter()
        .zip(color)
        .all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= tolerance)
}

struct Watch<'a> {
    session: &'a Session,
    shots: PathBuf,
}

impl Watch<'_> {
    fn tray(&self) -> TrayItem {
        let mut found = None;
        wait_for("the app's tray item", Duration::from_secs(30), || {
            found = TrayItem::find(self.session);
            found.is_some()
        });
        found.expect("tray item")
    }

    /// Waits until the tray item publishes an icon of this state, and the tray host shows it
    /// on screen (the strip at the bottom). Returns the screenshot's path.
    fn icon_becomes(&self, state: IconState, shot: &str, timeout: Duration) -> PathBuf {
        let item = self.tray();
        let start = Instant::now();
        loop {
            let published = item
                .icon_rgba(self.session)
                .and_then(|rgba| icon_state(&rgba));
            if published == Some(state) {
                break;
            }
            assert!(
                start.elapsed() < timeout,
                "tray icon not {state:?} within {timeout:?} (shows {published:?}; menu {:?})",
                item.menu(self.session)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // The host redraws on the item's NewIcon signal: give it a moment, then look.
        let path = self.shots.join(shot);
        let start = Instant::now();
        loop {
            self.session.screenshot(&path);
            let (w, h, rgba) = read_png(&path).expect("screenshot is a PNG");
            let strip_from = (h.saturating_sub(60) * w * 4) as usize;
            let on_screen = rgba[strip_from..]
                .chunks_exact(4)
                .filter(|px| close(&px[..3], state.color(), 40))
                .count();
            if on_screen >= 20 {
                return path;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the tray strip does not show a {state:?} icon (see {})",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

/// Cloud key variables of the machine running the tests: never passed on, so no test can reach
/// a real provider.
const CLOUD_KEY_VARS: &[&str] = &[
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GROQ_API_KEY",
    "MISTRAL_API_KEY",
    "OPENROUTER_API_KEY",
    "DEEPSEEK_API_KEY",
    "TOGETHER_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "LM_API_TOKEN",
    "OLLAMA_HOST",
];

const APP: &str = env!("CARGO_BIN_EXE_llm-health-monitor");

/// Starts the app as a person does, with WebKit's automation allowed in the window it will
/// start, and that window's remote inspector at a port of the test's: a WebDriver session
/// attaches there once a window is open ([`Launched::attach`]), and again for each new one.
fn launch(session: &Session, args: &[String], extra_env: &[(&str, String)]) -> Launched {
    let inspector = free_port();
    let log = std::fs::File::create(session.dir.join("app.log")).expect("log");
    let mut command = session.command(APP);
    for var in CLOUD_KEY_VARS {
        command.env_remove(var);
    }
    let app = command
        .args(args)
        .envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("E2E_OPENAI_KEY", KEY)
        .env("LLM_HEALTH_LOG", "info")
        .env("TAURI_WEBVIEW_AUTOMATION", "true")
        .env("WEBKIT_INSPECTOR_SERVER", format!("127.0.0.1:{inspector}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("the app");
    Launched { app, inspector }
}

struct Launched {
    app: Child,
    inspector: u16,
}

impl Launched {
    /// A WebDriver session on the window open now.
    fn attach(&self, session: &Session, rt: &tokio::runtime::Runtime) -> WebDriver {
        WebDriver::attach(session, rt.handle(), self.inspector, free_port())
    }

    /// How the app's process ended, once it has (within 15 s).
    fn exit_status(&mut self) -> std::process::ExitStatus {
        let mut status = None;
        wait_for("the app's process to end", Duration::from_secs(15), || {
            status = self.app.try_wait().expect("the app's process");
            status.is_some()
        });
        status.expect("ended")
    }
}

/// Every process below the app's (its window, WebKit's processes), as pid and command name
/// (which the kernel cuts at 15 characters).
fn descendants(app: &Child) -> Vec<(u32, String)> {
    let mut family = vec![(app.id(), String::new())];
    let mut i = 0;
    while i < family.len() {
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let parent: Option<u32> = stat[close + 2..]
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse().ok());
            if parent != Some(family[i].0) {
                continue;
            }
            if let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() {
                family.push((pid, stat[open + 1..close].to_string()));
            }
        }
        i += 1;
    }
    family.split_off(1)
}

/// WebKit's web processes the app runs now: one while its window is open, none once closed.
fn web_processes(app: &Child) -> usize {
    descendants(app)
        .iter()
        .filter(|(_, name)| name == "WebKitWebProces")
        .count()
}

/// Quits from the tray menu, as a person would, and waits for the tray item to go.
fn quit(session: &Session, item: &TrayItem, driver: WebDriver, mut launched: Launched) {
    item.click(session, "Quit");
    wait_for("the app to exit", Duration::from_secs(15), || {
        TrayItem::find(session).is_none()
    });
    driver.end();
    let status = launched.exit_status();
    assert!(status.success(), "the app ended with {status}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The tray app, which runs all the time, holds none of a toolkit or WebKit: those are the
/// window's, a process of its own that lives only while the window is open.
#[test]
fn the_tray_app_links_neither_gtk_nor_webkit() {
    let out = std::process::Command::new("ldd")
        .arg(APP)
        .output()
        .expect("ldd (libc-bin)");
    let linked = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{linked}");
    for library in [
        "libwebkit",
        "libgtk",
        "libgdk",
        "libjavascriptcore",
        "libsoup",
    ] {
        assert!(
            !linked.contains(library),
            "{APP} links {library}:\n{linked}"
        );
    }
    let window = Path::new(APP).with_file_name("llm-health-window");
    let out = std::process::Command::new("ldd")
        .arg(&window)
        .output()
        .expect("ldd");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("libwebkit2gtk"),
        "the window process is the one with WebKit"
    );
}

#[test]
#[ignore = "needs Xvfb, a tray host, dunst and WebKitWebDriver: run by scripts/test"]
fn tray_notifications_and_window_follow_an_outage() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let temp = tempfile::tempdir().expect("tempdir");
    let session = Session::start(temp.path());
    let shots = shots_dir();

    let ollama = rt
        .block_on(FakeServer::start(Flavor::Ollama))
        .expect("fake ollama");
    let ollama_addr = ollama.addr();
    let openai = rt
        .block_on(FakeServer::start(Flavor::Openai))
        .expect("fake openai");
    openai.set_api_key(Some(KEY));
    let config = temp.path().join("targets.toml");
    std::fs::write(
        &config,
        format!(
            r#"[defaults]
interval = "1s"
timeout = "800ms"
failure_threshold = 2
success_threshold = 1

[[targets]]
id = "ollama"
name = "Ollama"
kind = "ollama"
base_url = "{}"

[[targets]]
id = "openai"
name = "OpenAI"
kind = "openai"
base_url = "{}"
api_key_env = "E2E_OPENAI_KEY"
"#,
            ollama.base_url(),
            openai.base_url()
        ),
    )
    .expect("config");
    let data_dir = temp.path().join("profile");

    let launched = launch(
        &session,
        &[
            "--config".into(),
            config.display().to_string(),
            "--data-dir".into(),
            data_dir.display().to_string(),
        ],
        &[],
    );
    let watch = Watch {
        session: &session,
        shots: shots.clone(),
    };

    // Both endpoints answer: green, with the targets listed in the menu.
    watch.icon_becomes(IconState::Healthy, "01-all-up.png", Duration::from_secs(30));
    let item = watch.tray();
    let labels: Vec<String> = item.menu(&session).into_iter().map(|(_, l, _)| l).collect();
    assert!(
        labels.iter().any(|l| l.starts_with("Ollama — up")),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l.starts_with("OpenAI — up")),
        "{labels:?}"
    );
    for wanted in ["Check now", "Open dashboard", "Settings…", "Quit"] {
        assert!(
            labels.iter().any(|l| l == wanted),
            "{wanted} missing: {labels:?}"
        );
    }

    // A tray app starts with no window at all, and no web process; it opens from the tray
    // menu, showing the targets.
    assert!(
        !session.window_shown(TITLE),
        "the window should start hidden"
    );
    assert_eq!(web_processes(&launched.app), 0);
    item.click(&session, "Open dashboard");
    wait_for("the dashboard window", Duration::from_secs(10), || {
        session.window_shown(TITLE)
    });
    let driver = launched.attach(&session, &rt);
    let shown = driver.wait_until(
        "both targets listed as up",
        Duration::from_secs(15),
        "const r = [...document.querySelectorAll('tr[data-target]')];\
         return r.length === 2 && r.every(x => x.dataset.status === 'healthy') ? r.map(x => x.innerText) : null",
    );
    let text = shown.to_string();
    assert!(text.contains("Ollama") && text.contains("OpenAI"), "{text}");
    std::thread::sleep(Duration::from_millis(500));
    session.screenshot(&shots.join("02-dashboard.png"));

    // Outage: Ollama stops. One notification with the cause in plain words; red icon. It
    // carries the app's icon and desktop entry, and a default action (a click).
    session.dunstctl(&["close-all"]);
    let before = session.notifications().len();
    rt.block_on(ollama.shutdown());
    let down = session.wait_notification(before, Duration::from_secs(20), |n| {
        n.summary == "Ollama is down"
    });
    assert_eq!(down.app, TITLE);
    assert!(
        down.body.starts_with("Not running or unreachable"),
        "{down:?}"
    );
    assert_eq!(
        down.hints.get("desktop-entry").map(String::as_str),
        Some(DESKTOP_ENTRY),
        "{down:?}"
    );
    assert!(
        down.actions.chunks(2).any(|a| a[0] == "default"),
        "{down:?}"
    );
    let icon = read_png(Path::new(&down.icon)).unwrap_or_else(|| panic!("icon: {down:?}"));
    assert!(icon.0 >= 32, "{down:?}");
    assert_eq!(down.replaces_id, 0, "{down:?}");
    let down_id = session.notification_id(&down, Duration::from_secs(5));
    watch.icon_becomes(
        IconState::Unhealthy,
        "03-ollama-down.png",
        Duration::from_secs(5),
    );
    driver.wait_until(
        "the window shows Ollama down",
        Duration::from_secs(5),
        "return document.querySelector('tr[data-target=ollama]')?.dataset.status === 'unhealthy'",
    );
    // The same UI as in a browser, over IPC: badges, and the timeline drawn from the app's
    // history with the outage in it.
    driver.wait_until(
        "the badge shows Ollama down",
        Duration::from_secs(5),
        "return document.querySelector('#badges [data-target=ollama]')?.dataset.status === 'unhealthy'",
    );
    driver.execute("location.hash = '#/timeline'; return true");
    let drawn = driver.wait_until(
        "the timeline drawn with Ollama's outage",
        Duration::from_secs(10),
        "const c = document.querySelector('#timeline canvas');\
         const t = document.getElementById('timeline')?.textContent ?? '';\
         return c && c.dataset.frameMs && t.includes('Ollama') && /unhealthy|down|unreachable/i.test(t)\
           ? [c.width, c.dataset.frameMs] : null",
    );
    assert!(drawn[0].as_u64().unwrap_or(0) > 100, "{drawn}");
    session.screenshot(&shots.join("03b-timeline.png"));
    // The page may call the app's commands and listen to its events, and nothing else: a core
    // API that `core:default` would have granted (the app's version) is refused.
    driver.execute(
        "window.__acl = null;\
         const invoke = window.__TAURI_INTERNALS__.invoke;\
         Promise.allSettled([invoke('plugin:app|version'), invoke('get_state', {})])\
           .then(r => { window.__acl = r.map(x => x.status); });\
         return true",
    );
    let acl = driver.wait_until(
        "the page's calls answered",
        Duration::from_secs(5),
        "return window.__acl",
    );
    assert_eq!(acl, serde_json::json!(["rejected", "fulfilled"]), "{acl}");
    driver.execute("location.hash = '#/'; return true");
    let labels: Vec<String> = item.menu(&session).into_iter().map(|(_, l, _)| l).collect();
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("Ollama — down") && l.contains("not running or unreachable")),
        "{labels:?}"
    );
    session.screenshot(&shots.join("03-ollama-down-window.png"));

    // Recovery: Ollama is back on the same port. "Recovered", with how long it was down.
    let before = session.notifications().len();
    let ollama = rt
        .block_on(FakeServer::start_on(Flavor::Ollama, ollama_addr))
        .expect("fake ollama again");
    let up = session.wait_notification(before, Duration::from_secs(20), |n| {
        n.summary == "Ollama recovered"
    });
    assert!(up.body.starts_with("Was down for"), "{up:?}");
    // It takes the down notice's place: the same notification, as the server shows it.
    assert_eq!(up.replaces_id, down_id, "{up:?}");
    assert_eq!(
        session.notification_id(&up, Duration::from_secs(5)),
        down_id
    );
    assert_eq!(session.dunstctl(&["count", "displayed"]).trim(), "1");
    assert_eq!(
        up.hints.get("desktop-entry").map(String::as_str),
        Some(DESKTOP_ENTRY)
    );

    // Clicking the notice (its default action, as dunst does it) opens the dashboard at Ollama;
    // before dunst lets the notice expire.
    session.dunstctl(&["action", "0"]);
    driver.wait_until(
        "the window at Ollama's view",
        Duration::from_secs(10),
        "return location.hash === '#/target/ollama' && !!document.querySelector('#view .report-head')",
    );
    assert!(session.window_shown(TITLE));
    std::thread::sleep(Duration::from_millis(500));
    session.screenshot(&shots.join("04b-notice-clicked.png"));
    driver.execute("location.hash = '#/'; return true");
    watch.icon_becomes(
        IconState::Healthy,
        "04-recovered.png",
        Duration::from_secs(5),
    );

    // Snoozed from the tray for an hour: the menu says until when, the core knows it; then
    // the snooze is ended from the tray again.
    item.click_path(&session, &["Snooze endpoint", "Ollama", "For 1 hour"]);
    let mut snoozed_menu = None;
    wait_for(
        "the tray to show the snooze",
        Duration::from_secs(10),
        || {
            snoozed_menu = item
                .menu_tree(&session)
                .into_iter()
                .map(|(_, path, _)| path)
                .find(|p| {
                    p.len() == 3
                        && p[1].starts_with("Ollama — snoozed until ")
                        && p[2] == "End snooze"
                });
            snoozed_menu.is_some()
        },
    );
    let labels: Vec<String> = item.menu(&session).into_iter().map(|(_, l, _)| l).collect();
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("Ollama — up") && l.contains(" · snoozed until ")),
        "{labels:?}"
    );
    let state = driver.execute(
        "window.__state = null;\
         window.__TAURI_INTERNALS__.invoke('get_state', {}).then(s => { window.__state = s; });\
         return true",
    );
    assert_eq!(state, serde_json::json!(true));
    let state = driver.wait_until("the state", Duration::from_secs(5), "return window.__state");
    let until = state["snoozed_until"]["ollama"]
        .as_str()
        .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok())
        .unwrap_or_else(|| panic!("ollama not snoozed: {state}"));
    let left = until - chrono::Utc::now();
    assert!(
        left > chrono::Duration::minutes(58) && left <= chrono::Duration::minutes(60),
        "{state}"
    );
    let path = snoozed_menu.expect("snoozed submenu");
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    item.click_path(&session, &path);
    wait_for("the snooze to end", Duration::from_secs(10), || {
        !item
            .menu(&session)
            .iter()
            .any(|(_, l, _)| l.contains("snoozed"))
    });

    // Two failures at once are one notification, not two.
    let before = session.notifications().len();
    openai.set_api_key(Some(ROTATED));
    ollama.set_fault(fake_llm::Fault::Status(500));
    let grouped = session.wait_notification(before, Duration::from_secs(20), |n| {
        n.summary.contains("2 down")
    });
    assert!(grouped.body.contains("Ollama"), "{grouped:?}");
    assert!(
        grouped.body.contains("OpenAI") && grouped.body.contains("API key rejected"),
        "{grouped:?}"
    );
    std::thread::sleep(Duration::from_secs(4));
    let separate: Vec<_> = session
        .notifications()
        .into_iter()
        .skip(before)
        .filter(|n| n.summary.ends_with("is down"))
        .collect();
    assert!(separate.is_empty(), "also sent one by one: {separate:?}");
    watch.icon_becomes(
        IconState::Unhealthy,
        "05-two-down.png",
        Duration::from_secs(5),
    );

    // The user enters OpenAI's new key in Settings: it goes to the OS keyring (not the
    // profile), and OpenAI recovers with it.
    let before = session.notifications().len();
    driver.execute("document.getElementById('show-settings').click(); return true");
    driver.wait_until(
        "the API key field",
        Duration::from_secs(10),
        "return !!document.querySelector('li[data-target=openai] input[type=password]')",
    );
    driver.execute(&format!(
        "const li = document.querySelector('li[data-target=openai]');\
         li.querySelector('input[type=password]').value = '{ROTATED}';\
         [...li.querySelectorAll('button')].find(b => b.textContent === 'Save key').click();\
         return true"
    ));
    session.wait_notification(before, Duration::from_secs(20), |n| {
        n.summary == "OpenAI recovered"
    });
    let stored = session
        .command("secret-tool")
        .args(["lookup", "username", "openai"])
        .output()
        .expect("secret-tool");
    assert_eq!(
        String::from_utf8_lossy(&stored.stdout).trim(),
        ROTATED,
        "the key should be in the keyring"
    );
    session.screenshot(&shots.join("06-settings-key-saved.png"));

    // A second launch does not start a second monitor: it shows the first one's window.
    driver.execute(&format!(
        "window.__TAURI_INTERNALS__.invoke('{}'); return true",
        controller::CommandName::HideWindow
    ));
    wait_for("the window hidden", Duration::from_secs(10), || {
        !session.window_shown(TITLE)
    });
    // Closed is gone: the web process ends with the window.
    wait_for("the web process to end", Duration::from_secs(10), || {
        web_processes(&launched.app) == 0
    });
    let second = session
        .command(APP)
        .args(["--data-dir", &data_dir.display().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("second launch");
    assert!(
        second.success(),
        "the second instance should hand over and exit"
    );
    wait_for(
        "the first instance's window",
        Duration::from_secs(10),
        || session.window_shown(TITLE),
    );
    // The window made anew (a process of its own) shows the dashboard with its data again.
    driver.end();
    let driver = launched.attach(&session, &rt);
    driver.wait_until(
        "both targets listed in the reopened window",
        Duration::from_secs(15),
        "return document.querySelectorAll('tr[data-target]').length === 2",
    );

    // Quit from the tray ends the app cleanly; the key never reached the profile's files.
    quit(&session, &item, driver, launched);
    let mut checked = 0;
    // Every file of the profile, the logs and the web view's storage included.
    let mut folders = vec![data_dir.clone()];
    let mut files = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("profile") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(
        files.iter().any(|f| f.starts_with(data_dir.join("logs"))),
        "no log in the profile: {files:?}"
    );
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else {
            // A socket or a file gone meanwhile (the web view's caches) holds nothing to read.
            continue;
        };
        for key in [KEY, ROTATED] {
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                "an API key leaked into {}",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 2,
        "settings and history should exist in the profile"
    );
    assert!(data_dir.join("history.db").exists());
    drop(ollama);
    drop(openai);
}

#[test]
#[ignore = "needs Xvfb, a tray host, dunst and WebKitWebDriver: run by scripts/test"]
fn first_run_offers_detected_endpoints_and_adds_only_the_chosen() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let temp = tempfile::tempdir().expect("tempdir");
    let session = Session::start(temp.path());
    let ollama = rt
        .block_on(FakeServer::start(Flavor::Ollama))
        .expect("fake ollama");
    let data_dir = temp.path().join("fresh-profile");
    let launched = launch(
        &session,
        &["--data-dir".into(), data_dir.display().to_string()],
        &[("OLLAMA_HOST", ollama.addr().to_string())],
    );

    // Nothing configured: gray icon, and the window opens by itself with what was found.
    let watch = Watch {
        session: &session,
        shots: shots_dir(),
    };
    watch.icon_becomes(
        IconState::Unknown,
        "10-first-run-gray.png",
        Duration::from_secs(30),
    );
    let item = watch.tray();
    let labels: Vec<String> = item.menu(&session).into_iter().map(|(_, l, _)| l).collect();
    assert!(
        labels.iter().any(|l| l == "No endpoints configured"),
        "{labels:?}"
    );
    wait_for("the onboarding window", Duration::from_secs(20), || {
        session.window_shown(TITLE)
    });
    let driver = launched.attach(&session, &rt);
    let offers = driver.wait_until(
        "the detected endpoints offered",
        Duration::from_secs(15),
        "const s = document.getElementById('onboarding');\
         return s && !s.hidden ? [...s.querySelectorAll('li')].map(li => [li.innerText, li.querySelector('input').checked]) : null",
    );
    let text = offers.to_string();
    assert!(
        text.contains("Ollama") && text.contains("answering at"),
        "{text}"
    );
    session.screenshot(&shots_dir().join("11-first-run-offer.png"));
    // Offered, not added: nothing is watched until the user says so.
    let settings = std::fs::read_to_string(data_dir.join("settings.json")).expect("settings");
    assert!(!settings.contains("answering"), "{settings}");
    assert!(
        !settings.contains(&ollama.addr().to_string()),
        "added silently: {settings}"
    );

    // The user keeps only Ollama and adds it.
    driver.execute(
        "document.querySelectorAll('#offers li').forEach(li => {\
           li.querySelector('input').checked = li.innerText.includes('answering at');\
         });\
         document.getElementById('offers-add').click(); return true",
    );
    watch.icon_becomes(
        IconState::Healthy,
        "12-first-run-added.png",
        Duration::from_secs(30),
    );
    let settings = std::fs::read_to_string(data_dir.join("settings.json")).expect("settings");
    assert!(settings.contains(&ollama.addr().to_string()), "{settings}");
    let saved: serde_json::Value = serde_json::from_str(&settings).expect("settings JSON");
    assert_eq!(saved["settings"]["onboarded"], true, "{settings}");

    quit(&session, &item, driver, launched);
}

#[test]
#[ignore = "needs Xvfb, dunst and WebKitWebDriver: run by scripts/test"]
fn without_a_tray_host_the_window_opens_and_the_old_profile_moves_home() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let temp = tempfile::tempdir().expect("tempdir");
    let session = Session::start_without_tray(temp.path());
    let ollama = rt
        .block_on(FakeServer::start(Flavor::Ollama))
        .expect("fake ollama");
    // What an earlier version left: its profile in the platform's app data folder, and the
    // autostart plugin's entry named after the product.
    let config_home = temp.path().join("config");
    let data_home = temp.path().join("data");
    let old = data_home.join("dev.llmhealth.monitor");
    std::fs::create_dir_all(&old).expect("old profile");
    let settings = serde_json::json!({ "settings": {
        "config": { "targets": [{ "id": "old-ollama", "kind": "ollama",
                                  "base_url": format!("http://{}", ollama.addr()) }] },
        "start_at_login": true,
        "onboarded": true,
    }});
    std::fs::write(old.join("settings.json"), settings.to_string()).expect("old settings");
    let autostart = config_home.join("autostart");
    std::fs::create_dir_all(&autostart).expect("autostart folder");
    std::fs::write(
        autostart.join("LLM Health Monitor.desktop"),
        "[Desktop Entry]\nType=Application\nName=LLM Health Monitor\nExec=/old/build/llm-health-monitor\n",
    )
    .expect("old autostart entry");

    // No --data-dir: the user's own profile.
    let mut launched = launch(&session, &[], &[]);
    wait_for(
        "the window, opened because nothing shows a tray icon",
        Duration::from_secs(40),
        || session.window_shown(TITLE),
    );
    let driver = launched.attach(&session, &rt);
    session.wait_notification(0, Duration::from_secs(15), |n| {
        n.body.contains("No system tray is running")
            && n.body.contains("gnome-shell-extension-appindicator")
    });
    let moved = session.wait_notification(0, Duration::from_secs(15), |n| {
        n.body.contains("Your profile moved")
    });
    assert!(
        moved.body.contains("dev.llmhealth.monitor"),
        "{}",
        moved.body
    );
    driver.wait_until(
        "the moved target on the dashboard, checked",
        Duration::from_secs(30),
        "const row = document.querySelector('tr[data-target=old-ollama]');\
         return row && row.dataset.status === 'healthy' ? row.innerText : null",
    );
    session.screenshot(&shots_dir().join("20-no-tray-window.png"));

    // One home with the command line: settings in ~/.config/llm-health, history and logs in
    // ~/.local/share/llm-health; the old folder is gone.
    let settings_path = config_home.join("llm-health/settings.json");
    let settings = std::fs::read_to_string(&settings_path).expect("settings moved");
    assert!(settings.contains("old-ollama"), "{settings}");
    assert!(!old.exists(), "the old profile folder is left behind");
    let db = data_home.join("llm-health/history.db");
    assert!(db.is_file(), "no history at {}", db.display());
    let logs: Vec<PathBuf> = std::fs::read_dir(data_home.join("llm-health/logs"))
        .expect("log folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    let log = logs
        .iter()
        .find(|p| p.to_string_lossy().contains("llm-health-monitor"))
        .unwrap_or_else(|| panic!("no log file among {logs:?}"));
    let text = std::fs::read_to_string(log).expect("log");
    assert!(text.contains("No system tray is running"), "{text}");
    assert!(!text.contains('\u{1b}'), "escape codes in the log file");

    // Start at login was on: the entry is the app's own, starting the program that runs now
    // (or the installed one), and the plugin's old entry is gone.
    let entry = std::fs::read_to_string(autostart.join("llm-health-monitor.desktop"))
        .expect("the autostart entry");
    let exec = entry
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .expect("an Exec line");
    let installed = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("llm-health-monitor"))
        .find(|p| p.is_file());
    let expected = installed.unwrap_or_else(|| PathBuf::from(APP));
    assert_eq!(exec, expected.display().to_string(), "{entry}");
    assert!(!autostart.join("LLM Health Monitor.desktop").exists());

    // The command line reads what the app recorded, from the same default place, while the app
    // runs.
    let cli = Path::new(APP).with_file_name("llm-health");
    assert!(
        cli.is_file(),
        "{} is built by the workspace's test run",
        cli.display()
    );
    let status = session
        .command(cli.to_str().expect("utf-8 path"))
        .args(["status", "--json"])
        .output()
        .expect("llm-health status");
    let out = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.status.success() && out.contains("old-ollama"),
        "{out}{}",
        String::from_utf8_lossy(&status.stderr)
    );

    // No tray to quit from: SIGTERM, as a session's end sends it.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &launched.app.id().to_string()])
        .status();
    let status = launched.exit_status();
    assert!(status.success(), "SIGTERM: {status}");
    driver.end();
}

#[test]
#[ignore = "needs Xvfb and dunst: run by scripts/test"]
fn an_app_that_cannot_start_says_why_in_a_notice() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let temp = tempfile::tempdir().expect("tempdir");
    let session = Session::start_without_tray(temp.path());
    let data_dir = temp.path().join("profile");
    // Another monitor (`llm-health serve`, say) writes this history.
    let (holder, _) = rt
        .block_on(store::Store::open_for_run(&data_dir.join("history.db")))
        .expect("the other monitor's store");
    let out = session
        .command(APP)
        .args(["--data-dir", &data_dir.display().to_string()])
        .stdin(Stdio::null())
        .output()
        .expect("the app");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("being written by another monitor"),
        "{stderr}"
    );
    let told = session.wait_notification(0, Duration::from_secs(10), |n| {
        n.summary.contains("could not start")
    });
    assert!(
        told.body.contains("being written by another monitor"),
        "{}",
        told.body
    );
    rt.block_on(holder.close());
}
