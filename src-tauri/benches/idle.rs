//! What the tray app costs while nobody looks at it: CPU and memory of the real release binary
//! watching 10 endpoints (fake servers in this process, so their cost is not counted) at the
//! default 30 s interval: started hidden; with the dashboard open; after it was closed; and
//! after 10 more open/close cycles and a long hidden spell. Opening is timed from the tray
//! click to the dashboard's rows painted with data (read off the X server's framebuffer).
//! Runs in the same private desktop session as the end-to-end test.
//!
//! `cargo bench -p llm-health-desktop --bench idle` (prints a table; figures go to BENCHMARKS.md).
//! `IDLE_BENCH_SOAK_SECS` sets the hidden spell after the cycles (default 3600).

// The end-to-end test's session and tray reader, of which the benchmark needs only a part.
#[allow(dead_code)]
#[path = "../../tests/desktop/session.rs"]
mod session;
#[allow(dead_code)]
#[path = "../../tests/desktop/tray.rs"]
mod tray;

use fake_llm::{FakeServer, Flavor};
use session::{wait_for, Session};
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tray::TrayItem;

const KEY: &str = "sk-bench-idle-0123456789";
const HIDDEN_FOR: Duration = Duration::from_secs(120);
const SHOWN_FOR: Duration = Duration::from_secs(60);
const TITLE: &str = "LLM Health Monitor";
/// The light theme's healthy colour (`--ok` in ui/src/style.css): each healthy row shows it.
const OK: [u8; 3] = [0x1a, 0x7f, 0x37];
const CYCLES: usize = 10;

/// CPU ticks, resident and proportional memory of one process.
struct Sample {
    ticks: u64,
    rss_kb: u64,
    pss_kb: u64,
}

fn processes() -> HashMap<u32, (u32, String)> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": the name may hold spaces, so split after the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let ppid = stat[close + 2..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        out.insert(pid, (ppid, comm));
    }
    out
}

/// The app and every process it started (WebKit's web and network processes).
fn family(root: u32) -> Vec<(u32, String)> {
    let all = processes();
    let mut members = vec![root];
    let mut i = 0;
    while i < members.len() {
        let parent = members[i];
        members.extend(
            all.iter()
                .filter(|(_, (ppid, _))| *ppid == parent)
                .map(|(pid, _)| *pid),
        );
        i += 1;
    }
    members
        .into_iter()
        .filter_map(|pid| all.get(&pid).map(|(_, comm)| (pid, comm.clone())))
        .collect()
}

fn sample(pid: u32) -> Option<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after "state".
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let kb = |file: &str, key: &str| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(key))
                    .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
            })
            .unwrap_or(0)
    };
    Some(Sample {
        ticks,
        rss_kb: kb("status", "VmRSS:"),
        pss_kb: kb("smaps_rollup", "Pss:"),
    })
}

fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

struct Row {
    phase: &'static str,
    process: String,
    cpu_pct: f64,
    rss_mb: f64,
    pss_mb: f64,
}

fn measure(phase: &'static str, root: u32, over: Duration) -> Vec<Row> {
    let members = family(root);
    let before: Vec<_> = members.iter().map(|(pid, _)| sample(*pid)).collect();
    std::thread::sleep(over);
    let hz = clock_ticks() as f64;
    let mut rows = Vec::new();
    for ((pid, comm), before) in members.iter().zip(before) {
        let (Some(before), Some(after)) = (before, sample(*pid)) else {
            continue;
        };
        let cpu = (after.ticks - before.ticks) as f64 / hz / over.as_secs_f64() * 100.0;
        rows.push(Row {
            phase,
            process: comm.clone(),
            cpu_pct: cpu,
            rss_mb: after.rss_kb as f64 / 1024.0,
            pss_mb: after.pss_kb as f64 / 1024.0,
        });
    }
    let total = Row {
        phase,
        process: "all together".into(),
        cpu_pct: rows.iter().map(|r| r.cpu_pct).sum(),
        rss_mb: rows.iter().map(|r| r.rss_mb).sum(),
        pss_mb: rows.iter().map(|r| r.pss_mb).sum(),
    };
    rows.push(total);
    // As it comes, so that a run cut short still shows what it measured.
    for r in &rows {
        eprintln!(
            "{phase}: {} {:.3} % {:.1} MB RSS {:.1} MB PSS",
            r.process, r.cpu_pct, r.rss_mb, r.pss_mb
        );
    }
    rows
}

/// Opens the dashboard from the tray, as a person would, and returns how long it took until
/// the screen showed every row with its data (each of the 10 healthy rows in the healthy
/// colour, on top of what was in that colour before: the tray icon). The screen is read from
/// Xvfb's framebuffer file every 20 ms (a scan takes about 3 ms), so the figure is late by at
/// most that, and no screenshot program competes with the window for the machine's cores
/// (`import` took a core for about 120 ms a shot, and a shot came every 270 ms).
fn open(session: &Session, item: &TrayItem) -> Duration {
    let before = ok_pixels(session);
    let start = Instant::now();
    item.click(session, "Open dashboard");
    while ok_pixels(session) < before + 10 * 20 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the rows were not painted within 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    start.elapsed()
}

