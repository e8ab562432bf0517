use std::time::Duration;

/// What the fake does to a request instead of (or on top of) answering it
/// normally. A fault acts after the request is recorded, on every path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Fault {
    #[default]
    None,
    /// Answer normally after a delay.
    Latency(Duration),
    /// The flavor's real error body and headers for that status.
    Status(u16),
    /// 429 with the flavor's rate-limit body, `Retry-After` and, where the
    /// provider has them, rate-limit headers showing nothing remaining.
    RateLimited { retry_after_secs: u64 },
    /// Out of credit or quota: OpenAI/Azure 429 `insufficient_quota`, Gemini 429
    /// per-day `RESOURCE_EXHAUSTED`, Anthropic 400 "credit balance is too low".
    InsufficientQuota,
    /// The flavor's auth error with the presented key echoed verbatim, to check
    /// that a monitor redacts what servers send back.
    BadKeyEcho,
    /// Accept the request and never answer.
    Hang,
    /// 200 and headers at once, then the body one byte per `every`, never ending.
    SlowBody { every: Duration },
    /// 200, `Content-Type: application/json`, a body that is not JSON.
    Garbage,
    /// 200 with a valid start of JSON padded to this many bytes.
    HugeBody(usize),
    /// Close the connection without any response.
    Drop,
    /// 302 to the given URL.
    Redirect(String),
    /// Anthropic `/v1/messages`: a 200 SSE stream that sends `message_start` and
    /// then an `overloaded_error` event. Anywhere else: the normal body cut off
    /// half way, then the connection breaks.
    StreamError,
}
