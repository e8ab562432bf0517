//! Just enough W3C WebDriver to drive the app's window: a WebKitWebDriver of its own for each
//! window, attached to the window's remote inspector once it is open (`--target`), so the test
//! reaches the window the way the app made it rather than a browser the driver launched.

use crate::session::Session;
use serde_json::{json, Value};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use tokio::runtime::Handle;

pub struct WebDriver {
    base: String,
    session: String,
    client: reqwest::Client,
    rt: Handle,
    driver: Child,
}

impl WebDriver {
    /// A session on the window whose inspector listens at `inspector`, through a WebKitWebDriver
    /// at `port`.
    pub fn attach(session: &Session, rt: &Handle, inspector: u16, port: u16) -> WebDriver {
        let log =
            std::fs::File::create(session.dir.join(format!("webdriver-{port}.log"))).expect("log");
        let driver = session
            .command("WebKitWebDriver")
            .args([
                format!("--port={port}"),
                format!("--target=127.0.0.1:{inspector}"),
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("WebKitWebDriver (the webkit2gtk-driver package)");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let caps = json!({ "capabilities": { "alwaysMatch": {} } });
        let started = Instant::now();
        let session = loop {
            let attempt = rt.block_on(async {
                client
                    .post(format!("{base}/session"))
                    .json(&caps)
                    .send()
                    .await?
                    .json::<Value>()
                    .await
            });
            let id = attempt
                .as_ref()
                .ok()
                .and_then(|v| v["value"]["sessionId"].as_str().map(str::to_string));
            match id {
                Some(id) => break id,
                None if started.elapsed() < Duration::from_secs(20) => {
                    std::thread::sleep(Duration::from_millis(250));
                }
                None => panic!("no WebDriver session on the window: {attempt:?}"),
            }
        };
        WebDriver {
            base,
            session,
            client,
            rt: rt.clone(),
            driver,
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.client.request(method, url);
        let request = match body {
            Some(b) => request.json(&b),
            None => request,
        };
        let value: Value = self
            .rt
            .block_on(async { request.send().await?.json::<Value>().await })
            .unwrap_or_else(|e| panic!("WebDriver {path}: {e}"));
        value["value"].clone()
    }

    /// Runs a script in the page and returns its result.
    pub fn execute(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Runs `script` until it returns something truthy.
    pub fn wait_until(&self, what: &str, timeout: Duration, script: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.execute(script);
            let truthy = match &v {
                Value::Null | Value::Bool(false) => false,
                Value::Object(o) if o.contains_key("error") => false,
                Value::Array(a) => !a.is_empty(),
                _ => true,
            };
            if truthy {
                return v;
            }
            assert!(
                start.elapsed() < timeout,
                "{what}: not true within {timeout:?} (last: {v})"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn end(self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self
            .rt
            .block_on(async { self.client.delete(url).send().await });
    }
}

/// The driver ends with its session, a failed test's too.
impl Drop for WebDriver {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
