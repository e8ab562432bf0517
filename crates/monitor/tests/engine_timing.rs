//! The scheduler's timing on tokio's paused clock, against the fakes: how fast a failure is
//! confirmed, where probing backs off and where it keeps the interval, and that a blip is neither
//! a transition nor an incident. No test sleeps on the real clock: virtual time jumps from one
//! probe to the next, so a minute of monitoring takes milliseconds.

mod common;

use common::{prober, KEY};
use fake_llm::{FakeServer, Fault, Flavor};
use monitor::config::Config;
use monitor::{Check, Class, Engine, EngineOptions, Event, Status};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::Instant;

/// One OpenAI target "ai" at `url`; `defaults` holds timing keys, `extra` more target keys.
fn config(url: &str, defaults: &str, extra: &str) -> Config {
    let text = format!(
        "[defaults]\ntimeout = \"2s\"\n{defaults}\n\n[[targets]]\nid = \"ai\"\nkind = \"openai\"\nbase_url = \"{url}\"\n{extra}\n"
    );
    Config::parse(&text, "test").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

async fn openai_fake() -> FakeServer {
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    fake.set_api_key(Some(KEY));
    fake
}

/// Starts the engine and waits until its first check made the target healthy.
async fn healthy(config: Config) -> (Engine, broadcast::Receiver<Event>) {
    let engine = Engine::start(
        config,
        prober(),
        EngineOptions {
            first_check_within: Duration::from_millis(10),
            ..EngineOptions::default()
        },
    );
    let mut rx = engine.subscribe();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("no first check")
            .expect("event channel closed");
        if matches!(&event, Event::Transition(t) if t.to == Status::Healthy) {
            return (engine, rx);
        }
    }
}

/// Every event of the next `span` of (virtual) time, each with when it came.
async fn collect(rx: &mut broadcast::Receiver<Event>, span: Duration) -> Vec<(Instant, Event)> {
    let deadline = Instant::now() + span;
    let mut out = Vec::new();
    while let Ok(event) = tokio::time::timeout_at(deadline, rx.recv()).await {
        out.push((Instant::now(), event.expect("event channel")));
    }
    out
}

fn checks(events: &[(Instant, Event)]) -> Vec<(Instant, Check)> {
    events
        .iter()
        .filter_map(|(at, e)| match e {
            Event::Checked(c) => Some((*at, c.clone())),
            _ => None,
        })
        .collect()
}

