//! Inference probes: 1-token streamed canaries measure time to first token and count tokens;
//! against a local server they run only on the model already loaded, and never load one.

mod common;

use common::*;
use fake_llm::{FakeServer, Fault, Flavor};
use futures_util::future::join_all;
use monitor::{Class, Outcome, TokenUse};
use serde_json::{json, Value};

/// "Reply with OK." is 14 characters: the fakes count ceil(14 / 4) + 8 prompt tokens.
const CANARY_TOKENS: TokenUse = TokenUse {
    input: 12,
    output: 1,
};

fn inference(model: Option<&str>) -> String {
    let model = model
        .map(|m| format!("model = \"{m}\""))
        .unwrap_or_default();
    format!("probe = \"inference\"\n{model}")
}

/// What every successful canary reports.
#[track_caller]
fn assert_canary(what: impl std::fmt::Debug, o: &Outcome, model: &str) {
    assert_outcome(&what, o, Class::Ok, Some(200), "");
    let d = &o.details;
    assert_eq!(d.probed_model.as_deref(), Some(model), "{what:?}");
    assert_eq!(d.tokens, Some(CANARY_TOKENS), "{what:?}");
    let ttft = d.ttft_ms.expect("time to first token");
    assert!(
        ttft <= o.latency_ms,
        "{what:?}: ttft {ttft} > {}",
        o.latency_ms
    );
    assert_eq!(d.skipped, None, "{what:?}");
}

#[tokio::test]
async fn cloud_canaries_ask_for_one_token_and_measure_it() {
    join_all(Cloud::ALL.map(|cloud| async move {
        let (o, fake) = probe_cloud(cloud, vec![], &inference(Some(cloud.model()))).await;
        assert_canary(cloud, &o, cloud.model());
        assert!(!o.details.models.is_empty(), "{cloud:?}: the list is kept");
        let canary = fake.requests().pop().unwrap();
        let (path, query) = match cloud {
            Cloud::Openai | Cloud::Compatible => ("/v1/chat/completions", None),
            Cloud::Anthropic => ("/v1/messages", None),
            Cloud::Gemini => (
                "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                Some("alt=sse"),
            ),
            Cloud::Azure => (
                "/openai/deployments/gpt-4o-mini/chat/completions",
                Some("api-version=2024-10-21"),
            ),
            Cloud::AzureV1 => ("/openai/v1/chat/completions", None),
        };
        assert_eq!(
            (canary.path.as_str(), canary.query.as_deref()),
            (path, query),
            "{cloud:?}"
        );
        let body = only_generation_body(cloud, &fake);
        let field = |k: &str| body.get(k).cloned();
        match cloud {
            Cloud::Gemini => {
                assert_eq!(body["generationConfig"], json!({"maxOutputTokens": 1}));
            }
            Cloud::Anthropic => {
                assert_eq!(field("max_tokens"), Some(json!(1)));
                assert_eq!(field("stream"), Some(json!(true)));
                assert_eq!(field("model"), Some(json!(cloud.model())));
            }
            Cloud::Openai => {
                // Newer OpenAI models reject max_tokens.
                assert_eq!(field("max_completion_tokens"), Some(json!(1)));
                assert_eq!(field("max_tokens"), None);
            }
            Cloud::Compatible | Cloud::Azure | Cloud::AzureV1 => {
                assert_eq!(field("max_tokens"), Some(json!(1)), "{cloud:?}");
                assert_eq!(field("max_completion_tokens"), None, "{cloud:?}");
            }
        }
        if !matches!(cloud, Cloud::Gemini | Cloud::Anthropic) {
            assert_eq!(field("stream"), Some(json!(true)));
            assert_eq!(body["stream_options"], json!({"include_usage": true}));
            assert_eq!(field("model"), Some(json!(cloud.model())), "{cloud:?}");
        }
        // Headroom comes from the canary's own response where the provider sends it.
        assert_eq!(o.details.rate_limit.is_some(), cloud != Cloud::Gemini);
    }))
    .await;
}

/// Anthropic reports overloads inside a 200 stream, after `message_start`.
#[tokio::test]
async fn anthropic_error_after_200_is_overloaded() {
    let faults = vec![Fault::None, Fault::StreamError];
    let (o, fake) = probe_cloud(
        Cloud::Anthropic,
        faults,
        &inference(Some("claude-sonnet-4-5")),
    )
    .await;
    assert_outcome("anthropic", &o, Class::Overloaded, Some(200), "Overloaded");
    assert!(o.message.contains("inside the stream"), "{}", o.message);
    assert_eq!(paths(&fake), ["/v1/models", "/v1/messages"]);
}

