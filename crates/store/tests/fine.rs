//! The 5-minute roll-ups: latency series and totals read from them against a naive computation
//! on the raw checks (counts exact, percentiles within the histograms' bound), their retention,
//! and a history file from before they existed.

mod common;

use common::*;
use monitor::Severity;
use store::{Retention, Store, TargetInfo, Window};

fn infos(d: &Data) -> Vec<TargetInfo> {
    d.targets
        .iter()
        .map(|id| TargetInfo {
            id: id.clone(),
            kind: monitor::Kind::Openai,
            name: id.clone(),
        })
        .collect()
}

/// Per bucket: checks, failures and the answered latencies, sorted.
fn naive_bucket(d: &Data, target: usize, f: i64, t: i64) -> (u64, u64, Vec<u64>) {
    let mut lat = Vec::new();
    let (mut checks, mut failures) = (0, 0);
    for c in d
        .checks
        .iter()
        .filter(|c| c.target == target && c.ts >= f && c.ts < t)
    {
        checks += 1;
        if c.class.severity() == Severity::Hard {
            failures += 1;
        } else {
            lat.push(c.latency);
        }
    }
    lat.sort_unstable();
    (checks, failures, lat)
}

async fn rolled_store(d: &Data) -> Store {
    let store = store_with(&d.events).await;
    store.upsert_targets(&infos(d)).await.unwrap();
    let report = store
        .maintain(ts(d.end + 30 * MIN), &Retention::default())
        .await
        .unwrap();
    assert!(report.fine_rollups_written > 0, "{report:?}");
    store
}

#[tokio::test]
async fn a_day_in_15_minute_buckets_matches_the_raw_checks() {
    let d = generate(21, 2, 2);
    let store = rolled_store(&d).await;
    // Aligned to 5 minutes: every bucket is three whole 5-minute roll-ups.
    let window = Window {
        from: ts(T0 + DAY),
        to: ts(T0 + 2 * DAY),
        buckets: 96,
    };
    let view = store.timeline(&infos(&d), &window).await.unwrap();
    for (i, target) in view.targets.iter().enumerate() {
        assert_eq!(target.latency.len(), 96);
        for p in &target.latency {
            let (f, t) = (p.from.timestamp_millis(), p.to.timestamp_millis());
            assert_eq!(t - f, 15 * MIN);
            let (checks, failures, lat) = naive_bucket(&d, i, f, t);
            let what = format!("{} [{f}, {t})", d.targets[i]);
            assert_eq!(p.checks, checks, "{what}: checks");
            assert_eq!(p.failures, failures, "{what}: failures");
            assert!(
                within_bound(p.p50_ms, nearest_rank(&lat, 50.0)),
                "{what}: p50"
            );
            assert!(
                within_bound(p.p90_ms, nearest_rank(&lat, 90.0)),
                "{what}: p90"
            );
        }
        // The totals, summed from the same read.
        let h = &target.history;
        let (checks, failures, lat) = naive_bucket(&d, i, T0 + DAY, T0 + 2 * DAY);
        assert_eq!((h.checks, h.failures), (checks, failures));
        for (p, got) in [(50.0, h.p50_ms), (90.0, h.p90_ms), (99.0, h.p99_ms)] {
            assert!(within_bound(got, nearest_rank(&lat, p)), "p{p}");
        }
    }
}

#[tokio::test]
async fn unaligned_windows_read_raw_rows_at_their_edges() {
    let d = generate(22, 2, 2);
    let store = rolled_store(&d).await;
    let infos = infos(&d);
    // Not aligned to anything, as the dashboard asks: now minus a range.
    for (f, t, n) in [
        (T0 + 7 * HOUR + 123_457, T0 + 31 * HOUR + 123_457, 48),
        (T0 + 7 * HOUR + 123_457, T0 + 31 * HOUR + 123_457, 120),
        (T0 + 29 * HOUR + 61_001, T0 + 35 * HOUR + 61_001, 120),
        (T0 + 5 * MIN + 1, T0 + 47 * HOUR + 59 * MIN, 7),
    ] {
        let window = Window {
            from: ts(f),
            to: ts(t),
            buckets: n,
        };
        let view = store.timeline(&infos, &window).await.unwrap();
        for (i, target) in view.targets.iter().enumerate() {
            let what = format!("{} [{f}, {t}) in {n}", d.targets[i]);
            let sum: u64 = target.latency.iter().map(|p| p.checks).sum();
            let failed: u64 = target.latency.iter().map(|p| p.failures).sum();
            let (checks, failures, lat) = naive_bucket(&d, i, f, t);
            assert_eq!((sum, failed), (checks, failures), "{what}: series");
            let h = &target.history;
            assert_eq!((h.checks, h.failures), (checks, failures), "{what}: totals");
            for (p, got) in [(50.0, h.p50_ms), (90.0, h.p90_ms), (99.0, h.p99_ms)] {
                assert!(within_bound(got, nearest_rank(&lat, p)), "{what}: p{p}");
            }
            // `history` alone reads the same totals.
            let alone = store.history(&d.targets[i], ts(f), ts(t)).await.unwrap();
            assert_eq!(&alone, h, "{what}");
        }
    }
}

