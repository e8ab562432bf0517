//! Property tests of every parser the network feeds: each provider's model lists, versions,
//! loaded sets, error bodies and stream lines, on random JSON, JSON-shaped noise and broken
//! JSON. None may panic; the typed list parsers must read exactly what the `Value`-based ones
//! they replaced read; an outcome built from anything a server says is scrubbed and bounded.
//!
//! Inputs come from a seeded generator rather than proptest's recursive strategies: in a debug
//! build those cost more than the parsers under test, and a million cases must stay well inside
//! CI time. A failure prints the input, which is what shrinking would otherwise give.

use super::super::{anthropic, gemini, lmstudio, ollama, openai, outcome, Success};
use super::parse_bytes;
use crate::domain::{Details, Kind, LoadedModel};
use crate::probe::classify::{self, Failure};
use crate::redact::{Redactor, FIELD_MAX, MESSAGE_MAX};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Map, Value};

const KEY: &str = "sk-proj-PropTestKey0123456789abcdefWXYZ";

/// A small fast RNG (xorshift64*): the generator below draws thousands of values per case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Keys the parsers look for, so random documents hit their paths.
const KEYS: &[&str] = &[
    "data",
    "models",
    "id",
    "name",
    "model",
    "key",
    "version",
    "has_more",
    "nextPageToken",
    "size",
    "size_vram",
    "expires_at",
    "context_length",
    "loaded_instances",
    "config",
    "state",
    "max_context_length",
    "size_bytes",
    "error",
    "message",
    "detail",
    "type",
    "code",
    "status",
    "details",
    "reason",
    "violations",
    "quotaId",
    "choices",
    "delta",
    "content",
    "reasoning_content",
    "usage",
    "prompt_tokens",
    "completion_tokens",
    "usageMetadata",
    "candidates",
    "parts",
    "text",
    "response",
    "done",
    "eval_count",
    "eval_duration",
    "prompt_eval_count",
    "total_duration",
    "load_duration",
    "input_tokens",
    "output_tokens",
];

const WORDS: &[&str] = &[
    "",
    "gpt-4o",
    "llama3.2:latest",
    "models/gemini-2.5-flash",
    "loaded",
    "not-loaded",
    "2024-06-04T14:38:31.83753-07:00",
    "error",
    "message_start",
    "content_block_delta",
    "message_delta",
    "message_stop",
    "overloaded_error",
    "rate_limit_error",
    "authentication_error",
    "insufficient_quota",
    "API_KEY_INVALID",
    "RESOURCE_EXHAUSTED",
    "GenerateRequestsPerDayPerProjectPerModel",
    "[DONE]",
    "No models loaded",
    "credit balance",
    KEY,
    "sk-proj-****WXYZ",
    "\u{1b}[2J",
    "\u{1b}]52;c;ZXZpbA==\u{7}",
    "\u{0}",
    "\r\nFAKE LINE",
    "\u{202e}evil",
    "\u{9b}31m",
    "ünïcødé ✔",
    "\u{fffd}",
    "\\",
    "\"",
];

fn number(rng: &mut Rng) -> Value {
    match rng.below(7) {
        0 => json!(rng.next()),
        1 => json!(-(rng.below(1000) as i64)),
        2 => json!(rng.below(10) as f64 / 3.0),
        3 => json!(0),
        4 => json!(u64::MAX),
        5 => json!(1e300),
        _ => json!(rng.below(5000)),
    }
}

fn text(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(3) + 1 {
        let word = *rng.pick::<&str>(WORDS);
        s.push_str(word);
    }
    if rng.chance(6) {
        // Any char at all, controls and surrogate-adjacent code points included.
        for _ in 0..rng.below(8) {
            s.extend(char::from_u32(rng.next() as u32 % 0x11_0000));
        }
    }
    s
}

