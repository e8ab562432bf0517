//! Server benchmark: the API over real HTTP (loopback, one keep-alive client) on the store
//! benchmark's week of history (50 targets, a check every 10 s, 7 days: ~3 million checks),
//! ending now. The server runs on its own thread with a single-threaded runtime, as
//! `llm-health serve` does, probing its 50 targets (one fake Ollama) at the default 30 s.
//! Prints a markdown table.
//!
//! `cargo bench -p llm-health-server` (building the database takes a minute or two).
//! The windows are `range=7d` and `range=24h` written as `from`/`to` ending where the data ends,
//! so every run reads the same raw edge hours (37 and 23 minutes) as the store benchmark does.
//! `SERVER_BENCH_DB=<file>` keeps the database and reuses it while its data is under a day old;
//! `SERVER_BENCH_RUNS` sets the runs per request (default 50); `SERVER_BENCH_ONLY=<text>` times
//! only the requests whose path contains it (for profiling one).
//!
//! Then the load figure: 32 clients, each on its own connection, reading state, the 24-hour
//! timeline, incidents and metrics in turn for `SERVER_BENCH_LOAD_SECS` (default 60) seconds;
//! p50/p99 per request and the process's peak RSS (server and clients together: one process).
//! `SERVER_BENCH_LOAD_SECS=0` skips it.

#[path = "../../store/benches/data/mod.rs"]
mod data;

use controller::CommandName as N;
use data::{env_or, pct, DAY_MS};
use fake_llm::{FakeServer, Flavor};
use server::{Server, ServerOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;
use store::Store;

const TARGETS: usize = 50;
const HOUR_MS: i64 = 3_600_000;
const DAYS: i64 = 7;

/// Where the data set ends: 23 min 17 s past the latest hour that allows it, so a 7-day window
/// ending there has partial edge hours of 37 and 23 minutes read from raw checks (as in the store
/// benchmark) whatever the time of the run.
fn data_end(now: i64) -> i64 {
    let end = now.div_euclid(HOUR_MS) * HOUR_MS + 23 * 60_000 + 17_000;
    if end > now {
        end - HOUR_MS
    } else {
        end
    }
}

fn end_file(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_os_string();
    p.push(".end");
    PathBuf::from(p)
}

/// The database at `path` and where its data ends, building it unless it holds the data set
/// ending less than a day ago. Also says how long a build took.
async fn database(path: &Path) -> (i64, Option<f64>) {
    let now = chrono::Utc::now().timestamp_millis();
    let kept = std::fs::read_to_string(end_file(path))
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|end| path.exists() && now - end < DAY_MS);
    if let Some(end) = kept {
        return (end, None);
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    let end = data_end(now);
    let store = Store::open(path).await.expect("open").store;
    store
        .upsert_targets(&data::target_infos(TARGETS))
        .await
        .expect("targets");
    let built = data::build(&store, TARGETS, DAYS, end).await;
    store.close().await;
    std::fs::write(end_file(path), end.to_string()).expect("end file");
    (end, Some(built.build_secs + built.maintain_secs))
}

/// The data set's targets as a config file, all probing one fake Ollama at the default 30 s.
fn config_text(fake: &str) -> String {
    let mut text = String::new();
    for t in data::target_infos(TARGETS) {
        text.push_str(&format!(
            "[[targets]]\nid = \"{}\"\nname = \"{}\"\nkind = \"ollama\"\nbase_url = \"{fake}\"\n\n",
            t.id, t.name
        ));
    }
    text
}

/// A fake Ollama on its own thread until `stop` fires; returns its URL.
fn fake_ollama(stop: tokio::sync::oneshot::Receiver<()>) -> (String, std::thread::JoinHandle<()>) {
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let fake = FakeServer::start(Flavor::Ollama).await.expect("fake");
            fake.set_recording(false);
            url_tx.send(fake.url()).expect("send url");
            let _ = stop.await;
        });
    });
    (url_rx.recv().expect("fake url"), thread)
}

struct Timed {
    p50: f64,
    p99: f64,
    /// CPU time of the whole process (server, SQLite threads, client) per request: unlike wall
    /// time, it barely moves when other work shares the machine.
    cpu: f64,
    bytes: usize,
}

