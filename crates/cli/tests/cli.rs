//! The real `llm-health` binary against fake servers and a real SQLite file.

mod common;

use common::{llm_health, on_db, text};
use controller::CommandName as N;
use fake_llm::{FakeServer, Fault, Flavor};
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;
use tokio::process::Command;

const OPENAI_KEY: &str = "sk-proj-CliTestKey0123456789abcdefXYZ";
const ANTHROPIC_KEY: &str = "sk-ant-api03-CliTestAnthropicKey987654321";

/// An OpenAI fake that takes `OPENAI_KEY`, and a config watching it as "openai" with its key in `K`.
async fn one_openai_target() -> (FakeServer, TempDir, std::path::PathBuf) {
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some(OPENAI_KEY));
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[targets]]\nid = \"openai\"\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"K\"\n",
            openai.base_url()
        ),
    );
    (openai, dir, config)
}

/// `watch --plain` of `config` into `db`, with the OpenAI key in `K`; `extra` goes before
/// `--config` (e.g. `--duration 1s`).
fn watch(dir: &Path, config: &Path, db: &Path, extra: &[&str]) -> Command {
    let mut cmd = llm_health(dir);
    cmd.args(["watch", "--plain"])
        .args(extra)
        .arg("--config")
        .arg(config)
        .arg("--db")
        .arg(db)
        .env("K", OPENAI_KEY);
    cmd
}

fn write_config(dir: &Path, body: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[defaults]\ninterval = \"500ms\"\ntimeout = \"2s\"\nbackoff_max = \"2s\"\n\n{body}"
        ),
    )
    .unwrap();
    path
}

#[tokio::test]
async fn check_reports_every_target_as_json_with_exit_status() {
    let ollama = FakeServer::start(Flavor::Ollama).await.unwrap();
    ollama.load_model("llama3.2:latest");
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some(OPENAI_KEY));
    let anthropic = FakeServer::start(Flavor::Anthropic).await.unwrap();
    anthropic.set_api_key(Some(ANTHROPIC_KEY));
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            r#"
[[targets]]
id = "ollama"
kind = "ollama"
base_url = "{}"
probe = "inference"
model = "llama3.2"

[[targets]]
id = "openai"
kind = "openai"
base_url = "{}"
api_key_env = "TEST_OPENAI_KEY"

[[targets]]
id = "anthropic"
kind = "anthropic"
base_url = "{}"
api_key_env = "TEST_ANTHROPIC_KEY"
"#,
            ollama.base_url(),
            openai.base_url(),
            anthropic.base_url()
        ),
    );

    // All good: exit 0.
    let out = llm_health(dir.path())
        .args(["check", "--json", "--config"])
        .arg(&config)
        .env("TEST_OPENAI_KEY", OPENAI_KEY)
        .env("TEST_ANTHROPIC_KEY", ANTHROPIC_KEY)
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let list: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(list.len(), 3);
    for obj in &list {
        for key in [
            "target",
            "kind",
            "status",
            "class",
            "http_status",
            "latency_ms",
            "message",
            "models",
            "loaded_models",
        ] {
            assert!(obj.get(key).is_some(), "{key} missing in {obj}");
        }
        assert_eq!(obj["status"], "healthy", "{obj}");
    }
    let o = &list[0];
    assert_eq!(o["target"], "ollama");
    assert_eq!(o["loaded_models"][0]["name"], "llama3.2:latest");
    assert!(o["details"]["ttft_ms"].is_u64(), "{o}");
    assert!(ollama.model_loads().is_empty());

    // The Anthropic key is missing: auth, unhealthy, exit 1.
    let out = llm_health(dir.path())
        .args(["check", "--json", "--config"])
        .arg(&config)
        .env("TEST_OPENAI_KEY", OPENAI_KEY)
        .output()
        .await
        .unwrap();
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    let list: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let a = list.iter().find(|o| o["target"] == "anthropic").unwrap();
    assert_eq!(a["status"], "unhealthy");
    assert_eq!(a["class"], "auth");
    assert!(a["message"]
        .as_str()
        .unwrap()
        .contains("TEST_ANTHROPIC_KEY"));
}

