//! SQL built from the domain's class codes, and the aggregate reads that use it.
//!
//! Aggregation happens inside SQLite and comes back as one row per range (or per hour), with the
//! answered checks' latencies joined by `group_concat`: sqlx hands rows over one by one through a
//! channel, and at thousands of rows per query that per-row cost, not SQLite, would dominate.

use crate::maintain::Tier;
use monitor::{Class, Severity};
use std::sync::OnceLock;

/// `(MASK >> class) & 1` is 1 for the classes `keep` accepts: a shift and a mask per row, where
/// `class IN (…)` would probe a list. Codes outside 0..64 shift the mask out (or in from the
/// right), giving 0, so an unknown code counts as a failure rather than vanishing.
fn mask(keep: impl Fn(Severity) -> bool) -> u64 {
    Class::ALL
        .into_iter()
        .filter(|c| keep(c.severity()) && c.code() < 64)
        .fold(0, |m, c| m | 1 << c.code())
}

/// Latencies above this (about 24 days) are read as this, so that list entries stay in range.
const LATENCY_CAP: i64 = 1 << 31;

/// Checks of the targets in the JSON array ?1 in `[?2, ?3)`, one row per target: target, then
/// one list with an entry per check, `(latency + 1) · ?7 + bucket`, or just `bucket` for a
/// failure (not ok or soft): each check's bucket is `(ts − ?4) · ?5 / ?6` (see `series::Buckets`),
/// below ?7, a power of two. One short number per check, not two: turning numbers into text and
/// back is most of what a day of raw checks costs. Grouping by target alone follows the index, so
/// SQLite streams instead of sorting, and a day of checks costs one row per target, not one per
/// check.
pub(crate) fn bucket_lists() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let answered = mask(|s| s != Severity::Hard);
        format!(
            "SELECT target,
                    group_concat((ts_ms - ?4) * ?5 / ?6
                        + CASE WHEN ({answered} >> class) & 1
                               THEN (min(max(latency_ms, 0), {LATENCY_CAP}) + 1) * ?7
                               ELSE 0 END)
             FROM checks
             WHERE target IN (SELECT value FROM json_each(?1)) AND ts_ms >= ?2 AND ts_ms < ?3
             GROUP BY target"
        )
    })
}

/// The ?7 of [`bucket_lists`] for `n` buckets.
pub(crate) fn bucket_radix(n: u32) -> i64 {
    i64::from(n.max(1).next_power_of_two())
}

/// Calls `f(bucket, latency)` for each check of a [`bucket_lists`] row read with `radix`;
/// `latency` is `None` for a failure.
pub(crate) fn each_check(
    list: Option<&str>,
    radix: i64,
    mut f: impl FnMut(i64, Option<u64>),
) -> Result<(), String> {
    let Some(list) = list else { return Ok(()) };
    for item in list.split(',') {
        let v: i64 = item
            .parse()
            .map_err(|_| format!("check `{item}` is not a number"))?;
        let (bucket, latency) = (v.rem_euclid(radix), v.div_euclid(radix));
        f(bucket, (latency > 0).then(|| (latency - 1).unsigned_abs()));
    }
    Ok(())
}

/// Checks per slot of `tier` (an hour or 5 minutes), split by severity, for roll-ups: slot start,
/// checks, ok, soft, latency sum and list of the answered ones.
pub(crate) fn rollup_stats(tier: Tier) -> &'static str {
    static SQL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    SQL[tier.slot()].get_or_init(|| {
        let ok = mask(|s| s == Severity::Ok);
        let soft = mask(|s| s == Severity::Soft);
        let answered = mask(|s| s != Severity::Hard);
        let len = tier.ms();
        // Floor division that stays right for negative times, unlike SQLite's truncating `/`.
        format!(
            "SELECT ts_ms - (((ts_ms % {len}) + {len}) % {len}) AS slot,
                    COUNT(*),
                    SUM(({ok} >> class) & 1),
                    SUM(({soft} >> class) & 1),
                    SUM(CASE WHEN ({answered} >> class) & 1 THEN latency_ms ELSE 0 END),
                    group_concat(CASE WHEN ({answered} >> class) & 1 THEN latency_ms END)
             FROM checks WHERE target = ?1 AND ts_ms >= ?2 AND ts_ms < ?3
             GROUP BY slot"
        )
    })
}

/// One roll-up of `tier` by target ?1 and slot start ?2.
pub(crate) fn load_rollup(tier: Tier) -> &'static str {
    static SQL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    SQL[tier.slot()].get_or_init(|| {
        format!(
            "SELECT checks, ok, soft, hard, latency_sum_ms, hist FROM {}
             WHERE target = ?1 AND {} = ?2",
            tier.table(),
            tier.column()
        )
    })
}

/// Calls `f` with each latency of a `group_concat` list.
pub(crate) fn each_latency(list: Option<&str>, mut f: impl FnMut(u64)) -> Result<(), String> {
    let Some(list) = list else { return Ok(()) };
    for item in list.split(',') {
        // Negative latencies are not real; keep them as 0 like `to_u64` does for single reads.
        let v: i64 = item
            .parse()
            .map_err(|_| format!("latency `{item}` is not a number"))?;
        f(u64::try_from(v).unwrap_or(0));
    }
    Ok(())
}

/// Roll-ups of `tier` of the targets in the JSON array ?1 for slots in `[?2, ?3)`, one row per
/// target: target; `start checks answered hist-length` per slot, space separated; and the
/// histograms concatenated in the same order (two aggregates of one query step through the same
/// rows). A month of hours costs one row, not hundreds, and the blobs travel as they are stored.
pub(crate) fn rollup_lists(tier: Tier) -> &'static str {
    static SQL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    SQL[tier.slot()].get_or_init(|| {
        let (table, column) = (tier.table(), tier.column());
        format!(
            "SELECT target,
                    group_concat({column} || ' ' || checks || ' ' || (ok + soft) || ' ' || length(hist), ' '),
                    group_concat(hist, '')
             FROM {table}
             WHERE target IN (SELECT value FROM json_each(?1)) AND {column} >= ?2 AND {column} < ?3
             GROUP BY target"
        )
    })
}

