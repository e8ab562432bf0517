use fake_llm::Flavor;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{get, post, start};

const KEY: &str = "AIzaSyFAKE-key_123";

fn body(max: Option<u64>) -> Value {
    let mut b = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
    if let Some(m) = max {
        b["generationConfig"] = json!({"maxOutputTokens": m});
    }
    b
}

#[tokio::test]
async fn models_list_with_header_or_query_key() {
    let s = start(Flavor::Gemini).await;
    s.set_api_key(Some(KEY));
    let r = get(
        &format!("{}/v1beta/models", s.url()),
        &[("x-goog-api-key", KEY)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let m = &v["models"][0];
    assert_eq!(m["name"], "models/gemini-2.5-flash");
    assert_eq!(m["displayName"], "Gemini 2.5 Flash");
    assert!(m["supportedGenerationMethods"]
        .as_array()
        .unwrap()
        .contains(&json!("generateContent")));
    assert!(m["inputTokenLimit"].is_u64());
    let r = get(&format!("{}/v1beta/models?key={KEY}", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::OK);

    let paged = get(
        &format!("{}/v1beta/models?pageSize=1", s.url()),
        &[("x-goog-api-key", KEY)],
    )
    .await
    .json();
    assert_eq!(paged["models"].as_array().unwrap().len(), 1);
    let token = paged["nextPageToken"].as_str().unwrap();
    let next = get(
        &format!("{}/v1beta/models?pageSize=1&pageToken={token}", s.url()),
        &[("x-goog-api-key", KEY)],
    )
    .await
    .json();
    assert_eq!(next["models"][0]["name"], "models/gemini-2.5-pro");
    assert!(next.get("nextPageToken").is_none());
}

#[tokio::test]
async fn key_errors_are_400_and_403() {
    let s = start(Flavor::Gemini).await;
    s.set_api_key(Some(KEY));
    let r = get(
        &format!("{}/v1beta/models", s.url()),
        &[("x-goog-api-key", "wrong")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v = r.json();
    assert_eq!(v["error"]["code"], 400);
    assert_eq!(v["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        v["error"]["message"],
        "API key not valid. Please pass a valid API key."
    );
    assert_eq!(v["error"]["details"][0]["reason"], "API_KEY_INVALID");
    let r = get(&format!("{}/v1beta/models", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"]["status"], "PERMISSION_DENIED");
}

#[tokio::test]
async fn generate_content() {
    let s = start(Flavor::Gemini).await;
    let v = post(
        &format!("{}/v1beta/models/gemini-2.5-flash:generateContent", s.url()),
        &[],
        &body(Some(1)),
    )
    .await
    .json();
    assert_eq!(v["candidates"][0]["content"]["parts"][0]["text"], "Hello");
    assert_eq!(v["candidates"][0]["content"]["role"], "model");
    assert_eq!(v["candidates"][0]["finishReason"], "MAX_TOKENS");
    let u = &v["usageMetadata"];
    assert_eq!(u["candidatesTokenCount"], 1);
    assert_eq!(
        u["totalTokenCount"].as_u64().unwrap(),
        u["promptTokenCount"].as_u64().unwrap() + 1
    );
}

#[tokio::test]
async fn stream_generate_content_sse_and_array() {
    let s = start(Flavor::Gemini).await;
    let r = post(
        &format!(
            "{}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
            s.url()
        ),
        &[],
        &body(None),
    )
    .await;
    let chunks = r.sse_json(false);
    assert!(chunks.len() > 1);
    let text: String = chunks
        .iter()
        .map(|c| {
            c["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(text, "Hello! How can I help you today?");
    let last = chunks.last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert!(last["usageMetadata"]["candidatesTokenCount"].is_u64());

    let r = post(
        &format!(
            "{}/v1beta/models/gemini-2.5-pro:streamGenerateContent",
            s.url()
        ),
        &[],
        &body(Some(2)),
    )
    .await;
    let arr = r.json();
    assert_eq!(arr.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn not_found() {
    let s = start(Flavor::Gemini).await;
    let r = post(
        &format!("{}/v1beta/models/gemini-1.0-ultra:generateContent", s.url()),
        &[],
        &body(None),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["status"], "NOT_FOUND");
    let r = get(&format!("{}/v1beta/models/gemini-2.5-flash", s.url()), &[]).await;
    assert_eq!(r.json()["name"], "models/gemini-2.5-flash");
    let r = get(&format!("{}/v2/whatever", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
}
