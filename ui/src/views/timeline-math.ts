// The timeline's geometry and arithmetic, free of the canvas so it is tested on its own: time ↔ x,
// zoom and pan within the loaded range, uptime of what is visible, tick steps, the status of each
// pixel column, and which incident marker is under the pointer. Times are unix ms.
import { BADNESS, STATUSES } from "../domain";
import { bandHeadline, type ProviderBand } from "../context";
import type { MaintenanceBand, Segment, Status } from "../generated/types";

export interface Span {
  from: number;
  to: number;
}
export interface Plot {
  left: number;
  width: number;
}
export interface Seg extends Span {
  status: Status;
}

export { RANGE_MS } from "../generated/tables";

/** Closer than this, a few probes fill the screen and nothing more is learned. */
export const MIN_SPAN = 60_000;

export function timeToX(t: number, v: Span, p: Plot): number {
  return p.left + ((t - v.from) / (v.to - v.from)) * p.width;
}

export function xToTime(x: number, v: Span, p: Plot): number {
  return v.from + ((x - p.left) / p.width) * (v.to - v.from);
}

/** Keeps a view inside the loaded range, no narrower than `minSpan`, no wider than the range. */
export function clampView(v: Span, bounds: Span, minSpan = MIN_SPAN): Span {
  const full = bounds.to - bounds.from;
  const span = Math.min(Math.max(v.to - v.from, Math.min(minSpan, full)), full);
  const from = Math.min(Math.max(v.from, bounds.from), bounds.to - span);
  return { from, to: from + span };
}

/** Zooms by `factor` (< 1 is closer) keeping `anchor` (the time under the cursor) in place. */
export function zoomAt(v: Span, factor: number, anchor: number, bounds: Span, minSpan = MIN_SPAN): Span {
  const span = v.to - v.from;
  const full = bounds.to - bounds.from;
  const next = Math.min(Math.max(span * factor, Math.min(minSpan, full)), full);
  const frac = (anchor - v.from) / span;
  const from = anchor - frac * next;
  return clampView({ from, to: from + next }, bounds, minSpan);
}

export function panBy(v: Span, deltaMs: number, bounds: Span): Span {
  return clampView({ from: v.from + deltaMs, to: v.to + deltaMs }, bounds);
}

export function parseSegments(segments: Segment[]): Seg[] {
  return segments.map((s) => ({ from: Date.parse(s.from), to: Date.parse(s.to), status: s.status }));
}

