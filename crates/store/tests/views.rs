//! Latency series, history views and the timeline against a naive computation on the same random
//! data: raw only, after roll-ups, and across the raw-retention horizon.

mod common;

use common::*;
use monitor::{Kind, Severity};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use store::{LatencyPoint, Retention, Store, TargetInfo, Window, WindowArgs};

/// Where the store keeps what, as `maintain` left it.
#[derive(Clone, Copy)]
struct Horizons {
    /// Raw checks before this are gone.
    raw_from: i64,
    /// Hours before this are rolled up.
    rolled_until: i64,
    /// 5 minutes before this (from `raw_from` on) are rolled up.
    fine_until: i64,
}

const NOTHING_ROLLED: Horizons = Horizons {
    raw_from: i64::MIN,
    rolled_until: i64::MIN,
    fine_until: i64::MIN,
};

const FIVE: i64 = 5 * MIN;

/// Where a check counts in a piece `[a, b)` of a window read from 5-minute roll-ups (when
/// `fine`) and raw rows: at its slot's middle if the slot is whole inside the piece and rolled
/// up, else at its own time.
fn in_piece(c: &RawCheck, a: i64, b: i64, fine: bool, h: Horizons) -> Option<(i64, bool)> {
    let a = a.max(h.raw_from);
    if c.ts < a || c.ts >= b {
        return None;
    }
    let slot = c.ts.div_euclid(FIVE) * FIVE;
    let first = (a + FIVE - 1).div_euclid(FIVE) * FIVE;
    let last = (b.div_euclid(FIVE) * FIVE).min(h.fine_until);
    if fine && first < last && slot >= first && slot + FIVE <= last {
        Some((slot + FIVE / 2, true))
    } else {
        Some((c.ts, false))
    }
}

/// The documented rule, check by check: the time a check counts at in the series, or `None`
/// when the series leaves it out. Buckets an hour wide or more read like `history` (ranges up to
/// an hour with all raw checks kept: raw; otherwise whole rolled-up hours from hourly roll-ups,
/// counted at the middle of their hour, whole rolled-up 5 minutes of the rest from 5-minute
/// roll-ups, at their middle, and raw checks for the rest, where kept); narrower buckets read,
/// wherever raw checks are kept, 5-minute roll-ups (buckets at least 5 minutes wide) with raw
/// checks at the edges or only raw checks, and hourly roll-ups only for whole hours before the
/// raw horizon.
fn counts_at(c: &RawCheck, f: i64, t: i64, n: u32, h: Horizons) -> Option<(i64, bool)> {
    if c.ts < f || c.ts >= t {
        return None;
    }
    let hour = floor_hour(c.ts);
    let fine_buckets = (t - f) < HOUR * i64::from(n);
    if fine_buckets {
        let raw_start = f.max(h.raw_from).min(t);
        let rolled_end = floor_hour(raw_start).min(h.rolled_until).min(floor_hour(t));
        if hour >= ceil_hour(f) && hour < rolled_end {
            return Some((hour + HOUR / 2, true));
        }
        return in_piece(c, raw_start, t, (t - f) >= FIVE * i64::from(n), h);
    }
    if t - f <= HOUR && f >= h.raw_from {
        return Some((c.ts, false));
    }
    let (first_whole, rolled_end) = (ceil_hour(f), floor_hour(t).min(h.rolled_until));
    if first_whole < rolled_end {
        if hour >= first_whole && hour < rolled_end {
            return Some((hour + HOUR / 2, true));
        }
        in_piece(c, f, first_whole, true, h).or_else(|| in_piece(c, rolled_end, t, true, h))
    } else {
        in_piece(c, f, t, true, h)
    }
}

#[derive(Debug, Default)]
struct NaivePoint {
    from: i64,
    to: i64,
    checks: u64,
    failures: u64,
    latencies: Vec<u64>,
    from_rollups: bool,
}

fn naive_series(d: &Data, target: usize, f: i64, t: i64, n: u32, h: Horizons) -> Vec<NaivePoint> {
    let d_ms = i128::from(t - f);
    let bound = |i: u32| f + ((i128::from(i) * d_ms + i128::from(n) - 1) / i128::from(n)) as i64;
    let mut out: Vec<NaivePoint> = (0..n)
        .map(|i| NaivePoint {
            from: bound(i),
            to: bound(i + 1),
            ..NaivePoint::default()
        })
        .collect();
    for c in d.checks.iter().filter(|c| c.target == target) {
        let Some((at, rolled)) = counts_at(c, f, t, n, h) else {
            continue;
        };
        let p = out
            .iter_mut()
            .find(|p| p.from <= at && at < p.to)
            .expect("every counted time is in a bucket");
        p.checks += 1;
        p.from_rollups |= rolled;
        if c.class.severity() == Severity::Hard {
            p.failures += 1;
        } else {
            p.latencies.push(c.latency);
        }
    }
    for p in &mut out {
        p.latencies.sort_unstable();
    }
    out
}

