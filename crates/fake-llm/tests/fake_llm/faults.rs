use std::time::{Duration, Instant};

use fake_llm::{Fault, Flavor};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{auth, borrow, client, get, list_path, post, start};

#[tokio::test]
async fn latency_delays_a_normal_answer() {
    let s = start(Flavor::Openai).await;
    s.set_fault(Fault::Latency(Duration::from_millis(300)));
    let t = Instant::now();
    let r = get(&format!("{}/v1/models", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.json()["object"], "list");
}

async fn faulted(flavor: Flavor, fault: Fault) -> crate::support::Reply {
    let s = start(flavor).await;
    s.set_fault(fault);
    get(&format!("{}{}", s.url(), list_path(flavor)), &[]).await
}

#[tokio::test]
async fn status_uses_each_providers_real_error_body() {
    let r = faulted(Flavor::Openai, Fault::Status(401)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["code"], "invalid_api_key");
    let r = faulted(Flavor::Openai, Fault::Status(500)).await;
    assert_eq!(r.json()["error"]["type"], "server_error");
    let r = faulted(Flavor::Openai, Fault::Status(503)).await;
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("overloaded"));

    let r = faulted(Flavor::Anthropic, Fault::Status(529)).await;
    assert_eq!(r.status.as_u16(), 529);
    let v = r.json();
    assert_eq!(v["type"], "error");
    assert_eq!(
        v["error"],
        json!({"type": "overloaded_error", "message": "Overloaded"})
    );
    assert!(v["request_id"].as_str().unwrap().starts_with("req_"));
    let r = faulted(Flavor::Anthropic, Fault::Status(401)).await;
    assert_eq!(r.json()["error"]["type"], "authentication_error");

    let r = faulted(Flavor::Gemini, Fault::Status(400)).await;
    assert_eq!(r.json()["error"]["details"][0]["reason"], "API_KEY_INVALID");
    let r = faulted(Flavor::Gemini, Fault::Status(429)).await;
    assert_eq!(r.json()["error"]["status"], "RESOURCE_EXHAUSTED");
    let r = faulted(Flavor::Gemini, Fault::Status(503)).await;
    assert_eq!(r.json()["error"]["status"], "UNAVAILABLE");

    let r = faulted(Flavor::Ollama, Fault::Status(500)).await;
    assert!(r.json()["error"].is_string());
    let r = faulted(Flavor::Azure, Fault::Status(401)).await;
    assert_eq!(r.json()["error"]["code"], "401");
    let r = faulted(Flavor::Lmstudio, Fault::Status(500)).await;
    assert!(r.json()["error"]["message"].is_string());

    for flavor in Flavor::ALL {
        let r = faulted(flavor, Fault::Status(404)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{flavor}");
    }
}

#[tokio::test]
async fn rate_limited_sets_retry_after_and_zero_headroom() {
    let r = faulted(
        Flavor::Openai,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.header("x-ratelimit-remaining-requests"), Some("0"));
    assert_eq!(r.header("x-ratelimit-reset-requests"), Some("7s"));
    assert_eq!(r.json()["error"]["code"], "rate_limit_exceeded");

    let r = faulted(
        Flavor::Anthropic,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    )
    .await;
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(
        r.header("anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
    assert_eq!(r.json()["error"]["type"], "rate_limit_error");

    let r = faulted(
        Flavor::Gemini,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    )
    .await;
    let details = r.json()["error"]["details"].clone();
    assert!(details
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["retryDelay"] == "7s"));

    let r = faulted(
        Flavor::Azure,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    )
    .await;
    assert_eq!(r.header("retry-after-ms"), Some("7000"));
    assert_eq!(r.header("x-ratelimit-remaining-requests"), Some("0"));

    let r = faulted(
        Flavor::Ollama,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.header("retry-after"), Some("7"));
}

#[tokio::test]
async fn insufficient_quota_per_flavor() {
    let r = faulted(Flavor::Openai, Fault::InsufficientQuota).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["error"]["code"], "insufficient_quota");
    assert_eq!(r.header("retry-after"), None);
    let r = faulted(Flavor::Gemini, Fault::InsufficientQuota).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let v = r.json();
    assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
    assert!(v.to_string().contains("PerDay"));
    let r = faulted(Flavor::Anthropic, Fault::InsufficientQuota).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("credit balance"));
}

