//! Why a delivery failed, in words a Settings page can show. No text here ever holds a channel's
//! URL or token: reqwest's errors are read by type and their URL dropped, and what is left is
//! scrubbed of the secrets again ([`scrub`]).

use std::time::Duration;

/// One delivery that did not work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("no alert channel has the id {0:?}")]
    UnknownChannel(String),
    #[error("the environment variable {0} that should hold the URL is not set")]
    UrlEnvUnset(String),
    #[error("no URL is stored in the keyring for this channel")]
    NoKeyringUrl,
    /// The reason, from `SecretUrl::parse` (which never repeats the value).
    #[error("the channel's URL {0}")]
    BadUrl(String),
    #[error("the token in {0} cannot be sent in an HTTP header (value not shown)")]
    BadToken(String),
    #[error("could not connect to the receiver ({0})")]
    Connect(String),
    #[error("the receiver did not answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("the request failed ({0})")]
    Request(String),
    #[error("the receiver answered HTTP {status}{}", hint(*.status))]
    Status {
        status: u16,
        /// What a `429` (or `503`) asked for in `Retry-After`.
        retry_after: Option<Duration>,
    },
    #[error("could not start {program} ({reason})")]
    Spawn { program: String, reason: String },
    #[error("the program {0}")]
    Exit(String),
    #[error("the program did not finish within {} s and was stopped", .0.as_secs_f64())]
    CommandTimeout(Duration),
    #[error("the alert channels stopped before the notice was sent")]
    Stopped,
}

fn hint(status: u16) -> &'static str {
    match status {
        300..=399 => " (a redirect, which is not followed: give the final URL)",
        401 | 403 => " (not allowed: check the token or the URL)",
        404 | 410 => " (no such webhook or topic: check the URL)",
        429 => " (too many requests)",
        _ => "",
    }
}

impl DeliveryError {
    /// Whether trying again later may work: connection problems, timeouts, `408`, `429`, `5xx`,
    /// a program that failed. Not: a bad URL, a missing variable, another `4xx`.
    pub fn is_retryable(&self) -> bool {
        match self {
            DeliveryError::Connect(_)
            | DeliveryError::Timeout(_)
            | DeliveryError::Request(_)
            | DeliveryError::Exit(_)
            | DeliveryError::CommandTimeout(_) => true,
            DeliveryError::Status { status, .. } => matches!(status, 408 | 429 | 500..=599),
            DeliveryError::UnknownChannel(_)
            | DeliveryError::UrlEnvUnset(_)
            | DeliveryError::NoKeyringUrl
            | DeliveryError::BadUrl(_)
            | DeliveryError::BadToken(_)
            | DeliveryError::Spawn { .. }
            | DeliveryError::Stopped => false,
        }
    }

    /// How long the receiver asked us to wait before the next try.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            DeliveryError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A transport error, without its URL, as text scrubbed of `secrets`.
    pub(crate) fn transport(e: reqwest::Error, limit: Duration, secrets: &[&str]) -> Self {
        let e = e.without_url();
        if e.is_timeout() {
            return DeliveryError::Timeout(limit);
        }
        // The innermost cause says what happened ("Connection refused (os error 111)"); the
        // outer layers only repeat "error sending request".
        let mut cause: &dyn std::error::Error = &e;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        let text = scrub(&cause.to_string(), secrets);
        if e.is_connect() {
            DeliveryError::Connect(text)
        } else {
            DeliveryError::Request(text)
        }
    }
}

/// `text` with every one of `secrets` (the URL, its path, the token) replaced by `…`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_string();
    for secret in secrets {
        // One- or two-character pieces ("/") are no secret, and replacing them would garble.
        if secret.len() > 3 {
            text = text.replace(secret, "…");
        }
    }
    text
}

/// The dispatcher could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("alert channels need a Tokio runtime to run on")]
    NoRuntime,
    #[error("cannot set up the HTTP client for alert channels: {0}")]
    Client(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_passing_problems_are_retried() {
        for status in [408, 429, 500, 502, 503, 599] {
            let e = DeliveryError::Status {
                status,
                retry_after: None,
            };
            assert!(e.is_retryable(), "{status}");
        }
        for status in [301, 400, 401, 403, 404, 410, 413, 422] {
            let e = DeliveryError::Status {
                status,
                retry_after: None,
            };
            assert!(!e.is_retryable(), "{status}");
        }
        assert!(DeliveryError::Connect("refused".into()).is_retryable());
        assert!(!DeliveryError::UrlEnvUnset("HOOK".into()).is_retryable());
    }

    #[test]
    fn errors_read_as_sentences() {
        let e = DeliveryError::Status {
            status: 404,
            retry_after: None,
        };
        assert_eq!(
            e.to_string(),
            "the receiver answered HTTP 404 (no such webhook or topic: check the URL)"
        );
        assert_eq!(
            DeliveryError::Timeout(Duration::from_millis(2500)).to_string(),
            "the receiver did not answer within 2.5 s"
        );
        assert_eq!(
            scrub(
                "bad https://x.test/hook/SECRET here",
                &["https://x.test/hook/SECRET"]
            ),
            "bad … here"
        );
    }
}