/// CPU time this process has used, in ms (Linux; 0 elsewhere).
fn cpu_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, in clock ticks of 10 ms.
    (ticks(11) + ticks(12)) * 10.0
}

async fn time(client: &reqwest::Client, url: &str, runs: usize) -> Timed {
    let mut times = Vec::with_capacity(runs);
    let mut bytes = 0;
    let mut cpu_start = 0.0;
    for i in 0..runs + 3 {
        if i == 3 {
            cpu_start = cpu_ms();
        }
        let t0 = Instant::now();
        let r = client.get(url).send().await.expect("request");
        assert!(r.status().is_success(), "{url}: {}", r.status());
        bytes = r.bytes().await.expect("body").len();
        // The first runs warm the page cache and the connection.
        if i >= 3 {
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let cpu = (cpu_ms() - cpu_start) / runs as f64;
    times.sort_by(f64::total_cmp);
    Timed {
        p50: pct(&times, 50.0),
        p99: pct(&times, 99.0),
        cpu,
        bytes,
    }
}

fn main() {
    let runs = env_or("SERVER_BENCH_RUNS", 50).max(30) as usize;
    let only = std::env::var("SERVER_BENCH_ONLY").ok();
    let tmp = tempfile::tempdir().expect("temp dir");
    let db: PathBuf = std::env::var_os("SERVER_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("week.db"));
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (end, built) = client_rt.block_on(database(&db));
    if let Some(secs) = built {
        eprintln!("built {} in {secs:.0} s", db.display());
    }
    // The window of `range=7d` and `range=24h`, fixed to the data's end (see `data_end`).
    let window = |days: i64| {
        format!(
            "from={}&to={}",
            data::ts(end - days * DAY_MS).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            data::ts(end).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        )
    };
    let (fake_stop, fake_stopped) = tokio::sync::oneshot::channel();
    let (fake_url, fake_thread) = fake_ollama(fake_stopped);
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, config_text(&fake_url)).expect("config");

    // The server on its own thread and single-threaded runtime, as `llm-health serve` runs it.
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server_thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let server = Server::bind(ServerOptions {
                listen: "127.0.0.1:0".parse().expect("addr"),
                token: "bench".into(),
                allow_hosts: Vec::new(),
                ui_dir: None,
                config_path: config,
                db_path: db,
                limits: server::Limits::default(),
            })
            .await
            .expect("server");
            addr_tx.send(server.local_addr()).expect("send addr");
            server
                .run(async {
                    let _ = stop_rx.await;
                })
                .await
                .expect("run");
        });
    });
    let addr = addr_rx.recv().expect("server address");
    let base = format!("http://{addr}");

    let rows = client_rt.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .expect("client");
        let mut rows = Vec::new();
        // The first scrape reads the history (24 h and 7 d for every target); later ones within
        // 15 s reuse it.
        let t0 = Instant::now();
        let cpu0 = cpu_ms();
        let first = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("metrics");
        let first_bytes = first.bytes().await.expect("body").len();
        let first_ms = t0.elapsed().as_secs_f64() * 1000.0;
        let first_cpu = cpu_ms() - cpu0;
        for (what, path) in [
            (
                format!(
                    "`GET /api/{}`, 7 d ({TARGETS} targets × 120 points)",
                    N::Timeline
                ),
                format!("/api/{}?{}", N::Timeline, window(7)),
            ),
            (
                format!(
                    "`GET /api/{}`, 24 h ({TARGETS} targets × 120 points)",
                    N::Timeline
                ),
                format!("/api/{}?{}", N::Timeline, window(1)),
            ),
            (
                "`GET /api/history?target=…`, 7 d (one target)".to_string(),
                format!(
                    "/api/{}?target={}&{}",
                    N::History,
                    data::target_id(7),
                    window(7)
                ),
            ),
            (
                format!("`GET /api/{}`", N::GetState),
                format!("/api/{}", N::GetState),
            ),
            (
                "`GET /metrics` (history figures cached)".to_string(),
                "/metrics".to_string(),
            ),
        ] {
            if only.as_deref().is_some_and(|o| !path.contains(o)) {
                continue;
            }
            let t = time(&client, &format!("{base}{path}"), runs).await;
            rows.push((what, t));
        }
        rows.push((
            "`GET /metrics`, first scrape (reads 24 h and 7 d of history)".to_string(),
            Timed {
                p50: first_ms,
                p99: first_ms,
                cpu: first_cpu,
                bytes: first_bytes,
            },
        ));
        rows
    });
    let load_secs = env_or("SERVER_BENCH_LOAD_SECS", 60);
    let load = (load_secs > 0).then(|| {
        let paths = [
            format!("/api/{}", N::GetState),
            format!("/api/{}?{}", N::Timeline, window(1)),
            format!("/api/{}?range=7d", N::Incidents),
            "/metrics".to_string(),
        ];
        client_rt.block_on(load(&base, &paths, 32, load_secs as u64))
    });
    let _ = stop_tx.send(());
    server_thread.join().expect("server thread");
    let _ = fake_stop.send(());
    fake_thread.join().expect("fake thread");

    println!("| request | p50 ms | p99 ms | CPU ms per request | response |");
    println!("| --- | --- | --- | --- | --- |");
    for (what, t) in rows {
        println!(
            "| {what} | {:.1} | {:.1} | {:.1} | {:.0} KiB |",
            t.p50,
            t.p99,
            t.cpu,
            t.bytes as f64 / 1024.0
        );
    }
    println!("\n{runs} runs per request after 3 warm-up runs (the first scrape: one run).");
    if let Some(load) = load {
        println!(
            "\nUnder load: {} clients for {} s, {} requests ({:.0}/s), none failed: {}",
            load.clients,
            load.secs,
            load.requests,
            load.requests as f64 / load.secs as f64,
            load.failed == 0
        );
        println!("\n| request | p50 ms | p99 ms |\n| --- | --- | --- |");
        for (path, mut times) in load.times {
            times.sort_by(f64::total_cmp);
            println!(
                "| `GET {}` | {:.1} | {:.1} |",
                path.split('?').next().unwrap_or(&path),
                pct(&times, 50.0),
                pct(&times, 99.0)
            );
        }
        println!(
            "\nPeak RSS of the process (server, its engine, and the 32 clients): {:.0} MB",
            peak_rss_kib() as f64 / 1024.0
        );
    }
}

