//! The scripted day: a day's worth of trouble compressed into about five minutes at a 1 s
//! interval, played against fake servers while the real `llm-health` binary (`watch`, or `serve`)
//! watches them and sends its notices to a real webhook receiver. Prints what reached the
//! receiver against what really happened: the share of outages notified, detection and recovery
//! delays, false "down" notices, notices per incident.
//!
//!   cargo bench -p llm-health --bench scripted_day [-- --mode watch|serve|both]
//!
//! What happens, each on a target of its own (so every notice has one cause):
//! - `outages`: the server is stopped for 4, 8, 15, 30 and 60 s (connection refused);
//! - `blips`: a single failed check (one 500) every 20 s;
//! - `storm`: a minute of 429s with `Retry-After`;
//! - `slow`: 40 s of answers slower than `slow_ms`;
//! - `flappy`: down 3 s, up 3 s, for 90 s;
//! - three "cloud" targets on this machine's non-loopback address, stopped at once for 40 s: this
//!   machine going offline.
//!
//! A suspend (the wall clock jumping while the monotonic one does not) cannot be staged without
//! changing the system clock; the engine's and the policy's tests play it on a virtual clock.

use fake_llm::{FakeServer, Fault, Flavor, Receiver, Shape};
use std::net::{IpAddr, SocketAddr};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::Command;

const INTERVAL_S: f64 = 1.0;
/// The aim for detection: interval + confirm_interval × (threshold − 1) + 4 s, with the
/// defaults at a 1 s interval (confirm_interval never exceeds the interval).
const DETECTION_AIM_S: f64 = 1.0 + 1.0 + 4.0;

/// What really happened to one target, in seconds from the start.
#[derive(Debug, Clone)]
struct Outage {
    target: &'static str,
    start: f64,
    end: f64,
}

/// A notice as the receiver got it.
#[derive(Debug, Clone)]
struct Got {
    at: f64,
    event: String,
    targets: Vec<String>,
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> anyhow::Result<()> {
    let mode = arg("--mode").unwrap_or_else(|| "both".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let modes: Vec<&str> = match mode.as_str() {
        "both" => vec!["watch", "serve"],
        "watch" => vec!["watch"],
        "serve" => vec!["serve"],
        other => anyhow::bail!("--mode watch|serve|both, not {other:?}"),
    };
    let mut rows = Vec::new();
    for mode in modes {
        rows.push(runtime.block_on(day(mode))?);
    }
    println!("\n| run | outages notified | detection p50 / p95 s | recovery notice p50 / p95 s | false downs | downs / recoveries per outage (max) | offline / online notices | notices about 15 flaps | notices |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    println!("\nAim: 100 % notified, detection p95 ≤ {DETECTION_AIM_S} s, 0 false downs, at most one down and one recovery per outage.");
    Ok(())
}

/// This machine's address that is not loopback, so targets on it count as "cloud".
fn outside_address() -> anyhow::Result<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0")?;
    // No packet is sent: connecting a UDP socket only picks the route's source address.
    socket.connect("192.0.2.1:9")?;
    let ip = socket.local_addr()?.ip();
    anyhow::ensure!(!ip.is_loopback(), "no address besides loopback");
    Ok(ip)
}

struct Fake {
    server: Option<FakeServer>,
    addr: SocketAddr,
    flavor: Flavor,
}

impl Fake {
    async fn start(flavor: Flavor, ip: IpAddr) -> anyhow::Result<Fake> {
        let server = FakeServer::start_on(flavor, SocketAddr::new(ip, 0)).await?;
        Ok(Fake {
            addr: server.addr(),
            server: Some(server),
            flavor,
        })
    }

    fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, self.flavor.base_path())
    }

    fn server(&self) -> &FakeServer {
        self.server.as_ref().expect("running")
    }