/// A stream cut half way by a broken connection, after a 200.
#[tokio::test]
async fn a_cut_stream_is_bad_response() {
    join_all(
        [Cloud::Openai, Cloud::Gemini, Cloud::Azure].map(|cloud| async move {
            let faults = vec![Fault::None, Fault::StreamError];
            let (o, _fake) = probe_cloud(cloud, faults, &inference(Some(cloud.model()))).await;
            assert_outcome(cloud, &o, Class::BadResponse, Some(200), "body broken");
        }),
    )
    .await;
}

/// The timeout bounds the list and the canary together.
#[tokio::test]
async fn a_canary_that_hangs_times_out() {
    join_all(Cloud::ALL.map(|cloud| async move {
        let extra = format!("{}\ntimeout = \"500ms\"", inference(Some(cloud.model())));
        let faults = vec![Fault::None, Fault::Hang];
        let (o, fake) = probe_cloud(cloud, faults, &extra).await;
        assert_outcome(cloud, &o, Class::Timeout, None, "within 500ms");
        assert!(o.latency_ms < 1_000, "{cloud:?}: {o:#?}");
        assert_eq!(fake.requests().len(), 2);
    }))
    .await;
}

/// A stream that never ends a line is cut at the body cap, quickly.
#[tokio::test]
async fn an_oversize_stream_is_bad_response() {
    let faults = vec![Fault::None, Fault::HugeBody(17 * 1024 * 1024)];
    let (o, _fake) = probe_cloud(Cloud::Openai, faults, &inference(Some("gpt-4o"))).await;
    assert_outcome(
        "openai",
        &o,
        Class::BadResponse,
        Some(200),
        "larger than 16 MiB",
    );
}

// ---- local servers: never disturb a model ------------------------------------------------------

/// An inference probe of a local server that must not generate: `ok`, with the reason in
/// `skipped`, and the server untouched (no load, no generation, residency unchanged).
#[track_caller]
fn assert_skipped(what: impl std::fmt::Debug, o: &Outcome, fake: &FakeServer, why: &str) {
    assert_outcome(&what, o, Class::Ok, Some(200), "inference skipped");
    let skipped = o.details.skipped.as_deref().unwrap_or_default();
    assert!(skipped.contains(why), "{what:?}: {skipped:?}");
    assert_eq!(o.details.probed_model, None, "{what:?}");
    assert_eq!(o.details.tokens, None, "{what:?}");
    assert!(
        fake.model_loads().is_empty(),
        "{what:?}: {:?}",
        fake.model_loads()
    );
    assert!(
        generations(fake).is_empty(),
        "{what:?}: {:#?}",
        generations(fake)
    );
}

/// (flavor, the configured model, another installed model).
fn local_models(flavor: Flavor) -> (&'static str, &'static str) {
    match flavor {
        Flavor::Ollama => ("llama3.2:latest", "qwen2.5:7b"),
        _ => ("qwen2.5-7b-instruct", "llama-3.2-1b-instruct"),
    }
}

#[tokio::test]
async fn nothing_loaded_means_no_generation() {
    for (flavor, kind) in LOCAL {
        let (wanted, _) = local_models(flavor);
        let (o, fake) = local_probe(flavor, kind, &[], &inference(Some(wanted))).await;
        assert_skipped(
            kind,
            &o,
            &fake,
            "is not loaded, and a probe must not load it",
        );
        assert!(fake.loaded_models().is_empty());
        let (o, fake) = local_probe(flavor, kind, &[], &inference(None)).await;
        assert_skipped(kind, &o, &fake, "no model is loaded");
    }
}

#[tokio::test]
async fn another_model_loaded_means_no_generation() {
    for (flavor, kind) in LOCAL {
        let (wanted, other) = local_models(flavor);
        let (o, fake) = local_probe(flavor, kind, &[other], &inference(Some(wanted))).await;
        assert_skipped(kind, &o, &fake, "is not loaded");
        assert_eq!(fake.loaded_models(), [other], "{kind}: residency unchanged");
        let loaded: Vec<_> = o.details.loaded_models.iter().map(|m| &m.name).collect();
        assert_eq!(loaded, [other], "{kind}");
    }
}

/// An LM Studio too old to say which models are loaded (no `/api/v1`, no `/api/v0`): the
/// probe cannot know, so it does not generate.
#[tokio::test]
async fn lmstudio_without_loaded_state_does_not_generate() {
    let fake = FakeServer::start(Flavor::Lmstudio).await.unwrap();
    fake.load_model("qwen2.5-7b-instruct");
    fake.push_faults([Fault::Status(404), Fault::Status(404)]);
    let t = target(
        "lmstudio",
        &fake.url(),
        &inference(Some("qwen2.5-7b-instruct")),
    );
    let o = prober().probe(&t).await;
    assert_skipped(
        "lmstudio",
        &o,
        &fake,
        "does not say which models are loaded",
    );
    assert_eq!(
        o.details.models,
        ["qwen2.5-7b-instruct", "llama-3.2-1b-instruct"]
    );
    assert_eq!(
        paths(&fake),
        ["/api/v1/models", "/api/v0/models", "/v1/models"]
    );
}

