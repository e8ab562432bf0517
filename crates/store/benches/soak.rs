//! Soak: 100 targets on 20 flapping fake servers, through the real engine and the real history
//! (the `Recorder` every front end runs, on a SQLite file), for `SOAK_SECS` seconds (default 60;
//! the full figure is 3600). Prints a table every tenth of the run: resident memory, open file
//! descriptors, checks probed (engine) and checks written (rows in SQLite). At the end every
//! probe should be a row; a difference is printed as MISMATCH.
//!
//!   SOAK_SECS=3600 cargo bench -p store --bench soak
//!
//! The fakes run in this process, so memory and descriptors include theirs (20 listeners and
//! their connections); what matters is that neither grows.

use fake_llm::{FakeServer, Fault, Flavor};
use monitor::config::Config;
use monitor::probe::{KeySource, Prober};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Recorder, Store};

const KEY: &str = "soak-key";
const TARGETS: usize = 100;
const SERVERS: usize = 20;

struct Keys;
impl KeySource for Keys {
    fn key_for(&self, _: &monitor::config::Target) -> Option<String> {
        Some(KEY.into())
    }
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Rows in `checks`, counted by SQLite on a connection of the bench's own: reading every row
/// into memory to count them would itself grow this process's memory with the table.
async fn rows(path: &std::path::Path) -> Result<i64, sqlx::Error> {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM checks")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(n)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(soak(secs))
}

async fn soak(secs: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut fakes = Vec::with_capacity(SERVERS);
    for _ in 0..SERVERS {
        let fake = FakeServer::start(Flavor::Openai).await?;
        fake.set_api_key(Some(KEY));
        // An hour of request records would be the fakes' memory, not the monitor's.
        fake.set_recording(false);
        fakes.push(fake);
    }
    let mut text =
        String::from("[defaults]\ninterval = \"1s\"\ntimeout = \"2s\"\nbackoff_max = \"4s\"\n");
    for i in 0..TARGETS {
        text.push_str(&format!(
            "[[targets]]\nid = \"t{i}\"\nkind = \"openai\"\nbase_url = \"{}\"\n",
            fakes[i % SERVERS].base_url()
        ));
    }
    let config = Config::parse(&text, "soak")?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("history.db");
    let (store, _) = Store::open_for_run(&path).await?;
    let mut recorder = Recorder::new(store.clone());
    let engine = recorder.start(config, Prober::new(Arc::new(Keys))?).await?;

    println!(
        "Soak: {TARGETS} targets every 1 s on {SERVERS} fake OpenAI servers (one in four failing \
         at any time, in turn: 503, hang, drop, 429), real engine + Recorder + SQLite file, {secs} s.\n"
    );
    println!(
        "| t s | RSS MB | open fds | checks probed | checks written | writer pending | dropped |"
    );
    println!("|---|---|---|---|---|---|---|");
    let start = Instant::now();
    let step = Duration::from_secs((secs / 10).max(1));
    let mut next = start;
    let mut flap = tokio::time::interval(Duration::from_secs(5));
    let mut round = 0usize;
    let (rss0, fds0) = (status_kb("VmRSS"), open_fds());
    loop {
        tokio::select! {
            _ = flap.tick() => {
                // A quarter of the servers fail at a time, each with its own fault.
                for (i, fake) in fakes.iter().enumerate() {
                    let turn = (i + round) % 4;
                    if turn == 0 {
                        fake.set_fault(match (i / 4 + round) % 4 {
                            0 => Fault::Status(503),
                            1 => Fault::Hang,
                            2 => Fault::Drop,
                            _ => Fault::RateLimited { retry_after_secs: 1 },
                        });
                    } else {
                        fake.clear_faults();
                    }
                }
                round += 1;
            }
            _ = tokio::time::sleep_until(next.into()) => {
                let probed = engine.stats().probes.load(Ordering::Relaxed);
                let health = store.write_health();
                println!(
                    "| {} | {:.1} | {} | {probed} | {} | {} | {} |",
                    start.elapsed().as_secs(),
                    status_kb("VmRSS") as f64 / 1024.0,
                    open_fds(),
                    rows(&path).await?,
                    health.pending,
                    health.dropped + engine.stats().sink_dropped.load(Ordering::Relaxed),
                );
                if start.elapsed() >= Duration::from_secs(secs) {
                    break;
                }
                next += step;
            }
        }
    }
    let totals = recorder.finish().await?;
    // After the engine stopped: every probe it counted has reported by now.
    let probed = engine.stats().probes.load(Ordering::Relaxed);
    let written = rows(&path).await?;
    println!(
        "\nAt the end: {probed} checks probed, {written} rows in SQLite, {} events written, {} dropped; \
         RSS {:.1} → {:.1} MB (peak {:.1}), open fds {fds0} → {}.",
        totals.events_written,
        totals.events_dropped,
        rss0 as f64 / 1024.0,
        status_kb("VmRSS") as f64 / 1024.0,
        status_kb("VmHWM") as f64 / 1024.0,
        open_fds()
    );
    if written as u64 != probed {
        println!("MISMATCH: {probed} checks probed but {written} written");
    }
    Ok(())
}
