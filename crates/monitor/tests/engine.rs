//! The scheduler against real (fake) HTTP servers: schedules, hysteresis end to end, commands,
//! concurrency limits, backoff and sleep detection.

use chrono::{DateTime, Utc};
use fake_llm::{FakeServer, Fault, Flavor};
use monitor::config::{Config, Target};
use monitor::engine::WallClock;
use monitor::probe::{KeySource, Prober};
use monitor::{Engine, EngineOptions, Event, Severity, Status};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

const KEY: &str = "sk-test-engine-0123456789abcdef";

struct TestKeys;
impl KeySource for TestKeys {
    fn key_for(&self, _: &Target) -> Option<String> {
        Some(KEY.to_string())
    }
}

fn prober() -> Prober {
    Prober::new(Arc::new(TestKeys)).unwrap()
}

fn config(targets: &[(&str, &str, &str)], extra_defaults: &str) -> Config {
    let mut text = format!(
        "[defaults]\ninterval = \"500ms\"\ntimeout = \"2s\"\nbackoff_max = \"4s\"\n{extra_defaults}\n"
    );
    for (id, kind, url) in targets {
        text.push_str(&format!(
            "[[targets]]\nid = \"{id}\"\nkind = \"{kind}\"\nbase_url = \"{url}\"\n"
        ));
    }
    Config::parse(&text, "test").unwrap()
}

/// An OpenAI fake that accepts the test key.
async fn openai_fake() -> FakeServer {
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    fake.set_api_key(Some(KEY));
    fake
}

/// An engine watching one target, "ai", on `fake`.
fn watch_one(fake: &FakeServer, options: EngineOptions) -> Engine {
    Engine::start(
        config(&[("ai", "openai", &fake.base_url())], ""),
        prober(),
        options,
    )
}

fn quick_options() -> EngineOptions {
    EngineOptions {
        first_check_within: Duration::from_millis(10),
        ..EngineOptions::default()
    }
}

/// Waits for the first event that `pick` accepts, failing the test after `within`.
async fn wait_for<T>(
    rx: &mut broadcast::Receiver<Event>,
    within: Duration,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("timed out waiting for an event")
            .expect("event channel closed");
        if let Some(found) = pick(&event) {
            return found;
        }
    }
}

