//! Just enough W3C WebDriver to drive the app's window through `tauri-driver` (which runs
//! WebKitWebDriver and starts the app binary itself).

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::runtime::Handle;

pub struct WebDriver {
    base: String,
    session: String,
    client: reqwest::Client,
    rt: Handle,
}

impl WebDriver {
    /// Starts the application through the driver at `base` (e.g. http://127.0.0.1:4444).
    pub fn launch(rt: &Handle, base: &str, application: &str, args: &[String]) -> WebDriver {
        let client = reqwest::Client::new();
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": { "application": application, "args": args }
                }
            }
        });
        let started = Instant::now();
        let response: Value = loop {
            let attempt = rt.block_on(async {
                client
                    .post(format!("{base}/session"))
                    .json(&caps)
                    .send()
                    .await?
                    .json::<Value>()
                    .await
            });
            match attempt {
                Ok(v) => break v,
                Err(err) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = err;
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(err) => panic!("tauri-driver did not answer: {err}"),
            }
        };
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {response}"))
            .to_string();
        WebDriver {
            base: base.to_string(),
            session,
            client,
            rt: rt.clone(),
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

    /// Switches to the app's window of the moment: the app creates its window each time it is
    /// opened (and destroys it when closed), so after a reopening the session has a new one.
    pub fn follow_window(&self, timeout: Duration) {
        let start = Instant::now();
        loop {
            if let Some(handle) = self
                .call(reqwest::Method::GET, "/window/handles", None)
                .as_array()
                .and_then(|handles| handles.last())
                .and_then(Value::as_str)
            {
                self.call(
                    reqwest::Method::POST,
                    "/window",
                    Some(json!({ "handle": handle })),
                );
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "no window to attach to within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
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
