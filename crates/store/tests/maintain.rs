//! Retention and roll-ups: the right rows go, history stays right from what remains, and running
//! maintenance twice changes nothing.

mod common;

use common::*;
use monitor::{Class, Status};
use std::collections::HashSet;
use store::{Retention, Store};

#[tokio::test]
async fn retention_deletes_the_right_rows_and_history_uses_rollups() {
    let d = generate(11, 2, 20);
    let store = store_with(&d.events).await;

    let now = ts(d.end + 10 * MIN);
    let retention = Retention {
        raw: chrono::Duration::days(3),
        rollups: chrono::Duration::days(10),
    };
    let raw_cutoff = d.end - 3 * DAY;
    let keep_cutoff = d.end - 10 * DAY;

    let report = store.maintain(now, &retention).await.unwrap();
    let old_raw = d.checks.iter().filter(|c| c.ts < raw_cutoff).count() as u64;
    assert_eq!(report.checks_deleted, old_raw);
    let old_hours: HashSet<(usize, i64)> = d
        .checks
        .iter()
        .filter(|c| c.ts < keep_cutoff)
        .map(|c| (c.target, floor_hour(c.ts)))
        .collect();
    assert_eq!(report.rollups_deleted, old_hours.len() as u64);
    assert_eq!(report.rolled_until, Some(ts(d.end)));

    // Exactly the recent raw checks remain, oldest first.
    let rows = store.checks(None, ts(0), ts(d.end * 2)).await.unwrap();
    let want: Vec<i64> = d
        .checks
        .iter()
        .filter(|c| c.ts >= raw_cutoff)
        .map(|c| c.ts)
        .collect();
    let got: Vec<i64> = rows.iter().map(|r| r.at.timestamp_millis()).collect();
    assert_eq!(got, want);

    for (i, target) in d.targets.iter().enumerate() {
        let cases = [
            // Everything: only roll-ups newer than their retention and raw remain.
            (T0, d.end, keep_cutoff),
            // Partial first hour whose raw checks are gone: only whole hours count.
            (
                d.end - 5 * DAY + 30 * MIN,
                d.end,
                ceil_hour(d.end - 5 * DAY + 30 * MIN),
            ),
            // 24 h with raw gone: answered from roll-ups.
            (d.end - 6 * DAY, d.end - 5 * DAY, d.end - 6 * DAY),
            // Straddling the raw horizon.
            (
                raw_cutoff - 7 * HOUR,
                raw_cutoff + 7 * HOUR + 5,
                raw_cutoff - 7 * HOUR,
            ),
        ];
        for (f, t, counted_from) in cases {
            let h = store.history(target, ts(f), ts(t)).await.unwrap();
            let n = naive(&d, i, f, t, |c| c.ts >= counted_from);
            let what = format!("{target} [{f}, {t})");
            assert_eq!(h.checks, n.checks, "{what}");
            assert_eq!(h.failures, n.failures, "{what}");
            assert!(
                within_bound(h.p50_ms, nearest_rank(&n.latencies, 50.0)),
                "{what}"
            );
            assert!(
                within_bound(h.p90_ms, nearest_rank(&n.latencies, 90.0)),
                "{what}"
            );
            assert!(
                within_bound(h.p99_ms, nearest_rank(&n.latencies, 99.0)),
                "{what}"
            );
        }
    }

    // A second run finds nothing to do and changes no answer.
    let before = store.history("t0", ts(T0), ts(d.end)).await.unwrap();
    let again = store.maintain(now, &retention).await.unwrap();
    assert_eq!(
        (
            again.hours_rolled,
            again.rollups_written,
            again.checks_deleted,
            again.rollups_deleted
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(
        store.history("t0", ts(T0), ts(d.end)).await.unwrap(),
        before
    );
}

#[tokio::test]
async fn latest_transition_survives_retention() {
    let store = Store::open_memory().await.unwrap();
    store
        .write(&[
            transition("a", T0, Status::Unknown, Status::Unhealthy),
            transition("a", T0 + HOUR, Status::Unhealthy, Status::Healthy),
            incident("a", T0, Some(T0 + HOUR), Status::Unhealthy),
            slept(T0 + 2 * HOUR, T0 + 3 * HOUR),
            check("a", T0 + 5 * MIN, Class::Ok, 10, Status::Healthy),
        ])
        .await
        .unwrap();
    let now = ts(T0 + 400 * DAY);
    store.maintain(now, &Retention::default()).await.unwrap();

    // The year-old recovery still says what the status is now.
    let h = store
        .history("a", ts(T0 + 399 * DAY), ts(T0 + 400 * DAY))
        .await
        .unwrap();
    assert_eq!(h.segments.len(), 1);
    assert_eq!(h.segments[0].status, Status::Healthy);
    assert_eq!(h.checks, 0);
    // Old closed incidents and raw rows are gone.
    assert!(store
        .incidents(None, ts(0), ts(T0 + 500 * DAY))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .checks(None, ts(0), ts(T0 + 500 * DAY))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn maintenance_on_an_empty_store_then_old_checks() {
    let store = Store::open_memory().await.unwrap();
    let now = ts(T0 + DAY);
    let r = store.maintain(now, &Retention::default()).await.unwrap();
    assert_eq!(r.hours_rolled, 0);
    assert_eq!(r.rolled_until, Some(ts(T0 + 23 * HOUR)));

    // Checks from before the horizon (an import, a clock step) go straight into roll-ups too.
    store
        .write(&[
            check("a", T0 + 5 * MIN, Class::Ok, 100, Status::Healthy),
            check("a", T0 + 6 * MIN, Class::Timeout, 100, Status::Healthy),
            check("a", T0 + 2 * HOUR, Class::Ok, 300, Status::Healthy),
        ])
        .await
        .unwrap();
    // Drop raw to prove the answer now comes from roll-ups.
    let tight = Retention {
        raw: chrono::Duration::hours(1),
        rollups: chrono::Duration::days(365),
    };
    let r = store.maintain(now, &tight).await.unwrap();
    assert_eq!(r.checks_deleted, 3);
    let h = store.history("a", ts(T0), ts(T0 + DAY)).await.unwrap();
    assert_eq!((h.checks, h.failures), (3, 1));
    assert!(within_bound(h.p50_ms, Some(100)), "{:?}", h.p50_ms);
    assert!(within_bound(h.p99_ms, Some(300)), "{:?}", h.p99_ms);
}
