//! The canned "generation" every flavor returns, and its token accounting.

use std::time::Duration;

use serde_json::Value;

/// Real servers stream tokens some milliseconds apart; a small gap keeps
/// time-to-first-token measurable without slowing the test suite.
pub(crate) const TOKEN_GAP: Duration = Duration::from_millis(5);

/// A cold load takes seconds on real hardware; the fake reports that in
/// `load_duration` but only waits this long, enough to be observable.
pub(crate) const LOAD_DELAY: Duration = Duration::from_millis(50);

const REPLY: [&str; 9] = [
    "Hello", "!", " How", " can", " I", " help", " you", " today", "?",
];

pub(crate) struct Completion {
    pub pieces: Vec<&'static str>,
    /// Stopped by the token limit rather than by the model.
    pub truncated: bool,
    pub prompt_tokens: u64,
}

impl Completion {
    /// `max_tokens` of `None`, zero or negative means no limit (LM Studio uses -1).
    pub fn new(prompt_chars: usize, max_tokens: Option<i64>) -> Self {
        let limit = max_tokens
            .filter(|&m| m > 0)
            .map_or(REPLY.len(), |m| usize::try_from(m).unwrap_or(usize::MAX));
        let n = limit.min(REPLY.len());
        Completion {
            pieces: REPLY[..n].to_vec(),
            truncated: n < REPLY.len(),
            prompt_tokens: prompt_tokens(prompt_chars),
        }
    }

    pub fn text(&self) -> String {
        self.pieces.concat()
    }

    pub fn completion_tokens(&self) -> u64 {
        self.pieces.len() as u64
    }

    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens()
    }
}

/// About four characters a token, plus a chat template's overhead.
fn prompt_tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(4) + 8
}

/// Characters of text in an OpenAI/Anthropic/Ollama `messages` array, whether
/// `content` is a string or a list of parts.
pub(crate) fn messages_chars(messages: Option<&Value>) -> usize {
    messages.and_then(Value::as_array).map_or(0, |msgs| {
        msgs.iter().map(|m| content_chars(m.get("content"))).sum()
    })
}

pub(crate) fn content_chars(content: Option<&Value>) -> usize {
    match content {
        Some(Value::String(s)) => s.chars().count(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .map(|t| t.chars().count())
            .sum(),
        _ => 0,
    }
}

/// A number field that clients send as an integer (or, sloppily, a float).
pub(crate) fn int_field(v: &Value, key: &str) -> Option<i64> {
    v.get(key)
        .and_then(|x| x.as_i64().or_else(|| x.as_f64().map(|f| f as i64)))
}
