//! Providers' incidents as checks saw them, and the heartbeat strip's recent checks: what a
//! status page reported becomes a span from its start to the first check that no longer saw it;
//! a page that could not be read ends nothing; retention drops old spans only.

mod common;

use common::*;
use monitor::{Class, ComponentStatus, Event, Kind, ProviderIncident, ProviderStatus, Status};
use store::{Retention, Store, TargetInfo, Window};

fn incident(id: Option<&str>, name: &str, started_ms: Option<i64>) -> ProviderIncident {
    ProviderIncident {
        id: id.map(str::to_string),
        name: name.to_string(),
        impact: Some("minor".into()),
        status: Some("investigating".into()),
        started_at: started_ms.map(ts),
        url: id.map(|id| format!("https://status.example.com/incidents/{id}")),
    }
}

fn page(incidents: Vec<ProviderIncident>) -> ProviderStatus {
    ProviderStatus {
        provider: Some("OpenAI".into()),
        page: Some("https://status.example.com".into()),
        component: Some("API".into()),
        component_status: Some(if incidents.is_empty() {
            ComponentStatus::Operational
        } else {
            ComponentStatus::DegradedPerformance
        }),
        incidents,
        ..ProviderStatus::default()
    }
}

fn unread_page() -> ProviderStatus {
    ProviderStatus {
        provider: Some("OpenAI".into()),
        component_status: Some(ComponentStatus::Unknown),
        ..ProviderStatus::default()
    }
}

fn checked(target: &str, at_ms: i64, status: Option<ProviderStatus>) -> Event {
    let mut event = check(target, at_ms, Class::Ok, 120, Status::Healthy);
    if let Event::Checked(c) = &mut event {
        c.outcome.details.provider_status = status;
    }
    event
}

async fn spans(store: &Store, target: Option<&str>) -> Vec<store::ProviderIncidentSpan> {
    store
        .provider_incidents(target, ts(0), ts(T0 + 1000 * DAY))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_reported_incident_is_a_span_until_a_check_no_longer_sees_it() {
    let store = Store::open_memory().await.unwrap();
    let errors = incident(Some("inc1"), "Elevated error rates", Some(T0 - 10 * MIN));
    write_all(
        &store,
        &[
            checked("openai", T0, Some(page(vec![]))),
            checked("openai", T0 + MIN, Some(page(vec![errors.clone()]))),
            checked("openai", T0 + 2 * MIN, Some(page(vec![errors.clone()]))),
        ],
    )
    .await;
    let open = spans(&store, Some("openai")).await;
    assert_eq!(open.len(), 1, "{open:?}");
    let span = &open[0];
    assert_eq!(
        (
            span.target.as_str(),
            span.provider.as_str(),
            span.name.as_str()
        ),
        ("openai", "OpenAI", "Elevated error rates")
    );
    assert_eq!(span.id.as_deref(), Some("inc1"));
    assert_eq!(span.status.as_deref(), Some("investigating"));
    assert_eq!(span.impact.as_deref(), Some("minor"));
    assert_eq!(span.started_at, ts(T0 - 10 * MIN), "the page's own start");
    assert_eq!(span.ended_at, None, "open while reported");

    // A page that could not be read says "unknown" and nothing else: that ends nothing.
    write_all(
        &store,
        &[checked("openai", T0 + 3 * MIN, Some(unread_page()))],
    )
    .await;
    assert_eq!(spans(&store, None).await[0].ended_at, None);

    // The page moves it on, then stops reporting it.
    let mut monitoring = errors.clone();
    monitoring.status = Some("monitoring".into());
    write_all(
        &store,
        &[
            checked("openai", T0 + 4 * MIN, Some(page(vec![monitoring]))),
            checked("openai", T0 + 5 * MIN, Some(page(vec![]))),
            checked("openai", T0 + 6 * MIN, Some(page(vec![]))),
        ],
    )
    .await;
    let closed = spans(&store, None).await;
    assert_eq!(closed.len(), 1);
    assert_eq!(
        closed[0].status.as_deref(),
        Some("monitoring"),
        "its latest word"
    );
    assert_eq!(closed[0].ended_at, Some(ts(T0 + 5 * MIN)));
    assert!(spans(&store, Some("other")).await.is_empty());

    // Reported again: the same incident is open again, from its first start.
    write_all(
        &store,
        &[checked("openai", T0 + 7 * MIN, Some(page(vec![errors])))],
    )
    .await;
    let reopened = spans(&store, None).await;
    assert_eq!(reopened.len(), 1);
    assert_eq!(reopened[0].started_at, ts(T0 - 10 * MIN));
    assert_eq!(reopened[0].ended_at, None);
}

#[tokio::test]
async fn incidents_without_an_id_or_a_start_are_told_apart_and_dated_by_the_check() {
    let store = Store::open_memory().await.unwrap();
    let a = incident(None, "Slow responses", Some(T0 - HOUR));
    let b = incident(None, "Login failures", None);
    write_all(
        &store,
        &[
            checked("openai", T0, Some(page(vec![a.clone(), b.clone()]))),
            checked("openai", T0 + MIN, Some(page(vec![b]))),
            // A later start of the same name is a new incident.
            checked(
                "openai",
                T0 + 2 * MIN,
                Some(page(vec![incident(None, "Slow responses", Some(T0 + MIN))])),
            ),
            // A target that follows no page records nothing.
            checked("ollama", T0 + 2 * MIN, None),
        ],
    )
    .await;
    let all = spans(&store, None).await;
    let got: Vec<(&str, i64, Option<i64>)> = all
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.started_at.timestamp_millis(),
                s.ended_at.map(|t| t.timestamp_millis()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Slow responses", T0 + MIN, None),
            ("Login failures", T0, Some(T0 + 2 * MIN)),
            ("Slow responses", T0 - HOUR, Some(T0 + MIN)),
        ],
        "newest first"
    );
}

