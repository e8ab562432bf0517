//! Side by side in one run: `llm-health watch` and LiteLLM's proxy with background health checks,
//! each watching the same number of OpenAI-compatible deployments every second with a 1-token
//! chat completion, against fake servers in a separate process (not counted). Each side has its
//! own fake servers, so the fakes count the probes each side actually made. Both are measured
//! the same way over the same window: CPU (utime + stime) and RSS/PSS summed over the process
//! tree, from `/proc`. Prints a markdown table.
//!
//!   scripts/bench-litellm                       (installs LiteLLM in a venv, then runs this)
//!   LITELLM_BIN=/path/to/venv/bin/litellm cargo bench -p llm-health --bench litellm \
//!       [-- --deployments 50 --seconds 60 --warmup 10]
//!
//! Without LiteLLM (`LITELLM_BIN`, or `litellm` on `PATH`) it says so and exits successfully.

#[path = "common/proc.rs"]
mod proc_tree;

use fake_llm::{FakeServer, Flavor};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "bench-key";
const KEY_ENV: &str = "LLM_BENCH_OPENAI_KEY";
const MODEL: &str = "gpt-4o-mini";
/// LiteLLM refuses to start without one.
const MASTER_KEY: &str = "sk-bench-master-key";

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
    let Some(litellm) = find_litellm() else {
        println!(
            "litellm bench skipped: LiteLLM is not installed (set LITELLM_BIN to its `litellm` \
             executable, put it on PATH, or run scripts/bench-litellm)"
        );
        return Ok(());
    };
    let deployments = arg("--deployments", 50) as usize;
    let seconds = arg("--seconds", 60);
    let warmup = arg("--warmup", 10);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(&litellm, deployments, seconds, warmup))
}

fn find_litellm() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LITELLM_BIN") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("litellm"))
        .find(|p| p.is_file())
}

