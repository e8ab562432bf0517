//! Zero-token probes against fake servers: what an `ok` reports for every kind, and where the
//! key travels (only in its header; never in a URL, never in a message).

mod common;

use common::*;
use fake_llm::{FakeServer, Fault, Flavor};
use futures_util::future::join_all;
use monitor::{Class, RateLimit};

#[tokio::test]
async fn ollama_reports_version_inventory_and_loaded_models() {
    let (o, fake) = local_probe(Flavor::Ollama, "ollama", &["qwen2.5:7b"], "").await;
    assert_outcome("ollama", &o, Class::Ok, Some(200), "");
    let d = &o.details;
    assert_eq!(d.server_version.as_deref(), Some("0.5.1"));
    assert_eq!(d.models, ["llama3.2:latest", "qwen2.5:7b"]);
    assert_eq!(d.loaded_models.len(), 1, "{d:#?}");
    let m = &d.loaded_models[0];
    assert_eq!(m.name, "qwen2.5:7b");
    // The fake holds 72 % of a 7B model in VRAM, as /api/ps reports with size_vram < size.
    let share = m.vram_share.unwrap();
    assert!((share - 0.72).abs() < 1e-3, "{m:#?}");
    assert!(m.vram_bytes.unwrap() < m.size_bytes.unwrap());
    assert_eq!(m.context_length, Some(4096));
    assert!(m.expires_at.is_some());
    assert_eq!(paths(&fake), ["/api/version", "/api/tags", "/api/ps"]);
    // Ollama needs no key, so none is sent to it.
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.header("authorization").is_none()));
}

#[tokio::test]
async fn lmstudio_reads_loaded_instances_from_the_v1_rest_api() {
    let loaded = ["llama-3.2-1b-instruct"];
    let (o, fake) = local_probe(Flavor::Lmstudio, "lmstudio", &loaded, "").await;
    assert_outcome("lmstudio", &o, Class::Ok, Some(200), "");
    assert_eq!(
        o.details.models,
        ["qwen2.5-7b-instruct", "llama-3.2-1b-instruct"]
    );
    let loaded: Vec<_> = o.details.loaded_models.iter().map(|m| &m.name).collect();
    assert_eq!(loaded, ["llama-3.2-1b-instruct"]);
    assert_eq!(o.details.loaded_models[0].context_length, Some(4096));
    assert!(o.details.loaded_models[0].size_bytes.is_some());
    assert_eq!(paths(&fake), ["/api/v1/models"]);
}

/// LM Studio older than 0.4 has no `/api/v1`: it answers 404, or (its real habit) a 200 with an
/// `error` field. Either way the probe falls back to `/api/v0/models` and its `state` field.
#[tokio::test]
async fn lmstudio_falls_back_to_v0_when_v1_is_missing() {
    for missing_v1 in [Fault::Status(404), Fault::Status(200)] {
        let fake = FakeServer::start(Flavor::Lmstudio).await.unwrap();
        fake.load_model("qwen2.5-7b-instruct");
        fake.push_faults([missing_v1.clone()]);
        let o = prober().probe(&target("lmstudio", &fake.url(), "")).await;
        assert_outcome(&missing_v1, &o, Class::Ok, Some(200), "");
        assert_eq!(
            o.details.models,
            ["qwen2.5-7b-instruct", "llama-3.2-1b-instruct"]
        );
        let loaded: Vec<_> = o.details.loaded_models.iter().map(|m| &m.name).collect();
        assert_eq!(loaded, ["qwen2.5-7b-instruct"], "{missing_v1:?}");
        assert_eq!(paths(&fake), ["/api/v1/models", "/api/v0/models"]);
    }
}

/// Every cloud API: `ok` from the model list alone, the list in `details.models`, and the
/// rate-limit headroom the provider sends on every response.
#[tokio::test]
async fn cloud_model_lists_report_models_and_headroom() {
    join_all(Cloud::ALL.map(|cloud| async move {
        let (o, fake) = probe_cloud(cloud, vec![], "").await;
        assert_outcome(cloud, &o, Class::Ok, Some(200), "");
        assert_eq!(
            o.details.models,
            cloud.flavor().default_models(),
            "{cloud:?}"
        );
        let requests = fake.requests();
        assert_eq!(requests.len(), 1, "{cloud:?}: {requests:#?}");
        let (path, query) = match cloud {
            Cloud::Openai | Cloud::Compatible => ("/v1/models", None),
            Cloud::Anthropic => ("/v1/models", Some("limit=1000")),
            Cloud::Gemini => ("/v1beta/models", Some("pageSize=1000")),
            Cloud::Azure => ("/openai/models", Some("api-version=2024-10-21")),
            Cloud::AzureV1 => ("/openai/v1/models", None),
        };
        assert_eq!(requests[0].path, path, "{cloud:?}");
        assert_eq!(requests[0].query.as_deref(), query, "{cloud:?}");
        let rl = o.details.rate_limit.clone().unwrap_or_default();
        match cloud {
            Cloud::Openai | Cloud::Compatible => assert_eq!(
                rl,
                RateLimit {
                    requests_limit: Some(10_000),
                    requests_remaining: Some(9_999),
                    requests_reset_ms: Some(6),
                    tokens_limit: Some(30_000_000),
                    tokens_remaining: Some(29_999_950),
                    tokens_reset_ms: Some(0),
                }
            ),
            Cloud::Azure | Cloud::AzureV1 => assert_eq!(
                rl,
                RateLimit {
                    requests_limit: Some(100),
                    requests_remaining: Some(99),
                    tokens_limit: Some(100_000),
                    tokens_remaining: Some(99_950),
                    ..RateLimit::default()
                }
            ),
            Cloud::Anthropic => {
                assert_eq!(rl.requests_limit, Some(4_000));
                assert_eq!(rl.requests_remaining, Some(3_999));
                assert_eq!(rl.tokens_limit, Some(2_400_000));
                assert_eq!(rl.tokens_remaining, Some(2_399_999));
                // Resets are RFC 3339 instants about a second ahead, to the second.
                assert!(rl.requests_reset_ms.unwrap() <= 1_000, "{rl:?}");
                assert!(rl.tokens_reset_ms.unwrap() <= 1_000, "{rl:?}");
            }
            Cloud::Gemini => assert_eq!(o.details.rate_limit, None),
        }
    }))
    .await;
}

