//! `llm-health doctor`, the real binary, against fake servers that follow the providers' APIs, a
//! port nothing listens on and a web page: each finding from the evidence that makes it.

mod common;

use common::{llm_health, text};
use fake_llm::{FakeServer, Fault, Flavor};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GOOD_KEY: &str = "sk-proj-DoctorGoodKey0123456789abcdefQRS";
const WRONG_KEY: &str = "sk-proj-DoctorWrongKey9876543210zyxwvUVW";
const ANTHROPIC_KEY: &str = "sk-ant-api03-DoctorAnthropicKey55554444";

fn write_config(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, format!("[defaults]\ntimeout = \"5s\"\n\n{body}")).unwrap();
    path
}

/// A port on 127.0.0.1 that nothing listens on: bound by the system, then closed.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Vec<Value> {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }
}

async fn doctor(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = llm_health(home);
    cmd.arg("doctor").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("run llm-health");
    let (stdout, stderr) = text(&out);
    Run {
        code: out.status.code(),
        stdout,
        stderr,
    }
}

async fn doctor_json(home: &Path, config: &Path, env: &[(&str, &str)]) -> Run {
    let config = config.to_string_lossy().into_owned();
    doctor(home, &["--json", "--config", &config], env).await
}

fn entry<'a>(list: &'a [Value], id: &str) -> &'a Value {
    list.iter()
        .find(|d| d["target"] == id)
        .unwrap_or_else(|| panic!("no {id} in {list:?}"))
}

fn fix(d: &Value) -> &str {
    d["fix"].as_str().unwrap_or_else(|| panic!("no fix in {d}"))
}

/// Every object has the contract's fields.
fn assert_contract(list: &[Value]) {
    for d in list {
        for key in [
            "target", "kind", "base_url", "ok", "finding", "message", "fix", "watched",
        ] {
            assert!(d.get(key).is_some(), "{key} missing in {d}");
        }
        assert_eq!(
            d["ok"],
            d["finding"] == "ok" || d["finding"] == "slow" || d["finding"] == "disabled",
            "{d}"
        );
        assert!(d["fix"].is_null() || d["fix"].is_string(), "{d}");
    }
}

/// Only version and model lists were asked for: nothing generated, nothing loaded.
fn assert_only_reads(server: &FakeServer) {
    for r in server.requests() {
        assert_eq!(r.method, "GET", "{} {}", r.method, r.path);
    }
    assert!(
        server.model_loads().is_empty(),
        "{:?}",
        server.model_loads()
    );
}

/// An HTML page on every path, as a web UI's port serves: no API of any kind.
async fn web_page() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut chunk = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = "<!doctype html><html><body>A web UI</body></html>";
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (port, task)
}

#[tokio::test]
async fn a_closed_port_is_port_closed() {
    let (ollama_port, server_port) = (closed_port(), closed_port());
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            r#"
[[targets]]
id = "ollama"
kind = "ollama"
base_url = "http://127.0.0.1:{ollama_port}"

[[targets]]
id = "vllm"
kind = "openai_compatible"
base_url = "http://127.0.0.1:{server_port}/v1"
"#
        ),
    );
    let run = doctor_json(dir.path(), &config, &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    assert_contract(&list);
    let ollama = entry(&list, "ollama");
    assert_eq!(ollama["finding"], "port_closed", "{ollama}");
    assert_eq!(ollama["ok"], false);
    assert_eq!(ollama["watched"], true);
    assert!(
        ollama["message"]
            .as_str()
            .unwrap()
            .contains(&format!("nothing listens on 127.0.0.1:{ollama_port}")),
        "{ollama}"
    );
    // Start it, or (when an Ollama answers at 11434 on this machine) the base_url of that one.
    let f = fix(ollama);
    assert!(
        f.contains("ollama serve") || f.contains("base_url = \"http://127.0.0.1:11434\""),
        "{f}"
    );
    let vllm = entry(&list, "vllm");
    assert_eq!(vllm["finding"], "port_closed", "{vllm}");
    assert!(fix(vllm).contains("start the server"), "{vllm}");
    assert!(fix(vllm).contains("correct the port in base_url"), "{vllm}");

    // The same, as a person reads it.
    let config = config.to_string_lossy().into_owned();
    let run = doctor(dir.path(), &["--config", &config], &[]).await;
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.contains("✖ ollama"), "{}", run.stdout);
    assert!(
        run.stdout.contains("port_closed: nothing listens on"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("fix: "), "{}", run.stdout);
    assert!(
        run.stdout.contains("Problems: 2 of 2 watched targets."),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn something_else_on_the_port_is_not_that_api() {
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    let lmstudio = FakeServer::start(Flavor::Lmstudio).await.unwrap();
    let (page_port, _page) = web_page().await;
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            r#"
[[targets]]
id = "openai-behind-ollama"
kind = "ollama"
base_url = "{}"

[[targets]]
id = "lmstudio-behind-ollama"
kind = "ollama"
base_url = "{}"

[[targets]]
id = "web-page"
kind = "ollama"
base_url = "http://127.0.0.1:{page_port}"
"#,
            openai.url(),
            lmstudio.url()
        ),
    );
    let run = doctor_json(dir.path(), &config, &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    assert_contract(&list);

    let d = entry(&list, "openai-behind-ollama");
    assert_eq!(d["finding"], "not_that_api", "{d}");
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("OpenAI-compatible API answers"),
        "{message}"
    );
    assert!(message.contains("2 models"), "{message}");
    assert_eq!(
        fix(d),
        format!(
            "kind = \"openai_compatible\" and base_url = \"{}/v1\"",
            openai.url()
        )
    );

    let d = entry(&list, "lmstudio-behind-ollama");
    assert_eq!(d["finding"], "not_that_api", "{d}");
    assert!(
        d["message"].as_str().unwrap().contains("LM Studio answers"),
        "{d}"
    );
    assert_eq!(
        fix(d),
        format!("kind = \"lmstudio\" and base_url = \"{}\"", lmstudio.url())
    );

    let d = entry(&list, "web-page");
    assert_eq!(d["finding"], "not_that_api", "{d}");
    assert!(
        d["message"].as_str().unwrap().contains("a web page (HTML"),
        "{d}"
    );
    assert!(fix(d).contains("11434"), "{d}");

    assert_only_reads(&openai);
    assert_only_reads(&lmstudio);
}

