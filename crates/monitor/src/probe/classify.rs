//! Turns what came back (an HTTP reply, a transport error) into exactly one class, following each
//! provider's documented error shapes, and reads the free information in headers (rate-limit
//! headroom, Retry-After).

use super::http::LookupFailed;
use crate::domain::{Class, Kind, RateLimit};
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde_json::Value;

/// Why a probe did not succeed, before it becomes an `Outcome`.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub class: Class,
    pub http_status: Option<u16>,
    pub message: String,
    pub retry_after_ms: Option<u64>,
    /// Boxed: failures travel through every `?` in the probes and should stay small.
    pub rate_limit: Option<Box<RateLimit>>,
}

impl Failure {
    pub fn new(class: Class, message: impl Into<String>) -> Self {
        Failure {
            class,
            http_status: None,
            message: message.into(),
            retry_after_ms: None,
            rate_limit: None,
        }
    }

    pub fn bad_response(message: impl Into<String>) -> Self {
        Failure::new(Class::BadResponse, message)
    }
}

/// Longest provider message kept; the rest is noise in a tray menu.
const MESSAGE_MAX: usize = 240;

/// Classifies a non-success HTTP reply.
pub fn http_failure(
    kind: Kind,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Failure {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let detail = json.as_ref().and_then(error_message).unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.is_empty() || text.starts_with('<') {
            String::new()
        } else {
            text.to_string()
        }
    });
    let codes = json.as_ref().map(error_codes).unwrap_or_default();
    let has = |needle: &str| codes.iter().any(|c| c.eq_ignore_ascii_case(needle));

    let class = match status {
        300..=399 => Class::BadResponse,
        400 if has("API_KEY_INVALID") || has("authentication_error") => Class::Auth,
        400 if kind == Kind::Anthropic && detail.to_lowercase().contains("credit balance") => {
            Class::Quota
        }
        400 if kind == Kind::Lmstudio && detail.contains("No models loaded") => Class::NotFound,
        // OpenAI's code for a model that does not exist; some compatible servers send it
        // with a 400 rather than a 404.
        400 if has("model_not_found") => Class::NotFound,
        401 | 403 => Class::Auth,
        402 => Class::Quota,
        404 => Class::NotFound,
        408 | 504 => Class::Timeout,
        429 if has("insufficient_quota") || has("billing_hard_limit_reached") => Class::Quota,
        // Gemini says RESOURCE_EXHAUSTED for both; a per-day quota only resets at midnight
        // (Pacific), so retrying in seconds does not help: that is quota, not a rate limit.
        429 if json.as_ref().is_some_and(daily_quota_exhausted) => Class::Quota,
        429 => Class::RateLimited,
        503 | 529 => Class::Overloaded,
        500..=599 => Class::ServerError,
        _ => Class::BadResponse,
    };
    let head = match status {
        300..=399 => match headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
        {
            Some(loc) => format!(
                "HTTP {status}: redirected to {} (not followed with credentials)",
                redirect_host(loc)
            ),
            None => format!("HTTP {status}: redirect without a location"),
        },
        _ => format!("HTTP {status}"),
    };
    let message = if detail.is_empty() {
        head
    } else {
        format!("{head}: {}", truncate(&detail, MESSAGE_MAX))
    };
    Failure {
        class,
        http_status: Some(status),
        message,
        retry_after_ms: retry_after_ms(headers, now),
        rate_limit: rate_limit(headers, now).map(Box::new),
    }
}