/// Kills what it holds when dropped, so that an error or a panic leaves no process behind. A
/// child marked `true` leads its own process group (LiteLLM), which is killed whole.
struct Guard(Vec<(Child, bool)>);
impl Drop for Guard {
    fn drop(&mut self) {
        for (child, group) in &mut self.0 {
            if *group {
                // `--` matters: procps-ng's kill reads `-KILL -PGID` as another signal option
                // and signals the wrong group.
                let _ = Command::new("kill")
                    .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct Fakes {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Fakes {
    /// Forgets every request received so far.
    fn mark(&mut self) -> anyhow::Result<()> {
        writeln!(self.stdin, "mark")?;
        self.stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        anyhow::ensure!(line.trim() == "ok", "fake servers answered {line:?}");
        Ok(())
    }

    /// (chat completions, other requests) per server since the last mark.
    fn counts(&mut self) -> anyhow::Result<Vec<(u64, u64)>> {
        writeln!(self.stdin, "count")?;
        self.stdin.flush()?;
        let mut out = Vec::new();
        loop {
            let mut line = String::new();
            anyhow::ensure!(self.stdout.read_line(&mut line)? > 0, "fake servers ended");
            if line.trim() == "end" {
                return Ok(out);
            }
            let mut it = line.split_whitespace().map(|v| v.parse::<u64>());
            match (it.next(), it.next()) {
                (Some(Ok(chat)), Some(Ok(other))) => out.push((chat, other)),
                _ => anyhow::bail!("fake servers answered {line:?}"),
            }
        }
    }
}

/// Sums (chat, other) over a range of servers.
fn side_counts(counts: &[(u64, u64)], range: std::ops::Range<usize>) -> (u64, u64) {
    counts[range]
        .iter()
        .fold((0, 0), |(c, o), (c2, o2)| (c + c2, o + o2))
}

async fn run(litellm: &Path, n: usize, seconds: u64, warmup: u64) -> anyhow::Result<()> {
    let dir = tempfile::TempDir::new()?;
    let mut guard = Guard(Vec::new());

    // Fake servers: 0..n for llm-health, n..2n for LiteLLM, one per deployment.
    let mut fakes_child = Command::new(std::env::current_exe()?)
        .args(["--serve-fakes", "--servers", &(2 * n).to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdin = fakes_child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdin"))?;
    let mut stdout = BufReader::new(
        fakes_child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?,
    );
    guard.0.push((fakes_child, false));
    let mut urls = Vec::new();
    loop {
        let mut line = String::new();
        anyhow::ensure!(
            stdout.read_line(&mut line)? > 0,
            "fake servers did not start"
        );
        let line = line.trim();
        if line == "ready" {
            break;
        }
        urls.push(line.to_owned());
    }
    anyhow::ensure!(urls.len() == 2 * n, "fake servers did not start");
    let mut fakes = Fakes { stdin, stdout };

    // llm-health: the headless CLI, as a user runs it (history kept in SQLite).
    let toml = ours_config(&urls[..n]);
    let toml_path = dir.path().join("llm-health.toml");
    std::fs::write(&toml_path, &toml)?;
    let db = dir.path().join("history.db");
    let ours_bin = env!("CARGO_BIN_EXE_llm-health");
    let ours = Command::new(ours_bin)
        .arg("watch")
        .arg("--plain")
        .arg("--config")
        .arg(&toml_path)
        .arg("--db")
        .arg(&db)
        .env(KEY_ENV, KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("llm-health.log"))?)
        .spawn()?;
    let ours_pid = ours.id();
    guard.0.push((ours, false));

    // LiteLLM's proxy with background health checks on its own copies of the deployments.
    let yaml = litellm_config(&urls[n..]);
    let yaml_path = dir.path().join("litellm.yaml");
    std::fs::write(&yaml_path, &yaml)?;
    let port = free_port()?;
    let litellm_log = dir.path().join("litellm.log");
    let theirs = {
        use std::os::unix::process::CommandExt;
        Command::new(litellm)
            .arg("--config")
            .arg(&yaml_path)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // No network at start: use the model cost map shipped in the package.
            .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            .env("NO_DOCKER", "True")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&litellm_log)?)
            .stderr(std::fs::File::create(
                dir.path().join("litellm.stderr.log"),
            )?)
            .process_group(0)
            .spawn()?
    };
    let theirs_pid = theirs.id();
    guard.0.push((theirs, true));

    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/health/liveliness")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if started.elapsed() > Duration::from_secs(180) || !alive(theirs_pid) {
            let log =
                std::fs::read_to_string(dir.path().join("litellm.stderr.log")).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(30)..].join("\n");
            anyhow::bail!("LiteLLM's proxy did not come up; the end of its log:\n{tail}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let litellm_up = started.elapsed();

    // Warm-up: both sides probing every deployment, then `warmup` seconds more.
    fakes.mark()?;
    let waited = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let counts = fakes.counts()?;
        let each_probed = |range: std::ops::Range<usize>| counts[range].iter().all(|c| c.0 > 0);
        if each_probed(0..n) && each_probed(n..2 * n) {
            break;
        }
        anyhow::ensure!(
            waited.elapsed() < Duration::from_secs(120),
            "after 120 s, not every deployment had a canary (llm-health: {:?}, LiteLLM: {:?})",
            side_counts(&counts, 0..n),
            side_counts(&counts, n..2 * n)
        );
        anyhow::ensure!(alive(ours_pid), "llm-health watch exited");
        anyhow::ensure!(alive(theirs_pid), "LiteLLM exited");
    }
    tokio::time::sleep(Duration::from_secs(warmup)).await;

    // The window: same start, same end, same sampling for both.
    fakes.mark()?;
    let t0 = Instant::now();
    let ours0 = proc_tree::sample(ours_pid);
    let theirs0 = proc_tree::sample(theirs_pid);
    let mut ours_peak = ours0;
    let mut theirs_peak = theirs0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    while t0.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        for (pid, peak) in [(ours_pid, &mut ours_peak), (theirs_pid, &mut theirs_peak)] {
            let s = proc_tree::sample(pid);
            peak.rss_kb = peak.rss_kb.max(s.rss_kb);
            peak.pss_kb = peak.pss_kb.max(s.pss_kb);
        }
    }
    let ours1 = proc_tree::sample(ours_pid);
    let theirs1 = proc_tree::sample(theirs_pid);
    let wall = t0.elapsed().as_secs_f64();
    let counts = fakes.counts()?;
    anyhow::ensure!(alive(ours_pid), "llm-health watch exited during the window");
    anyhow::ensure!(alive(theirs_pid), "LiteLLM exited during the window");

    // Were the probes successful? LiteLLM's cached background results; our history's status.
    let litellm_health = litellm_health(&http, &base).await;
    let ours_health = ours_health(ours_bin, &db);

    let ours_row = Row::new(
        "llm-health watch",
        ours0,
        ours1,
        ours_peak,
        side_counts(&counts, 0..n),
        wall,
    );
    let theirs_row = Row::new(
        &format!("LiteLLM proxy {}", litellm_version(litellm)),
        theirs0,
        theirs1,
        theirs_peak,
        side_counts(&counts, n..2 * n),
        wall,
    );
    println!(
        "llm-health against LiteLLM's proxy: {n} OpenAI-compatible deployments each, 1 s interval, \
         1-token chat completion canaries, one fake server per deployment in a separate process; \
         {warmup} s warm-up after every deployment had a canary, then {wall:.0} s measured, both at \
         once. LiteLLM answered after {:.1} s.\n",
        litellm_up.as_secs_f64()
    );
    println!("| side | canaries/s | other requests/s | CPU % of one core | CPU ms per canary | RSS MB (end) | peak RSS MB | PSS MB (end) | peak PSS MB | processes | healthy at the end |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!("{}", ours_row.line(&ours_health));
    println!("{}", theirs_row.line(&litellm_health));
    println!(
        "\nllm-health's share of LiteLLM's: CPU 1/{:.1}, CPU per canary 1/{:.1}, RSS 1/{:.1}, PSS 1/{:.1} \
         (canary rate: llm-health {:.1}/s, LiteLLM {:.1}/s, asked {n}/s each).",
        theirs_row.cpu_pct / ours_row.cpu_pct,
        theirs_row.cpu_ms_per_canary / ours_row.cpu_ms_per_canary,
        theirs_row.rss_mb / ours_row.rss_mb,
        theirs_row.pss_mb / ours_row.pss_mb,
        ours_row.canaries_per_s,
        theirs_row.canaries_per_s,
    );
    if std::env::args().any(|a| a == "--print-configs") {
        println!("\nllm-health config:\n```toml\n{toml}```\nLiteLLM config:\n```yaml\n{yaml}```");
    }
    drop(guard);
    Ok(())
}

struct Row {
    name: String,
    canaries_per_s: f64,
    other_per_s: f64,
    cpu_pct: f64,
    cpu_ms_per_canary: f64,
    rss_mb: f64,
    peak_rss_mb: f64,
    pss_mb: f64,
    peak_pss_mb: f64,
    processes: usize,
}

impl Row {
    fn new(
        name: &str,
        start: proc_tree::TreeSample,
        end: proc_tree::TreeSample,
        peak: proc_tree::TreeSample,
        (chat, other): (u64, u64),
        wall: f64,
    ) -> Row {
        let cpu = end.cpu_seconds - start.cpu_seconds;
        let mb = |kb: u64| kb as f64 / 1024.0;
        Row {
            name: name.to_owned(),
            canaries_per_s: chat as f64 / wall,
            other_per_s: other as f64 / wall,
            cpu_pct: cpu / wall * 100.0,
            cpu_ms_per_canary: if chat > 0 {
                cpu * 1000.0 / chat as f64
            } else {
                f64::NAN
            },
            rss_mb: mb(end.rss_kb),
            peak_rss_mb: mb(peak.rss_kb.max(end.rss_kb)),
            pss_mb: mb(end.pss_kb),
            peak_pss_mb: mb(peak.pss_kb.max(end.pss_kb)),
            processes: end.processes,
        }
    }

    fn line(&self, healthy: &str) -> String {
        format!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} |",
            self.name,
            self.canaries_per_s,
            self.other_per_s,
            self.cpu_pct,
            self.cpu_ms_per_canary,
            self.rss_mb,
            self.peak_rss_mb,
            self.pss_mb,
            self.peak_pss_mb,
            self.processes,
            healthy
        )
    }
}

fn ours_config(urls: &[String]) -> String {
    let mut text = String::from("[defaults]\ninterval = \"1s\"\ntimeout = \"5s\"\n");
    for (i, url) in urls.iter().enumerate() {
        text.push_str(&format!(
            "\n[[targets]]\nid = \"d{i}\"\nkind = \"openai\"\nbase_url = \"{url}\"\n\
             api_key_env = \"{KEY_ENV}\"\nprobe = \"inference\"\nmodel = \"{MODEL}\"\n"
        ));
    }
    text
}

fn litellm_config(urls: &[String]) -> String {
    let mut text = String::from("model_list:\n");
    for (i, url) in urls.iter().enumerate() {
        text.push_str(&format!(
            "  - model_name: d{i}\n    litellm_params:\n      model: openai/{MODEL}\n      \
             api_base: {url}\n      api_key: {KEY}\n    model_info:\n      \
             health_check_max_tokens: 1\n"
        ));
    }
    text.push_str(&format!(
        "general_settings:\n  master_key: {MASTER_KEY}\n  background_health_checks: true\n  \
         health_check_interval: 1\n"
    ));
    text
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn litellm_version(litellm: &Path) -> String {
    // The venv's python sits beside the `litellm` script.
    let python = litellm.with_file_name("python");
    Command::new(python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('litellm'))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "(version unknown)".into())
}

/// `healthy/total` from LiteLLM's `/health`, which serves the background checks' last results.
async fn litellm_health(http: &reqwest::Client, base: &str) -> String {
    let got = async {
        let v: serde_json::Value = http
            .get(format!("{base}/health"))
            .bearer_auth(MASTER_KEY)
            .timeout(Duration::from_secs(30))
            .send()
            .await?
            .json()
            .await?;
        anyhow::Ok(v)
    }
    .await;
    match got {
        Ok(v) => {
            let healthy = v["healthy_count"].as_u64().unwrap_or(0);
            let unhealthy = v["unhealthy_count"].as_u64().unwrap_or(0);
            if unhealthy > 0 {
                eprintln!(
                    "LiteLLM reports unhealthy deployments, first: {}",
                    v["unhealthy_endpoints"][0]
                );
            }
            format!("{healthy}/{}", healthy + unhealthy)
        }
        Err(e) => format!("? ({e})"),
    }
}

/// `healthy/total` from `llm-health status --json` on the running watch's history.
fn ours_health(bin: &str, db: &Path) -> String {
    let out = Command::new(bin)
        .args(["status", "--json", "--db"])
        .arg(db)
        .output();
    let Ok(out) = out else {
        return "?".into();
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        return format!("? ({})", String::from_utf8_lossy(&out.stderr).trim());
    };
    let (mut healthy, mut total) = (0, 0);
    count_status(&v, &mut healthy, &mut total);
    format!("{healthy}/{total}")
}

/// Counts `"status": "..."` fields anywhere in a JSON value.
fn count_status(v: &serde_json::Value, healthy: &mut usize, total: &mut usize) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k == "status" {
                    if let Some(s) = v.as_str() {
                        *total += 1;
                        if s == "healthy" {
                            *healthy += 1;
                        }
                        continue;
                    }
                }
                count_status(v, healthy, total);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                count_status(v, healthy, total);
            }
        }
        _ => {}
    }
}

/// The fake servers' process: prints one base URL per line, then `ready`; then answers `mark`
/// (forget the requests so far: `ok`) and `count` (per server, chat completions and other
/// requests since the mark, then `end`) on stdin, until stdin closes.
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
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        while let Some(line) = rx.recv().await {
            let mut out = std::io::stdout().lock();
            match line.trim() {
                "mark" => {
                    for f in &fakes {
                        f.clear_requests();
                    }
                    writeln!(out, "ok")?;
                }
                "count" => {
                    for f in &fakes {
                        let requests = f.requests();
                        let chat = requests
                            .iter()
                            .filter(|r| r.path.ends_with("/chat/completions"))
                            .count();
                        writeln!(out, "{chat} {}", requests.len() - chat)?;
                    }
                    writeln!(out, "end")?;
                }
                _ => {}
            }
            out.flush()?;
        }
        anyhow::Ok(())
    })
}
