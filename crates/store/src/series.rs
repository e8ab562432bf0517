//! Where a range's checks are read from (raw rows or hourly roll-ups), and reading them into
//! equal-width buckets: the totals of `history` are the one-bucket case of the latency series.

use crate::hist::{exact_percentile, Histogram};
use crate::maintain::{meta, RAW_KEPT_FROM, ROLLED_UNTIL};
use crate::sql;
use crate::{ceil_hour, floor_hour, to_u64, Store, StoreError, HOUR_MS};
use sqlx::SqliteConnection;
use std::collections::HashMap;

/// Up to this long, and while raw checks are all kept, percentiles are computed exactly.
const EXACT_MAX_MS: i64 = 24 * HOUR_MS;

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

/// The two horizons of `maintain.rs`, read inside the transaction that reads the data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Horizons {
    /// Raw checks before this may be gone.
    raw_from: i64,
    /// Every hour before this is in the roll-ups.
    rolled_until: i64,
}

impl Horizons {
    pub async fn read(store: &Store, conn: &mut SqliteConnection) -> Result<Horizons, StoreError> {
        Ok(Horizons {
            raw_from: meta(conn, RAW_KEPT_FROM)
                .await
                .map_err(store.db_err("read raw horizon"))?
                .unwrap_or(i64::MIN),
            rolled_until: meta(conn, ROLLED_UNTIL)
                .await
                .map_err(store.db_err("read roll-up horizon"))?
                .unwrap_or(i64::MIN),
        })
    }
}

/// Which parts of a range come from raw rows and which from roll-ups. Empty ranges have a ≥ b.
/// Compare plans with [`Plan::reads_same_as`]: two plans can differ field by field and still
/// read the same checks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub raw: [(i64, i64); 2],
    /// Whole hours `[a, b)` read from roll-ups.
    pub rolled: (i64, i64),
    /// Percentiles are exact: everything comes from raw rows.
    pub exact: bool,
}

impl Plan {
    /// The rule of a range's totals: ranges up to 24 h whose raw rows are all kept are read raw
    /// (exact percentiles); otherwise whole hours already rolled up come from roll-ups and the
    /// rest (partial edge hours, hours not rolled up yet) from raw rows. Raw rows before the raw
    /// horizon may be partly deleted, so an edge hour there is left out rather than half counted.
    pub fn totals(f: i64, t: i64, h: Horizons) -> Plan {
        if t - f <= EXACT_MAX_MS && f >= h.raw_from {
            return Plan {
                raw: [(f, t), (t, t)],
                rolled: (t, t),
                exact: true,
            };
        }
        let first_whole = ceil_hour(f);
        let rolled_end = floor_hour(t).min(h.rolled_until);
        let clip = |(a, b): (i64, i64)| (a.max(h.raw_from), b);
        if first_whole < rolled_end {
            Plan {
                raw: [clip((f, first_whole)), clip((rolled_end, t))],
                rolled: (first_whole, rolled_end),
                exact: false,
            }
        } else {
            Plan {
                raw: [clip((f, t)), (t, t)],
                rolled: (t, t),
                exact: false,
            }
        }
    }

    /// The rule for buckets narrower than an hour, which roll-ups cannot split: raw rows wherever
    /// they are kept, roll-ups only for whole hours whose raw rows may be gone.
    pub fn fine(f: i64, t: i64, h: Horizons) -> Plan {
        let raw_start = f.max(h.raw_from).min(t);
        let rolled_end = floor_hour(raw_start).min(h.rolled_until).min(floor_hour(t));
        Plan {
            raw: [(raw_start, t), (t, t)],
            rolled: (ceil_hour(f), rolled_end),
            exact: false,
        }
    }

