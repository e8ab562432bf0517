//! What each flavor supplies to the shared server: its routes, how it reads
//! credentials, its error bodies and the headers it puts on every response.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::Value;

use crate::state::AppState;

/// Who is asking, available to handlers and error builders alike; `seq`
/// numbers requests so that request ids are unique per server.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub seq: u64,
}

impl Ctx {
    pub fn new(parts: &Parts, seq: u64) -> Self {
        Ctx {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            seq,
        }
    }

    pub fn query_param(&self, name: &str) -> Option<String> {
        query_param(self.query.as_deref(), name)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .unwrap_or_else(|| Ctx::new(parts, 0)))
    }
}

/// The failures a flavor must be able to express in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// A status injected by `Fault::Status`.
    Status(u16),
    MissingKey,
    /// A wrong key; with `echo` the provider repeats it verbatim (a fault),
    /// otherwise it shows what the real provider shows (masked, or nothing).
    BadKey {
        presented: String,
        echo: bool,
    },
    RateLimited {
        retry_after_secs: u64,
    },
    Quota,
    ModelNotFound(String),
    /// The request itself is malformed (bad JSON, missing field).
    BadRequest(String),
    NoRoute,
    MethodNotAllowed,
}

/// Rate-limit state to advertise in a response's headers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Headroom {
    pub exhausted: bool,
    pub reset_secs: u64,
}

pub(crate) trait Provider: Send + Sync + 'static {
    fn routes(&self) -> Router<Arc<AppState>>;

    /// The credential a client presented where this provider looks for one.
    fn presented_key(&self, parts: &Parts) -> Option<String>;

    /// Checks made before routing: by default, the key when one is required.
    fn check(&self, parts: &Parts, expected: Option<&str>) -> Result<(), ApiError> {
        check_key(self.presented_key(parts), expected)
    }

    /// A refusal that comes from the server's state rather than the request (llama.cpp
    /// still loading its model), checked after `check` and before routing.
    fn gate(&self, _app: &AppState) -> Option<ApiError> {
        None
    }

    fn error(&self, ctx: &Ctx, err: &ApiError) -> Response;

    /// Headers the provider adds to every response, errors included.
    fn decorate(&self, _ctx: &Ctx, _headers: &mut HeaderMap, _headroom: Headroom) {}

    /// A provider-specific answer to `Fault::StreamError`; `None` means the
    /// generic one (the normal body cut half way).
    fn stream_error(&self, _ctx: &Ctx, _body: &[u8]) -> Option<Response> {
        None
    }
}

pub(crate) fn check_key(presented: Option<String>, expected: Option<&str>) -> Result<(), ApiError> {
    match (expected, presented) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(ApiError::MissingKey),
        (Some(want), Some(got)) if got == want => Ok(()),
        (Some(_), Some(presented)) => Err(ApiError::BadKey {
            presented,
            echo: false,
        }),
    }
}

/// An `Authorization: Bearer` token, empty counting as absent.
pub(crate) fn bearer(parts: &Parts) -> Option<String> {
    bearer_in(&parts.headers)
}

/// `bearer` for handlers, which see headers rather than the request's parts.
pub(crate) fn bearer_in(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

pub(crate) fn header_key(parts: &Parts, name: &str) -> Option<String> {
    let value = parts.headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Adds the flavor's answers for unknown paths and wrong methods.
pub(crate) fn finish(router: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    router
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn no_route(State(app): State<Arc<AppState>>, ctx: Ctx) -> Response {
    app.flavor.provider().error(&ctx, &ApiError::NoRoute)
}

async fn method_not_allowed(State(app): State<Arc<AppState>>, ctx: Ctx) -> Response {
    app.flavor
        .provider()
        .error(&ctx, &ApiError::MethodNotAllowed)
}

pub(crate) fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// "Service Unavailable" for 503 and so on; a fallback message for statuses a
/// provider has no specific words for.
pub(crate) fn reason(code: u16) -> &'static str {
    status(code).canonical_reason().unwrap_or("Unknown Error")
}

/// Parses a JSON request body, mapping failure to the flavor's 400.
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

/// An opaque, unique-looking id such as request ids and message ids use.
pub(crate) fn opaque_id(seq: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut x = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5851_f42d_4c95_7f2d;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(ALPHABET[(x % ALPHABET.len() as u64) as usize])
        })
        .collect()
}

/// A UUID-shaped request id, unique per request like `opaque_id`.
pub(crate) fn request_uuid(seq: u64) -> String {
    let hex = opaque_id(seq, 32)
        .bytes()
        .map(|b| char::from(b"0123456789abcdef"[usize::from(b % 16)]))
        .collect::<String>();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// One percent-decoded query parameter.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    let uri: axum::http::Uri = format!("/?{}", query?).parse().ok()?;
    let Query(map) = Query::<std::collections::HashMap<String, String>>::try_from_uri(&uri).ok()?;
    map.get(name).cloned()
}

/// Sets a header, skipping values that are not valid header text.
pub(crate) fn set_header(headers: &mut HeaderMap, name: &str, value: impl AsRef<str>) {
    if let (Ok(n), Ok(v)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value.as_ref()),
    ) {
        headers.insert(n, v);
    }
}

/// A key as OpenAI shows it back: the first three and last four characters.
pub(crate) fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// Go's `time.Duration` text (`12ms`, `6m0s`, `1h2m3s`), which OpenAI uses
/// for its rate-limit reset headers.
pub(crate) fn go_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}
