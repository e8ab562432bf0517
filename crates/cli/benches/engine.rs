//! Engine cost: N targets probed every second against fake servers running in a child process,
//! so this process's CPU time and memory are the engine's alone (plus the history writer in the
//! second run). Two more rows make the same GETs against the same fakes at the same rate without
//! the engine: once with a bare reqwest client, once over raw keep-alive TCP with no HTTP
//! library at all (the floor: what a loopback request costs this machine's kernel). Prints a
//! markdown table; allocations are counted by a counting global allocator.
//!
//!   cargo bench -p llm-health --bench engine [-- --targets 500 --seconds 30]
//!
//! `--inference` makes the engine's targets 1-token canaries (`gpt-4o-mini`) instead of model
//! lists; the bare rows stay plain GETs.

#[path = "common/proc.rs"]
#[allow(dead_code)] // the engine is measured alone: the tree functions are for the LiteLLM bench
mod proc_tree;

use fake_llm::{FakeServer, Flavor};
use monitor::config::Config;
use monitor::probe::{KeySource, Prober};
use monitor::{Engine, EngineOptions};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Counts allocations (not frees, not bytes): allocations per probe is the number to cut.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
    let inference = std::env::args().any(|a| a == "--inference");
    let level = if inference {
        "inference canary"
    } else {
        "reachable probe"
    };
    println!("Engine cost: {targets} targets (openai kind, {level}) every 1 s, {servers} fake servers in a child process, {seconds} s measured after 5 s warm-up, {threads}-thread Tokio runtime.\n");
    println!("| run | probes/s | CPU % of one core | CPU µs per probe | allocations per probe | RSS MB (end) | peak RSS MB | lateness p50 ms | lateness p99 ms | events dropped |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let rss_before = rss_kb("VmRSS");
    for with_store in [false, true] {
        let row = runtime.block_on(run(&urls, targets, seconds, with_store, inference))?;
        println!("{row}");
    }
    for bare in [Bare::Reqwest, Bare::Tcp] {
        let row = runtime.block_on(run_bare(bare, &urls, targets, seconds))?;
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
    inference: bool,
) -> anyhow::Result<String> {
    let mut text = String::from("[defaults]\ninterval = \"1s\"\ntimeout = \"5s\"\n");
    let level = if inference {
        "probe = \"inference\"\nmodel = \"gpt-4o-mini\"\n"
    } else {
        ""
    };
    for i in 0..targets {
        let url = &urls[i / TARGETS_PER_SERVER];
        text.push_str(&format!(
            "[[targets]]\nid = \"t{i}\"\nkind = \"openai\"\nbase_url = \"{url}\"\n{level}"
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
    let allocs0 = ALLOCS.load(Ordering::Relaxed);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let allocs = ALLOCS.load(Ordering::Relaxed) - allocs0;
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
        "| {} | {:.0} | {:.1} | {:.0} | {:.0} | {:.1} | {:.1} | {} | {} | {} |",
        if with_store {
            "engine + SQLite history"
        } else {
            "engine alone"
        },
        probes as f64 / wall,
        cpu / wall * 100.0,
        cpu * 1e6 / probes.max(1) as f64,
        allocs as f64 / probes.max(1) as f64,
        rss,
        hwm,
        p50,
        p99,
        dropped
    ))
}

/// A client without the engine, for the rows that show what the requests alone cost.
#[derive(Clone, Copy, PartialEq)]
enum Bare {
    /// reqwest with its defaults: one client, keep-alive, `GET {base}/models` with the key,
    /// body read whole; no parsing, no engine.
    Reqwest,
    /// One keep-alive TCP connection per fake server, a request head written by hand and the
    /// reply read up to its `Content-Length`: no HTTP library, no parsing beyond the head.
    Tcp,
}

/// The same GETs the engine makes (`{base}/models` with the key, one at a time per server as
/// the engine serializes a loopback server), at the same rate: each server is asked every
/// `1 s / TARGETS_PER_SERVER`, with the servers' phases spread over that period.
async fn run_bare(
    bare: Bare,
    urls: &[String],
    targets: usize,
    seconds: u64,
) -> anyhow::Result<String> {
    let servers = targets.div_ceil(TARGETS_PER_SERVER);
    let period = Duration::from_secs(1) / TARGETS_PER_SERVER as u32;
    let done = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::new();
    let mut tasks: tokio::task::JoinSet<anyhow::Result<()>> = tokio::task::JoinSet::new();
    for (n, url) in urls.iter().take(servers).enumerate() {
        let url = format!("{url}/models");
        let done = done.clone();
        let client = client.clone();
        let phase = period * n as u32 / servers as u32;
        tasks.spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + phase, period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            match bare {
                Bare::Reqwest => loop {
                    tick.tick().await;
                    let reply = client
                        .get(&url)
                        .header("authorization", concat!("Bearer ", "bench-key"))
                        .header("accept", "application/json")
                        .send()
                        .await?;
                    anyhow::ensure!(reply.status().is_success(), "HTTP {}", reply.status());
                    let _ = reply.bytes().await?;
                    done.fetch_add(1, Ordering::Relaxed);
                },
                Bare::Tcp => {
                    let parsed = reqwest::Url::parse(&url)?;
                    let host = parsed.host_str().unwrap_or("127.0.0.1").to_string();
                    let port = parsed.port().unwrap_or(80);
                    let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
                    stream.set_nodelay(true)?;
                    let head = format!(
                        "GET {} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {KEY}\r\nAccept: application/json\r\n\r\n",
                        parsed.path()
                    );
                    let mut buf = Vec::with_capacity(4096);
                    loop {
                        tick.tick().await;
                        stream.write_all(head.as_bytes()).await?;
                        read_reply(&mut stream, &mut buf).await?;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let n0 = done.load(Ordering::Relaxed);
    let cpu0 = cpu_seconds();
    let allocs0 = ALLOCS.load(Ordering::Relaxed);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let allocs = ALLOCS.load(Ordering::Relaxed) - allocs0;
    let n = done.load(Ordering::Relaxed) - n0;
    // A task that failed says why; the row must not pass off a dead client as a cheap one.
    if let Some(Ok(Err(e))) = tasks.try_join_next() {
        anyhow::bail!("bare client failed: {e}");
    }
    tasks.shutdown().await;
    Ok(format!(
        "| {} | {:.0} | {:.1} | {:.0} | {:.0} | {:.1} | {:.1} | – | – | – |",
        match bare {
            Bare::Reqwest => "bare reqwest GET, no engine",
            Bare::Tcp => "bare loopback GET over keep-alive TCP (the floor)",
        },
        n as f64 / wall,
        cpu / wall * 100.0,
        cpu * 1e6 / n.max(1) as f64,
        allocs as f64 / n.max(1) as f64,
        rss_kb("VmRSS") as f64 / 1024.0,
        rss_kb("VmHWM") as f64 / 1024.0,
    ))
}

/// Reads one HTTP/1.1 reply with a `Content-Length` into `buf` (cleared first).
async fn read_reply(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    let (head_end, length) = loop {
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end])?;
            anyhow::ensure!(head.starts_with("HTTP/1.1 200"), "not a 200: {head}");
            let length = head
                .split("\r\n")
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .ok_or_else(|| anyhow::anyhow!("reply without Content-Length"))?;
            break (end + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

/// User + system CPU time of this process alone (the fakes are a child it has not reaped).
fn cpu_seconds() -> f64 {
    proc_tree::cpu_seconds(std::process::id())
}

/// `VmRSS` or `VmHWM` of this process alone, in kB.
fn rss_kb(field: &str) -> u64 {
    proc_tree::status_kb(std::process::id(), "status", &format!("{field}:"))
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
