use fake_llm::{Fault, Flavor};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{get, post, start};

const KEY: &str = "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";

/// `KEY` as a Bearer header.
const AUTH: [(&str, &str); 1] = [(
    "authorization",
    "Bearer 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",
)];

fn chat() -> serde_json::Value {
    json!({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn models_are_public_and_chat_needs_the_key() {
    let s = start(Flavor::Openrouter).await;
    assert_eq!(s.base_url(), format!("{}/api/v1", s.url()));
    s.set_api_key(Some(KEY));
    let v = get(&format!("{}/models", s.base_url()), &[]).await.json();
    let ids: Vec<&str> = v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, ["openai/gpt-4o-mini", "anthropic/claude-3.5-haiku"]);
    assert!(v["data"][0]["context_length"].is_u64());

    let url = format!("{}/chat/completions", s.base_url());
    let r = post(&url, &[], &chat()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json(),
        json!({"error": {"code": 401, "message": "No auth credentials found"}})
    );
    let r = post(&url, &[("authorization", "Bearer sk-or-v1-wrong")], &chat()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["code"], 401);
    let r = post(&url, &AUTH, &chat()).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["object"], "chat.completion");
    assert!(v["id"].as_str().is_some_and(|id| id.starts_with("gen-")));
    let r = get(&format!("{}/key", s.base_url()), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn key_and_credits_show_headroom() {
    let s = start(Flavor::Openrouter).await;
    let v = get(&format!("{}/key", s.base_url()), &AUTH).await.json();
    let d = &v["data"];
    assert_eq!(d["label"], "sk-or-v1-0e6...c96");
    assert_eq!(d["limit"], 10.0);
    assert_eq!(d["limit_remaining"], 2.1);
    assert!(d["limit_reset"].is_null());
    assert_eq!(d["usage"], 7.9);
    assert_eq!(d["usage_monthly"], 7.9);
    assert!(d["usage_daily"].is_f64() && d["usage_weekly"].is_f64());
    assert_eq!(d["is_free_tier"], false);
    assert_eq!(d["is_provisioning_key"], false);
    let c = get(&format!("{}/credits", s.base_url()), &AUTH)
        .await
        .json();
    assert_eq!(
        c,
        json!({"data": {"total_credits": 10.0, "total_usage": 7.9}})
    );

    s.set_credits(None, None, 3.5);
    let d = get(&format!("{}/key", s.base_url()), &AUTH).await.json()["data"].clone();
    assert!(d["limit"].is_null() && d["limit_remaining"].is_null());
    assert_eq!(d["usage"], 3.5);
}

#[tokio::test]
async fn exhausted_answers_402_to_chat_only() {
    let s = start(Flavor::Openrouter).await;
    s.set_exhausted(true);
    let r = get(&format!("{}/key", s.base_url()), &AUTH).await;
    assert_eq!(r.status, StatusCode::OK);
    let remaining = r.json()["data"]["limit_remaining"].as_f64();
    assert!(remaining.is_some_and(|x| x <= 0.0), "{remaining:?}");
    let c = get(&format!("{}/credits", s.base_url()), &AUTH)
        .await
        .json();
    assert!(c["data"]["total_usage"].as_f64() > c["data"]["total_credits"].as_f64());
    let r = post(
        &format!("{}/chat/completions", s.base_url()),
        &AUTH,
        &chat(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        r.json(),
        json!({"error": {"code": 402, "message": "Insufficient credits. Add more using https://openrouter.ai/settings/credits"}})
    );
    s.set_exhausted(false);
    let r = post(
        &format!("{}/chat/completions", s.base_url()),
        &AUTH,
        &chat(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    s.set_fault(Fault::InsufficientQuota);
    let r = get(&format!("{}/models", s.base_url()), &[]).await;
    assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED);
    assert!(s.model_loads().is_empty());
}
