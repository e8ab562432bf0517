use fake_llm::{Fault, Flavor};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{get, post, start};

/// The value of the one sample of `name` whose labels include `model_name="<model>"`.
fn sample(text: &str, name: &str, model: &str) -> Option<f64> {
    let label = format!("model_name=\"{model}\"");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix('{'))
        .filter_map(|l| l.split_once("} "))
        .find(|(labels, _)| labels.split(',').any(|kv| kv == label))
        .and_then(|(_, v)| v.trim().parse().ok())
}

#[tokio::test]
async fn health_is_an_empty_200() {
    let s = start(Flavor::Vllm).await;
    assert_eq!(s.base_url(), s.url());
    let r = get(&format!("{}/health", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text, "");
    assert_eq!(r.header("content-length"), Some("0"));
}

#[tokio::test]
async fn models_carry_vllm_fields() {
    let s = start(Flavor::Vllm).await;
    let v = get(&format!("{}/v1/models", s.url()), &[]).await.json();
    assert_eq!(v["object"], "list");
    let m = &v["data"][0];
    assert_eq!(m["id"], "Qwen/Qwen2.5-7B-Instruct");
    assert_eq!(m["object"], "model");
    assert_eq!(m["owned_by"], "vllm");
    assert_eq!(m["root"], "Qwen/Qwen2.5-7B-Instruct");
    assert!(m["parent"].is_null());
    assert_eq!(m["max_model_len"], 32768);
    assert_eq!(m["permission"][0]["object"], "model_permission");
}

#[tokio::test]
async fn metrics_in_both_namings() {
    let s = start(Flavor::Vllm).await;
    let model = "Qwen/Qwen2.5-7B-Instruct";
    let r = get(&format!("{}/metrics", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let t = &r.text;
    assert!(t.contains("# HELP vllm:num_requests_running "));
    assert!(t.contains("# TYPE vllm:num_requests_running gauge\n"));
    assert!(t.contains(
        "vllm:num_requests_running{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"} 3.0\n"
    ));
    assert_eq!(sample(t, "vllm:num_requests_waiting", model), Some(0.0));
    assert_eq!(sample(t, "vllm:kv_cache_usage_perc", model), Some(0.42));
    assert_eq!(sample(t, "vllm:gpu_cache_usage_perc", model), None);
    assert!(t.contains("vllm:prompt_tokens_total{"));
    assert!(t.contains("vllm:e2e_request_latency_seconds_bucket{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B-Instruct\",le=\"0.3\"}"));
    assert!(t.contains("\nprocess_resident_memory_bytes "));

    s.set_server_load(7, 12, 0.875);
    s.set_models(&["a", "b"]);
    let t = get(&format!("{}/metrics", s.url()), &[]).await.text;
    for m in ["a", "b"] {
        assert_eq!(sample(&t, "vllm:num_requests_running", m), Some(7.0));
        assert_eq!(sample(&t, "vllm:num_requests_waiting", m), Some(12.0));
        assert_eq!(sample(&t, "vllm:kv_cache_usage_perc", m), Some(0.875));
    }

    s.set_legacy_metrics(true);
    let t = get(&format!("{}/metrics", s.url()), &[]).await.text;
    assert_eq!(sample(&t, "vllm:gpu_cache_usage_perc", "a"), Some(0.875));
    assert_eq!(sample(&t, "vllm:kv_cache_usage_perc", "a"), None);
    assert!(t.contains("# TYPE vllm:gpu_cache_usage_perc gauge\n"));
    assert!(t.contains("vllm:num_requests_running{model_name=\"a\"} 7.0\n"));
    assert!(s.model_loads().is_empty());
}

#[tokio::test]
async fn chat_like_openai_and_vllm_errors() {
    let s = start(Flavor::Vllm).await;
    let url = format!("{}/v1/chat/completions", s.url());
    let r = post(
        &url,
        &[],
        &json!({"model": "x", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"object": "error", "message": "The model `x` does not exist.", "type": "NotFoundError", "param": null, "code": 404})
    );
    let v = post(
        &url,
        &[],
        &json!({"model": "Qwen/Qwen2.5-7B-Instruct", "max_tokens": 2, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
    .json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    let r = post(
        &url,
        &[],
        &json!({"model": "Qwen/Qwen2.5-7B-Instruct", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert!(!r.sse_json(true).is_empty());

    let r = get(&format!("{}/nope", s.url()), &[]).await;
    assert_eq!(r.json(), json!({"detail": "Not Found"}));

    s.set_api_key(Some("token-abc"));
    assert_eq!(
        get(&format!("{}/health", s.url()), &[]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&format!("{}/metrics", s.url()), &[]).await.status,
        StatusCode::OK
    );
    let r = get(&format!("{}/v1/models", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"error": "Unauthorized"}));

    s.set_fault(Fault::Status(500));
    let r = get(&format!("{}/health", s.url()), &[]).await;
    assert_eq!(r.json()["type"], "InternalServerError");
}
