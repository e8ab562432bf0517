use fake_llm::{Fault, Flavor};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{get, post, start};

fn chat_body(model: &str, stream: bool) -> serde_json::Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn loading_answers_503_everywhere_then_ready() {
    let s = start(Flavor::Llamacpp).await;
    assert_eq!(s.base_url(), s.url());
    s.set_loading(true);
    let loading =
        json!({"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}});
    for path in ["/health", "/props", "/v1/models"] {
        let r = get(&format!("{}{path}", s.url()), &[]).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(r.json(), loading, "{path}");
    }
    let r = post(
        &format!("{}/v1/chat/completions", s.url()),
        &[],
        &chat_body("x", false),
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json(), loading);

    s.set_loading(false);
    let r = get(&format!("{}/health", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"status": "ok"}));
    assert_eq!(s.hits("/health"), 2);
}

#[tokio::test]
async fn props_and_models_describe_the_one_model() {
    let s = start(Flavor::Llamacpp).await;
    let alias = "qwen2.5-7b-instruct-q4_k_m";
    let p = get(&format!("{}/props", s.url()), &[]).await.json();
    assert_eq!(p["default_generation_settings"]["n_ctx"], 4096);
    assert!(p["default_generation_settings"]["params"].is_object());
    assert_eq!(p["total_slots"], 1);
    assert_eq!(p["model_alias"], alias);
    assert_eq!(p["model_path"], format!("/models/{alias}.gguf"));
    assert_eq!(p["build_info"], "b6123-abcdef0");
    assert!(p["chat_template"].as_str().is_some_and(|t| !t.is_empty()));

    let m = get(&format!("{}/v1/models", s.url()), &[]).await.json();
    assert_eq!(m["object"], "list");
    let d = &m["data"][0];
    assert_eq!(m["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(d["id"], alias);
    assert_eq!(d["object"], "model");
    assert_eq!(d["owned_by"], "llamacpp");
    assert!(d["created"].is_i64());
    assert_eq!(d["meta"]["n_ctx_train"], 32768);
    assert_eq!(d["meta"]["n_params"], 7_615_616_512u64);
    assert_eq!(d["meta"]["size"], 4_683_073_504u64);
    assert_eq!(m["models"][0]["name"], alias);
    assert_eq!(m["models"][0]["model"], alias);

    s.set_models(&["llama-3.2-3b-instruct-q8_0", "ignored"]);
    let p = get(&format!("{}/props", s.url()), &[]).await.json();
    assert_eq!(p["model_alias"], "llama-3.2-3b-instruct-q8_0");
    let m = get(&format!("{}/models", s.url()), &[]).await.json();
    assert_eq!(m["data"][0]["id"], "llama-3.2-3b-instruct-q8_0");
}

#[tokio::test]
async fn chat_serves_any_model_name_without_loading() {
    let s = start(Flavor::Llamacpp).await;
    let r = post(
        &format!("{}/v1/chat/completions", s.url()),
        &[],
        &chat_body("gpt-4o", false),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "gpt-4o");
    assert!(v["timings"]["predicted_per_second"].is_f64());
    let r = post(
        &format!("{}/v1/chat/completions", s.url()),
        &[],
        &chat_body("anything", true),
    )
    .await;
    let chunks = r.sse_json(true);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello! How can I help you today?");
    assert!(s.model_loads().is_empty());
}

#[tokio::test]
async fn slots_are_disabled_and_health_needs_no_key() {
    let s = start(Flavor::Llamacpp).await;
    let r = get(&format!("{}/slots", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(
        r.json(),
        json!({"error": {"code": 501, "message": "This server does not support slots endpoint. Start it with `--slots`", "type": "not_supported_error"}})
    );

    s.set_api_key(Some("secret"));
    for path in ["/health", "/v1/models"] {
        let r = get(&format!("{}{path}", s.url()), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{path} is public");
    }
    let r = get(&format!("{}/props", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["type"], "authentication_error");
    let r = get(
        &format!("{}/props", s.url()),
        &[("authorization", "Bearer secret")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn faults_speak_llama_server() {
    let s = start(Flavor::Llamacpp).await;
    s.push_faults([Fault::Status(503), Fault::Status(500)]);
    let r = get(&format!("{}/health", s.url()), &[]).await;
    assert_eq!(r.json()["error"]["message"], "Loading model");
    let r = get(&format!("{}/health", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.json()["error"]["type"], "server_error");
    let r = get(&format!("{}/nope", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["type"], "not_found_error");
}
