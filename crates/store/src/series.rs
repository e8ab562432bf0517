//! Where a range's checks are read from (raw rows, 5-minute or hourly roll-ups), and reading them
//! into equal-width buckets: the totals of `history` are the one-bucket case of the latency series.

use crate::hist::{exact_percentile, Histogram};
use crate::maintain::{Tier, FINE_ROLLED_UNTIL, RAW_KEPT_FROM, ROLLED_UNTIL};
use crate::sql;
use crate::{ceil_hour, floor_hour, to_u64, Store, StoreError, FIVE_MIN_MS, HOUR_MS};
use sqlx::SqliteConnection;
use std::collections::HashMap;

/// Up to this long, and while raw checks are all kept, percentiles are computed exactly. Longer
/// ranges read roll-up histograms (within `PERCENTILE_RELATIVE_ERROR`): a day of fifty targets is
/// 432,000 raw checks but 14,400 5-minute roll-ups.
const EXACT_MAX_MS: i64 = HOUR_MS;

/// Counts and latencies gathered for a range or a bucket.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub checks: u64,
    pub failures: u64,
    /// Latencies of answered checks (ok or soft) read from raw rows.
    pub exact: Vec<u64>,
    /// Latencies of answered checks read from roll-ups.
    pub hist: Histogram,
}

impl Stats {
    /// Nearest-rank percentiles: exact while everything came from raw rows, otherwise from the
    /// histogram with the raw values added to it.
    pub fn percentiles<const N: usize>(mut self, ps: [f64; N]) -> [Option<u64>; N] {
        if self.hist.is_empty() {
            self.exact.sort_unstable();
            ps.map(|p| exact_percentile(&self.exact, p))
        } else {
            for v in self.exact.drain(..) {
                self.hist.add(v);
            }
            ps.map(|p| self.hist.percentile(p))
        }
    }

    /// One range's totals from its buckets, read with `plan`: raw values go into the histogram
    /// unless the plan is exact, as they would have for the range read in one piece.
    pub fn total(buckets: &[Stats], plan: &Plan) -> Stats {
        let mut total = Stats::default();
        for b in buckets {
            total.checks += b.checks;
            total.failures += b.failures;
            total.hist.merge(&b.hist);
            if plan.exact {
                total.exact.extend_from_slice(&b.exact);
            } else {
                b.exact.iter().for_each(|&v| total.hist.add(v));
            }
        }
        total
    }
}

/// The horizons of `maintain.rs`, read inside the transaction that reads the data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Horizons {
    /// Raw checks and 5-minute roll-ups before this may be gone.
    raw_from: i64,
    /// Every hour before this is in the roll-ups.
    rolled_until: i64,
    /// Every 5 minutes from `raw_from` up to this are in the 5-minute roll-ups.
    fine_until: i64,
}

impl Horizons {
    pub async fn read(store: &Store, conn: &mut SqliteConnection) -> Result<Horizons, StoreError> {
        let (raw_from, rolled_until, fine_until): (Option<i64>, Option<i64>, Option<i64>) =
            sqlx::query_as(
                "SELECT (SELECT value FROM meta WHERE key = ?1),
                        (SELECT value FROM meta WHERE key = ?2),
                        (SELECT value FROM meta WHERE key = ?3)",
            )
            .bind(RAW_KEPT_FROM)
            .bind(ROLLED_UNTIL)
            .bind(FINE_ROLLED_UNTIL)
            .fetch_one(conn)
            .await
            .map_err(store.db_err("read roll-up horizons"))?;
        Ok(Horizons {
            raw_from: raw_from.unwrap_or(i64::MIN),
            rolled_until: rolled_until.unwrap_or(i64::MIN),
            fine_until: fine_until.unwrap_or(i64::MIN),
        })
    }
}

const EMPTY: (i64, i64) = (0, 0);

/// `[a, b)` (raw rows kept all through it) as raw rows before its first whole 5 minutes, whole
/// 5-minute roll-ups, and raw rows after the last: (raw, 5-minute, raw). Without `fine`, or where
/// no whole rolled-up 5 minutes fit, all raw.
fn edge(a: i64, b: i64, h: Horizons, fine: bool) -> [(i64, i64); 3] {
    if a >= b {
        return [EMPTY; 3];
    }
    if fine {
        let (fa, fb) = (Tier::Fine.ceil(a), Tier::Fine.floor(b).min(h.fine_until));
        if fa < fb {
            return [(a, fa), (fa, fb), (fb, b)];
        }
    }
    [(a, b), EMPTY, EMPTY]
}

