//! Snapshot, incidents, export and ranges: the store gives back what it was given.

mod common;

use common::*;
use monitor::{Check, Class, Details, Event, Kind, LoadedModel, Outcome, Status, TokenUse};
use std::str::FromStr;
use store::{Range, Store, TargetInfo};

fn rich_outcome(at: i64) -> Outcome {
    Outcome {
        at: ts(at),
        class: Class::Slow,
        http_status: Some(200),
        latency_ms: 4200,
        message: "slow: 4.2 s".into(),
        details: Details {
            server_version: Some("0.5.1".into()),
            models: vec!["llama3:8b".into(), "qwen2:7b".into()],
            loaded_models: vec![LoadedModel {
                name: "llama3:8b".into(),
                size_bytes: Some(5_000_000_000),
                vram_share: Some(0.5),
                ..LoadedModel::default()
            }],
            ttft_ms: Some(350),
            tokens: Some(TokenUse {
                input: 7,
                output: 1,
            }),
            ..Details::default()
        },
    }
}

#[tokio::test]
async fn snapshot_has_the_latest_state_and_full_outcome() {
    let store = Store::open_memory().await.unwrap();
    store
        .upsert_targets(&[
            TargetInfo {
                id: "local".into(),
                kind: Kind::Ollama,
                name: "Local Ollama".into(),
            },
            TargetInfo {
                id: "idle".into(),
                kind: Kind::Openai,
                name: "Never probed".into(),
            },
        ])
        .await
        .unwrap();
    store
        .write(&[
            check("local", T0, Class::Ok, 10, Status::Healthy),
            transition("local", T0 + MIN, Status::Healthy, Status::Degraded),
        ])
        .await
        .unwrap();
    // Same status in a later batch: `since` stays at the transition.
    store
        .write(&[
            Event::Checked(Check {
                target: "local".into(),
                outcome: rich_outcome(T0 + 2 * MIN),
                status: Status::Degraded,
                score: 0.75,
                consecutive_failures: 0,
            }),
            check("auto", T0, Class::Connect, 3, Status::Unhealthy),
        ])
        .await
        .unwrap();

    let snap = store.snapshot().await.unwrap();
    let ids: Vec<&str> = snap.iter().map(|s| s.target.as_str()).collect();
    assert_eq!(ids, ["auto", "idle", "local"]);

    let local = &snap[2];
    assert_eq!(local.kind, Some(Kind::Ollama));
    assert_eq!(local.name.as_deref(), Some("Local Ollama"));
    assert_eq!(local.status, Status::Degraded);
    assert_eq!(local.since, Some(ts(T0 + MIN)));
    assert_eq!(local.score, Some(0.75));
    assert_eq!(local.last, Some(rich_outcome(T0 + 2 * MIN)));

    let idle = &snap[1];
    assert_eq!(
        (idle.status, idle.since, idle.last.as_ref()),
        (Status::Unknown, None, None)
    );

    // Seen only in events: no kind or name, state all the same.
    let auto = &snap[0];
    assert_eq!((auto.kind, auto.name.as_deref()), (None, None));
    assert_eq!(auto.status, Status::Unhealthy);
    assert_eq!(auto.since, Some(ts(T0)));

    // A status change without a transition event starts a new `since` too.
    store
        .write(&[check("auto", T0 + 5 * MIN, Class::Ok, 3, Status::Healthy)])
        .await
        .unwrap();
    let snap = store.snapshot().await.unwrap();
    assert_eq!(snap[0].status, Status::Healthy);
    assert_eq!(snap[0].since, Some(ts(T0 + 5 * MIN)));

    // Renaming keeps the id.
    store
        .upsert_targets(&[TargetInfo {
            id: "local".into(),
            kind: Kind::Ollama,
            name: "Desk".into(),
        }])
        .await
        .unwrap();
    let t = store.targets().await.unwrap();
    assert_eq!(t.iter().find(|t| t.id == "local").unwrap().name, "Desk");
}

#[tokio::test]
async fn incidents_are_upserted_and_listed_newest_first() {
    let store = Store::open_memory().await.unwrap();
    store
        .write(&[
            incident("a", T0, None, Status::Degraded),
            incident("b", T0 + HOUR, None, Status::Unhealthy),
        ])
        .await
        .unwrap();
    // The same incident, worsened then closed: still one row.
    store
        .write(&[
            incident("a", T0, None, Status::Unhealthy),
            incident("a", T0, Some(T0 + 30 * MIN), Status::Unhealthy),
            incident("a", T0 + 3 * HOUR, Some(T0 + 4 * HOUR), Status::Degraded),
        ])
        .await
        .unwrap();

    let all = store
        .incidents(None, ts(T0 - DAY), ts(T0 + DAY))
        .await
        .unwrap();
    let keys: Vec<(&str, i64)> = all
        .iter()
        .map(|i| (i.target.as_str(), i.started_at.timestamp_millis()))
        .collect();
    assert_eq!(keys, [("a", T0 + 3 * HOUR), ("b", T0 + HOUR), ("a", T0)]);
    assert_eq!(all[2].ended_at, Some(ts(T0 + 30 * MIN)));
    assert_eq!(all[2].worst, Status::Unhealthy);

    // Overlap: `a`'s first incident ended before the range; `b` is still open.
    let later = store
        .incidents(None, ts(T0 + 2 * HOUR), ts(T0 + 5 * HOUR))
        .await
        .unwrap();
    assert_eq!(later.len(), 2);
    let only_a = store
        .incidents(Some("a"), ts(T0 - DAY), ts(T0 + DAY))
        .await
        .unwrap();
    assert_eq!(only_a.len(), 2);
    let h = store.history("a", ts(T0), ts(T0 + DAY)).await.unwrap();
    assert_eq!(h.incidents, only_a);
}

