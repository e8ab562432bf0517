//! Real HTTP receivers of notices, for tests of alert channels: a plain webhook, an ntfy server,
//! a Slack and a Discord incoming webhook, each answering as the real one does (ntfy its message
//! JSON, Slack `ok`, Discord `204 No Content`), with the same scripted faults as the fake LLM
//! servers and a record of every request.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use fake_llm::{Fault, Receiver, Shape};
//! let hook = Receiver::start(Shape::Webhook).await?;
//! hook.push_faults([Fault::Status(500), Fault::Status(500)]);
//! // ... point a channel at hook.url() ...
//! let got = hook.wait_for(3, Duration::from_secs(5)).await;
//! assert_eq!(got.len(), 3);
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::server::{serve_connections, Dropped};
use crate::{body, Fault, RecordedRequest};

/// Request bodies beyond this are refused by closing the connection.
const MAX_REQUEST_BODY: usize = 8 * 1024 * 1024;

/// Which service a receiver answers like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Any `POST`: `200` with `{"ok": true}`.
    Webhook,
    /// ntfy (`POST`/`PUT /<topic>`): `200` with the published message as ntfy's JSON.
    Ntfy,
    /// A Slack incoming webhook: JSON with a `text` gets `200 ok`, anything else
    /// `400 invalid_payload`.
    Slack,
    /// A Discord webhook: JSON with a `content` of 1 to 2000 characters gets `204`, anything
    /// else Discord's `400` error.
    Discord,
}

/// A shape named on a command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown receiver shape {0:?}: say webhook, ntfy, slack or discord")]
pub struct UnknownShape(pub String);

impl std::str::FromStr for Shape {
    type Err = UnknownShape;

    fn from_str(s: &str) -> Result<Shape, UnknownShape> {
        match s.trim().to_ascii_lowercase().as_str() {
            "webhook" => Ok(Shape::Webhook),
            "ntfy" => Ok(Shape::Ntfy),
            "slack" => Ok(Shape::Slack),
            "discord" => Ok(Shape::Discord),
            _ => Err(UnknownShape(s.to_string())),
        }
    }
}

/// A running receiver. Dropping it stops it; `shutdown` also waits.
pub struct Receiver {
    state: Arc<State>,
    addr: SocketAddr,
    task: Option<JoinHandle<()>>,
}

struct State {
    shape: Shape,
    inner: Mutex<Inner>,
    /// How many requests have been recorded; waiters watch it.
    count: watch::Sender<usize>,
    seq: AtomicU64,
}

#[derive(Default)]
struct Inner {
    standing: Fault,
    queue: VecDeque<Fault>,
    token: Option<String>,
    requests: Vec<RecordedRequest>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not make the receiver unusable for the rest of a test.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Receiver {
    /// Starts on 127.0.0.1 with a port chosen by the system.
    pub async fn start(shape: Shape) -> std::io::Result<Receiver> {
        Self::start_on(shape, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    pub async fn start_on(shape: Shape, addr: SocketAddr) -> std::io::Result<Receiver> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            shape,
            inner: Mutex::new(Inner::default()),
            count: watch::Sender::new(0),
            seq: AtomicU64::new(1),
        });
        let task = tokio::spawn(run(listener, Arc::clone(&state)));
        Ok(Receiver {
            state,
            addr,
            task: Some(task),
        })
    }

    pub fn shape(&self) -> Shape {
        self.state.shape
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server root, e.g. `http://127.0.0.1:9000`; any path is accepted.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The fault applied to every request until changed (after queued ones).
    pub fn set_fault(&self, fault: Fault) {
        self.state.lock().standing = fault;
    }

    /// Faults consumed one per request, before the standing fault applies again.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.lock().queue.extend(faults);
    }

    /// The first `n` requests from now answer `status` (e.g. 500); then normal answers.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.push_faults(std::iter::repeat_n(Fault::Status(status), n));
    }

    /// Standing fault back to `Fault::None`, queue emptied.
    pub fn clear_faults(&self) {
        let mut inner = self.state.lock();
        inner.standing = Fault::None;
        inner.queue.clear();
    }

    /// When `Some`, requests must carry `Authorization: Bearer <token>`: without one they get
    /// `403` (ntfy's answer for a protected topic) or `401`, with a wrong one `401`.
    pub fn require_token(&self, token: Option<&str>) {
        self.state.lock().token = token.map(str::to_owned);
    }

    /// Every request received, in order, faulted ones included.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.state.lock().requests.clear();
        self.state.count.send_replace(0);
    }

    /// Waits until at least `count` requests were received or `within` has passed, and returns
    /// every request received by then (check its length).
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<RecordedRequest> {
        let mut seen = self.state.count.subscribe();
        let _ = tokio::time::timeout(within, seen.wait_for(|n| *n >= count)).await;
        self.requests()
    }

    /// Stops accepting, drops every open connection, and waits for that.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// One request as a JSON object (`method`, `path`, `query`, `headers` as `[name, value]` pairs,