/// The configured model is loaded: one 1-token generation, with nothing that could reload or
/// unload it (runner options, `keep_alive`), and no load recorded.
#[tokio::test]
async fn ollama_canary_runs_on_the_loaded_model_only() {
    for configured in [Some("llama3.2"), None] {
        let (o, fake) = local_probe(
            Flavor::Ollama,
            "ollama",
            &["llama3.2:latest"],
            &inference(configured),
        )
        .await;
        assert_canary(configured, &o, "llama3.2:latest");
        // The fake spends 16.67 ms per output token: 60 tokens/s.
        let tps = o.details.tokens_per_second.unwrap();
        assert!((tps - 60.0).abs() < 0.1, "{tps}");
        assert!(
            !o.message.contains("loaded it"),
            "no cold load: {}",
            o.message
        );
        assert!(fake.model_loads().is_empty(), "{:?}", fake.model_loads());
        let gens = generations(&fake);
        assert_eq!(gens.len(), 1, "{gens:#?}");
        assert_eq!(gens[0].path, "/api/generate");
        let body: Value = gens[0].json().unwrap();
        assert_eq!(body["model"], "llama3.2:latest");
        assert_eq!(
            body["options"],
            json!({"num_predict": 1}),
            "no runner options"
        );
        assert!(body.get("keep_alive").is_none(), "{body}");
        assert_eq!(body["stream"], true);
        assert_eq!(fake.loaded_models(), ["llama3.2:latest"]);
    }
}

#[tokio::test]
async fn lmstudio_canary_runs_on_the_loaded_model_only() {
    let loaded = ["qwen2.5-7b-instruct", "llama-3.2-1b-instruct"];
    for configured in [Some("llama-3.2-1b-instruct"), None] {
        let (o, fake) = local_probe(
            Flavor::Lmstudio,
            "lmstudio",
            &loaded,
            &inference(configured),
        )
        .await;
        let expected = configured.unwrap_or(loaded[0]);
        assert_canary(configured, &o, expected);
        assert!(fake.model_loads().is_empty(), "{:?}", fake.model_loads());
        let gens = generations(&fake);
        assert_eq!(gens.len(), 1, "{gens:#?}");
        assert_eq!(gens[0].path, "/v1/chat/completions");
        let body: Value = gens[0].json().unwrap();
        assert_eq!(body["model"], expected);
        assert_eq!(body["max_tokens"], 1);
        assert_eq!(body["stream"], true);
        // JIT auto-evict would have unloaded the other model.
        assert_eq!(fake.loaded_models(), loaded);
    }
}

/// A user loaded the model with a bigger context than the default: a canary without options
/// makes Ollama reload it. That may happen once — the canary notices from `load_duration`, says
/// so, and pauses for that model until the user unloads it.
#[tokio::test]
async fn an_ollama_canary_that_caused_a_reload_pauses_itself() {
    let fake = FakeServer::start(Flavor::Ollama).await.unwrap();
    let user = reqwest::Client::new();
    let user_load = |options: Value| {
        let body = json!({"model": "llama3.2", "prompt": "", "options": options});
        user.post(format!("{}/api/generate", fake.url()))
            .body(body.to_string())
            .send()
    };
    user_load(json!({"num_ctx": 8192})).await.unwrap();
    let loads_by_user = fake.model_loads().len();
    let prober = prober();
    let target = target("ollama", &fake.base_url(), &inference(Some("llama3.2")));

    let first = prober.probe(&target).await;
    assert_eq!(first.class, Class::Ok);
    assert_eq!(
        fake.model_loads().len(),
        loads_by_user + 1,
        "the reload happened once"
    );
    assert!(
        first.message.contains("made Ollama load"),
        "{}",
        first.message
    );

    let second = prober.probe(&target).await;
    assert_eq!(second.class, Class::Ok);
    assert!(
        second
            .details
            .skipped
            .as_deref()
            .unwrap_or("")
            .contains("paused"),
        "{second:?}"
    );
    assert_eq!(fake.model_loads().len(), loads_by_user + 1, "never again");
    // The user's own load, then the one canary.
    assert_eq!(generations(&fake).len(), 2);

    // The user unloads it; once it is loaded again the canary may run.
    let unload = json!({"model": "llama3.2", "prompt": "", "keep_alive": 0});
    user.post(format!("{}/api/generate", fake.url()))
        .body(unload.to_string())
        .send()
        .await
        .unwrap();
    let third = prober.probe(&target).await;
    assert!(
        third
            .details
            .skipped
            .as_deref()
            .unwrap_or("")
            .contains("not loaded"),
        "{third:?}"
    );
    fake.load_model("llama3.2:latest");
    let fourth = prober.probe(&target).await;
    assert!(fourth.details.skipped.is_none(), "{fourth:?}");
    assert!(fourth.details.ttft_ms.is_some());
}