#[tokio::test]
async fn five_minute_rollups_go_with_the_raw_checks() {
    let d = generate(23, 1, 3);
    let store = store_with(&d.events).await;
    let now = ts(d.end + 30 * MIN);
    store.maintain(now, &Retention::default()).await.unwrap();
    let tight = Retention {
        raw: chrono::Duration::days(1),
        ..Retention::default()
    };
    let report = store.maintain(now, &tight).await.unwrap();
    assert!(report.checks_deleted > 0, "{report:?}");
    assert!(report.fine_rollups_deleted > 0, "{report:?}");
    assert_eq!(report.rollups_deleted, 0, "{report:?}");
    // A day inside what raw retention kept still reads whole 5 minutes and raw edges.
    let (f, t) = (d.end - DAY + 7 * MIN + 11, d.end - 13);
    let h = store.history(&d.targets[0], ts(f), ts(t)).await.unwrap();
    let (checks, failures, lat) = naive_bucket(&d, 0, f, t);
    assert_eq!((h.checks, h.failures), (checks, failures));
    assert!(within_bound(h.p90_ms, nearest_rank(&lat, 90.0)));
    // Again: nothing more to delete.
    let again = store.maintain(now, &tight).await.unwrap();
    assert_eq!(again.fine_rollups_deleted, 0, "{again:?}");
}

/// A file written before the 5-minute roll-ups existed: its schema migration is applied on open,
/// and the next maintenance rolls the raw checks it keeps into them.
#[tokio::test]
async fn a_file_from_before_the_5_minute_rollups_is_upgraded() {
    use sqlx::ConnectOptions;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let d = generate(24, 2, 2);
    {
        let opened = Store::open(&path).await.unwrap();
        write_all(&opened.store, &d.events).await;
        opened
            .store
            .maintain(ts(d.end + 30 * MIN), &Retention::default())
            .await
            .unwrap();
        opened.store.close().await;
    }
    // Take the file back to the first schema: what an older version left.
    {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .connect()
            .await
            .unwrap();
        for sql in [
            "DROP TABLE rollups_5m",
            "DROP TABLE provider_incidents",
            "DELETE FROM _sqlx_migrations WHERE version > 1",
            "DELETE FROM meta WHERE key = 'fine_rolled_until_ms'",
        ] {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(versions, [1]);
    }
    let opened = Store::open(&path).await.unwrap();
    assert_eq!(opened.set_aside, None, "{:?}", opened.reason);
    let store = opened.store;
    let (f, t) = (T0 + 3 * HOUR + 17_000, T0 + 27 * HOUR + 17_000);
    let (checks, failures, lat) = naive_bucket(&d, 0, f, t);
    // Before maintenance: hourly roll-ups and raw rows, as the old version read it.
    let h = store.history(&d.targets[0], ts(f), ts(t)).await.unwrap();
    assert_eq!((h.checks, h.failures), (checks, failures));
    let report = store
        .maintain(ts(d.end + 30 * MIN), &Retention::default())
        .await
        .unwrap();
    assert_eq!(report.rollups_written, 0, "{report:?}");
    assert!(
        report.fine_rollups_written >= 2 * 2 * 24 * 12 - 10,
        "{report:?}"
    );
    let h = store.history(&d.targets[0], ts(f), ts(t)).await.unwrap();
    assert_eq!((h.checks, h.failures), (checks, failures));
    for (p, got) in [(50.0, h.p50_ms), (90.0, h.p90_ms), (99.0, h.p99_ms)] {
        assert!(within_bound(got, nearest_rank(&lat, p)), "p{p}");
    }
}