#[tokio::test]
async fn a_missing_key_is_needs_key() {
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some(GOOD_KEY));
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            r#"
[[targets]]
id = "openai"
kind = "openai"
base_url = "{0}"
api_key_env = "DOCTOR_TEST_OPENAI_KEY"

[[targets]]
id = "my-gateway"
kind = "openai_compatible"
base_url = "{0}"

[[targets]]
id = "pasted-badly"
kind = "openai"
base_url = "{0}"
api_key_env = "DOCTOR_PASTED_KEY"
"#,
            openai.base_url()
        ),
    );
    // A key pasted with a control character in it cannot go in a header.
    let pasted = "sk-proj-DoctorPasted\u{7}Key0123456789abcdef";
    let run = doctor_json(dir.path(), &config, &[("DOCTOR_PASTED_KEY", pasted)]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    assert_contract(&list);

    let d = entry(&list, "openai");
    assert_eq!(d["finding"], "needs_key", "{d}");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("DOCTOR_TEST_OPENAI_KEY is not set"),
        "{d}"
    );
    assert!(
        fix(d).starts_with("export DOCTOR_TEST_OPENAI_KEY=..."),
        "{d}"
    );
    assert!(
        fix(d).contains("https://platform.openai.com/api-keys"),
        "{d}"
    );

    // A server of the user's own that asks for a key the target does not name.
    let d = entry(&list, "my-gateway");
    assert_eq!(d["finding"], "needs_key", "{d}");
    assert_eq!(d["http_status"], 401, "{d}");
    assert!(
        fix(d).contains("api_key_env = \"MY_GATEWAY_API_KEY\""),
        "{d}"
    );
    assert!(fix(d).contains("export MY_GATEWAY_API_KEY=..."), "{d}");

    let d = entry(&list, "pasted-badly");
    assert_eq!(d["finding"], "key_unusable", "{d}");
    assert!(
        d["message"].as_str().unwrap().contains("control character"),
        "{d}"
    );
    assert!(fix(d).contains("export DOCTOR_PASTED_KEY=..."), "{d}");
    assert!(!run.stdout.contains("DoctorPasted"), "{}", run.stdout);
    // Nothing was sent with it.
    assert!(openai
        .requests()
        .iter()
        .all(|r| r.header("authorization").is_none()));
}