#[tokio::test]
async fn bad_key_echo_repeats_the_key_verbatim() {
    const SECRET: &str = "sk-SECRET-0123456789-abcdef";
    for flavor in Flavor::ALL {
        let s = start(flavor).await;
        s.set_fault(Fault::BadKeyEcho);
        let headers = auth(flavor, SECRET);
        let r = get(
            &format!("{}{}", s.url(), list_path(flavor)),
            &borrow(&headers),
        )
        .await;
        assert!(r.status.is_client_error(), "{flavor}: {}", r.status);
        assert!(r.text.contains(SECRET), "{flavor}: {}", r.text);
    }
}

#[tokio::test]
async fn hang_never_answers() {
    let s = start(Flavor::Ollama).await;
    s.set_fault(Fault::Hang);
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = quick
        .get(format!("{}/api/version", s.url()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(s.requests().len(), 1, "recorded before the fault acts");
    assert_eq!(s.max_in_flight(), 1);
}

#[tokio::test]
async fn slow_body_sends_headers_then_trickles() {
    let s = start(Flavor::Openai).await;
    s.set_fault(Fault::SlowBody {
        every: Duration::from_millis(50),
    });
    let mut resp = tokio::time::timeout(
        Duration::from_secs(2),
        client().get(format!("{}/v1/models", s.url())).send(),
    )
    .await
    .expect("headers arrive at once")
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let first = resp.chunk().await.unwrap().unwrap();
    assert_eq!(&first[..], b"{");
    let rest = tokio::time::timeout(Duration::from_millis(300), resp.text()).await;
    assert!(rest.is_err(), "the body never finishes");
}

#[tokio::test]
async fn garbage_is_not_json() {
    let r = faulted(Flavor::Ollama, Fault::Garbage).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(serde_json::from_str::<Value>(&r.text).is_err());
}

#[tokio::test]
async fn huge_body_has_the_announced_size() {
    let r = faulted(Flavor::Openai, Fault::HugeBody(3_000_000)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-length"), Some("3000000"));
    assert_eq!(r.text.len(), 3_000_000);
    assert!(r.text.starts_with("{\"object\":\"list\""));
    let tiny = faulted(Flavor::Openai, Fault::HugeBody(5)).await;
    assert_eq!(tiny.text, "{\"obj");
}

#[tokio::test]
async fn drop_closes_without_a_response() {
    let s = start(Flavor::Anthropic).await;
    s.set_fault(Fault::Drop);
    let err = client()
        .get(format!("{}/v1/models", s.url()))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    assert_eq!(s.requests().len(), 1);
}

#[tokio::test]
async fn redirect_points_elsewhere() {
    let r = faulted(
        Flavor::Gemini,
        Fault::Redirect("https://accounts.example.com/login".into()),
    )
    .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        r.header("location"),
        Some("https://accounts.example.com/login")
    );
}

#[tokio::test]
async fn anthropic_stream_error_is_an_sse_error_event() {
    let s = start(Flavor::Anthropic).await;
    s.set_fault(Fault::StreamError);
    let r = post(
        &format!("{}/v1/messages", s.url()),
        &[("x-api-key", "k"), ("anthropic-version", "2023-06-01")],
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 1, "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.sse_events(), ["message_start", "error"]);
    let err: Value = serde_json::from_str(&r.sse_data()[1]).unwrap();
    assert_eq!(err["error"]["type"], "overloaded_error");
}

#[tokio::test]
async fn stream_error_cuts_other_flavors_mid_body() {
    let s = start(Flavor::Openai).await;
    s.set_fault(Fault::StreamError);
    let resp = client()
        .post(format!("{}/v1/chat/completions", s.url()))
        .header("content-type", "application/json")
        .body(json!({"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "hi"}]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut resp = resp;
    let first = resp.chunk().await.unwrap().unwrap();
    assert!(first.starts_with(b"data: {"), "whole events arrive first");
    let mut rest = Ok(Some(first));
    while let Ok(Some(_)) = rest {
        rest = resp.chunk().await;
    }
    assert!(rest.is_err(), "then the stream breaks");

    let s = start(Flavor::Ollama).await;
    s.set_fault(Fault::StreamError);
    let err = client()
        .get(format!("{}/api/tags", s.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await;
    assert!(err.is_err());
}

#[tokio::test]
async fn queued_faults_come_before_the_standing_one() {
    let s = start(Flavor::Ollama).await;
    s.set_fault(Fault::Status(500));
    s.push_faults([Fault::Status(503), Fault::Status(429)]);
    let url = format!("{}/", s.url());
    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(get(&url, &[]).await.status.as_u16());
    }
    assert_eq!(codes, [503, 429, 500, 500]);
    s.clear_faults();
    let r = get(&url, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "faults apply to / too, and clear");
    s.push_faults([Fault::Status(502)]);
    s.clear_faults();
    assert_eq!(get(&url, &[]).await.status, StatusCode::OK);
}
