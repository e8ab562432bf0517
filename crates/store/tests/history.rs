//! History against a naive computation on the same random data: before roll-ups (raw only),
//! after roll-ups (hybrid: hourly, 5-minute and raw edges), after a second maintenance run, and
//! with late checks.

mod common;

use common::*;
use monitor::Status;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use store::{History, Retention, Store};

fn ranges(seed: u64, d: &Data) -> Vec<(i64, i64)> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut v = vec![
        (T0 - 2 * HOUR, d.end + 2 * HOUR),  // everything, more than 24 h
        (T0, T0 + DAY),                     // exactly 24 h, hour aligned
        (T0 + 90 * MIN, T0 + 90 * MIN),     // empty
        (T0 + 10 * MIN + 7, T0 + 50 * MIN), // inside one hour
        (T0 + 10 * MIN + 7, T0 + 70 * MIN + 3), // just over an hour: 5-minute roll-ups and raw
        (T0 + 3 * HOUR + 1, T0 + 9 * HOUR - 1), // 6 h, all three sources
        (T0 + 30 * MIN, T0 + DAY + 45 * MIN), // just over 24 h, both edges partial
        (T0 - 7 * DAY, T0 - DAY),           // before any data
    ];
    for _ in 0..8 {
        let a = T0 - HOUR + rng.gen_range(0..(d.end - T0 + 2 * HOUR));
        let len = match rng.gen_range(0..3) {
            0 => rng.gen_range(0..6 * HOUR),
            1 => rng.gen_range(0..DAY),
            _ => rng.gen_range(0..3 * DAY),
        };
        v.push((a, a + len));
    }
    v
}

fn assert_matches(h: &History, n: &Naive, exact_percentiles: bool, what: &str) {
    assert_eq!(h.checks, n.checks, "{what}: checks");
    assert_eq!(h.failures, n.failures, "{what}: failures");
    let rate = (n.checks > 0).then(|| n.failures as f64 / n.checks as f64);
    assert_eq!(h.error_rate, rate, "{what}: error rate");
    let segs: Vec<(i64, i64, Status)> = h
        .segments
        .iter()
        .map(|s| (s.from.timestamp_millis(), s.to.timestamp_millis(), s.status))
        .collect();
    assert_eq!(segs, n.segments, "{what}: segments");
    match (h.uptime_pct, n.uptime_pct) {
        (None, None) => {}
        (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{what}: uptime {a} vs {b}"),
        other => panic!("{what}: uptime {other:?}"),
    }
    for (p, got) in [(50.0, h.p50_ms), (90.0, h.p90_ms), (99.0, h.p99_ms)] {
        let want = nearest_rank(&n.latencies, p);
        if exact_percentiles {
            assert_eq!(got, want, "{what}: p{p}");
        } else {
            assert!(within_bound(got, want), "{what}: p{p} {got:?} vs {want:?}");
        }
    }
}

async fn check_all(store: &Store, d: &Data, seed: u64, phase: &str) -> Vec<History> {
    let mut out = Vec::new();
    for (i, target) in d.targets.iter().enumerate() {
        for (f, t) in ranges(seed, d) {
            let h = store.history(target, ts(f), ts(t)).await.unwrap();
            let n = naive(d, i, f, t, |_| true);
            // Up to an hour exact from raw rows; longer from 5-minute and hourly roll-ups once
            // they exist (and from raw rows through a histogram before), within the bound.
            let exact = t - f <= HOUR;
            assert_matches(
                &h,
                &n,
                exact,
                &format!("seed {seed} {phase} {target} [{f}, {t})"),
            );
            out.push(h);
        }
    }
    out
}

#[tokio::test]
async fn history_matches_naive_with_and_without_rollups() {
    for seed in 1..=3u64 {
        let d = generate(seed, 2, 2);
        let store = store_with(&d.events).await;

        let raw_only = check_all(&store, &d, seed, "raw").await;

        let now = ts(d.end + 30 * MIN);
        let report = store.maintain(now, &Retention::default()).await.unwrap();
        assert_eq!(report.checks_deleted, 0);
        assert!(report.hours_rolled >= 48, "{report:?}");
        assert!(
            report.fine_rollups_written >= 2 * 48 * 12 - 10,
            "{report:?}"
        );
        let rolled = check_all(&store, &d, seed, "rolled").await;

        // Roll-ups and raw agree on everything but histogram rounding.
        for (a, b) in raw_only.iter().zip(&rolled) {
            assert_eq!(a.checks, b.checks);
            assert_eq!(a.failures, b.failures);
            assert_eq!(a.segments, b.segments);
            assert_eq!(a.uptime_pct, b.uptime_pct);
        }

        // Idempotent: nothing more to do, same answers.
        let again = store.maintain(now, &Retention::default()).await.unwrap();
        assert_eq!(again.hours_rolled, 0);
        assert_eq!(again.rollups_written, 0);
        assert_eq!(again.fine_rollups_written, 0);
        assert_eq!(check_all(&store, &d, seed, "rolled twice").await, rolled);
    }
}

#[tokio::test]
async fn late_checks_land_in_rolled_hours() {
    let mut d = generate(7, 1, 2);
    let store = store_with(&d.events).await;
    store
        .maintain(ts(d.end + HOUR), &Retention::default())
        .await
        .unwrap();

    // Arrives after its hour was rolled up (a slow probe, a clock step).
    let mut rng = StdRng::seed_from_u64(99);
    let mut late = Vec::new();
    for _ in 0..50 {
        let at = T0 + rng.gen_range(0..2 * DAY);
        let c = RawCheck {
            target: 0,
            ts: at,
            class: random_class(&mut rng),
            latency: random_latency(&mut rng),
        };
        late.push(check(
            &d.targets[0],
            c.ts,
            c.class,
            c.latency,
            Status::Healthy,
        ));
        d.checks.push(c);
    }
    store.write(&late).await.unwrap();
    check_all(&store, &d, 7, "late").await;
}

#[tokio::test]
async fn unknown_target_and_reversed_range_are_errors() {
    let store = Store::open_memory().await.unwrap();
    let err = store
        .history("nope", ts(T0), ts(T0 + HOUR))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    store
        .write(&[check("a", T0, monitor::Class::Ok, 5, Status::Healthy)])
        .await
        .unwrap();
    assert!(store.history("a", ts(T0 + HOUR), ts(T0)).await.is_err());
    let h = store.history("a", ts(T0), ts(T0)).await.unwrap();
    assert!(h.segments.is_empty());
    assert_eq!(h.uptime_pct, None);
}