#[tokio::test]
async fn a_rejected_key_is_key_rejected_and_never_printed() {
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some(GOOD_KEY));
    // The server's error repeats the key it was sent, verbatim.
    openai.set_fault(Fault::BadKeyEcho);
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[targets]]\nid = \"openai\"\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"DOCTOR_KEY\"\n",
            openai.base_url()
        ),
    );
    let env = [("DOCTOR_KEY", WRONG_KEY), ("LLM_HEALTH_LOG", "trace")];
    let run = doctor_json(dir.path(), &config, &env).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    assert_contract(&list);
    let d = entry(&list, "openai");
    assert_eq!(d["finding"], "key_rejected", "{d}");
    assert_eq!(d["http_status"], 401, "{d}");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("rejected the key in DOCTOR_KEY"),
        "{d}"
    );
    assert!(
        fix(d).contains("https://platform.openai.com/api-keys"),
        "{d}"
    );
    assert!(fix(d).contains("export DOCTOR_KEY=..."), "{d}");

    // The server did get the key, so its echo held it …
    let sent = openai
        .requests()
        .iter()
        .any(|r| r.header("authorization") == Some(&format!("Bearer {WRONG_KEY}")));
    assert!(sent);
    // … and nothing of it came out, in JSON or in the report.
    let config_arg = config.to_string_lossy().into_owned();
    let human = doctor(dir.path(), &["--config", &config_arg], &env).await;
    assert_eq!(human.code, Some(1));
    assert!(human.stdout.contains("key_rejected"), "{}", human.stdout);
    for run in [&run, &human] {
        for fragment in [
            &WRONG_KEY[8..24],
            &WRONG_KEY[WRONG_KEY.len() - 12..],
            &GOOD_KEY[8..24],
        ] {
            assert!(
                !run.stdout.contains(fragment),
                "stdout leaked: {}",
                run.stdout
            );
            assert!(
                !run.stderr.contains(fragment),
                "stderr leaked: {}",
                run.stderr
            );
        }
    }
}

#[tokio::test]
async fn a_base_url_of_the_wrong_shape_gets_the_corrected_line() {
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    let anthropic = FakeServer::start(Flavor::Anthropic).await.unwrap();
    anthropic.set_api_key(Some(ANTHROPIC_KEY));
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            r#"
[[targets]]
id = "no-v1"
kind = "openai_compatible"
base_url = "{0}"

[[targets]]
id = "endpoint-pasted"
kind = "openai_compatible"
base_url = "{0}/v1/chat/completions"

[[targets]]
id = "anthropic-v1"
kind = "anthropic"
base_url = "{1}/v1"
api_key_env = "DOCTOR_ANTHROPIC_KEY"
"#,
            openai.url(),
            anthropic.url()
        ),
    );
    let run = doctor_json(
        dir.path(),
        &config,
        &[("DOCTOR_ANTHROPIC_KEY", ANTHROPIC_KEY)],
    )
    .await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    assert_contract(&list);
    for id in ["no-v1", "endpoint-pasted"] {
        let d = entry(&list, id);
        assert_eq!(d["finding"], "base_url_shape", "{d}");
        assert_eq!(fix(d), format!("base_url = \"{}/v1\"", openai.url()), "{d}");
        assert!(d["message"].as_str().unwrap().contains("2 models"), "{d}");
    }
    let d = entry(&list, "anthropic-v1");
    assert_eq!(d["finding"], "base_url_shape", "{d}");
    assert_eq!(fix(d), format!("base_url = \"{}\"", anthropic.url()), "{d}");
    assert_only_reads(&openai);
    assert_only_reads(&anthropic);
    assert!(!run.stdout.contains(&ANTHROPIC_KEY[14..]), "{}", run.stdout);
}

#[tokio::test]
async fn ok_targets_say_what_was_found_and_nothing_generates() {
    let ollama = FakeServer::start(Flavor::Ollama).await.unwrap();
    ollama.load_model("llama3.2:latest");
    let openai = FakeServer::start(Flavor::Openai).await.unwrap();
    openai.set_api_key(Some(GOOD_KEY));
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            r#"
[[targets]]
id = "ollama"
kind = "ollama"
base_url = "{}"
# Watched with a canary; the doctor still spends no token.
probe = "inference"
model = "llama3.2"

[[targets]]
id = "openai"
kind = "openai"
base_url = "{}"
api_key_env = "DOCTOR_KEY"
"#,
            ollama.base_url(),
            openai.base_url()
        ),
    );
    let env = [("DOCTOR_KEY", GOOD_KEY)];
    let run = doctor_json(dir.path(), &config, &env).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    assert_contract(&list);
    let d = entry(&list, "ollama");
    assert_eq!(d["finding"], "ok", "{d}");
    assert!(d["fix"].is_null(), "{d}");
    let message = d["message"].as_str().unwrap();
    for part in [
        "version 0.5.1",
        "2 models",
        "1 loaded",
        "model \"llama3.2\" is there",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(d["latency_ms"].is_u64(), "{d}");
    let d = entry(&list, "openai");
    assert_eq!(d["finding"], "ok", "{d}");
    assert!(d["message"].as_str().unwrap().contains("2 models"), "{d}");
    assert_only_reads(&ollama);
    assert_only_reads(&openai);

    let config_arg = config.to_string_lossy().into_owned();
    let human = doctor(dir.path(), &["--config", &config_arg], &env).await;
    assert_eq!(human.code, Some(0));
    assert!(human.stdout.contains("✔ ollama"), "{}", human.stdout);
    assert!(
        human.stdout.contains("Ok: 2 of 2 watched targets."),
        "{}",
        human.stdout
    );
    assert!(!human.stdout.contains("fix:"), "{}", human.stdout);
}

