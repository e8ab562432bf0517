use std::time::Duration;

use fake_llm::{FakeServer, Flavor};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

pub async fn start(flavor: Flavor) -> FakeServer {
    FakeServer::start(flavor).await.expect("bind fake server")
}

pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `data:` payloads of an SSE body, in order.
    pub fn sse_data(&self) -> Vec<String> {
        self.text
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .map(|l| l.trim_end_matches('\r').to_owned())
            .collect()
    }

    /// The parsed `data:` payloads of an SSE body, checking the content type;
    /// a final OpenAI-style `[DONE]` is checked and dropped when `done`.
    pub fn sse_json(&self, done: bool) -> Vec<Value> {
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("text/event-stream")),
            "not SSE: {:?}",
            self.header("content-type")
        );
        let mut data = self.sse_data();
        if done {
            assert_eq!(data.pop().as_deref(), Some("[DONE]"));
        }
        data.iter()
            .map(|d| serde_json::from_str(d).unwrap_or_else(|e| panic!("{e}: {d}")))
            .collect()
    }

    /// `event:` names of an SSE body, in order.
    pub fn sse_events(&self) -> Vec<String> {
        self.text
            .lines()
            .filter_map(|l| l.strip_prefix("event: "))
            .map(str::to_owned)
            .collect()
    }
}

pub async fn send(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Reply {
    let mut req = client().request(method, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    Reply {
        status,
        headers,
        text,
    }
}

pub async fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    send(Method::GET, url, headers, None).await
}

pub async fn post(url: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
    send(Method::POST, url, headers, Some(body)).await
}

/// Headers that make a request acceptable to the flavor when `key` is set.
pub fn auth(flavor: Flavor, key: &'static str) -> Vec<(&'static str, String)> {
    match flavor {
        Flavor::Anthropic => vec![
            ("x-api-key", key.to_owned()),
            ("anthropic-version", "2023-06-01".to_owned()),
        ],
        Flavor::Gemini => vec![("x-goog-api-key", key.to_owned())],
        Flavor::Azure => vec![("api-key", key.to_owned())],
        _ => vec![("authorization", format!("Bearer {key}"))],
    }
}

/// The cheapest listing each flavor offers: what a monitor's default probe hits.
pub fn list_path(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Ollama => "/api/tags",
        Flavor::Lmstudio => "/api/v0/models",
        Flavor::Openai | Flavor::Anthropic | Flavor::Llamacpp | Flavor::Vllm => "/v1/models",
        Flavor::Gemini => "/v1beta/models",
        Flavor::Azure => "/openai/models?api-version=2024-10-21",
        Flavor::Openrouter => "/api/v1/models",
        Flavor::Deepseek => "/models",
        Flavor::Statuspage | Flavor::Incidentio => "/api/v2/status.json",
    }
}

pub fn borrow<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
