//! `serve` under clients that misbehave: slow headers, idle keep-alives, too many connections
//! or live streams, a stop while requests hang. And the headers every answer carries.

mod common;

use common::{quick_config, TestServer};
use controller::CommandName as N;
use reqwest::StatusCode;
use server::Limits;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn tight(limits: Limits) -> impl FnOnce(&mut server::ServerOptions) {
    move |o| o.limits = limits
}

/// Waits until the server closes `stream` (a read returns 0 or fails), or fails after `within`.
async fn closed_by_server(stream: &mut TcpStream, within: Duration) {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .expect("the server closes the connection");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let s = TestServer::start(Some(&quick_config(""))).await;
    let bad_host = s
        .client
        .get(s.url("/"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_host.status(), StatusCode::FORBIDDEN);
    let answers = vec![
        s.get("/").await,
        s.get("/assets/app-1a2b3c.js").await,
        s.get(&format!("/api/{}", N::GetState)).await,
        s.get("/nothing-here").await,
        s.get("/metrics").await,
        bad_host,
    ];
    for r in answers {
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{}: no CSP", r.url()));
        for part in [
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(part), "{}: {csp}", r.url());
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
    }
    s.stop().await;
}

#[tokio::test]
async fn slow_header_clients_are_closed_and_never_lock_others_out() {
    let limits = Limits {
        max_connections: 4,
        header_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let s = TestServer::start_with(Some(&quick_config("")), tight(limits)).await;
    // Every connection slot taken by a client that sends half a request and then nothing.
    let mut slow = Vec::new();
    for _ in 0..limits.max_connections {
        let mut c = TcpStream::connect(s.addr).await.unwrap();
        c.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(c);
    }
    // A real client still gets its answer: the slow ones are cut at the header deadline.
    let state = tokio::time::timeout(
        Duration::from_secs(20),
        s.client.get(s.url(&format!("/api/{}", N::GetState))).send(),
    )
    .await
    .expect("answered despite the slow clients")
    .unwrap();
    assert_eq!(state.status(), StatusCode::OK);
    for c in &mut slow {
        closed_by_server(c, Duration::from_secs(20)).await;
    }
    s.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_is_closed() {
    let limits = Limits {
        header_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let s = TestServer::start_with(Some(&quick_config("")), tight(limits)).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let host = s.addr.to_string();
    c.write_all(format!("GET /metrics HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut first = [0u8; 12];
    c.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    // The answer is read; the connection then idles, and the server ends it.
    closed_by_server(&mut c, Duration::from_secs(20)).await;
    s.stop().await;
}

#[tokio::test]
async fn live_streams_are_capped_and_a_closed_one_frees_its_place() {
    let limits = Limits {
        max_event_streams: 2,
        ..Limits::default()
    };
    let s = TestServer::start_with(Some(&quick_config("")), tight(limits)).await;
    let first = s.events().await;
    let _second = s.events().await;
    let refused = s.get("/api/events").await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("2 live event streams")),
        "{body}"
    );
    drop(first);
    // The place comes back once the server sees the stream gone (its next write fails or the
    // connection closes): a fresh stream opens within a few seconds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = s.get("/api/events").await;
        if r.status() == StatusCode::OK {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.stop().await;
}

#[tokio::test]
async fn a_stop_is_bounded_whatever_clients_hold() {
    // A server that accepts and never answers: a test probe against it hangs for its timeout.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hung_addr = hung.local_addr().unwrap();
    let _keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((c, _)) = hung.accept().await {
            held.push(c);
        }
    });
    let limits = Limits {
        shutdown_grace: Duration::from_millis(500),
        ..Limits::default()
    };
    let s = TestServer::start_with(Some(&quick_config("")), tight(limits)).await;
    let _stream = s.events().await;
    let mut idle = TcpStream::connect(s.addr).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let client = s.client.clone();
    let url = s.url(&format!("/api/{}", N::TestTarget));
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .header("authorization", format!("Bearer {}", common::TOKEN))
            .header("content-type", "application/json")
            .body(
                serde_json::json!({"target": {
                    "id": "hung", "kind": "ollama",
                    "base_url": format!("http://{hung_addr}"), "timeout": "2m"
                }})
                .to_string(),
            )
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    // `stop` fails the test if the server is not gone within 10 s; the hung probe alone would
    // hold it for two minutes.
    s.stop().await;
    assert!(started.elapsed() < Duration::from_secs(10));
    in_flight.abort();
}