#[tokio::test]
async fn a_missing_model_is_model_not_found_with_what_is_there() {
    let ollama = FakeServer::start(Flavor::Ollama).await.unwrap();
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[targets]]\nid = \"ollama\"\nkind = \"ollama\"\nbase_url = \"{}\"\nmodel = \"mistral-nemo\"\n",
            ollama.base_url()
        ),
    );
    let run = doctor_json(dir.path(), &config, &[]).await;
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let list = run.json();
    let d = entry(&list, "ollama");
    assert_eq!(d["finding"], "model_not_found", "{d}");
    assert!(
        d["message"].as_str().unwrap().contains("llama3.2:latest"),
        "{d}"
    );
    assert_eq!(
        fix(d),
        "`ollama pull mistral-nemo`, or set `model = \"llama3.2:latest\"`"
    );
    assert_only_reads(&ollama);
}

#[tokio::test]
async fn auto_detection_says_why_each_default_was_not_found() {
    let port = closed_port();
    let dir = TempDir::new().unwrap();
    let host = format!("127.0.0.1:{port}");
    // No config file anywhere under this HOME: the targets are auto-detected.
    let run = doctor(dir.path(), &["--json"], &[("OLLAMA_HOST", &host)]).await;
    let list = run.json();
    assert_contract(&list);
    let ollama = entry(&list, "local-ollama");
    assert_eq!(ollama["watched"], false, "{ollama}");
    assert_eq!(ollama["finding"], "port_closed", "{ollama}");
    assert!(fix(ollama).contains("ollama serve"), "{ollama}");
    assert!(fix(ollama).contains("OLLAMA_HOST"), "{ollama}");
    // LM Studio's port is fixed (1234): what this machine has there is not the test's to say.
    assert!(entry(&list, "local-lmstudio")["finding"].is_string());
    for (id, var) in [
        ("openai", "OPENAI_API_KEY"),
        ("anthropic", "ANTHROPIC_API_KEY"),
        ("gemini", "GEMINI_API_KEY"),
        ("groq", "GROQ_API_KEY"),
    ] {
        let d = entry(&list, id);
        assert_eq!(d["watched"], false, "{d}");
        assert_eq!(d["finding"], "needs_key", "{d}");
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .contains(&format!("{var} is not set")),
            "{d}"
        );
        assert!(fix(d).starts_with(&format!("export {var}=...")), "{d}");
    }
    // Exit 1 unless something watched is there and fine.
    let watched: Vec<&Value> = list.iter().filter(|d| d["watched"] == true).collect();
    let all_ok = !watched.is_empty() && watched.iter().all(|d| d["ok"] == true);
    assert_eq!(run.code, Some(if all_ok { 0 } else { 1 }), "{}", run.stdout);
}

#[tokio::test]
async fn auto_detection_watches_what_it_found_and_doctor_says_so() {
    let ollama = FakeServer::start(Flavor::Ollama).await.unwrap();
    let dir = TempDir::new().unwrap();
    let host = ollama.addr().to_string();
    let run = doctor(dir.path(), &["--json"], &[("OLLAMA_HOST", &host)]).await;
    let list = run.json();
    assert_contract(&list);
    let d = entry(&list, "local-ollama");
    assert_eq!(d["watched"], true, "{d}");
    assert_eq!(d["finding"], "ok", "{d}");
    assert_eq!(d["base_url"], ollama.url(), "{d}");
    assert_only_reads(&ollama);

    let human = doctor(dir.path(), &[], &[("OLLAMA_HOST", &host)]).await;
    assert!(
        human.stdout.starts_with("config: auto-detected"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("✔ local-ollama"), "{}", human.stdout);
    assert!(human.stdout.contains("Not watched"), "{}", human.stdout);
}

#[tokio::test]
async fn config_errors_exit_2() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("missing.toml");
    let run = doctor(dir.path(), &["--config", &missing.to_string_lossy()], &[]).await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[targets]]\nid = \"a\"\nkind = \"ollama\"\nbase_url = \"ftp://x\"\n",
    )
    .unwrap();
    let run = doctor(dir.path(), &["--config", &bad.to_string_lossy()], &[]).await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("base_url"), "{}", run.stderr);

    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let run = doctor(dir.path(), &["--config", &empty.to_string_lossy()], &[]).await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("no enabled targets"), "{}", run.stderr);
}
