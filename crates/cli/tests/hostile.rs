//! Hostile servers against the real binary: a server that echoes the key into every field it
//! controls, and one whose error text is made of terminal escape sequences. Every byte the
//! program writes (stdout, stderr, the database, its WAL and shared-memory files) is searched.

mod common;

use fake_llm::{FakeServer, Fault, Flavor};
use monitor::{Class, Details, Event, Incident, Outcome, Status};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;
use tempfile::TempDir;
use tokio::process::Command;

const KEY: &str = "sk-abc1Def2Ghi3Jkl4Mno5Pqr6Stu7wxyz";
/// How providers echo a key they refuse: its ends around a mask.
const MASKED: &str = "sk-abc1****wxyz";

/// Terminal control in every form a server could send: clear screen, an OSC 8 hyperlink, an
/// OSC 52 clipboard write, BEL, NUL, CR, a forged line, a bidi override, an 8-bit CSI, DEL.
const HOSTILE: &str = "\u{1b}[2J\u{1b}]8;;http://evil.example/\u{7}click\u{1b}]8;;\u{7} \
    \u{1b}]52;c;ZXZpbA==\u{7} bell\u{7} nul\u{0} cr\r\nFAKE LINE ok \u{202e}txt.exe \u{9b}31m \u{7f}end";

/// The binary with a clean environment. `NO_COLOR` is not set: color must be off because
/// stdout is not a terminal.
fn llm_health(home: &Path) -> Command {
    let mut cmd = common::llm_health(home);
    cmd.env_remove("NO_COLOR")
        .env("K", KEY)
        .env("LLM_HEALTH_LOG", "trace");
    cmd
}

fn write_config(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[defaults]\ninterval = \"500ms\"\ntimeout = \"2s\"\nbackoff_max = \"2s\"\nfailure_threshold = 1\n\n{body}"
        ),
    )
    .expect("write the config");
    path
}

fn target(id: &str, kind: &str, server: &FakeServer) -> String {
    format!(
        "[[targets]]\nid = \"{id}\"\nkind = \"{kind}\"\nbase_url = \"{}\"\napi_key_env = \"K\"\n\n",
        server.base_url()
    )
}

fn reply(status: u16, body: String) -> Fault {
    Fault::Reply {
        status,
        body: body.into(),
    }
}

/// Runs the binary to its end with `args`.
async fn run(dir: &Path, args: &[&str]) -> Output {
    llm_health(dir)
        .args(args)
        .output()
        .await
        .expect("run llm-health")
}

/// Every file in `dir` (the database, `-wal`, `-shm`), as bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    std::fs::read_dir(dir)
        .expect("read the directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !p.ends_with("config.toml"))
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Any 8 consecutive bytes of the key, or the masked echo: either is a piece of it.
fn leak(hay: &[u8]) -> Option<String> {
    let key = KEY.as_bytes();
    let pieces = key
        .windows(8)
        .chain([MASKED.as_bytes(), &key[key.len() - 8..]]);
    pieces
        .filter(|p| contains(hay, p))
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .next()
}

/// Starts fakes whose every server-controlled field carries the key, and a config with a
/// target on each: Ollama (version, model names, loaded names, `expires_at`), LM Studio
/// (model keys, loaded instance ids), OpenAI (model ids) and an auth error quoting the key.
async fn echoing_servers(dir: &Path) -> (Vec<FakeServer>, PathBuf) {
    let ollama = FakeServer::start(Flavor::Ollama).await.expect("fake");
    ollama.set_fault(reply(
        200,
        format!(
            r#"{{"version":"0.5.1-{KEY}","models":[
                {{"name":"{KEY}","model":"{KEY}","size":10,"size_vram":5,"expires_at":"{KEY}","context_length":4096}},
                {{"name":"llama3.2:{MASKED}","expires_at":"2030-01-01T00:00:00Z {KEY}"}},
                {{"name":"models/{KEY}:latest"}}]}}"#
        ),
    ));
    let lmstudio = FakeServer::start(Flavor::Lmstudio).await.expect("fake");
    lmstudio.set_fault(reply(
        200,
        format!(
            r#"{{"models":[{{"key":"{KEY}","loaded_instances":[{{"id":"{MASKED}"}},{{"id":"x/{KEY}"}}]}},{{"key":"lm/{MASKED}"}}]}}"#
        ),
    ));
    let openai = FakeServer::start(Flavor::Openai).await.expect("fake");
    openai.set_fault(reply(
        200,
        format!(r#"{{"data":[{{"id":"{KEY}"}},{{"id":"ft:gpt-4o:{MASKED}"}},{{"id":"gpt-4o"}}]}}"#),
    ));
    let refusing = FakeServer::start(Flavor::Openai).await.expect("fake");
    refusing.set_fault(reply(
        401,
        format!(
            r#"{{"error":{{"message":"Incorrect API key provided: {KEY} (you sent {MASKED}).","type":"invalid_request_error","code":"invalid_api_key"}}}}"#
        ),
    ));
    let config = write_config(
        dir,
        &[
            target("ollama", "ollama", &ollama),
            target("lmstudio", "lmstudio", &lmstudio),
            target("openai", "openai", &openai),
            target("refusing", "openai", &refusing),
        ]
        .concat(),
    );
    (vec![ollama, lmstudio, openai, refusing], config)
}

