use std::time::Duration;

use fake_llm::{FakeServer, Fault, Flavor};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{client, get, post, start};

#[tokio::test]
async fn requests_are_recorded_in_order() {
    let s = start(Flavor::Gemini).await;
    get(
        &format!("{}/v1beta/models?pageSize=10", s.url()),
        &[("X-Goog-Api-Key", "k1")],
    )
    .await;
    post(
        &format!("{}/v1beta/models/gemini-2.5-flash:generateContent", s.url()),
        &[],
        &json!({"contents": []}),
    )
    .await;
    let reqs = s.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, "/v1beta/models");
    assert_eq!(reqs[0].query.as_deref(), Some("pageSize=10"));
    assert_eq!(reqs[0].header("x-goog-api-key"), Some("k1"));
    assert_eq!(reqs[0].header("X-GOOG-API-KEY"), Some("k1"));
    assert!(
        reqs[0].headers.iter().any(|(k, _)| k == "x-goog-api-key"),
        "names are lower-case"
    );
    assert_eq!(reqs[0].body, "");
    assert!(reqs[0].json().is_none());
    assert_eq!(reqs[1].method, "POST");
    assert_eq!(reqs[1].json(), Some(json!({"contents": []})));
    assert!(reqs[1].at >= reqs[0].at);
    s.clear_requests();
    assert!(s.requests().is_empty());
    s.set_recording(false);
    get(&format!("{}/v1beta/models", s.url()), &[]).await;
    assert!(s.requests().is_empty());
}

#[tokio::test]
async fn max_in_flight_counts_concurrent_requests() {
    let s = start(Flavor::Ollama).await;
    get(&format!("{}/api/version", s.url()), &[]).await;
    get(&format!("{}/api/version", s.url()), &[]).await;
    assert_eq!(s.max_in_flight(), 1);

    s.set_fault(Fault::Latency(Duration::from_millis(800)));
    let url = format!("{}/api/ps", s.url());
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { client().get(url).send().await.map(|r| r.status()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), StatusCode::OK);
    }
    assert_eq!(s.max_in_flight(), 5);
}

#[tokio::test]
async fn a_response_stays_in_flight_until_its_body_ends() {
    let s = start(Flavor::Openai).await;
    s.push_faults([Fault::SlowBody {
        every: Duration::from_secs(1),
    }]);
    let url = format!("{}/v1/models", s.url());
    let slow = client().get(&url).send().await.unwrap();
    assert_eq!(slow.status(), StatusCode::OK);
    assert_eq!(get(&url, &[]).await.status, StatusCode::OK);
    assert_eq!(s.max_in_flight(), 2, "the trickling body still counts");
    drop(slow);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let s = FakeServer::start(Flavor::Openai).await.unwrap();
    let url = format!("{}/v1/models", s.url());
    assert_eq!(get(&url, &[]).await.status, StatusCode::OK);
    s.set_fault(Fault::Hang);
    let hung = tokio::spawn({
        let url = url.clone();
        async move { client().get(url).send().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.shutdown().await;
    let hung = tokio::time::timeout(Duration::from_secs(5), hung)
        .await
        .unwrap()
        .unwrap();
    assert!(hung.is_err(), "hung connections are closed on shutdown");
    assert!(client().get(&url).send().await.is_err());
}

#[tokio::test]
async fn start_on_a_given_address() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let s = FakeServer::start_on(Flavor::Anthropic, addr).await.unwrap();
    assert_eq!(s.addr(), addr);
    assert_eq!(s.url(), format!("http://{addr}"));
    assert_eq!(s.flavor(), Flavor::Anthropic);
    assert!(
        FakeServer::start_on(Flavor::Anthropic, addr).await.is_err(),
        "port is taken"
    );
}