/// Which parts of a range come from raw rows, which from 5-minute and which from hourly
/// roll-ups. Empty ranges have a ≥ b. See [`Plan::can_total`]: two plans can differ field by
/// field and still read the same checks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Raw rows: the partial 5 minutes at the edges, and what is not rolled up yet.
    pub raw: [(i64, i64); 4],
    /// Whole 5 minutes `[a, b)` read from the 5-minute roll-ups.
    pub fine: [(i64, i64); 2],
    /// Whole hours `[a, b)` read from the hourly roll-ups.
    pub rolled: (i64, i64),
    /// Percentiles are exact: everything comes from raw rows.
    pub exact: bool,
}

impl Plan {
    /// The rule of a range's totals: ranges up to an hour whose raw rows are all kept are read
    /// raw (exact percentiles); otherwise whole hours already rolled up come from the hourly
    /// roll-ups, whole 5 minutes of the rest from the 5-minute ones, and only the partial
    /// 5 minutes at the edges (and what is not rolled up yet) from raw rows. Raw rows and 5-minute
    /// roll-ups before the raw horizon may be partly deleted, so an edge hour there is left out
    /// rather than half counted.
    pub fn totals(f: i64, t: i64, h: Horizons) -> Plan {
        if t - f <= EXACT_MAX_MS && f >= h.raw_from {
            return Plan {
                raw: [(f, t), EMPTY, EMPTY, EMPTY],
                fine: [EMPTY; 2],
                rolled: EMPTY,
                exact: true,
            };
        }
        let first_whole = ceil_hour(f);
        let rolled_end = floor_hour(t).min(h.rolled_until);
        let clip = |a: i64| a.max(h.raw_from);
        if first_whole < rolled_end {
            let [l0, lf, l1] = edge(clip(f), first_whole, h, true);
            let [r0, rf, r1] = edge(clip(rolled_end), t, h, true);
            Plan {
                raw: [l0, l1, r0, r1],
                fine: [lf, rf],
                rolled: (first_whole, rolled_end),
                exact: false,
            }
        } else {
            let [r0, rf, r1] = edge(clip(f), t, h, true);
            Plan {
                raw: [r0, r1, EMPTY, EMPTY],
                fine: [rf, EMPTY],
                rolled: EMPTY,
                exact: false,
            }
        }
    }

    /// The rule for buckets narrower than an hour, which hourly roll-ups cannot split: where raw
    /// rows are kept, 5-minute roll-ups if `fine` (buckets at least 5 minutes wide) with raw
    /// rows at the edges, else raw rows; hourly roll-ups only for whole hours whose raw rows may
    /// be gone.
    pub fn fine(f: i64, t: i64, h: Horizons, fine: bool) -> Plan {
        let raw_start = f.max(h.raw_from).min(t);
        let rolled_end = floor_hour(raw_start).min(h.rolled_until).min(floor_hour(t));
        let [r0, rf, r1] = edge(raw_start, t, h, fine);
        Plan {
            raw: [r0, r1, EMPTY, EMPTY],
            fine: [rf, EMPTY],
            rolled: (ceil_hour(f), rolled_end),
            exact: false,
        }
    }

    /// Whether a range's totals, read with `totals`, can be summed from a series read with
    /// `self` instead of being read a second time: both read the same checks (whatever from),
    /// and if the totals are exact the series read them all raw. Histograms merge by addition,
    /// so a sum of 5-minute roll-ups gives the same percentiles as the hourly roll-ups of the
    /// same checks.
    pub fn can_total(&self, totals: &Plan) -> bool {
        let raw_only = self.fine.iter().chain([&self.rolled]).all(|&(a, b)| a >= b);
        (!totals.exact || raw_only) && self.coverage() == totals.coverage()
    }

    /// The time read, as disjoint ascending ranges with touching ones joined.
    fn coverage(&self) -> Vec<(i64, i64)> {
        let mut parts: Vec<(i64, i64)> = self
            .raw
            .iter()
            .chain(&self.fine)
            .chain([&self.rolled])
            .copied()
            .filter(|&(a, b)| a < b)
            .collect();
        parts.sort_unstable();
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(parts.len());
        for (a, b) in parts {
            match out.last_mut() {
                Some(last) if last.1 >= a => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        out
    }
}

/// `n` equal-width buckets over `[f, t)`: bucket `i` is `[bound(i), bound(i + 1))`, and a time
/// `ms` falls into `(ms − f) · n / (t − f)` (the same integer formula in SQL and here).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Buckets {
    pub f: i64,
    pub t: i64,
    pub n: u32,
}

impl Buckets {
    pub fn new(f: i64, t: i64, n: u32) -> Buckets {
        Buckets { f, t, n: n.max(1) }
    }

