//! The conformance suite: every command of the core through both transports, the app's IPC
//! (Tauri's own IPC path on its mock runtime, with this window's handler, over the link to the
//! tray app's half, as the two processes talk) and `serve`'s HTTP. Each
//! transport gets its own core, started from the same files, and both are sent the same
//! commands in the same order: every answer, result or error text, must be the same.

use controller::{CommandName, Handle, Options, Settings, Shell, TomlFile};
use serde_json::{json, Value};
use std::path::Path;
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::{Manager, WebviewWindow};
use tempfile::TempDir;

const TOKEN: &str = "conformance-token-0123456789abcdef";

/// Nothing is probed (every target is disabled), so two cores stay alike between commands.
const CONFIG: &str = r#"
[defaults]
interval = "1h"
backoff_max = "2h"

[[targets]]
id = "local"
kind = "ollama"
base_url = "http://127.0.0.1:9"
enabled = false

[[targets]]
id = "cloud"
kind = "openai"
api_key_env = "CONFORMANCE_TEST_NO_KEY"
enabled = false

[[alerts]]
id = "script"
kind = "command"
command = ["true"]

[[alerts]]
id = "failing"
kind = "command"
command = ["false"]

# No url or url_env: the app keeps its URL in the keyring; serve has none.
[[alerts]]
id = "hook"
kind = "webhook"
"#;

/// A channel URL typed into the page: no answer may repeat it.
const TYPED_URL: &str = "https://hooks.example.com/services/typed-secret-0123456789";

/// A command's answer with what legitimately differs between two runs taken out: the folder
/// each core lives in, and the moments and durations of a probe.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Ok(Value),
    Err(String),
}

fn normalized(mut value: Value, dir: &Path) -> Value {
    fn walk(v: &mut Value, dir: &str) {
        match v {
            Value::String(s) => *s = s.replace(dir, "<dir>"),
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, dir)),
            Value::Object(map) => {
                for volatile in ["at", "latency_ms", "next_check_at", "since"] {
                    map.remove(volatile);
                }
                // When a snooze ends depends on the moment it began.
                if let Some(Value::Object(snoozed)) = map.get_mut("snoozed_until") {
                    snoozed
                        .values_mut()
                        .for_each(|until| *until = Value::from("<time>"));
                }
                map.values_mut().for_each(|i| walk(i, dir));
            }
            _ => {}
        }
    }
    walk(&mut value, &dir.display().to_string());
    value
}

struct Core {
    dir: TempDir,
    handle: Handle,
}

fn core() -> Core {
    let dir = TempDir::new().expect("temp dir");
    let dir_path = dir.path().canonicalize().expect("canonical temp dir");
    let config_path = dir_path.join("config.toml");
    std::fs::write(&config_path, CONFIG).expect("config");
    let file = TomlFile::new(&config_path);
    let config = file.read().expect("valid").expect("present");
    let handle = tauri::async_runtime::block_on(async {
        let (store, _) = store::Store::open_for_run(&dir_path.join("history.db"))
            .await
            .expect("history");
        controller::start(
            Options {
                store,
                settings: Settings {
                    onboarded: true,
                    ..Settings::with_config(config)
                },
                data_dir: dir_path.clone(),
                config_source: config_path.display().to_string(),
                first_run: false,
            },
            Shell::headless(file),
        )
        .handle
    });
    Core { dir, handle }
}

struct Ipc {
    core: Core,
    _app: tauri::App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
}

