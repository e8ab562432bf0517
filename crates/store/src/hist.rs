//! Latency histogram with log-spaced buckets (the DDSketch layout): every value in a bucket is
//! within `ALPHA` of the bucket's representative value, so a percentile read from it is within
//! `ALPHA` of the true nearest-rank percentile. Counts merge by addition, which is what lets hourly
//! roll-ups answer long ranges.

use std::sync::OnceLock;

/// Relative error of a bucket's representative value. Half of the 2 % budget: rounding the
/// estimate to whole milliseconds costs up to 0.5 ms, which stays inside 2 % for every value ≥ 1 ms
/// (below 50 ms the 1 % error is under half a millisecond, so rounding lands on the exact value).
pub const ALPHA: f64 = 0.01;

/// Format tag of the stored blob, so a later layout can be told apart.
const FORMAT_V1: u8 = 1;

fn gamma() -> f64 {
    (1.0 + ALPHA) / (1.0 - ALPHA)
}

fn ln_gamma() -> f64 {
    static LN: OnceLock<f64> = OnceLock::new();
    *LN.get_or_init(|| gamma().ln())
}

/// Bucket 0 holds exactly 0 ms; bucket k ≥ 1 holds (γ^(k-2), γ^(k-1)].
pub fn bucket_of(ms: u64) -> usize {
    if ms == 0 {
        return 0;
    }
    let k = ((ms as f64).ln() / ln_gamma()).ceil();
    // ln(u64::MAX)/ln(γ) is about 2,200: far from any overflow.
    (k.max(0.0) as usize) + 1
}

/// The value that stands for every member of a bucket: within `ALPHA` of each of them.
pub fn representative(bucket: usize) -> u64 {
    if bucket == 0 {
        return 0;
    }
    let g = gamma();
    let upper = g.powi(bucket as i32 - 1);
    (2.0 * upper / (g + 1.0)).round() as u64
}

/// Nearest-rank position (1-based) of percentile `p` among `n` values: the smallest rank whose
/// value has at least p % of all values at or below it.
pub fn rank(p: f64, n: u64) -> u64 {
    let r = (p / 100.0 * n as f64).ceil() as u64;
    r.clamp(1, n.max(1))
}

/// Exact nearest-rank percentile of sorted values.
pub fn exact_percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let r = rank(p, sorted.len() as u64) as usize;
    sorted.get(r - 1).copied()
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    /// The first bucket with a count (0 when empty). Latencies rarely fall in the low buckets
    /// (below 100 ms is bucket 230), so scans and merges start here.
    lo: usize,
}

/// A stored histogram blob that does not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadBlob(pub &'static str);

impl Histogram {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    #[cfg(test)]
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn add(&mut self, ms: u64) {
        self.add_n(bucket_of(ms), 1);
    }

    fn add_n(&mut self, bucket: usize, n: u64) {
        if n == 0 {
            return;
        }
        if bucket >= self.counts.len() {
            self.counts.resize(bucket + 1, 0);
        }
        if self.total == 0 || bucket < self.lo {
            self.lo = bucket;
        }
        self.counts[bucket] += n;
        self.total += n;
    }

    pub fn merge(&mut self, other: &Histogram) {
        if other.total == 0 {
            return;
        }
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        if self.total == 0 || other.lo < self.lo {
            self.lo = other.lo;
        }
        for (mine, theirs) in self.counts[other.lo..]
            .iter_mut()
            .zip(&other.counts[other.lo..])
        {
            *mine += theirs;
        }
        self.total += other.total;
    }