    fn width(&self) -> i128 {
        i128::from(self.t - self.f)
    }

    /// The first millisecond of bucket `i` (`t` for `i = n`): the smallest `ms` with
    /// `(ms − f) · n / (t − f) ≥ i`.
    pub fn bound(&self, i: u32) -> i64 {
        let n = i128::from(self.n);
        let d = self.width();
        let off = (i128::from(i) * d + n - 1) / n;
        i64::try_from(i128::from(self.f) + off).unwrap_or(i64::MAX)
    }

    /// The bucket of a time inside `[f, t)`; times outside are clamped to the first or last.
    pub fn index(&self, ms: i64) -> usize {
        let d = self.width();
        if d <= 0 {
            return 0;
        }
        let i = (i128::from(ms) - i128::from(self.f)) * i128::from(self.n) / d;
        i.clamp(0, i128::from(self.n) - 1) as usize
    }

    /// Whether a bucket is narrower than `ms`.
    fn finer_than(&self, ms: i64) -> bool {
        self.width() < i128::from(ms) * i128::from(self.n)
    }

    /// How these buckets are read: like the range's totals when hourly roll-ups fit in them;
    /// with 5-minute roll-ups when those do.
    pub fn plan(&self, h: Horizons) -> Plan {
        if self.finer_than(HOUR_MS) {
            Plan::fine(self.f, self.t, h, !self.finer_than(FIVE_MIN_MS))
        } else {
            Plan::totals(self.f, self.t, h)
        }
    }
}

/// Targets read together: their row ids in the caller's order, and the same as the JSON array
/// the queries take (`target IN (SELECT value FROM json_each(?1))`), so one statement serves
/// any number of targets and stays in the statement cache.
#[derive(Debug, Clone)]
pub(crate) struct TargetSet {
    pub rids: Vec<i64>,
    pub json: String,
    pos: HashMap<i64, usize>,
}

impl TargetSet {
    pub fn new(rids: Vec<i64>) -> TargetSet {
        let list: Vec<String> = rids.iter().map(i64::to_string).collect();
        TargetSet {
            json: format!("[{}]", list.join(",")),
            pos: rids.iter().enumerate().map(|(i, &r)| (r, i)).collect(),
            rids,
        }
    }

    /// Where a row of a target's goes in per-target results.
    pub fn pos(&self, rid: i64) -> Option<usize> {
        self.pos.get(&rid).copied()
    }
}

/// Rows of `sql::bucket_lists`: target, check list.
type CheckLists = Vec<(i64, Option<String>)>;
/// Rows of `sql::rollup_lists`: target, header list, concatenated histograms.
type RollupLists = Vec<(i64, Option<String>, Option<Vec<u8>>)>;

/// What [`Store::fetch`] read, before any parsing: the aggregate rows as SQLite gave them.
#[derive(Debug, Default)]
pub(crate) struct Fetched {
    /// One list per raw range.
    raw: Vec<CheckLists>,
    /// One list per roll-up range, with its tier.
    rollups: Vec<(Tier, RollupLists)>,
}

impl Store {
    /// Reads the targets' checks for `buckets` as `plan` says, for all targets at once: one
    /// aggregate query per raw range and one per roll-up range, each a row per target. Turning
    /// them into numbers is [`Store::bucket_stats`], which needs no connection.
    pub(crate) async fn fetch(
        &self,
        conn: &mut SqliteConnection,
        set: &TargetSet,
        plan: &Plan,
        buckets: Buckets,
    ) -> Result<Fetched, StoreError> {
        let mut fetched = Fetched::default();
        if buckets.t <= buckets.f {
            return Ok(fetched);
        }
        for (a, b) in plan.raw {
            if a >= b {
                continue;
            }
            fetched.raw.push(
                sqlx::query_as(sql::bucket_lists())
                    .bind(&set.json)
                    .bind(a)
                    .bind(b)
                    .bind(buckets.f)
                    .bind(i64::from(buckets.n))
                    .bind(buckets.t - buckets.f)
                    .bind(sql::bucket_radix(buckets.n))
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(self.db_err("read checks"))?,
            );
        }
        let ranges = plan
            .fine
            .into_iter()
            .map(|r| (Tier::Fine, r))
            .chain([(Tier::Hour, plan.rolled)]);
        for (tier, (a, b)) in ranges {
            if a >= b {
                continue;
            }
            let lists = sqlx::query_as(sql::rollup_lists(tier))
                .bind(&set.json)
                .bind(a)
                .bind(b)
                .fetch_all(&mut *conn)
                .await
                .map_err(self.db_err("read roll-ups"))?;
            fetched.rollups.push((tier, lists));
        }
        Ok(fetched)
    }

