use std::process::Stdio;

use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::get;

#[tokio::test]
async fn binary_prints_its_address_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-llm"))
        .args([
            "--flavor",
            "openai",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "sk-bench",
            "--latency-ms",
            "1",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn fake-llm");
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await
        .unwrap()
        .unwrap();
    let url = line.strip_prefix("listening on ").expect(&line).to_owned();
    assert!(url.starts_with("http://127.0.0.1:"));
    let r = get(
        &format!("{url}/v1/models"),
        &[("authorization", "Bearer sk-bench")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = get(&format!("{url}/v1/models"), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn binary_rejects_unknown_flavor() {
    let out = Command::new(env!("CARGO_BIN_EXE_fake-llm"))
        .args(["--flavor", "bard"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown flavor"));
}

#[tokio::test]
async fn binary_serves_the_context_flavors() {
    for (name, path) in [
        ("llama.cpp", "/health"),
        ("vllm", "/metrics"),
        ("openrouter", "/api/v1/models"),
        ("deepseek", "/models"),
        ("statuspage", "/api/v2/status.json"),
        ("incident.io", "/api/v2/summary.json"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fake-llm"))
            .args(["--flavor", name, "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn fake-llm");
        let stdout = child.stdout.take().expect("piped stdout");
        let line = BufReader::new(stdout)
            .lines()
            .next_line()
            .await
            .expect("read stdout")
            .expect("a first line");
        let url = line.strip_prefix("listening on ").expect(&line).to_owned();
        let r = get(&format!("{url}{path}"), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{name} {path}");
        child.kill().await.expect("kill fake-llm");
    }
}