/// Classifies an error that arrived inside a 200 stream (Anthropic `event: error`, an OpenAI or
/// Gemini chunk with `error`), as the same error would be classified as a status code.
pub fn stream_error(kind: Kind, event: &Value) -> Failure {
    let error = event.get("error").unwrap_or(event);
    let equivalent = error
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c))
        .unwrap_or_else(
            || match error.get("type").and_then(Value::as_str).unwrap_or("") {
                "overloaded_error" => 529,
                "rate_limit_error" => 429,
                "authentication_error" => 401,
                "permission_error" => 403,
                "not_found_error" => 404,
                "invalid_request_error" => 400,
                "request_too_large" => 413,
                "insufficient_quota" => 429,
                _ => 500,
            },
        );
    let body = event.to_string();
    let failure = http_failure(
        kind,
        equivalent,
        &HeaderMap::new(),
        body.as_bytes(),
        Utc::now(),
    );
    Failure {
        http_status: Some(200),
        message: format!(
            "error inside the stream: {}",
            failure
                .message
                .strip_prefix(&format!("HTTP {equivalent}: "))
                .unwrap_or(&failure.message)
        ),
        ..failure
    }
}

fn redirect_host(location: &str) -> String {
    url::Url::parse(location)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "another location".into())
}

/// Classifies a failure below HTTP: refused, reset, DNS, TLS, timeout.
///
/// Read from the types in the error's chain, never from its text: reqwest's text holds the URL,
/// and a refused connection to `/v1/tls-proxy/` is not a TLS failure, nor is `/resolve/` a
/// failed name lookup. Messages are built from the inner errors only (the OS's, hyper's,
/// rustls's), which do not hold the URL.
pub fn transport_failure(err: &reqwest::Error) -> Failure {
    let chain = causes(err);
    let io_kind = |kinds: &[std::io::ErrorKind]| {
        chain.iter().any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| kinds.contains(&io.kind()))
        })
    };
    let tls = chain.iter().find_map(|e| e.downcast_ref::<rustls::Error>());
    let lookup = chain.iter().any(|e| e.is::<LookupFailed>());
    let detail = detail(&chain);
    let (class, message) = if err.is_timeout() || io_kind(&[std::io::ErrorKind::TimedOut]) {
        let what = if err.is_connect() {
            "connecting timed out"
        } else {
            "timed out"
        };
        (Class::Timeout, what.to_string())
    } else if let Some(tls) = tls {
        let why = if not_tls(tls) {
            "the server did not answer in TLS (is it plain HTTP? then use http://)".to_string()
        } else {
            truncate(&tls.to_string(), MESSAGE_MAX)
        };
        (Class::Tls, format!("TLS failed: {why}"))
    } else if lookup {
        (Class::Connect, format!("name lookup failed: {detail}"))
    } else if io_kind(&[std::io::ErrorKind::ConnectionRefused]) {
        (
            Class::Connect,
            "connection refused (is the server running?)".to_string(),
        )
    } else if err.is_connect() {
        (Class::Connect, format!("cannot connect: {detail}"))
    } else if err.is_builder() {
        (Class::Connect, format!("request not sent: {detail}"))
    } else if err.is_body() || err.is_decode() {
        (
            Class::BadResponse,
            format!("response body broken: {detail}"),
        )
    } else {
        // Closed or reset mid-request: the server went away.
        (Class::Connect, format!("connection dropped: {detail}"))
    };
    Failure::new(class, message)
}

/// Whether a failed request to an https URL may have met a server that speaks plain HTTP: the
/// TLS layer read bytes that are no TLS record, or the server closed the connection during the
/// handshake (what a plain-HTTP server does with a ClientHello it cannot parse). Only a sign:
/// the caller asks the server in plain HTTP before saying so.
pub(crate) fn maybe_plain_http(err: &reqwest::Error) -> bool {
    let chain = causes(err);
    let not_tls_bytes = chain
        .iter()
        .filter_map(|e| e.downcast_ref::<rustls::Error>())
        .any(not_tls);
    let closed_in_handshake = err.is_connect()
        && chain.iter().any(|e| {
            e.downcast_ref::<std::io::Error>().is_some_and(|io| {
                matches!(
                    io.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
                )
            })
        });
    not_tls_bytes || closed_in_handshake
}

/// A first record that is not TLS at all (an HTTP status line, say), rather than TLS gone wrong.
fn not_tls(err: &rustls::Error) -> bool {
    matches!(
        err,
        rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType
                | rustls::InvalidMessage::UnknownProtocolVersion
        ) | rustls::Error::PeerSentOversizedRecord
    )
}

