use fake_llm::Flavor;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{get, post, start};

const AUTH: [(&str, &str); 1] = [("authorization", "Bearer sk-deepseek-0123456789")];

fn chat(model: &str) -> serde_json::Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn served_at_the_root_and_under_v1() {
    let s = start(Flavor::Deepseek).await;
    assert_eq!(s.base_url(), s.url());
    for path in ["/models", "/v1/models"] {
        let v = get(&format!("{}{path}", s.url()), &AUTH).await.json();
        assert_eq!(v["object"], "list", "{path}");
        assert_eq!(
            v["data"],
            json!([
                {"id": "deepseek-chat", "object": "model", "owned_by": "deepseek"},
                {"id": "deepseek-reasoner", "object": "model", "owned_by": "deepseek"},
            ])
        );
    }
    for path in ["/chat/completions", "/v1/chat/completions"] {
        let r = post(&format!("{}{path}", s.url()), &AUTH, &chat("deepseek-chat")).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.json()["model"], "deepseek-chat");
    }
    let r = post(
        &format!("{}/chat/completions", s.url()),
        &AUTH,
        &chat("gpt-4o"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["message"], "Model Not Exist");
}

#[tokio::test]
async fn balance_amounts_are_strings() {
    let s = start(Flavor::Deepseek).await;
    let v = get(&format!("{}/user/balance", s.url()), &AUTH)
        .await
        .json();
    assert_eq!(
        v,
        json!({"is_available": true, "balance_infos": [{"currency": "USD", "total_balance": "2.10", "granted_balance": "0.00", "topped_up_balance": "2.10"}]})
    );
    s.set_balance(true, &[("CNY", 110.0), ("USD", 0.5)]);
    let v = get(&format!("{}/user/balance", s.url()), &AUTH)
        .await
        .json();
    assert_eq!(v["balance_infos"][0]["currency"], "CNY");
    assert_eq!(v["balance_infos"][0]["total_balance"], "110.00");
    assert_eq!(v["balance_infos"][1]["total_balance"], "0.50");
}

#[tokio::test]
async fn unavailable_balance_answers_402() {
    let s = start(Flavor::Deepseek).await;
    s.set_balance(false, &[("USD", 0.0)]);
    let v = get(&format!("{}/user/balance", s.url()), &AUTH)
        .await
        .json();
    assert_eq!(v["is_available"], false);
    assert_eq!(v["balance_infos"][0]["total_balance"], "0.00");
    let r = post(
        &format!("{}/chat/completions", s.url()),
        &AUTH,
        &chat("deepseek-chat"),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        r.json(),
        json!({"error": {"message": "Insufficient Balance", "type": "unknown_error", "param": null, "code": "invalid_request_error"}})
    );
    assert!(s.model_loads().is_empty());
}

#[tokio::test]
async fn wrong_key_is_masked() {
    let s = start(Flavor::Deepseek).await;
    s.set_api_key(Some("sk-right"));
    let r = get(&format!("{}/user/balance", s.url()), &AUTH).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let v = r.json();
    assert_eq!(v["error"]["type"], "authentication_error");
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("****6789") && !msg.contains("sk-deepseek"),
        "{msg}"
    );
    let r = get(&format!("{}/user/balance", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