#[tokio::test]
async fn a_server_echoing_the_key_into_every_field_leaks_it_nowhere() {
    let dir = TempDir::new().expect("temp dir");
    let (servers, config) = echoing_servers(dir.path()).await;
    let config = config.to_string_lossy().into_owned();
    let db = dir.path().join("history.db");
    let db = db.to_string_lossy().into_owned();

    let mut outputs = vec![
        run(dir.path(), &["check", "--json", "--config", &config]).await,
        run(dir.path(), &["check", "--config", &config]).await,
    ];
    // The fields really were read (so the key really passed through them) …
    let json: serde_json::Value =
        serde_json::from_slice(&outputs[0].stdout).expect("check --json is JSON");
    let by_id = |id: &str| {
        json.as_array()
            .and_then(|a| a.iter().find(|t| t["target"] == id))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_id("ollama")["class"], "ok", "{json:#}");
    assert_eq!(by_id("ollama")["models"].as_array().map(Vec::len), Some(3));
    assert!(by_id("ollama")["details"]["server_version"]
        .as_str()
        .is_some_and(|v| v.starts_with("0.5.1-")));
    assert_eq!(
        by_id("lmstudio")["loaded_models"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(by_id("openai")["models"].as_array().map(Vec::len), Some(3));
    assert_eq!(by_id("refusing")["class"], "auth");
    assert!(servers.iter().all(|s| !s.requests().is_empty()));

    // … and watch writes it all to a real database: its files are read while it runs (the WAL
    // holds the newest writes) and after it stopped.
    let watching = llm_health(dir.path())
        .args([
            "watch",
            "--plain",
            "--duration",
            "4s",
            "--config",
            &config,
            "--db",
            &db,
        ])
        .output();
    let during = async {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        files(dir.path())
    };
    let (watched, during) = tokio::join!(watching, during);
    outputs.push(watched.expect("run watch"));
    assert!(
        during
            .iter()
            .any(|(p, _)| p.to_string_lossy().ends_with("-wal")),
        "no WAL seen during the watch: {:?}",
        during.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for args in [
        vec!["status", "--json", "--db", &db],
        vec!["status", "--db", &db],
        vec![
            "history", "--target", "ollama", "--range", "1h", "--db", &db,
        ],
        vec![
            "history", "--target", "refusing", "--range", "1h", "--json", "--db", &db,
        ],
        vec!["export", "--format", "json", "--db", &db],
        vec!["export", "--format", "csv", "--db", &db],
    ] {
        outputs.push(run(dir.path(), &args).await);
    }
    let status: serde_json::Value =
        serde_json::from_slice(&outputs[3].stdout).expect("status --json is JSON");
    assert_eq!(status.as_array().map(Vec::len), Some(4), "{status:#}");

    for out in &outputs {
        for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            if let Some(piece) = leak(bytes) {
                panic!(
                    "{what} leaked {piece:?}:\n{}",
                    String::from_utf8_lossy(bytes)
                );
            }
        }
    }
    let after = files(dir.path());
    assert!(after.iter().any(|(p, _)| p.ends_with("history.db")));
    for (path, bytes) in during.iter().chain(&after) {
        assert!(
            leak(bytes).is_none(),
            "{} holds a piece of the key",
            path.display()
        );
    }
}

/// What the program may write to a terminal: its own newlines and text; no other C0 control,
/// no DEL, no C1 control, no bidi override, and no line a server started.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    });
    assert!(bad.is_none(), "{what} holds {bad:?}:\n{text:?}");
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("FAKE LINE")),
        "{what} has a line the server forged:\n{text}"
    );
}

