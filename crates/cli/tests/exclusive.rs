//! One monitor per history file: the real binary, twice on one database.

mod common;

use common::{llm_health, on_db, text};
use fake_llm::{FakeServer, Flavor};
use serde_json::Value;
use std::time::{Duration, Instant};
use tempfile::TempDir;

const KEY: &str = "sk-proj-ExclusiveTestKey0123456789abcdef";

#[cfg(unix)]
#[tokio::test]
async fn a_second_monitor_on_the_same_history_is_refused_and_readers_go_on() {
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some(KEY));
    let dir = TempDir::new().unwrap();
    let home = dir.path();
    let config = home.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[defaults]\ninterval = \"500ms\"\ntimeout = \"2s\"\n\n[[targets]]\nid = \"openai\"\n\
             kind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"K\"\n",
            openai.base_url()
        ),
    )
    .unwrap();
    let db = home.join("history.db");

    let mut first = llm_health(home)
        .env("K", KEY)
        .args(["watch", "--plain", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(&db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = first.id().unwrap();
    let ran_for = Instant::now();
    // Running once its checks are in the file (the writer flushes every 250 ms).
    let start = Instant::now();
    loop {
        let out = on_db(home, &["status", "--json"], &db).await;
        if out.status.success() {
            let snap: Value = serde_json::from_str(&text(&out).0).unwrap_or(Value::Null);
            if snap[0]["status"] == "healthy" {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "first watch never recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A second `watch` and a `serve` on the same file: refused at once, naming the first.
    for args in [
        vec!["watch", "--plain", "--duration", "20s"],
        vec!["serve", "--listen", "127.0.0.1:0"],
    ] {
        let asked = Instant::now();
        let out = tokio::time::timeout(
            Duration::from_secs(15),
            llm_health(home)
                .env("K", KEY)
                .args(&args)
                .arg("--config")
                .arg(&config)
                .arg("--db")
                .arg(&db)
                .output(),
        )
        .await
        .unwrap_or_else(|_| panic!("`{}` did not give up", args[0]))
        .unwrap();
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("history.db is being written by another monitor")
                && stderr.contains(&format!("pid {pid}"))
                && stderr.contains("`llm-health watch`"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("without a clean shutdown"), "{stderr}");
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "{args:?} took {:?}",
            asked.elapsed()
        );
    }

    // Readers read meanwhile, and the live run was not marked as crashed.
    let out = on_db(home, &["status", "--json"], &db).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let snap: Value = serde_json::from_str(&text(&out).0).unwrap();
    assert_eq!(snap[0]["status"], "healthy", "{snap}");
    let out = on_db(
        home,
        &["history", "--target", "openai", "--range", "1h", "--json"],
        &db,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let h: Value = serde_json::from_str(&text(&out).0).unwrap();
    let statuses: Vec<&str> = h["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["unknown", "healthy"], "{h}");

    // Stop the first cleanly; every check in the file is one of its probes, none twice.
    let stop = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(stop.success());
    let status = tokio::time::timeout(Duration::from_secs(15), first.wait())
        .await
        .expect("watch stops on SIGINT")
        .unwrap();
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut first.stderr.take().unwrap(), &mut stderr)
        .await
        .unwrap();
    assert!(status.success(), "{stderr}");
    let out = on_db(home, &["export", "--format", "json", "--range", "1h"], &db).await;
    let rows: Vec<Value> = serde_json::from_str(&text(&out).0).unwrap();
    // One engine probing every 500 ms since it started; a second one would add as many again.
    let most = ran_for.elapsed().as_millis() as usize / 500 + 3;
    assert!(!rows.is_empty());
    assert!(
        rows.len() <= most,
        "{} checks recorded in {:?}",
        rows.len(),
        ran_for.elapsed()
    );
}