/// Every error in the chain, outermost first, including what an `io::Error` wraps (its
/// `source()` skips the wrapped error itself and returns that error's source).
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    // Bounded: a chain is a handful deep; a cycle would otherwise never end.
    while let Some(e) = next.filter(|_| out.len() < 32) {
        out.push(e);
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    out
}

/// The root cause's text: the innermost error that is not reqwest's own (whose text names the
/// URL, "error sending request for url (...)").
fn detail(chain: &[&(dyn std::error::Error + 'static)]) -> String {
    chain
        .iter()
        .rev()
        .find(|e| !e.is::<reqwest::Error>())
        .map(|e| truncate(&e.to_string(), MESSAGE_MAX))
        .unwrap_or_else(|| "no further detail".to_string())
}

/// The human message in a provider's error body, whatever its shape:
/// OpenAI/Gemini/Azure `{"error":{"message"}}`, Anthropic `{"type":"error","error":{"message"}}`,
/// Ollama `{"error":"..."}`, others `{"message"}` or `{"detail"}`.
pub fn error_message(json: &Value) -> Option<String> {
    let pick = |v: &Value| v.as_str().map(str::to_string);
    match json.get("error") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(e) => e.get("message").and_then(pick),
        None => None,
    }
    .or_else(|| json.get("message").and_then(pick))
    .or_else(|| json.get("detail").and_then(pick))
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
}

/// Machine-readable codes in an error body: `error.type`, `error.code`, `error.status`, and
/// Gemini's `error.details[].reason`.
fn error_codes(json: &Value) -> Vec<String> {
    let mut codes = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(s) = v.and_then(Value::as_str) {
            codes.push(s.to_string());
        }
    };
    if let Some(e) = json.get("error") {
        push(e.get("type"));
        push(e.get("code"));
        push(e.get("status"));
        if let Some(details) = e.get("details").and_then(Value::as_array) {
            for d in details {
                push(d.get("reason"));
            }
        }
    }
    push(json.get("type"));
    push(json.get("code"));
    codes
}