    /// Nearest-rank percentile, within `ALPHA` (after rounding: 2 %) of the exact one.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let target = rank(p, self.total);
        let mut seen = 0;
        for (bucket, &n) in self.counts.iter().enumerate().skip(self.lo) {
            seen += n;
            if seen >= target {
                return Some(representative(bucket));
            }
        }
        None
    }

    /// Sparse encoding: a format byte, then (bucket gap, count) varint pairs for non-empty buckets.
    /// An hour of probes touches a few dozen buckets, so a blob is typically under 100 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(FORMAT_V1);
        let mut prev = 0usize;
        for (bucket, &n) in self.counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            put_varint(&mut out, (bucket - prev) as u64);
            put_varint(&mut out, n);
            prev = bucket;
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Histogram, BadBlob> {
        let mut h = Histogram::new();
        h.merge_encoded(bytes)?;
        Ok(h)
    }

    /// Adds an encoded histogram's counts without building it first (long ranges merge
    /// thousands of them). On error `self` holds part of the blob: discard it.
    pub fn merge_encoded(&mut self, bytes: &[u8]) -> Result<(), BadBlob> {
        let (&format, body) = bytes.split_first().ok_or(BadBlob("empty histogram"))?;
        if format != FORMAT_V1 {
            return Err(BadBlob("unknown histogram format"));
        }
        // First pass: validate and find the last bucket, so the counts grow once.
        let (mut rest, mut bucket, mut first) = (body, 0usize, None);
        while !rest.is_empty() {
            let gap = take_varint(&mut rest)?;
            take_varint(&mut rest)?;
            bucket = bucket
                .checked_add(usize::try_from(gap).map_err(|_| BadBlob("bucket out of range"))?)
                .ok_or(BadBlob("bucket out of range"))?;
            // Real buckets stop near 2,200 (u64::MAX ms); anything beyond is damage, and would
            // otherwise allocate without bound.
            if bucket > 4096 {
                return Err(BadBlob("bucket out of range"));
            }
            first.get_or_insert(bucket);
        }
        let Some(first) = first else { return Ok(()) };
        if bucket >= self.counts.len() {
            self.counts.resize(bucket + 1, 0);
        }
        let (mut rest, mut bucket, mut added) = (body, 0usize, 0u64);
        while !rest.is_empty() {
            // Both already read once without error.
            let gap = take_varint(&mut rest)?;
            let n = take_varint(&mut rest)?;
            bucket += gap as usize;
            self.counts[bucket] += n;
            added += n;
        }
        if added > 0 {
            if self.total == 0 || first < self.lo {
                self.lo = first;
            }
            self.total += added;
        }
        Ok(())
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn take_varint(rest: &mut &[u8]) -> Result<u64, BadBlob> {
    // Most gaps and counts fit one byte; long ranges decode hundreds of thousands of them.
    if let Some((&b, tail)) = rest.split_first() {
        if b < 0x80 {
            *rest = tail;
            return Ok(u64::from(b));
        }
    }
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, tail) = rest.split_first().ok_or(BadBlob("truncated histogram"))?;
        *rest = tail;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(BadBlob("varint too long"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn within(estimate: u64, exact: u64) -> bool {
        (estimate as f64 - exact as f64).abs() <= 0.02 * exact as f64
    }

    #[test]
    fn small_values_are_exact() {
        for ms in 0..50 {
            assert_eq!(representative(bucket_of(ms)), ms, "{ms}");
        }
    }

    #[test]
    fn every_value_up_to_a_million_is_within_two_percent() {
        for ms in 1..1_000_000u64 {
            let r = representative(bucket_of(ms));
            assert!(within(r, ms), "{ms} -> {r}");
        }
    }

    proptest! {
        #[test]
        fn percentiles_within_bound(mut values in proptest::collection::vec(0u64..5_000_000, 1..400),
                                    p in 0.0f64..100.0) {
            let mut h = Histogram::new();
            for &v in &values { h.add(v); }
            values.sort_unstable();
            let exact = exact_percentile(&values, p).unwrap();
            let est = h.percentile(p).unwrap();
            prop_assert!(within(est, exact), "p{p}: exact {exact}, estimate {est}");
        }

        #[test]
        fn encode_round_trips_and_merges(a in proptest::collection::vec(0u64..100_000, 0..200),
                                         b in proptest::collection::vec(0u64..100_000, 0..200)) {
            let mut ha = Histogram::new();
            a.iter().for_each(|&v| ha.add(v));
            let mut hb = Histogram::new();
            b.iter().for_each(|&v| hb.add(v));
            let decoded = Histogram::decode(&ha.encode()).unwrap();
            prop_assert_eq!(decoded.percentile(50.0), ha.percentile(50.0));
            prop_assert_eq!(decoded.total(), ha.total());
            let mut merged = decoded;
            merged.merge(&hb);
            let mut all = Histogram::new();
            a.iter().chain(&b).for_each(|&v| all.add(v));
            for p in [1.0, 50.0, 90.0, 99.0] {
                prop_assert_eq!(merged.percentile(p), all.percentile(p));
            }
            prop_assert_eq!(&merged, &all);

        }
    }

    #[test]
    fn garbage_blobs_are_rejected_not_trusted() {
        assert!(Histogram::decode(&[]).is_err());
        assert!(Histogram::decode(&[9]).is_err());
        assert!(Histogram::decode(&[1, 0x80]).is_err());
        assert!(Histogram::decode(&[1, 0xff, 0xff, 0x7f, 1]).is_err());
    }
}