fn value(rng: &mut Rng, depth: usize) -> Value {
    let leaf = depth == 0 || rng.chance(3);
    match (leaf, rng.below(if leaf { 4 } else { 6 })) {
        (_, 0) => Value::String(text(rng)),
        (_, 1) => number(rng),
        (_, 2) => Value::Bool(rng.chance(2)),
        (_, 3) => Value::Null,
        (_, 4) => Value::Array((0..rng.below(5)).map(|_| value(rng, depth - 1)).collect()),
        _ => object(rng, depth - 1),
    }
}

fn object(rng: &mut Rng, depth: usize) -> Value {
    let mut map = Map::new();
    for _ in 0..rng.below(6) {
        map.insert(rng.pick(KEYS).to_string(), value(rng, depth));
    }
    Value::Object(map)
}

/// The documents each parser should accept, as starting points for mutation.
fn templates() -> &'static [Value] {
    static TEMPLATES: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| vec![
        json!({"object": "list", "data": [{"id": "gpt-4o", "object": "model"}, {"id": "o3"}]}),
        json!([{"id": "meta-llama/Llama-3-70b"}]),
        json!({"data": [{"id": "claude-sonnet-4-5"}], "has_more": true, "first_id": "x"}),
        json!({"models": [{"name": "models/gemini-2.5-flash"}], "nextPageToken": "abc"}),
        json!({"version": "0.5.1"}),
        json!({"models": [{"name": "llama3.2:latest", "model": "llama3.2:latest", "size": 3_000_000_000u64}]}),
        json!({"models": [{"name": "llama3.2:latest", "size": 10, "size_vram": 7,
            "expires_at": "2024-06-04T14:38:31.83753-07:00", "context_length": 4096}]}),
        json!({"models": [{"key": "qwen3-8b", "size_bytes": 5, "loaded_instances":
            [{"id": "qwen3-8b", "config": {"context_length": 8192}}]}]}),
        json!({"object": "list", "data": [{"id": "qwen3-8b", "state": "loaded", "max_context_length": 32768}]}),
        json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        json!({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED",
            "details": [{"reason": "RATE_LIMIT_EXCEEDED", "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel"}]}]}}),
        json!({"choices": [{"delta": {"content": "OK"}}], "usage": {"prompt_tokens": 9, "completion_tokens": 1}}),
        json!({"type": "message_start", "message": {"usage": {"input_tokens": 5}}}),
        json!({"type": "message_delta", "usage": {"output_tokens": 1}}),
        json!({"candidates": [{"content": {"parts": [{"text": "OK"}]}}], "usageMetadata": {"promptTokenCount": 3}}),
        json!({"response": "OK", "done": true, "eval_count": 1, "eval_duration": 10, "load_duration": 2_000_000_000u64}),
    ])
}

/// Replaces some leaves of `v` with random values, keeping its shape mostly.
fn mutate(rng: &mut Rng, v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (_, child) in map.iter_mut() {
                mutate(rng, child);
            }
            if rng.chance(5) {
                map.insert(rng.pick(KEYS).to_string(), value(rng, 2));
            }
        }
        Value::Array(items) => {
            for child in items.iter_mut() {
                mutate(rng, child);
            }
            if rng.chance(4) {
                let copy = items.first().cloned().unwrap_or(Value::Null);
                items.push(copy);
            }
        }
        leaf => {
            if rng.chance(3) {
                *leaf = value(rng, 1);
            }
        }
    }
}

/// Bytes a server might send, and whether they are an unmutated serialized `Value` (so the
/// `Value`-based reference parsers see exactly the same document, with no duplicate keys).
fn document(seed: u64) -> (Vec<u8>, bool) {
    let mut rng = Rng(seed | 1);
    match rng.below(8) {
        // JSON-shaped noise: fragments in random order.
        0 => {
            const FRAGS: &[&str] = &[
                "{",
                "}",
                "[",
                "]",
                ":",
                ",",
                "\"",
                "\"data\"",
                "\"models\"",
                "\"id\"",
                "null",
                "1",
                "-0",
                "1e999",
                "true",
                "\"x\"",
                "\\u0000",
                "\\ud800",
                " ",
                "\n",
            ];
            let n = rng.below(40);
            let s: String = (0..n).map(|_| *rng.pick(FRAGS)).collect();
            (s.into_bytes(), false)
        }
        // Deeply nested: the recursion limit must answer, not the stack.
        1 if rng.chance(20) => {
            let depth = rng.below(3000);
            let open = if rng.chance(2) { "[" } else { "{\"data\":" };
            (format!("{}{}", open.repeat(depth), "1").into_bytes(), false)
        }
        2 | 3 => {
            let v = object(&mut rng, 4);
            finish(&mut rng, v)
        }
        _ => {
            let mut v = rng.pick(templates()).clone();
            mutate(&mut rng, &mut v);
            finish(&mut rng, v)
        }
    }
}