/// Gemini's `error.details[].violations[].quotaId` names the exhausted quota, e.g.
/// `GenerateRequestsPerDayPerProjectPerModel-FreeTier`.
fn daily_quota_exhausted(json: &Value) -> bool {
    json.pointer("/error/details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("violations").and_then(Value::as_array))
        .flatten()
        .filter_map(|v| v.get("quotaId").and_then(Value::as_str))
        .any(|id| id.contains("PerDay"))
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let cut = (0..=max)
        .rev()
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}…", &s[..cut])
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// A number of a header, if it is one: "inf" and "NaN" parse as `f64` but are no answer.
fn finite(v: &str) -> Option<f64> {
    v.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `Retry-After` (seconds or an HTTP date) or Azure's `retry-after-ms`. Negative waits are no
/// wait; huge ones saturate (the scheduler caps them at `backoff_max`).
pub fn retry_after_ms(headers: &HeaderMap, now: DateTime<Utc>) -> Option<u64> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(finite) {
        return Some(ms.max(0.0) as u64);
    }
    let v = header(headers, "retry-after")?;
    if let Some(secs) = finite(v) {
        return Some((secs.max(0.0) * 1000.0) as u64);
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?;
    Some((at.with_timezone(&Utc) - now).num_milliseconds().max(0) as u64)
}

/// Rate-limit headroom: OpenAI/Groq `x-ratelimit-*` (resets as durations like `6m0s`) and
/// Anthropic `anthropic-ratelimit-*` (resets as RFC 3339 instants).
pub fn rate_limit(headers: &HeaderMap, now: DateTime<Utc>) -> Option<RateLimit> {
    // One pass over the headers instead of a lookup (name parsed, hashed) per name: this
    // runs on every successful probe.
    const NAMES: [&str; 12] = [
        "x-ratelimit-limit-requests",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-reset-requests",
        "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-tokens",
        "anthropic-ratelimit-requests-limit",
        "anthropic-ratelimit-requests-remaining",
        "anthropic-ratelimit-requests-reset",
        "anthropic-ratelimit-tokens-limit",
        "anthropic-ratelimit-tokens-remaining",
        "anthropic-ratelimit-tokens-reset",
    ];
    let mut found: [Option<Option<&str>>; 12] = [None; 12];
    for (name, value) in headers {
        let name = name.as_str();
        if !(name.starts_with("x-ratelimit-") || name.starts_with("anthropic-ratelimit-")) {
            continue;
        }
        // The first value of a name counts, as `HeaderMap::get` reads it.
        if let Some(slot) = NAMES.iter().position(|n| *n == name).map(|i| &mut found[i]) {
            slot.get_or_insert_with(|| value.to_str().ok().map(str::trim));
        }
    }
    let header = |_: &HeaderMap, name: &str| {
        NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(|i| found[i].flatten())
    };
    let num = |name: &str| header(headers, name).and_then(|v| v.parse::<u64>().ok());
    let mut rl = RateLimit {
        requests_limit: num("x-ratelimit-limit-requests"),
        requests_remaining: num("x-ratelimit-remaining-requests"),
        requests_reset_ms: header(headers, "x-ratelimit-reset-requests").and_then(go_duration_ms),
        tokens_limit: num("x-ratelimit-limit-tokens"),
        tokens_remaining: num("x-ratelimit-remaining-tokens"),
        tokens_reset_ms: header(headers, "x-ratelimit-reset-tokens").and_then(go_duration_ms),
    };
    let reset_at = |name: &str| {
        header(headers, name)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|at| (at.with_timezone(&Utc) - now).num_milliseconds().max(0) as u64)
    };
    rl.requests_limit = rl
        .requests_limit
        .or_else(|| num("anthropic-ratelimit-requests-limit"));
    rl.requests_remaining = rl
        .requests_remaining
        .or_else(|| num("anthropic-ratelimit-requests-remaining"));
    rl.requests_reset_ms = rl
        .requests_reset_ms
        .or_else(|| reset_at("anthropic-ratelimit-requests-reset"));
    rl.tokens_limit = rl
        .tokens_limit
        .or_else(|| num("anthropic-ratelimit-tokens-limit"));
    rl.tokens_remaining = rl
        .tokens_remaining
        .or_else(|| num("anthropic-ratelimit-tokens-remaining"));
    rl.tokens_reset_ms = rl
        .tokens_reset_ms
        .or_else(|| reset_at("anthropic-ratelimit-tokens-reset"));
    (!rl.is_empty()).then_some(rl)
}

/// Parses Go-style durations as OpenAI sends them: `12ms`, `1s`, `6m0s`, `1h2m3.5s`.
pub fn go_duration_ms(text: &str) -> Option<u64> {
    let mut total = 0f64;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_end] {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "us" | "µs" => 0.001,
            "ns" => 0.000_001,
            _ => return None,
        };
        total += value * factor;
        rest = &rest[unit_end..];
    }
    // Digits enough overflow to infinity: no duration.
    total.is_finite().then(|| total.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn class(kind: Kind, status: u16, body: &str) -> Class {
        http_failure(kind, status, &HeaderMap::new(), body.as_bytes(), Utc::now()).class
    }

    #[test]
    fn provider_error_shapes() {
        let gemini_bad_key = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}"#;
        assert_eq!(class(Kind::Gemini, 400, gemini_bad_key), Class::Auth);
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        assert_eq!(class(Kind::Openai, 429, quota), Class::Quota);
        let limited = r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
        assert_eq!(class(Kind::Openai, 429, limited), Class::RateLimited);
        let gemini = |quota_id: &str| {
            format!(
                r#"{{"error":{{"code":429,"status":"RESOURCE_EXHAUSTED","message":"You exceeded your current quota","details":[{{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{{"quotaId":"{quota_id}"}}]}}]}}}}"#
            )
        };
        let per_day = gemini("GenerateRequestsPerDayPerProjectPerModel-FreeTier");
        assert_eq!(class(Kind::Gemini, 429, &per_day), Class::Quota);
        let per_minute = gemini("GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
        assert_eq!(class(Kind::Gemini, 429, &per_minute), Class::RateLimited);
        let overloaded = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}"#;
        assert_eq!(class(Kind::Anthropic, 529, overloaded), Class::Overloaded);
        assert_eq!(class(Kind::Gemini, 503, "{}"), Class::Overloaded);
        assert_eq!(class(Kind::Openai, 401, "{}"), Class::Auth);
        assert_eq!(class(Kind::Openai, 403, "{}"), Class::Auth);
        assert_eq!(class(Kind::Openai, 402, "{}"), Class::Quota);
        assert_eq!(
            class(Kind::Ollama, 404, r#"{"error":"model not found"}"#),
            Class::NotFound
        );
        let no_model = r#"{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","code":"model_not_found"}}"#;
        assert_eq!(class(Kind::Openai, 404, no_model), Class::NotFound);
        assert_eq!(
            class(Kind::OpenaiCompatible, 400, no_model),
            Class::NotFound
        );
        let anthropic =
            r#"{"type":"error","error":{"type":"not_found_error","message":"model: x"}}"#;
        assert_eq!(class(Kind::Anthropic, 404, anthropic), Class::NotFound);
        assert_eq!(class(Kind::Openai, 500, ""), Class::ServerError);
        assert_eq!(class(Kind::Openai, 502, ""), Class::ServerError);
        assert_eq!(class(Kind::Openai, 504, ""), Class::Timeout);
        assert_eq!(class(Kind::Openai, 418, ""), Class::BadResponse);
    }

    #[test]
    fn messages_come_from_any_error_shape() {
        let f = http_failure(
            Kind::Anthropic,
            401,
            &HeaderMap::new(),
            br#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
            Utc::now(),
        );
        assert_eq!(f.message, "HTTP 401: invalid x-api-key");
        let f = http_failure(
            Kind::Ollama,
            500,
            &HeaderMap::new(),
            b"<html>oops</html>",
            Utc::now(),
        );
        assert_eq!(f.message, "HTTP 500");
    }

    #[test]
    fn headroom_and_retry_after() {
        let now = Utc::now();
        let h = headers(&[
            ("x-ratelimit-limit-requests", "10000"),
            ("x-ratelimit-remaining-requests", "9999"),
            ("x-ratelimit-reset-requests", "6m0s"),
            ("x-ratelimit-reset-tokens", "12ms"),
            ("retry-after", "7"),
        ]);
        let rl = rate_limit(&h, now).unwrap();
        assert_eq!(rl.requests_limit, Some(10000));
        assert_eq!(rl.requests_remaining, Some(9999));
        assert_eq!(rl.requests_reset_ms, Some(360_000));
        assert_eq!(rl.tokens_reset_ms, Some(12));
        assert_eq!(retry_after_ms(&h, now), Some(7000));
        let reset = (now + chrono::Duration::seconds(30)).to_rfc3339();
        let h = headers(&[
            ("anthropic-ratelimit-requests-remaining", "3"),
            ("anthropic-ratelimit-requests-reset", &reset),
            ("retry-after-ms", "1500"),
        ]);
        let rl = rate_limit(&h, now).unwrap();
        assert_eq!(rl.requests_remaining, Some(3));
        assert!((29_000..=30_000).contains(&rl.requests_reset_ms.unwrap()));
        assert_eq!(retry_after_ms(&h, now), Some(1500));
        assert_eq!(rate_limit(&HeaderMap::new(), now), None);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration_ms("1h2m3.5s"), Some(3_723_500));
        assert_eq!(go_duration_ms("250ms"), Some(250));
        assert_eq!(go_duration_ms("soon"), None);
        assert_eq!(go_duration_ms(""), None);
    }
}