    /// Whether `self` reads exactly the checks `other` reads (raw ranges and roll-up hours alike),
    /// whatever either says of exactness: a range's totals can then be summed from a series read
    /// with the other plan instead of being read a second time.
    pub fn reads_same_as(&self, other: &Plan) -> bool {
        let nonempty = |&(a, b): &(i64, i64)| a < b;
        let raw = |p: &Plan| p.raw.into_iter().filter(nonempty);
        let rolled = |p: &Plan| Some(p.rolled).filter(nonempty);
        raw(self).eq(raw(other)) && rolled(self) == rolled(other)
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

    /// Whether a bucket is narrower than the hour a roll-up covers.
    pub fn finer_than_hours(&self) -> bool {
        self.width() < i128::from(HOUR_MS) * i128::from(self.n)
    }

    /// How these buckets are read: like the range's totals when roll-ups fit in them.
    pub fn plan(&self, h: Horizons) -> Plan {
        if self.finer_than_hours() {
            Plan::fine(self.f, self.t, h)
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

/// Rows of `sql::bucket_lists`: target, bucket list, latency list.
type CheckLists = Vec<(i64, Option<String>, Option<String>)>;
/// Rows of `sql::ROLLUP_LISTS`: target, header list, concatenated histograms.
type RollupLists = Vec<(i64, Option<String>, Option<Vec<u8>>)>;

/// What [`Store::fetch`] read, before any parsing: the aggregate rows as SQLite gave them.
#[derive(Debug, Default)]
pub(crate) struct Fetched {
    /// One list per raw range.
    raw: Vec<CheckLists>,
    rollups: RollupLists,
}

impl Store {
    /// Reads the targets' checks for `buckets` as `plan` says, for all targets at once: one
    /// aggregate query per raw range and one for the roll-ups, each a row per target. Turning
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
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(self.db_err("read checks"))?,
            );
        }
        let (a, b) = plan.rolled;
        if a < b {
            fetched.rollups = sqlx::query_as(sql::ROLLUP_LISTS)
                .bind(&set.json)
                .bind(a)
                .bind(b)
                .fetch_all(&mut *conn)
                .await
                .map_err(self.db_err("read roll-ups"))?;
        }
        Ok(fetched)
    }

    /// What was fetched, per target (in `set` order) and bucket. A rolled-up hour goes to the
    /// bucket holding its middle, so with buckets an hour wide or more a check lands at most
    /// half an hour from where it belongs.
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
        for (rid, bucket_list, latency_list) in fetched.raw.into_iter().flatten() {
            let Some(series) = set.pos(rid).and_then(|p| out.get_mut(p)) else {
                continue;
            };
            let mut outside = None;
            sql::each_check(bucket_list.as_deref(), latency_list.as_deref(), |b, l| {
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
        for (rid, list, blobs) in fetched.rollups {
            let Some(series) = set.pos(rid).and_then(|p| out.get_mut(p)) else {
                continue;
            };
            let blobs = blobs.unwrap_or_default();
            sql::each_rollup(list.as_deref(), &blobs, |hour, checks, answered, blob| {
                let s = &mut series[buckets.index(hour + HOUR_MS / 2)];
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

    #[test]
    fn plans_follow_the_horizons() {
        let h = Horizons {
            raw_from: 10 * HOUR_MS,
            rolled_until: 20 * HOUR_MS,
        };
        // Short and fully raw: exact.
        let p = Plan::totals(12 * HOUR_MS, 13 * HOUR_MS, h);
        assert!(p.exact);
        // Long: edges raw, whole rolled hours from roll-ups, the part before the raw horizon
        // only in whole hours.
        let p = Plan::totals(HOUR_MS / 2, 40 * HOUR_MS + 5, h);
        assert_eq!(p.rolled, (HOUR_MS, 20 * HOUR_MS));
        assert_eq!(
            p.raw,
            [(10 * HOUR_MS, HOUR_MS), (20 * HOUR_MS, 40 * HOUR_MS + 5)]
        );
        // Fine buckets: raw from the horizon on, roll-ups only before it.
        let p = Plan::fine(HOUR_MS / 2, 15 * HOUR_MS, h);
        assert_eq!(p.raw[0], (10 * HOUR_MS, 15 * HOUR_MS));
        assert_eq!(p.rolled, (HOUR_MS, 10 * HOUR_MS));
    }

    #[test]
    fn fine_buckets_over_a_raw_day_read_what_its_totals_read() {
        let h = Horizons {
            raw_from: 10 * HOUR_MS,
            rolled_until: 40 * HOUR_MS,
        };
        // A day, not hour-aligned, all raw: 48 buckets read the same checks as the exact totals.
        let (f, t) = (12 * HOUR_MS + 1234, 36 * HOUR_MS + 1234);
        let series = Buckets::new(f, t, 48).plan(h);
        let totals = Plan::totals(f, t, h);
        assert!(totals.exact && !series.exact);
        assert!(series.reads_same_as(&totals) && totals.reads_same_as(&series));
        // A series read like its range's totals, or not.
        let same = |f: i64, t: i64, n: u32| {
            Buckets::new(f, t, n)
                .plan(h)
                .reads_same_as(&Plan::totals(f, t, h))
        };
        // Hour-aligned too.
        assert!(same(12 * HOUR_MS, 36 * HOUR_MS, 120));
        // Reaching before the raw horizon, the series takes roll-ups the totals leave out.
        assert!(!same(HOUR_MS / 2, 15 * HOUR_MS, 48));
        // A week in hourly-or-wider buckets reads like its totals; in finer ones it does not.
        assert!(same(10 * HOUR_MS, 178 * HOUR_MS, 120));
        assert!(!same(10 * HOUR_MS, 178 * HOUR_MS, 500));
    }
}
