//! Property tests of the header parsers: `Retry-After` (seconds and HTTP dates), Azure's
//! `retry-after-ms`, OpenAI's `x-ratelimit-reset-*` Go durations and Anthropic's RFC 3339
//! resets. None panics on anything a server could send, and each reads back what a
//! well-formed header says.
//!
//! 200,000 cases per property, 1,200,000 in all: a few seconds in a debug build.
//! `PROPTEST_CASES` overrides the count (proptest reads it).

use chrono::{DateTime, SecondsFormat, Utc};
use monitor::probe::classify::{go_duration_ms, rate_limit, retry_after_ms};
use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

const CASES: u32 = 200_000;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(CASES);
    ProptestConfig {
        cases,
        // A failure is printed with its minimal case; no regression files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A fixed "now" (2023-11-14T22:13:20Z), so a reset in the past and one in the future are
/// both generated.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("a valid instant")
}

const HEADERS: [&str; 8] = [
    "retry-after",
    "retry-after-ms",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "x-ratelimit-remaining-requests",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-tokens-reset",
    "anthropic-ratelimit-tokens-remaining",
];

fn one(name: &str, value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
        HeaderValue::from_str(value).expect("a header value"),
    );
    h
}

/// Go's `Duration.String()` for a whole number of milliseconds: `1h2m3.5s`, `6m0s`, `20ms`.
fn go_string(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, frac) = (rest / 1000, rest % 1000);
    let seconds = if frac == 0 {
        format!("{s}s")
    } else {
        let frac = format!("{frac:03}");
        format!("{s}.{}s", frac.trim_end_matches('0'))
    };
    match (h, m) {
        (0, 0) => seconds,
        (0, m) => format!("{m}m{seconds}"),
        (h, m) => format!("{h}h{m}m{seconds}"),
    }
}

/// Text a server could put in a header: printable ASCII, biased towards the characters
/// numbers, durations and dates are made of.
fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        "[0-9.hmsuµn]{0,24}",
        "[0-9:TZ+. -]{0,32}",
        "[A-Za-z0-9,: ]{0,32}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_parser_panics_on_any_header(text in header_text(), which in 0..HEADERS.len()) {
        let h = one(HEADERS[which], &text);
        let _ = retry_after_ms(&h, now());
        let _ = rate_limit(&h, now());
        let _ = go_duration_ms(&text);
    }

    #[test]
    fn go_durations_never_panic_on_any_text(text in any::<String>()) {
        let _ = go_duration_ms(&text);
    }

    #[test]
    fn go_durations_round_trip(ms in 0u64..=1_000 * 3_600_000) {
        let text = go_string(ms);
        prop_assert_eq!(go_duration_ms(&text), Some(ms), "{}", text);
        let h = one("x-ratelimit-reset-tokens", &text);
        let rl = rate_limit(&h, now());
        prop_assert_eq!(rl.and_then(|r| r.tokens_reset_ms), Some(ms));
    }

    #[test]
    fn retry_after_seconds_and_ms_round_trip(n in 0u64..=10_000_000_000, ms in any::<bool>()) {
        let (name, expected) = if ms { ("retry-after-ms", n) } else { ("retry-after", n * 1000) };
        prop_assert_eq!(retry_after_ms(&one(name, &n.to_string()), now()), Some(expected));
    }

    #[test]
    fn retry_after_http_dates_round_trip(secs in -1_000_000_000i64..=1_000_000_000) {
        let at = now() + chrono::Duration::seconds(secs);
        // IMF-fixdate, as HTTP servers write it.
        let text = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let expected = u64::try_from(secs.max(0)).unwrap_or(0) * 1000;
        prop_assert_eq!(retry_after_ms(&one("retry-after", &text), now()), Some(expected), "{}", text);
    }

    #[test]
    fn anthropic_resets_round_trip(
        ms in -1_000_000_000_000i64..=1_000_000_000_000,
        offset_min in -840i32..=840,
        utc in any::<bool>(),
    ) {
        let at = now() + chrono::Duration::milliseconds(ms);
        let text = if utc {
            at.to_rfc3339_opts(SecondsFormat::Millis, true)
        } else {
            let zone = chrono::FixedOffset::east_opt(offset_min * 60).expect("an offset");
            at.with_timezone(&zone).to_rfc3339_opts(SecondsFormat::Millis, false)
        };
        let rl = rate_limit(&one("anthropic-ratelimit-requests-reset", &text), now());
        let expected = u64::try_from(ms.max(0)).unwrap_or(0);
        prop_assert_eq!(rl.and_then(|r| r.requests_reset_ms), Some(expected), "{}", text);
    }
}

#[test]
fn go_strings_look_like_go_writes_them() {
    assert_eq!(go_string(360_000), "6m0s");
    assert_eq!(go_string(3_723_500), "1h2m3.5s");
    assert_eq!(go_string(20), "20ms");
    assert_eq!(go_string(1_250), "1.25s");
    assert_eq!(go_duration_ms("6m0s"), Some(360_000));
}

#[test]
fn numbers_that_are_no_answer_are_none() {
    for text in ["inf", "NaN", "-inf", "infinity"] {
        assert_eq!(
            retry_after_ms(&one("retry-after", text), now()),
            None,
            "{text}"
        );
        assert_eq!(
            retry_after_ms(&one("retry-after-ms", text), now()),
            None,
            "{text}"
        );
    }
    let huge = "9".repeat(400);
    assert_eq!(go_duration_ms(&format!("{huge}h")), None);
}
