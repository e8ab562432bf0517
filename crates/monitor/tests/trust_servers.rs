//! One local server gets one request at a time, however its targets spell its address.

mod common;

use common::{prober, target};
use fake_llm::{FakeServer, Fault, Flavor};
use monitor::Class;
use std::net::{Ipv6Addr, SocketAddr};
use std::time::Duration;

#[tokio::test]
async fn one_server_spelled_many_ways_gets_one_request_at_a_time() {
    // `[::]` takes IPv4 connections too (Linux's default), so every spelling below reaches it.
    let fake = FakeServer::start_on(Flavor::Ollama, SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)))
        .await
        .unwrap();
    // Long enough that unserialized probes would overlap.
    fake.set_fault(Fault::Latency(Duration::from_millis(150)));
    let port = fake.addr().port();
    let spellings = [
        ("ollama", format!("http://127.0.0.1:{port}")),
        ("ollama", format!("http://localhost:{port}/")),
        ("ollama", format!("http://LOCALHOST:{port}//")),
        ("ollama", format!("http://[::1]:{port}")),
        ("ollama", format!("http://127.0.0.2:{port}")),
        ("openai_compatible", format!("http://0.0.0.0:{port}/v1")),
    ];
    let targets: Vec<_> = spellings
        .iter()
        .map(|(kind, url)| target(kind, url, "timeout = \"30s\""))
        .collect();
    let keys: Vec<String> = targets.iter().map(|t| t.server_key()).collect();
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");
    let p = prober();
    let outcomes = futures_util::future::join_all(targets.iter().map(|t| p.probe(t))).await;
    for (o, (_, url)) in outcomes.iter().zip(&spellings) {
        assert!(
            matches!(o.class, Class::Ok | Class::Slow | Class::NotFound),
            "{url}: {o:#?}"
        );
    }
    assert!(
        fake.requests().len() >= spellings.len(),
        "{:?}",
        fake.requests()
    );
    assert_eq!(
        fake.max_in_flight(),
        1,
        "parallel requests reached one server"
    );
}

#[test]
fn server_keys_tell_servers_apart() {
    let key = |url: &str| target("openai_compatible", url, "").server_key();
    // The scheme's default port.
    assert_eq!(key("http://localhost/v1"), key("http://127.0.0.1:80/v1"));
    assert_eq!(key("https://localhost/v1"), key("http://[::1]:443"));
    assert_eq!(
        key("http://[::ffff:127.0.0.1]:8080"),
        key("http://localhost:8080")
    );
    // Another port is another server; so is another machine.
    assert_ne!(key("http://localhost:8080"), key("http://localhost:8081"));
    assert_ne!(
        key("http://localhost:8080"),
        key("http://192.168.1.20:8080")
    );
    assert_eq!(
        key("http://localhost.:8080/v1/"),
        key("http://0.0.0.0:8080")
    );
    assert_eq!(
        key("http://Box.Example:8080/v1"),
        key("http://box.example.:8080/")
    );
}