#[tokio::test]
async fn a_single_blip_is_confirmed_before_check_calls_it_unhealthy() {
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some(OPENAI_KEY));
    openai.push_faults([Fault::Status(502)]);
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[targets]]\nid = \"openai\"\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"K\"\n",
            openai.base_url()
        ),
    );
    let out = llm_health(dir.path())
        .args(["check", "--json", "--config"])
        .arg(&config)
        .env("K", OPENAI_KEY)
        .output()
        .await
        .unwrap();
    let (stdout, _) = text(&out);
    let list: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(list[0]["attempts"], 2);
    assert_eq!(list[0]["class"], "ok");
}

#[tokio::test]
async fn a_malformed_config_names_line_and_key_with_exit_2() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[[targets]]\nid = \"a\"\nkind = \"ollama\"\n\n[[targets]]\nid = \"b\"\nkind = \"olama\"\n",
    )
    .unwrap();
    for args in [vec!["check"], vec!["config", "validate"]] {
        let out = llm_health(dir.path())
            .args(&args)
            .arg("--config")
            .arg(&path)
            .output()
            .await
            .unwrap();
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("bad.toml:7"), "{stderr}");
        assert!(stderr.contains("targets[1].kind"), "{stderr}");
    }
    let good = write_config(dir.path(), "[[targets]]\nid = \"a\"\nkind = \"ollama\"\n");
    let out = llm_health(dir.path())
        .args(["config", "validate", "--config"])
        .arg(&good)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).0.contains("ok, 1 targets"));
}

/// Every byte the product writes — stdout, stderr, the database and its WAL — is searched for the
/// key, while the server echoes the key back in its error body.
#[tokio::test]
async fn an_echoed_key_never_leaks_anywhere() {
    let (openai, dir, config) = one_openai_target().await;
    openai.set_api_key(Some("sk-the-right-key-is-another-one-entirely"));
    openai.set_fault(Fault::BadKeyEcho);
    let db = dir.path().join("history.db");
    let db_arg = db.to_string_lossy().into_owned();
    let config_arg = config.to_string_lossy().into_owned();
    let runs: [Vec<&str>; 5] = [
        vec!["check", "--json", "--config", &config_arg],
        vec!["check", "--config", &config_arg],
        vec![
            "watch",
            "--plain",
            "--duration",
            "3s",
            "--config",
            &config_arg,
            "--db",
            &db_arg,
        ],
        vec!["status", "--json", "--db", &db_arg],
        vec!["export", "--format", "json", "--db", &db_arg],
    ];
    let mut outputs = Vec::new();
    for args in runs {
        let out = llm_health(dir.path())
            .args(&args)
            .env("K", OPENAI_KEY)
            .env("LLM_HEALTH_LOG", "trace")
            .output()
            .await
            .unwrap();
        outputs.push(out);
    }
    // The server did receive the key (so the echo really contained it) …
    let echoed = openai
        .requests()
        .iter()
        .any(|r| r.header("authorization") == Some(&format!("Bearer {OPENAI_KEY}")));
    assert!(echoed);
    let (first, _) = text(&outputs[0]);
    assert!(first.contains("\"auth\""), "{first}");
    // … and none of it came out.
    let fragment = &OPENAI_KEY[8..24];
    for out in &outputs {
        let (stdout, stderr) = text(out);
        assert!(!stdout.contains(fragment), "stdout leaked: {stdout}");
        assert!(!stderr.contains(fragment), "stderr leaked: {stderr}");
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let hay = String::from_utf8_lossy(&bytes);
        assert!(
            !hay.contains(fragment),
            "{} contains the key",
            path.display()
        );
    }
}