fn finish(rng: &mut Rng, v: Value) -> (Vec<u8>, bool) {
    let mut bytes = serde_json::to_vec(&v).unwrap_or_default();
    if rng.chance(5) {
        // Broken on the way: cut, or a byte changed (invalid UTF-8 included).
        if rng.chance(2) {
            bytes.truncate(rng.below(bytes.len() + 1));
        } else if !bytes.is_empty() {
            let at = rng.below(bytes.len());
            bytes[at] = rng.next() as u8;
        }
        return (bytes, false);
    }
    (bytes, true)
}

fn cases(n: u32) -> Config {
    Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    }
}

// The references: the `Value`-based parsers the typed ones replaced (as they were, except that
// Ollama's `name` now falls back to `model` whenever `name` is not a string, `expires_at` is
// kept only when it is a timestamp, and an LM Studio `loaded_instances` entry that is not an
// object is no instance: the old parser made a loaded model of a string there).

fn ref_listed(json: &Value, key: &str, field: &str) -> Option<Vec<String>> {
    let list = json
        .get(key)
        .and_then(Value::as_array)
        .or_else(|| json.as_array())?;
    Some(
        list.iter()
            .filter_map(|m| m.get(field).and_then(Value::as_str).map(str::to_string))
            .collect(),
    )
}

fn ref_ps(json: &Value) -> Option<Vec<LoadedModel>> {
    Some(
        json.get("models")?
            .as_array()?
            .iter()
            .filter_map(|m| {
                let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
                let n = |k: &str| m.get(k).and_then(Value::as_u64);
                let (size, vram) = (n("size"), n("size_vram"));
                Some(LoadedModel {
                    name: s("name").or_else(|| s("model"))?,
                    size_bytes: size,
                    vram_bytes: vram,
                    vram_share: match (vram, size) {
                        (Some(v), Some(s)) if s > 0 => Some((v as f64 / s as f64).min(1.0)),
                        _ => None,
                    },
                    expires_at: s("expires_at")
                        .filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
                    context_length: n("context_length"),
                })
            })
            .collect(),
    )
}

fn ref_v1(json: &Value) -> Option<(Vec<String>, Vec<LoadedModel>)> {
    let mut models = Vec::new();
    let mut loaded = Vec::new();
    for m in json.get("models")?.as_array()? {
        let Some(key) = m.get("key").and_then(Value::as_str) else {
            continue;
        };
        models.push(key.to_string());
        for inst in m
            .get("loaded_instances")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|i| i.is_object())
        {
            loaded.push(LoadedModel {
                name: inst
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or(key)
                    .to_string(),
                size_bytes: m.get("size_bytes").and_then(Value::as_u64),
                context_length: inst
                    .pointer("/config/context_length")
                    .and_then(Value::as_u64),
                ..LoadedModel::default()
            });
        }
    }
    Some((models, loaded))
}

fn ref_v0(json: &Value) -> Option<(Vec<String>, Vec<LoadedModel>)> {
    let mut models = Vec::new();
    let mut loaded = Vec::new();
    for m in json.get("data")?.as_array()? {
        let Some(id) = m.get("id").and_then(Value::as_str) else {
            continue;
        };
        models.push(id.to_string());
        if m.get("state").and_then(Value::as_str) == Some("loaded") {
            loaded.push(LoadedModel {
                name: id.to_string(),
                context_length: m.get("max_context_length").and_then(Value::as_u64),
                ..LoadedModel::default()
            });
        }
    }
    Some((models, loaded))
}

