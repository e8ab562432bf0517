//! A configuration change is all or nothing: when the history cannot take it, the old
//! configuration keeps probing and the file stays as it was; when it succeeds, a target just
//! added is readable at once.

mod common;

use common::{openai_target, quick_config, TestServer};
use controller::CommandName as N;
use fake_llm::{FakeServer, Flavor};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;
use std::time::Duration;

/// Ollama needs no key, so the environment plays no part.
fn ollama_target(id: &str, base_url: &str) -> String {
    format!("[[targets]]\nid = \"{id}\"\nkind = \"ollama\"\nbase_url = \"{base_url}\"\n\n")
}

async fn requests_rise(fake: &FakeServer, within: Duration) {
    let before = fake.requests().len();
    let deadline = tokio::time::Instant::now() + within;
    while fake.requests().len() <= before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the target is no longer probed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_change_the_history_refuses_leaves_the_old_configuration_running() {
    let old = FakeServer::start(Flavor::Ollama).await.unwrap();
    let new = FakeServer::start(Flavor::Ollama).await.unwrap();
    let server =
        TestServer::start(Some(&quick_config(&ollama_target("old", &old.base_url())))).await;
    server
        .wait_state(Duration::from_secs(10), |s| {
            s["snapshot"]["targets"][0]["status"] == "healthy"
        })
        .await;
    let file_before = std::fs::read(&server.config).unwrap();
    let settings_before = server.json(&format!("/api/{}", N::GetSettings)).await;

    // Another process holds the history's write lock for longer than the server waits for it.
    let mut locker = sqlx::SqliteConnection::connect(&format!("sqlite://{}", server.db.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut locker)
        .await
        .unwrap();
    let mut target: Value = settings_before["config"]["targets"][0].clone();
    target["id"] = json!("new");
    target["base_url"] = json!(new.base_url());
    let refused = server
        .call(N::UpsertTarget, json!({ "target": target }))
        .await;
    assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("locked")),
        "{body}"
    );
    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    drop(locker);

    // Nothing changed: the file, the settings, and the old target is still being probed.
    assert_eq!(std::fs::read(&server.config).unwrap(), file_before);
    assert_eq!(
        server.json(&format!("/api/{}", N::GetSettings)).await,
        settings_before
    );
    requests_rise(&old, Duration::from_secs(5)).await;
    assert!(new.requests().is_empty(), "the refused target was probed");
    let state = server.json(&format!("/api/{}", N::GetState)).await;
    let ids: Vec<&str> = state["snapshot"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, ["old"]);
    server.stop().await;
}

#[tokio::test]
async fn a_target_just_added_is_readable_at_once() {
    std::env::set_var("SERVER_TEST_KEY_ADDED", "sk-added-0123456789abcdefghij");
    let first = FakeServer::start(Flavor::Ollama).await.unwrap();
    let added = FakeServer::start(Flavor::Openai).await.unwrap();
    let server = TestServer::start(Some(&quick_config(&ollama_target(
        "first",
        &first.base_url(),
    ))))
    .await;
    let text = quick_config(&format!(
        "{}{}",
        ollama_target("first", &first.base_url()),
        openai_target("added", &added.base_url(), "SERVER_TEST_KEY_ADDED")
    ));
    server.ok(N::ImportToml, json!({ "textToml": text })).await;
    // No wait: the reply means the change is whole.
    for path in [
        format!("/api/{}?target=added&range=1h&buckets=12", N::History),
        format!("/api/{}?range=1h", N::Timeline),
        format!("/api/{}", N::GetState),
    ] {
        let r = server.get(&path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains("added"), "{path}: {body}");
    }
    let metrics = server.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("target=\"added\""), "{metrics}");
    server.stop().await;
}