#[tokio::test]
async fn watch_then_history_status_and_export() {
    let (openai, dir, config) = one_openai_target().await;
    let db = dir.path().join("h.db");
    let watching = watch(dir.path(), &config, &db, &["--duration", "8s"]).output();
    // Paced by what the server has seen, not by the clock: the binary's start-up time varies.
    let wait_for_requests = |n: usize| {
        let openai = &openai;
        async move {
            while openai.requests().len() < n {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    let script = async {
        wait_for_requests(2).await;
        openai.set_fault(Fault::Status(503));
        let seen = openai.requests().len();
        wait_for_requests(seen + 3).await;
        openai.clear_faults();
    };
    let (out, ()) = tokio::join!(watching, script);
    let out = out.unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // The first failure is pending (confirmed at once), not a "degraded" of its own.
    assert!(stdout.contains("healthy → ✖ unhealthy"), "{stdout}");
    assert!(!stdout.contains("degraded"), "{stdout}");
    assert!(stdout.contains("incident over"), "{stdout}");

    let out = on_db(
        dir.path(),
        &["history", "--target", "openai", "--range", "1h", "--json"],
        &db,
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let h: Value = serde_json::from_str(&stdout).unwrap();
    let uptime = h["uptime_pct"].as_f64().unwrap();
    assert!(uptime > 30.0 && uptime < 100.0, "{uptime}");
    assert!(h["p50_ms"].is_u64() && h["p99_ms"].is_u64());
    let incidents = h["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{h}");
    assert_eq!(incidents[0]["cause"], "overloaded");
    assert_eq!(incidents[0]["worst"], "unhealthy");
    let segments = h["segments"].as_array().unwrap();
    let statuses: Vec<&str> = segments
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"unhealthy") && statuses.contains(&"healthy"),
        "{statuses:?}"
    );
    assert_eq!(
        statuses.last(),
        Some(&"unknown"),
        "time after the stop is unknown"
    );
    assert_eq!(
        incidents[0]["duration_ms"].as_i64().map(|d| d > 0),
        Some(true)
    );
    let ts = segments[0]["from"].as_str().unwrap();
    assert!(ts.ends_with('Z'), "RFC 3339 UTC: {ts}");

    let out = on_db(
        dir.path(),
        &["history", "--target", "openai", "--range", "1h"],
        &db,
    )
    .await;
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("uptime") && stdout.contains("p99"),
        "{stdout}"
    );

    let out = on_db(dir.path(), &["status", "--json"], &db).await;
    let snap: Value = serde_json::from_str(&text(&out).0).unwrap();
    assert_eq!(snap[0]["target"], "openai");
    // Nobody watches it any more: its status is unknown, its last check is kept.
    assert_eq!(snap[0]["status"], "unknown");
    assert_eq!(snap[0]["last"]["class"], "ok");

    let out = on_db(
        dir.path(),
        &["export", "--format", "csv", "--range", "1h"],
        &db,
    )
    .await;
    let (csv, _) = text(&out);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("target,at,class,status"));
    assert!(lines.len() > 5, "{csv}");
    assert!(lines.iter().any(|l| l.contains(",overloaded,")), "{csv}");

    let out = on_db(
        dir.path(),
        &["export", "--format", "json", "--range", "1h"],
        &db,
    )
    .await;
    let rows: Vec<Value> = serde_json::from_str(&text(&out).0).unwrap();
    assert_eq!(rows.len() + 1, lines.len());
}

#[tokio::test]
async fn a_damaged_database_is_set_aside_and_reported() {
    let (_openai, dir, config) = one_openai_target().await;
    let db = dir.path().join("history.db");
    std::fs::write(&db, b"this is not a database, it is a grocery list").unwrap();
    let out = watch(dir.path(), &config, &db, &["--duration", "1s"])
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("damaged") && stderr.contains("set aside"),
        "{stderr}"
    );
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("damaged"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read(aside[0].path()).unwrap(),
        b"this is not a database, it is a grocery list"
    );
}

