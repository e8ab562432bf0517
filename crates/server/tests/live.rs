//! The live stream: a whole state on connect, engine events as they happen, and a clean end when
//! the server stops.

mod common;

use common::*;
use controller::CommandName as N;
use fake_llm::{FakeServer, Fault, Flavor};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_transition_reaches_the_stream_within_a_second_of_the_fault() {
    std::env::set_var("SERVER_LIVE_KEY", "sk-live-0123456789abcdef0123");
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    fake.set_api_key(Some("sk-live-0123456789abcdef0123"));
    let server = TestServer::start(Some(&quick_config(&openai_target(
        "openai",
        &fake.base_url(),
        "SERVER_LIVE_KEY",
    ))))
    .await;
    let mut events = server.events().await;
    let first = events.next().await.unwrap();
    assert_eq!(first.event, "state");
    assert_eq!(first.json()["snapshot"]["targets"][0]["id"], "openai");

    // Healthy first, seen through the stream.
    events
        .until(Duration::from_secs(5), |e| {
            e.event == "monitor" && e.json()["type"] == "transition" && e.json()["to"] == "healthy"
        })
        .await;
    let checked = events
        .until(Duration::from_secs(2), |e| {
            e.event == "monitor" && e.json()["type"] == "checked"
        })
        .await
        .json();
    assert_eq!(checked["target"], "openai");
    assert_eq!(checked["outcome"]["class"], "ok");

    let fault_at = Instant::now();
    fake.set_fault(Fault::Status(503));
    let transition = events
        .until(Duration::from_secs(3), |e| {
            e.event == "monitor"
                && e.json()["type"] == "transition"
                && e.json()["to"] == "unhealthy"
        })
        .await
        .json();
    let took = fault_at.elapsed();
    assert!(took < Duration::from_secs(1), "transition after {took:?}");
    assert_eq!(transition["target"], "openai");
    assert_eq!(transition["from"], "healthy");

    // The stream stays open until the server stops, and then ends so the server can.
    let stopped = tokio::spawn(server.stop());
    tokio::time::timeout(Duration::from_secs(5), async {
        while events.next().await.is_some() {}
    })
    .await
    .expect("the stream ends when the server stops");
    stopped.await.unwrap();
}

#[tokio::test]
async fn a_configuration_change_sends_a_whole_state() {
    let server = TestServer::start(Some(&quick_config(""))).await;
    let mut events = server.events().await;
    let first = events.next().await.unwrap().json();
    assert_eq!(first["snapshot"]["targets"], serde_json::json!([]));
    let fake = FakeServer::start(Flavor::Ollama).await.unwrap();
    let target = serde_json::json!({"id": "local", "kind": "ollama", "base_url": fake.url()});
    server
        .ok(N::UpsertTarget, serde_json::json!({"target": target}))
        .await;
    let state = events
        .until(Duration::from_secs(2), |e| e.event == "state")
        .await
        .json();
    assert_eq!(state["snapshot"]["targets"][0]["id"], "local");
    server.stop().await;
}
