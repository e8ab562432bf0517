//! SQL built from the domain's class codes, and the aggregate reads that use it.
//!
//! Aggregation happens inside SQLite and comes back as one row per range (or per hour), with the
//! answered checks' latencies joined by `group_concat`: sqlx hands rows over one by one through a
//! channel, and at thousands of rows per query that per-row cost, not SQLite, would dominate.

use monitor::{Class, Severity};
use std::sync::OnceLock;

fn codes(keep: impl Fn(Severity) -> bool) -> String {
    let v: Vec<String> = Class::ALL
        .into_iter()
        .filter(|c| keep(c.severity()))
        .map(|c| c.code().to_string())
        .collect();
    v.join(",")
}

/// Checks in a range: count, failures (anything not ok or soft, so an unknown code counts as a
/// failure rather than vanishing), and the answered checks' latencies.
pub(crate) fn range_stats() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let answered = codes(|s| s != Severity::Hard);
        format!(
            "SELECT COUNT(*),
                    COALESCE(SUM(class NOT IN ({answered})), 0),
                    group_concat(CASE WHEN class IN ({answered}) THEN latency_ms END)
             FROM checks WHERE target = ?1 AND ts_ms >= ?2 AND ts_ms < ?3"
        )
    })
}

/// The same per hour, split by severity, for roll-ups.
pub(crate) fn hourly_stats() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let ok = codes(|s| s == Severity::Ok);
        let soft = codes(|s| s == Severity::Soft);
        let answered = codes(|s| s != Severity::Hard);
        // Floor division that stays right for negative times, unlike SQLite's truncating `/`.
        format!(
            "SELECT ts_ms - (((ts_ms % 3600000) + 3600000) % 3600000) AS hour,
                    COUNT(*),
                    COALESCE(SUM(class IN ({ok})), 0),
                    COALESCE(SUM(class IN ({soft})), 0),
                    COALESCE(SUM(CASE WHEN class IN ({answered}) THEN latency_ms ELSE 0 END), 0),
                    group_concat(CASE WHEN class IN ({answered}) THEN latency_ms END)
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
    fn latency_lists_parse() {
        let mut v = Vec::new();
        each_latency(Some("1,20,300"), |x| v.push(x)).unwrap();
        each_latency(None, |x| v.push(x)).unwrap();
        assert_eq!(v, [1, 20, 300]);
        assert!(each_latency(Some("1,x"), |_| {}).is_err());
    }

    #[test]
    fn insert_statements_have_the_right_arity() {
        for n in INSERT_SIZES {
            assert_eq!(insert_checks(n).matches('?').count(), n * CHECK_COLUMNS);
        }
    }
}
