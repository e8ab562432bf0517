import { describe, expect, it } from "vitest";
import {
  applyKey, bandRects, bandRuns, clampView, hitBand, hitMarker, parseBands, type Band, keyAction, MIN_SPAN, overallUptime, panBy, RANGE_MS, tickStep, ticks,
  timeToX, visibleUptime, wheelAction, xToTime, zoomAt, type Seg,
} from "../src/views/timeline-math";
import type { Status } from "../src/generated/types";

const H = 3_600_000;
const plot = { left: 180, width: 600 };
const bounds = { from: 0, to: 24 * H };

describe("time and x", () => {
  it("map both ways across the plot", () => {
    const v = { from: 0, to: 24 * H };
    expect(timeToX(0, v, plot)).toBe(180);
    expect(timeToX(12 * H, v, plot)).toBe(480);
    expect(timeToX(24 * H, v, plot)).toBe(780);
    expect(xToTime(480, v, plot)).toBe(12 * H);
    expect(xToTime(timeToX(5 * H + 123, v, plot), v, plot)).toBeCloseTo(5 * H + 123, 3);
  });
});

describe("zoom and pan", () => {
  it("zooming keeps the time under the cursor in place", () => {
    const v = { from: 0, to: 24 * H };
    const anchor = 6 * H;
    const z = zoomAt(v, 0.5, anchor, bounds);
    expect(z).toEqual({ from: 3 * H, to: 15 * H });
    expect(timeToX(anchor, z, plot)).toBeCloseTo(timeToX(anchor, v, plot), 9);
  });

  it("zooming stops at one minute and at the loaded range", () => {
    let v = { from: 0, to: 24 * H };
    for (let i = 0; i < 40; i++) v = zoomAt(v, 0.5, 12 * H, bounds);
    expect(v.to - v.from).toBe(MIN_SPAN);
    expect(v.from).toBeCloseTo(12 * H - MIN_SPAN / 2, 3);
    expect(zoomAt({ from: 2 * H, to: 4 * H }, 100, 3 * H, bounds)).toEqual(bounds);
  });

  it("zooming out near an edge stays within the range", () => {
    expect(zoomAt({ from: 0, to: 2 * H }, 3, 0, bounds)).toEqual({ from: 0, to: 6 * H });
    expect(zoomAt({ from: 22 * H, to: 24 * H }, 3, 24 * H, bounds)).toEqual({ from: 18 * H, to: 24 * H });
  });

  it("panning is clamped to the loaded range and keeps the span", () => {
    const v = { from: 10 * H, to: 12 * H };
    expect(panBy(v, 3 * H, bounds)).toEqual({ from: 13 * H, to: 15 * H });
    expect(panBy(v, 100 * H, bounds)).toEqual({ from: 22 * H, to: 24 * H });
    expect(panBy(v, -100 * H, bounds)).toEqual({ from: 0, to: 2 * H });
    expect(clampView({ from: -5, to: 30 * H }, bounds)).toEqual(bounds);
  });
});

describe("visible uptime", () => {
  // A pseudo-random but fixed history: 2000 segments over 7 days.
  function segments(): Seg[] {
    const out: Seg[] = [];
    const statuses: Status[] = ["healthy", "healthy", "healthy", "degraded", "unhealthy", "unknown"];
    let seed = 7;
    let t = 0;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const len = 60_000 + (seed % 600) * 1000; // whole seconds, so sampling each second is exact
      out.push({ from: t, to: t + len, status: statuses[seed % statuses.length] });
      t += len;
    }
    return out;
  }
  /** Sample every second: the slow, obvious way. */
  function naive(segs: Seg[], from: number, to: number): number | null {
    let up = 0;
    let known = 0;
    for (let t = from; t < to; t += 1000) {
      const s = segs.find((x) => x.from <= t && t < x.to);
      if (!s || s.status === "unknown") continue;
      known++;
      if (s.status !== "unhealthy") up++;
    }
    return known ? (up * 100) / known : null;
  }

  it("matches a per-second count for any window", () => {
    const segs = segments();
    for (const [from, to] of [[0, 6 * H], [3 * H + 30_000, 3 * H + 40 * 60_000], [40 * H, 41 * H], [100 * H, 100 * H + 120_000]]) {
      const fast = visibleUptime(segs, { from, to });
      const slow = naive(segs, from, to);
      expect(fast === null ? null : Number(fast.toFixed(6))).toBe(slow === null ? null : Number(slow.toFixed(6)));
    }
  });

  it("counts degraded as up and leaves unknown out; overall weighs by known time", () => {
    const a: Seg[] = [{ from: 0, to: 10, status: "healthy" }, { from: 10, to: 20, status: "unhealthy" }, { from: 20, to: 40, status: "unknown" }];
    const b: Seg[] = [{ from: 0, to: 40, status: "degraded" }];
    expect(visibleUptime(a, { from: 0, to: 40 })).toBe(50);
    expect(visibleUptime(a, { from: 5, to: 15 })).toBe(50);
    expect(visibleUptime(a, { from: 25, to: 40 })).toBeNull();
    expect(visibleUptime(b, { from: 0, to: 40 })).toBe(100);
    expect(overallUptime([a, b], { from: 0, to: 40 })).toBe(((10 + 40) * 100) / 60);
  });
});

