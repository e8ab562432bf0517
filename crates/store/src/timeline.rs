//! The status timeline of one target over a range, from its transitions and the machine's sleeps.
//! Pure and in milliseconds, so it is tested without a database.

use monitor::Status;

/// `[from, to)` in unix ms with one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: i64,
    pub to: i64,
    pub status: Status,
}

/// Builds the timeline over `[from, to)`.
///
/// - `initial`: the status in force at `from` (the `to` of the last transition at or before it).
/// - `transitions`: `(at, to)` with `from < at < to`, ascending; each starts a new span.
/// - `sleeps`: `(from, to)` spans in any order, possibly overlapping; they read as `Unknown`
///   whatever the transitions say, because nothing was probed while the machine slept.
///
/// Adjacent spans with the same status are merged, so the result alternates.
pub fn build(
    from: i64,
    to: i64,
    initial: Status,
    transitions: &[(i64, Status)],
    sleeps: &[(i64, i64)],
) -> Vec<Span> {
    if to <= from {
        return Vec::new();
    }
    let sleeps = union(sleeps, from, to);

    // Every instant where the answer may change: transition times and sleep edges.
    let mut cuts: Vec<i64> = Vec::with_capacity(2 + transitions.len() + 2 * sleeps.len());
    cuts.push(from);
    cuts.push(to);
    cuts.extend(
        transitions
            .iter()
            .map(|&(at, _)| at)
            .filter(|&at| at > from && at < to),
    );
    for &(a, b) in &sleeps {
        cuts.push(a);
        cuts.push(b);
    }
    cuts.sort_unstable();
    cuts.dedup();

    let mut out: Vec<Span> = Vec::new();
    let mut status = initial;
    let mut t_idx = 0;
    let mut s_idx = 0;
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        while t_idx < transitions.len() && transitions[t_idx].0 <= a {
            status = transitions[t_idx].1;
            t_idx += 1;
        }
        while s_idx < sleeps.len() && sleeps[s_idx].1 <= a {
            s_idx += 1;
        }
        let asleep = sleeps.get(s_idx).is_some_and(|&(sa, _)| sa <= a);
        let here = if asleep { Status::Unknown } else { status };
        match out.last_mut() {
            Some(last) if last.status == here && last.to == a => last.to = b,
            _ => out.push(Span {
                from: a,
                to: b,
                status: here,
            }),
        }
    }
    out
}

/// Sleeps clipped to `[from, to)`, sorted and merged so each instant is covered at most once.
fn union(sleeps: &[(i64, i64)], from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut v: Vec<(i64, i64)> = sleeps
        .iter()
        .map(|&(a, b)| (a.max(from), b.min(to)))
        .filter(|&(a, b)| a < b)
        .collect();
    v.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Healthy or degraded time ÷ known time, in percent; `None` when nothing is known.
pub fn uptime_pct(spans: &[Span]) -> Option<f64> {
    let mut up = 0i64;
    let mut known = 0i64;
    for s in spans {
        let len = s.to - s.from;
        match s.status {
            Status::Healthy | Status::Degraded => {
                up += len;
                known += len;
            }
            Status::Unhealthy => known += len,
            Status::Unknown => {}
        }
    }
    (known > 0).then(|| up as f64 * 100.0 / known as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn span(from: i64, to: i64, status: Status) -> Span {
        Span { from, to, status }
    }

    #[test]
    fn empty_range_has_no_spans() {
        assert!(build(10, 10, Healthy, &[], &[]).is_empty());
        assert_eq!(uptime_pct(&[]), None);
    }

    #[test]
    fn transitions_start_spans_and_equal_neighbours_merge() {
        let spans = build(
            0,
            100,
            Unknown,
            &[(10, Healthy), (20, Healthy), (50, Unhealthy)],
            &[],
        );
        assert_eq!(
            spans,
            vec![
                span(0, 10, Unknown),
                span(10, 50, Healthy),
                span(50, 100, Unhealthy)
            ]
        );
        assert_eq!(uptime_pct(&spans), Some(40.0 * 100.0 / 90.0));
    }

    #[test]
    fn sleeps_override_and_overlap() {
        let spans = build(
            0,
            100,
            Healthy,
            &[(30, Degraded)],
            &[(20, 40), (35, 60), (90, 200)],
        );
        assert_eq!(
            spans,
            vec![
                span(0, 20, Healthy),
                span(20, 60, Unknown),
                span(60, 90, Degraded),
                span(90, 100, Unknown)
            ]
        );
    }

    #[test]
    fn all_unknown_has_no_uptime() {
        let spans = build(0, 100, Healthy, &[], &[(0, 100)]);
        assert_eq!(spans, vec![span(0, 100, Unknown)]);
        assert_eq!(uptime_pct(&spans), None);
    }
}