fn assert_series(got: &[LatencyPoint], want: &[NaivePoint], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: bucket count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let what = format!("{what} bucket {i}");
        assert_eq!(g.from.timestamp_millis(), w.from, "{what}: from");
        assert_eq!(g.to.timestamp_millis(), w.to, "{what}: to");
        assert_eq!(g.checks, w.checks, "{what}: checks");
        assert_eq!(g.failures, w.failures, "{what}: failures");
        for (p, got) in [(50.0, g.p50_ms), (90.0, g.p90_ms)] {
            let want = nearest_rank(&w.latencies, p);
            if w.from_rollups {
                assert!(within_bound(got, want), "{what}: p{p} {got:?} vs {want:?}");
            } else {
                assert_eq!(got, want, "{what}: p{p}");
            }
        }
    }
}

fn windows(seed: u64, d: &Data) -> Vec<(i64, i64, u32)> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xb0c);
    let mut v = vec![
        (T0, d.end, 120),                               // everything, wide buckets
        (T0 + 7 * MIN, T0 + DAY - 3 * MIN, 120),        // a day, 12-minute buckets
        (T0 + 7 * MIN + 1, T0 + DAY + 7 * MIN + 1, 48), // the dashboard's day
        (T0 + 3 * HOUR + 7, T0 + 9 * HOUR + 7, 120),    // 6 h in 3-minute buckets: raw
        (T0 + 40 * MIN + 3, T0 + 100 * MIN + 3, 120),   // an hour in 30-second buckets
        (T0 + 10 * MIN, T0 + 10 * MIN + 7, 3),          // shorter than the bucket count
        (T0 + 30 * MIN, T0 + 30 * MIN, 5),              // empty
        (T0 - DAY, d.end + DAY, 7),                     // beyond the data on both sides
        (T0 + 90 * MIN, T0 + 3 * DAY / 2, 1),           // one bucket
    ];
    for _ in 0..6 {
        let a = T0 - HOUR + rng.gen_range(0..(d.end - T0));
        let len = rng.gen_range(0..3 * DAY);
        v.push((a, a + len, rng.gen_range(1..400)));
    }
    v
}

async fn check_series(store: &Store, d: &Data, seed: u64, h: Horizons, phase: &str) {
    for (i, target) in d.targets.iter().enumerate() {
        for (f, t, n) in windows(seed, d) {
            let what = format!("seed {seed} {phase} {target} [{f}, {t}) × {n}");
            let got = store.latency(target, ts(f), ts(t), n).await.unwrap();
            assert_series(&got, &naive_series(d, i, f, t, n, h), &what);

            // The view carries the same series, and its totals are `history`'s.
            let info = TargetInfo {
                id: target.clone(),
                kind: Kind::Ollama,
                name: format!("Target {i}"),
            };
            let window = Window {
                from: ts(f),
                to: ts(t),
                buckets: n,
            };
            let view = store.history_view(&info, &window).await.unwrap();
            assert_eq!(view.latency, got, "{what}: view series");
            assert_eq!(
                view.history,
                store.history(target, ts(f), ts(t)).await.unwrap(),
                "{what}: view history"
            );
            assert_eq!(
                (view.name.as_str(), view.kind),
                (info.name.as_str(), info.kind)
            );
            let summed: u64 = got.iter().map(|p| p.checks).sum();
            assert_eq!(summed, view.history.checks, "{what}: buckets add up");
        }
    }
}

#[tokio::test]
async fn latency_matches_naive_raw_rolled_and_across_the_raw_horizon() {
    for seed in 1..=2u64 {
        let d = generate(seed, 2, 4);
        let store = store_with(&d.events).await;
        check_series(&store, &d, seed, NOTHING_ROLLED, "raw").await;

        // Everything rolled up, raw checks all kept.
        let now = d.end + 30 * MIN;
        store
            .maintain(ts(now), &Retention::default())
            .await
            .unwrap();
        let rolled = Horizons {
            raw_from: i64::MIN,
            rolled_until: d.end,
            fine_until: d.end + 25 * MIN,
        };
        check_series(&store, &d, seed, rolled, "rolled").await;

        // Raw checks older than a day and a half are gone: windows cross the raw horizon.
        let retention = Retention {
            raw: chrono::Duration::hours(36),
            rollups: chrono::Duration::days(365),
        };
        store.maintain(ts(now), &retention).await.unwrap();
        let thinned = Horizons {
            raw_from: floor_hour(now - 36 * HOUR),
            rolled_until: d.end,
            fine_until: d.end + 25 * MIN,
        };
        check_series(&store, &d, seed, thinned, "thinned").await;
    }
}

