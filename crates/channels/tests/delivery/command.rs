//! The command channel: a real program, its stdin and its environment.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::*;
use channels::DeliveryError;

/// Writes its stdin and environment into the directory it is given, each file complete before
/// it appears.
const SCRIPT: &str = r#"#!/bin/sh
cat > "$1/stdin.tmp"
env > "$1/env.tmp"
mv "$1/env.tmp" "$1/env"
mv "$1/stdin.tmp" "$1/stdin"
"#;

fn script(dir: &Path) -> String {
    let path = dir.join("on-alert.sh");
    std::fs::write(&path, SCRIPT).unwrap();
    path.to_string_lossy().into_owned()
}

/// Waits for a file with a deadline.
async fn file(path: &Path) -> String {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{} never appeared", path.display());
}

#[tokio::test]
async fn a_program_gets_the_notice_on_stdin_and_in_its_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let script = script(dir.path());
    std::env::set_var("LLM_HEALTH_TOKEN", "serve-token-must-not-leak");
    let d = dispatcher(&[command_channel(
        "program",
        &["/bin/sh", &script, out.to_str().unwrap()],
    )]);
    send(
        &d,
        &alert(
            alerts::AlertKind::Down,
            vec![
                item("local-ollama", "Ollama", alerts::Change::Down),
                item("openai", "OpenAI", alerts::Change::Down),
            ],
        ),
    );
    let stdin = file(&out.join("stdin")).await;
    let env = file(&out.join("env")).await;
    let json: serde_json::Value = serde_json::from_str(&stdin).unwrap();
    assert_eq!(json["event"], "down");
    assert_eq!(json["title"], "2 down");
    assert_eq!(json["targets"][0]["id"], "local-ollama");
    assert_eq!(json["targets"][1]["kind"], "openai");
    let lines: Vec<&str> = env.lines().collect();
    assert!(lines.contains(&"LLM_HEALTH_EVENT=down"), "{env}");
    assert!(lines.contains(&"LLM_HEALTH_TITLE=2 down"), "{env}");
    assert!(
        lines.contains(&"LLM_HEALTH_TARGETS=local-ollama,openai"),
        "{env}"
    );
    assert!(!env.contains("LLM_HEALTH_TOKEN"), "{env}");
    assert!(!env.contains("serve-token-must-not-leak"), "{env}");
}

#[tokio::test]
async fn a_failing_program_is_a_failed_delivery() {
    let d = dispatcher(&[
        command_channel("exits", &["/bin/sh", "-c", "exit 3"]),
        command_channel("missing", &["/nonexistent/on-alert"]),
        command_channel("hangs", &["/bin/sh", "-c", "sleep 30"]),
        command_channel("works", &["/bin/sh", "-c", "cat > /dev/null"]),
    ]);
    assert_eq!(
        d.test("exits").await,
        Err(DeliveryError::Exit("exited with status 3".into()))
    );
    let missing = d.test("missing").await.unwrap_err();
    assert!(
        matches!(&missing, DeliveryError::Spawn { program, .. } if program == "/nonexistent/on-alert"),
        "{missing:?}"
    );
    assert!(!missing.is_retryable());
    let started = Instant::now();
    let hung = d.test("hangs").await.unwrap_err();
    assert!(
        matches!(
            hung,
            DeliveryError::CommandTimeout(_) | DeliveryError::Timeout(_)
        ),
        "{hung:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "killed in time"
    );
    assert_eq!(d.test("works").await, Ok(()));
}