    /// What was fetched, per target (in `set` order) and bucket. A rolled-up hour or 5 minutes
    /// go to the bucket holding their middle, so with buckets at least as wide a check lands at
    /// most half a slot from where it belongs.
    pub(crate) fn bucket_stats(
        &self,
        set: &TargetSet,
        fetched: Fetched,
        buckets: Buckets,
    ) -> Result<Vec<Vec<Stats>>, StoreError> {
        let mut out: Vec<Vec<Stats>> = set
            .rids
            .iter()
            .map(|_| (0..buckets.n).map(|_| Stats::default()).collect())
            .collect();
        for (rid, list) in fetched.raw.into_iter().flatten() {
            let Some(series) = set.pos(rid).and_then(|p| out.get_mut(p)) else {
                continue;
            };
            let mut outside = None;
            sql::each_check(list.as_deref(), sql::bucket_radix(buckets.n), |b, l| {
                let Some(s) = usize::try_from(b).ok().and_then(|i| series.get_mut(i)) else {
                    outside = Some(b);
                    return;
                };
                s.checks += 1;
                match l {
                    Some(ms) => s.exact.push(ms),
                    None => s.failures += 1,
                }
            })
            .map_err(|e| self.corrupt(e))?;
            if let Some(b) = outside {
                return Err(self.corrupt(format!("check outside its range (bucket {b})")));
            }
        }
        for (tier, (rid, list, blobs)) in fetched
            .rollups
            .into_iter()
            .flat_map(|(tier, lists)| lists.into_iter().map(move |l| (tier, l)))
        {
            let Some(series) = set.pos(rid).and_then(|p| out.get_mut(p)) else {
                continue;
            };
            let blobs = blobs.unwrap_or_default();
            sql::each_rollup(list.as_deref(), &blobs, |start, checks, answered, blob| {
                let s = &mut series[buckets.index(start + tier.ms() / 2)];
                let checks = to_u64(checks);
                s.checks += checks;
                s.failures += checks.saturating_sub(to_u64(answered));
                s.hist
                    .merge_encoded(blob)
                    .map_err(|e| format!("roll-up histogram: {}", e.0))
            })
            .map_err(|e| self.corrupt(e))?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_indexes_agree() {
        for (f, t, n) in [(0, 1000, 7), (-5000, 12_345, 120), (3, 4, 1000), (0, 3, 10)] {
            let b = Buckets::new(f, t, n);
            assert_eq!(b.bound(0), f);
            assert_eq!(b.bound(n), t);
            for ms in f..t {
                let i = b.index(ms) as u32;
                assert!(b.bound(i) <= ms && ms < b.bound(i + 1), "{f} {t} {n} {ms}");
            }
        }
    }

    fn nonempty(ranges: &[(i64, i64)]) -> Vec<(i64, i64)> {
        ranges.iter().copied().filter(|&(a, b)| a < b).collect()
    }

    #[test]
    fn plans_follow_the_horizons() {
        let h = Horizons {
            raw_from: 10 * HOUR_MS,
            rolled_until: 20 * HOUR_MS,
            fine_until: 30 * HOUR_MS,
        };
        // Short and fully raw: exact.
        let p = Plan::totals(12 * HOUR_MS, 13 * HOUR_MS, h);
        assert!(p.exact);
        // Long: whole rolled hours from hourly roll-ups, then whole 5 minutes from 5-minute ones
        // up to their horizon, raw rows after it; the part before the raw horizon only in whole
        // hours.
        let p = Plan::totals(HOUR_MS / 2, 40 * HOUR_MS + 5, h);
        assert!(!p.exact);
        assert_eq!(p.rolled, (HOUR_MS, 20 * HOUR_MS));
        assert_eq!(nonempty(&p.fine), [(20 * HOUR_MS, 30 * HOUR_MS)]);
        assert_eq!(nonempty(&p.raw), [(30 * HOUR_MS, 40 * HOUR_MS + 5)]);
        // A day inside the raw horizon, not hour aligned: partial 5 minutes raw at both ends.
        let (f, t) = (11 * HOUR_MS + 7_000, 19 * HOUR_MS + 301_000);
        let p = Plan::totals(f, t, h);
        assert_eq!(p.rolled, (12 * HOUR_MS, 19 * HOUR_MS));
        assert_eq!(
            nonempty(&p.fine),
            [
                (11 * HOUR_MS + FIVE_MIN_MS, 12 * HOUR_MS),
                (19 * HOUR_MS, 19 * HOUR_MS + FIVE_MIN_MS)
            ]
        );
        assert_eq!(
            nonempty(&p.raw),
            [
                (f, 11 * HOUR_MS + FIVE_MIN_MS),
                (19 * HOUR_MS + FIVE_MIN_MS, t)
            ]
        );
        // Fine buckets: 5-minute roll-ups from the raw horizon on, hourly ones only before it.
        let p = Plan::fine(HOUR_MS / 2, 15 * HOUR_MS + 5, h, true);
        assert_eq!(nonempty(&p.fine), [(10 * HOUR_MS, 15 * HOUR_MS)]);
        assert_eq!(nonempty(&p.raw), [(15 * HOUR_MS, 15 * HOUR_MS + 5)]);
        assert_eq!(p.rolled, (HOUR_MS, 10 * HOUR_MS));
        // Buckets under 5 minutes: raw from the horizon on.
        let p = Plan::fine(HOUR_MS / 2, 15 * HOUR_MS, h, false);
        assert_eq!(nonempty(&p.raw), [(10 * HOUR_MS, 15 * HOUR_MS)]);
        assert!(nonempty(&p.fine).is_empty());
        assert_eq!(p.rolled, (HOUR_MS, 10 * HOUR_MS));
        // Nothing rolled up at all yet: all raw, percentiles from a histogram.
        let none = Horizons {
            raw_from: i64::MIN,
            rolled_until: i64::MIN,
            fine_until: i64::MIN,
        };
        let p = Plan::totals(0, 30 * HOUR_MS, none);
        assert_eq!(nonempty(&p.raw), [(0, 30 * HOUR_MS)]);
        assert!(nonempty(&p.fine).is_empty() && !p.exact);
    }

    #[test]
    fn totals_are_summed_from_a_series_that_reads_the_same_checks() {
        let h = Horizons {
            raw_from: 10 * HOUR_MS,
            rolled_until: 40 * HOUR_MS,
            fine_until: 40 * HOUR_MS,
        };
        // An hour, not aligned, all raw: 120 buckets read the same checks as the exact totals.
        let (f, t) = (12 * HOUR_MS + 1234, 13 * HOUR_MS + 1234);
        let series = Buckets::new(f, t, 120).plan(h);
        let totals = Plan::totals(f, t, h);
        assert!(totals.exact && !series.exact);
        assert!(series.can_total(&totals));
        // 12 buckets of 5 minutes read 5-minute roll-ups: the same checks, but not exact.
        assert!(!Buckets::new(f, t, 12).plan(h).can_total(&totals));
        // A series read like its range's totals, or not.
        let same = |f: i64, t: i64, n: u32| {
            Buckets::new(f, t, n)
                .plan(h)
                .can_total(&Plan::totals(f, t, h))
        };
        // A day in hourly buckets, hour-aligned or not.
        assert!(same(12 * HOUR_MS, 36 * HOUR_MS, 24));
        assert!(same(12 * HOUR_MS + 1234, 36 * HOUR_MS + 1234, 12));
        // A day in 12-minute buckets reads 5-minute roll-ups where its totals read hourly ones:
        // the same checks.
        assert!(same(12 * HOUR_MS + 1234, 36 * HOUR_MS + 1234, 120));
        // A day in 1-minute buckets reads raw rows: the same checks too.
        assert!(same(12 * HOUR_MS + 1234, 36 * HOUR_MS + 1234, 1000));
        // Reaching before the raw horizon: whole hours there, in both.
        assert!(same(HOUR_MS / 2, 15 * HOUR_MS, 48));
        // A week inside the raw horizon, in any buckets.
        assert!(same(10 * HOUR_MS, 178 * HOUR_MS, 120));
        assert!(same(10 * HOUR_MS, 178 * HOUR_MS, 500));
        assert!(same(8 * HOUR_MS + 1234, 178 * HOUR_MS, 500));
    }
}