#[tokio::test]
async fn timeline_keeps_the_order_given_and_each_view_whole() {
    let d = generate(5, 3, 2);
    let store = store_with(&d.events).await;
    store
        .maintain(ts(d.end + HOUR), &Retention::default())
        .await
        .unwrap();
    let infos: Vec<TargetInfo> = d
        .targets
        .iter()
        .rev()
        .map(|id| TargetInfo {
            id: id.clone(),
            kind: Kind::Openai,
            name: id.to_uppercase(),
        })
        .collect();
    let window = Window {
        from: ts(T0 + 17 * MIN),
        to: ts(d.end - 5 * MIN),
        buckets: 50,
    };
    let timeline = store.timeline(&infos, &window).await.unwrap();
    assert_eq!((timeline.from, timeline.to), (window.from, window.to));
    let ids: Vec<&str> = timeline
        .targets
        .iter()
        .map(|v| v.history.target.as_str())
        .collect();
    assert_eq!(ids, ["t2", "t1", "t0"]);
    for (view, info) in timeline.targets.iter().zip(&infos) {
        assert_eq!(view, &store.history_view(info, &window).await.unwrap());
    }

    // An unknown target is named; so is a reversed window.
    let mut with_unknown = infos.clone();
    with_unknown[1].id = "ghost".into();
    let err = store.timeline(&with_unknown, &window).await.unwrap_err();
    assert!(err.to_string().contains("ghost"), "{err}");
    let reversed = Window {
        from: window.to,
        to: window.from,
        buckets: 10,
    };
    assert!(store.timeline(&infos, &reversed).await.is_err());
    assert!(store
        .latency("t0", window.to, window.from, 3)
        .await
        .is_err());
}

#[test]
fn window_args_resolve_with_defaults_overrides_and_clamps() {
    let now = ts(T0);
    let w = WindowArgs::default().resolve(now).unwrap();
    assert_eq!((w.from, w.to, w.buckets), (ts(T0 - DAY), now, 120));

    let w = WindowArgs {
        range: Some("7d".into()),
        buckets: Some(5000),
        ..WindowArgs::default()
    }
    .resolve(now)
    .unwrap();
    assert_eq!((w.from, w.to, w.buckets), (ts(T0 - 7 * DAY), now, 1000));

    let w = WindowArgs {
        range: Some("1h".into()),
        to: Some(ts(T0 - DAY)),
        buckets: Some(0),
        ..WindowArgs::default()
    }
    .resolve(now)
    .unwrap();
    assert_eq!(
        (w.from, w.to, w.buckets),
        (ts(T0 - DAY - HOUR), ts(T0 - DAY), 1)
    );

    let w = WindowArgs {
        range: Some("bogus".into()),
        from: Some(ts(T0 - 5 * MIN)),
        ..WindowArgs::default()
    }
    .resolve(now);
    let err = w.unwrap_err().to_string();
    assert!(err.contains("bogus") && err.contains("7d"), "{err}");

    let w = WindowArgs {
        from: Some(ts(T0 - 5 * MIN)),
        ..WindowArgs::default()
    }
    .resolve(now)
    .unwrap();
    assert_eq!((w.from, w.to), (ts(T0 - 5 * MIN), now));

    assert!(WindowArgs {
        from: Some(ts(T0 + MIN)),
        ..WindowArgs::default()
    }
    .resolve(now)
    .is_err());

    // The history keeps milliseconds; so does a window.
    let fine = ts(T0) + chrono::Duration::nanoseconds(1_234_567);
    let w = WindowArgs::default().resolve(fine).unwrap();
    assert_eq!(w.to, ts(T0 + 1));

    // Latency points write times exactly as everything else does.
    for at in [ts(T0), ts(T0 + 1), fine] {
        let point = LatencyPoint {
            from: at,
            to: at,
            checks: 0,
            failures: 0,
            p50_ms: None,
            p90_ms: None,
        };
        let json = serde_json::to_value(&point).unwrap();
        assert_eq!(json["from"], serde_json::to_value(at).unwrap());
        let back: LatencyPoint = serde_json::from_value(json).unwrap();
        assert_eq!(back, point);
    }

    // The UI sends camelCase JSON.
    let args: WindowArgs = serde_json::from_str(
        r#"{"range":"6h","from":null,"to":"2024-03-01T00:00:00Z","buckets":30}"#,
    )
    .unwrap();
    assert_eq!(args.to, Some(ts(T0)));
}
