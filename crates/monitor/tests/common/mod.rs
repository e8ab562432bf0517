//! Shared helpers for the probe tests: targets built from config text, a key source standing in
//! for the environment, one description per cloud API, and the assertions the tests repeat.
#![allow(dead_code)] // each test binary uses its own subset

use fake_llm::{FakeServer, Fault, Flavor, RecordedRequest};
use monitor::config::{Config, Target};
use monitor::probe::{KeySource, Prober};
use monitor::{Class, Outcome};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Shaped so that the generic key-shape masking in `redact.rs` does NOT catch it (it has dots):
/// only redaction by the configured key itself can hide it.
pub const KEY: &str = "test.key-0123456789.ABCDEFGHIJ.klmnopqrst";
pub const WRONG_KEY: &str = "wrong.key-9876543210.ZYXWVUTSRQ.ponmlkjihg";

/// Keys as the environment would give them: present for every target that names a variable.
pub struct Keys(pub Option<String>);

impl KeySource for Keys {
    fn key_for(&self, target: &Target) -> Option<String> {
        target.api_key_env.as_ref().and(self.0.clone())
    }
}

pub fn prober_with(key: Option<&str>) -> Prober {
    Prober::new(Arc::new(Keys(key.map(str::to_string)))).unwrap()
}

pub fn prober() -> Prober {
    prober_with(Some(KEY))
}

/// One target from config text, resolved the way a user's file is. `extra` holds more target
/// keys (`model`, `probe`, `timeout`, …); the defaults keep probes short.
pub fn target(kind: &str, base_url: &str, extra: &str) -> Target {
    let text = format!(
        "[defaults]\ntimeout = \"2s\"\nslow_ms = 1500\n\n[[targets]]\nid = \"t\"\nkind = \"{kind}\"\nbase_url = \"{base_url}\"\n{extra}\n"
    );
    let mut config = Config::parse(&text, "test").unwrap_or_else(|e| panic!("{e}\n{text}"));
    config.targets.remove(0)
}

/// A closed port: bound, then released, so nothing listens there.
pub fn closed_root() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// The cloud APIs, each as a user would configure it against its fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Openai,
    Anthropic,
    Gemini,
    /// `openai_compatible` with a base_url and a key variable, no preset.
    Compatible,
    /// `openai_compatible` with `preset = "azure"` and the resource root as base_url.
    Azure,
    /// Azure with a base_url ending in `/openai/v1`.
    AzureV1,
}

impl Cloud {
    pub const ALL: [Cloud; 6] = [
        Cloud::Openai,
        Cloud::Anthropic,
        Cloud::Gemini,
        Cloud::Compatible,
        Cloud::Azure,
        Cloud::AzureV1,
    ];

    pub fn flavor(self) -> Flavor {
        match self {
            Cloud::Openai | Cloud::Compatible => Flavor::Openai,
            Cloud::Anthropic => Flavor::Anthropic,
            Cloud::Gemini => Flavor::Gemini,
            Cloud::Azure | Cloud::AzureV1 => Flavor::Azure,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Cloud::Openai => "openai",
            Cloud::Anthropic => "anthropic",
            Cloud::Gemini => "gemini",
            Cloud::Compatible | Cloud::Azure | Cloud::AzureV1 => "openai_compatible",
        }
    }

    /// The base_url for a server at `root` (`http://host:port`).
    pub fn base_url(self, root: &str) -> String {
        match self {
            Cloud::Openai | Cloud::Compatible => format!("{root}/v1"),
            Cloud::AzureV1 => format!("{root}/openai/v1"),
            Cloud::Anthropic | Cloud::Gemini | Cloud::Azure => root.to_string(),
        }
    }