#[tokio::test]
async fn the_timeline_carries_its_targets_provider_incidents_within_the_window() {
    let store = Store::open_memory().await.unwrap();
    let errors = incident(Some("inc1"), "Elevated error rates", Some(T0));
    let old = incident(Some("inc0"), "Old outage", Some(T0 - 3 * DAY));
    write_all(
        &store,
        &[
            checked("openai", T0 - 3 * DAY, Some(page(vec![old]))),
            checked("openai", T0 - 2 * DAY, Some(page(vec![]))),
            checked("openai", T0 + MIN, Some(page(vec![errors.clone()]))),
            checked("groq", T0 + MIN, Some(page(vec![errors]))),
        ],
    )
    .await;
    let infos = [TargetInfo {
        id: "openai".into(),
        kind: Kind::Openai,
        name: "OpenAI".into(),
    }];
    let window = Window {
        from: ts(T0 - HOUR),
        to: ts(T0 + HOUR),
        buckets: 10,
    };
    let view = store.timeline(&infos, &window).await.unwrap();
    let names: Vec<(&str, &str)> = view
        .provider_incidents
        .iter()
        .map(|s| (s.target.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [("openai", "Elevated error rates")],
        "only the window's, only the shown targets'"
    );
}

#[tokio::test]
async fn retention_drops_only_provider_incidents_that_ended_before_the_cutoff() {
    let store = Store::open_memory().await.unwrap();
    let old = incident(Some("old"), "Old outage", Some(T0));
    let long = incident(Some("long"), "Long degradation", Some(T0));
    write_all(
        &store,
        &[
            checked("openai", T0, Some(page(vec![old, long.clone()]))),
            checked("openai", T0 + HOUR, Some(page(vec![long]))),
        ],
    )
    .await;
    let retention = Retention {
        raw: chrono::Duration::days(1),
        rollups: chrono::Duration::days(5),
    };
    store.maintain(ts(T0 + 10 * DAY), &retention).await.unwrap();
    let left: Vec<String> = spans(&store, None)
        .await
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(left, ["Long degradation"], "still open, so kept");
}

#[tokio::test]
async fn recent_checks_are_each_targets_last_ones_oldest_first() {
    let mut events = Vec::new();
    for i in 0..40 {
        let class = if i % 10 == 9 {
            Class::Timeout
        } else {
            Class::Ok
        };
        let status = if class == Class::Ok {
            Status::Healthy
        } else {
            Status::Degraded
        };
        events.push(check("a", T0 + i * MIN, class, 100 + i as u64, status));
        if i < 3 {
            events.push(check(
                "b",
                T0 + i * MIN,
                Class::Connect,
                0,
                Status::Unhealthy,
            ));
        }
    }
    let store = store_with(&events).await;
    let got = store
        .recent_checks(&["a", "b", "never"], store::RECENT_CHECKS)
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
    let a = &got[0];
    assert_eq!(a.len(), 30);
    assert_eq!(a[0].at, ts(T0 + 10 * MIN), "the oldest of the last 30");
    assert_eq!(a[29].at, ts(T0 + 39 * MIN));
    assert_eq!(
        (a[29].class, a[29].status),
        (Class::Timeout, Status::Degraded)
    );
    assert_eq!(a[28].latency_ms, 138);
    assert!(a.windows(2).all(|w| w[0].at < w[1].at));
    assert_eq!(got[1].len(), 3);
    assert!(got[1].iter().all(|b| b.class == Class::Connect));
    assert!(got[2].is_empty(), "no checks yet");

    let few = store.recent_checks(&["a"], 5).await.unwrap();
    assert_eq!(few[0].len(), 5);
    assert_eq!(few[0][4], a[29]);
    let capped = store.recent_checks(&["a"], 10_000).await.unwrap();
    assert_eq!(capped[0].len(), 40);
}