/** Index of the first segment ending after `t` (segments ascending and not overlapping). */
function firstAfter(segs: Seg[], t: number): number {
  let lo = 0;
  let hi = segs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (segs[mid].to <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Up (healthy or degraded) and known time within `v`: the store's uptime rule, on part of the range. */
export function upAndKnown(segs: Seg[], v: Span): { up: number; known: number } {
  let up = 0;
  let known = 0;
  for (let i = firstAfter(segs, v.from); i < segs.length && segs[i].from < v.to; i++) {
    const s = segs[i];
    const len = Math.min(s.to, v.to) - Math.max(s.from, v.from);
    if (len <= 0 || s.status === "unknown") continue;
    known += len;
    if (s.status !== "unhealthy") up += len;
  }
  return { up, known };
}

export function visibleUptime(segs: Seg[], v: Span): number | null {
  const { up, known } = upAndKnown(segs, v);
  return known > 0 ? (up * 100) / known : null;
}

/** Over every target: up time over known time, so a target known longer weighs more. */
export function overallUptime(rows: Seg[][], v: Span): number | null {
  let up = 0;
  let known = 0;
  for (const segs of rows) {
    const r = upAndKnown(segs, v);
    up += r.up;
    known += r.known;
  }
  return known > 0 ? (up * 100) / known : null;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
export const TICK_STEPS = [MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];

/** The smallest step whose ticks stand at least `minGap` pixels apart. */
export function tickStep(spanMs: number, widthPx: number, minGap = 80): number {
  const least = (spanMs * minGap) / Math.max(1, widthPx);
  return TICK_STEPS.find((s) => s >= least) ?? TICK_STEPS[TICK_STEPS.length - 1];
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/**
 * Ticks on round local times (`tzOffsetMin` east of UTC, as `-new Date().getTimezoneOffset()`):
 * "14:00" within a day, "Jun 3" at midnight and for day steps.
 */
export function ticks(v: Span, widthPx: number, tzOffsetMin: number, minGap = 80): { t: number; label: string }[] {
  const step = tickStep(v.to - v.from, widthPx, minGap);
  const off = tzOffsetMin * MIN;
  const out: { t: number; label: string }[] = [];
  for (let local = Math.ceil((v.from + off) / step) * step; local <= v.to + off; local += step) {
    const d = new Date(local);
    const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0;
    const label = midnight || step >= DAY ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}` : `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
    out.push({ t: local - off, label });
  }
  return out;
}

const NONE = 255;
const BY_BADNESS: Status[] = [...STATUSES].sort((a, b) => BADNESS[a] - BADNESS[b]);

/**
 * The status bands as runs of whole pixels: each pixel column shows the worst status seen in
 * it, so a one-minute outage in a 30-day view stays visible, and a row never costs more than
 * one rectangle per pixel however many segments it has.
 */
export function bandRuns(segs: Seg[], v: Span, p: Plot): { x: number; w: number; status: Status }[] {
  const width = Math.max(0, Math.ceil(p.width));
  const px = new Uint8Array(width).fill(NONE);
  for (let i = firstAfter(segs, v.from); i < segs.length && segs[i].from < v.to; i++) {
    const s = segs[i];
    const a = Math.max(0, Math.floor(timeToX(Math.max(s.from, v.from), v, p) - p.left));
    const b = Math.min(width, Math.max(a + 1, Math.ceil(timeToX(Math.min(s.to, v.to), v, p) - p.left)));
    const bad = BADNESS[s.status];
    for (let x = a; x < b; x++) if (px[x] === NONE || bad > px[x]) px[x] = bad;
  }
  const runs: { x: number; w: number; status: Status }[] = [];
  for (let x = 0; x < width; ) {
    const b = px[x];
    let end = x + 1;
    while (end < width && px[end] === b) end++;
    if (b !== NONE) runs.push({ x: p.left + x, w: end - x, status: BY_BADNESS[b] });
    x = end;
  }
  return runs;
}

export interface Marker<T> {
  x: number;
  y: number;
  item: T;
}

/** The marker nearest to the pointer within `radius` pixels, if any. */
export function hitMarker<T>(markers: Marker<T>[], x: number, y: number, radius = 7): Marker<T> | null {
  let best: Marker<T> | null = null;
  let bestD = radius * radius;
  for (const m of markers) {
    const d = (m.x - x) ** 2 + (m.y - y) ** 2;
    if (d <= bestD) {
      best = m;
      bestD = d;
    }
  }
  return best;
}

export type KeyAction =
  | { zoom: number }
  | { pan: number }
  | { reset: true }
  | { home: true }
  | { end: true }
  | { marker: 1 | -1 };

/** What a key does to the view while the canvas has focus. */
export function keyAction(key: string): KeyAction | null {
  switch (key) {
    case "+":
    case "=":
      return { zoom: 0.5 };
    case "-":
    case "_":
      return { zoom: 2 };
    case "ArrowLeft":
      return { pan: -0.2 };
    case "ArrowRight":
      return { pan: 0.2 };
    case "0":
      return { reset: true };
    case "Home":
      return { home: true };
    case "End":
      return { end: true };
    case "n":
    case "N":
      return { marker: 1 };
    case "p":
    case "P":
      return { marker: -1 };
  }
  return null;
}

/** The view after a key's action (marker moves are the caller's: they need the markers). */
export function applyKey(v: Span, a: KeyAction, bounds: Span): Span {
  const span = v.to - v.from;
  if ("zoom" in a) return zoomAt(v, a.zoom, (v.from + v.to) / 2, bounds);
  if ("pan" in a) return panBy(v, a.pan * span, bounds);
  if ("reset" in a) return { ...bounds };
  if ("home" in a) return clampView({ from: bounds.from, to: bounds.from + span }, bounds);
  if ("end" in a) return clampView({ from: bounds.to - span, to: bounds.to }, bounds);
  return v;
}

/** Wheel: ctrl (a touchpad pinch arrives so) or plain vertical zooms, horizontal or shift pans. */
export function wheelAction(e: { deltaX: number; deltaY: number; ctrlKey: boolean; shiftKey: boolean; deltaMode: number }):
  | { zoom: number }
  | { panPx: number } {
  const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
  const dx = e.deltaX * unit;
  const dy = e.deltaY * unit;
  if (!e.ctrlKey && (e.shiftKey || Math.abs(dx) > Math.abs(dy))) return { panPx: e.shiftKey ? dy || dx : dx };
  return { zoom: Math.exp(dy * (e.ctrlKey ? 0.01 : 0.002)) };
}

/**
 * A maintenance window, a snooze or a provider's incident, times parsed. A provider's incident
 * still listed ends at Infinity: it reaches the live edge, wherever that moves.
 */
export interface Band {
  start: number;
  end: number;
  /** `null`: every row. */
  targets: string[] | null;
  name: string | null;
  snooze: boolean;
  /** What a status page reported: context drawn behind the rows of the targets that saw it. */
  provider?: ProviderBand;
}

export function parseBands(bands: MaintenanceBand[]): Band[] {
  return bands.map((b) => ({ start: Date.parse(b.start), end: Date.parse(b.end), targets: b.targets, name: b.name, snooze: b.snooze }));
}

export function providerAsBand(p: ProviderBand): Band {
  return { start: p.start, end: p.end, targets: p.targets, name: bandHeadline(p), snooze: false, provider: p };
}

export interface BandRect {
  x: number;
  w: number;
  top: number;
  bottom: number;
  band: Band;
}

/**
 * Where each band is drawn: its time within the view (at least a pixel wide, so a short window
 * in a 30-day view stays visible) across the rows of its targets, all of them when `targets` is
 * null. Adjacent covered rows make one rectangle; a band covering no shown row is not drawn.
 * Row `i` spans `[top + i × rowHeight, top + (i + 1) × rowHeight)`.
 */
export function bandRects(bands: Band[], rowIds: string[], v: Span, p: Plot, top: number, rowHeight: number): BandRect[] {
  const out: BandRect[] = [];
  const right = p.left + p.width;
  for (const band of bands) {
    if (band.end <= v.from || band.start >= v.to) continue;
    const x = Math.max(p.left, timeToX(band.start, v, p));
    const x2 = Math.min(right, Math.max(x + 1, timeToX(band.end, v, p)));
    const covers = band.targets === null ? null : new Set(band.targets);
    let first = -1;
    for (let i = 0; i <= rowIds.length; i++) {
      const hit = i < rowIds.length && (covers === null || covers.has(rowIds[i]));
      if (hit && first < 0) first = i;
      if (!hit && first >= 0) {
        out.push({ x, w: x2 - x, top: top + first * rowHeight, bottom: top + i * rowHeight, band });
        first = -1;
      }
    }
  }
  return out;
}

/** The band under the pointer: the last drawn (topmost) one containing it. */
export function hitBand(rects: BandRect[], x: number, y: number): BandRect | null {
  for (let i = rects.length - 1; i >= 0; i--) {
    const r = rects[i];
    if (x >= r.x && x <= r.x + r.w && y >= r.top && y < r.bottom) return r;
  }
  return null;
}