fn gaps(checks: &[(Instant, Check)]) -> Vec<Duration> {
    checks.windows(2).map(|w| w[1].0 - w[0].0).collect()
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// The outage starts right after a good check (the worst case: a whole interval until the next
/// one); it is confirmed within `interval + confirm_interval × (threshold − 1)`, each confirming
/// probe `confirm_interval` after the one before, and only the confirmation is a transition.
async fn confirmed_within(threshold: u32) {
    let fake = openai_fake().await;
    let defaults = format!("interval = \"30s\"\nfailure_threshold = {threshold}\n");
    let (engine, mut rx) = healthy(config(&fake.base_url(), &defaults, "")).await;
    fake.set_fault(Fault::Status(500));
    let start = Instant::now();
    let events = collect(&mut rx, Duration::from_secs(60)).await;
    let down = events
        .iter()
        .find_map(|(at, e)| match e {
            Event::Transition(t) if t.to == Status::Unhealthy => Some((*at, t.clone())),
            Event::Transition(t) => panic!("a pending failure is no transition: {t:?}"),
            _ => None,
        })
        .expect("confirmed as unhealthy");
    let limit = secs(30.0 + 5.0 * f64::from(threshold - 1));
    assert!(
        down.0 - start <= limit,
        "confirmed after {:?}",
        down.0 - start
    );
    assert!(
        down.1
            .reason
            .contains(&format!("{threshold} failures in a row")),
        "{}",
        down.1.reason
    );

    let failing: Vec<_> = checks(&events)
        .into_iter()
        .take(threshold as usize)
        .collect();
    assert!(
        failing[0].0 - start >= secs(27.0),
        "{:?}",
        failing[0].0 - start
    );
    for (n, (_, c)) in failing.iter().enumerate() {
        assert_eq!(c.consecutive_failures, n as u32 + 1);
        let last = n + 1 == threshold as usize;
        assert_eq!(c.pending(), !last, "{c:?}");
        assert_eq!(
            c.status,
            if last {
                Status::Unhealthy
            } else {
                Status::Healthy
            }
        );
    }
    for gap in gaps(&failing) {
        assert!(gap >= secs(4.5) && gap <= secs(5.0), "confirm gap {gap:?}");
    }
    // The incident opens with the confirmation, and starts at the first failure.
    let incidents: Vec<_> = events
        .iter()
        .filter_map(|(at, e)| match e {
            Event::Incident(i) => Some((*at, i.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0].0, down.0);
    assert_eq!(incidents[0].1.started_at, failing[0].1.outcome.at);
    assert_eq!(incidents[0].1.worst, Status::Unhealthy);
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_outage_is_confirmed_within_interval_plus_confirm_interval() {
    confirmed_within(2).await;
}

#[tokio::test(start_paused = true)]
async fn every_confirming_probe_comes_after_confirm_interval() {
    confirmed_within(3).await;
}

#[tokio::test(start_paused = true)]
async fn a_blip_is_pending_never_a_transition_or_an_incident() {
    let fake = openai_fake().await;
    let (engine, mut rx) = healthy(config(&fake.base_url(), "interval = \"30s\"", "")).await;
    fake.push_faults([Fault::Status(502)]);
    let blip = match rx.recv().await.expect("event channel") {
        Event::Checked(c) => c,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(blip.outcome.class, Class::ServerError);
    assert_eq!(
        (blip.status, blip.consecutive_failures),
        (Status::Healthy, 1)
    );
    assert!(blip.pending());
    // Readers see it too: the row shows the pending check.
    let view = engine.snapshot().targets[0].clone();
    assert!(view.pending(), "{view:?}");
    assert_eq!(view.status, Status::Healthy);
    assert_eq!(engine.snapshot().overall, Status::Healthy);

    let events = collect(&mut rx, Duration::from_secs(70)).await;
    for (_, e) in &events {
        assert!(
            matches!(e, Event::Checked(_)),
            "a blip changes nothing: {e:?}"
        );
    }
    let after = checks(&events);
    // Confirmed 5 s later, found fine, then the normal interval again.
    assert_eq!(after[0].1.outcome.class, Class::Ok);
    assert!(!after[0].1.pending());
    let gaps = gaps(&after);
    assert!(gaps.iter().all(|g| *g >= secs(27.0)), "{gaps:?}");
    assert!(!engine.snapshot().targets[0].pending());
    engine.shutdown().await;
}

/// The checks of the next `span` after `fail` broke a healthy target (`extra`: more target keys).
async fn failing_checks(
    defaults: &str,
    extra: &str,
    fail: impl FnOnce(&FakeServer),
    span: Duration,
) -> Vec<(Instant, Check)> {
    let fake = openai_fake().await;
    let (engine, mut rx) = healthy(config(&fake.base_url(), defaults, extra)).await;
    fail(&fake);
    let events = collect(&mut rx, span).await;
    engine.shutdown().await;
    checks(&events)
}

#[tokio::test(start_paused = true)]
async fn auth_quota_and_rate_limits_are_never_confirmed_quickly() {
    type Fail = Box<dyn FnOnce(&FakeServer)>;
    let cases: [(Class, Fail); 3] = [
        (Class::Auth, Box::new(|f| f.set_api_key(Some("another")))),
        (
            Class::Quota,
            Box::new(|f| f.set_fault(Fault::InsufficientQuota)),
        ),
        (
            Class::RateLimited,
            Box::new(|f| {
                f.set_fault(Fault::RateLimited {
                    retry_after_secs: 0,
                })
            }),
        ),
    ];
    for (class, fail) in cases {
        let checks = failing_checks("interval = \"30s\"", "", fail, secs(65.0)).await;
        assert!(checks.len() >= 2, "{class}: {checks:?}");
        assert!(checks.iter().all(|(_, c)| c.outcome.class == class));
        let gaps = gaps(&checks);
        assert!(gaps.iter().all(|g| *g >= secs(27.0)), "{class}: {gaps:?}");
    }
}

/// Gaps between failing checks, at a 1 s interval, threshold 2, `backoff_max` 16 s.
async fn backoff_gaps(extra: &str, fail: impl FnOnce(&FakeServer), class: Class) -> Vec<Duration> {
    let defaults = "interval = \"1s\"\nbackoff_max = \"16s\"";
    let checks = failing_checks(defaults, extra, fail, secs(60.0)).await;
    assert!(
        checks.iter().all(|(_, c)| c.outcome.class == class),
        "{class}: {:?}",
        checks
            .iter()
            .map(|(_, c)| c.outcome.class)
            .collect::<Vec<_>>()
    );
    gaps(&checks)
}

/// Backed off: gaps double up to the cap, so 60 s hold few probes and the last are ~16 s apart.
fn assert_backs_off(class: Class, gaps: &[Duration]) {
    assert!(
        gaps.len() <= 10,
        "{class}: {} probes in 60 s: {gaps:?}",
        gaps.len() + 1
    );
    let last = *gaps.last().expect("several checks");
    assert!(last >= secs(14.0), "{class}: {gaps:?}");
    assert!(
        gaps.iter().all(|g| *g <= secs(16.0)),
        "{class}: capped {gaps:?}"
    );
    for w in gaps.windows(2) {
        assert!(w[1] >= w[0].mul_f64(0.85), "{class}: not growing {gaps:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn backoff_where_probing_more_cannot_help() {
    let gaps = backoff_gaps("", |f| f.set_api_key(Some("another")), Class::Auth).await;
    assert_backs_off(Class::Auth, &gaps);
    let gaps = backoff_gaps("", |f| f.set_fault(Fault::InsufficientQuota), Class::Quota).await;
    assert_backs_off(Class::Quota, &gaps);
    let gaps = backoff_gaps("", |f| f.set_fault(Fault::Status(404)), Class::NotFound).await;
    assert_backs_off(Class::NotFound, &gaps);
}

#[tokio::test(start_paused = true)]
async fn backoff_where_probing_more_makes_it_worse() {
    let storm = |f: &FakeServer| {
        f.set_fault(Fault::RateLimited {
            retry_after_secs: 0,
        })
    };
    let gaps = backoff_gaps("", storm, Class::RateLimited).await;
    assert_backs_off(Class::RateLimited, &gaps);
    let gaps = backoff_gaps("", |f| f.set_fault(Fault::Status(503)), Class::Overloaded).await;
    assert_backs_off(Class::Overloaded, &gaps);
    // Retry-After is honoured from the first answer on (within backoff_max).
    let told = |f: &FakeServer| {
        f.set_fault(Fault::RateLimited {
            retry_after_secs: 10,
        })
    };
    let gaps = backoff_gaps("", told, Class::RateLimited).await;
    assert!(gaps.iter().all(|g| *g >= secs(9.0)), "{gaps:?}");
    assert!(gaps.iter().all(|g| *g <= secs(16.0)), "{gaps:?}");
}

#[tokio::test(start_paused = true)]
async fn inference_canaries_back_off_they_spend_tokens() {
    let canary = "probe = \"inference\"\nmodel = \"gpt-4o-mini\"";
    for (fault, class) in [
        (Fault::Status(500), Class::ServerError),
        (Fault::Garbage, Class::BadResponse),
    ] {
        let gaps = backoff_gaps(canary, |f| f.set_fault(fault), class).await;
        assert_backs_off(class, &gaps);
    }
}

/// A 9 s outage at a 1 s interval: probes stay ~1 s apart (plus a probe's own time), and the
/// recovery is seen within one interval of its happening.
async fn recovery_within_one_interval(fault: Fault, class: Class) {
    let fake = openai_fake().await;
    let defaults = "interval = \"1s\"\nbackoff_max = \"1m\"";
    let (engine, mut rx) = healthy(config(&fake.base_url(), defaults, "")).await;
    fake.set_fault(fault);
    let outage = collect(&mut rx, secs(9.0)).await;
    fake.clear_faults();
    let recovered_at = Instant::now();
    let after = collect(&mut rx, secs(5.0)).await;
    engine.shutdown().await;
    assert_no_backoff_then_recovery(class, &outage, recovered_at, &after, secs(0.0));
}

fn assert_no_backoff_then_recovery(
    class: Class,
    outage: &[(Instant, Event)],
    recovered_at: Instant,
    after: &[(Instant, Event)],
    probe_time: Duration,
) {
    let failing = checks(outage);
    assert!(
        failing.iter().all(|(_, c)| c.outcome.class == class),
        "{class}: {:?}",
        failing
            .iter()
            .map(|(_, c)| c.outcome.class)
            .collect::<Vec<_>>()
    );
    assert!(
        outage
            .iter()
            .any(|(_, e)| matches!(e, Event::Transition(t) if t.to == Status::Unhealthy)),
        "{class}: the outage was confirmed"
    );
    let gaps = gaps(&failing);
    assert!(
        gaps.iter().all(|g| *g <= secs(1.0) + probe_time),
        "{class}: no backoff: {gaps:?}"
    );
    let checks = checks(after);
    let first_ok = checks
        .iter()
        .find(|(_, c)| c.outcome.class == Class::Ok)
        .expect("recovered");
    assert!(
        first_ok.0 - recovered_at <= secs(1.0) + probe_time,
        "{class}: recovery seen after {:?}",
        first_ok.0 - recovered_at
    );
    // Confirmed at confirm_interval (here the interval): healthy one interval later.
    let healthy = after
        .iter()
        .find_map(|(at, e)| match e {
            Event::Transition(t) if t.to == Status::Healthy => Some(*at),
            _ => None,
        })
        .expect("healthy again");
    assert!(healthy - first_ok.0 <= secs(1.0), "{class}");
}

#[tokio::test(start_paused = true)]
async fn no_backoff_for_server_errors_recovery_within_one_interval() {
    recovery_within_one_interval(Fault::Status(500), Class::ServerError).await;
}

#[tokio::test(start_paused = true)]
async fn no_backoff_for_bad_responses_recovery_within_one_interval() {
    recovery_within_one_interval(Fault::Garbage, Class::BadResponse).await;
}

#[tokio::test(start_paused = true)]
async fn no_backoff_for_timeouts() {
    let fake = openai_fake().await;
    let defaults = "interval = \"1s\"\nbackoff_max = \"1m\"";
    let (engine, mut rx) = healthy(config(&fake.base_url(), defaults, "")).await;
    fake.set_fault(Fault::Hang);
    // Longer than 9 s: at 2 s a probe, 9 s hold too few probes to tell a backoff.
    let outage = collect(&mut rx, secs(15.0)).await;
    fake.clear_faults();
    let recovered_at = Instant::now();
    let after = collect(&mut rx, secs(8.0)).await;
    engine.shutdown().await;
    // Each probe takes its whole timeout (2 s): the one in flight at the recovery included.
    assert_no_backoff_then_recovery(Class::Timeout, &outage, recovered_at, &after, secs(2.0));
}

#[tokio::test(start_paused = true)]
async fn no_backoff_for_a_server_that_is_gone() {
    let fake = openai_fake().await;
    let addr = fake.addr();
    let defaults = "interval = \"1s\"\nbackoff_max = \"1m\"";
    let (engine, mut rx) = healthy(config(&fake.base_url(), defaults, "")).await;
    fake.shutdown().await;
    let outage = collect(&mut rx, secs(9.0)).await;
    let back = FakeServer::start_on(Flavor::Openai, addr).await.unwrap();
    back.set_api_key(Some(KEY));
    let recovered_at = Instant::now();
    let after = collect(&mut rx, secs(5.0)).await;
    engine.shutdown().await;
    assert_no_backoff_then_recovery(Class::Connect, &outage, recovered_at, &after, secs(0.0));
}

/// Rate-limited `n` checks in a row, at a 1 s interval, then fine: the events of it all.
async fn rate_limited_for(n: usize) -> Vec<(Instant, Event)> {
    let fake = openai_fake().await;
    let (engine, mut rx) = healthy(config(&fake.base_url(), "interval = \"1s\"", "")).await;
    fake.push_faults(vec![
        Fault::RateLimited {
            retry_after_secs: 0
        };
        n
    ]);
    let events = collect(&mut rx, secs(20.0)).await;
    engine.shutdown().await;
    let limited = checks(&events)
        .iter()
        .take_while(|(_, c)| c.outcome.class == Class::RateLimited)
        .count();
    assert_eq!(limited, n);
    events
}

#[tokio::test(start_paused = true)]
async fn two_degraded_checks_are_no_incident() {
    let events = rate_limited_for(2).await;
    let statuses: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Transition(t) => Some(t.to),
            Event::Incident(i) => panic!("two degraded checks are no incident: {i:?}"),
            _ => None,
        })
        .collect();
    // Degraded is shown, as it is.
    assert_eq!(statuses, [Status::Degraded, Status::Healthy]);
}

#[tokio::test(start_paused = true)]
async fn three_degraded_checks_in_a_row_open_an_incident() {
    let events = rate_limited_for(3).await;
    let limited = checks(&events);
    let incidents: Vec<_> = events
        .iter()
        .filter_map(|(at, e)| match e {
            Event::Incident(i) => Some((*at, i.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(incidents.len(), 2, "opened and closed: {incidents:?}");
    let (opened_at, opened) = &incidents[0];
    // Opened by the third degraded check, starting at the first.
    assert_eq!(*opened_at, limited[2].0);
    assert_eq!(opened.started_at, limited[0].1.outcome.at);
    assert_eq!(
        (opened.worst, opened.cause, opened.ended_at),
        (Status::Degraded, Class::RateLimited, None)
    );
    assert!(incidents[1].1.ended_at.is_some());
}
