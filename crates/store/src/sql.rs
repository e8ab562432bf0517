//! SQL built from the domain's class codes, and the aggregate reads that use it.
//!
//! Aggregation happens inside SQLite and comes back as one row per range (or per hour), with the
//! answered checks' latencies joined by `group_concat`: sqlx hands rows over one by one through a
//! channel, and at thousands of rows per query that per-row cost, not SQLite, would dominate.

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

/// Checks of the targets in the JSON array ?1 in `[?2, ?3)`, one row per target: target, then
/// two lists in the same order (two aggregates of one query step through the same rows): each
/// check's bucket (`(ts − ?4) · ?5 / ?6`, see `series::Buckets`), and its latency, or -1 for a
/// failure (not ok or soft). Grouping by target alone follows the index, so SQLite streams instead
/// of sorting, and a day of checks costs one row per target, not one per check.
pub(crate) fn bucket_lists() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let answered = mask(|s| s != Severity::Hard);
        format!(
            "SELECT target,
                    group_concat((ts_ms - ?4) * ?5 / ?6),
                    group_concat(CASE WHEN ({answered} >> class) & 1 THEN max(latency_ms, 0) ELSE -1 END)
             FROM checks
             WHERE target IN (SELECT value FROM json_each(?1)) AND ts_ms >= ?2 AND ts_ms < ?3
             GROUP BY target"
        )
    })
}

/// Calls `f(bucket, latency)` for each check of a [`bucket_lists`] row; `latency` is `None` for
/// a failure.
pub(crate) fn each_check(
    buckets: Option<&str>,
    latencies: Option<&str>,
    mut f: impl FnMut(i64, Option<u64>),
) -> Result<(), String> {
    let (Some(buckets), Some(latencies)) = (buckets, latencies) else {
        return match (buckets, latencies) {
            (None, None) => Ok(()),
            _ => Err("check lists of different lengths".into()),
        };
    };
    let mut bs = buckets.split(',');
    let mut ls = latencies.split(',');
    loop {
        match (bs.next(), ls.next()) {
            (Some(b), Some(l)) => {
                let b: i64 = b
                    .parse()
                    .map_err(|_| format!("bucket `{b}` is not a number"))?;
                let l: i64 = l
                    .parse()
                    .map_err(|_| format!("latency `{l}` is not a number"))?;
                f(b, u64::try_from(l).ok());
            }
            (None, None) => return Ok(()),
            _ => return Err("check lists of different lengths".into()),
        }
    }
}

/// Checks per hour, split by severity, for roll-ups.
pub(crate) fn hourly_stats() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let ok = mask(|s| s == Severity::Ok);
        let soft = mask(|s| s == Severity::Soft);
        let answered = mask(|s| s != Severity::Hard);
        // Floor division that stays right for negative times, unlike SQLite's truncating `/`.
        format!(
            "SELECT ts_ms - (((ts_ms % 3600000) + 3600000) % 3600000) AS hour,
                    COUNT(*),
                    SUM(({ok} >> class) & 1),
                    SUM(({soft} >> class) & 1),
                    SUM(CASE WHEN ({answered} >> class) & 1 THEN latency_ms ELSE 0 END),
                    group_concat(CASE WHEN ({answered} >> class) & 1 THEN latency_ms END)
             FROM checks WHERE target = ?1 AND ts_ms >= ?2 AND ts_ms < ?3
             GROUP BY hour"
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

/// Roll-ups of the targets in the JSON array ?1 for hours in `[?2, ?3)`, one row per target:
/// target; `hour checks answered hist-length` per hour, space separated; and the histograms
/// concatenated in the same order (two aggregates of one query step through the same rows). A
/// month of hours costs one row, not hundreds, and the blobs travel as they are stored.
pub(crate) const ROLLUP_LISTS: &str =
    "SELECT target,
            group_concat(hour_ms || ' ' || checks || ' ' || (ok + soft) || ' ' || length(hist), ' '),
            group_concat(hist, '')
     FROM rollups
     WHERE target IN (SELECT value FROM json_each(?1)) AND hour_ms >= ?2 AND hour_ms < ?3
     GROUP BY target";

/// Calls `f(hour_ms, checks, answered, hist blob)` for each roll-up of a [`ROLLUP_LISTS`] row.
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

/// `INSERT INTO checks … VALUES (…), (…), …` for `rows` rows. SQLite allows 32,766 parameters;
/// the biggest statement used binds 640.
pub(crate) fn insert_checks(rows: usize) -> &'static str {
    static SQL: [OnceLock<String>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match rows {
        64 => 0,
        8 => 1,
        _ => 2,
    };
    let rows = [64, 8, 1][slot];
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

/// Statement sizes, biggest first: a batch is cut into as few statements as possible while
/// every statement text stays one of three, so all of them stay in sqlx's statement cache.
pub(crate) const INSERT_SIZES: [usize; 3] = [64, 8, 1];

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
    fn check_lists_parse_in_step() {
        let mut v = Vec::new();
        each_check(Some("0,0,3"), Some("12,-1,7"), |b, l| v.push((b, l))).unwrap();
        assert_eq!(v, [(0, Some(12)), (0, None), (3, Some(7))]);
        each_check(None, None, |_, _| panic!("no checks")).unwrap();
        assert!(each_check(Some("0,1"), Some("5"), |_, _| {}).is_err());
        assert!(each_check(Some("0"), None, |_, _| {}).is_err());
        assert!(each_check(Some("x"), Some("5"), |_, _| {}).is_err());
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
