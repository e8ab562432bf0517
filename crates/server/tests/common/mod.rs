//! A real server on 127.0.0.1:0 over a real SQLite file in a temp dir, with its engine probing
//! fake LLM servers; a client that speaks to it the way the page does.
#![allow(dead_code)] // each test binary uses its own subset

use controller::CommandName as N;
use futures_util::StreamExt;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use server::{Server, ServerError, ServerOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";

pub struct TestServer {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub dir: TempDir,
    pub config: PathBuf,
    pub db: PathBuf,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
}

/// A config whose targets are probed every 500 ms, so tests see changes quickly.
pub fn quick_config(targets: &str) -> String {
    format!(
        "[defaults]\ninterval = \"500ms\"\ntimeout = \"2s\"\nbackoff_max = \"1s\"\nfailure_threshold = 1\n\n{targets}"
    )
}

/// An OpenAI target named `id` watching `fake`, its key in the environment variable `env`.
pub fn openai_target(id: &str, base_url: &str, env: &str) -> String {
    format!(
        "[[targets]]\nid = \"{id}\"\nkind = \"openai\"\nbase_url = \"{base_url}\"\napi_key_env = \"{env}\"\n\n"
    )
}

impl TestServer {
    /// A server over `config` (`None`: no config file, a first run).
    pub async fn start(config: Option<&str>) -> TestServer {
        TestServer::start_with(config, |_| {}).await
    }

    pub async fn start_with(
        config: Option<&str>,
        tweak: impl FnOnce(&mut ServerOptions),
    ) -> TestServer {
        let dir = TempDir::new().unwrap();
        let config_path = dir.path().join("config.toml");
        if let Some(text) = config {
            std::fs::write(&config_path, text).unwrap();
        }
        let db = dir.path().join("data").join("history.db");
        let mut options = ServerOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            token: TOKEN.into(),
            allow_hosts: Vec::new(),
            ui_dir: Some(write_ui(dir.path())),
            config_path: config_path.clone(),
            db_path: db.clone(),
            limits: server::Limits::default(),
        };
        tweak(&mut options);
        let server = Server::bind(options).await.unwrap();
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestServer {
            base: format!("http://{addr}"),
            addr,
            dir,
            config: config_path,
            db,
            client: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// `POST /api/<name>` with the token, as the page sends it.
    pub async fn call(&self, name: N, args: Value) -> Response {
        self.client
            .post(self.url(&format!("/api/{name}")))
            .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(CONTENT_TYPE, "application/json")
            .body(args.to_string())
            .send()
            .await
            .unwrap()
    }

    /// A command that must succeed; its JSON result.
    pub async fn ok(&self, name: N, args: Value) -> Value {
        let r = self.call(name, args).await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        body
    }

    pub async fn json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.json().await.unwrap()
    }

    /// The live stream, as the page opens it.
    pub async fn events(&self) -> Sse {
        let r = self.get("/api/events").await;
        assert_eq!(r.status(), StatusCode::OK);
        Sse::new(r)
    }

    /// Waits until `pred` holds for `get_state`, or fails after `within`.
    pub async fn wait_state(&self, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_json(&format!("/api/{}", N::GetState), within, pred)
            .await
    }

    /// Waits until `pred` holds for what `GET path` answers, or fails after `within`.
    pub async fn wait_json(
        &self,
        path: &str,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let value = self.json(path).await;
            if pred(&value) {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} never matched: {value}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops as Ctrl-C would, and waits for the clean stop.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("server stops within 10 s")
                .unwrap()
                .unwrap();
        }
    }
}

/// A small built UI: an index page and a hashed asset.
fn write_ui(dir: &Path) -> PathBuf {
    let ui = dir.join("ui");
    std::fs::create_dir_all(ui.join("assets")).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>UI</title>").unwrap();
    std::fs::write(ui.join("assets/app-1a2b3c.js"), "console.log('ui')").unwrap();
    std::fs::write(dir.join("secret.txt"), "outside the UI").unwrap();
    ui
}

/// A server-sent events reader.
pub struct Sse {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: String,
}

/// One event: its `event:` name and `data:`.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap()
    }
}