proptest! {
    #![proptest_config(cases(250_000))]

    #[test]
    fn cloud_model_lists_never_panic_and_read_what_the_value_parsers_read(seed in any::<u64>()) {
        let (body, exact) = document(seed);
        let value = serde_json::from_slice::<Value>(&body).ok().filter(|_| exact);
        let shown = String::from_utf8_lossy(&body);

        let ids = openai::model_ids(&body);
        let anth = anthropic::model_list(&body);
        let gem = gemini::model_list(&body);
        if let Some(v) = value {
            prop_assert_eq!(ids, Ok(ref_listed(&v, "data", "id")), "{}", shown);
            let complete = !v.get("has_more").and_then(Value::as_bool).unwrap_or(false);
            prop_assert_eq!(
                anth.ok(),
                ref_listed(&v, "data", "id").map(|m| (m, complete)),
                "{}", shown
            );
            let gem_ref = ref_listed(&v, "models", "name")
                .filter(|_| v.get("models").is_some())
                .map(|m| (m, v.get("nextPageToken").and_then(Value::as_str).is_none()));
            prop_assert_eq!(gem.ok(), gem_ref, "{}", shown);
        }
    }

}

proptest! {
    #![proptest_config(cases(200_000))]

    #[test]
    fn local_server_answers_never_panic_and_read_what_the_value_parsers_read(seed in any::<u64>()) {
        let (body, exact) = document(seed);
        let value = serde_json::from_slice::<Value>(&body).ok().filter(|_| exact);
        let shown = String::from_utf8_lossy(&body);

        let version = parse_bytes::<ollama::Version>(&body).map(ollama::server_version);
        let tags = parse_bytes::<ollama::Tags>(&body).map(ollama::names);
        let ps = parse_bytes::<ollama::Ps>(&body).map(ollama::loaded_models);
        let v1 = parse_bytes::<lmstudio::V1>(&body).map(lmstudio::parse_v1);
        let v0 = parse_bytes::<lmstudio::V0>(&body).map(lmstudio::parse_v0);
        if let Some(v) = value {
            let as_str = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            prop_assert_eq!(version, Ok(as_str("version")), "{}", shown);
            let names = v.get("models").and_then(Value::as_array).map(|list| {
                list.iter()
                    .filter_map(|m| m.get("name").and_then(Value::as_str).map(str::to_string))
                    .collect::<Vec<_>>()
            });
            prop_assert_eq!(tags, Ok(names), "{}", shown);
            prop_assert_eq!(ps, Ok(ref_ps(&v)), "{}", shown);
            prop_assert_eq!(v1, Ok(ref_v1(&v)), "{}", shown);
            prop_assert_eq!(v0, Ok(ref_v0(&v)), "{}", shown);
        }
    }
}

/// Whatever `outcome` made of a failure or success: no key, no control character, bounded.
fn assert_scrubbed(o: &crate::domain::Outcome) -> Result<(), TestCaseError> {
    let text = serde_json::to_string(o).unwrap_or_default();
    prop_assert!(!text.contains("PropTestKey"), "{}", text);
    prop_assert!(!text.contains("****WXYZ"), "{}", text);
    let mut strings = vec![o.message.as_str()];
    let d = &o.details;
    strings.extend(d.server_version.as_deref());
    strings.extend(d.models.iter().map(String::as_str));
    strings.extend(d.probed_model.as_deref());
    strings.extend(d.skipped.as_deref());
    for m in &d.loaded_models {
        strings.push(&m.name);
        strings.extend(m.expires_at.as_deref());
    }
    for s in strings {
        prop_assert!(!s.chars().any(crate::redact::needs_care), "{:?}", s);
        prop_assert!(s.len() <= MESSAGE_MAX, "{}", s.len());
    }
    prop_assert!(o.message.len() <= MESSAGE_MAX);
    prop_assert!(d.models.len() <= crate::domain::MODELS_KEPT);
    Ok(())
}