/// A self-hosted compatible server with no `api_key_env` gets no Authorization header at all.
#[tokio::test]
async fn compatible_server_without_a_key_variable_gets_no_credentials() {
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    let url = format!("{}/v1", fake.url());
    let o = prober().probe(&target("openai_compatible", &url, "")).await;
    assert_outcome("compatible", &o, Class::Ok, Some(200), "");
    assert_eq!(o.details.models, ["gpt-4o-mini", "gpt-4o"]);
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("authorization"), None);
}

/// Reachable and inference requests: the key only in the provider's header, never in a path or
/// query, never in any other header.
#[tokio::test]
async fn keys_travel_only_in_their_header() {
    join_all(Cloud::ALL.map(|cloud| async move {
        let extra = format!("probe = \"inference\"\nmodel = \"{}\"", cloud.model());
        let (o, fake) = probe_cloud(cloud, vec![], &extra).await;
        assert_outcome(cloud, &o, Class::Ok, Some(200), "");
        let (header, value) = cloud.key_header(KEY);
        let requests = fake.requests();
        assert_eq!(requests.len(), 2, "{cloud:?}: {requests:#?}");
        for r in requests {
            let url = format!("{}?{}", r.path, r.query.clone().unwrap_or_default());
            assert_no_key_fragment(cloud, &url, KEY);
            assert_eq!(r.header(header), Some(value.as_str()), "{cloud:?} {url}");
            for (name, v) in &r.headers {
                if name != header {
                    assert_no_key_fragment((cloud, name), v, KEY);
                }
            }
            assert_no_key_fragment(cloud, &r.body, KEY);
            if cloud == Cloud::Anthropic {
                assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
            }
        }
    }))
    .await;
}

/// A server that echoes the presented key in its auth error: the outcome, message and JSON,
/// holds no piece of it.
#[tokio::test]
async fn echoed_keys_are_redacted_from_outcomes() {
    join_all(Cloud::ALL.map(|cloud| async move {
        let (o, _fake) = probe_cloud(cloud, vec![Fault::BadKeyEcho], "").await;
        assert_outcome(cloud, &o, Class::Auth, Some(cloud.bad_key_status()), "");
        assert!(o.message.contains("[redacted]"), "{cloud:?}: {}", o.message);
        assert_no_key_fragment(cloud, &o.message, KEY);
        assert_no_key_fragment(cloud, &serde_json::to_string(&o).unwrap(), KEY);
    }))
    .await;
    // LM Studio with an API token set echoes it too.
    let fake = FakeServer::start(Flavor::Lmstudio).await.unwrap();
    fake.set_fault(Fault::BadKeyEcho);
    let o = prober().probe(&target("lmstudio", &fake.url(), "")).await;
    assert_outcome("lmstudio", &o, Class::Auth, Some(401), "[redacted]");
    assert_no_key_fragment("lmstudio", &serde_json::to_string(&o).unwrap(), KEY);
}

/// Without a key a cloud probe fails as `auth` before sending anything: a request without a
/// key is a wasted (and, with `?key=` habits, risky) round trip.
#[tokio::test]
async fn missing_key_fails_without_a_request() {
    join_all(Cloud::ALL.map(|cloud| async move {
        let fake = cloud.fake().await;
        let o = prober_with(None)
            .probe(&cloud.target(&fake.url(), ""))
            .await;
        if cloud == Cloud::Compatible {
            // Self-hosted compatible servers often need no key: it asks, and the server says.
            assert_outcome(
                cloud,
                &o,
                Class::Auth,
                Some(401),
                "You didn't provide an API key",
            );
            assert_eq!(fake.requests().len(), 1);
        } else {
            let msg = format!("no API key: set {}", cloud.key_env());
            assert_outcome(cloud, &o, Class::Auth, None, &msg);
            assert!(
                fake.requests().is_empty(),
                "{cloud:?}: {:#?}",
                fake.requests()
            );
        }
    }))
    .await;
}