#[tokio::test]
async fn detect_finds_a_local_server_and_cloud_keys_and_writes_a_config() {
    let ollama = FakeServer::start(Flavor::Ollama).await.unwrap();
    let dir = TempDir::new().unwrap();
    let written = dir.path().join("detected.toml");
    let out = llm_health(dir.path())
        .args(["detect", "--json", "--write"])
        .arg(&written)
        .env("OLLAMA_HOST", ollama.addr().to_string())
        .env("GROQ_API_KEY", "gsk_not_a_real_key")
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let list: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let found: Vec<&str> = list
        .iter()
        .filter(|d| d["found"] == true)
        .map(|d| d["target"].as_str().unwrap())
        .collect();
    assert_eq!(found, vec!["local-ollama", "groq"]);
    let toml = std::fs::read_to_string(&written).unwrap();
    assert!(!toml.contains("gsk_not_a_real_key"));
    // What detect writes, validate accepts.
    let out = llm_health(dir.path())
        .args(["config", "validate", "--config"])
        .arg(&written)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    // And it refuses to overwrite.
    let out = llm_health(dir.path())
        .args(["detect", "--write"])
        .arg(&written)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn demo_runs_its_scripted_outage() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("demo.db");
    let out = on_db(dir.path(), &["demo", "--plain", "--duration", "14s"], &db).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("openai") && stdout.contains("✖ unhealthy"),
        "{stdout}"
    );
    assert!(stdout.contains("incident over"), "{stdout}");
}

/// `watch` killed outright (no clean stop): the next run says so, and the history shows the time
/// between the runs as unknown rather than as the last status.
#[tokio::test]
async fn a_killed_watch_leaves_no_false_uptime() {
    let (openai, dir, config) = one_openai_target().await;
    let db = dir.path().join("h.db");
    let mut first = watch(dir.path(), &config, &db, &[])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Long enough for checks to be written (the writer flushes every 250 ms).
    while openai.requests().len() < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    first.kill().await.unwrap(); // SIGKILL: no clean stop
    let killed_at = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    let out = watch(dir.path(), &config, &db, &["--duration", "1s"])
        .output()
        .await
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(stderr.contains("without a clean shutdown"), "{stderr}");

    let out = on_db(
        dir.path(),
        &["history", "--target", "openai", "--range", "1h", "--json"],
        &db,
    )
    .await;
    let h: Value = serde_json::from_str(&text(&out).0).unwrap();
    let at_kill = h["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            let from: chrono::DateTime<chrono::Utc> = s["from"].as_str().unwrap().parse().unwrap();
            let to: chrono::DateTime<chrono::Utc> = s["to"].as_str().unwrap().parse().unwrap();
            from <= killed_at && killed_at < to
        })
        .unwrap();
    assert_eq!(at_kill["status"], "unknown", "{h}");
}

/// `serve` prints its address with the token, answers the API there, and stops cleanly on
/// SIGTERM: exit 0, targets unknown from the stop on, no key anywhere in its output.
#[cfg(unix)]
#[tokio::test]
async fn serve_answers_on_the_printed_address_and_stops_on_sigterm() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
    let (openai, dir, config) = one_openai_target().await;
    let db = dir.path().join("h.db");
    let mut child = llm_health(dir.path())
        // Anywhere: the binary carries its UI.
        .current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(&db)
        .env("K", OPENAI_KEY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stdout.read_line(&mut line),
    )
    .await
    .expect("serve prints its address")
    .unwrap();
    let url = line
        .trim()
        .strip_prefix("llm-health serving ")
        .unwrap_or_else(|| panic!("{line}"));
    let (base, token) = url.split_once("/#token=").unwrap();
    assert!(
        base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"),
        "{base}"
    );
    assert_eq!(token.len(), 32, "128 bits in hex: {token}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    let client = reqwest::Client::new();
    let state: Value = client
        .get(format!("{base}/api/{}", N::GetState))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["snapshot"]["targets"][0]["id"], "openai", "{state}");
    assert!(
        state["version"]
            .as_str()
            .is_some_and(|v| v.contains("commit") && v.contains("built")),
        "{state}"
    );
    let page = client
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<script") && !page.contains("no web UI"),
        "{page}"
    );
    while openai.requests().len() < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(15), child.wait())
        .await
        .expect("serve stops on SIGTERM")
        .unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).await.unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{rest}\n{stderr}");
    for text in [&line, &rest, &stderr] {
        assert!(!text.contains(OPENAI_KEY), "{text}");
    }

    // A clean stop: every target ended as unknown.
    let out = on_db(dir.path(), &["status", "--json"], &db).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("\"unknown\""), "{stdout}");
}