/// Calls `f(start_ms, checks, answered, hist blob)` for each roll-up of a [`rollup_lists`] row.
pub(crate) fn each_rollup(
    list: Option<&str>,
    blobs: &[u8],
    mut f: impl FnMut(i64, i64, i64, &[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let Some(list) = list else { return Ok(()) };
    let mut words = list.split(' ');
    let mut rest = blobs;
    while let Some(hour) = words.next() {
        let mut number = |what: &str| -> Result<i64, String> {
            let w = words
                .next()
                .ok_or_else(|| format!("roll-up list cut short at {what}"))?;
            w.parse()
                .map_err(|_| format!("roll-up {what} `{w}` is not a number"))
        };
        let checks = number("checks")?;
        let answered = number("answered")?;
        let len = usize::try_from(number("length")?).map_err(|_| "negative roll-up length")?;
        let hour: i64 = hour
            .parse()
            .map_err(|_| format!("roll-up hour `{hour}` is not a number"))?;
        if len > rest.len() {
            return Err("roll-up histograms cut short".into());
        }
        let (blob, tail) = rest.split_at(len);
        rest = tail;
        f(hour, checks, answered, blob)?;
    }
    Ok(())
}

/// Columns of one `checks` row, in insert order.
pub(crate) const CHECK_COLUMNS: usize = 10;

/// `INSERT INTO checks … VALUES (…), (…), …` for `rows` rows (one of [`INSERT_SIZES`]). SQLite
/// allows 32,766 parameters; the biggest statement used binds 2,560.
pub(crate) fn insert_checks(rows: usize) -> &'static str {
    static SQL: [OnceLock<String>; INSERT_SIZES.len()] =
        [const { OnceLock::new() }; INSERT_SIZES.len()];
    let slot = INSERT_SIZES
        .iter()
        .position(|&n| n == rows)
        .unwrap_or(INSERT_SIZES.len() - 1);
    let rows = INSERT_SIZES[slot];
    SQL[slot].get_or_init(|| {
        let mut s = String::from(
            "INSERT INTO checks (target, ts_ms, class, status, http_status, latency_ms, \
             message, ttft_ms, tokens_in, tokens_out) VALUES ",
        );
        for r in 0..rows {
            if r > 0 {
                s.push(',');
            }
            s.push('(');
            for c in 0..CHECK_COLUMNS {
                if c > 0 {
                    s.push(',');
                }
                s.push('?');
            }
            s.push(')');
        }
        s
    })
}

/// Statement sizes, biggest first: a batch is cut into as few statements as possible (the
/// binary digits of its length below 256: at most one statement of each size, since every
/// statement is a round trip to sqlx's connection thread), while the statement texts stay few
/// enough to all stay in sqlx's statement cache.
pub(crate) const INSERT_SIZES: [usize; 9] = [256, 128, 64, 32, 16, 8, 4, 2, 1];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_select_the_classes() {
        let answered = mask(|s| s != Severity::Hard);
        for c in Class::ALL {
            assert_eq!(
                answered >> c.code() & 1 == 1,
                c.severity() != Severity::Hard,
                "{c:?}"
            );
        }
    }

    #[test]
    fn check_lists_parse() {
        let mut v = Vec::new();
        let radix = bucket_radix(5);
        assert_eq!(radix, 8);
        let list = format!("{},0,{}", 13 * 8, 8 * 8 + 3);
        each_check(Some(&list), radix, |b, l| v.push((b, l))).unwrap();
        assert_eq!(v, [(0, Some(12)), (0, None), (3, Some(7))]);
        each_check(None, radix, |_, _| panic!("no checks")).unwrap();
        assert!(each_check(Some("0,x"), radix, |_, _| {}).is_err());
        assert_eq!(bucket_radix(1000), 1024);
        assert_eq!(bucket_radix(0), 1);
    }

    #[test]
    fn latency_lists_parse() {
        let mut v = Vec::new();
        each_latency(Some("1,20,300"), |x| v.push(x)).unwrap();
        each_latency(None, |x| v.push(x)).unwrap();
        assert_eq!(v, [1, 20, 300]);
        assert!(each_latency(Some("1,x"), |_| {}).is_err());
    }

    #[test]
    fn rollup_lists_parse() {
        let mut v = Vec::new();
        each_rollup(
            Some("3600000 10 9 3 7200000 1 0 1"),
            &[1, 0, 1, 1],
            |h, c, a, b| {
                v.push((h, c, a, b.to_vec()));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            v,
            [
                (3_600_000, 10, 9, vec![1, 0, 1]),
                (7_200_000, 1, 0, vec![1])
            ]
        );
        each_rollup(None, &[], |_, _, _, _| Err("called".into())).unwrap();
        assert!(each_rollup(Some("1 2 3"), &[1], |_, _, _, _| Ok(())).is_err());
        assert!(each_rollup(Some("1 2 3 x"), &[1], |_, _, _, _| Ok(())).is_err());
        assert!(each_rollup(Some("1 2 3 2"), &[1], |_, _, _, _| Ok(())).is_err());
    }

    #[test]
    fn insert_statements_have_the_right_arity() {
        for n in INSERT_SIZES {
            assert_eq!(insert_checks(n).matches('?').count(), n * CHECK_COLUMNS);
        }
    }
}