/// Closes the window with Ctrl+W, as a person would (there is no window manager to ask).
fn close(session: &Session) {
    // Focus first, then a real key press (XTEST) to the focused window: GTK ignores the
    // synthetic events xdotool sends to a window it names.
    let run = |args: &[&str]| {
        session
            .command("xdotool")
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    assert!(
        run(&[
            "search",
            "--onlyvisible",
            "--name",
            TITLE,
            "windowfocus",
            "--sync"
        ]),
        "xdotool could not focus the window"
    );
    assert!(run(&["key", "ctrl+w"]), "xdotool could not press Ctrl+W");
    wait_for("the window closed", Duration::from_secs(10), || {
        !session.window_shown(TITLE)
    });
}

/// Pixels of the healthy colour on the screen.
fn ok_pixels(session: &Session) -> usize {
    session
        .count_screen_pixels(|px| {
            px.iter()
                .zip(OK)
                .all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 24)
        })
        .unwrap_or(0)
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        // `cargo test --benches` asks benches to list or smoke-test themselves: nothing to do.
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let temp = tempfile::tempdir().expect("tempdir");
    let session = Session::start(temp.path());

    let mut servers = Vec::new();
    let mut config = String::new();
    for i in 0..10 {
        let (flavor, kind) = if i % 2 == 0 {
            (Flavor::Ollama, "ollama")
        } else {
            (Flavor::Openai, "openai")
        };
        let server = rt.block_on(FakeServer::start(flavor)).expect("fake server");
        server.set_api_key(Some(KEY));
        config.push_str(&format!(
            "[[targets]]\nid = \"t{i}\"\nkind = \"{kind}\"\nbase_url = \"{}\"\napi_key_env = \"BENCH_KEY\"\n\n",
            server.base_url()
        ));
        servers.push(server);
    }
    let config_path = temp.path().join("ten.toml");
    std::fs::write(&config_path, config).expect("config");

    let mut app = session
        .command(env!("CARGO_BIN_EXE_llm-health-monitor"))
        .arg("--config")
        .arg(&config_path)
        .arg("--data-dir")
        .arg(temp.path().join("profile"))
        .env("BENCH_KEY", KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the app");
    let mut item = None;
    wait_for("the tray item", Duration::from_secs(60), || {
        item = TrayItem::find(&session);
        item.is_some()
    });
    let item = item.expect("tray item");
    // Every target checked once and the start-up work done.
    wait_for("all targets up", Duration::from_secs(60), || {
        item.menu(&session)
            .iter()
            .filter(|(_, label, _)| label.contains("— up"))
            .count()
            == 10
    });
    std::thread::sleep(Duration::from_secs(10));
    let soak = std::env::var("IDLE_BENCH_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(3600), Duration::from_secs);

    let mut rows = measure("started hidden", app.id(), HIDDEN_FOR);
    let mut openings = vec![open(&session, &item)];
    eprintln!("first opening: {:?}", openings[0]);
    rows.extend(measure("dashboard open", app.id(), SHOWN_FOR));
    close(&session);
    std::thread::sleep(Duration::from_secs(10));
    rows.extend(measure("opened, closed", app.id(), HIDDEN_FOR));
    for _ in 0..CYCLES {
        openings.push(open(&session, &item));
        std::thread::sleep(Duration::from_secs(2));
        close(&session);
    }
    std::thread::sleep(soak);
    rows.extend(measure("10 more cycles, soak", app.id(), HIDDEN_FOR));
    item.click(&session, "Quit");
    let _ = app.wait();

    let first = openings[0];
    openings.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "opening, tray click to rows painted with data: first {:.0} ms, median {:.0} ms, max {:.0} ms ({} openings)",
        ms(first),
        ms(openings[openings.len() / 2]),
        ms(openings[openings.len() - 1]),
        openings.len()
    );
    println!("soak after the cycles: {} s hidden", soak.as_secs());
    println!("LLM Health Monitor, 10 targets at the default 30 s interval (release build)");
    println!(
        "hidden phases measured over {} s each, open over {} s",
        HIDDEN_FOR.as_secs(),
        SHOWN_FOR.as_secs()
    );
    println!(
        "| {:<20} | {:<22} | {:>12} | {:>8} | {:>8} |",
        "phase", "process", "CPU (% core)", "RSS MB", "PSS MB"
    );
    println!(
        "|{:-<22}|{:-<24}|{:->14}|{:->10}|{:->10}|",
        "", "", "", "", ""
    );
    for r in rows {
        println!(
            "| {:<20} | {:<22} | {:>12.3} | {:>8.1} | {:>8.1} |",
            r.phase, r.process, r.cpu_pct, r.rss_mb, r.pss_mb
        );
    }
}