#[tokio::test]
async fn export_rows_round_trip() {
    let store = Store::open_memory().await.unwrap();
    store
        .write(&[
            Event::Checked(Check {
                target: "x".into(),
                outcome: rich_outcome(T0 + 5),
                status: Status::Degraded,
                score: 0.5,
                consecutive_failures: 0,
            }),
            check("y", T0 + 1, Class::Timeout, 30_000, Status::Unhealthy),
            check("x", T0 + 10, Class::Ok, 10, Status::Healthy),
        ])
        .await
        .unwrap();
    let rows = store.checks(None, ts(T0), ts(T0 + 10)).await.unwrap();
    assert_eq!(rows.len(), 2, "`to` is exclusive");
    assert_eq!(rows[0].target, "y");
    assert_eq!(rows[0].message, None);
    let x = &rows[1];
    assert_eq!(x.class, Class::Slow);
    assert_eq!(x.status, Status::Degraded);
    assert_eq!(x.http_status, Some(200));
    assert_eq!(x.latency_ms, 4200);
    assert_eq!(x.message.as_deref(), Some("slow: 4.2 s"));
    assert_eq!(
        (x.ttft_ms, x.tokens_in, x.tokens_out),
        (Some(350), Some(7), Some(1))
    );
    let only_x = store.checks(Some("x"), ts(0), ts(T0 * 2)).await.unwrap();
    assert_eq!(only_x.len(), 2);
    let json = serde_json::to_value(&rows[0]).unwrap();
    assert_eq!(json["class"], "timeout");
}

#[test]
fn ranges_parse_and_explain_themselves() {
    for r in Range::ALL {
        assert_eq!(Range::from_str(r.as_str()), Ok(r));
        assert_eq!(r.to_string(), r.as_str());
    }
    assert_eq!(Range::from_str("7D"), Ok(Range::D7));
    assert_eq!(Range::D7.duration(), chrono::Duration::days(7));
    let err = Range::from_str("2w").unwrap_err().to_string();
    assert!(
        err.contains("2w") && err.contains("1h, 6h, 24h, 7d, 30d"),
        "{err}"
    );
    assert_eq!(serde_json::to_string(&Range::H24).unwrap(), "\"24h\"");
}

#[tokio::test]
async fn history_serializes_times_as_rfc3339() {
    let store = Store::open_memory().await.unwrap();
    store
        .write(&[
            transition("a", T0, Status::Unknown, Status::Healthy),
            check("a", T0 + MIN, Class::Ok, 42, Status::Healthy),
        ])
        .await
        .unwrap();
    let h = store.history("a", ts(T0), ts(T0 + HOUR)).await.unwrap();
    assert_eq!(h.uptime_pct, Some(100.0));
    assert_eq!(h.p50_ms, Some(42));
    let json = serde_json::to_value(&h).unwrap();
    assert_eq!(json["segments"][0]["from"], "2024-03-01T00:00:00Z");
    assert_eq!(json["segments"][0]["status"], "healthy");
}

/// A run that crashed left "healthy" and an open incident standing. The next run ends both at the
/// end of the last check, so the downtime of the monitor is unknown, not up or down.
#[tokio::test]
async fn an_unclean_stop_is_ended_at_the_last_check() {
    let store = Store::open_memory().await.unwrap();
    write_all(
        &store,
        &[
            check("up", 1_000, Class::Ok, 20, Status::Healthy),
            transition("up", 1_000, Status::Unknown, Status::Healthy),
            check("up", 31_000, Class::Ok, 30, Status::Healthy),
            check("down", 1_000, Class::Timeout, 10_000, Status::Unhealthy),
            transition("down", 1_000, Status::Unknown, Status::Unhealthy),
            incident("down", 1_000, None, Status::Unhealthy),
            check("stopped", 1_000, Class::Ok, 5, Status::Healthy),
            transition("stopped", 1_000, Status::Unknown, Status::Healthy),
            transition("stopped", 2_000, Status::Healthy, Status::Unknown),
        ],
    )
    .await;

    let mut ended = store.end_unclean_run().await.unwrap();
    ended.sort();
    assert_eq!(ended, ["down", "up"], "a clean stop needs nothing");

    let snap = store.snapshot().await.unwrap();
    assert!(snap.iter().all(|s| s.status == Status::Unknown), "{snap:?}");
    let up = store.history("up", ts(0), ts(3_600_000)).await.unwrap();
    let last = up.segments.last().unwrap();
    assert_eq!((last.from, last.status), (ts(31_030), Status::Unknown));
    let down = store
        .incidents(Some("down"), ts(0), ts(3_600_000))
        .await
        .unwrap();
    assert_eq!(
        down[0].ended_at,
        Some(ts(11_000)),
        "closed at the end of the last check"
    );

    // Idempotent: nothing is left to end.
    assert!(store.end_unclean_run().await.unwrap().is_empty());
}
