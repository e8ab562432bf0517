use fake_llm::Flavor;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{get, post, start};

const KEY: &str = "sk-proj-abcdefghijklmnop1234";

fn bearer() -> [(&'static str, &'static str); 1] {
    [("authorization", "Bearer sk-proj-abcdefghijklmnop1234")]
}

#[tokio::test]
async fn models_list_and_rate_limit_headers() {
    let s = start(Flavor::Openai).await;
    assert_eq!(s.base_url(), format!("{}/v1", s.url()));
    let r = get(&format!("{}/models", s.base_url()), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["object"], "list");
    let m = &v["data"][0];
    assert_eq!(m["id"], "gpt-4o-mini");
    assert_eq!(m["object"], "model");
    assert!(m["created"].is_i64() && m["owned_by"].is_string());
    for h in ["requests", "tokens"] {
        assert!(r.header(&format!("x-ratelimit-limit-{h}")).is_some());
        assert!(
            r.header(&format!("x-ratelimit-remaining-{h}"))
                .unwrap()
                .parse::<u64>()
                .unwrap()
                > 0
        );
        assert!(r
            .header(&format!("x-ratelimit-reset-{h}"))
            .unwrap()
            .ends_with('s'));
    }
    let one = get(&format!("{}/models/gpt-4o", s.base_url()), &[])
        .await
        .json();
    assert_eq!(one["id"], "gpt-4o");
}

#[tokio::test]
async fn auth_errors() {
    let s = start(Flavor::Openai).await;
    s.set_api_key(Some(KEY));
    let url = format!("{}/models", s.base_url());
    let r = get(&url, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("You didn't provide an API key"));
    let r = get(&url, &[("authorization", "Bearer sk-wrong-key-000000000")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let v = r.json();
    assert_eq!(v["error"]["code"], "invalid_api_key");
    assert_eq!(v["error"]["type"], "invalid_request_error");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("Incorrect API key provided: sk-"), "{msg}");
    assert!(
        !msg.contains("sk-wrong-key-000000000"),
        "masked like the real API: {msg}"
    );
    assert!(
        r.header("x-ratelimit-remaining-requests").is_some(),
        "errors carry headers too"
    );
    assert_eq!(get(&url, &bearer()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn chat_completion_non_streaming() {
    let s = start(Flavor::Openai).await;
    let v = post(
        &format!("{}/chat/completions", s.base_url()),
        &bearer(),
        &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 1}),
    )
    .await
    .json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    assert_eq!(v["usage"]["completion_tokens"], 1);
    assert_eq!(
        v["usage"]["total_tokens"].as_u64(),
        Some(v["usage"]["prompt_tokens"].as_u64().unwrap() + 1)
    );
}

#[tokio::test]
async fn chat_completion_streaming_with_usage() {
    let s = start(Flavor::Openai).await;
    let r = post(
        &format!("{}/chat/completions", s.base_url()),
        &bearer(),
        &json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": true, "stream_options": {"include_usage": true}}),
    )
    .await;
    let chunks = r.sse_json(true);
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello! How can I help you today?");
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert!(last["usage"]["total_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "stop"
    );
}

#[tokio::test]
async fn unknown_model_and_url() {
    let s = start(Flavor::Openai).await;
    let r = post(
        &format!("{}/chat/completions", s.base_url()),
        &bearer(),
        &json!({"model": "gpt-9", "messages": []}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "model_not_found");
    let r = get(&format!("{}/api/tags", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["message"], "Invalid URL (GET /api/tags)");
    let r = post(
        &format!("{}/chat/completions", s.base_url()),
        &[],
        &json!({"model": "gpt-4o"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