    fn config_keys(self) -> &'static str {
        match self {
            Cloud::Compatible => "api_key_env = \"COMPAT_API_KEY\"",
            Cloud::Azure | Cloud::AzureV1 => "preset = \"azure\"",
            _ => "",
        }
    }

    pub fn key_env(self) -> &'static str {
        match self {
            Cloud::Openai => "OPENAI_API_KEY",
            Cloud::Anthropic => "ANTHROPIC_API_KEY",
            Cloud::Gemini => "GEMINI_API_KEY",
            Cloud::Compatible => "COMPAT_API_KEY",
            Cloud::Azure | Cloud::AzureV1 => "AZURE_OPENAI_API_KEY",
        }
    }

    /// A model the fake lists (for Azure: a deployment).
    pub fn model(self) -> &'static str {
        match self {
            Cloud::Openai | Cloud::Compatible | Cloud::Azure | Cloud::AzureV1 => "gpt-4o-mini",
            Cloud::Anthropic => "claude-haiku-4-5",
            Cloud::Gemini => "gemini-2.5-flash",
        }
    }

    /// The one header that must carry the key, and its exact value.
    pub fn key_header(self, key: &str) -> (&'static str, String) {
        match self {
            Cloud::Openai | Cloud::Compatible => ("authorization", format!("Bearer {key}")),
            Cloud::Anthropic => ("x-api-key", key.to_string()),
            Cloud::Gemini => ("x-goog-api-key", key.to_string()),
            Cloud::Azure | Cloud::AzureV1 => ("api-key", key.to_string()),
        }
    }

    /// The status the provider answers a wrong key with (Gemini: 400 API_KEY_INVALID).
    pub fn bad_key_status(self) -> u16 {
        match self {
            Cloud::Gemini => 400,
            _ => 401,
        }
    }

    pub fn target(self, root: &str, extra: &str) -> Target {
        target(
            self.kind(),
            &self.base_url(root),
            &format!("{}\n{extra}", self.config_keys()),
        )
    }

    /// A fake of this API that requires `KEY`.
    pub async fn fake(self) -> FakeServer {
        let fake = FakeServer::start(self.flavor()).await.unwrap();
        fake.set_api_key(Some(KEY));
        fake
    }
}

/// A fake requiring `KEY`, with `faults` queued, probed once with `extra` target keys.
pub async fn probe_cloud(cloud: Cloud, faults: Vec<Fault>, extra: &str) -> (Outcome, FakeServer) {
    let fake = cloud.fake().await;
    fake.push_faults(faults);
    let outcome = prober().probe(&cloud.target(&fake.url(), extra)).await;
    (outcome, fake)
}

/// The local servers, by fake flavor and config kind.
pub const LOCAL: [(Flavor, &str); 2] = [(Flavor::Ollama, "ollama"), (Flavor::Lmstudio, "lmstudio")];

/// A local server with `loaded` models resident (loaded "by hand", not by a probe), probed once.
pub async fn local_probe(
    flavor: Flavor,
    kind: &str,
    loaded: &[&str],
    extra: &str,
) -> (Outcome, FakeServer) {
    let fake = FakeServer::start(flavor).await.unwrap();
    for m in loaded {
        fake.load_model(m);
    }
    let outcome = prober().probe(&target(kind, &fake.url(), extra)).await;
    (outcome, fake)
}

/// Probes and also returns how long the probe took by the wall clock.
pub async fn timed_probe(prober: &Prober, target: &Target) -> (Outcome, Duration) {
    let started = Instant::now();
    let outcome = prober.probe(target).await;
    (outcome, started.elapsed())
}

/// Class, status and a piece of the message, with the whole outcome shown on failure.
#[track_caller]
pub fn assert_outcome(
    what: impl std::fmt::Debug,
    o: &Outcome,
    class: Class,
    http_status: Option<u16>,
    message_part: &str,
) {
    assert_eq!(o.class, class, "{what:?}: {o:#?}");
    assert_eq!(o.http_status, http_status, "{what:?}: {o:#?}");
    assert!(
        o.message.contains(message_part),
        "{what:?}: message {:?} lacks {message_part:?}",
        o.message
    );
}

pub fn paths(fake: &FakeServer) -> Vec<String> {
    fake.requests().into_iter().map(|r| r.path).collect()
}

/// Requests that make a server generate (and so load the model they name).
pub fn generations(fake: &FakeServer) -> Vec<RecordedRequest> {
    const GENERATE: [&str; 4] = [
        "/api/generate",
        "/api/chat",
        "/v1/chat/completions",
        "/api/v0/chat/completions",
    ];
    fake.requests()
        .into_iter()
        .filter(|r| GENERATE.contains(&r.path.as_str()))
        .collect()
}

/// The one generation request a canary sent, as JSON.
#[track_caller]
pub fn only_generation_body(what: impl std::fmt::Debug, fake: &FakeServer) -> serde_json::Value {
    let requests: Vec<RecordedRequest> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(requests.len(), 1, "{what:?}: {requests:#?}");
    requests[0].json().expect("canary body is JSON")
}

/// No 16-character piece of `key` appears in `text`.
#[track_caller]
pub fn assert_no_key_fragment(what: impl std::fmt::Debug, text: &str, key: &str) {
    let chars: Vec<char> = key.chars().collect();
    for window in chars.windows(16) {
        let fragment: String = window.iter().collect();
        assert!(
            !text.contains(&fragment),
            "{what:?}: {fragment:?} of the key leaked into {text:?}"
        );
    }
}