#[tokio::test]
async fn escape_sequences_from_a_server_never_reach_the_terminal_raw() {
    let dir = TempDir::new().expect("temp dir");
    let json_errors = FakeServer::start(Flavor::Openai).await.expect("fake");
    json_errors.set_fault(reply(
        500,
        serde_json::json!({"error": {"message": HOSTILE, "type": "server_error"}}).to_string(),
    ));
    let text_errors = FakeServer::start(Flavor::Ollama).await.expect("fake");
    text_errors.set_fault(reply(503, HOSTILE.to_string()));
    let config = write_config(
        dir.path(),
        &[
            target("json-errors", "openai", &json_errors),
            target("text-errors", "ollama", &text_errors),
        ]
        .concat(),
    );
    let config = config.to_string_lossy().into_owned();
    let db_path = dir.path().join("history.db");
    let db = db_path.to_string_lossy().into_owned();

    let mut outputs = Vec::new();
    for args in [
        vec!["check", "--config", &config],
        vec!["check", "--json", "--config", &config],
        vec![
            "watch",
            "--plain",
            "--duration",
            "3s",
            "--config",
            &config,
            "--db",
            &db,
        ],
        vec![
            "history",
            "--target",
            "json-errors",
            "--range",
            "1h",
            "--db",
            &db,
        ],
        vec![
            "history",
            "--target",
            "text-errors",
            "--range",
            "1h",
            "--db",
            &db,
        ],
        vec!["status", "--db", &db],
        vec!["export", "--format", "csv", "--db", &db],
    ] {
        let out = run(dir.path(), &args).await;
        outputs.push((args.join(" "), out));
    }
    // The text did arrive, made visible: the escape shows as `^[`, not as an escape.
    let check = String::from_utf8_lossy(&outputs[0].1.stdout).into_owned();
    assert!(check.contains("^[[2J"), "{check}");
    let watch = String::from_utf8_lossy(&outputs[2].1.stdout).into_owned();
    assert!(watch.contains("unhealthy"), "{watch}");
    let history = String::from_utf8_lossy(&outputs[3].1.stdout).into_owned();
    assert!(history.contains("Incidents (1)"), "{history}");

    // A database an older version wrote holds the text raw: the terminal edge still defends.
    let old = store::Store::open(&db_path)
        .await
        .expect("open the history")
        .store;
    let at = chrono::Utc::now() - chrono::Duration::seconds(5);
    let outcome = Outcome {
        at,
        class: Class::ServerError,
        http_status: Some(500),
        latency_ms: 3,
        message: HOSTILE.to_string(),
        details: Details::default(),
    };
    old.write(&[
        Event::Checked(monitor::Check {
            target: "json-errors".into(),
            outcome,
            status: Status::Unhealthy,
            score: 0.0,
            consecutive_failures: 1,
        }),
        Event::Incident(Incident {
            target: "json-errors".into(),
            started_at: at,
            ended_at: Some(at + chrono::Duration::seconds(1)),
            worst: Status::Unhealthy,
            cause: Class::ServerError,
            message: HOSTILE.to_string(),
        }),
    ])
    .await
    .expect("write old-style rows");
    old.close().await;
    for args in [
        vec![
            "history",
            "--target",
            "json-errors",
            "--range",
            "1h",
            "--db",
            &db,
        ],
        vec!["status", "--db", &db],
        vec!["status", "--json", "--db", &db],
        vec!["export", "--format", "csv", "--db", &db],
        vec!["export", "--format", "json", "--db", &db],
    ] {
        let out = run(dir.path(), &args).await;
        outputs.push((format!("{} (old rows)", args.join(" ")), out));
    }
    let history = String::from_utf8_lossy(&outputs[7].1.stdout).into_owned();
    assert!(
        history.contains("^[[2J"),
        "the stored message is shown: {history}"
    );

    for (args, out) in &outputs {
        assert_inert(&format!("stdout of {args}"), &out.stdout);
        assert_inert(&format!("stderr of {args}"), &out.stderr);
    }
}