    async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    async fn restart(&mut self) -> anyhow::Result<()> {
        // The port was ours a moment ago; retry briefly in case the kernel still holds it.
        for _ in 0..50 {
            match FakeServer::start_on(self.flavor, self.addr).await {
                Ok(server) => {
                    self.server = Some(server);
                    return Ok(());
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        anyhow::bail!("could not listen on {} again", self.addr)
    }
}

async fn day(mode: &str) -> anyhow::Result<String> {
    let loopback: IpAddr = "127.0.0.1".parse()?;
    let outside = outside_address()?;
    let mut outages = Fake::start(Flavor::Ollama, loopback).await?;
    let blips = Fake::start(Flavor::Lmstudio, loopback).await?;
    let storm = Fake::start(Flavor::Openai, loopback).await?;
    // One request per check, so a slow answer is slow and never a timeout.
    let slow = Fake::start(Flavor::Openai, loopback).await?;
    let flappy = Fake::start(Flavor::Ollama, loopback).await?;
    let mut clouds = Vec::new();
    for _ in 0..3 {
        clouds.push(Fake::start(Flavor::Openai, outside).await?);
    }
    let hook = Receiver::start(Shape::Webhook).await?;

    let dir = tempfile::tempdir()?;
    let mut config = format!(
        "[defaults]\ninterval = \"{INTERVAL_S}s\"\ntimeout = \"5s\"\nslow_ms = 1500\n\n\
         # A day in five minutes: the hourly cap would cut it short.\n\
         [notifications]\nmax_per_target_per_hour = 1000\n\n\
         [[alerts]]\nkind = \"webhook\"\nurl = \"{}/hook\"\n\n",
        hook.url()
    );
    let mut target = |id: &str, kind: &str, fake: &Fake| {
        config.push_str(&format!(
            "[[targets]]\nid = \"{id}\"\nkind = \"{kind}\"\nbase_url = \"{}\"\n\n",
            fake.base_url()
        ));
    };
    target("outages", "ollama", &outages);
    target("blips", "lmstudio", &blips);
    target("storm", "openai_compatible", &storm);
    target("slow", "openai_compatible", &slow);
    target("flappy", "ollama", &flappy);
    for (i, cloud) in clouds.iter().enumerate() {
        target(&format!("cloud-{}", i + 1), "openai_compatible", cloud);
    }
    let config_path = dir.path().join("llm-health.toml");
    std::fs::write(&config_path, &config)?;
    let db = dir.path().join("history.db");

    let mut command = Command::new(env!("CARGO_BIN_EXE_llm-health"));
    match mode {
        "watch" => command.args(["watch", "--plain", "--config"]),
        _ => command.args(["serve", "--listen", "127.0.0.1:0", "--config"]),
    };
    let mut child = command
        .arg(&config_path)
        .arg("--db")
        .arg(&db)
        .env("LLM_HEALTH_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?;
    // Everything healthy before the day starts: two good checks each.
    tokio::time::sleep(Duration::from_secs(5)).await;
    hook.clear_requests();
    let t0 = Instant::now();
    let now = || t0.elapsed().as_secs_f64();
    let until = |s: f64| {
        tokio::time::sleep_until(tokio::time::Instant::from_std(t0) + Duration::from_secs_f64(s))
    };
    eprintln!("[{mode}] the day begins");

    let mut truth: Vec<Outage> = Vec::new();
    // The script, as (second, step). Steps on different targets interleave.
    let mut steps: Vec<(f64, Step)> = Vec::new();
    let mut at = 5.0;
    for len in [4.0, 8.0, 15.0, 30.0, 60.0] {
        steps.push((at, Step::Stop("outages")));
        steps.push((at + len, Step::Start("outages")));
        at += len + 30.0;
    }
    for i in 0..10 {
        steps.push((10.0 + 20.0 * f64::from(i), Step::Blip));
    }
    steps.push((
        20.0,
        Step::Fault(
            "storm",
            Fault::RateLimited {
                retry_after_secs: 5,
            },
        ),
    ));
    steps.push((80.0, Step::Clear("storm")));
    steps.push((
        150.0,
        Step::Fault("slow", Fault::Latency(Duration::from_millis(2000))),
    ));
    steps.push((190.0, Step::Clear("slow")));
    for i in 0..15 {
        let s = 200.0 + 6.0 * f64::from(i);
        steps.push((s, Step::Stop("flappy")));
        steps.push((s + 3.0, Step::Start("flappy")));
    }
    steps.push((100.0, Step::StopClouds));
    steps.push((140.0, Step::StartClouds));
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    let end = at + 20.0;

    let mut flappy = flappy;
    let mut open: std::collections::HashMap<&'static str, f64> = Default::default();
    for (second, step) in steps {
        until(second).await;
        match step {
            Step::Stop(id) => {
                match id {
                    "outages" => outages.stop().await,
                    _ => flappy.stop().await,
                }
                open.insert(id, now());
            }
            Step::Start(id) => {
                match id {
                    "outages" => outages.restart().await?,
                    _ => flappy.restart().await?,
                }
                if let Some(start) = open.remove(id) {
                    truth.push(Outage {
                        target: id,
                        start,
                        end: now(),
                    });
                }
            }
            Step::Blip => blips.server().push_faults([Fault::Status(500)]),
            Step::Fault(id, fault) => match id {
                "storm" => storm.server().set_fault(fault),
                _ => slow.server().set_fault(fault),
            },
            Step::Clear(id) => match id {
                "storm" => storm.server().clear_faults(),
                _ => slow.server().clear_faults(),
            },
            Step::StopClouds => {
                for cloud in &mut clouds {
                    cloud.stop().await;
                }
                open.insert("clouds", now());
            }
            Step::StartClouds => {
                for cloud in &mut clouds {
                    cloud.restart().await?;
                }
                if let Some(start) = open.remove("clouds") {
                    truth.push(Outage {
                        target: "clouds",
                        start,
                        end: now(),
                    });
                }
            }
        }
    }
    until(end).await;
    let _ = child.kill().await;

    let got: Vec<Got> = hook
        .requests()
        .iter()
        .filter_map(|r| {
            let json: serde_json::Value = serde_json::from_str(&r.body).ok()?;
            Some(Got {
                at: r.at.duration_since(t0).as_secs_f64(),
                event: json["event"].as_str()?.to_string(),
                targets: json["targets"]
                    .as_array()?
                    .iter()
                    .filter_map(|t| t["id"].as_str().map(str::to_string))
                    .collect(),
            })
        })
        .collect();
    for g in &got {
        eprintln!(
            "[{mode}] {:7.1} s {:<10} {}",
            g.at,
            g.event,
            g.targets.join(",")
        );
    }
    Ok(score(mode, &truth, &got))
}

enum Step {
    Stop(&'static str),
    Start(&'static str),
    Blip,
    Fault(&'static str, Fault),
    Clear(&'static str),
    StopClouds,
    StartClouds,
}

/// Reads the notices against the truth. An outage's down notice is the first `down` about its
/// target after it began and before the next outage of that target began; its recovery notice
/// the first `recovered` after it ended and before the next began.
fn score(mode: &str, truth: &[Outage], got: &[Got]) -> String {
    let about = |g: &Got, target: &str| g.targets.iter().any(|t| t == target);
    let mut detection = Vec::new();
    let mut recovery = Vec::new();
    let mut notified = 0;
    let mut counted = 0;
    let mut most_downs = 0;
    let mut most_recoveries = 0;
    for target in ["outages", "flappy"] {
        let list: Vec<&Outage> = truth.iter().filter(|o| o.target == target).collect();
        for (i, o) in list.iter().enumerate() {
            let next = list.get(i + 1).map_or(f64::INFINITY, |n| n.start);
            let downs: Vec<&Got> = got
                .iter()
                .filter(|g| g.event == "down" && about(g, target) && g.at >= o.start && g.at < next)
                .collect();
            let ups: Vec<&Got> = got
                .iter()
                .filter(|g| {
                    g.event == "recovered" && about(g, target) && g.at >= o.end && g.at < next
                })
                .collect();
            most_downs = most_downs.max(downs.len());
            most_recoveries = most_recoveries.max(ups.len());
            // A 3 s flap is over before its down is told (the grouping window): told or not,
            // it counts toward the delays, not the share.
            if target == "outages" {
                counted += 1;
                notified += usize::from(!downs.is_empty());
            }
            if let Some(d) = downs.first() {
                detection.push(d.at - o.start);
            }
            if let Some(u) = ups.first() {
                recovery.push(u.at - o.end);
            }
        }
    }
    let real_down = |g: &Got| {
        g.targets.iter().all(|t| {
            truth.iter().any(|o| {
                (o.target == t || (o.target == "clouds" && t.starts_with("cloud-")))
                    && g.at >= o.start
                    && g.at <= o.end + 10.0
            })
        })
    };
    let false_downs = got
        .iter()
        .filter(|g| g.event == "down" && !real_down(g))
        .count();
    let cloud_downs = got
        .iter()
        .filter(|g| g.event == "down" && g.targets.iter().any(|t| t.starts_with("cloud-")))
        .count();
    let flaps = got.iter().filter(|g| about(g, "flappy")).count();
    let offline = got.iter().filter(|g| g.event == "offline").count();
    let online = got.iter().filter(|g| g.event == "online").count();
    format!(
        "| `{mode}` | {notified}/{counted} | {} / {} | {} / {} | {} | {most_downs} / {most_recoveries} | {offline} / {online} (cloud downs: {cloud_downs}) | {flaps} | {} |",
        fmt(percentile(&detection, 50.0)),
        fmt(percentile(&detection, 95.0)),
        fmt(percentile(&recovery, 50.0)),
        fmt(percentile(&recovery, 95.0)),
        false_downs,
        got.len()
    )
}

fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn fmt(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1}"))
}
