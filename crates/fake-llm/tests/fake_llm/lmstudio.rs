use fake_llm::Flavor;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{get, post, start};

fn chat_body(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1})
}

#[tokio::test]
async fn model_listings_show_state() {
    let s = start(Flavor::Lmstudio).await;
    s.load_model("qwen2.5-7b-instruct");

    let v = get(&format!("{}/v1/models", s.url()), &[]).await.json();
    assert_eq!(v["object"], "list");
    let ids: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["qwen2.5-7b-instruct", "llama-3.2-1b-instruct"],
        "JIT lists all downloaded"
    );

    let v = get(&format!("{}/api/v0/models", s.url()), &[]).await.json();
    let data = v["data"].as_array().unwrap();
    assert_eq!(data[0]["state"], "loaded");
    assert_eq!(data[1]["state"], "not-loaded");
    for key in [
        "id",
        "object",
        "type",
        "publisher",
        "arch",
        "compatibility_type",
        "quantization",
        "max_context_length",
    ] {
        assert!(!data[1][key].is_null(), "{key} missing");
    }

    let one = get(
        &format!("{}/api/v0/models/llama-3.2-1b-instruct", s.url()),
        &[],
    )
    .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["id"], "llama-3.2-1b-instruct");
    let missing = get(&format!("{}/api/v0/models/nope", s.url()), &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let v = get(&format!("{}/api/v1/models", s.url()), &[]).await.json();
    let models = v["models"].as_array().unwrap();
    assert_eq!(models[0]["key"], "qwen2.5-7b-instruct");
    assert_eq!(models[0]["loaded_instances"].as_array().unwrap().len(), 1);
    assert!(models[0]["loaded_instances"][0]["config"]["context_length"].is_u64());
    assert_eq!(models[1]["loaded_instances"], json!([]));
    for key in [
        "type",
        "publisher",
        "display_name",
        "architecture",
        "size_bytes",
        "params_string",
        "max_context_length",
        "format",
        "capabilities",
    ] {
        assert!(!models[1][key].is_null(), "{key} missing");
    }
    assert!(models[1]["quantization"]["bits_per_weight"].is_number());
    assert!(s.model_loads().is_empty());
}

#[tokio::test]
async fn jit_load_evicts_the_other_model() {
    let s = start(Flavor::Lmstudio).await;
    s.load_model("qwen2.5-7b-instruct");
    let r = post(
        &format!("{}/v1/chat/completions", s.url()),
        &[],
        &chat_body("qwen2.5-7b-instruct"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(s.model_loads().is_empty(), "loaded model: no load");

    let r = post(
        &format!("{}/v1/chat/completions", s.url()),
        &[],
        &chat_body("llama-3.2-1b-instruct"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(s.model_loads(), ["llama-3.2-1b-instruct"]);
    assert_eq!(s.loaded_models(), ["llama-3.2-1b-instruct"]);
}

#[tokio::test]
async fn v0_chat_adds_stats_and_streams_usage() {
    let s = start(Flavor::Lmstudio).await;
    s.load_model("qwen2.5-7b-instruct");
    let v = post(
        &format!("{}/api/v0/chat/completions", s.url()),
        &[],
        &chat_body("qwen2.5-7b-instruct"),
    )
    .await
    .json();
    for key in [
        "tokens_per_second",
        "time_to_first_token",
        "generation_time",
        "stop_reason",
    ] {
        assert!(!v["stats"][key].is_null(), "stats.{key} missing");
    }
    assert!(v["model_info"].is_object() && v["runtime"].is_object());
    assert_eq!(v["usage"]["completion_tokens"], 1);

    let mut body = chat_body("qwen2.5-7b-instruct");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let r = post(&format!("{}/v1/chat/completions", s.url()), &[], &body).await;
    let chunks = r.sse_json(true);
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["completion_tokens"], 1);
}

#[tokio::test]
async fn errors_in_lm_studio_words() {
    let s = start(Flavor::Lmstudio).await;
    let r = post(
        &format!("{}/v1/chat/completions", s.url()),
        &[],
        &chat_body("gpt-4"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["code"], "model_not_found");
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid model identifier \"gpt-4\""));

    let no_model = json!({"messages": [{"role": "user", "content": "hi"}]});
    let r = post(&format!("{}/v1/chat/completions", s.url()), &[], &no_model).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("No models loaded"));

    // LM Studio answers unknown endpoints with 200 and an error body.
    let r = get(&format!("{}/health", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"error": "Unexpected endpoint or method. (GET /health)"})
    );
    assert!(s.model_loads().is_empty());
}

#[tokio::test]
async fn optional_bearer_token() {
    let s = start(Flavor::Lmstudio).await;
    s.set_api_key(Some("sk-lm-secret"));
    let r = get(&format!("{}/api/v1/models", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["code"], "invalid_api_key");
    let r = get(
        &format!("{}/api/v1/models", s.url()),
        &[("authorization", "Bearer wrong")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = get(
        &format!("{}/api/v1/models", s.url()),
        &[("authorization", "Bearer sk-lm-secret")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}