describe("ticks", () => {
  it("picks a step per range for an 800-pixel plot", () => {
    const steps = Object.fromEntries(Object.entries(RANGE_MS).map(([r, ms]) => [r, tickStep(ms, 800) / 60_000]));
    expect(steps).toEqual({ "1h": 10, "6h": 60, "24h": 180, "7d": 1440, "30d": 10080 });
  });

  it("stands on round local times with readable labels", () => {
    const from = Date.parse("2025-06-01T10:07:00Z");
    const ts = ticks({ from, to: from + 6 * H }, 800, 120);
    expect(ts[0]).toEqual({ t: Date.parse("2025-06-01T11:00:00Z"), label: "13:00" });
    expect(ts.map((x) => x.label)).toEqual(["13:00", "14:00", "15:00", "16:00", "17:00", "18:00"]);
    const days = ticks({ from, to: from + 7 * 24 * H }, 800, 0);
    expect(days.map((x) => x.label)).toEqual(["Jun 2", "Jun 3", "Jun 4", "Jun 5", "Jun 6", "Jun 7", "Jun 8"]);
    const halfDays = ticks({ from, to: from + 3 * 24 * H }, 800, 0);
    expect(halfDays.map((x) => x.label).slice(0, 3)).toEqual(["12:00", "Jun 2", "12:00"]);
  });
});

describe("status bands", () => {
  it("give each pixel the worst status in it and merge equal neighbours", () => {
    const segs: Seg[] = [
      { from: 0, to: 1000, status: "healthy" },
      { from: 1000, to: 1001, status: "unhealthy" }, // far below a pixel: still one pixel wide
      { from: 1001, to: 2000, status: "healthy" },
    ];
    const runs = bandRuns(segs, { from: 0, to: 2000 }, { left: 10, width: 20 });
    expect(runs).toEqual([
      { x: 10, w: 10, status: "healthy" },
      { x: 20, w: 1, status: "unhealthy" },
      { x: 21, w: 9, status: "healthy" },
    ]);
  });

  it("cost at most one run per pixel for a 7-day history of 20,000 segments", () => {
    const segs: Seg[] = Array.from({ length: 20_000 }, (_, i) => ({
      from: i * 30_000, to: (i + 1) * 30_000, status: i % 2 ? "healthy" : "degraded",
    }));
    const runs = bandRuns(segs, { from: 0, to: 600_000_000 }, { left: 0, width: 1000 });
    expect(runs.length).toBeLessThanOrEqual(1000);
    expect(runs.every((r) => r.status === "degraded")).toBe(true);
  });
});

describe("markers", () => {
  it("hit the nearest marker within the radius", () => {
    const ms = [{ x: 100, y: 20, item: "a" }, { x: 108, y: 20, item: "b" }, { x: 300, y: 60, item: "c" }];
    expect(hitMarker(ms, 103, 21)?.item).toBe("a");
    expect(hitMarker(ms, 106, 20)?.item).toBe("b");
    expect(hitMarker(ms, 300, 66)?.item).toBe("c");
    expect(hitMarker(ms, 200, 20)).toBeNull();
  });
});