fn transition_to(id: &'static str, to: Status) -> impl FnMut(&Event) -> Option<Event> {
    move |e| match e {
        Event::Transition(t) if t.target == id && t.to == to => Some(e.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn outage_and_recovery_go_through_hysteresis() {
    let fake = openai_fake().await;
    let cfg = config(&[("ai", "openai", &fake.base_url())], "");
    let engine = Engine::start(cfg, prober(), quick_options());
    let mut rx = engine.subscribe();
    wait_for(
        &mut rx,
        Duration::from_secs(5),
        transition_to("ai", Status::Healthy),
    )
    .await;

    fake.set_fault(Fault::Status(500));
    // The first failure is pending: counted and shown, but no transition until confirmed.
    let pending = wait_for(&mut rx, Duration::from_secs(5), |e| match e {
        Event::Checked(c) => Some(c.clone()),
        Event::Transition(t) => panic!("a pending failure changes no status: {t:?}"),
        _ => None,
    })
    .await;
    assert_eq!(
        (pending.status, pending.consecutive_failures),
        (Status::Healthy, 1)
    );
    assert!(pending.pending());
    let Event::Transition(down) = wait_for(
        &mut rx,
        Duration::from_secs(5),
        transition_to("ai", Status::Unhealthy),
    )
    .await
    else {
        unreachable!()
    };
    assert_eq!(down.class, monitor::Class::ServerError);
    assert!(
        down.reason.contains("2 failures in a row"),
        "{}",
        down.reason
    );
    assert_eq!(engine.snapshot().overall, Status::Unhealthy);

    fake.clear_faults();
    let closed = wait_for(&mut rx, Duration::from_secs(10), |e| match e {
        Event::Incident(i) if i.ended_at.is_some() => Some(i.clone()),
        _ => None,
    })
    .await;
    assert_eq!(closed.worst, Status::Unhealthy);
    assert_eq!(closed.cause, monitor::Class::ServerError);
    assert_eq!(engine.snapshot().targets[0].status, Status::Healthy);
    engine.shutdown().await;
}

#[tokio::test]
async fn check_now_pause_and_resume() {
    let fake = openai_fake().await;
    let cfg = config(&[("ai", "openai", &fake.base_url())], "");
    let mut cfg = cfg;
    cfg.targets[0].timing.interval = Duration::from_secs(3600);
    cfg.targets[0].timing.backoff_max = Duration::from_secs(3600);
    let engine = Engine::start(cfg, prober(), quick_options());
    let mut rx = engine.subscribe();
    let checked = |e: &Event| matches!(e, Event::Checked(_)).then_some(());
    wait_for(&mut rx, Duration::from_secs(5), checked).await;

    // Next scheduled check is an hour away: only "check now" can cause one.
    engine.check_now(Some("ai"));
    wait_for(&mut rx, Duration::from_secs(2), checked).await;
    engine.check_now(None);
    wait_for(&mut rx, Duration::from_secs(2), checked).await;

    engine.pause();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(engine.snapshot().paused);
    assert_eq!(
        engine.snapshot().overall,
        Status::Unknown,
        "paused shows gray"
    );
    engine.resume();
    wait_for(&mut rx, Duration::from_secs(2), checked).await;
    assert!(!engine.snapshot().paused);
    engine.shutdown().await;
}

#[tokio::test]
async fn pausing_stops_probes() {
    let fake = openai_fake().await;
    let engine = watch_one(&fake, quick_options());
    tokio::time::sleep(Duration::from_millis(700)).await;
    engine.pause();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = fake.requests().len();
    assert!(before >= 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(fake.requests().len(), before, "no probe while paused");
    engine.shutdown().await;
}

#[tokio::test]
async fn global_cap_limits_probes_in_flight() {
    let mut fakes = Vec::new();
    for _ in 0..4 {
        let f = FakeServer::start(Flavor::Openai).await.unwrap();
        f.set_api_key(Some(KEY));
        f.set_fault(Fault::Latency(Duration::from_millis(400)));
        fakes.push(f);
    }
    let urls: Vec<String> = fakes.iter().map(|f| f.base_url()).collect();
    let ids = ["a", "b", "c", "d"];
    let targets: Vec<(&str, &str, &str)> = ids
        .iter()
        .zip(&urls)
        .map(|(id, u)| (*id, "openai", u.as_str()))
        .collect();
    let mut cfg = config(&targets, "");
    cfg.engine.max_concurrent_probes = 2;
    for t in &mut cfg.targets {
        t.timing.interval = Duration::from_secs(60);
        t.timing.backoff_max = Duration::from_secs(60);
    }
    let engine = Engine::start(cfg, prober(), quick_options());
    let mut rx = engine.subscribe();
    let mut starts: Vec<DateTime<Utc>> = Vec::new();
    while starts.len() < 4 {
        let at = wait_for(&mut rx, Duration::from_secs(5), |e| match e {
            Event::Checked(c) => Some(c.outcome.at),
            _ => None,
        })
        .await;
        starts.push(at);
    }
    starts.sort();
    // Two run at once; the other two start only when a permit frees, ~400 ms later.
    let gap = (starts[2] - starts[0]).num_milliseconds();
    assert!(gap >= 350, "third probe started {gap} ms after the first");
    engine.shutdown().await;
}

#[tokio::test]
async fn one_request_at_a_time_per_local_server() {
    let fake = FakeServer::start(Flavor::Ollama).await.unwrap();
    fake.set_fault(Fault::Latency(Duration::from_millis(100)));
    let url = fake.base_url();
    let cfg = config(
        &[
            ("o1", "ollama", &url),
            ("o2", "ollama", &url),
            ("o3", "ollama", &url),
        ],
        "",
    );
    let engine = Engine::start(cfg, prober(), quick_options());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    engine.shutdown().await;
    assert!(
        fake.requests().len() >= 9,
        "{} requests",
        fake.requests().len()
    );
    assert_eq!(fake.max_in_flight(), 1);
}

#[tokio::test]
async fn unhealthy_targets_back_off_but_are_never_dropped() {
    let fake = openai_fake().await;
    // A class where probing more cannot help (a server error would keep the interval).
    fake.set_fault(Fault::Status(404));
    let engine = watch_one(&fake, quick_options());
    tokio::time::sleep(Duration::from_millis(6500)).await;
    engine.shutdown().await;
    let times: Vec<_> = fake.requests().iter().map(|r| r.at).collect();
    // Without backoff: ~13 probes in 6.5 s. With it: 0.5, 0.5, 1, 2, 4 … s apart.
    assert!(
        times.len() >= 4 && times.len() <= 8,
        "{} probes",
        times.len()
    );
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let last = *gaps.last().unwrap();
    assert!(last >= Duration::from_millis(1700), "gaps {gaps:?}");
    assert!(
        gaps.iter().all(|g| *g <= Duration::from_millis(4500)),
        "capped: {gaps:?}"
    );
}

/// A wall clock the test can move forward, as a suspended laptop's clock appears to jump.
struct JumpingClock {
    offset_ms: AtomicI64,
}
impl WallClock for JumpingClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// One OpenAI target probed once an hour, on a wall clock the test moves, noticing a jump of
/// 5 s within 100 ms.
fn sleepy_engine(
    base_url: &str,
    defaults: &str,
    clock: &Arc<JumpingClock>,
    wake_grace: Duration,
) -> Engine {
    let mut cfg = config(&[("ai", "openai", base_url)], defaults);
    cfg.targets[0].timing.interval = Duration::from_secs(3600);
    cfg.targets[0].timing.backoff_max = Duration::from_secs(3600);
    Engine::start(
        cfg,
        prober(),
        EngineOptions {
            clock: clock.clone(),
            sleep_check_every: Duration::from_millis(100),
            sleep_threshold: Duration::from_secs(5),
            wake_grace,
            ..quick_options()
        },
    )
}

#[tokio::test]
async fn waking_from_sleep_rechecks_without_alarms() {
    let fake = openai_fake().await;
    let clock = Arc::new(JumpingClock {
        offset_ms: AtomicI64::new(0),
    });
    let engine = sleepy_engine(&fake.base_url(), "", &clock, Duration::from_secs(3));
    let mut rx = engine.subscribe();
    wait_for(
        &mut rx,
        Duration::from_secs(5),
        transition_to("ai", Status::Healthy),
    )
    .await;

    // The network is not back yet when the machine wakes.
    fake.set_fault(Fault::Drop);
    clock.offset_ms.store(3_600_000, Ordering::SeqCst);
    let (from, to) = wait_for(&mut rx, Duration::from_secs(2), |e| match e {
        Event::Slept { from, to } => Some((*from, *to)),
        _ => None,
    })
    .await;
    assert!((to - from).num_minutes() >= 59, "slept {from} → {to}");
    // It re-checks at once (the next scheduled check was an hour away) …
    let first = wait_for(&mut rx, Duration::from_secs(3), |e| match e {
        Event::Checked(c) => Some(c.clone()),
        Event::Transition(t) => panic!("no alarm during the wake grace: {t:?}"),
        _ => None,
    })
    .await;
    assert_eq!(first.outcome.class, monitor::Class::Connect);
    assert_eq!(first.status, Status::Healthy);
    // … and the network comes back within the grace period: no transition ever happened.
    fake.clear_faults();
    tokio::time::sleep(Duration::from_secs(3)).await;
    while let Ok(e) = rx.try_recv() {
        assert!(!matches!(e, Event::Transition(_)), "unexpected {e:?}");
    }
    assert_eq!(engine.snapshot().targets[0].status, Status::Healthy);
    engine.shutdown().await;
}

#[tokio::test]
async fn lossless_sink_receives_everything_in_order() {
    let fake = openai_fake().await;
    let (tx, mut sink) = tokio::sync::mpsc::channel(1024);
    let engine = Engine::start(
        config(&[("ai", "openai", &fake.base_url())], ""),
        prober(),
        EngineOptions {
            sink: Some(tx),
            ..quick_options()
        },
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    engine.shutdown().await;
    drop(engine);
    let mut events = Vec::new();
    while let Some(e) = sink.recv().await {
        events.push(e);
    }
    let checks = events
        .iter()
        .filter(|e| matches!(e, Event::Checked(_)))
        .count();
    assert!(checks >= 2, "{checks} checks");
    assert!(matches!(events[0], Event::Checked(_)));
    assert!(matches!(&events[1], Event::Transition(t) if t.to == Status::Healthy));
    // The last word: nobody watches any more, so the status is unknown from here on.
    assert!(
        matches!(events.last(), Some(Event::Transition(t)) if t.to == Status::Unknown && t.reason == "monitoring stopped"),
        "{:?}",
        events.last()
    );
}

#[tokio::test]
async fn stopping_ends_open_incidents() {
    let fake = openai_fake().await;
    fake.set_fault(Fault::Status(500));
    let engine = watch_one(&fake, quick_options());
    let mut rx = engine.subscribe();
    wait_for(
        &mut rx,
        Duration::from_secs(5),
        transition_to("ai", Status::Unhealthy),
    )
    .await;
    engine.shutdown().await;
    let mut closed = None;
    while let Ok(e) = rx.try_recv() {
        if let Event::Incident(i) = e {
            closed = Some(i);
        }
    }
    let closed = closed.expect("the open incident is closed at shutdown");
    assert!(closed.ended_at.is_some());
    assert_eq!(closed.worst, Status::Unhealthy);
    assert_eq!(engine.snapshot().targets[0].status, Status::Unknown);
}

/// The count of failures in a row that `checked` events carry is the state machine's: a hard
/// failure during the wake grace is not counted, so it does not raise it (a reader counting
/// `checked` failures itself would).
#[tokio::test(start_paused = true)]
async fn failures_in_a_row_skip_the_wake_grace() {
    let fake = openai_fake().await;
    fake.set_fault(Fault::Status(500));
    let clock = Arc::new(JumpingClock {
        offset_ms: AtomicI64::new(0),
    });
    // A high threshold keeps the failure pending; the long interval leaves only the first check
    // and the re-checks after waking.
    // Wall-clock time: the whole test takes far less.
    let engine = sleepy_engine(
        &fake.base_url(),
        "failure_threshold = 5",
        &clock,
        Duration::from_secs(600),
    );
    let mut rx = engine.subscribe();
    let checked = |e: &Event| match e {
        Event::Checked(c) => Some(c.clone()),
        _ => None,
    };

    // Outside the grace a hard failure counts.
    let first = wait_for(&mut rx, Duration::from_secs(5), checked).await;
    assert_eq!(first.outcome.class.severity(), Severity::Hard);
    // Pending: the first check failed, nothing is confirmed yet.
    assert_eq!(first.status, Status::Unknown);
    assert!(first.pending());
    assert_eq!(first.consecutive_failures, 1);
    assert_eq!(engine.snapshot().targets[0].consecutive_failures, 1);

    // The machine wakes with the network still down: the re-check at once and the one soon after
    // fail hard, inside the grace, and are not counted.
    clock.offset_ms.store(3_600_000, Ordering::SeqCst);
    wait_for(&mut rx, Duration::from_secs(2), |e| {
        matches!(e, Event::Slept { .. }).then_some(())
    })
    .await;
    for _ in 0..2 {
        let graced = wait_for(&mut rx, Duration::from_secs(10), checked).await;
        assert_eq!(graced.outcome.class.severity(), Severity::Hard);
        assert_eq!(graced.status, Status::Unknown);
        assert_eq!(graced.consecutive_failures, 1, "{graced:?}");
        assert_eq!(engine.snapshot().targets[0].consecutive_failures, 1);
    }
    assert!(fake.requests().len() >= 3);
    engine.shutdown().await;
}
