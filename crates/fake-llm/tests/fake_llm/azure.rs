use fake_llm::Flavor;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{get, post, start};

const KEY: [(&str, &str); 1] = [("api-key", "0123456789abcdef0123456789abcdef")];

#[tokio::test]
async fn model_listings() {
    let s = start(Flavor::Azure).await;
    s.set_api_key(Some(KEY[0].1));
    let r = get(
        &format!("{}/openai/models?api-version=2024-10-21", s.url()),
        &KEY,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"][0]["id"], "gpt-4o-mini");
    assert_eq!(v["data"][0]["capabilities"]["chat_completion"], true);
    assert!(r.header("apim-request-id").is_some());
    assert!(r.header("x-ratelimit-remaining-requests").is_some());
    assert_eq!(
        get(&format!("{}/openai/v1/models", s.url()), &KEY)
            .await
            .status,
        StatusCode::OK
    );
    let r = get(&format!("{}/openai/models", s.url()), &KEY).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "api-version is required");
    assert_eq!(
        r.json(),
        json!({"error": {"code": "404", "message": "Resource not found"}})
    );
}

#[tokio::test]
async fn bad_key_body() {
    let s = start(Flavor::Azure).await;
    s.set_api_key(Some(KEY[0].1));
    let r = get(
        &format!("{}/openai/models?api-version=2024-10-21", s.url()),
        &[("api-key", "nope")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let v = r.json();
    assert_eq!(v["error"]["code"], "401");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Access denied due to invalid subscription key"));
    // A bearer token is not an api-key.
    let r = get(
        &format!("{}/openai/v1/models", s.url()),
        &[("authorization", "Bearer 0123456789abcdef0123456789abcdef")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deployment_chat() {
    let s = start(Flavor::Azure).await;
    let url = format!(
        "{}/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21",
        s.url()
    );
    let body = json!({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1});
    let v = post(&url, &KEY, &body).await.json();
    assert_eq!(v["choices"][0]["message"]["content"], "Hello");
    assert!(v["prompt_filter_results"].is_array());
    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let r = post(&url, &KEY, &streamed).await;
    let chunks = r.sse_json(true);
    assert_eq!(
        chunks[0]["choices"],
        json!([]),
        "Azure's first chunk only carries filter results"
    );
    assert_eq!(chunks[1]["choices"][0]["delta"]["role"], "assistant");

    let r = post(
        &format!(
            "{}/openai/deployments/nope/chat/completions?api-version=2024-10-21",
            s.url()
        ),
        &KEY,
        &body,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "DeploymentNotFound");
    let v1 = post(
        &format!("{}/openai/v1/chat/completions", s.url()),
        &KEY,
        &json!({"model": "gpt-4o", "messages": []}),
    )
    .await;
    assert_eq!(v1.status, StatusCode::OK);
}
