//! Response bodies shared by every flavor: paced streams, and the body-level
//! faults (trickle, cut, huge, garbage), which do not depend on the provider.

use std::convert::Infallible;
use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use serde_json::Value;

pub(crate) const JSON: &str = "application/json";
pub(crate) const SSE: &str = "text/event-stream; charset=utf-8";
pub(crate) const NDJSON: &str = "application/x-ndjson";

/// Our own bodies are small; this only guards against a runaway test upload.
const COLLECT_LIMIT: usize = 64 * 1024 * 1024;

pub(crate) fn json(status: StatusCode, value: &Value) -> Response {
    json_typed(status, JSON, value)
}

pub(crate) fn json_typed(
    status: StatusCode,
    content_type: &'static str,
    value: &Value,
) -> Response {
    (status, [(CONTENT_TYPE, content_type)], value.to_string()).into_response()
}

/// Exactly this status and body, labelled JSON whatever it holds.
pub(crate) fn reply(status: u16, body: Bytes) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(CONTENT_TYPE, JSON)], body).into_response()
}

pub(crate) fn sse_data(value: &Value) -> String {
    format!("data: {value}\n\n")
}

pub(crate) fn sse_event(name: &str, value: &Value) -> String {
    format!("event: {name}\ndata: {value}\n\n")
}

/// A 200 whose chunks arrive `gap` apart, the way tokens do, so that a
/// monitor's time-to-first-token differs from its total time.
pub(crate) fn paced(chunks: Vec<String>, gap: Duration, content_type: &'static str) -> Response {
    let stream = stream::iter(chunks.into_iter().enumerate()).then(move |(i, chunk)| async move {
        if i > 0 {
            tokio::time::sleep(gap).await;
        }
        Ok::<_, Infallible>(Bytes::from(chunk))
    });
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn collect(resp: Response) -> (axum::http::response::Parts, Bytes) {
    let (mut parts, body) = resp.into_parts();
    // The length changes or becomes unknown once we reshape the body.
    parts.headers.remove(CONTENT_LENGTH);
    let bytes = axum::body::to_bytes(body, COLLECT_LIMIT)
        .await
        .unwrap_or_default();
    (parts, bytes)
}

/// Headers at once, then one byte per `every`; once the real body is used up
/// the stream stays open forever, so only the client's timeout ends it.
pub(crate) async fn trickle(resp: Response, every: Duration) -> Response {
    let (parts, bytes) = collect(resp).await;
    let stream = stream::unfold(0usize, move |i| {
        let bytes = bytes.clone();
        async move {
            if i >= bytes.len() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(every).await;
            Some((Ok::<_, Infallible>(bytes.slice(i..i + 1)), i + 1))
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Roughly the first half of the real body, cut after a line break so that
/// stream parsers see whole events, then the connection breaks.
pub(crate) async fn cut(resp: Response) -> Response {
    let (parts, bytes) = collect(resp).await;
    let half = bytes.len() / 2;
    let at = bytes[..half]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(half, |p| p + 1);
    let head = bytes.slice(..at);
    let stream = stream::iter([Some(head), None]).then(|chunk| async move {
        match chunk {
            Some(head) => Ok(head),
            None => {
                // Let hyper flush the head first: an error while bytes are
                // still buffered would drop them and look like a refused request.
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "fake-llm: stream cut by fault",
                ))
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// `n` bytes announced by Content-Length: a plausible start of a JSON list
/// followed by padding, produced lazily so large sizes cost no memory.
pub(crate) fn huge(n: usize) -> Response {
    const PREFIX: &[u8] = br#"{"object":"list","data":[{"id":""#;
    const CHUNK: usize = 64 * 1024;
    let first = PREFIX.len().min(n);
    let rest = n - first;
    let filler = Bytes::from(vec![b'x'; CHUNK]);
    let chunks = std::iter::once(Bytes::from_static(&PREFIX[..first]))
        .chain((0..rest.div_ceil(CHUNK)).map(move |i| filler.slice(..CHUNK.min(rest - i * CHUNK))));
    (
        [
            (CONTENT_TYPE, JSON.to_owned()),
            (CONTENT_LENGTH, n.to_string()),
        ],
        Body::from_stream(stream::iter(chunks.map(Ok::<_, Infallible>))),
    )
        .into_response()
}

/// What a captive portal or a misrouted proxy sends: a 200 that claims JSON.
pub(crate) fn garbage() -> Response {
    (
        [(CONTENT_TYPE, JSON)],
        "<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head>\
         <body><form action=\"/login\">Please sign in.</form></body></html>\n",
    )
        .into_response()
}

pub(crate) fn redirect(location: &str) -> Response {
    (StatusCode::FOUND, [(LOCATION, location.to_owned())]).into_response()
}
