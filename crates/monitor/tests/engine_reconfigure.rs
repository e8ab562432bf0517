//! A configuration change applied in place (`Engine::reconfigure`), on tokio's paused clock
//! against the fakes: unchanged targets keep their state, their schedule and their probe in
//! flight; a changed target keeps its status and is probed again on its new settings; an added
//! one is visible at once and probed soon; a removed one ends as unknown. No sleeps.

mod common;

use common::{prober, KEY};
use fake_llm::{FakeServer, Fault, Flavor};
use monitor::config::Config;
use monitor::{Engine, EngineOptions, Event, Snapshot, Status, TargetView};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::Instant;

/// OpenAI targets `(id, name, url)`, checked every 30 s.
fn config(targets: &[(&str, &str, &str)]) -> Config {
    let mut text = String::from("[defaults]\ninterval = \"30s\"\ntimeout = \"5s\"\n");
    for (id, name, url) in targets {
        text.push_str(&format!(
            "\n[[targets]]\nid = \"{id}\"\nname = \"{name}\"\nkind = \"openai\"\nbase_url = \"{url}\"\n"
        ));
    }
    Config::parse(&text, "test").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

async fn openai_fake() -> FakeServer {
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    fake.set_api_key(Some(KEY));
    fake
}

fn start(config: Config) -> Engine {
    Engine::start(
        config,
        prober(),
        EngineOptions {
            first_check_within: Duration::from_millis(10),
            ..EngineOptions::default()
        },
    )
}

fn view<'a>(snapshot: &'a Snapshot, id: &str) -> &'a TargetView {
    snapshot
        .targets
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("{id} is not watched: {snapshot:?}"))
}

/// Waits (in virtual time) until every one of `ids` has been checked and is healthy.
async fn all_healthy(engine: &Engine, ids: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let snapshot = engine.snapshot();
        let healthy = |id: &&str| {
            snapshot
                .targets
                .iter()
                .any(|t| t.id == *id && t.status == Status::Healthy && !t.checking)
        };
        if ids.iter().all(healthy) {
            return;
        }
        assert!(Instant::now() < deadline, "not healthy: {snapshot:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until a probe of `id` is in flight.
async fn until_checking(engine: &Engine, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !view(&engine.snapshot(), id).checking {
        assert!(Instant::now() < deadline, "the probe never started");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Every event of the next `span` of virtual time.
async fn collect(rx: &mut broadcast::Receiver<Event>, span: Duration) -> Vec<Event> {
    let deadline = Instant::now() + span;
    let mut out = Vec::new();
    while let Ok(event) = tokio::time::timeout_at(deadline, rx.recv()).await {
        out.push(event.expect("event channel"));
    }
    out
}

fn transitions_of<'a>(events: &'a [Event], id: &'a str) -> Vec<&'a monitor::Transition> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Transition(t) if t.target == id => Some(t),
            _ => None,
        })
        .collect()
}

fn checks_of(events: &[Event], id: &str) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Checked(c) if c.target == id))
        .count()
}