impl Ipc {
    fn start() -> Ipc {
        let core = core();
        let app = mock_builder()
            .invoke_handler(crate::ipc::handle)
            .build(mock_context(noop_assets()))
            .expect("mock app");
        // The two processes' pipes: the window's output is the tray app's input and back.
        let (window_out, tray_in) = std::os::unix::net::UnixStream::pair().expect("pipe");
        let (tray_out, window_in) = std::os::unix::net::UnixStream::pair().expect("pipe");
        let link = crate::link::Link::new(Box::new(window_out));
        link.listen(std::io::BufReader::new(window_in), app.handle().clone());
        app.manage(link);
        let served = core.handle.clone();
        tauri::async_runtime::spawn(async move {
            use tokio::io::AsyncWriteExt;
            tray_in.set_nonblocking(true).expect("nonblocking");
            tray_out.set_nonblocking(true).expect("nonblocking");
            let tray_in = tokio::net::UnixStream::from_std(tray_in).expect("tokio");
            let mut tray_out = tokio::net::UnixStream::from_std(tray_out).expect("tokio");
            let (to_window, mut outgoing) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(async move {
                while let Some(message) = outgoing.recv().await {
                    let line = controller::window_link::ToWindow::line(&message);
                    if tray_out.write_all(line.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
            controller::window_link::serve_window(
                served,
                tokio::io::BufReader::new(tray_in),
                to_window,
                |_| {},
            )
            .await;
        });
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("mock window");
        Ipc {
            core,
            _app: app,
            webview,
        }
    }

    fn call(&self, name: &str, args: &Value) -> Answer {
        let request = tauri::webview::InvokeRequest {
            cmd: name.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: tauri::ipc::InvokeBody::Json(args.clone()),
            headers: Default::default(),
            invoke_key: tauri::test::INVOKE_KEY.to_string(),
        };
        let dir = self.core.dir.path().canonicalize().expect("dir");
        match get_ipc_response(&self.webview, request) {
            Ok(body) => Answer::Ok(normalized(body.deserialize().expect("JSON"), &dir)),
            Err(Value::String(text)) => {
                Answer::Err(text.replace(&dir.display().to_string(), "<dir>"))
            }
            Err(other) => panic!("{name}: a rejection that is not a sentence: {other}"),
        }
    }
}

struct Http {
    dir: std::path::PathBuf,
    base: String,
    client: reqwest::Client,
    _core: Core,
}

impl Http {
    fn start() -> Http {
        let core = core();
        let dir = core.dir.path().canonicalize().expect("dir");
        let handle = core.handle.clone();
        let base = tauri::async_runtime::block_on(async {
            let server = server::Server::bind_with(
                server::ServerOptions {
                    listen: "127.0.0.1:0".parse().expect("address"),
                    token: TOKEN.into(),
                    allow_hosts: Vec::new(),
                    ui_dir: None,
                    config_path: dir.join("config.toml"),
                    db_path: dir.join("history.db"),
                    limits: server::Limits::default(),
                },
                handle,
            )
            .await
            .expect("bind");
            let base = format!("http://{}", server.local_addr());
            tauri::async_runtime::spawn(server.run(std::future::pending()));
            base
        });
        Http {
            dir,
            base,
            client: reqwest::Client::new(),
            _core: core,
        }
    }

    fn call(&self, name: &str, args: &Value) -> Answer {
        tauri::async_runtime::block_on(async {
            let response = self
                .client
                .post(format!("{}/api/{name}", self.base))
                .bearer_auth(TOKEN)
                .json(args)
                .send()
                .await
                .expect("the server answers");
            let ok = response.status().is_success();
            let body: Value = response.json().await.expect("a JSON answer");
            if ok {
                Answer::Ok(normalized(body, &self.dir))
            } else {
                let text = body["error"].as_str().expect("an error sentence");
                Answer::Err(text.replace(&self.dir.display().to_string(), "<dir>"))
            }
        })
    }
}

/// Every command at least once, each way it can fail where it can, in an order that changes
/// the configuration along the way.
fn cases() -> Vec<(&'static str, Value)> {
    use CommandName as Name;
    let window =
        json!({ "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T01:00:00Z", "buckets": 4 });
    let mut history = window.clone();
    history["target"] = json!("local");
    vec![
        (Name::GetState.as_str(), json!({})),
        (Name::GetState.as_str(), json!({ "bogus": 1 })),
        (Name::GetSettings.as_str(), json!({})),
        (Name::ExportToml.as_str(), json!({})),
        // Snoozes: for an hour, until tomorrow morning, ended; an unknown target; no id.
        (
            Name::SnoozeTarget.as_str(),
            json!({ "id": "local", "minutes": 60 }),
        ),
        (Name::GetState.as_str(), json!({})),
        (
            Name::SnoozeTarget.as_str(),
            json!({ "id": "cloud", "minutes": 0 }),
        ),
        (
            Name::SnoozeTarget.as_str(),
            json!({ "id": "local", "minutes": null }),
        ),
        (Name::GetState.as_str(), json!({})),
        (
            Name::SnoozeTarget.as_str(),
            json!({ "id": "nope", "minutes": 60 }),
        ),
        (Name::SnoozeTarget.as_str(), json!({ "minutes": 60 })),
        // Test notices: delivered, a program that fails, a URL the keyring should hold (and
        // there is no keyring), an unknown channel.
        (Name::TestAlertChannel.as_str(), json!({ "id": "script" })),
        (Name::TestAlertChannel.as_str(), json!({ "id": "failing" })),
        (Name::TestAlertChannel.as_str(), json!({ "id": "hook" })),
        (Name::TestAlertChannel.as_str(), json!({ "id": "nope" })),
        // Needs the keyring, which neither headless core has (serve never does).
        (
            Name::SetChannelUrl.as_str(),
            json!({ "id": "hook", "url": TYPED_URL }),
        ),
        (Name::SetChannelUrl.as_str(), json!({ "id": "hook" })),
        (Name::CheckNow.as_str(), json!({ "target": null })),
        (Name::CheckNow.as_str(), json!({ "target": "nope" })),
        (
            Name::SetTargetEnabled.as_str(),
            json!({ "id": "local", "enabled": false }),
        ),
        (
            Name::SetTargetEnabled.as_str(),
            json!({ "id": "nope", "enabled": true }),
        ),
        (
            Name::UpsertTarget.as_str(),
            json!({ "target": { "id": "third", "kind": "lmstudio", "base_url": "http://127.0.0.1:9", "enabled": false } }),
        ),
        (
            Name::UpsertTarget.as_str(),
            json!({ "target": { "id": " ", "kind": "ollama" } }),
        ),
        (
            Name::UpsertTarget.as_str(),
            json!({ "target": { "id": "x", "kind": "olama" } }),
        ),
        (Name::RemoveTarget.as_str(), json!({ "id": "third" })),
        (Name::RemoveTarget.as_str(), json!({ "id": "third" })),
        (
            Name::SaveSettings.as_str(),
            json!({ "config": { "defaults": { "interval": "2h", "backoff_max": "3h" }, "targets": [
                { "id": "local", "kind": "ollama", "base_url": "http://127.0.0.1:9", "enabled": false }
            ] }, "notifications": null, "startAtLogin": null }),
        ),
        (
            Name::SaveSettings.as_str(),
            json!({ "config": { "targets": [{ "id": "a", "kind": "ollama" }, { "id": "a", "kind": "ollama" }] } }),
        ),
        (
            Name::ImportToml.as_str(),
            json!({ "textToml": "[[targets]]\nid = \"x\"\nkind = \"olama\"\n" }),
        ),
        (Name::ImportToml.as_str(), json!({ "textToml": CONFIG })),
        (Name::AnswerOffers.as_str(), json!({ "targets": [] })),
        (
            Name::TestTarget.as_str(),
            json!({ "target": { "id": "t", "kind": "ollama", "base_url": "http://127.0.0.1:9" }, "apiKey": null }),
        ),
        (
            Name::TestTarget.as_str(),
            json!({ "target": { "id": "t", "kind": "ollama", "base_url": "ftp://nowhere" }, "apiKey": "sk-typed-0123456789abcdef" }),
        ),
        (Name::History.as_str(), history),
        (Name::History.as_str(), json!({ "target": "nope" })),
        (
            Name::History.as_str(),
            json!({ "target": "local", "range": "2y" }),
        ),
        (Name::Timeline.as_str(), window),
        (Name::Incidents.as_str(), json!({})),
        (
            Name::Incidents.as_str(),
            json!({ "target": "local", "range": "7d", "limit": 5 }),
        ),
        (Name::ProviderIncidents.as_str(), json!({})),
        (
            Name::ProviderIncidents.as_str(),
            json!({ "target": "cloud", "range": "24h" }),
        ),
        (Name::RecentChecks.as_str(), json!({})),
        (
            Name::RecentChecks.as_str(),
            json!({ "target": "local", "limit": 5 }),
        ),
        (Name::RecentChecks.as_str(), json!({ "target": "nope" })),
        (Name::Healthy.as_str(), json!({})),
        (
            Name::Healthy.as_str(),
            json!({ "kind": "ollama", "local": true }),
        ),
        (
            Name::SetMuted.as_str(),
            json!({ "id": "local", "muted": true }),
        ),
        (Name::PauseNotifications.as_str(), json!({ "minutes": 60 })),
        (
            Name::SetApiKey.as_str(),
            json!({ "target": "cloud", "key": "sk-typed-0123456789abcdef" }),
        ),
        (Name::DeleteApiKey.as_str(), json!({ "target": "cloud" })),
        (Name::HideWindow.as_str(), json!({})),
        ("no_such_command", json!({})),
    ]
}

#[test]
fn every_command_answers_the_same_through_ipc_and_http() {
    let cases = cases();
    for name in CommandName::all() {
        assert!(
            cases.iter().any(|(n, _)| *n == name.as_str()),
            "{name} is not in the suite"
        );
    }
    let ipc = Ipc::start();
    let http = Http::start();
    let mut answers = Vec::new();
    for (name, args) in &cases {
        let by_ipc = ipc.call(name, args);
        let by_http = http.call(name, args);
        assert_eq!(by_ipc, by_http, "{name} {args}");
        answers.push((*name, args.clone(), by_ipc.clone()));
        if let Answer::Err(text) = &by_ipc {
            assert!(
                !text.contains("sk-typed"),
                "{name} quoted a typed key: {text}"
            );
            assert!(
                !text.contains("typed-secret"),
                "{name} quoted a typed channel URL: {text}"
            );
        }
    }
    // And the same configuration came out of it.
    let read = |dir: &Path| std::fs::read_to_string(dir.join("config.toml")).expect("config");
    assert_eq!(read(ipc.core.dir.path()), read(&http.dir));
    snoozes_and_channels_answer_as_they_should(&answers);
}

/// The same on both sides is not enough for these: what they answer, too.
fn snoozes_and_channels_answer_as_they_should(answers: &[(&str, Value, Answer)]) {
    use CommandName as Name;
    let all = |name: CommandName| -> Vec<&Answer> {
        answers
            .iter()
            .filter(|(n, _, _)| *n == name.as_str())
            .map(|(_, _, a)| a)
            .collect()
    };
    let err = |answer: &Answer| match answer {
        Answer::Err(text) => text.clone(),
        Answer::Ok(value) => panic!("expected a refusal, got {value}"),
    };
    let snoozes = all(Name::SnoozeTarget);
    assert_eq!(snoozes[..3], [&Answer::Ok(Value::Null); 3]);
    assert!(err(snoozes[3]).contains("nope"), "{:?}", snoozes[3]);
    err(snoozes[4]);
    // The state after the first snooze, then after "cloud" until tomorrow and "local" ended.
    let states = all(Name::GetState);
    let snoozed = |answer: &Answer| match answer {
        Answer::Ok(state) => state["snoozed_until"].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(snoozed(states[2]), json!({ "local": "<time>" }));
    assert_eq!(snoozed(states[3]), json!({ "cloud": "<time>" }));

    let tests = all(Name::TestAlertChannel);
    assert_eq!(tests[0], &Answer::Ok(Value::Null));
    assert!(
        err(tests[1]).contains("exited with status 1"),
        "{:?}",
        tests[1]
    );
    assert!(err(tests[2]).contains("keyring"), "{:?}", tests[2]);
    assert!(err(tests[3]).contains("nope"), "{:?}", tests[3]);
    let set_url = all(Name::SetChannelUrl);
    let refused = err(set_url[0]);
    assert!(
        refused.contains(controller::Capability::Keyring.missing_reason()),
        "{refused}"
    );
}
