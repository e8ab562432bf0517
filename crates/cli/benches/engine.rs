//! Engine cost: N targets probed every second against fake servers running in a child process,
//! so this process's CPU time and memory are the engine's alone (plus the history writer in the
//! second run). Prints a markdown table.
//!
//!   cargo bench -p llm-health --bench engine [-- --targets 500 --seconds 30]

use fake_llm::{FakeServer, Flavor};
use monitor::config::Config;
use monitor::probe::{KeySource, Prober};
use monitor::{Engine, EngineOptions};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "bench-key";
/// Targets share servers the way cloud targets share a provider; each fake is one "server".
const TARGETS_PER_SERVER: usize = 5;

struct BenchKeys;
impl KeySource for BenchKeys {
    fn key_for(&self, _: &monitor::config::Target) -> Option<String> {
        Some(KEY.into())
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--serve-fakes") {
        return serve_fakes(arg("--servers", 100) as usize);
    }
    let targets = arg("--targets", 500) as usize;
    let seconds = arg("--seconds", 30);
    let servers = targets.div_ceil(TARGETS_PER_SERVER);
    let (mut child, urls) = spawn_fakes(servers)?;
    let threads = arg("--threads", 1) as usize;
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    println!("Engine cost: {targets} targets (openai kind, reachable probe) every 1 s, {servers} fake servers in a child process, {seconds} s measured after 5 s warm-up, {threads}-thread Tokio runtime.\n");
    println!("| run | probes/s | CPU % of one core | RSS MB (end) | peak RSS MB | lateness p50 ms | lateness p99 ms | events dropped |");
    println!("|---|---|---|---|---|---|---|---|");
    let rss_before = rss_kb("VmRSS");
    for with_store in [false, true] {
        let row = runtime.block_on(run(&urls, targets, seconds, with_store))?;
        println!("{row}");
    }
    println!(
        "\nRSS of the bench process before any engine started: {:.1} MB",
        rss_before as f64 / 1024.0
    );
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}

async fn run(
    urls: &[String],
    targets: usize,
    seconds: u64,
    with_store: bool,
) -> anyhow::Result<String> {
    let mut text = String::from("[defaults]\ninterval = \"1s\"\ntimeout = \"5s\"\n");
    for i in 0..targets {
        let url = &urls[i / TARGETS_PER_SERVER];
        text.push_str(&format!(
            "[[targets]]\nid = \"t{i}\"\nkind = \"openai\"\nbase_url = \"{url}\"\n"
        ));
    }
    let mut config = Config::parse(&text, "bench")?;
    config.engine.max_concurrent_probes = 64;
    let prober = Prober::new(Arc::new(BenchKeys))?;
    let dir = tempfile::TempDir::new()?;
    let (sink, writer) = if with_store {
        let opened = store::Store::open(&dir.path().join("bench.db")).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(16_384);
        let writer = opened.store.spawn_writer(rx);
        (Some(tx), Some(writer))
    } else {
        (None, None)
    };
    let engine = Engine::start(
        config,
        prober,
        EngineOptions {
            sink,
            first_check_within: Duration::from_secs(1),
            ..EngineOptions::default()
        },
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let probes0 = engine
        .stats()
        .probes
        .load(std::sync::atomic::Ordering::Relaxed);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let probes = engine
        .stats()
        .probes
        .load(std::sync::atomic::Ordering::Relaxed)
        - probes0;
    let (p50, p99, _) = engine.stats().lateness_ms().unwrap_or((0, 0, 0));
    let rss = rss_kb("VmRSS") as f64 / 1024.0;
    let hwm = rss_kb("VmHWM") as f64 / 1024.0;
    let dropped = engine
        .stats()
        .sink_dropped
        .load(std::sync::atomic::Ordering::Relaxed);
    engine.shutdown().await;
    drop(engine);
    if let Some(w) = writer {
        w.finish().await?;
    }
    Ok(format!(
        "| {} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
        if with_store {
            "engine + SQLite history"
        } else {
            "engine alone"
        },
        probes as f64 / wall,
        cpu / wall * 100.0,
        rss,
        hwm,
        p50,
        p99,
        dropped
    ))
}

/// User + system CPU time of this process, from /proc (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is parenthesized and may contain spaces.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn spawn_fakes(servers: usize) -> anyhow::Result<(Child, Vec<String>)> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--serve-fakes", "--servers", &servers.to_string()])
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut urls = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if line == "ready" {
            break;
        }
        urls.push(line);
    }
    anyhow::ensure!(urls.len() == servers, "fake servers did not start");
    Ok((child, urls))
}

fn serve_fakes(servers: usize) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut fakes = Vec::new();
        for _ in 0..servers {
            let f = FakeServer::start(Flavor::Openai).await?;
            f.set_api_key(Some(KEY));
            println!("{}", f.base_url());
            fakes.push(f);
        }
        println!("ready");
        // Requests are recorded for tests; here they would only grow memory.
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            for f in &fakes {
                f.clear_requests();
            }
        }
    })
}