#[tokio::test(start_paused = true)]
async fn added_removed_and_unchanged_targets_are_reconfigured_one_by_one() {
    let (a, b, c) = (
        openai_fake().await,
        openai_fake().await,
        openai_fake().await,
    );
    let engine = start(config(&[
        ("a", "A", &a.base_url()),
        ("b", "B", &b.base_url()),
    ]));
    all_healthy(&engine, &["a", "b"]).await;
    let before = engine.snapshot();
    let a_before = view(&before, "a").clone();
    let mut rx = engine.subscribe();

    assert!(
        engine
            .reconfigure(config(&[
                ("a", "A", &a.base_url()),
                ("c", "C", &c.base_url()),
            ]))
            .await
    );

    // Readable the moment the change is applied: the added target, and the unchanged one as
    // it was, down to its next check.
    let after = engine.snapshot();
    let ids: Vec<&str> = after.targets.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["a", "c"]);
    let a_after = view(&after, "a");
    assert_eq!(a_after.status, Status::Healthy);
    assert_eq!(a_after.since, a_before.since);
    // `next_check_at` is on the wall clock, which runs on while the test's clock is paused;
    // a rescheduled check would be due within 10 ms instead of in about 30 s.
    let (due_after, due_before) = (
        a_after.next_check_at.unwrap(),
        a_before.next_check_at.unwrap(),
    );
    assert!(
        (due_after - due_before).num_milliseconds().abs() < 1000,
        "{due_before} became {due_after}"
    );
    assert_eq!(view(&after, "c").status, Status::Unknown);

    let events = collect(&mut rx, Duration::from_secs(65)).await;
    // The removed target's status ends; the unchanged one has no transition at all (no
    // "unknown" blip at a save), and keeps its 30 s rhythm.
    let b_ends = transitions_of(&events, "b");
    assert_eq!(b_ends.len(), 1, "{b_ends:?}");
    assert_eq!(b_ends[0].to, Status::Unknown);
    assert_eq!(b_ends[0].reason, "removed from the configuration");
    assert_eq!(checks_of(&events, "b"), 0);
    assert!(transitions_of(&events, "a").is_empty(), "{events:?}");
    assert_eq!(checks_of(&events, "a"), 2, "{events:?}");
    let c_up = transitions_of(&events, "c");
    assert_eq!(
        c_up.first().map(|t| t.to),
        Some(Status::Healthy),
        "{c_up:?}"
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_probe_in_flight_of_an_unchanged_target_survives_the_change() {
    let (a, b) = (openai_fake().await, openai_fake().await);
    let engine = start(config(&[("a", "A", &a.base_url())]));
    all_healthy(&engine, &["a"]).await;
    a.set_fault(Fault::Latency(Duration::from_secs(3)));
    engine.check_now(Some("a"));
    until_checking(&engine, "a").await;
    let mut rx = engine.subscribe();
    assert!(
        engine
            .reconfigure(config(&[
                ("a", "A", &a.base_url()),
                ("b", "B", &b.base_url()),
            ]))
            .await
    );
    assert!(view(&engine.snapshot(), "a").checking);
    let events = collect(&mut rx, Duration::from_secs(10)).await;
    // The probe started before the change reports, and no second one was started for it.
    assert_eq!(checks_of(&events, "a"), 1, "{events:?}");
    assert!(transitions_of(&events, "a").is_empty());
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_changed_target_keeps_its_status_and_is_probed_on_its_new_settings() {
    let (old, new) = (openai_fake().await, openai_fake().await);
    let engine = start(config(&[("a", "A", &old.base_url())]));
    all_healthy(&engine, &["a"]).await;
    let since = view(&engine.snapshot(), "a").since;
    // A probe on the old settings is in flight at the change: what it finds is stale.
    old.set_fault(Fault::Latency(Duration::from_secs(3)));
    engine.check_now(Some("a"));
    until_checking(&engine, "a").await;
    old.set_fault(Fault::Status(500));
    new.clear_requests();
    let mut rx = engine.subscribe();
    assert!(
        engine
            .reconfigure(config(&[("a", "Renamed", &new.base_url())]))
            .await
    );
    let renamed = engine.snapshot();
    assert_eq!(view(&renamed, "a").name, "Renamed");
    assert_eq!(view(&renamed, "a").status, Status::Healthy);
    assert_eq!(view(&renamed, "a").since, since);

    let events = collect(&mut rx, Duration::from_secs(10)).await;
    // Probed at once on the new URL; the old probe's outcome never reached the state machine.
    assert_eq!(checks_of(&events, "a"), 1, "{events:?}");
    assert!(!new.requests().is_empty());
    assert!(transitions_of(&events, "a").is_empty(), "{events:?}");
    assert_eq!(view(&engine.snapshot(), "a").since, since);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_disabled_target_ends_as_unknown_and_is_no_longer_probed() {
    let a = openai_fake().await;
    let engine = start(config(&[("a", "A", &a.base_url())]));
    all_healthy(&engine, &["a"]).await;
    let mut rx = engine.subscribe();
    let mut off = config(&[("a", "A", &a.base_url())]);
    off.targets[0].enabled = false;
    assert!(engine.reconfigure(off).await);
    assert!(engine.snapshot().targets.is_empty());
    let events = collect(&mut rx, Duration::from_secs(65)).await;
    let ends = transitions_of(&events, "a");
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0].reason, "disabled");
    assert_eq!(checks_of(&events, "a"), 0);
    engine.shutdown().await;
    assert!(!engine.reconfigure(Config::default()).await);
}
