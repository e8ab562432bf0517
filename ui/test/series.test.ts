import { describe, expect, it } from "vitest";
import { applyCheck, applyTransition, errorTrend } from "../src/series";
import { history, HOUR, iso, latency, NOW, outcome } from "./fixtures";

describe("applyCheck", () => {
  it("adds a check inside the newest bucket", () => {
    const h = history("ollama");
    const last = h.latency[47];
    const next = applyCheck(h, { target: "ollama", status: "healthy", score: 1, consecutive_failures: 0, outcome: outcome({ at: iso(NOW - 1000), latency_ms: 300 }) });
    const b = next.latency[47];
    expect(b.checks).toBe(11);
    expect(b.p50_ms).toBeCloseTo((last.p50_ms! * 10 + 300) / 11, 6);
    expect(b.p90_ms).toBe(300);
    expect(next.latency).toHaveLength(48);
    expect(next.checks).toBe(481);
    expect(h.latency[47].checks).toBe(10);
  });

  it("opens a new bucket when time has moved past the last one, dropping the oldest", () => {
    const h = history("ollama");
    const at = NOW + 10 * 60_000; // 30-minute buckets ending at NOW: one new bucket
    const next = applyCheck(h, { target: "ollama", status: "unhealthy", score: 0, consecutive_failures: 1, outcome: outcome({ at: iso(at), class: "connect", latency_ms: 2 }) });
    expect(next.latency).toHaveLength(48);
    const b = next.latency[47];
    expect(b.from).toBe(iso(NOW));
    expect(b).toMatchObject({ checks: 1, failures: 1, p50_ms: null });
    expect(next.latency[0].from).toBe(h.latency[1].from);
    expect(next.failures).toBe(1);
    expect(next.error_rate).toBeCloseTo(1 / 481, 9);
    expect(next.to).toBe(iso(at));
    expect(next.segments[0].to).toBe(iso(at));
  });
});

describe("applyTransition", () => {
  it("closes the last segment and opens one with the new status", () => {
    const h = history("ollama");
    const at = iso(NOW - HOUR);
    const next = applyTransition(h, { target: "ollama", at, from: "healthy", to: "unhealthy", class: "connect", reason: "down" });
    expect(next.segments).toEqual([
      { from: h.segments[0].from, to: at, status: "healthy" },
      { from: at, to: h.to, status: "unhealthy" },
    ]);
  });
});

describe("errorTrend", () => {
  it("compares the later half with the earlier one", () => {
    const up = errorTrend(latency(0, 48, 48, 100, (i) => (i >= 24 ? 2 : 0)));
    expect(up).toEqual({ earlier: 0, later: 0.2, trend: "up" });
    const down = errorTrend(latency(0, 48, 48, 100, (i) => (i < 24 ? 1 : 0)));
    expect(down.trend).toBe("down");
    expect(errorTrend(latency(0, 48, 48)).trend).toBe("flat");
    expect(errorTrend([]).later).toBeNull();
  });
});