fn target() -> &'static crate::config::Target {
    static TARGET: std::sync::OnceLock<crate::config::Target> = std::sync::OnceLock::new();
    TARGET.get_or_init(|| {
        let config = crate::config::Config::parse(
            "[[targets]]\nid = \"t\"\nkind = \"openai\"\nmodel = \"gpt-4o\"\n",
            "test",
        )
        .expect("a valid config");
        config.targets[0].clone()
    })
}

proptest! {
    #![proptest_config(cases(300_000))]

    #[test]
    fn stream_lines_never_panic(seed in any::<u64>(), prefix in 0usize..3) {
        let (body, _) = document(seed);
        let line = String::from_utf8_lossy(&body);
        let line = match prefix {
            0 => format!("data: {line}"),
            1 => format!("data:{line}"),
            _ => line.into_owned(),
        };
        let mut tokens = None;
        let _ = openai::stream_line(Kind::Openai, &line, &mut tokens);
        let mut usage = Default::default();
        let _ = anthropic::stream_line(Kind::Anthropic, &line, &mut usage);
        let (mut chunks, mut tokens) = (0, None);
        let _ = gemini::stream_line(Kind::Gemini, &line, &mut chunks, &mut tokens);
        let mut last = Value::Null;
        let _ = ollama::stream_line(&line, &mut last);
    }

}

proptest! {
    #![proptest_config(cases(25_000))]

    #[test]
    fn error_bodies_never_panic_and_become_scrubbed_outcomes(
        seed in any::<u64>(),
        status in prop::sample::select(vec![200u16, 302, 400, 401, 402, 403, 404, 408, 429, 500, 503, 529, 599, 600, 0]),
        kind in prop::sample::select(Kind::ALL.to_vec()),
    ) {
        let (body, _) = document(seed);
        let failure = classify::http_failure(kind, status, &Default::default(), &body, chrono::Utc::now());
        let redactor = Redactor::new(Some(KEY));
        let t = target();
        let o = outcome(t, chrono::Utc::now(), 1, Err(failure), &redactor);
        assert_scrubbed(&o)?;
        if let Ok(v) = serde_json::from_slice::<Value>(&body) {
            let f = classify::stream_error(kind, &v);
            assert_scrubbed(&outcome(t, chrono::Utc::now(), 1, Err(f), &redactor))?;
        }
    }

}

proptest! {
    #![proptest_config(cases(4_000))]

    #[test]
    fn anything_a_server_says_leaves_outcome_scrubbed(seed in any::<u64>()) {
        let mut rng = Rng(seed | 1);
        let mut s = || {
            let mut t = text(&mut rng);
            if t.len().is_multiple_of(11) {
                t = t.repeat(40);
            }
            t
        };
        let details = Details {
            server_version: Some(s()),
            models: (0..(seed % 90)).map(|_| s()).collect(),
            loaded_models: vec![LoadedModel { name: s(), expires_at: Some(s()), ..LoadedModel::default() }],
            probed_model: Some(s()),
            skipped: Some(s()),
            ..Details::default()
        };
        let success = Success { http_status: Some(200), details, note: Some(s()), degraded: None };
        let o = outcome(target(), chrono::Utc::now(), 1, Ok(success), &Redactor::new(Some(KEY)));
        assert_scrubbed(&o)?;
        let failure = Failure::new(crate::domain::Class::ServerError, s());
        assert_scrubbed(&outcome(target(), chrono::Utc::now(), 1, Err(failure), &Redactor::new(Some(KEY))))?;
    }
}

#[test]
fn the_generator_reaches_the_parsers_paths() {
    // A property test over inputs that never parse proves little: most generated documents
    // must be JSON, and many must carry a model list.
    let (mut json, mut lists) = (0, 0);
    for seed in 0..2000u64 {
        let (body, _) = document(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if serde_json::from_slice::<Value>(&body).is_ok() {
            json += 1;
        }
        if openai::model_ids(&body)
            .ok()
            .flatten()
            .is_some_and(|m| !m.is_empty())
        {
            lists += 1;
        }
    }
    assert!(json > 1000, "{json}");
    assert!(lists > 100, "{lists}");
    let _ = FIELD_MAX;
}
