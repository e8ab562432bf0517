//! A hung local server must not stall targets elsewhere: probes waiting for a busy server hold
//! no global permit, and their wait is bounded.

use fake_llm::{FakeServer, Fault, Flavor};
use monitor::config::{Config, Target};
use monitor::probe::{KeySource, Prober};
use monitor::{Class, Engine, EngineOptions, Event};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "sk-test-trust-engine-0123456789";

struct TestKeys;
impl KeySource for TestKeys {
    fn key_for(&self, _: &Target) -> Option<String> {
        Some(KEY.to_string())
    }
}

#[tokio::test(start_paused = true)]
async fn a_hung_local_server_does_not_stall_other_targets() {
    let hung = FakeServer::start(Flavor::Ollama).await.unwrap();
    hung.set_fault(Fault::Hang);
    let mut others = Vec::new();
    for _ in 0..6 {
        let fake = FakeServer::start(Flavor::Openai).await.unwrap();
        fake.set_api_key(Some(KEY));
        others.push(fake);
    }
    let mut text = String::from(
        "[engine]\nmax_concurrent_probes = 2\n\n[defaults]\ninterval = \"1s\"\ntimeout = \"2s\"\n",
    );
    // Three targets on the hung server: one probe hangs there, two wait for it.
    for i in 0..3 {
        text.push_str(&format!(
            "[[targets]]\nid = \"hung-{i}\"\nkind = \"ollama\"\nbase_url = \"{}\"\ntimeout = \"60s\"\n",
            hung.url()
        ));
    }
    for (i, fake) in others.iter().enumerate() {
        text.push_str(&format!(
            "[[targets]]\nid = \"other-{i}\"\nkind = \"openai\"\nbase_url = \"{}\"\n",
            fake.base_url()
        ));
    }
    let config = Config::parse(&text, "test").unwrap();
    let engine = Engine::start(
        config,
        Prober::new(Arc::new(TestKeys)).unwrap(),
        EngineOptions {
            first_check_within: Duration::from_millis(10),
            ..EngineOptions::default()
        },
    );
    let mut rx = engine.subscribe();

    // 30 s (paused clock: it passes as fast as the probes allow), well inside the hung
    // probe's 60 s timeout.
    let window_end = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut checks: HashMap<String, Vec<Class>> = HashMap::new();
    while let Ok(Ok(event)) = tokio::time::timeout_at(window_end, rx.recv()).await {
        if let Event::Checked(c) = event {
            checks
                .entry(c.target.to_string())
                .or_default()
                .push(c.outcome.class);
        }
    }
    for i in 0..6 {
        let got = checks.get(&format!("other-{i}")).map_or(0, Vec::len);
        // Every second, give or take the scheduler's jitter.
        assert!(
            got >= 20,
            "other-{i} was probed {got} times in 30 s: {checks:?}"
        );
    }
    for i in 0..3 {
        assert!(
            !checks.contains_key(&format!("hung-{i}")),
            "nothing on the hung server finished yet: {checks:?}"
        );
    }

    // The probe on the hung server times out after its 60 s. The two waiting behind it stop
    // waiting after theirs (one of them may get the server just then, and hang in turn), with
    // an outcome that says why: 75 s in, both kinds of outcome are there.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
    let busy_message = "not probed: the server was busy with another probe for 1m \
                        (one probe at a time per local server)";
    let mut hung_outcomes = Vec::new();
    let seen = |outcomes: &[monitor::Outcome], message: &str| {
        outcomes.iter().any(|o| o.message == message)
    };
    while !(seen(&hung_outcomes, busy_message)
        && seen(&hung_outcomes, "no complete answer within 1m"))
    {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no busy and timeout outcomes: {hung_outcomes:#?}"))
            .expect("events");
        if let Event::Checked(c) = event {
            if c.target.starts_with("hung-") {
                hung_outcomes.push(c.outcome);
            }
        }
    }
    assert!(
        hung_outcomes.iter().all(|o| o.class == Class::Timeout),
        "{hung_outcomes:#?}"
    );
    assert_eq!(hung.max_in_flight(), 1);
    engine.shutdown().await;
}