struct Load {
    clients: usize,
    secs: u64,
    requests: usize,
    failed: usize,
    times: Vec<(String, Vec<f64>)>,
}

/// `clients` concurrent clients, each with one connection of its own, requesting `paths` in
/// turn until `secs` have passed.
async fn load(base: &str, paths: &[String], clients: usize, secs: u64) -> Load {
    let until = Instant::now() + std::time::Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .expect("client");
        let urls: Vec<String> = paths.iter().map(|p| format!("{base}{p}")).collect();
        tasks.push(tokio::spawn(async move {
            let mut times: Vec<Vec<f64>> = vec![Vec::new(); urls.len()];
            let mut failed = 0;
            let mut i = c;
            while Instant::now() < until {
                let which = i % urls.len();
                i += 1;
                let t0 = Instant::now();
                let answered = match client.get(&urls[which]).send().await {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                if answered {
                    times[which].push(t0.elapsed().as_secs_f64() * 1000.0);
                } else {
                    failed += 1;
                }
            }
            (times, failed)
        }));
    }
    let mut merged: Vec<Vec<f64>> = vec![Vec::new(); paths.len()];
    let mut failed = 0;
    for task in tasks {
        let (times, f) = task.await.expect("client task");
        failed += f;
        for (all, mine) in merged.iter_mut().zip(times) {
            all.extend(mine);
        }
    }
    Load {
        clients,
        secs,
        requests: merged.iter().map(Vec::len).sum::<usize>() + failed,
        failed,
        times: paths.iter().cloned().zip(merged).collect(),
    }
}

/// The process's peak resident set (`VmHWM`), in KiB (Linux; 0 elsewhere).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