impl Sse {
    fn new(r: Response) -> Sse {
        Sse {
            body: Box::pin(r.bytes_stream()),
            buf: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` when the stream ends.
    pub async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = SseEvent {
                    event: "message".into(),
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event.event = v.trim().to_string();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        if !event.data.is_empty() {
                            event.data.push('\n');
                        }
                        event.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                        any = true;
                    }
                }
                if any {
                    return Some(event);
                }
                continue;
            }
            let chunk = self.body.next().await?.ok()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event that `pred` accepts, within `within`.
    pub async fn until(&mut self, within: Duration, pred: impl Fn(&SseEvent) -> bool) -> SseEvent {
        tokio::time::timeout(within, async {
            loop {
                let e = self.next().await.expect("stream ended");
                if pred(&e) {
                    return e;
                }
            }
        })
        .await
        .expect("no such event in time")
    }
}

/// One sample of an exposition: metric name, labels, value.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    /// Whether every one of `want` is among the labels.
    pub fn has(&self, want: &[(&str, &str)]) -> bool {
        want.iter()
            .all(|(k, v)| self.labels.iter().any(|(lk, lv)| lk == k && lv == v))
    }
}

fn name_ok(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `{a="x",b="y"} 1` → the labels, and what follows the closing brace. Label values must be
/// escaped as the format says (`\\`, `\"`, `\n` only).
fn parse_labels(text: &str, at: &str) -> (Vec<(String, String)>, String) {
    let mut labels = Vec::new();
    let mut rest = text.strip_prefix('{').unwrap_or_else(|| panic!("{at}"));
    loop {
        let (name, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("{at}: label"));
        assert!(name_ok(name), "{at}: label name {name:?}");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars
                .next()
                .unwrap_or_else(|| panic!("{at}: unterminated value"))
            {
                (_, '\\') => match chars.next().unwrap_or_else(|| panic!("{at}")).1 {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    other => panic!("{at}: bad escape \\{other}"),
                },
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        labels.push((name.to_string(), value));
        rest = &after[end + 1..];
        if let Some(more) = rest.strip_prefix(',') {
            rest = more;
        } else if let Some(done) = rest.strip_prefix('}') {
            return (labels, done.to_string());
        } else {
            panic!("{at}: expected , or }} after a label");
        }
    }
}

/// Checks Prometheus text exposition format line by line: HELP and TYPE before a family's
/// samples, families not interleaved, metric and label names well formed, label values escaped,
/// values numbers; a histogram's samples are its `_bucket` (with `le`), `_sum` and `_count`.
pub fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut typed: Vec<String> = Vec::new();
    let mut helped: Vec<String> = Vec::new();
    // The family samples belong to now, and its type.
    let mut current: Option<(String, String)> = None;
    assert!(text.ends_with('\n'), "exposition must end with a newline");
    for (n, line) in text.lines().enumerate() {
        let at = format!("line {}: {line:?}", n + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect(&at);
            assert!(name_ok(name) && !help.is_empty(), "{at}");
            assert!(!helped.contains(&name.to_string()), "{at}: second HELP");
            helped.push(name.into());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect(&at);
            assert!(name_ok(name), "{at}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{at}"
            );
            assert!(!typed.contains(&name.to_string()), "{at}: second TYPE");
            typed.push(name.into());
            current = Some((name.into(), kind.into()));
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let split = line
            .find(['{', ' '])
            .unwrap_or_else(|| panic!("{at}: no value"));
        let (name, rest) = line.split_at(split);
        assert!(name_ok(name), "{at}: metric name");
        let (family, kind) = current
            .as_ref()
            .unwrap_or_else(|| panic!("{at}: sample before any TYPE"));
        let suffix = name.strip_prefix(family.as_str());
        let allowed: &[&str] = match kind.as_str() {
            "histogram" => &["_bucket", "_sum", "_count"],
            "summary" => &["", "_sum", "_count"],
            _ => &[""],
        };
        assert!(
            suffix.is_some_and(|s| allowed.contains(&s)),
            "{at}: sample outside its family {family} ({kind})"
        );
        let (labels, rest) = if rest.starts_with('{') {
            parse_labels(rest, &at)
        } else {
            (Vec::new(), rest.to_string())
        };
        if suffix == Some("_bucket") {
            assert!(
                labels.iter().any(|(k, _)| k == "le"),
                "{at}: bucket without le"
            );
        }
        let value_text = rest.strip_prefix(' ').expect(&at);
        let value_text = value_text.split(' ').next().expect(&at);
        let value: f64 = match value_text {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().unwrap_or_else(|_| panic!("{at}: value")),
        };
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    assert_eq!(typed, helped, "every family has HELP and TYPE");
    samples
}