#[tokio::test]
async fn version_names_the_commit_and_the_build_date() {
    let dir = TempDir::new().unwrap();
    let out = llm_health(dir.path())
        .arg("--version")
        .output()
        .await
        .unwrap();
    let (stdout, _) = text(&out);
    let version = stdout
        .trim()
        .strip_prefix(concat!(
            "llm-health ",
            env!("CARGO_PKG_VERSION"),
            " (commit "
        ))
        .unwrap_or_else(|| panic!("{stdout}"));
    let (commit, date) = version
        .strip_suffix(')')
        .and_then(|v| v.split_once(", built "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        commit == "unknown" || (commit.len() == 7 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{stdout}"
    );
    assert_eq!(date.len(), 10, "{stdout}");
    assert!(
        date.starts_with("20") && date.as_bytes()[4] == b'-',
        "{stdout}"
    );
}

#[tokio::test]
async fn without_options_every_command_shares_one_home() {
    let (_openai, dir, config) = one_openai_target().await;
    let home = dir.path();
    let config_dir = home.join(".config/llm-health");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::rename(&config, config_dir.join("config.toml")).unwrap();
    let out = llm_health(home)
        .args(["watch", "--plain", "--duration", "2s"])
        .env("K", OPENAI_KEY)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    // The history goes where the tray app keeps its own.
    assert!(home.join(".local/share/llm-health/history.db").is_file());
    let out = llm_health(home)
        .args(["status", "--json"])
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("\"openai\""), "{stdout}");
}

#[tokio::test]
async fn pick_prints_the_best_usable_target_and_fails_when_none_is() {
    let fast = FakeServer::start(Flavor::Ollama).await.unwrap();
    let slow = FakeServer::start(Flavor::Ollama).await.unwrap();
    slow.set_fault(Fault::Latency(std::time::Duration::from_millis(400)));
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some(OPENAI_KEY));
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[targets]]\nid = \"slow\"\nkind = \"ollama\"\nbase_url = \"{}\"\n\n\
             [[targets]]\nid = \"fast\"\nkind = \"ollama\"\nbase_url = \"{}\"\n\n\
             [[targets]]\nid = \"openai\"\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"K\"\n",
            slow.base_url(),
            fast.base_url(),
            openai.base_url()
        ),
    );
    let pick = |args: &[&str]| {
        let mut cmd = llm_health(dir.path());
        cmd.arg("pick")
            .args(args)
            .arg("--config")
            .arg(&config)
            .env("K", OPENAI_KEY);
        cmd
    };
    let out = pick(&["--local"]).output().await.unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), format!("fast {}/", fast.base_url()));

    let out = pick(&["--cloud", "--json"]).output().await.unwrap();
    let (stdout, _) = text(&out);
    let list: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["target"], "openai");
    assert_eq!(list[0]["status"], "healthy");

    openai.set_fault(Fault::Status(500));
    let out = pick(&["--cloud"]).output().await.unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("no usable target"), "{stderr}");

    let out = pick(&["--kind", "olama"]).output().await.unwrap();
    assert_eq!(out.status.code(), Some(2), "a bad kind is a usage error");
}