describe("keys and wheel", () => {
  const v = { from: 8 * H, to: 12 * H };
  it("map keys to view changes", () => {
    expect(applyKey(v, keyAction("+")!, bounds)).toEqual({ from: 9 * H, to: 11 * H });
    expect(applyKey(v, keyAction("-")!, bounds)).toEqual({ from: 6 * H, to: 14 * H });
    const right = applyKey(v, keyAction("ArrowRight")!, bounds);
    expect([right.from / H, right.to / H]).toEqual([8.8, 12.8]);
    const left = applyKey(v, keyAction("ArrowLeft")!, bounds);
    expect([left.from / H, left.to / H]).toEqual([7.2, 11.2]);
    expect(applyKey(v, keyAction("0")!, bounds)).toEqual(bounds);
    expect(applyKey(v, keyAction("Home")!, bounds)).toEqual({ from: 0, to: 4 * H });
    expect(applyKey(v, keyAction("End")!, bounds)).toEqual({ from: 20 * H, to: 24 * H });
    expect(keyAction("n")).toEqual({ marker: 1 });
    expect(keyAction("x")).toBeNull();
  });

  it("zooms on vertical and pinch, pans on horizontal and shift", () => {
    const base = { deltaX: 0, deltaY: 0, ctrlKey: false, shiftKey: false, deltaMode: 0 };
    const zoomIn = wheelAction({ ...base, deltaY: -100 });
    expect("zoom" in zoomIn && zoomIn.zoom).toBeCloseTo(Math.exp(-0.2), 9);
    const pinch = wheelAction({ ...base, deltaY: 10, ctrlKey: true });
    expect("zoom" in pinch && pinch.zoom).toBeCloseTo(Math.exp(0.1), 9);
    expect(wheelAction({ ...base, deltaX: 40, deltaY: 3 })).toEqual({ panPx: 40 });
    expect(wheelAction({ ...base, deltaY: 3, shiftKey: true, deltaMode: 1 })).toEqual({ panPx: 48 });
  });
});

describe("maintenance bands", () => {
  const v = { from: 0, to: 24 * H };
  const ids = ["a", "b", "c", "d"];
  const band = (start: number, end: number, targets: string[] | null, snooze = false): Band =>
    ({ start, end, targets, snooze, name: snooze ? null : "nightly" });

  it("parses the core's bands", () => {
    expect(parseBands([{ targets: null, name: "nightly", start: "1970-01-01T01:00:00Z", end: "1970-01-01T03:00:00Z", snooze: false }]))
      .toEqual([{ start: H, end: 3 * H, targets: null, name: "nightly", snooze: false }]);
  });

  it("covers every row when it names no targets, as one rectangle", () => {
    const [r, ...rest] = bandRects([band(6 * H, 12 * H, null)], ids, v, plot, 22, 40);
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ x: 330, w: 150, top: 22, bottom: 22 + 4 * 40 });
  });

  it("covers only its targets' rows, adjacent ones merged, others apart", () => {
    const rects = bandRects([band(0, 2 * H, ["a", "b", "d", "gone"])], ids, v, plot, 22, 40);
    expect(rects.map((r) => [r.top, r.bottom])).toEqual([[22, 102], [142, 182]]);
    // A band for targets not shown (or none of them) is not drawn.
    expect(bandRects([band(0, 2 * H, ["gone"])], ids, v, plot, 22, 40)).toEqual([]);
  });

  it("is clipped to the view, a pixel wide at least, and absent outside it", () => {
    const [late] = bandRects([band(20 * H, 30 * H, null)], ids, v, plot, 0, 40);
    expect(late.x + late.w).toBe(780);
    const [early] = bandRects([band(-5 * H, H, null)], ids, v, plot, 0, 40);
    expect(early.x).toBe(180);
    const [thin] = bandRects([band(12 * H, 12 * H + 1000, ["a"])], ids, { from: 0, to: 30 * 24 * H }, plot, 0, 40);
    expect(thin.w).toBe(1);
    expect(bandRects([band(25 * H, 26 * H, null), band(-2 * H, -H, null)], ids, v, plot, 0, 40)).toEqual([]);
  });

  it("keeps a snooze apart from a window, and finds the topmost under the pointer", () => {
    const rects = bandRects([band(0, 12 * H, null), band(6 * H, 8 * H, ["b"], true)], ids, v, plot, 0, 40);
    expect(rects.map((r) => r.band.snooze)).toEqual([false, true]);
    expect(hitBand(rects, timeToX(7 * H, v, plot), 50)?.band.snooze).toBe(true);
    expect(hitBand(rects, timeToX(7 * H, v, plot), 10)?.band.snooze).toBe(false);
    expect(hitBand(rects, timeToX(20 * H, v, plot), 10)).toBeNull();
  });
});
