use fake_llm::Flavor;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{get, post, start};

const HEADERS: [(&str, &str); 2] = [
    ("x-api-key", "sk-ant-test"),
    ("anthropic-version", "2023-06-01"),
];

#[tokio::test]
async fn models_list_shape_and_paging() {
    let s = start(Flavor::Anthropic).await;
    s.set_models(&["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"]);
    let r = get(&format!("{}/v1/models", s.url()), &HEADERS).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["has_more"], false);
    assert_eq!(v["first_id"], "claude-sonnet-4-5");
    assert_eq!(v["last_id"], "claude-opus-4-1");
    let m = &v["data"][0];
    assert_eq!(m["type"], "model");
    assert_eq!(m["display_name"], "Claude Sonnet 4.5");
    assert!(chrono::DateTime::parse_from_rfc3339(m["created_at"].as_str().unwrap()).is_ok());

    let v = get(&format!("{}/v1/models?limit=1", s.url()), &HEADERS)
        .await
        .json();
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!(v["has_more"], true);
    let v = get(
        &format!("{}/v1/models?limit=5&after_id=claude-sonnet-4-5", s.url()),
        &HEADERS,
    )
    .await
    .json();
    assert_eq!(v["first_id"], "claude-haiku-4-5");
    assert_eq!(v["has_more"], false);

    let one = get(&format!("{}/v1/models/claude-haiku-4-5", s.url()), &HEADERS)
        .await
        .json();
    assert_eq!(one["id"], "claude-haiku-4-5");
}

#[tokio::test]
async fn rate_limit_headers_are_rfc3339() {
    let s = start(Flavor::Anthropic).await;
    let r = get(&format!("{}/v1/models", s.url()), &HEADERS).await;
    for kind in ["requests", "tokens", "input-tokens", "output-tokens"] {
        let limit: u64 = r
            .header(&format!("anthropic-ratelimit-{kind}-limit"))
            .unwrap()
            .parse()
            .unwrap();
        let remaining: u64 = r
            .header(&format!("anthropic-ratelimit-{kind}-remaining"))
            .unwrap()
            .parse()
            .unwrap();
        assert!(remaining > 0 && remaining <= limit);
        let reset = r
            .header(&format!("anthropic-ratelimit-{kind}-reset"))
            .unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(reset).is_ok(),
            "{reset}"
        );
    }
    assert!(r.header("request-id").unwrap().starts_with("req_"));
}

#[tokio::test]
async fn auth_and_version_headers() {
    let s = start(Flavor::Anthropic).await;
    s.set_api_key(Some("sk-ant-test"));
    let url = format!("{}/v1/models", s.url());
    let r = get(&url, &[("anthropic-version", "2023-06-01")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let v = r.json();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "authentication_error");
    assert_eq!(v["request_id"].as_str(), r.header("request-id"));
    let r = get(
        &url,
        &[
            ("x-api-key", "sk-ant-wrong"),
            ("anthropic-version", "2023-06-01"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["message"], "invalid x-api-key");
    let r = get(&url, &[("x-api-key", "sk-ant-test")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json()["error"]["message"],
        "anthropic-version: header is required"
    );
    let r = get(
        &url,
        &[
            ("x-api-key", "sk-ant-test"),
            ("anthropic-version", "2024-10-22"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&url, &HEADERS).await.status, StatusCode::OK);
}

#[tokio::test]
async fn messages_json() {
    let s = start(Flavor::Anthropic).await;
    let v = post(
        &format!("{}/v1/messages", s.url()),
        &HEADERS,
        &json!({"model": "claude-haiku-4-5", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
    .json();
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["content"][0]["type"], "text");
    assert_eq!(v["stop_reason"], "max_tokens");
    assert_eq!(v["usage"]["output_tokens"], 1);
    assert!(v["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert!(v["id"].as_str().unwrap().starts_with("msg_"));
}

#[tokio::test]
async fn messages_stream_event_order() {
    let s = start(Flavor::Anthropic).await;
    let r = post(
        &format!("{}/v1/messages", s.url()),
        &HEADERS,
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    let data = r.sse_json(false);
    let events = r.sse_events();
    assert_eq!(
        events[..3],
        ["message_start", "content_block_start", "ping"]
    );
    assert_eq!(
        events[events.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    assert!(events[3..events.len() - 3]
        .iter()
        .all(|e| e == "content_block_delta"));
    let text: String = data
        .iter()
        .filter(|d| d["type"] == "content_block_delta")
        .map(|d| {
            assert_eq!(d["delta"]["type"], "text_delta");
            d["delta"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text, "Hello! How can I help you today?");
    let delta = data.iter().find(|d| d["type"] == "message_delta").unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(delta["usage"]["output_tokens"], 9);
}

#[tokio::test]
async fn validation_and_not_found() {
    let s = start(Flavor::Anthropic).await;
    let url = format!("{}/v1/messages", s.url());
    let r = post(
        &url,
        &HEADERS,
        &json!({"model": "claude-sonnet-4-5", "messages": []}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["message"], "max_tokens: Field required");
    let r = post(
        &url,
        &HEADERS,
        &json!({"model": "claude-2", "max_tokens": 1, "messages": []}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["type"], "not_found_error");
    let r = get(&format!("{}/v1/nothing", s.url()), &HEADERS).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