/// `body`, and `json` when the body parses), e.g. for printing as one line.
pub fn request_json(request: &RecordedRequest) -> Value {
    json!({
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "headers": request.headers,
        "body": request.body,
        "json": request.json(),
    })
}

async fn run(listener: TcpListener, state: Arc<State>) {
    serve_connections(listener, move |stream| {
        let state = Arc::clone(&state);
        let svc = service_fn(move |req| handle(Arc::clone(&state), req));
        async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        }
    })
    .await
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response, Dropped> {
    let (parts, incoming) = req.into_parts();
    let bytes = axum::body::to_bytes(Body::new(incoming), MAX_REQUEST_BODY)
        .await
        .map_err(|_| Dropped)?;
    let request = RecordedRequest::from_parts(&parts, &bytes);
    let (fault, token) = {
        let mut inner = state.lock();
        inner.requests.push(request.clone());
        let fault = inner
            .queue
            .pop_front()
            .unwrap_or_else(|| inner.standing.clone());
        (fault, inner.token.clone())
    };
    state.count.send_modify(|n| *n += 1);
    let seq = state.seq.fetch_add(1, Ordering::Relaxed);
    let normal = || answer(state.shape, &parts, &request, token.as_deref(), seq);

    Ok(match fault {
        Fault::None => normal(),
        Fault::Latency(delay) => {
            tokio::time::sleep(delay).await;
            normal()
        }
        Fault::Status(code) => error(state.shape, status(code), "scripted failure"),
        Fault::RateLimited { retry_after_secs } => {
            let mut resp = rate_limited(state.shape, retry_after_secs);
            resp.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            resp
        }
        Fault::InsufficientQuota => rate_limited(state.shape, 0),
        Fault::BadKeyEcho => {
            let presented = request.header("authorization").unwrap_or_default();
            error(
                state.shape,
                StatusCode::UNAUTHORIZED,
                &format!("invalid token {presented}"),
            )
        }
        Fault::Hang => std::future::pending().await,
        Fault::SlowBody { every } => body::trickle(normal(), every).await,
        Fault::Garbage => body::garbage(),
        Fault::HugeBody(n) => body::huge(n),
        Fault::Drop => return Err(Dropped),
        Fault::Redirect(location) => body::redirect(&location),
        Fault::Reply { status, body } => body::reply(status, body),
        Fault::StreamError => body::cut(normal()).await,
    })
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The answer without faults, in the shape's words.
fn answer(
    shape: Shape,
    parts: &Parts,
    request: &RecordedRequest,
    token: Option<&str>,
    seq: u64,
) -> Response {
    let allowed = match shape {
        Shape::Ntfy => parts.method == Method::POST || parts.method == Method::PUT,
        _ => parts.method == Method::POST,
    };
    if !allowed {
        return error(shape, StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    }
    if let Some(token) = token {
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match presented.and_then(|v| v.strip_prefix("Bearer ")) {
            Some(given) if given == token => {}
            Some(_) => return error(shape, StatusCode::UNAUTHORIZED, "unauthorized"),
            None if shape == Shape::Ntfy => {
                return error(shape, StatusCode::FORBIDDEN, "forbidden")
            }
            None => return error(shape, StatusCode::UNAUTHORIZED, "unauthorized"),
        }
    }
    match shape {
        Shape::Webhook => body::json(StatusCode::OK, &json!({"ok": true})),
        Shape::Ntfy => ntfy_message(parts, request, seq),
        Shape::Slack => {
            let text = request.json().and_then(|v| match v.get("text") {
                Some(Value::String(text)) if !text.is_empty() => Some(()),
                _ => None,
            });
            match text {
                Some(()) => plain(StatusCode::OK, "ok"),
                None => plain(StatusCode::BAD_REQUEST, "invalid_payload"),
            }
        }
        Shape::Discord => {
            let content = request
                .json()
                .and_then(|v| v.get("content").and_then(Value::as_str).map(str::to_owned));
            match content {
                Some(c) if c.chars().count() > 2000 => body::json(
                    StatusCode::BAD_REQUEST,
                    &json!({
                        "message": "Invalid Form Body",
                        "code": 50035,
                        "errors": {"content": {"_errors": [{
                            "code": "BASE_TYPE_MAX_LENGTH",
                            "message": "Must be 2000 or fewer in length."
                        }]}}
                    }),
                ),
                Some(c) if !c.trim().is_empty() => StatusCode::NO_CONTENT.into_response(),
                _ => body::json(
                    StatusCode::BAD_REQUEST,
                    &json!({"message": "Cannot send an empty message", "code": 50006}),
                ),
            }
        }
    }
}

/// What ntfy answers a publish with: the message as it stored it.
fn ntfy_message(parts: &Parts, request: &RecordedRequest, seq: u64) -> Response {
    let topic = parts.uri.path().trim_matches('/').rsplit('/').next();
    let topic = topic.unwrap_or_default();
    if topic.is_empty() {
        return error(Shape::Ntfy, StatusCode::NOT_FOUND, "page not found");
    }
    let header = |names: [&str; 2]| names.iter().find_map(|n| request.header(n));
    let now = chrono::Utc::now().timestamp();
    let mut message = json!({
        "id": format!("fake{seq:08}"),
        "time": now,
        "expires": now + 43_200,
        "event": "message",
        "topic": topic,
        "message": request.body,
    });
    if let Some(title) = header(["title", "x-title"]) {
        message["title"] = json!(title);
    }
    if let Some(priority) = header(["priority", "x-priority"]).and_then(|p| p.parse::<u8>().ok()) {
        message["priority"] = json!(priority);
    }
    if let Some(tags) = header(["tags", "x-tags"]) {
        let tags: Vec<&str> = tags.split(',').map(str::trim).collect();
        message["tags"] = json!(tags);
    }
    body::json(StatusCode::OK, &message)
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut resp = (status, text).into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}

/// An error in the shape's words.
fn error(shape: Shape, status: StatusCode, words: &str) -> Response {
    match shape {
        Shape::Webhook => body::json(status, &json!({"error": words})),
        Shape::Ntfy => body::json(
            status,
            &json!({
                "code": u32::from(status.as_u16()) * 100 + 1,
                "http": status.as_u16(),
                "error": words,
            }),
        ),
        Shape::Slack => (status, words.to_string()).into_response(),
        Shape::Discord => body::json(status, &json!({"message": words, "code": 0})),
    }
}

fn rate_limited(shape: Shape, retry_after_secs: u64) -> Response {
    let status = StatusCode::TOO_MANY_REQUESTS;
    match shape {
        Shape::Discord => body::json(
            status,
            &json!({
                "message": "You are being rate limited.",
                "retry_after": retry_after_secs as f64,
                "global": false
            }),
        ),
        Shape::Ntfy => error(shape, status, "limit reached: too many requests"),
        Shape::Slack => (status, "rate_limited").into_response(),
        Shape::Webhook => error(shape, status, "too many requests"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn post(
        url: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String, Option<String>) {
        let client = reqwest::Client::new();
        let mut req = client.post(url).body(body.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, resp.text().await.expect("body"), retry_after)
    }

    #[tokio::test]
    async fn each_shape_answers_like_its_service() {
        let slack = Receiver::start(Shape::Slack).await.unwrap();
        let (status, text, _) = post(&slack.url(), &[], r#"{"text": "hi"}"#).await;
        assert_eq!((status, text.as_str()), (200, "ok"));
        let (status, text, _) = post(&slack.url(), &[], r#"{"blocks": 1}"#).await;
        assert_eq!((status, text.as_str()), (400, "invalid_payload"));

        let discord = Receiver::start(Shape::Discord).await.unwrap();
        let (status, _, _) = post(&discord.url(), &[], r#"{"content": "hi"}"#).await;
        assert_eq!(status, 204);
        let long = json!({ "content": "x".repeat(2001) }).to_string();
        assert_eq!(post(&discord.url(), &[], &long).await.0, 400);

        let ntfy = Receiver::start(Shape::Ntfy).await.unwrap();
        ntfy.require_token(Some("tk_1"));
        let (status, _, _) = post(&format!("{}/alerts", ntfy.url()), &[], "hello").await;
        assert_eq!(status, 403, "no token");
        let auth = [
            ("authorization", "Bearer tk_1"),
            ("title", "Hi"),
            ("tags", "a,b"),
        ];
        let (status, text, _) = post(&format!("{}/alerts", ntfy.url()), &auth, "hello").await;
        assert_eq!(status, 200);
        let message: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(message["topic"], "alerts");
        assert_eq!(message["message"], "hello");
        assert_eq!(message["title"], "Hi");
        assert_eq!(message["tags"], json!(["a", "b"]));
        assert_eq!(ntfy.requests().len(), 2);
    }

    #[tokio::test]
    async fn scripted_failures_come_first_and_are_recorded() {
        let hook = Receiver::start(Shape::Webhook).await.unwrap();
        hook.fail_next(2, 500);
        hook.push_faults([Fault::RateLimited {
            retry_after_secs: 7,
        }]);
        let mut answers = Vec::new();
        for i in 0..4 {
            let (status, _, retry_after) = post(&hook.url(), &[], &i.to_string()).await;
            answers.push((status, retry_after));
        }
        assert_eq!(
            answers,
            [
                (500, None),
                (500, None),
                (429, Some("7".into())),
                (200, None)
            ]
        );
        let got = hook.wait_for(4, Duration::from_secs(5)).await;
        let bodies: Vec<&str> = got.iter().map(|r| r.body.as_str()).collect();
        assert_eq!(bodies, ["0", "1", "2", "3"]);
        assert_eq!(request_json(&got[3])["method"], "POST");
        // Waiting for more than came returns what came, at the deadline.
        assert_eq!(hook.wait_for(5, Duration::from_millis(50)).await.len(), 4);
    }

    #[test]
    fn shapes_are_named_on_a_command_line() {
        assert_eq!("ntfy".parse(), Ok(Shape::Ntfy));
        assert_eq!(" Discord ".parse(), Ok(Shape::Discord));
        assert!("teams".parse::<Shape>().is_err());
    }
}
