// A target's history as loaded once (`timeline`), kept current by live events: the status
// segments grow, and the newest latency bucket takes each check. Pure functions.
import { isHardFailure } from "./domain";
import type { Check, HistoryView, LatencyPoint, Transition } from "./generated/types";

const iso = (t: number) => new Date(t).toISOString();

/** Adds one check to the newest bucket, opening new buckets (and dropping old ones) as time moves. */
export function applyCheck(h: HistoryView, c: Check): HistoryView {
  const at = Date.parse(c.outcome.at);
  const latency = [...h.latency];
  const last = latency[latency.length - 1];
  if (!last || at < Date.parse(last.from)) return extendTo(h, at);
  const width = Date.parse(last.to) - Date.parse(last.from);
  let to = Date.parse(last.to);
  while (at >= to && width > 0) {
    latency.push({ from: iso(to), to: iso(to + width), checks: 0, failures: 0, p50_ms: null, p90_ms: null });
    latency.shift();
    to += width;
  }
  const bucket = latency[latency.length - 1];
  const failed = isHardFailure(c.outcome.class);
  latency[latency.length - 1] = addToBucket(bucket, c.outcome.latency_ms, failed);
  const checks = h.checks + 1;
  const failures = h.failures + (failed ? 1 : 0);
  return extendTo(
    { ...h, latency, checks, failures, error_rate: failures / checks, from: latency[0].from },
    at,
  );
}

/**
 * The bucket's percentiles cannot be recomputed without its samples; a running mean of the new
 * sample into p50 (and a max into p90) keeps the sparkline's newest point honest enough until the
 * next full load.
 */
function addToBucket(b: LatencyPoint, latencyMs: number, failed: boolean): LatencyPoint {
  const ok = b.checks - b.failures;
  const p50 = failed ? b.p50_ms : b.p50_ms === null ? latencyMs : (b.p50_ms * ok + latencyMs) / (ok + 1);
  const p90 = failed ? b.p90_ms : Math.max(b.p90_ms ?? 0, latencyMs);
  return { ...b, checks: b.checks + 1, failures: b.failures + (failed ? 1 : 0), p50_ms: p50, p90_ms: p90 };
}

/** The last segment lasts until now: stretch it (and the view's end) to `at`. */
function extendTo(h: HistoryView, at: number): HistoryView {
  if (at <= Date.parse(h.to)) return h;
  const segments = h.segments.length
    ? [...h.segments.slice(0, -1), { ...h.segments[h.segments.length - 1], to: iso(at) }]
    : h.segments;
  return { ...h, segments, to: iso(at) };
}

export function applyTransition(h: HistoryView, tr: Transition): HistoryView {
  const at = Date.parse(tr.at);
  const stretched = extendTo(h, at);
  const segments = stretched.segments.filter((s) => Date.parse(s.from) < at);
  const last = segments[segments.length - 1];
  if (last) segments[segments.length - 1] = { ...last, to: tr.at };
  segments.push({ from: tr.at, to: stretched.to, status: tr.to });
  return { ...stretched, segments };
}

export type Trend = "up" | "down" | "flat";

/** Error rate of the later half of the window against the earlier half. */
export function errorTrend(points: LatencyPoint[]): { earlier: number | null; later: number | null; trend: Trend } {
  const half = Math.floor(points.length / 2);
  const rate = (ps: LatencyPoint[]) => {
    const checks = ps.reduce((n, p) => n + p.checks, 0);
    return checks ? ps.reduce((n, p) => n + p.failures, 0) / checks : null;
  };
  const earlier = rate(points.slice(0, half));
  const later = rate(points.slice(half));
  let trend: Trend = "flat";
  if (earlier !== null && later !== null && Math.abs(later - earlier) >= 0.005) {
    trend = later > earlier ? "up" : "down";
  }
  return { earlier, later, trend };
}
